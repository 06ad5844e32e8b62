"""OCR accuracy and speed on the real evaluation sets in ../shared/data (not a test).

    python benchmarks/ocr_accuracy.py                       # everything, both engines
    python benchmarks/ocr_accuracy.py --engines rapidocr --datasets sroie --limit 20

Each engine runs in its own child process (so its peak RSS is its own), over the datasets:

* sroie: the 90 SROIE 2019 receipts (ground truth: the line transcripts of ``box/NNN.csv``).
* scribeocr: 10 printed English pages (``gt_text_derived``; its line order is not verified, so a
  bag-of-words F1 is reported beside CER/WER). scribeocr-lines: the same readings with each word
  placed on the ground-truth line whose box holds it (:func:`text_on_lines`), so that CER measures
  recognition and line grouping without the order of lines. scribeocr-ordered: the same readings
  against the ground truth's lines put in a hand-verified reading order on the 7 pages where the
  ground truth's own order is not one (``benchmarks/data/scribeocr_order.json``: tables and forms
  row by row, columns one after the other, an org chart box by box).
* omnidoc-zh: the Chinese OmniDocBench pages (text blocks of ``OmniDocBench_demo.json`` in their
  annotated reading order; tables, formulas and figures excluded); CER without whitespace.
  omnidoc-zh-text: the same readings, with the words whose centre lies inside an annotated table,
  figure, formula or "abandon" region left out of the output too, as OmniDocBench's own text metric
  compares text blocks only (the reference has no text for those regions, so on the full output
  every character of a table counts as an insertion). omnidoc-zh-tables: the same readings against
  the page's text blocks and its tables, each table's cells read row by row from its ground-truth
  HTML (:func:`html_table_text`), all in the annotated reading order, so that the whole output is
  scored, tables included (text inside figures has no ground truth and still counts as insertions;
  blocks with no annotated order, such as footnotes and page footers, come last).
* iam: the IAM handwritten paragraphs (white-on-black as shipped; the pipeline inverts them).
* rotation: the first 10 SROIE receipts turned by 90, 180 and 270 degrees, vs the same upright.

Text normalisation (clearocr.metrics.normalize_text): NFKC; every whitespace run, line breaks included,
becomes one space, so CER/WER measure the page read as one string in reading order. SROIE is compared
upper-cased (its ground truth is upper case); Chinese with all whitespace removed.
Outputs: a Markdown table (stdout and --markdown) and the raw per-document numbers (--json).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("CLEAROCR_DATA", ROOT.parent / "shared" / "data"))


def sroie_items(limit: int | None) -> list[dict]:
    """SROIE receipts; the ground-truth segments are put in reading order from their own boxes (the
    CSV order is arbitrary in places) by the pipeline's row grouping, without column detection."""
    from clearocr.document import Line, Word
    from clearocr.geometry import quad_to_bbox
    from clearocr.layout import reading_order

    folder = DATA / "sroie2019"
    ids = (folder / "ids.txt").read_text().split()
    items = []
    for doc_id in ids[:limit]:
        segments = []
        for row in (folder / "box" / f"{doc_id}.csv").read_text(encoding="utf-8").splitlines():
            parts = row.split(",", 8)
            if len(parts) == 9 and parts[8].strip():
                coords = [int(v) for v in parts[:8]]
                bbox = quad_to_bbox(list(zip(coords[0::2], coords[1::2])))
                text = parts[8].strip()
                segments.append(Line(text, bbox, 1.0, [Word(text, bbox, 1.0)]))
        reference = "\n".join(line.text for line in reading_order(segments, columns=False))
        items.append({"id": doc_id, "path": str(folder / "img" / f"{doc_id}.jpg"), "reference": reference})
    return items


#: The hand-verified reading order of the scribeocr pages whose ground-truth order is not one
#: (see its ``_about``): the ``scribeocr-ordered`` variant's reference.
SCRIBE_ORDER = Path(__file__).resolve().parent / "data" / "scribeocr_order.json"


def scribe_items(limit: int | None) -> list[dict]:
    folder = DATA / "scribeocr-benchmark"
    orders = json.loads(SCRIBE_ORDER.read_text(encoding="utf-8"))
    items = []
    for image in sorted((folder / "img").iterdir())[:limit]:
        reference = (folder / "gt_text_derived" / f"{image.stem}.txt").read_text(encoding="utf-8")
        hocr = next((folder / "gt_hocr").glob(f"{image.stem}*.hocr"))
        lines = hocr_lines(hocr)
        ordered = ordered_lines(lines, orders[image.stem]) if image.stem in orders else reference
        items.append(
            {
                "id": image.stem,
                "path": str(image),
                "reference": reference,
                "lines": lines,
                "references": {"ordered": ordered},
            }
        )
    return items


