"""clearocr beside its CPU peers on the same inputs: accuracy and paired whole-process time (not a test).

Programs, each run as its own process over a dataset's files (start-up, imports and model loading
included, as a user running it would pay them):

* ``clearocr``: ``clearocr.Reader()`` with default options, ``document.text``;
* ``clearocr-fast``: the same with ``speed="fast"`` (``--speed fast``);
* ``rapidocr``: raw RapidOCR 3.10 with the same bundled PP-OCRv6 small models, its lines joined in
  its own (detection) order;
* ``faster-paddle``: faster-paddle 1.0.4 (PP-OCRv6 small in Rust and ONNX Runtime, from PyPI), its
  ``text`` output. It is a benchmark-only peer and lives in its own virtual environment, so that it
  never enters clearocr's dependencies::

      python -m venv benchmarks/.venv-faster-paddle
      benchmarks/.venv-faster-paddle/bin/pip install faster-paddle==1.0.4

  (``--faster-paddle-python`` points elsewhere; the program is skipped, and says so, when missing.)
* ``tesseract``: Tesseract 5 through tesserocr, page segmentation ``--psm 3`` (its default), ``eng``
  (``chi_sim+eng`` on Chinese pages).

Datasets (``../shared/data``): ``sroie`` receipts and ``scribeocr`` pages, ``omnidoc-zh`` Chinese pages,
with the references and normalisation of ``benchmarks/ocr_accuracy.py``; ``funsd`` forms (the
official test split's forms shipped there; reference: their words grouped into rows top to bottom).
Accuracy: CER against the reference in its order, and bag-of-words F1 (which no reading order
affects; Chinese pages: CER only, whitespace dropped). Time: each dataset is read by every program
``--repeats`` times, the programs' order rotated each round (paired: the machine's load falls on all
of them alike); a program's time is its median over the rounds, quoted as a ratio to clearocr's.
Peak RSS is each worker process's own.

    python benchmarks/peers.py --datasets sroie,funsd,scribeocr,omnidoc-zh --limit 20 --repeats 3 \\
        --json benchmarks/results/peers.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("CLEAROCR_DATA", ROOT.parent / "shared" / "data"))
PROGRAMS = ("clearocr", "clearocr-fast", "rapidocr", "faster-paddle", "tesseract")
FASTER_PADDLE_PYTHON = ROOT / "benchmarks" / ".venv-faster-paddle" / "bin" / "python"

#: Languages per dataset: clearocr's option, Tesseract's models.
LANGUAGES = {
    "sroie": ("en", "eng"),
    "funsd": ("en", "eng"),
    "scribeocr": ("en", "eng"),
    "omnidoc-zh": ("zh,en", "chi_sim+eng"),
}


def funsd_items(limit: int | None) -> list[dict]:
    """FUNSD test forms; the reference is their annotated words grouped into rows (vertical overlap of
    half the smaller height), rows top to bottom, words left to right."""
    folder = DATA / "funsd"
    items = []
    for annotation in sorted((folder / "annotations").glob("*.json"))[:limit]:
        words = [
            (word["box"], word["text"].strip())
            for entity in json.loads(annotation.read_text(encoding="utf-8"))["form"]
            for word in entity.get("words", [])
            if word.get("text", "").strip()
        ]
        rows: list[list[tuple[list[int], str]]] = []
        for box, text in sorted(words, key=lambda w: (w[0][1] + w[0][3]) / 2):
            row = rows[-1] if rows else None
            if row is not None:
                top = min(b[1] for b, _ in row)
                bottom = max(b[3] for b, _ in row)
                overlap = min(bottom, box[3]) - max(top, box[1])
                if overlap >= 0.5 * min(bottom - top, box[3] - box[1]):
                    row.append((box, text))
                    continue
            rows.append([(box, text)])
        reference = "\n".join(" ".join(t for _, t in sorted(row, key=lambda w: w[0][0])) for row in rows)
        items.append(
            {
                "id": annotation.stem,
                "path": str(folder / "images" / f"{annotation.stem}.png"),
                "reference": reference,
            }
        )
    return items


def dataset_items(name: str, limit: int | None) -> list[dict]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import ocr_accuracy

    loaders = {
        "sroie": ocr_accuracy.sroie_items,
        "scribeocr": ocr_accuracy.scribe_items,
        "omnidoc-zh": ocr_accuracy.omnidoc_items,
        "funsd": funsd_items,
    }
    return loaders[name](limit)


# --- workers: run in a fresh process each, by the program's own interpreter -------------------------


def worker(program: str, request: Path, output: Path) -> None:
    """Read every file of ``request`` (JSON: ``{"paths": [...], "languages": [ours, tesseract's],
    "tessdata": folder}``)
    with ``program`` and write ``{"texts": [...], "peak_rss_mb": ...}`` to ``output``."""
    job = json.loads(request.read_text())
    ours, tesseract_languages = job["languages"]
    texts: list[str] = []
    if program in ("clearocr", "clearocr-fast"):
        import clearocr

        speed = "fast" if program == "clearocr-fast" else "default"
        with clearocr.Reader(speed=speed) as reader:
            texts = [reader.read(path, languages=ours).text for path in job["paths"]]
    elif program == "rapidocr":
        import rapidocr
        from rapidocr import RapidOCR

        models = Path(rapidocr.__file__).resolve().parent / "models"
        engine = RapidOCR(
            params={
                "Global.log_level": "error",
                "Det.model_path": str(models / "PP-OCRv6_det_small.onnx"),
                "Rec.model_path": str(models / "PP-OCRv6_rec_small.onnx"),
                "Cls.model_path": str(models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"),
            }
        )
        for path in job["paths"]:
            result = engine(path)
            texts.append("\n".join(result.txts or ()))
    elif program == "faster-paddle":
        from faster_paddle import OcrEngine

        engine = OcrEngine(model_size="small")
        texts = [engine.ocr(Path(path).read_bytes())["text"] for path in job["paths"]]
    elif program == "tesseract":
        import tesserocr

        with tesserocr.PyTessBaseAPI(
            path=job["tessdata"], lang=tesseract_languages, psm=tesserocr.PSM.AUTO
        ) as api:
            for path in job["paths"]:
                api.SetImageFile(path)
                texts.append(api.GetUTF8Text())
    else:
        raise SystemExit(f"unknown program {program!r}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    output.write_text(json.dumps({"texts": texts, "peak_rss_mb": peak}))


# --- the comparison ------------------------------------------------------------------------------------


def interpreter(program: str, faster_paddle_python: Path) -> Path:
    return faster_paddle_python if program == "faster-paddle" else Path(sys.executable)


def run_worker(
    program: str, python: Path, paths: list[str], languages: tuple[str, str], folder: Path
) -> dict:
    """One whole-process run: ``{"seconds", "texts", "peak_rss_mb"}`` (wall time from process start)."""
    request = folder / f"{program}-request.json"
    output = folder / f"{program}-output.json"
    from clearocr.engines.tesseract import tessdata_dir

    request.write_text(
        json.dumps({"paths": paths, "languages": list(languages), "tessdata": tessdata_dir() or ""})
    )
    output.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "benchmarks")}
    started = time.perf_counter()
    done = subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--worker", program, str(request), str(output)],
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{program} failed: {done.stderr.strip()[-800:]}")
    result = json.loads(output.read_text())
    result["seconds"] = seconds
    return result


def score(items: list[dict], texts: list[str], dataset: str) -> dict[str, Any]:
    from clearocr.metrics import bag_of_words_f1, cer, normalize_text

    norm = {"drop_spaces": True} if dataset == "omnidoc-zh" else {"casefold": dataset == "sroie"}
    cers, f1s, chars, errors = [], [], 0, 0.0
    for item, text in zip(items, texts):
        reference = item.get("references", {}).get("ordered", item["reference"])
        ref, hyp = normalize_text(reference, **norm), normalize_text(text, **norm)
        value = cer(ref, hyp)
        cers.append(value)
        chars += len(ref)
        errors += value * len(ref)
        if dataset != "omnidoc-zh":
            f1s.append(bag_of_words_f1(ref, hyp))
    return {
        "cer_mean": statistics.mean(cers),
        "cer_pooled": errors / max(1, chars),
        "bow_f1": statistics.mean(f1s) if f1s else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=3, metavar=("PROGRAM", "REQUEST", "OUTPUT"), help=argparse.SUPPRESS)
    parser.add_argument("--datasets", default="sroie,funsd,scribeocr,omnidoc-zh")
    parser.add_argument("--programs", default=",".join(PROGRAMS))
    parser.add_argument("--limit", type=int, default=20, help="at most N documents per dataset")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of whole-process runs per dataset")
    parser.add_argument("--faster-paddle-python", type=Path, default=FASTER_PADDLE_PYTHON)
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "peers.json"))
    args = parser.parse_args()
    if args.worker:
        program, request, output = args.worker
        worker(program, Path(request), Path(output))
        return 0
    programs = [p for p in args.programs.split(",") if p]
    if "faster-paddle" in programs and not args.faster_paddle_python.exists():
        print(
            f"faster-paddle skipped: no interpreter at {args.faster_paddle_python} (see this file's docstring)",
            file=sys.stderr,
        )
        programs.remove("faster-paddle")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for dataset in args.datasets.split(","):
            items = dataset_items(dataset, args.limit)
            paths = [item["path"] for item in items]
            runs: dict[str, list[dict]] = {p: [] for p in programs}
            for round_ in range(args.repeats):
                shift = round_ % len(programs)
                for program in programs[shift:] + programs[:shift]:
                    python = interpreter(program, args.faster_paddle_python)
                    runs[program].append(run_worker(program, python, paths, LANGUAGES[dataset], Path(tmp)))
                    print(
                        f"{dataset} round {round_ + 1}: {program} {runs[program][-1]['seconds']:.1f} s",
                        file=sys.stderr,
                    )
            base = statistics.median(r["seconds"] for r in runs["clearocr"]) if "clearocr" in runs else None
            for program in programs:
                seconds = statistics.median(r["seconds"] for r in runs[program])
                rows.append(
                    {
                        "dataset": dataset,
                        "program": program,
                        "documents": len(items),
                        **score(items, runs[program][0]["texts"], dataset),
                        "seconds_median": seconds,
                        "seconds": [r["seconds"] for r in runs[program]],
                        "time_vs_clearocr": seconds / base if base else None,
                        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs[program]),
                    }
                )
    table = [
        "| dataset | program | docs | CER (mean) | CER (pooled) | bag-of-words F1 | wall s (median) | time vs clearocr | peak RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        f1 = f"{row['bow_f1']:.3f}" if row["bow_f1"] is not None else "n/a"
        ratio = f"{row['time_vs_clearocr']:.2f}" if row["time_vs_clearocr"] is not None else "-"
        table.append(
            f"| {row['dataset']} | {row['program']} | {row['documents']} | {row['cer_mean']:.1%} | "
            f"{row['cer_pooled']:.1%} | {f1} | {row['seconds_median']:.1f} | {ratio} | {row['peak_rss_mb']:.0f} |"
        )
    print("\n".join(table))
    meta = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "command": "python " + " ".join(sys.argv),
        "date": time.strftime("%Y-%m-%d"),
        "repeats": args.repeats,
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
