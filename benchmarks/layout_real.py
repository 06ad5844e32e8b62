"""Reading order on real public pages nobody here wrote, clearocr beside Tesseract (not a test).

The pages are OCRmyPDF's test resources, taken from its source distribution on PyPI (pinned, sha256
checked; downloaded once with ``pip download`` into ``--cache``). Their licences are in that
distribution's ``tests/resources/README.rst``; nothing of them is copied into this repository.

* ``linn.png``: a 300 dpi scan of a brochure page (Wikimedia, LinnSequencer): a title and bullets
  across the page, two columns with headings, then bullets across the page again and an address;
* ``poster.pdf``: the same page as a 25 x 50 inch PDF page;
* ``skew.pdf``: the same page skewed inside a letter-size PDF page;
* ``c03-29.pdf``: a scanned book page (Project Gutenberg, Huckleberry Finn, chapter 3) with an
  illustration that the first paragraphs run beside;
* ``epson.pdf``: a printed Wikipedia article (one column, a boxed table of contents).

For the three Linn pages the reading order was read off the page image by eye and is checked through
anchors, short phrases in that order (:data:`LINN_ANCHORS`): each is looked for in the output with
rapidfuzz's partial alignment (score 85 or more), and of the pairs both found the share in order is
reported. The other two pages have no reference: their outputs are written beside the JSON (a
folder the repository ignores: the pages' text is theirs) to be judged by eye. Tesseract 5 reads the same pages (``--psm 3``), PDF pages rendered at up to 300 dpi
with the long side at most 4000 pixels.

    python benchmarks/layout_real.py --json benchmarks/results/layout_real.json
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

from layout_order import write_results

ROOT = Path(__file__).resolve().parent.parent
SDIST = "ocrmypdf-17.13.0.tar.gz"
SDIST_SHA256 = "151c35d810eb628fbc5cb9bbe80b834ecf094737efa0e7a2e9e1fac3c730ed49"
PAGES = ["linn.png", "poster.pdf", "skew.pdf", "c03-29.pdf", "epson.pdf"]

#: The Linn page's order, read off the image: title, bullets, left column (two headed sections), right
#: column (its last paragraph, then two headed sections), the bullets across the page, the address.
LINN_ANCHORS = [
    "The LinnSequencer",
    "32 Track MIDI Sequence Recorder",
    "is a state",
    "Operation is similar",
    "Optional remote control",
    "Recording a Sequence",
    "To record a sequence",
    "sustain pedal",
    "Editing",
    "To erase a wrong note",
    "simply use LOCATE",
    "unwanted sections",
    "Creating a Song",
    "One way to create",
    "Composition Without Compromise",
    "See your Linn dealer",
    "Additional Features",
    "Simple, easy to learn",
    "Any TIME SIGNATURE",
    "Linn Electronics",
]


def fetch(cache: Path) -> Path:
    """The OCRmyPDF test resources folder, downloading and unpacking the pinned sdist on first use."""
    resources = cache / SDIST.removesuffix(".tar.gz") / "tests" / "resources"
    if resources.is_dir():
        return resources
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / SDIST
    if not archive.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "ocrmypdf==17.13.0",
             "-d", str(cache)],
            check=True,
        )  # fmt: skip
    if hashlib.sha256(archive.read_bytes()).hexdigest() != SDIST_SHA256:
        raise SystemExit(f"{archive}: sha256 differs from the pinned one")
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if "/tests/resources/" in m.name and m.isfile()]
        tar.extractall(cache, members=members, filter="data")
    return resources


def anchor_order(text: str, anchors: list[str]) -> tuple[int, int, int]:
    """``(anchors found, pairs in order, pairs)`` of ``anchors`` in ``text`` (see the module docstring)."""
    from rapidfuzz import fuzz

    folded = " ".join(text.split()).casefold()
    positions = []
    for anchor in anchors:
        match = fuzz.partial_ratio_alignment(anchor.casefold(), folded)
        positions.append(match.dest_start if match is not None and match.score >= 85 else None)
    found = [p for p in positions if p is not None]
    pairs = len(found) * (len(found) - 1) // 2
    ordered = sum(1 for i in range(len(found)) for j in range(i + 1, len(found)) if found[i] < found[j])
    return len(found), ordered, pairs


def page_image(path: Path) -> Any:
    """The page as a PIL image: the file itself, or a PDF's first page at up to 300 dpi (long side at
    most 4000 pixels)."""
    from PIL import Image

    if path.suffix != ".pdf":
        return Image.open(path).convert("RGB")
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument(str(path))[0]
    width, height = page.get_size()
    scale = min(300 / 72, 4000 / max(width, height))
    return page.render(scale=scale).to_pil().convert("RGB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=str(ROOT / "benchmarks" / "data" / "ocrmypdf-resources"))
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "layout_real.json"))
    parser.add_argument("--no-tesseract", action="store_true", help="clearocr only")
    args = parser.parse_args()

    import clearocr

    resources = fetch(Path(args.cache))
    out = Path(args.json).with_suffix("")
    out.mkdir(parents=True, exist_ok=True)
    api = None
    if not args.no_tesseract:
        import tesserocr

        from clearocr.engines.tesseract import tessdata_dir

        api = tesserocr.PyTessBaseAPI(path=tessdata_dir() or "", lang="eng", psm=tesserocr.PSM.AUTO)
    reader = clearocr.Reader()
    rows = []
    for name in PAGES:
        path = resources / name
        programs: list[tuple[str, Any]] = [("clearocr", lambda p: reader.read(p, languages="en").text)]
        if api is not None:
            programs.append(("tesseract", lambda p: (api.SetImage(page_image(p)), str(api.GetUTF8Text()))[1]))
        for program, read in programs:
            started = time.perf_counter()
            text = read(path)
            seconds = time.perf_counter() - started
            (out / f"{name}.{program}.txt").write_text(text)
            row: dict[str, Any] = {"page": name, "program": program, "seconds": round(seconds, 2)}
            if name in ("linn.png", "poster.pdf", "skew.pdf"):
                found, ordered, pairs = anchor_order(text, LINN_ANCHORS)
                row.update(anchors=len(LINN_ANCHORS), found=found, pairs_in_order=ordered, pairs=pairs)
            rows.append(row)
            print(
                f"{name}: {program} {row.get('pairs_in_order', '-')}/{row.get('pairs', '-')}", file=sys.stderr
            )
    reader.close()
    if api is not None:
        api.End()
    table = ["| page | program | anchors found | pairs in order | s |", "|---|---|---:|---:|---:|"]
    for row in rows:
        share = f"{row['pairs_in_order'] / row['pairs']:.1%}" if row.get("pairs") else "by eye"
        found = f"{row['found']}/{row['anchors']}" if "found" in row else "-"
        table.append(f"| {row['page']} | {row['program']} | {found} | {share} | {row['seconds']} |")
    write_results(
        args.json, table, [], rows, outputs=str(out.relative_to(ROOT) if out.is_relative_to(ROOT) else out)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
