"""A review page: one self-contained HTML file that shows what OCR, post-correction and extraction did.

For each page: the page image (upright and straightened, as the boxes refer to it) with every word's
box drawn over it, coloured by confidence (red 0 -> green 1); the raw and the corrected text side by
side, every correction marked with what it replaced and which post-processor made it; and the
extracted fields with value, confidence, source and checks, where clicking a field highlights its
box on its page. Images are embedded as JPEG data; after the first page's, each is decoded only when
its page scrolls into view (IntersectionObserver), so a long document opens at once. No network access, no CDN: styles
and script are inline.

Rendered with Jinja2 (autoescaping on); page images are made with OpenCV from the input and each
page's :attr:`~clearocr.document.Page.transform`.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from typing import Any

import numpy as np

from clearocr.document import Document, Page, printable_name
from clearocr.io import open_source

log = logging.getLogger(__name__)

#: Page images are embedded at most this wide (pixels); boxes keep page coordinates (SVG viewBox).
REVIEW_IMAGE_WIDTH = 1400
#: JPEG quality of the embedded page images.
REVIEW_JPEG_QUALITY = 80

_TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>clearocr review: {{ source }}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #f4f4f6; }
header { padding: 12px 20px; background: #20242c; color: #fff; }
header h1 { font-size: 17px; margin: 0 0 4px; }
header .stats span { margin-right: 18px; opacity: .85; }
main { padding: 16px 20px; }
section.page { background: #fff; border-radius: 6px; margin-bottom: 22px; padding: 12px; box-shadow: 0 1px 3px #0002; }
.cols { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; }
.figure { position: relative; width: 100%; background: #eee; }
.figure img, .figure svg { position: absolute; inset: 0; width: 100%; height: 100%; }
.figure svg rect.word { fill-opacity: .18; stroke-width: 2; vector-effect: non-scaling-stroke; }
.figure svg rect.word:hover { fill-opacity: .45; }
.figure svg rect.field { fill: none; stroke: #0a58ff; stroke-width: 4; vector-effect: non-scaling-stroke; display: none; }
.figure svg rect.field.on { display: inline; }
.texts { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
pre { white-space: pre-wrap; word-break: break-word; background: #fafafa; border: 1px solid #ddd; padding: 8px; margin: 4px 0; font: 12.5px/1.4 ui-monospace, monospace; }
mark.fix { background: #ffe27a; border-bottom: 2px solid #d49b00; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; }
th, td { text-align: left; border-bottom: 1px solid #e3e3e3; padding: 4px 6px; vertical-align: top; }
tr.field-row { cursor: pointer; }
tr.field-row:hover, tr.field-row.on { background: #e8f0ff; }
.conf { display: inline-block; min-width: 3.2em; }
.legend i { display: inline-block; width: 60px; height: 9px; background: linear-gradient(90deg, hsl(0,80%,45%), hsl(60,80%,45%), hsl(120,80%,35%)); }
h2 { font-size: 15px; margin: 2px 0 8px; }
h3 { font-size: 13px; margin: 6px 0 2px; color: #555; }
td.check.passed { color: #137333; } td.check.failed { color: #b3261e; font-weight: 600; } td.check.not_checkable { color: #666; }
p.none { color: #666; font-style: italic; margin: 4px 0; }
</style>
</head>
<body>
<header>
<h1>{{ source }}</h1>
<div class="stats"><span>{{ pages|length }} page(s)</span><span>{{ word_count }} words</span>
<span>mean confidence {{ "%.1f"|format(mean_confidence * 100) }}%</span><span>{{ corrections|length }} correction(s)</span>
<span>{{ fields|length }} field(s)</span><span class="legend">confidence <i></i> 0 &rarr; 1</span></div>
</header>
<main>
{% if fields %}
<section class="page" id="fields">
<h2>Extracted fields</h2>
<table><thead><tr><th>field</th><th>value</th><th>read as</th><th>confidence</th><th>page</th><th>source</th></tr></thead><tbody>
{% for f in fields %}
<tr class="field-row" data-field="{{ f.name }}" data-page="{{ f.page }}" data-bbox="{{ f.bbox|join(',') }}">
<td>{{ f.name }}</td><td><b>{{ f.value }}</b></td><td>{{ f.text }}</td><td>{{ "%.0f"|format(f.confidence * 100) }}%</td><td>{{ f.page }}</td><td>{{ f.source }}</td></tr>
{% endfor %}
</tbody></table>
{% if checks %}<h3>Checks</h3><table><tbody>{% for c in checks %}<tr><td>{{ c.name }}</td><td class="check {{ c.state }}">{{ c.label }}</td><td>{{ c.detail }}</td></tr>{% endfor %}</tbody></table>{% endif %}
</section>
{% endif %}
{% for p in pages %}
<section class="page" id="page-{{ p.number }}" data-page="{{ p.number }}">
<h2>Page {{ p.number }} <small>({{ p.width }} &times; {{ p.height }} px, {{ p.engine }}, {{ p.words|length }} words)</small></h2>
<div class="cols">
<div class="figure" style="aspect-ratio: {{ p.width }} / {{ p.height }}">
{% if p.image and loop.first %}<img alt="page {{ p.number }}" src="{{ p.image }}">{% elif p.image %}<img alt="page {{ p.number }}" data-src="{{ p.image }}" decoding="async">{% endif %}
<svg viewBox="0 0 {{ p.width }} {{ p.height }}" preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">
{% for w in p.words %}<rect class="word" x="{{ w.x }}" y="{{ w.y }}" width="{{ w.w }}" height="{{ w.h }}" style="fill:{{ w.colour }};stroke:{{ w.colour }}" data-conf="{{ w.conf }}"><title>{{ w.text }} ({{ w.conf }})</title></rect>{% endfor %}
{% for f in fields if f.page == p.number %}<rect class="field" data-field="{{ f.name }}" x="{{ f.bbox[0] }}" y="{{ f.bbox[1] }}" width="{{ f.bbox[2] - f.bbox[0] }}" height="{{ f.bbox[3] - f.bbox[1] }}"></rect>{% endfor %}
</svg>
</div>
<div>
<div class="texts">
<div><h3>Recognised</h3><pre class="raw">{{ p.raw }}</pre></div>
<div><h3>Corrected</h3>{% if p.corrections %}<pre class="corrected">{% for part in p.corrected %}{% if part.fix %}<mark class="fix" title="{{ part.title }}">{{ part.text }}</mark>{% else %}{{ part.text }}{% endif %}{% endfor %}</pre>{% else %}<p class="none">No corrections on this page{% if not corrected_at_all %} (correction was not asked for: --correct lexical){% endif %}.</p>{% endif %}</div>
</div>
{% if p.corrections %}<h3>Corrections</h3><table><thead><tr><th>line</th><th>before</th><th>after</th><th>by</th></tr></thead><tbody>
{% for c in p.corrections %}<tr><td>{{ c.line }}</td><td>{{ c.before }}</td><td>{{ c.after }}</td><td>{{ c.by }}</td></tr>{% endfor %}
</tbody></table>{% endif %}
{% if p.steps %}<h3>Preprocessing</h3><table><tbody>{% for s in p.steps %}<tr><td>{{ s.name|replace("_", " ") }}</td><td>{% if s.reason %}{{ s.reason }}{% if s.details %}<br>{% endif %}{% endif %}<small>{% for key, value in s.details %}{{ key|replace("_", " ") }}: {{ value }}{% if not loop.last %}; {% endif %}{% endfor %}</small></td></tr>{% endfor %}</tbody></table>{% endif %}
</div>
</div>
</section>
{% endfor %}
</main>
<script>
"use strict";
(function () {
  const show = (img) => { if (img.dataset.src) { img.src = img.dataset.src; delete img.dataset.src; } };
  const images = document.querySelectorAll("img[data-src]");
  if ("IntersectionObserver" in window) {
    const seen = new IntersectionObserver((entries) => {
      for (const e of entries) { if (e.isIntersecting) { show(e.target); seen.unobserve(e.target); } }
    }, { rootMargin: "600px" });
    images.forEach((img) => seen.observe(img));
  } else {
    images.forEach(show);
  }
  document.querySelectorAll("tr.field-row").forEach((row) => {
    row.addEventListener("click", () => {
      document.querySelectorAll("rect.field.on, tr.field-row.on").forEach((el) => el.classList.remove("on"));
      row.classList.add("on");
      const page = document.getElementById("page-" + row.dataset.page);
      if (!page) { return; }
      const box = page.querySelector('rect.field[data-field="' + row.dataset.field + '"]');
      if (box) { box.classList.add("on"); }
      const img = page.querySelector("img[data-src]");
      if (img) { show(img); }
      page.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });
})();
</script>
</body>
</html>
"""


