"""Peak memory and wall time of one whole clearocr process: one receipt, and a 20-page scanned PDF.

    python benchmarks/peak_memory.py                          # this checkout's clearocr
    python benchmarks/peak_memory.py --src ../before/src      # another tree's (e.g. a git worktree)

Each case runs as its own child process (``python -c``: import clearocr, read with default options
through ``clearocr.read``, exit), so its peak resident set size (``ru_maxrss`` of the finished child,
the operating system's own accounting) is the process's alone, start-up and model loading included.
Cases, from ``../shared/data`` (research-licensed, so the PDF is built in a temporary folder and
never kept):

* ``receipt``: SROIE 2019 receipt ``000.jpg``;
* ``pdf-20``: the 10 scribeocr page images twice over, as a 20-page PDF (Pillow, 150 dpi), read
  whole (every page).

Rounds alternate the sources given (``--src`` more than once) so that they share the machine's load;
the table gives each case's median over ``--repeats`` rounds. Writes ``--json``
(default ``benchmarks/results/peak_memory.json``).
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

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("CLEAROCR_DATA", ROOT.parent / "shared" / "data"))

CHILD = """
import sys, clearocr
doc = clearocr.read(sys.argv[1])
print(len(doc.pages), len(doc.text))
"""


def build_pdf(folder: Path) -> Path:
    """The 10 scribeocr pages twice over as one 20-page PDF in ``folder``."""
    from PIL import Image

    images = sorted((DATA / "scribeocr-benchmark" / "img").iterdir())[:10] * 2
    pages = [Image.open(path).convert("RGB") for path in images]
    out = folder / "scribeocr-20.pdf"
    pages[0].save(out, save_all=True, append_images=pages[1:], resolution=150.0)
    return out


def run_child(src: str | None, path: Path) -> dict:
    """One child process reading ``path``; ``src`` goes first on its ``PYTHONPATH``."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(src).resolve()), env.get("PYTHONPATH")]))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        raise RuntimeError(f"{path.name} with {src or 'this checkout'}: {done.stderr[-2000:]}")
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: a child smaller than an earlier one
    # cannot be measured this way, so each case is run in a fresh helper (see main).
    return {
        "wall_s": wall,
        "peak_mib": peak / 1024,
        "earlier_peak_mib": before / 1024,
        "output": done.stdout.strip(),
    }


def measure(src: str | None, path: Path) -> dict:
    """``run_child`` in a fresh helper process, so that no earlier child's peak hides this one's."""
    helper = subprocess.run(
        [sys.executable, __file__, "--child", src or "", str(path)], capture_output=True, text=True
    )
    if helper.returncode != 0:
        raise RuntimeError(helper.stderr[-2000:])
    return json.loads(helper.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", action="append", default=None, help="a tree's src folder (repeatable)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "peak_memory.json"))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child[0] or None, Path(args.child[1]))))
        return 0
    sources = args.src or [""]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        cases = {"receipt": DATA / "sroie2019" / "img" / "000.jpg", "pdf-20": build_pdf(Path(folder))}
        runs: dict[tuple[str, str], list[dict]] = {}
        for round_ in range(args.repeats):
            for case, path in cases.items():
                order = sources if round_ % 2 == 0 else sources[::-1]
                for src in order:
                    result = measure(src or None, path)
                    runs.setdefault((case, src), []).append(result)
                    print(
                        f"round {round_ + 1} {case} {src or 'this checkout'}: {result['peak_mib']:.0f} MiB, "
                        f"{result['wall_s']:.1f} s",
                        file=sys.stderr,
                    )
        for (case, src), results in runs.items():
            rows.append(
                {
                    "case": case,
                    "src": src or "this checkout",
                    "peak_mib_median": statistics.median(r["peak_mib"] for r in results),
                    "peak_mib": [round(r["peak_mib"], 1) for r in results],
                    "wall_s_median": statistics.median(r["wall_s"] for r in results),
                    "output": results[-1]["output"],
                }
            )
    print("| case | clearocr | peak RSS MiB (median) | runs | wall s (median) |")
    print("|---|---|---:|---|---:|")
    for row in rows:
        print(
            f"| {row['case']} | {row['src']} | {row['peak_mib_median']:.0f} | "
            f"{', '.join(f'{v:.0f}' for v in row['peak_mib'])} | {row['wall_s_median']:.1f} |"
        )
    meta = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "command": " ".join(["python", "benchmarks/peak_memory.py", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d"),
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
