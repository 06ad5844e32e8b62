"""Compare two benchmark result files field by field, timings left out: are the figures identical?

    python benchmarks/compare_results.py before/ocr.json after/ocr.json

Used to show that a refactoring changed no figure: every key whose name says it is a time or a memory
figure (``seconds*``, ``*rss*``, ``meta``) is dropped from both sides, then every remaining value is
compared exactly (floats included). Prints ``IDENTICAL`` or the differences (the first 20) and exits 0
or 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

TIMING_KEYS = frozenset({"meta", "time", "elapsed"})


def without_timings(value: Any) -> Any:
    """``value`` with every timing and memory key removed, recursively."""
    if isinstance(value, dict):
        return {
            key: without_timings(item)
            for key, item in value.items()
            if key not in TIMING_KEYS and not key.startswith("seconds") and "rss" not in key
        }
    if isinstance(value, list):
        return [without_timings(item) for item in value]
    return value


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where ``a`` and ``b`` differ, as ``path: a != b`` lines."""
    if type(a) is not type(b):
        return [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, dict):
        out = [f"{path}.{key}: on one side only" for key in sorted(set(a) ^ set(b))]
        for key in sorted(set(a) & set(b)):
            out += differences(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [line for i, (x, y) in enumerate(zip(a, b)) for line in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    found = differences(
        without_timings(json.loads(args.before.read_text(encoding="utf-8"))),
        without_timings(json.loads(args.after.read_text(encoding="utf-8"))),
    )
    print("IDENTICAL" if not found else f"{len(found)} differences:")
    for line in found[:20]:
        print(" ", line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
