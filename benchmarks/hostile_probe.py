"""Hostile-input probe (not a test): every case of the generated corpus (tests/fixtures/hostile.py) plus a
few large but legitimate inputs, each read by ``clearocr.read`` in a fresh process with default options
and the default engine. Reports per case: the outcome (result or error type), seconds, and the process's
peak RSS; the summary counts typed errors, results, tracebacks (untyped errors), hangs (over
``--timeout``) and half-written files, and names the worst case's peak RSS.

    python benchmarks/hostile_probe.py --json benchmarks/results/hostile_probe.json

``--src DIR`` runs another checkout's ``src`` (e.g. a worktree of an older commit) for a before/after
comparison; its figures go to the same table format.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from clearocr.testing.hostile import Case, build_corpus  # noqa: E402

_CHILD = r"""
import json, resource, sys, time
started = time.perf_counter()
try:
    import clearocr
    from clearocr.errors import ClearOCRError
    try:
        document = clearocr.read(sys.argv[1])
        outcome = {"kind": "result", "type": None, "message": f"{len(document.pages)} page(s)"}
    except ClearOCRError as exc:
        outcome = {"kind": "error", "type": type(exc).__name__, "message": str(exc)}
except BaseException as exc:
    outcome = {"kind": "untyped", "type": type(exc).__name__, "message": repr(exc)[:300]}
outcome["seconds"] = round(time.perf_counter() - started, 2)
outcome["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print("PROBE " + json.dumps(outcome))
"""


def _large_cases(folder: Path) -> list[Case]:
    """Big legitimate inputs at the limits: an 89 Mpx scan and an A4 page at 600 dpi."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("L", (9400, 9400), 255)
    draw = ImageDraw.Draw(image)
    for row in range(40):
        draw.text((200, 200 + row * 220), f"Line {row} of a very large scan, Total 9.00", fill=0)
    image.save(folder / "large-88mpx.png")
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    for row in range(40):
        pdf.text(40, 60 + row * 18, f"Row {row}: an A4 page read at 600 dpi")
    pdf.output(str(folder / "a4.pdf"))
    return [
        Case("large-88mpx.png", "result", why="88 Mpx, under the 89.5 Mpx limit"),
        Case("a4.pdf", "result", why="A4 at the default 300 dpi"),
    ]


def run_case(folder: Path, case: Case, timeout: float, src: Path | None) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    before = {p.name for p in folder.iterdir()}
    started = time.perf_counter()
    try:
        process = subprocess.run(
            [sys.executable, "-c", _CHILD, str(folder / case.name)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=tempfile.gettempdir(),
        )
    except subprocess.TimeoutExpired:
        return {
            "name": case.name,
            "expect": case.expect,
            "kind": "hang",
            "type": None,
            "message": f"no answer in {timeout:.0f} s",
            "seconds": timeout,
            "peak_mb": None,
        }
    lines = [ln for ln in process.stdout.splitlines() if ln.startswith("PROBE ")]
    if lines:
        outcome = json.loads(lines[-1][6:])
    else:  # the process died (killed for memory, a native crash)
        outcome = {
            "kind": "crash",
            "type": f"exit {process.returncode}",
            "message": process.stderr[-300:],
            "seconds": round(time.perf_counter() - started, 2),
            "peak_mb": None,
        }
    outcome["traceback"] = "Traceback" in process.stderr
    outcome["stderr_noise"] = bool(process.stderr.strip())
    outcome["new_files"] = sorted({p.name for p in folder.iterdir()} - before)
    return {"name": case.name, "expect": case.expect, "why": case.why, **outcome}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds per case before it counts as a hang"
    )
    parser.add_argument("--src", type=Path, help="run this checkout's src instead of the installed clearocr")
    parser.add_argument("--only", nargs="*", help="case names to run")
    parser.add_argument("--json", type=Path, help="save the results here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        cases = build_corpus(folder) + _large_cases(folder)
        if args.only:
            cases = [c for c in cases if c.name in args.only]
        rows = []
        for case in cases:
            row = run_case(folder, case, args.timeout, args.src)
            rows.append(row)
            print(
                f"{row['name']:26s} {row['kind']:8s} {str(row['type'] or ''):22s} {row['seconds']:7.2f} s "
                f"{str(row['peak_mb'] or '-'):>6s} MB  {row['message'][:90]}",
                flush=True,
            )
    measured = [r for r in rows if r["peak_mb"] is not None]
    worst = max(measured, key=lambda r: r["peak_mb"]) if measured else None
    summary = {
        "cases": len(rows),
        "results": sum(r["kind"] == "result" for r in rows),
        "typed_errors": sum(r["kind"] == "error" for r in rows),
        "untyped_errors": sum(r["kind"] == "untyped" for r in rows),
        "tracebacks": sum(bool(r.get("traceback")) for r in rows),
        "hangs": sum(r["kind"] == "hang" for r in rows),
        "crashes": sum(r["kind"] == "crash" for r in rows),
        "unexpected_outcomes": [r["name"] for r in rows if r["kind"] != r["expect"]],
        "stderr_noise": [r["name"] for r in rows if r.get("stderr_noise")],
        "half_written_files": sorted({f for r in rows for f in r.get("new_files", [])}),
        "worst_case": {"name": worst["name"], "peak_mb": worst["peak_mb"]} if worst else None,
        "slowest_case": max(rows, key=lambda r: r["seconds"])["name"] if rows else None,
        "src": str(args.src) if args.src else "installed",
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "cases": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
