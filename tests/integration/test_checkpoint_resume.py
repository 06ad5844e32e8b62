"""A long PDF killed part-way keeps its finished pages; the rerun reads only the rest (real engine,
a real `clearocr read` process killed with SIGKILL). The PDF is generated with fpdf2: 60 small pages,
each with its number in text."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pdf(path: Path, pages: int) -> None:
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(300, 200))
    pdf.set_font("helvetica", size=20)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.text(30, 80, f"Page {number} of {pages}")
    pdf.output(str(path))


def _checkpointed(path: Path) -> int:
    try:
        return max(0, len(path.read_text().splitlines()) - 1)  # minus the header line
    except OSError:
        return 0


def test_killed_read_keeps_its_pages_and_the_rerun_finishes(tmp_path):
    source = tmp_path / "long.pdf"
    _pdf(source, 60)
    out = tmp_path / "long.json"
    checkpoint = tmp_path / ".long.json.pages.jsonl"
    command = [
        sys.executable,
        "-m",
        "clearocr",
        "read",
        str(source),
        "-f",
        "json",
        "-o",
        str(out),
        "--dpi",
        "100",
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while _checkpointed(checkpoint) < 40 and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    kept = _checkpointed(checkpoint)
    assert 40 <= kept < 60, kept
    assert not out.exists()  # no half-written output

    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"{kept} page(s) already read" in rerun.stderr
    document = json.loads(out.read_text())
    assert [p["number"] for p in document["pages"]] == list(range(1, 61))
    assert all(
        f"Page {p['number']} of 60" in " ".join(ln["text"] for ln in p["lines"]) for p in document["pages"]
    )
    assert not checkpoint.exists()
