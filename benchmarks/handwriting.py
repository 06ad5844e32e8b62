"""Handwriting: printed vs handwritten mode, with and without correction (not a test).

    python benchmarks/handwriting.py --markdown docs/handwriting.md --json benchmarks/results/handwriting.json
    python benchmarks/handwriting.py --names 200 --funsd 5      # quicker

Datasets (../shared/data; see each SOURCE.md):

* iam: IAM paragraphs (FSDL crops, white on black as shipped). CER/WER on the whole paragraph.
* names: Kaggle handwritten names, single upper-case words in form boxes (the first ``--names``
  labelled images, UNREADABLE/EMPTY dropped). Compared upper-cased. The crops include the form's
  printed labels (NOM, PRENOM, DATE DE NAISSANCE, CLASSE), which the ground truth omits: ``names``
  scores the page text as read, ``names-value`` scores it with words that fuzzily match those labels
  (rapidfuzz ratio >= 75) removed, i.e. the handwritten value a form reader would keep.
* funsd: FUNSD test forms, printed questions with handwritten or typed answers. The reference is the
  annotated words put in reading order from their own boxes (the pipeline's row grouping); a
  bag-of-words F1 is reported beside CER since the form layout makes the order ambiguous.

Configurations: ``printed`` (default options), ``handwritten`` (``mode="handwritten"``), and
``handwritten+lexical`` (plus the lexical corrector). Text normalisation: NFKC, whitespace runs to one
space (clearocr.metrics.normalize_text).
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import time
from pathlib import Path

from clearocr.document import Line, Word
from clearocr.layout import reading_order
from clearocr.metrics import bag_of_words_f1, cer, normalize_text, wer
from clearocr.pipeline import Reader

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CONFIGS = {
    "printed": {},
    "handwritten": {"mode": "handwritten"},
    "handwritten+lexical": {"mode": "handwritten", "correct": "lexical"},
}


def iam_items() -> list[dict]:
    folder = DATA / "iam-paragraphs-fsdl"
    truth = json.loads((folder / "data_by_file_id.json").read_text())
    return [
        {"id": p.stem, "path": str(p), "reference": truth[p.stem]["ground_truth_text"]}
        for p in sorted((folder / "images").glob("*.png"))
        if p.stem in truth
    ]


def names_items(limit: int) -> list[dict]:
    folder = DATA / "kaggle-handwritten-names"
    items = []
    with (folder / "labels.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if (
                row["IDENTITY"] in ("UNREADABLE", "EMPTY")
                or not (folder / "images" / row["FILENAME"]).exists()
            ):
                continue
            items.append(
                {
                    "id": row["FILENAME"],
                    "path": str(folder / "images" / row["FILENAME"]),
                    "reference": row["IDENTITY"],
                }
            )
            if len(items) >= limit:
                break
    return items


FORM_LABELS = ("NOM", "PRENOM", "DATE", "DE", "NAISSANCE", "CLASSE")


def strip_form_labels(text: str) -> str:
    """Drop the printed field labels of the names crops ("NOM:", "PRENOM", "RENOM:CLEMENT" -> "CLEMENT")."""
    from rapidfuzz import fuzz

    kept = []
    for token in text.replace(":", " ").split():
        if any(fuzz.ratio(token, label) >= 75 for label in FORM_LABELS) or len(token.strip(".,;")) <= 1:
            continue
        kept.append(token)
    return " ".join(kept)


def funsd_items(limit: int) -> list[dict]:
    folder = DATA / "funsd"
    items = []
    for annotation in sorted((folder / "annotations").glob("*.json"))[:limit]:
        form = json.loads(annotation.read_text())["form"]
        words = [
            Word(w["text"], tuple(w["box"]), 1.0)
            for entity in form
            for w in entity["words"]
            if w["text"].strip()
        ]
        segments = [Line(w.text, w.bbox, 1.0, [w]) for w in words]
        reference = "\n".join(line.text for line in reading_order(segments, columns=False))
        items.append(
            {
                "id": annotation.stem,
                "path": str(folder / "images" / f"{annotation.stem}.png"),
                "reference": reference,
            }
        )
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=300, help="handwritten-name images to score")
    parser.add_argument("--funsd", type=int, default=50, help="FUNSD forms to score")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    datasets = {"iam": iam_items(), "names": names_items(args.names), "funsd": funsd_items(args.funsd)}
    rows = []
    with Reader() as reader:
        for config in args.configs.split(","):
            options = CONFIGS[config]
            for dataset, items in datasets.items():
                for item in items:
                    started = time.perf_counter()
                    document = reader.read(item["path"], **options)
                    seconds = time.perf_counter() - started
                    upper = dataset == "names"
                    ref = normalize_text(item["reference"].upper() if upper else item["reference"])
                    hyp = normalize_text(document.text.upper() if upper else document.text)
                    scored = [(dataset, hyp)]
                    if dataset == "names":
                        scored.append(("names-value", strip_form_labels(hyp)))
                    for name, text in scored:
                        rows.append(
                            {
                                "config": config,
                                "dataset": name,
                                "id": item["id"],
                                "cer": cer(ref, text),
                                "wer": wer(ref, text),
                                "bow_f1": bag_of_words_f1(ref, text),
                                "exact": ref == text,
                                "chars": len(ref),
                                "seconds": seconds,
                            }
                        )
                print(f"{config:22s} {dataset:6s} done ({len(items)} documents)", flush=True)

    table = []
    for dataset in ["iam", "names", "names-value", "funsd"]:
        for config in args.configs.split(","):
            group = [r for r in rows if r["dataset"] == dataset and r["config"] == config]
            if not group:
                continue
            chars = sum(r["chars"] for r in group) or 1
            table.append(
                {
                    "dataset": dataset,
                    "config": config,
                    "documents": len(group),
                    "cer": sum(r["cer"] for r in group) / len(group),
                    "cer_pooled": sum(r["cer"] * r["chars"] for r in group) / chars,
                    "wer": sum(r["wer"] for r in group) / len(group),
                    "bow_f1": sum(r["bow_f1"] for r in group) / len(group),
                    "exact": sum(r["exact"] for r in group) / len(group),
                    "s_per_doc": sum(r["seconds"] for r in group) / len(group),
                }
            )
    lines = [
        "| dataset | config | docs | CER | CER pooled | WER | BoW F1 | exact | s/doc |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for t in table:
        lines.append(
            f"| {t['dataset']} | {t['config']} | {t['documents']} | {t['cer']:.1%} | {t['cer_pooled']:.1%} | "
            f"{t['wer']:.1%} | {t['bow_f1']:.2f} | {t['exact']:.0%} | {t['s_per_doc']:.2f} |"
        )
    text = "\n".join(lines)
    print(text)
    meta = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "names": args.names,
        "funsd": args.funsd,
    }
    if args.markdown:
        header = (
            "# Handwriting benchmark\n\nGenerated by `python benchmarks/handwriting.py --markdown docs/handwriting.md "
            "--json benchmarks/results/handwriting.json`; see the script's docstring for datasets and normalisation.\n\n"
        )
        from report import write_page

        write_page(args.markdown, header + text + "\n")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"meta": meta, "summary": table, "documents": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
