"""Markdown reading order vs the ground truth, on the scribeocr benchmark pages.

For each page of ../shared/data/scribeocr-benchmark (hand-corrected hOCR; it has lines, no
paragraph elements), clearocr reads the image and writes Markdown. Each ground-truth line of at least
``--min-words`` word tokens is looked up in the Markdown by its first three tokens. Reported per page
type:

* **found**: share of GT lines whose start is in the Markdown as a run (a misread word in the first
  three loses the line; this is OCR accuracy as much as layout);
* **in order**: share of consecutive found GT lines that come later in the Markdown. The GT's order
  is its hOCR order; the benchmark's README warns that it was not verified on multi-column pages,
  so read the multicol figures with that.

Nothing here was tuned on these pages: the paragraph thresholds (clearocr.layout.paragraphs) were
set on rendered test pages.

    python benchmarks/markdown_order.py --json benchmarks/results/markdown_order.json
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from ocr_accuracy import hocr_lines  # noqa: E402

from clearocr import Reader  # noqa: E402
from clearocr.export.markdown import to_markdown  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "scribeocr-benchmark"


def _tokens(text: str) -> list[str]:
    return [t for t in re.findall(r"\w+", text.lower()) if len(t) > 1]


def gt_lines(hocr: Path) -> list[list[str]]:
    """The ground truth's lines, in the file's order, as lower-case word tokens (lines read by
    ocr_accuracy's :func:`hocr_lines`)."""
    return [_tokens(text) for _, text in hocr_lines(hocr)]


def score(lines: list[list[str]], markdown: str, min_words: int) -> tuple[int, int, int, int]:
    """(lines found, lines, consecutive found pairs in order, consecutive found pairs): a line is
    found where its first three tokens occur in sequence in the Markdown (the first occurrence
    after the previous line's position, else the first anywhere)."""
    stream = _tokens(markdown)
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i in range(len(stream) - 2):
        index[tuple(stream[i : i + 3])].append(i)
    positions: list[int] = []
    found = total = 0
    previous = -1
    for words in lines:
        if len(words) < min_words:
            continue
        total += 1
        hits = index.get(tuple(words[:3]), [])
        if not hits:
            continue
        found += 1
        after = [h for h in hits if h > previous]
        previous = after[0] if after else hits[0]
        positions.append(previous)
    pairs = list(zip(positions, positions[1:]))
    return found, total, sum(1 for a, b in pairs if b > a), len(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--min-words", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = []
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    with Reader() as reader:
        for hocr in sorted((DATA / "gt_hocr").glob("*.hocr")):
            stem = hocr.name.split(".")[0]
            images = [p for p in (DATA / "img").glob(stem + ".*")]
            if not images:
                continue
            document = reader.read(str(images[0]))
            kept, total, ordered, pairs = score(gt_lines(hocr), to_markdown(document), args.min_words)
            kind = re.sub(r"_\d+$", "", stem)
            for i, v in enumerate((kept, total, ordered, pairs)):
                by_kind[kind][i] += v
            rows.append(
                {
                    "page": stem,
                    "kind": kind,
                    "found": kept,
                    "lines": total,
                    "ordered": ordered,
                    "pairs": pairs,
                }
            )
            print(f"{stem:16} found {kept:3}/{total:<3} in order {ordered:3}/{pairs:<3}", flush=True)
    print(f"\n{'kind':12} {'found':>12} {'in order':>12}")
    summary = {}
    for kind, (kept, total, ordered, pairs) in sorted(by_kind.items()):
        summary[kind] = {
            "found": kept / total if total else None,
            "in_order": ordered / pairs if pairs else None,
            "lines": total,
            "pairs": pairs,
        }
        print(
            f"{kind:12} {kept:4}/{total:<4} {kept / total if total else 0:5.1%}   {ordered:4}/{pairs:<4} "
            f"{ordered / pairs if pairs else 0:5.1%}"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "date": time.strftime("%Y-%m-%d"),
                    "min_words": args.min_words,
                    "summary": summary,
                    "rows": rows,
                },
                indent=2,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
