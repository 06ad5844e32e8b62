"""Would a second reading of unsure lines pay? Measured on SROIE line crops (not a test).

    python benchmarks/second_reading.py --limit 90 --json benchmarks/results/second_reading.json

Issue 29 proposes reading the lines the recogniser is unsure of again, from a changed crop, and keeping
the reading the evidence favours (ROVER, Fiscus 1997: align the readings, vote per character
position), with Tesseract's LSTM as a further voter. This measures the ceiling and the usual selection
rules before anything is built into the pipeline.

For every receipt, the default engine (PP-OCRv6 small through RapidOCR, the script mask for English)
detects and reads the lines. Each detected quadrilateral is then cropped again and read by the same
recogniser in four more ways: padded by a quarter / half of the line height along the line and an
eighth / a quarter across it (``pad1``, ``pad2``), shrunk across by 8% (``tight``), and ``pad1``
upscaled 2x (bicubic, ``up2``). Lines under confidence 0.99 are also read by Tesseract (``tesseract``
extra; LSTM, one line, psm 7, crops scaled to 40 px high). A detected line is scored against the
ground-truth segment it overlaps most (IoU > 0.5; SROIE's ``box/NNN.csv``), both upper-cased with
whitespace runs collapsed; unmatched lines are left out.

The table gives the edits (Levenshtein) summed over matched lines for each rule applied to lines whose
first confidence is below a threshold, on the even- and odd-numbered receipts separately (nothing is
fitted; the two halves show how stable each figure is):

* ``oracle``: the best of the five recogniser readings, line by line (the ceiling);
* ``max-conf``: the reading with the highest recogniser confidence;
* ``vote``: the reading produced most often among the five (ties: the first reading);
* ``rover-k``: the first reading, with each span that at least k of the four other readings replace
  the same way replaced (ROVER-style per-position voting);
* ``tess-oracle``: the better of the first reading and Tesseract's (a ceiling for Tesseract as voter).
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ocr_accuracy import DATA

log = logging.getLogger("clearocr.bench.second_reading")
ROOT = Path(__file__).resolve().parent.parent
#: Crop changes as (along, across) padding in line heights; negative shrinks.
VARIANTS = {"pad1": (0.25, 0.12), "pad2": (0.5, 0.25), "tight": (0.0, -0.08)}
READINGS = ["base", "pad1", "pad2", "tight", "up2"]
THRESHOLDS = [0.9, 0.95, 0.99, 1.01]


def ground_truth(doc_id: str) -> list[tuple[tuple[int, int, int, int], str]]:
    """SROIE segments of one receipt: (bbox, text)."""
    from clearocr.geometry import quad_to_bbox

    segments = []
    for row in (DATA / "sroie2019" / "box" / f"{doc_id}.csv").read_text(encoding="utf-8").splitlines():
        parts = row.split(",", 8)
        if len(parts) == 9 and parts[8].strip():
            coords = [int(v) for v in parts[:8]]
            segments.append((quad_to_bbox(list(zip(coords[0::2], coords[1::2]))), parts[8].strip()))
    return segments


def iou(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def expand(quad: Any, along: float, across: float, width: int, height: int) -> Any:
    """A text quadrilateral (4 x 2, clockwise from top-left) padded by fractions of its height."""
    import numpy as np

    q = np.array(quad, dtype=np.float32)
    line_height = (np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1])) / 2
    ux = (q[1] - q[0]) / max(float(np.linalg.norm(q[1] - q[0])), 1e-6)
    uy = (q[3] - q[0]) / max(float(np.linalg.norm(q[3] - q[0])), 1e-6)
    dx, dy = ux * along * line_height, uy * across * line_height
    out = np.array([q[0] - dx - dy, q[1] + dx - dy, q[2] + dx + dy, q[3] - dx + dy], dtype=np.float32)
    out[:, 0] = out[:, 0].clip(0, width - 1)
    out[:, 1] = out[:, 1].clip(0, height - 1)
    return out


def collect(limit: int) -> tuple[list[dict], dict[str, float]]:
    """Every detected line of the first ``limit`` receipts with its readings and matched truth."""
    import cv2
    import numpy as np
    from PIL import Image
    from rapidocr.ch_ppocr_rec import TextRecInput
    from rapidocr.utils.process_img import get_rotate_crop_image

    from clearocr.engines.rapidocr import RapidOcrEngine
    from clearocr.geometry import quad_to_bbox

    engine = RapidOcrEngine()
    engine._prepare(["en"])
    recogniser = engine._ocr._load_rec_model()
    tess = _tesseract()
    seconds = collections.Counter()

    def read(crops: list[Any]) -> list[tuple[str, float]]:
        result = recogniser(TextRecInput(img=crops))
        return [(str(t), float(s)) for t, s in zip(result.txts, result.scores)]

    ids = (DATA / "sroie2019" / "ids.txt").read_text().split()[:limit]
    docs = []
    for doc_id in ids:
        image = cv2.imread(str(DATA / "sroie2019" / "img" / f"{doc_id}.jpg"))
        height, width = image.shape[:2]
        started = time.perf_counter()
        result = engine._ocr(image, return_word_box=False)
        seconds["first read"] += time.perf_counter() - started
        quads = [np.array(b, dtype=np.float32) for b in (result.boxes if result.txts else [])]
        started = time.perf_counter()
        readings = {"base": read([get_rotate_crop_image(image, copy.deepcopy(q)) for q in quads])}
        crops = {
            name: [get_rotate_crop_image(image, expand(q, *pad, width, height)) for q in quads]
            for name, pad in VARIANTS.items()
        }
        for name in VARIANTS:
            readings[name] = read(crops[name])
        readings["up2"] = read(
            [cv2.resize(c, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC) for c in crops["pad1"]]
        )
        seconds["four more readings"] += time.perf_counter() - started
        truth = ground_truth(doc_id)
        lines = []
        for index, quad in enumerate(quads):
            bbox = quad_to_bbox(quad.tolist())
            best = max(truth, key=lambda seg: iou(seg[0], bbox), default=None)
            line = {
                "first": readings["base"][index],
                "readings": {name: values[index] for name, values in readings.items()},
                "truth": best[1] if best is not None and iou(best[0], bbox) > 0.5 else None,
            }
            if tess is not None and line["first"][1] < 0.99:
                started = time.perf_counter()
                crop = Image.fromarray(crops["pad1"][index][:, :, ::-1])
                if crop.height < 40:
                    crop = crop.resize((max(1, crop.width * 40 // crop.height), 40), Image.LANCZOS)
                tess.SetImage(crop)
                line["readings"]["tesseract"] = (tess.GetUTF8Text().strip(), tess.MeanTextConf() / 100)
                seconds["tesseract"] += time.perf_counter() - started
            lines.append(line)
        docs.append({"id": doc_id, "lines": lines})
        log.info("%s: %d lines", doc_id, len(lines))
    engine.close()
    return docs, {k: v / max(1, len(ids)) for k, v in seconds.items()}


def _tesseract() -> Any:
    try:
        import tesserocr

        from clearocr.engines.tesseract import tessdata_dir
    except ImportError:
        log.warning("tesserocr is not installed: no Tesseract readings")
        return None
    return tesserocr.PyTessBaseAPI(path=tessdata_dir(), lang="eng", psm=tesserocr.PSM.SINGLE_LINE)


def rover(first: str, others: list[str], need: int) -> str:
    """``first`` with each span replaced where at least ``need`` of ``others`` replace it the same way."""
    from rapidfuzz.distance import Levenshtein

    votes: dict[tuple[int, int], collections.Counter] = collections.defaultdict(collections.Counter)
    for other in others:
        for op in Levenshtein.opcodes(first, other):
            if op.tag != "equal":
                votes[(op.src_start, op.src_end)][other[op.dest_start : op.dest_end]] += 1
    edits = sorted(
        (start, end, text)
        for (start, end), counter in votes.items()
        for text, count in [counter.most_common(1)[0]]
        if count >= need
    )
    out, shift, last = first, 0, -1
    for start, end, text in edits:
        if start < last:
            continue
        out = out[: start + shift] + text + out[end + shift :]
        shift += len(text) - (end - start)
        last = end
    return out


def score(docs: list[dict]) -> list[dict]:
    """Edits per rule, threshold and half (see the module docstring)."""
    from rapidfuzz.distance import Levenshtein

    def norm(text: str) -> str:
        return " ".join(text.upper().split())

    rows = []
    for half in ("even", "odd"):
        part = [d for i, d in enumerate(docs) if i % 2 == (half == "odd")]
        lines = [line for d in part for line in d["lines"] if line["truth"] is not None]
        chars = sum(len(norm(line["truth"])) for line in lines)
        per_variant = {
            name: sum(
                Levenshtein.distance(norm(line["readings"][name][0]), norm(line["truth"])) for line in lines
            )
            for name in READINGS
        }
        rows.append({"half": half, "threshold": None, "lines": len(lines), "chars": chars, **per_variant})
        for threshold in THRESHOLDS:
            edits: collections.Counter = collections.Counter()
            unsure = 0
            for line in lines:
                truth = norm(line["truth"])
                texts = {name: norm(line["readings"][name][0]) for name in READINGS}
                first = Levenshtein.distance(texts["base"], truth)
                edits["first reading"] += first
                if line["first"][1] >= threshold:
                    for rule in ("oracle", "max-conf", "vote", "rover-3", "rover-4", "tess-oracle"):
                        edits[rule] += first
                    continue
                unsure += 1
                dist = {name: Levenshtein.distance(text, truth) for name, text in texts.items()}
                edits["oracle"] += min(dist.values())
                edits["max-conf"] += dist[max(READINGS, key=lambda n: line["readings"][n][1])]
                counts = collections.Counter(texts[n] for n in READINGS)
                voted = max(READINGS, key=lambda n: (counts[texts[n]], n == "base"))
                edits["vote"] += dist[voted]
                others = [line["readings"][n][0] for n in READINGS[1:]]
                for need in (3, 4):
                    edits[f"rover-{need}"] += Levenshtein.distance(
                        norm(rover(line["readings"]["base"][0], others, need)), truth
                    )
                tess = line["readings"].get("tesseract")
                edits["tess-oracle"] += (
                    min(first, Levenshtein.distance(norm(tess[0]), truth)) if tess is not None else first
                )
            rows.append(
                {"half": half, "threshold": threshold, "unsure lines": unsure, "chars": chars, **edits}
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=90)
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "second_reading.json"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    docs, seconds = collect(args.limit)
    rows = score(docs)
    out = sys.stdout
    out.write(f"\nseconds per receipt: {', '.join(f'{k} {v:.2f}' for k, v in seconds.items())}\n\n")
    out.write(
        "| half | lines | chars | " + " | ".join(READINGS) + " |\n|" + "---|" * (3 + len(READINGS)) + "\n"
    )
    for row in rows:
        if row["threshold"] is None:
            cells = [row["half"], row["lines"], row["chars"], *(row[n] for n in READINGS)]
            out.write("| " + " | ".join(str(c) for c in cells) + " |\n")
    rules = ["first reading", "oracle", "max-conf", "vote", "rover-3", "rover-4", "tess-oracle"]
    out.write("\n| half | below conf | unsure lines | " + " | ".join(rules) + " |\n")
    out.write("|" + "---|" * (3 + len(rules)) + "\n")
    for row in rows:
        if row["threshold"] is not None:
            cells = [row["half"], row["threshold"], row["unsure lines"], *(row[r] for r in rules)]
            out.write("| " + " | ".join(str(c) for c in cells) + " |\n")
    Path(args.json).write_text(
        json.dumps({"command": " ".join(sys.argv), "seconds_per_receipt": seconds, "rows": rows}, indent=1)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
