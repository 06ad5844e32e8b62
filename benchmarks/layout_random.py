"""Reading order on randomised multi-column pages, clearocr beside Tesseract (not a test).

Every page is drawn from wide ranges by ``random.Random(seed)``, so no rule can be fitted to a page:

* 1-4 columns, gutters 1-8% of the page width, justified or ragged-right text;
* DejaVu Sans or Liberation Serif at 24-38 px (A4 at 200 dpi: about 9-14 pt), line pitch 1.2-1.6 em;
* a title across 1 to all columns, sometimes a running header and a page number;
* skew up to 3 degrees (either way), Gaussian scanner noise and JPEG compression (quality 55-95);
* by chance: a figure (grey box and caption) in a column, a ruled box of text in a column, a small
  table in a column, a table across the page under the columns, footnotes under a short rule.

Justified lines are set word by word with the spare width spread over the word gaps, so a gap inside
a line can be as wide as the gutter: the case where a text detector draws one box across two columns.

The known reading order: running header, title, then each column top to bottom, left column first,
with what it holds where it stands (a table row by row, left to right), then the table under the
columns, the footnotes, and the page number. Reported per family (columns x justified/ragged) and
per page element: CER of the page text against that order (whitespace normalised, ``clearocr.metrics``) and **pairs in order** (of all pairs of
reference lines both found in the output, the share in the reference's order), for clearocr (default
options, ``languages=en``) and for Tesseract 5 with its own page segmentation (``--psm 3`` through
tesserocr), on the same pages.

Seeds: develop on ``--first-seed 0`` and keep the report seeds (``--first-seed 1000``) unseen until a
change is final; say which seeds a figure comes from.

    python benchmarks/layout_random.py --pages 24 --first-seed 1000 --json benchmarks/results/layout_random.json
    python benchmarks/layout_random.py --pages 12 --first-seed 2000 --narrow-justified \
        --json benchmarks/results/layout_random_narrow.json
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from pathlib import Path
from typing import Any

from layout_order import FONTS, PAGE_H, PAGE_W, WORDS, order_figures, pairs_in_order, write_results

ROOT = Path(__file__).resolve().parent.parent


def _font(family: str, size: int, bold: bool = False) -> Any:
    from PIL import ImageFont

    path = Path(FONTS[family][1 if bold else 0])
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def _words_for(rng: random.Random, font: Any, width: float) -> list[str]:
    """Random words that fill one line of ``width`` pixels with single spaces."""
    words: list[str] = []
    while True:
        word = rng.choice(WORDS)
        if words and font.getlength(" ".join([*words, word])) > width:
            return words
        words.append(word)


def _draw_line(
    draw: Any, x: float, y: float, words: list[str], font: Any, width: float, justify: bool
) -> None:
    """One line at ``(x, y)``; justified lines spread the spare width over their word gaps."""
    if not justify or len(words) < 2:
        draw.text((x, y), " ".join(words), fill="black", font=font)
        return
    spare = width - sum(font.getlength(w) for w in words)
    gap = spare / (len(words) - 1)
    cursor = x
    for word in words:
        draw.text((cursor, y), word, fill="black", font=font)
        cursor += font.getlength(word) + gap


def page_parameters(seed: int, narrow_justified: bool = False) -> dict[str, Any]:
    """The random choices of one page (the page is a function of these and the seed); with
    ``narrow_justified``, two justified columns with a gutter of 1.5-3% of the width (the rest drawn
    as usual): the case where a detector draws one box across both columns."""
    if narrow_justified:
        params = page_parameters(seed)
        gutter = random.Random(f"layout-narrow-{seed}").uniform(0.015, 0.03)
        params.update(
            columns=2, justified=True, gutter=round(gutter, 4), title_span=min(params["title_span"], 2)
        )
        return params
    rng = random.Random(f"layout-random-{seed}")
    columns = rng.choice([1, 2, 2, 3, 3, 4])
    return {
        "columns": columns,
        "gutter": round(rng.uniform(0.01, 0.08), 4),
        "justified": rng.random() < 0.5,
        "font": rng.choice(sorted(FONTS)),
        "size": rng.randint(24, 38) if columns < 4 else rng.randint(24, 30),
        "pitch": round(rng.uniform(1.2, 1.6), 2),
        "title_span": rng.randint(1, columns),
        "header": rng.random() < 0.4,
        "page_number": rng.random() < 0.5,
        "skew": round(rng.uniform(-3.0, 3.0), 2) if rng.random() < 0.6 else 0.0,
        "noise": round(rng.uniform(0.0, 12.0), 1),
        "jpeg": rng.randint(55, 95) if rng.random() < 0.6 else None,
        # Drawn after the page's other choices, so that adding them left those unchanged.
        "figure": rng.random() < 0.35,
        "sidebar_box": rng.random() < 0.3,
        "table_in_column": rng.random() < 0.25,
        "table_under": rng.random() < 0.25,
        "footnotes": rng.randint(1, 3) if rng.random() < 0.35 else 0,
    }


def _table_rows(rng: random.Random, rows: int) -> list[list[str]]:
    """A small table: a header, then rows of an item, a quantity and an amount."""
    header = [rng.choice(WORDS).title(), "Qty", "Amount"]
    body = [
        [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 2))),
            str(rng.randint(1, 40)),
            f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}",
        ]
        for _ in range(rows)
    ]
    return [header, *body]


def _draw_table(
    draw: Any, x: float, y: float, width: float, rows: list[list[str]], font: Any, pitch: int
) -> list[str]:
    """Rows of cells at 0, 55% and 78% of ``width`` (amounts right-aligned); returns the rows' texts."""
    for index, cells in enumerate(rows):
        top = y + index * pitch
        draw.text((x, top), cells[0], fill="black", font=font)
        draw.text((x + 0.55 * width, top), cells[1], fill="black", font=font)
        draw.text((x + width - font.getlength(cells[2]), top), cells[2], fill="black", font=font)
    return [" ".join(cells) for cells in rows]