def ordered_lines(lines: list[tuple[tuple[float, float, float, float], str]], steps: list[str]) -> str:
    """The text of ``lines`` (hOCR ``(bbox, text)``) in the order ``steps`` give (the format of
    ``benchmarks/data/scribeocr_order.json``): ``"A-B"`` or ``"A"`` takes those lines (0-based) as
    they are; ``"rows X0 Y0 X1 Y1"`` takes the unused lines whose centre lies in that box, joined into
    rows (vertical overlap of at least half the smaller height), rows top to bottom, words left to
    right. The row grouping is deliberately simpler than, and separate from, the pipeline's
    (:func:`clearocr.layout.reading_order`), so that the reference does not share its rules.

    Raises:
        ValueError: a line is used twice or not at all.
    """
    used: list[int] = []
    out: list[str] = []
    for step in steps:
        if step.startswith("rows "):
            x0, y0, x1, y1 = (float(v) for v in step.split()[1:])
            inside = [
                i
                for i, (b, _) in enumerate(lines)
                if i not in used and x0 <= (b[0] + b[2]) / 2 <= x1 and y0 <= (b[1] + b[3]) / 2 <= y1
            ]
            rows: list[list[int]] = []
            for i in sorted(inside, key=lambda i: (lines[i][0][1] + lines[i][0][3]) / 2):
                b = lines[i][0]
                for row in rows:
                    r = lines[row[0]][0]
                    overlap = min(b[3], r[3]) - max(b[1], r[1])
                    if overlap >= 0.5 * min(b[3] - b[1], r[3] - r[1]):
                        row.append(i)
                        break
                else:
                    rows.append([i])
            for row in rows:
                out.append(" ".join(lines[i][1] for i in sorted(row, key=lambda i: lines[i][0][0])))
            used += inside
        else:
            first, _, last = step.partition("-")
            span = list(range(int(first), int(last or first) + 1))
            out += [lines[i][1] for i in span]
            used += span
    if sorted(used) != list(range(len(lines))):
        missing = sorted(set(range(len(lines))) - set(used))
        raise ValueError(f"reading order: lines used twice or missing (missing {missing[:10]})")
    return "\n".join(out)


#: hOCR classes of a line of words (the hOCR 1.2 spec's line-level elements).
HOCR_LINE_CLASSES = ("ocr_line", "ocr_caption", "ocr_header", "ocr_textfloat")


def hocr_lines(path: Path) -> list[tuple[tuple[float, float, float, float], str]]:
    """``(bbox, text)`` of each line of an hOCR file, in file order (the order ``gt_text_derived`` has)."""
    import xml.etree.ElementTree as ET

    lines = []
    for element in ET.parse(path).getroot().iter():
        if element.get("class") not in HOCR_LINE_CLASSES:
            continue
        words = [
            "".join(word.itertext()).strip() for word in element.iter() if word.get("class") == "ocrx_word"
        ]
        title = element.get("title", "")
        box = title.split("bbox", 1)[1].split(";", 1)[0].split() if "bbox" in title else None
        if box and any(words):
            lines.append((tuple(float(v) for v in box), " ".join(w for w in words if w)))
    return lines


def text_on_lines(document, lines: list[tuple[tuple[float, float, float, float], str]]) -> str:
    """The document's words placed on the reference's lines: the ``-lines`` variant's hypothesis.

    Each recognised word goes to the reference line whose box holds the word's centre (mapped back
    onto the input image by the inverse of ``Page.transform``; a quarter of the line's height of
    slack above and below; the nearest line by height when several do), words of one line are
    ordered left to right, and the lines are joined in the reference's order. Words on no line are
    appended at the end, so they count as insertions. CER on this text measures recognition and line
    grouping but not the order of lines, which the scribeocr ground truth does not verify (its
    SOURCE.md advises per-word box matching for tables).
    """
    import numpy as np

    placed: list[list[tuple[float, str]]] = [[] for _ in lines]
    extra: list[str] = []
    for page in document.pages:
        inverse = np.linalg.inv(np.vstack([np.array(page.transform, dtype=float).reshape(2, 3), [0, 0, 1]]))
        for line in page.lines:
            for word in line.words:
                cx, cy = (word.bbox[0] + word.bbox[2]) / 2, (word.bbox[1] + word.bbox[3]) / 2
                x, y, _ = inverse @ np.array([cx, cy, 1.0])
                hits = [
                    i
                    for i, (b, _) in enumerate(lines)
                    if b[0] <= x <= b[2] and b[1] - 0.25 * (b[3] - b[1]) <= y <= b[3] + 0.25 * (b[3] - b[1])
                ]
                if hits:
                    best = min(hits, key=lambda i: abs((lines[i][0][1] + lines[i][0][3]) / 2 - y))
                    placed[best].append((x, word.text))
                else:
                    extra.append(word.text)
    out = [" ".join(text for _, text in sorted(words)) for words in placed]
    return "\n".join(out + [" ".join(extra)])


