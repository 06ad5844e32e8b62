"""Does closing a llama.cpp backend give its memory back? RSS before loading, loaded, after close().

    python benchmarks/llm_memory.py [--model PATH]   # default: the embedded Gemma 3 270M

Prints a table and writes benchmarks/results/llm_memory.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    """Current resident set size of this process in MB (from /proc, Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--cycles", type=int, default=3)
    args = parser.parse_args()
    import llama_cpp  # noqa: F401  (the library's own footprint is not the model's)

    from clearocr.llm import create_backend

    gc.collect()
    rows = []
    baseline = rss_mb()
    for cycle in range(args.cycles):
        started = time.perf_counter()
        backend = create_backend("llamacpp", model=args.model)
        backend.complete("The invoice total is", max_tokens=8)
        loaded = rss_mb()
        backend.close()
        del backend
        gc.collect()
        after = rss_mb()
        rows.append(
            {
                "cycle": cycle + 1,
                "before_mb": baseline,
                "loaded_mb": loaded,
                "after_close_mb": after,
                "seconds": time.perf_counter() - started,
            }
        )
    print("| cycle | RSS before load (MB) | loaded + 8 tokens (MB) | after close() (MB) |")
    print("|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['cycle']} | {row['before_mb']:.0f} | {row['loaded_mb']:.0f} | {row['after_close_mb']:.0f} |"
        )
    out = ROOT / "benchmarks" / "results" / "llm_memory.json"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(rows, indent=1))
    tmp.replace(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
