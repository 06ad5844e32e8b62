"""Is a PDF's text layer used only when it is good? (not a test)

The scanned sample (``samples/invoice-3pages-scanned.pdf``, 3 pages, no text layer) is read with OCR
(``pdf_text="ocr"``); that reading is the reference. Copies of the PDF are then made with a text layer
written by clearocr's own searchable-PDF writer (:func:`clearocr.pdf.to_pdf`) from a doctored copy of
that reading, and each copy is read with the default ``pdf_text="auto"``:

* ``faithful``: the OCR text itself (the layer should be used; CER near 0);
* ``garbled``: 40% of the letters of every word replaced by random letters (an old, bad OCR layer);
* ``misplaced``: the words' texts shuffled among the word boxes of each page (real words, wrong
  places: a layer from another document, or mangled by a broken producer);
* ``scrambled order``: the same words at the right places, drawn in random order (a layer whose
  content-stream order is jumbled); the reading order must come from the boxes.

Reported per copy: the pages whose layer was used, CER against the OCR reading (whitespace
normalised), and the reason recorded in ``preprocessing``. Then the born-digital sample
(``samples/invoice-3pages.pdf``) must still use its layer, and the same file with ``/Rotate 90`` on
every page (pikepdf) must give layer word boxes inside the page and the same text.

    python benchmarks/pdf_layers.py --json benchmarks/results/pdf_layers.json
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import platform
import random
import string
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ROOT / "samples" / "invoice-3pages-scanned.pdf"
BORN_DIGITAL = ROOT / "samples" / "invoice-3pages.pdf"


def doctor(document, how: str, rng: random.Random):
    """A deep copy of ``document`` with its words changed as ``how`` says (see the module doc)."""
    out = copy.deepcopy(document)
    for page in out.pages:
        words = [w for line in page.lines for w in line.words]
        if how == "garbled":
            for word in words:
                word.text = "".join(
                    rng.choice(string.ascii_letters) if ch.isalpha() and rng.random() < 0.4 else ch
                    for ch in word.text
                )
        elif how == "misplaced":
            texts = [w.text for w in words]
            rng.shuffle(texts)
            for word, text in zip(words, texts):
                word.text = text
        elif how == "scrambled order":
            rng.shuffle(page.lines)
            for line in page.lines:
                rng.shuffle(line.words)
        for line in page.lines:
            line.text = " ".join(w.text for w in line.words)
        page.blocks = []
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "pdf_layers.json"))
    args = parser.parse_args()

    import pikepdf

    import clearocr
    from clearocr.export.pdf import to_pdf
    from clearocr.metrics import cer, normalize_text

    reader = clearocr.Reader()
    reference_doc = reader.read(SCANNED, pdf_text="ocr")
    reference = normalize_text(reference_doc.text)
    rows = []
    rng = random.Random(0)
    for how in ("faithful", "garbled", "misplaced", "scrambled order"):
        data = to_pdf(doctor(reference_doc, how, rng), SCANNED)
        started = time.perf_counter()
        document = reader.read(data, pdf_text="auto")
        seconds = time.perf_counter() - started
        reasons = [
            {
                k: v
                for k, v in step.to_dict().items()
                if k in ("name", "reason", "known_word_rate", "ocr_agreement")
            }
            for page in document.pages
            for step in page.preprocessing
            if step.name.startswith("pdf_text_layer")
        ]
        rows.append(
            {
                "copy": how,
                "layer_used_pages": sum(1 for p in document.pages if p.text_source == "layer"),
                "pages": len(document.pages),
                "cer_vs_ocr": cer(reference, normalize_text(document.text)),
                "seconds": round(seconds, 2),
                "steps": reasons,
            }
        )
    born = reader.read(BORN_DIGITAL)
    with pikepdf.open(BORN_DIGITAL) as pdf:
        for page in pdf.pages:
            page.Rotate = 90
        buffer = io.BytesIO()
        pdf.save(buffer)
    turned = reader.read(buffer.getvalue(), pdf_text="layer")
    outside = sum(
        1
        for page in turned.pages
        for word in page.words
        if not (
            0 <= word.bbox[0] <= word.bbox[2] <= page.width
            and 0 <= word.bbox[1] <= word.bbox[3] <= page.height
        )
    )
    reader.close()
    born_row = {
        "born_digital_layer_pages": sum(1 for p in born.pages if p.text_source == "layer"),
        "born_digital_pages": len(born.pages),
        "rotate90_words": sum(len(p.words) for p in turned.pages),
        "rotate90_words_outside_page": outside,
        "rotate90_page_sizes": [[p.width, p.height] for p in turned.pages],
        "upright_page_sizes": [[p.width, p.height] for p in born.pages],
        "rotate90_cer_vs_upright": cer(normalize_text(born.text), normalize_text(turned.text)),
    }
    print("| layer copy | pages using the layer | CER vs OCR | s |")
    print("|---|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['copy']} | {row['layer_used_pages']}/{row['pages']} | {row['cer_vs_ocr']:.2%} | {row['seconds']} |"
        )
    print()
    print(json.dumps(born_row))
    meta = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "command": "python " + " ".join(sys.argv),
        "date": time.strftime("%Y-%m-%d"),
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(
        json.dumps({"meta": meta, "copies": rows, "born_digital": born_row}, indent=1) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
