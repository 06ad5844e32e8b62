"""Tutorial flow 5 (seed 004): a handwritten note, handwritten mode, a correction prompt, and
vocabulary hints for domain terms.

    python examples/05_handwritten_prompt_hints.py [IMAGE]
"""

import sys
from pathlib import Path

import clearocr.engine as ocr  # was: import asposeocr as ocr
from clearocr.ai import AI as AsposeAI  # was: from asposeocr.ai import ...
from clearocr.ai import AIModelConfig as AsposeAIModelConfig

image_path = (
    sys.argv[1]
    if len(sys.argv) > 1
    else str(Path(__file__).resolve().parent.parent / "samples" / "handwritten-note.png")
)

# 1 Load image for OCR
ocr_engine = ocr.OcrEngine()
ocr_engine.image = ocr.Image.load(image_path)

# 2 Run OCR in handwritten mode
ocr_engine.recognition_mode = ocr.RecognitionMode.HANDWRITTEN
ocr_engine.recognize()
raw_handwritten_text = ocr_engine.recognized_text
print("Handwritten raw output:")
print(raw_handwritten_text)

# 3 Configure Hugging Face model
ai_config = AsposeAIModelConfig(
    allow_auto_download="true",
    hugging_face_repo_id="Qwen/Qwen2.5-3B-Instruct-GGUF",
    gpu_layers=0,  # Change >0 for GPU acceleration
)
ai_engine = AsposeAI()
ai_engine.initialize(ai_config)


# 4 Define correction prompt
def correct_handwritten(text):
    prompt = f"Fix any spelling/grammar errors in this handwritten OCR result:\n{text}"
    return ai_engine.run_prompt(prompt)


ai_engine.set_post_processor(correct_handwritten, None)

# 5 Apply correction
corrected_text = ai_engine.run_postprocessor(raw_handwritten_text)
print("\nCorrected handwritten output:")
print(corrected_text)

# Vocabulary hints: terms the corrector should prefer (medical terms, names)
ai_engine.set_post_processor(
    ["spell_check", correct_handwritten], {"hints": ["Metformin", "Lisinopril", "Alice"]}
)
print("\nCorrected with vocabulary hints:")
print(ai_engine.run_postprocessor(raw_handwritten_text))

# Free AI resources
ai_engine.free_resources()
# Dispose the OCR engine
ocr_engine.dispose()