def omnidoc_items(limit: int | None) -> list[dict]:
    folder = DATA / "omnidocbench-demo"
    pages = json.loads((folder / "OmniDocBench_demo.json").read_text(encoding="utf-8"))
    items = []
    for page in pages:
        info = page["page_info"]
        if info["page_attribute"].get("language") != "simplified_chinese":
            continue
        blocks = [
            b
            for b in page["layout_dets"]
            if not b.get("ignore")
            and b.get("text")
            and b.get("category_type") not in ("table", "equation_isolated", "figure")
        ]
        blocks.sort(key=lambda b: b.get("order") if b.get("order") is not None else 10**6)
        reference = "\n".join(b["text"] for b in blocks)
        textless = [b for b in page["layout_dets"] if not b.get("ignore") and b not in blocks]
        tables = [b for b in textless if b.get("category_type") == "table" and b.get("html")]
        with_tables = sorted(
            blocks + tables, key=lambda b: b.get("order") if b.get("order") is not None else 10**6
        )
        items.append(
            {
                "id": info["image_path"][:40],
                "path": str(folder / "images" / info["image_path"]),
                "reference": reference,
                "exclude": [_poly_box(b["poly"]) for b in textless if b.get("poly")],
                "references": {
                    "tables": "\n".join(
                        html_table_text(b["html"]) if b in tables else b["text"] for b in with_tables
                    )
                },
            }
        )
    return items[:limit]


