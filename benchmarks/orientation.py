"""Orientation and skew benchmark (not a test), on SROIE 2019 receipts (../shared/data/sroie2019).

* crops: upright single-line and single-word crops cut from the receipts by their ground-truth line boxes
  (``box/NNN.csv``; a few pixels of margin), read with default options: how many are turned. None should be.
* rotation: the first 10 receipts turned by 90, 180 and 270 degrees: how many turns are found exactly.
* skew: the first 10 receipts rotated by +-5, +-15, +-30 and +-45 degrees (canvas enlarged, filled with
  the median colour of the photo's border, as the table or scanner lid around a real photo would be, so
  the synthetic image has no artificial straight edge), CER against the receipt's transcript, compared
  with the upright reading.

Nothing here was tuned on: the orientation margin and the skew search were set before this ran, on
synthetic pages (tests/unit/test_preprocess.py).

    python benchmarks/orientation.py --json benchmarks/results/orientation.json
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "sroie2019"


def receipt_ids() -> list[str]:
    return [line.strip() for line in (DATA / "ids.txt").read_text().splitlines() if line.strip()]


def line_boxes(receipt: str) -> list[tuple[tuple[int, int, int, int], str]]:
    boxes = []
    with (DATA / "box" / f"{receipt}.csv").open(encoding="utf-8", errors="replace") as handle:
        for row in csv.reader(handle):
            if len(row) < 9:
                continue
            try:
                xs = [int(v) for v in row[0:8:2]]
                ys = [int(v) for v in row[1:8:2]]
            except ValueError:
                continue
            boxes.append(((min(xs), min(ys), max(xs), max(ys)), ",".join(row[8:]).strip()))
    return boxes


def crops(limit: int) -> list[tuple[str, np.ndarray, str]]:
    """Up to ``limit`` line crops spread over every receipt (every k-th line), with 4 px of margin."""
    ids = receipt_ids()
    per_receipt = max(1, -(-limit // len(ids)))
    out = []
    for receipt in ids:
        image = np.asarray(Image.open(DATA / "img" / f"{receipt}.jpg").convert("RGB"))
        boxes = [b for b in line_boxes(receipt) if b[0][3] - b[0][1] >= 12 and b[1]]
        if not boxes:
            continue
        step = max(1, len(boxes) // per_receipt)
        for (x0, y0, x1, y1), text in boxes[::step][:per_receipt]:
            crop = image[max(0, y0 - 4) : y1 + 4, max(0, x0 - 4) : x1 + 4]
            if crop.size:
                out.append((f"{receipt}:{y0}", crop, text))
    return out[:limit]


def turn(image: np.ndarray, angle: float) -> np.ndarray:
    """``image`` rotated ``angle`` degrees counter-clockwise on an enlarged canvas filled with the
    median colour of its border."""
    import cv2

    from clearocr.preprocess import rotated_size

    h, w = image.shape[:2]
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    fill = tuple(int(v) for v in np.median(border, axis=0))
    out_w, out_h = rotated_size(w, h, angle)
    matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    matrix[0, 2] += out_w / 2.0 - w / 2.0
    matrix[1, 2] += out_h / 2.0 - h / 2.0
    return cv2.warpAffine(
        image, matrix, (out_w, out_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=fill
    )


def reference(receipt: str) -> str:
    return "\n".join(text for _, text in line_boxes(receipt))


def main() -> None:
    import clearocr
    from clearocr.metrics import cer, normalize_text

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crops", type=int, default=250)
    parser.add_argument("--receipts", type=int, default=10)
    parser.add_argument("--parts", default="crops,rotation,skew")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    parts = args.parts.split(",")
    results: dict = {}
    reader = clearocr.Reader(languages="en,zh")

    if "crops" in parts:
        turned = []
        items = crops(args.crops)
        started = time.perf_counter()
        for name, crop, text in items:
            page = reader.read(crop).pages[0]
            if page.rotation:
                step = next((s.params for s in page.preprocessing if s.name == "orientation"), {})
                turned.append({"crop": name, "text": text, "rotation": page.rotation, "evidence": step})
        single_word = sum(1 for _, _, text in items if len(text.split()) == 1)
        results["crops"] = {
            "crops": len(items),
            "single_word": single_word,
            "multi_word": len(items) - single_word,
            "turned": len(turned),
            "turned_examples": turned[:10],
            "seconds_per_crop": round((time.perf_counter() - started) / max(1, len(items)), 3),
        }
        print(json.dumps(results["crops"], indent=2), flush=True)

    ids = receipt_ids()[: args.receipts]
    if "rotation" in parts:
        found = {90: 0, 180: 0, 270: 0}
        for receipt in ids:
            upright = np.asarray(Image.open(DATA / "img" / f"{receipt}.jpg").convert("RGB"))
            for counter_clockwise in (90, 180, 270):
                image = np.rot90(upright, k=counter_clockwise // 90).copy()
                page = reader.read(image).pages[0]
                found[counter_clockwise] += page.rotation == counter_clockwise  # clockwise fix = ccw turn
        results["rotation"] = {"receipts": len(ids), "found": found}
        print(json.dumps(results["rotation"]), flush=True)

    if "skew" in parts:
        rows = []
        for receipt in ids:
            upright = np.asarray(Image.open(DATA / "img" / f"{receipt}.jpg").convert("RGB"))
            ref = normalize_text(reference(receipt), casefold=True)
            base_angle: dict[str, float] = {}
            for angle in (0, 5, -5, 15, -15, 30, -30, 45, -45):
                image = turn(upright, angle) if angle else upright
                started = time.perf_counter()
                page = reader.read(image).pages[0]
                seconds = time.perf_counter() - started
                hyp = normalize_text(page.text, casefold=True)
                deskew = next((s.params for s in page.preprocessing if s.name == "deskew"), {})
                if angle == 0:
                    base_angle[receipt] = deskew.get("measured") or 0.0
                rows.append(
                    {
                        "receipt": receipt,
                        "angle": angle,
                        "cer": cer(ref, hyp),
                        "ref_chars": len(ref),
                        "measured": deskew.get("measured"),
                        "rotation": page.rotation,
                        "angle_error": round(
                            abs((deskew.get("measured") or 0) + angle - (base_angle.get(receipt) or 0)) % 90,
                            2,
                        ),
                        "seconds": round(seconds, 2),
                    }
                )
        table = {}
        for angle in (0, 5, -5, 15, -15, 30, -30, 45, -45):
            group = [r for r in rows if r["angle"] == angle]
            chars = sum(r["ref_chars"] for r in group) or 1
            table[str(angle)] = {
                "cer_pooled": round(sum(r["cer"] * r["ref_chars"] for r in group) / chars, 4),
                "mean_abs_angle_error": round(
                    float(np.mean([min(r["angle_error"], 90 - r["angle_error"]) for r in group])), 2
                ),
                "turned": sum(1 for r in group if r["rotation"]),
            }
        results["skew"] = {"receipts": len(ids), "by_angle": table, "rows": rows}
        print("| angle | CER | vs upright | mean |angle error| | turned |\n|---:|---:|---:|---:|---:|")
        base = table["0"]["cer_pooled"]
        for angle, row in table.items():
            print(
                f"| {angle} | {row['cer_pooled']:.2%} | {row['cer_pooled'] - base:+.2%} | "
                f"{row['mean_abs_angle_error']} | {row['turned']} |"
            )
    reader.close()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
