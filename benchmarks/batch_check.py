"""Batch end to end (not a test): 200 files with 10 corrupt ones, a rerun, and the same batch on Ray.

    python benchmarks/batch_check.py --json benchmarks/results/batch_check.json [--files 200 --corrupt 10]

Builds a folder from the SROIE receipts in ../shared/data (the 90 originals, then re-encoded copies
at other JPEG qualities so every file has its own content), plus truncated copies as the corrupt ones,
then runs ``clearocr batch`` three times through the CLI:

1. local workers: expects ``files - corrupt`` outputs, ``corrupt`` errors in the manifest, exit 1;
2. the same command again: expects every good file skipped and exit 1 (the corrupt ones fail again);
3. ``--ray local`` into another folder: compares every JSON output with run 1 byte for byte.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from clearocr.batch import latest_records

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sroie2019" / "img"


def build_inputs(folder: Path, files: int, corrupt: int) -> None:
    originals = sorted(DATA.glob("*.jpg"))
    good = files - corrupt
    for index in range(good):
        source = originals[index % len(originals)]
        target = folder / f"r{index:03d}.jpg"
        if index < len(originals):
            target.write_bytes(source.read_bytes())
        else:  # a distinct file: the same receipt re-encoded
            buffer = io.BytesIO()
            Image.open(source).save(buffer, format="JPEG", quality=92 - index // len(originals) * 5)
            target.write_bytes(buffer.getvalue())
    for index in range(corrupt):
        data = originals[index].read_bytes()
        (folder / f"corrupt{index:02d}.jpg").write_bytes(data[: len(data) // 3])


def run(args: list[str]) -> tuple[int, float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "clearocr", "batch", *args], capture_output=True, text=True
    )
    return (
        result.returncode,
        time.perf_counter() - started,
        result.stderr.strip().splitlines()[-1] if result.stderr else "",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--corrupt", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        inputs, out, out_ray = root / "in", root / "out", root / "out-ray"
        inputs.mkdir()
        build_inputs(inputs, args.files, args.corrupt)
        results = {"files": args.files, "corrupt": args.corrupt, "jobs": args.jobs}

        code, seconds, summary = run([str(inputs), "-o", str(out), "--jobs", str(args.jobs)])
        records = latest_records(out / "manifest.jsonl")
        outputs = sorted(p for p in out.glob("*.json"))
        results["first"] = {
            "exit_code": code,
            "seconds": round(seconds, 1),
            "outputs": len(outputs),
            "ok": sum(r["status"] == "ok" for r in records.values()),
            "errors": sum(r["status"] == "error" for r in records.values()),
            "error_types": sorted({r["error"]["type"] for r in records.values() if r["error"]}),
            "summary": summary,
        }
        code, seconds, summary = run([str(inputs), "-o", str(out), "--jobs", str(args.jobs)])
        records = latest_records(out / "manifest.jsonl")
        results["rerun"] = {
            "exit_code": code,
            "seconds": round(seconds, 1),
            "skipped": sum(r["status"] == "skipped" for r in records.values()),
            "errors": sum(r["status"] == "error" for r in records.values()),
            "summary": summary,
        }
        if not args.no_ray:
            code, seconds, summary = run(
                [str(inputs), "-o", str(out_ray), "--jobs", str(args.jobs), "--ray", "local"]
            )
            same = sum(
                (out_ray / p.name).exists() and (out_ray / p.name).read_bytes() == p.read_bytes()
                for p in outputs
            )
            results["ray"] = {
                "exit_code": code,
                "seconds": round(seconds, 1),
                "outputs": len(list(out_ray.glob("*.json"))),
                "identical_to_local": same,
                "summary": summary,
            }

    print("| run | exit | seconds | result |\n|---|---|---|---|")
    first = results["first"]
    print(
        f"| first | {first['exit_code']} | {first['seconds']} | {first['outputs']} outputs, {first['errors']} errors ({', '.join(first['error_types'])}) |"
    )
    rerun = results["rerun"]
    print(
        f"| rerun | {rerun['exit_code']} | {rerun['seconds']} | {rerun['skipped']} skipped, {rerun['errors']} errors |"
    )
    if "ray" in results:
        ray = results["ray"]
        print(
            f"| ray | {ray['exit_code']} | {ray['seconds']} | {ray['outputs']} outputs, {ray['identical_to_local']} byte-identical to local |"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