def html_table_text(html: str) -> str:
    """The cells of an HTML table as text, row by row (the HTML's own order): a row's cells joined by
    spaces, rows by line breaks; a cell spanning rows or columns is read once, in its first row."""
    from html.parser import HTMLParser

    class _Cells(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.rows: list[list[str]] = []
            self.cell: list[str] | None = None

        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag == "tr":
                self.rows.append([])
            elif tag in ("td", "th"):
                self.cell = []

        def handle_endtag(self, tag: str) -> None:
            if tag in ("td", "th") and self.cell is not None:
                if not self.rows:
                    self.rows.append([])
                self.rows[-1].append("".join(self.cell).strip())
                self.cell = None

        def handle_data(self, data: str) -> None:
            if self.cell is not None:
                self.cell.append(data)

    parser = _Cells()
    parser.feed(html)
    return "\n".join(" ".join(cell for cell in row if cell) for row in parser.rows)


def _poly_box(poly: list[float]) -> tuple[float, float, float, float]:
    xs, ys = poly[0::2], poly[1::2]
    return (min(xs), min(ys), max(xs), max(ys))


def text_outside(document, boxes: list[tuple[float, float, float, float]]) -> str:
    """The document's text without the words whose centre lies in one of ``boxes`` (page pixels)."""
    lines = []
    for page in document.pages:
        for line in page.lines:
            kept = [
                w.text
                for w in line.words
                if not any(
                    b[0] <= (w.bbox[0] + w.bbox[2]) / 2 <= b[2]
                    and b[1] <= (w.bbox[1] + w.bbox[3]) / 2 <= b[3]
                    for b in boxes
                )
            ]
            if kept:
                lines.append(" ".join(kept))
    return "\n".join(lines)


def iam_items(limit: int | None) -> list[dict]:
    folder = DATA / "iam-paragraphs-fsdl"
    truth = json.loads((folder / "data_by_file_id.json").read_text())
    items = []
    for image in sorted((folder / "images").glob("*.png"))[:limit]:
        items.append(
            {"id": image.stem, "path": str(image), "reference": truth[image.stem]["ground_truth_text"]}
        )
    return items


DATASETS = {
    "sroie": (sroie_items, {"languages": "en,zh"}, {"casefold": True}),
    "scribeocr": (scribe_items, {"languages": "en"}, {}),
    "omnidoc-zh": (omnidoc_items, {"languages": "zh,en"}, {"drop_spaces": True}),
    "iam": (iam_items, {"languages": "en"}, {}),
}


def run_engine(engine: str, datasets: list[str], limit: int | None, queue: mp.Queue) -> None:
    """Child process: read every document with one engine; put the per-document rows on ``queue``."""
    import numpy as np
    from PIL import Image

    import clearocr
    from clearocr.metrics import bag_of_words_f1, cer, normalize_text, wer

    rows = []
    engine_options = json.loads(os.environ.get("CLEAROCR_ENGINE_OPTIONS", "{}"))
    reader = clearocr.Reader(engine=engine, engine_options={engine: engine_options})
    for dataset in datasets:
        if dataset == "rotation":
            continue
        loader, options, norm = DATASETS[dataset]
        options = {**options, **json.loads(os.environ.get("CLEAROCR_READ_OPTIONS", "{}"))}
        if engine == "tesseract" and "zh" in options["languages"] and dataset == "sroie":
            options = {"languages": "en"}
        for item in loader(limit):
            started = time.perf_counter()
            error = None
            document = None
            try:
                document = reader.read(item["path"], **options)
                text = document.text
            except clearocr.ClearOCRError as exc:
                text, error = "", str(exc)
            seconds = time.perf_counter() - started
            variants = [(dataset, text, item["reference"])]
            if "exclude" in item:
                variants.append(
                    (
                        f"{dataset}-text",
                        text_outside(document, item["exclude"]) if document else "",
                        item["reference"],
                    )
                )
            if "lines" in item:
                variants.append(
                    (
                        f"{dataset}-lines",
                        text_on_lines(document, item["lines"]) if document else "",
                        item["reference"],
                    )
                )
            for suffix, reference in item.get("references", {}).items():
                variants.append((f"{dataset}-{suffix}", text, reference))
            for name, output, reference in variants:
                ref, hyp = normalize_text(reference, **norm), normalize_text(output, **norm)
                rows.append(
                    {
                        "engine": engine,
                        "dataset": name,
                        "id": item["id"],
                        "seconds": seconds,
                        "cer": cer(ref, hyp),
                        "wer": wer(ref, hyp) if not norm.get("drop_spaces") else None,
                        "bow_f1": None if norm.get("drop_spaces") else bag_of_words_f1(ref, hyp),
                        "ref_chars": len(ref),
                        "error": error,
                    }
                )
    if "rotation" in datasets:
        rotation_limit = min(limit or 10, 10)
        for item in sroie_items(rotation_limit):
            upright = np.asarray(Image.open(item["path"]).convert("RGB"))
            for angle in (0, 90, 180, 270):
                image = np.rot90(upright, k=angle // 90).copy()  # counter-clockwise turns
                started = time.perf_counter()
                document = reader.read(image, languages="en" if engine == "tesseract" else "en,zh")
                seconds = time.perf_counter() - started
                ref = normalize_text(item["reference"], casefold=True)
                hyp = normalize_text(document.text, casefold=True)
                rows.append(
                    {
                        "engine": engine,
                        "dataset": f"rotation-{angle}",
                        "id": item["id"],
                        "seconds": seconds,
                        "cer": cer(ref, hyp),
                        "wer": wer(ref, hyp),
                        "bow_f1": bag_of_words_f1(ref, hyp),
                        "ref_chars": len(ref),
                        "detected_rotation": document.pages[0].rotation,
                        "error": None,
                    }
                )
    reader.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put({"rows": rows, "peak_rss_mb": peak_kb / 1024.0})


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(rows: list[dict]) -> list[dict]:
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["dataset"], row["engine"]), []).append(row)
    table = []
    for (dataset, engine), items in groups.items():
        chars = sum(r["ref_chars"] for r in items) or 1
        pooled = sum(r["cer"] * r["ref_chars"] for r in items) / chars
        wers = [r["wer"] for r in items if r["wer"] is not None]
        table.append(
            {
                "dataset": dataset,
                "engine": engine,
                "documents": len(items),
                "cer_mean": sum(r["cer"] for r in items) / len(items),
                "cer_pooled": pooled,
                "wer_mean": (sum(wers) / len(wers)) if wers else None,
                "bow_f1": _mean([r["bow_f1"] for r in items if r["bow_f1"] is not None]),
                "seconds_per_page": sum(r["seconds"] for r in items) / len(items),
                "errors": sum(1 for r in items if r["error"]),
            }
        )
    order = [
        "sroie",
        "scribeocr",
        "scribeocr-lines",
        "scribeocr-ordered",
        "omnidoc-zh",
        "omnidoc-zh-text",
        "omnidoc-zh-tables",
        "iam",
        "rotation-0",
        "rotation-90",
        "rotation-180",
        "rotation-270",
    ]
    table.sort(key=lambda r: (order.index(r["dataset"]) if r["dataset"] in order else 99, r["engine"]))
    return table