_CHECK_LABELS = {"passed": "\u2713 passed", "failed": "\u2717 failed", "not_checkable": "not checkable"}


def _read_as(name: str, value: dict[str, Any], fields: dict[str, Any]) -> str:
    """What a field was read from: its printed text, or for a tax made of several tax lines, each of
    them (``VAT 12%: 1.20 + VAT 25%: 5.00``)."""
    taxes = fields.get("taxes") if name == "tax_amount" else None
    if isinstance(taxes, list) and len(taxes) > 1:
        return " + ".join(
            f"{t.get('label') or 'tax'}: {t.get('amount')}" for t in taxes if isinstance(t, dict)
        )
    return str(value.get("text") or "")


def _step_row(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """A preprocessing step for people: its reason as a sentence, the other parameters as
    ``key: value`` pairs (numbers rounded, lists and dicts in short form)."""

    def short(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3g}"
        if isinstance(value, (list, tuple)):
            return ", ".join(short(v) for v in value)
        if isinstance(value, dict):
            return ", ".join(f"{k}={short(v)}" for k, v in value.items())
        return str(value)

    return {
        "name": name,
        "reason": str(params.get("reason", "")),
        "details": [(key, short(value)) for key, value in params.items() if key != "reason"],
    }


def _colour(confidence: float) -> str:
    """Red (0) through yellow to green (1), as an HSL colour."""
    c = min(1.0, max(0.0, confidence))
    return f"hsl({round(120 * c)},80%,{45 - round(10 * c)}%)"


def page_images(document: Document, source: Any) -> Iterator[tuple[int, np.ndarray]]:
    """Each page's image as its boxes refer to it, one at a time: ``(page number, RGB uint8 array)``,
    the input page turned and straightened with :attr:`Page.transform`. Pages that cannot be loaded
    are left out (logged). Only one page image is held at a time, so a long document's review costs
    one page of memory, not all of them."""
    import cv2

    with open_source(source, name=document.source) as src:
        for page in document.pages:
            try:
                loaded = src.page(page.number).image
            except Exception as exc:  # a page that read before must still render; log, do not fail
                log.warning(
                    "%s: page %d image not available for the review (%s)", document.source, page.number, exc
                )
                continue
            if page.source_size and tuple(page.source_size) != (loaded.shape[1], loaded.shape[0]):
                loaded = cv2.resize(loaded, tuple(page.source_size), interpolation=cv2.INTER_AREA)
            matrix = np.array(page.transform, dtype=np.float64).reshape(2, 3)
            if np.allclose(matrix, [[1, 0, 0], [0, 1, 0]]) and loaded.shape[:2] == (page.height, page.width):
                yield page.number, loaded
            else:
                yield (
                    page.number,
                    cv2.warpAffine(
                        loaded,
                        matrix,
                        (page.width, page.height),
                        flags=cv2.INTER_LINEAR,
                        borderValue=(255, 255, 255),
                    ),
                )


def _data_uri(image: np.ndarray) -> str:
    import cv2

    height, width = image.shape[:2]
    if width > REVIEW_IMAGE_WIDTH:
        scale = REVIEW_IMAGE_WIDTH / width
        image = cv2.resize(
            image, (REVIEW_IMAGE_WIDTH, max(1, round(height * scale))), interpolation=cv2.INTER_AREA
        )
    ok, encoded = cv2.imencode(
        ".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, REVIEW_JPEG_QUALITY]
    )
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise ValueError("JPEG encoding failed")
    return "data:image/jpeg;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")


