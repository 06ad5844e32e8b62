"""Tutorial flow 2 (seeds 000/001, "PDF page by page"): the same chain on each page of a PDF,
loaded with ``Image.load(pdf, page_index=i)`` (0-based), plus the built-in guarded spell-check.

    python examples/02_invoice_pdf_pages.py [PDF]
"""

import re
import sys
from pathlib import Path

import pypdfium2  # only to count the pages

import clearocr.engine as ocr  # was: import aspose.ocr as ocr
from clearocr.ai import AI as AsposeAI  # was: from aspose.ai import ...

pdf_path = (
    sys.argv[1]
    if len(sys.argv) > 1
    else str(Path(__file__).resolve().parent.parent / "samples" / "invoice-3pages-scanned.pdf")
)

engine = ocr.OcrEngine()
# No model configured: "spell_check" is then the lexical corrector alone (no LLM needed). After
# ai.initialize(AsposeAIModelConfig(...)) it also rescores unsure words with that model.
ai = AsposeAI()


def extract_totals(text):
    totals = re.findall(r"\d+(?:,\d{3})*\.\d{2}", text)
    return "\n".join(totals)


ai.set_post_processor(["spell_check", extract_totals], None)

page_count = len(pypdfium2.PdfDocument(pdf_path))
for page_index in range(page_count):
    engine.image = ocr.Image.load(pdf_path, page_index=page_index)  # 0-based page number
    engine.recognize()
    raw_text = engine.recognized_text
    print(f"=== page {page_index + 1}: raw OCR ===")
    print(raw_text)
    ai.set_post_processor("spell_check", None)
    print(f"=== page {page_index + 1}: corrected ===")
    print(ai.run_postprocessor(raw_text))
    ai.set_post_processor(["spell_check", extract_totals], None)
    print(f"=== page {page_index + 1}: amounts ===")
    print(ai.run_postprocessor(raw_text))

ai.free_resources()
engine.dispose()