def markdown(table: list[dict], peaks: dict[str, float], meta: dict) -> str:
    out = [
        "| dataset | engine | docs | CER (mean) | CER (pooled) | WER (mean) | bag-of-words F1 | s/page | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in table:
        wer_text = f"{r['wer_mean']:.1%}" if r["wer_mean"] is not None else "n/a"
        bow_text = f"{r['bow_f1']:.3f}" if r["bow_f1"] is not None else "n/a"
        out.append(
            f"| {r['dataset']} | {r['engine']} | {r['documents']} | {r['cer_mean']:.1%} | {r['cer_pooled']:.1%} | "
            f"{wer_text} | {bow_text} | {r['seconds_per_page']:.2f} | {r['errors']} |"
        )
    out.append("")
    out.append("Peak RSS per engine process: " + ", ".join(f"{k} {v:.0f} MB" for k, v in peaks.items()))
    out.append("")
    out.append(f"Machine: {meta['machine']}; command: `{meta['command']}`; date {meta['date']}.")
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="rapidocr,tesseract")
    parser.add_argument("--datasets", default="sroie,scribeocr,omnidoc-zh,iam,rotation")
    parser.add_argument("--limit", type=int, default=None, help="at most N documents per dataset")
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "ocr_accuracy.json"))
    parser.add_argument("--markdown", default=None, help="also write the table to this file")
    parser.add_argument("--summarize-only", action="store_true", help="rebuild the table from --json")
    args = parser.parse_args()
    if args.summarize_only:
        saved = json.loads(Path(args.json).read_text())
        for row in saved["documents"]:
            if row["dataset"] == "omnidoc-zh":
                row["bow_f1"] = None  # one token per page once spaces are dropped: not meaningful
        write_outputs(saved["documents"], saved["peak_rss_mb"], saved["meta"], args)
        return 0
    if not DATA.is_dir():
        print(f"data folder {DATA} not found (set CLEAROCR_DATA)", file=sys.stderr)
        return 2
    datasets = args.datasets.split(",")
    rows, peaks = [], {}
    context = mp.get_context("spawn")
    for engine in args.engines.split(","):
        queue = context.Queue()
        process = context.Process(target=run_engine, args=(engine, datasets, args.limit, queue))
        process.start()
        result = None
        while result is None:
            try:
                result = queue.get(timeout=5)
            except Exception:  # queue.Empty: check the child is still alive
                if not process.is_alive():
                    print(
                        f"engine {engine}: benchmark process died (exit {process.exitcode})", file=sys.stderr
                    )
                    return 1
        process.join()
        rows += result["rows"]
        peaks[engine] = result["peak_rss_mb"]
    meta = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "command": "python " + " ".join(sys.argv),
        "date": time.strftime("%Y-%m-%d"),
    }
    write_outputs(rows, peaks, meta, args)
    return 0


def write_outputs(rows: list[dict], peaks: dict[str, float], meta: dict, args: argparse.Namespace) -> None:
    """Print the table; write the JSON (temp file + rename) and the Markdown page, keeping its notes."""
    table = summarize(rows)
    text = markdown(table, peaks, meta)
    print(text)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(args.json + ".tmp")
    tmp.write_text(
        json.dumps({"meta": meta, "summary": table, "peak_rss_mb": peaks, "documents": rows}, indent=1)
    )
    tmp.replace(args.json)
    if args.markdown:
        header = (
            "# OCR benchmark\n\nWritten by `benchmarks/ocr_accuracy.py`; raw numbers in "
            "`benchmarks/results/ocr_accuracy.json`.\n\n```\n" + (__doc__ or "").strip() + "\n```\n\n"
        )
        from report import write_page

        write_page(args.markdown, header + text)


if __name__ == "__main__":
    sys.exit(main())