def _corrected_parts(page: Page, corrections: list[Any]) -> list[dict[str, Any]]:
    """The page's corrected text as runs, the corrected words marked (title: before -> after, by)."""
    fixes: dict[tuple[int, int | None], Any] = {}
    for c in corrections:
        fixes[(c.line, c.word)] = c
    parts: list[dict[str, Any]] = []
    for li, line in enumerate(page.lines):
        if li:
            parts.append({"text": "\n", "fix": False})
        whole = fixes.get((li, None))
        if whole is not None:
            parts.append(
                {"text": line.text, "fix": True, "title": f"{whole.before} \u2192 {whole.after} ({whole.by})"}
            )
            continue
        cursor = 0
        for wi, (start, end) in enumerate(line.word_spans()):
            fix = fixes.get((li, wi))
            if fix is None or start < 0:
                continue
            parts.append({"text": line.text[cursor:start], "fix": False})
            parts.append(
                {
                    "text": line.text[start:end],
                    "fix": True,
                    "title": f"{fix.before} \u2192 {fix.after} ({fix.by})",
                }
            )
            cursor = end
        parts.append({"text": line.text[cursor:], "fix": False})
    return [p for p in parts if p["text"]]


def to_review_html(document: Document, source: Any = None, *, images: bool = True) -> str:
    """The review page of ``document`` as one HTML string (UTF-8, self-contained).

    Args:
        document: a read document (with ``corrections`` and ``fields`` when those ran).
        source: the input it was read from (path, bytes, PIL image, array), for the page images;
            default: the path in ``document.source``. When the input cannot be opened the page is
            still written, with boxes and text but no images (logged).
        images: False writes no page images (and never opens ``document.source``: a server must not
            read a path a client named).

    Returns:
        The HTML text.
    """
    import jinja2

    page_uris: dict[int, str] = {}  # JPEG data, made page by page (the arrays are not kept)
    if images:
        try:
            for number, array in page_images(document, source if source is not None else document.source):
                page_uris[number] = _data_uri(array)
        except Exception as exc:
            log.warning("%s: page images not available for the review (%s)", document.source, exc)
    raw_pages = document.raw_text.split("\f") if document.raw_text is not None else None
    pages = []
    for index, page in enumerate(document.pages):
        corrections = [c for c in document.corrections if c.page == page.number]
        pages.append(
            {
                "number": page.number,
                "width": page.width,
                "height": page.height,
                "engine": page.engine,
                "image": page_uris.get(page.number),
                "words": [
                    {
                        "x": w.bbox[0],
                        "y": w.bbox[1],
                        "w": max(1, w.bbox[2] - w.bbox[0]),
                        "h": max(1, w.bbox[3] - w.bbox[1]),
                        "text": w.text,
                        "conf": round(w.confidence, 3),
                        "colour": _colour(w.confidence),
                    }
                    for w in page.words
                ],
                "raw": raw_pages[index] if raw_pages is not None and index < len(raw_pages) else page.text,
                "corrected": _corrected_parts(page, corrections),
                "corrections": [
                    {
                        "line": (c.line + 1) if c.line is not None else "",
                        "before": c.before,
                        "after": c.after,
                        "by": c.by,
                    }
                    for c in corrections
                ],
                "steps": [_step_row(s.name, s.params) for s in page.preprocessing],
            }
        )
    fields = []
    checks: list[dict[str, str]] = []
    if document.fields:
        details = document.fields.get("check_details") or {}
        for name, value in document.fields.items():
            if name == "checks" and isinstance(value, dict):
                checks = [
                    {
                        "name": k.replace("_", " "),
                        "state": str(v),
                        "label": _CHECK_LABELS.get(str(v), str(v)),
                        "detail": details.get(k, "") if isinstance(details, dict) else "",
                    }
                    for k, v in value.items()
                ]
            elif isinstance(value, dict) and "value" in value:
                fields.append(
                    {
                        "name": name,
                        "value": value.get("value"),
                        "text": _read_as(name, value, document.fields),
                        "confidence": float(value.get("confidence") or 0.0),
                        "page": value.get("page"),
                        "bbox": list(value.get("bbox") or [0, 0, 0, 0]),
                        "source": value.get("source"),
                    }
                )
    words = [w for page in document.pages for w in page.words]
    chars = sum(len(w.text) for w in words) or 1
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return environment.from_string(_TEMPLATE).render(
        source=printable_name(document.source),
        pages=pages,
        fields=fields,
        checks=checks,
        corrections=document.corrections,
        corrected_at_all=document.raw_text is not None,
        word_count=len(words),
        mean_confidence=sum(w.confidence * len(w.text) for w in words) / chars,
    )
