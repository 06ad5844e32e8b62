"""The space evidence threshold of the RapidOCR decoder (not a test): narrow spaces read or lost.

    python benchmarks/space_evidence.py --values 1,0.3,0.1,0.05,0.03 --json benchmarks/results/space_evidence.json

PP-OCR's greedy CTC decoding drops narrow spaces ("forward.On"); with
:data:`clearocr.engines.ctc_mask.SPACE_EVIDENCE` below 1, a space is read where the model gives one
at least that probability between two characters (1 is off). One row per value, each set read
with the full pipeline:

* FUNSD (17 English forms, ``languages="en"``): case-sensitive bag-of-words F1 against the
  ground-truth words.
* parsee invoices (5 born-digital English PDFs rendered at 200 dpi, ``languages="en"``): the
  bag-of-words F1 against each PDF's own text layer.
* SROIE (the 90 dev receipts, ``languages="en,zh"`` as in ocr_accuracy.py): bag-of-words F1 and
  pooled CER, upper-cased, against the line transcripts.

These three sets are the ones the threshold is fitted on; scribeocr (benchmarks/ocr_accuracy.py) is
kept out of the fit and measured afterwards.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from accent_prior import f1, funsd_items, parsee_items, words_of, write_rows  # noqa: E402
from ocr_accuracy import sroie_items  # noqa: E402


def main() -> int:
    import clearocr
    import clearocr.engines.ctc_mask as engine_module
    from clearocr.metrics import cer, normalize_text

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", default="1,0.3,0.1,0.05,0.03")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    funsd, parsee, sroie = funsd_items(), parsee_items(), sroie_items(None)
    rows = []
    with clearocr.Reader(engine="rapidocr") as reader:
        for value in (float(v) for v in args.values.split(",")):
            engine_module.SPACE_EVIDENCE = value
            started = time.perf_counter()
            ref: list[str] = []
            hyp: list[str] = []
            for _, path, words in funsd:
                ref += words
                hyp += words_of(reader.read(str(path), languages="en").text)
            funsd_f1 = f1(ref, hyp)
            ref, hyp = [], []
            for _, images, words in parsee:
                ref += words
                hyp += [w for image in images for w in words_of(reader.read(image, languages="en").text)]
            parsee_f1 = f1(ref, hyp)
            ref, hyp = [], []
            errors = chars = 0.0
            for item in sroie:
                text = reader.read(item["path"], languages="en,zh").text
                r, h = normalize_text(item["reference"], casefold=True), normalize_text(text, casefold=True)
                errors += cer(r, h) * len(r)
                chars += len(r)
                ref += r.split()
                hyp += h.split()
            row = {
                "space_evidence": value,
                "funsd_bow_f1": round(funsd_f1, 4),
                "parsee_bow_f1": round(parsee_f1, 4),
                "sroie_bow_f1": round(f1(ref, hyp), 4),
                "sroie_cer_pooled": round(errors / max(1.0, chars), 4),
                "seconds": round(time.perf_counter() - started, 1),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print("| space evidence | FUNSD F1 | parsee F1 | SROIE F1 | SROIE CER (pooled) |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['space_evidence']} | {r['funsd_bow_f1']:.4f} | {r['parsee_bow_f1']:.4f} | "
            f"{r['sroie_bow_f1']:.4f} | {100 * r['sroie_cer_pooled']:.2f}% |"
        )
    if args.json:
        write_rows(args.json, "space_evidence.py", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
