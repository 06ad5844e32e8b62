"""The English accent prior of the RapidOCR decoder (not a test): spurious accents against real ones.

    python benchmarks/accent_prior.py --priors 1,0.5,0.3,0.2,0.1,0 --json benchmarks/results/accent_prior.json

With ``--lang en`` the multilingual PP-OCRv6 recogniser may put accents on plain letters of a noisy
scan ("Intércept"); :data:`clearocr.engines.ctc_mask.ENGLISH_ACCENT_PRIOR` discounts them (1 is no
prior, 0 bans them). Two sets, read with ``languages="en"``, one row per prior:

* FUNSD (``../shared/data/funsd``, the 17 English forms shipped there, word-level ground truth with no accented
  letter): the output words holding an accented Latin letter (every one is spurious) and the
  case-sensitive bag-of-words F1 against the ground-truth words. This is the set the prior is fitted on.
* parsee invoices (``../shared/data/parsee-invoices``, 5 born-digital English PDFs whose vendors'
  addresses and notes carry German words: "Nürnberg", "Pfälzer", "Geschäftsführer"): each page is
  rendered at 200 dpi and read by OCR; the reference is the PDF's own text layer. Reported: the
  layer's accented words the OCR reads exactly (recall of real accents), OCR words with an accent
  the layer lacks, and the bag-of-words F1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("CLEAROCR_DATA", ROOT.parent / "shared" / "data"))


def accented(word: str) -> bool:
    """Whether a word holds a Latin letter outside A-Z (an accent, a ligature)."""
    return any(c.isalpha() and not c.isascii() and unicodedata.name(c, "").startswith("LATIN") for c in word)


def funsd_items() -> list[tuple[str, Path, list[str]]]:
    folder = DATA / "funsd"
    items = []
    for annotation in sorted((folder / "annotations").glob("*.json")):
        form = json.loads(annotation.read_text(encoding="utf-8"))["form"]
        words = [w["text"] for entity in form for w in entity["words"] if w["text"].strip()]
        items.append((annotation.stem, folder / "images" / f"{annotation.stem}.png", words))
    return items


def parsee_items() -> list[tuple[str, list, list[str]]]:
    import pypdfium2 as pdfium

    items = []
    for path in sorted((DATA / "parsee-invoices" / "pdfs").glob("*.pdf")):
        pdf = pdfium.PdfDocument(str(path))
        images, words = [], []
        for page in pdf:
            words += page.get_textpage().get_text_range().split()
            images.append(page.render(scale=200 / 72).to_pil().convert("RGB"))
        pdf.close()
        items.append((path.stem[:40], images, words))
    return items


def f1(reference: list[str], hypothesis: list[str]) -> float:
    ref, hyp = Counter(reference), Counter(hypothesis)
    hits = sum((ref & hyp).values())
    return 2 * hits / max(1, sum(ref.values()) + sum(hyp.values()))


def words_of(text: str) -> list[str]:
    return unicodedata.normalize("NFKC", text).split()


def main() -> int:
    import clearocr
    import clearocr.engines.ctc_mask as engine_module

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--priors", default="1,0.5,0.3,0.2,0.1,0")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    funsd, parsee = funsd_items(), parsee_items()
    rows = []
    with clearocr.Reader(engine="rapidocr") as reader:
        for prior in (float(v) for v in args.priors.split(",")):
            engine_module.ENGLISH_ACCENT_PRIOR = prior
            started = time.perf_counter()
            spurious = 0
            ref_all: list[str] = []
            hyp_all: list[str] = []
            for _, path, words in funsd:
                hyp = words_of(reader.read(str(path), languages="en").text)
                spurious += sum(1 for w in hyp if accented(w))
                hyp_all += hyp
                ref_all += words
            funsd_f1 = f1(ref_all, hyp_all)
            real = read = invented = 0
            p_ref: list[str] = []
            p_hyp: list[str] = []
            for _, images, words in parsee:
                hyp = [w for image in images for w in words_of(reader.read(image, languages="en").text)]
                layer = Counter(w for w in words if accented(w))
                found = Counter(w for w in hyp if accented(w))
                real += sum(layer.values())
                read += sum((layer & found).values())
                invented += sum((found - layer).values())
                p_ref += words
                p_hyp += hyp
            row = {
                "prior": prior,
                "funsd_words_with_accent": spurious,
                "funsd_bow_f1": round(funsd_f1, 4),
                "parsee_accented_words": real,
                "parsee_accented_read": read,
                "parsee_accent_not_in_layer": invented,
                "parsee_bow_f1": round(f1(p_ref, p_hyp), 4),
                "seconds": round(time.perf_counter() - started, 1),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print(
        "| prior | FUNSD words with an accent (all spurious) | FUNSD bag-of-words F1 | parsee accented words read | parsee accents not in the layer | parsee F1 |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['prior']} | {r['funsd_words_with_accent']} | {r['funsd_bow_f1']:.4f} | "
            f"{r['parsee_accented_read']}/{r['parsee_accented_words']} | {r['parsee_accent_not_in_layer']} | "
            f"{r['parsee_bow_f1']:.4f} |"
        )
    if args.json:
        write_rows(args.json, "accent_prior.py", rows)
    return 0


def write_rows(path: Path, script: str, rows: list[dict]) -> None:
    """Save a sweep's rows as JSON with the command that made them and the date."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "command": f"python benchmarks/{script} " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
    }
    path.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
