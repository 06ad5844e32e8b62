"""Tutorial flow 1 (seeds 000/001): OCR an invoice, then an LLM spell-check post-processor, then a
chain with an extract-totals callable. Ported by changing the imports and the image path only.

    python examples/01_invoice_spell_check.py [IMAGE]

Runs offline: the configured Qwen repo is used when it is in the Hugging Face cache (or downloadable);
otherwise clearocr warns, naming the file and where to put it, and uses its embedded model.
Answers of callables that call ``run_prompt`` are guarded (only plausible OCR fixes are kept).
"""

import sys
from pathlib import Path

import clearocr.engine as ocr  # was: import aspose.ocr as ocr
from clearocr.ai import AI as AsposeAI  # was: from aspose.ai import ...
from clearocr.ai import AIModelConfig as AsposeAIModelConfig

# Define the path to your invoice image
image_path = (
    sys.argv[1]
    if len(sys.argv) > 1
    else str(Path(__file__).resolve().parent.parent / "samples" / "invoice.png")
)

# Initialize the OCR engine and attach the image
engine = ocr.OcrEngine()
engine.image = ocr.Image.load(image_path)

# Perform OCR
engine.recognize()
raw_text = engine.recognized_text

print("Raw OCR output:")
print(raw_text)

model_config = AsposeAIModelConfig(
    allow_auto_download="true",
    hugging_face_repo_id="Qwen/Qwen2.5-3B-Instruct-GGUF",
    hugging_face_quantization="q4_k_m",
    gpu_layers=30,  # 30 layers on GPU, remainder on CPU
    context_size=4096,  # larger context for long paragraphs
)

ai = AsposeAI()
ai.initialize(model_config)  # you could also pass `model_config` to the constructor


def simple_spell_check(text):
    prompt = f"Correct spelling and punctuation:\n{text}"
    return ai.run_prompt(prompt)


# Register the post-processor with the AI instance
ai.set_post_processor(simple_spell_check, None)

enhanced_text = ai.run_postprocessor(raw_text)

print("\nAI-enhanced OCR output:")
print(enhanced_text)


def extract_totals(text):
    # simple regex to pull monetary values
    import re

    totals = re.findall(r"\$?\d+(?:,\d{3})*(?:\.\d{2})", text)
    return "\n".join(totals)


ai.set_post_processor([simple_spell_check, extract_totals], None)
print("\nAmounts after the chained post-processors:")
print(ai.run_postprocessor(raw_text))

ai.free_resources()
engine.dispose()