def _column_flow(
    rng: random.Random, params: dict[str, Any], rows: int, columns: int
) -> list[list[tuple[str, int]]]:
    """What each column holds, top to bottom: ``(kind, row slots)`` pieces, kind one of ``text``,
    ``figure`` (a grey box and a caption line), ``sidebar_box`` (a ruled box of text) and
    ``table_in_column``."""
    extras = [k for k in ("figure", "sidebar_box", "table_in_column") if params[k]]
    flows: list[list[tuple[str, int]]] = [[] for _ in range(columns)]
    placed: dict[int, list[tuple[str, int]]] = {}
    for kind in extras:
        column = rng.randrange(columns)
        size = {"figure": rng.randint(5, 9), "sidebar_box": rng.randint(5, 8), "table_in_column": 6}[kind]
        placed.setdefault(column, []).append((kind, size))
    for column in range(columns):
        left = rows
        pieces = placed.get(column, [])
        rng.shuffle(pieces)
        for kind, size in pieces:
            if left < size + 4:
                continue
            before = rng.randint(2, max(2, left - size - 2))
            flows[column] += [("text", before), (kind, size)]
            left -= before + size
        flows[column].append(("text", left))
    return flows


def render(seed: int, narrow_justified: bool = False) -> tuple[Any, list[str], dict[str, Any]]:
    """``(PIL image, reference lines in reading order, parameters)`` of one page.

    Besides the columns of text, a page may hold (each drawn by chance, see :func:`page_parameters`):
    a figure (a grey box with a caption line under it) in a column, a ruled box of text in a column
    (read where it stands), a small table in a column (rows read left to right), a table across
    the page under the columns, and footnotes across the page under a short rule. The reference
    reads: header, title, each column in turn with what it holds, the table under the columns,
    the footnotes, the page number.
    """
    import numpy as np
    from PIL import Image, ImageDraw

    params = page_parameters(seed, narrow_justified)
    rng = random.Random(f"layout-random-text-{seed}")
    image = Image.new("RGB", (PAGE_W, PAGE_H), "white")
    draw = ImageDraw.Draw(image)
    margin = 120
    columns, gutter = params["columns"], params["gutter"] * PAGE_W
    column_width = (PAGE_W - 2 * margin - (columns - 1) * gutter) / columns
    font = _font(params["font"], params["size"])
    small = _font(params["font"], max(20, int(params["size"] * 0.8)))
    pitch = int(params["size"] * params["pitch"])
    reference: list[str] = []
    y = margin
    if params["header"]:
        header = " ".join(rng.choice(WORDS) for _ in range(3)).title()
        draw.text((margin, y), header, fill="black", font=_font(params["font"], 24))
        reference.append(header)
        y += 60
    title_font = _font(params["font"], int(params["size"] * 1.7), bold=True)
    title_width = params["title_span"] * column_width + (params["title_span"] - 1) * gutter
    title = _words_for(rng, title_font, title_width * 0.9)[:8]
    draw.text((margin, y), " ".join(title), fill="black", font=title_font)
    reference.append(" ".join(title))
    y += int(params["size"] * 1.7 * 1.8)
    bottom = PAGE_H - margin - (80 if params["page_number"] else 0)
    small_pitch = int(small.size * 1.4)
    footnotes = [
        _words_for(rng, small, PAGE_W - 2 * margin)[: rng.randint(6, 14)] for _ in range(params["footnotes"])
    ]
    if footnotes:
        bottom -= len(footnotes) * small_pitch + 30
    under = _table_rows(rng, rng.randint(3, 5)) if params["table_under"] else []
    if under:
        bottom -= len(under) * pitch + pitch
    rows = max(1, int((bottom - y) // pitch))
    for column, flow in enumerate(_column_flow(rng, params, rows, columns)):
        x = margin + column * (column_width + gutter)
        row = 0
        for kind, size in flow:
            top = y + row * pitch
            if kind == "figure":
                draw.rectangle(
                    (x, top + 8, x + column_width, top + (size - 1) * pitch - 8), fill=(190, 190, 190)
                )
                caption = ["Figure", str(rng.randint(1, 9))] + _words_for(rng, small, column_width - 80)[:4]
                draw.text((x, top + (size - 1) * pitch), " ".join(caption), fill="black", font=small)
                reference.append(" ".join(caption))
            elif kind == "sidebar_box":
                draw.rectangle(
                    (x, top + 4, x + column_width, top + size * pitch - 8), outline="black", width=2
                )
                for line in range(int((size * pitch - 40) // small_pitch)):
                    words = _words_for(rng, small, column_width - 50)
                    draw.text(
                        (x + 20, top + 18 + line * small_pitch), " ".join(words), fill="black", font=small
                    )
                    reference.append(" ".join(words))
            elif kind == "table_in_column":
                reference += _draw_table(draw, x, top, column_width, _table_rows(rng, size - 2), small, pitch)
            else:
                for line in range(size):
                    words = _words_for(rng, font, column_width)
                    last_of_paragraph = rng.random() < 0.12
                    justify = params["justified"] and not last_of_paragraph
                    _draw_line(draw, x, y + (row + line) * pitch, words, font, column_width, justify)
                    reference.append(" ".join(words))
            row += size
    cursor = y + rows * pitch + pitch
    if under:
        reference += _draw_table(draw, margin, cursor, PAGE_W - 2 * margin, under, font, pitch)
        cursor += len(under) * pitch
    if footnotes:
        cursor = max(
            cursor, PAGE_H - margin - (80 if params["page_number"] else 0) - len(footnotes) * small_pitch
        )
        draw.line((margin, cursor - 15, margin + 300, cursor - 15), fill="black", width=2)
        for index, words in enumerate(footnotes):
            text = f"{index + 1} " + " ".join(words)
            draw.text((margin, cursor + index * small_pitch), text, fill="black", font=small)
            reference.append(text)
    if params["page_number"]:
        number = str(rng.randint(2, 400))
        draw.text((PAGE_W / 2, PAGE_H - margin - 40), number, fill="black", font=_font(params["font"], 24))
        reference.append(number)
    if params["skew"]:
        image = image.rotate(params["skew"], resample=Image.BICUBIC, expand=True, fillcolor="white")
    if params["noise"]:
        noisy = np.asarray(image, dtype=np.float32) + np.random.default_rng(seed).normal(
            0, params["noise"], (image.height, image.width, 1)
        )
        image = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    if params["jpeg"]:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=params["jpeg"])
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return image, reference, params


def family(params: dict[str, Any]) -> str:
    """The reporting family of a page: columns and justification."""
    if params["columns"] == 1:
        return "1 column"
    return f"{params['columns']} columns, {'justified' if params['justified'] else 'ragged'}"


def read_tesseract(api: Any, image: Any) -> str:
    """Tesseract's own page segmentation and reading order (``--psm 3``)."""
    api.SetImage(image)
    return str(api.GetUTF8Text())


class LayoutClock:
    """Seconds spent in layout analysis during reads: binarising the page for gutters, the gutter
    search, reading order, and the layout model's and ruled boxes' passes where they run (the
    pipeline's calls of those public functions, timed outermost only, so nested calls count once)."""

    NAMES = ("text_columns", "reading_order", "layout_blocks", "ruled_boxes", "boxed_blocks", "has_columns")

    def __init__(self) -> None:
        import clearocr.layout
        import clearocr.pipeline as pipeline

        self.seconds = 0.0
        self._busy = False
        # Names an older clearocr lacks are skipped, so the same command measures a "before" tree.
        for name in self.NAMES:
            if hasattr(pipeline, name):
                setattr(pipeline, name, self._timed(getattr(pipeline, name)))
        clock = self
        ink_page = getattr(clearocr.layout, "InkPage", None)
        if ink_page is not None:

            class TimedInk(ink_page):  # type: ignore[misc, valid-type]
                @classmethod
                def from_image(cls, image: Any, scale: float = 1.0) -> Any:
                    return clock._timed(ink_page.from_image)(image, scale)

            pipeline.InkPage = TimedInk
        detector = clearocr.layout.LayoutDetector
        detector.detect = self._timed(detector.detect)  # type: ignore[method-assign]

    def _timed(self, function: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._busy:
                return function(*args, **kwargs)
            self._busy = True
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self._busy = False

        return timed


class NoLayout:
    """Layout analysis switched off in the pipeline, for paired timing (:func:`paired_time`): no page
    binarising, no ruled boxes, gutters or layout model; segments only grouped into rows top to
    bottom (``reading_order(columns=False)``), the least any reader does."""

    def __init__(self) -> None:
        import functools

        import clearocr.pipeline as pipeline

        self._pipeline = pipeline
        self._saved = (pipeline.Reader._layout_groups, pipeline.InkPage, pipeline.reading_order)
        self._plain = functools.partial(self._saved[2], columns=False)

    def __enter__(self) -> NoLayout:
        pipeline = self._pipeline

        class NoInk:
            @staticmethod
            def from_image(image: Any, scale: float = 1.0) -> None:
                return None

        pipeline.Reader._layout_groups = lambda *args, **kwargs: None  # type: ignore[method-assign]
        pipeline.InkPage = NoInk  # type: ignore[misc, assignment]
        pipeline.reading_order = self._plain
        return self

    def __exit__(self, *exc: object) -> None:
        pipeline = self._pipeline
        pipeline.Reader._layout_groups, pipeline.InkPage, pipeline.reading_order = self._saved  # type: ignore[method-assign, misc]


def paired_time(first_seed: int, pages: int, repeats: int, narrow: bool, path: str) -> int:
    """Read time with layout analysis over read time without it (:class:`NoLayout`), per page: each
    page read ``repeats`` times each way, alternating, after one warm-up read; a page's ratio is
    the ratio of its median times. Prints a table and saves JSON."""
    import statistics

    import numpy as np

    import clearocr

    reader = clearocr.Reader()
    rows = []
    for seed in range(first_seed, first_seed + pages):
        image, _, params = render(seed, narrow)
        pixels = np.asarray(image)
        reader.read(pixels, languages="en")  # warm-up (model loads, caches)
        times: dict[str, list[float]] = {"with": [], "without": []}
        for _ in range(repeats):
            for mode in ("with", "without"):
                started = time.perf_counter()
                if mode == "with":
                    reader.read(pixels, languages="en")
                else:
                    with NoLayout():
                        reader.read(pixels, languages="en")
                times[mode].append(time.perf_counter() - started)
        ratio = statistics.median(times["with"]) / statistics.median(times["without"])
        rows.append({"seed": seed, "family": family(params), "seconds": times, "ratio": ratio})
        print(f"seed {seed}: {family(params)}, ratio {ratio:.3f}", file=sys.stderr)
    reader.close()
    ratios = sorted(r["ratio"] for r in rows)
    table = [
        "| pages | repeats | median ratio (with / without layout analysis) | max |",
        "|---:|---:|---:|---:|",
        f"| {len(rows)} | {repeats} | {statistics.median(ratios):.3f} | {ratios[-1]:.3f} |",
    ]
    write_results(
        path,
        table,
        [{"median_ratio": statistics.median(ratios), "max_ratio": ratios[-1]}],
        rows,
        seeds=[first_seed, first_seed + pages - 1],
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument(
        "--first-seed", type=int, default=1000, help="0: development seeds; 1000: report seeds"
    )
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "layout_random.json"))
    parser.add_argument("--save-pages", default=None, help="also write the rendered pages (PNG) here")
    parser.add_argument("--no-tesseract", action="store_true", help="clearocr only")
    parser.add_argument(
        "--narrow-justified",
        action="store_true",
        help="every page two justified columns with a gutter of 1.5-3%% of the width",
    )
    parser.add_argument(
        "--paired-time",
        type=int,
        default=0,
        metavar="REPEATS",
        help="only time reads with and without layout analysis, alternating, REPEATS times each",
    )
    args = parser.parse_args()
    if args.paired_time:
        return paired_time(args.first_seed, args.pages, args.paired_time, args.narrow_justified, args.json)

    import numpy as np

    import clearocr
    from clearocr.metrics import cer, normalize_text

    api = None
    if not args.no_tesseract:
        import tesserocr

        from clearocr.engines.tesseract import tessdata_dir

        api = tesserocr.PyTessBaseAPI(path=tessdata_dir() or "", lang="eng", psm=tesserocr.PSM.AUTO)
    clock = LayoutClock()
    reader = clearocr.Reader()
    rows = []
    for seed in range(args.first_seed, args.first_seed + args.pages):
        image, reference, params = render(seed, args.narrow_justified)
        if args.save_pages:
            Path(args.save_pages).mkdir(parents=True, exist_ok=True)
            image.save(Path(args.save_pages) / f"page-{seed}.png")
        truth = normalize_text("\n".join(reference))
        readers: list[tuple[str, Any]] = [
            ("clearocr", lambda im: reader.read(np.asarray(im), languages="en").text)
        ]
        if api is not None:
            readers.append(("tesseract", lambda im: read_tesseract(api, im)))
        for name, read in readers:
            clock.seconds = 0.0
            started = time.perf_counter()
            text = read(image)
            seconds = time.perf_counter() - started
            layout = clock.seconds if name == "clearocr" else None
            ordered, pairs = pairs_in_order(reference, text)
            rows.append(
                {
                    "seed": seed,
                    "family": family(params),
                    "params": params,
                    "program": name,
                    "cer": cer(truth, normalize_text(text)),
                    "pairs_in_order": ordered,
                    "pairs": pairs,
                    "seconds": round(seconds, 2),
                    "seconds_layout": None if layout is None else round(layout, 4),
                }
            )
        print(
            f"seed {seed}: {family(params)}, "
            + ", ".join(f"{r['program']} {r['cer']:.1%}" for r in rows[-len(readers) :]),
            file=sys.stderr,
        )
    reader.close()
    if api is not None:
        api.End()
    programs = ["clearocr"] + (["tesseract"] if api is not None else [])
    families = sorted({r["family"] for r in rows})
    elements = {
        "with a figure": "figure",
        "with a ruled box": "sidebar_box",
        "with a table in a column": "table_in_column",
        "with a table under the columns": "table_under",
        "with footnotes": "footnotes",
    }
    header = "| family | pages | " + " | ".join(f"{p} CER | {p} pairs in order" for p in programs) + " |"
    table = [header, "|---|---:|" + "---:|---:|" * len(programs)]
    summary = []
    for name in [*families, *elements, "all"]:
        cells = []
        pages = 0
        for program in programs:
            items = [
                r
                for r in rows
                if r["program"] == program
                and (name in (r["family"], "all") or (name in elements and r["params"][elements[name]]))
            ]
            if not items:
                continue
            pages = len(items)
            mean_cer, ordered = order_figures(items)
            summary.append(
                {
                    "family": name,
                    "program": program,
                    "pages": pages,
                    "cer_mean": mean_cer,
                    "pairs_in_order": ordered,
                }
            )
            cells += [f"{mean_cer:.1%}", f"{ordered:.1%}"]
        if cells:
            table.append(f"| {name} | {pages} | " + " | ".join(cells) + " |")
    shares = sorted(
        r["seconds_layout"] / max(1e-9, r["seconds"] - r["seconds_layout"])
        for r in rows
        if r["program"] == "clearocr"
    )
    median_share = shares[len(shares) // 2] if shares else None
    if median_share is not None:
        table.append("")
        table.append(
            f"clearocr layout analysis: median {median_share:.1%} of the rest of a page's read time "
            f"(max {shares[-1]:.1%}), same reads"
        )
    write_results(
        args.json,
        table,
        summary,
        rows,
        seeds=[args.first_seed, args.first_seed + args.pages - 1],
        layout_time_share_median=median_share,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
