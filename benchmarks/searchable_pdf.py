"""Searchable PDF check: does the invisible text layer read back as the OCR text, on the OCR boxes?

For each input: ``clearocr.read`` -> ``to_pdf`` -> poppler's ``pdftotext -raw`` (content-stream order)
and ``pdftotext -bbox`` (word boxes), then:

* CER between the document's text and pdftotext's (whitespace normalised: runs of spaces and line
  breaks compared as one space, since pdftotext decides line breaks itself), and without any
  whitespace (pdftotext puts spaces where glyphs leave gaps, e.g. around Chinese quotation marks);
* the share of OCR words whose box, mapped into PDF points through the same page transform the
  text layer was grafted with, overlaps a pdftotext word with the same text at IoU >= 0.5 (for a
  word inside a longer pdftotext word, as pdftotext joins Chinese characters into runs, the part of
  that word's box its characters take, split evenly);
* the page count and every page's size (MediaBox), input vs output;
* for PDF inputs, whether the input's fonts are all still in the output (``pdffonts``);
* with ``--ocrmypdf``, for PDF inputs: CER between ``ocrmypdf --plugin clearocr --force-ocr``'s text
  layer (pdftotext) and clearocr's own text.

Usage::

    python benchmarks/searchable_pdf.py samples/invoice-3pages-scanned.pdf samples/invoice-3pages.pdf \\
        --sroie 10 --omnidoc-zh 1 --ocrmypdf --json benchmarks/results/searchable_pdf.json

``--sroie N`` adds the first N receipts of ../shared/data/sroie2019 (images -> PDF); ``--omnidoc-zh N``
adds N Chinese pages of ../shared/data/omnidocbench-demo (read with ``--lang zh``). Needs poppler-utils.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

from clearocr import Reader  # noqa: E402
from clearocr.export.pdf import device_to_page, matrix3, to_pdf  # noqa: E402
from clearocr.metrics import cer  # noqa: E402
from clearocr.options import ReadOptions  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def pdftotext_words(pdf: Path) -> list[list[tuple[str, tuple[float, float, float, float]]]]:
    """Words per page from ``pdftotext -bbox``: (text, (x0, y0, x1, y1)) in points, top-left origin."""
    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for page in html.split("<page ")[1:]:
        words = []
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page
        ):
            words.append((_unescape(m.group(5)), tuple(float(m.group(i)) for i in range(1, 5))))
        pages.append(words)
    return pages


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _sub_boxes(text: str, box: tuple[float, ...], word: str) -> list[tuple[float, ...]]:
    """Where ``word`` sits inside pdftotext's word ``text`` (its box split evenly by characters):
    the whole box for an equal word; for a Chinese run, the part holding each occurrence."""
    if not word or word not in text:
        return []
    step = (box[2] - box[0]) / len(text)
    out, start = [], text.find(word)
    while start >= 0:
        out.append((box[0] + step * start, box[1], box[0] + step * (start + len(word)), box[3]))
        start = text.find(word, start + 1)
    return out


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    import pikepdf

    with pikepdf.open(pdf) as doc:
        return [
            tuple(round(float(v), 2) for v in (p.mediabox[2] - p.mediabox[0], p.mediabox[3] - p.mediabox[1]))
            for p in doc.pages
        ]


def fonts(pdf: Path) -> set[str]:
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    return {line.split()[0] for line in out.splitlines()[2:] if line.strip()}


def check(reader: Reader, path: Path, options: ReadOptions, workdir: Path, ocrmypdf: bool = False) -> dict:
    started = time.perf_counter()
    document = reader.read(str(path), options)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    data = to_pdf(document)
    pdf_s = time.perf_counter() - started
    out = workdir / (path.stem + ".searchable.pdf")
    out.write_bytes(data)
    raw = subprocess.run(
        ["pdftotext", "-raw", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    text_cer = cer(_norm(document.text), _norm(raw.replace("\f", " ")))
    letters_cer = cer(re.sub(r"\s+", "", document.text), re.sub(r"\s+", "", raw))
    extracted = pdftotext_words(out)
    matched = total = 0
    for index, page in enumerate(document.pages):
        if page.text_source != "ocr" or page.source_size is None:
            continue
        # box pixels -> source pixels -> PDF user space -> pdftotext's top-left points
        to_user = device_to_page(data, index, *page.source_size) @ np.linalg.inv(matrix3(page.transform))
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(data)
        width_pt, height_pt = doc[index].get_size()
        left, bottom, _, top = doc[index].get_cropbox()
        doc.close()
        candidates = extracted[index]
        for word in page.words:
            corners = [
                to_user @ np.array([x, y, 1.0])
                for x in (word.bbox[0], word.bbox[2])
                for y in (word.bbox[1], word.bbox[3])
            ]
            xs = [c[0] - left for c in corners]
            ys = [top - c[1] for c in corners]
            box = (min(xs), min(ys), max(xs), max(ys))
            total += 1
            best = max(
                (iou(box, sub) for t, b in candidates for sub in _sub_boxes(t, b, word.text)), default=0.0
            )
            matched += best >= 0.5
    sizes_in = page_sizes(path) if path.suffix.lower() == ".pdf" else None
    sizes_out = page_sizes(out)
    result = {
        "input": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
        "pages": len(sizes_out),
        "cer_pdftotext_vs_text": round(text_cer, 4),
        "cer_without_spaces": round(letters_cer, 4),
        "words": total,
        "words_iou_0.5": round(matched / total, 4) if total else None,
        "read_s": round(read_s, 2),
        "pdf_s": round(pdf_s, 2),
        "bytes_in": path.stat().st_size,
        "bytes_out": len(data),
    }
    if ocrmypdf and path.suffix.lower() == ".pdf":
        plugin_out = workdir / (path.stem + ".ocrmypdf.pdf")
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ocrmypdf",
                "--plugin",
                "clearocr",
                "--output-type",
                "pdf",
                "--force-ocr",
                str(path),
                str(plugin_out),
            ],
            check=True,
            capture_output=True,
        )
        result["ocrmypdf_plugin_s"] = round(time.perf_counter() - started, 2)
        plugin_text = subprocess.run(
            ["pdftotext", "-raw", str(plugin_out), "-"], capture_output=True, text=True, check=True
        ).stdout
        result["ocrmypdf_plugin_cer_vs_text"] = round(
            cer(_norm(document.text), _norm(plugin_text.replace("\f", " "))), 4
        )
    if sizes_in is not None:
        result["page_sizes_equal"] = sizes_in == [sizes_out[p.number - 1] for p in document.pages]
        result["fonts_kept"] = fonts(path) <= fonts(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("inputs", nargs="*", type=Path)
    parser.add_argument("--sroie", type=int, default=0, help="first N SROIE receipts")
    parser.add_argument("--omnidoc-zh", type=int, default=0, help="N Chinese OmniDocBench pages")
    parser.add_argument(
        "--ocrmypdf",
        action="store_true",
        help="also run `ocrmypdf --plugin clearocr --force-ocr` on PDF inputs and compare its text",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    jobs: list[tuple[Path, ReadOptions]] = [(p, ReadOptions()) for p in args.inputs]
    if args.sroie:
        ids = (SHARED / "sroie2019" / "ids.txt").read_text().split()[: args.sroie]
        jobs += [(SHARED / "sroie2019" / "img" / f"{i}.jpg", ReadOptions()) for i in ids]
    if args.omnidoc_zh:
        meta = json.loads((SHARED / "omnidocbench-demo" / "OmniDocBench_demo.json").read_text())
        chosen = [m for m in meta if m["page_info"]["page_attribute"].get("language") == "simplified_chinese"]
        for m in chosen[: args.omnidoc_zh]:
            jobs.append(
                (
                    SHARED / "omnidocbench-demo" / "images" / m["page_info"]["image_path"],
                    ReadOptions(languages=["zh"]),
                )
            )
    rows = []
    with Reader() as reader, tempfile.TemporaryDirectory() as tmp:
        for path, options in jobs:
            rows.append(check(reader, path, options, Path(tmp), args.ocrmypdf))
            r = rows[-1]
            print(
                f"{r['input'][-60:]:60} pages {r['pages']:2}  CER {r['cer_pdftotext_vs_text']:.2%} ({r['cer_without_spaces']:.2%} w/o spaces)  "
                f"IoU>=0.5 {r['words_iou_0.5'] if r['words_iou_0.5'] is None else format(r['words_iou_0.5'], '.1%')} "
                f"of {r['words']}  sizes {r.get('page_sizes_equal', '-')}  fonts {r.get('fonts_kept', '-')}  "
                f"{r['bytes_in']:,} -> {r['bytes_out']:,} B"
                + (
                    f"  ocrmypdf plugin CER {r['ocrmypdf_plugin_cer_vs_text']:.2%}"
                    if "ocrmypdf_plugin_cer_vs_text" in r
                    else ""
                ),
                flush=True,
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
