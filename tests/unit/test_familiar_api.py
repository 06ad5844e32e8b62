"""The engine/AI objects of the tutorials (clearocr.engine, clearocr.ai) with fake engines and models."""

from __future__ import annotations

import re

import pytest
from PIL import Image as PILImage

import clearocr.engine as ocr
from clearocr.ai import AI, AIModelConfig, ModelFallbackWarning, text_document
from clearocr.errors import ClearOCRError, InputError, OptionsError
from clearocr.llm import LLMError
from clearocr.llm.fake import FakeBackend


def _ai(replies=("",)) -> AI:
    ai = AI()
    ai._backend = FakeBackend(replies)  # a loaded model, without llama.cpp
    ai.config = AIModelConfig()
    return ai


def test_engine_object_flow(tmp_path):
    page = PILImage.new("RGB", (400, 300), "white")
    with ocr.OcrEngine(engine="fake", orientation=False) as engine:
        with pytest.raises(ClearOCRError, match="no image loaded"):
            engine.recognize()
        engine.image = ocr.Image.load(page)
        result = engine.recognize()
        assert result.text.splitlines()[0] == "TOTAL 9.00" and engine.recognized_text == result.text
        assert result.document.pages[0].lines[0].words and 0 < result.confidence <= 1
        engine.set_recognition_mode(ocr.RecognitionMode.HANDWRITTEN)
        assert (
            engine.recognition_mode is ocr.RecognitionMode.HANDWRITTEN
            and engine.options.mode == "handwritten"
        )
        engine.recognition_mode = ocr.RecognitionMode.PRINTED
        engine.set_language(["sv", "en"])
        assert engine.options.languages == ["sv", "en"]
        engine.load_image(page)
        assert engine.recognize().text
    with pytest.raises(InputError, match="no such file"):
        ocr.Image.load(tmp_path / "missing.png")
    with pytest.raises(OptionsError):
        ocr.Image.load(page, page_index=-1)


def test_image_load_page_index_selects_one_pdf_page(samples):
    engine = ocr.OcrEngine(engine="fake", orientation=False, dpi=72)
    engine.image = ocr.Image.load(samples / "invoice-3pages-scanned.pdf", page_index=1)
    document = engine.recognize().document
    assert [p.number for p in document.pages] == [2]
    engine.dispose()


def test_model_config_sources_and_quantization_names(tmp_path):
    assert AIModelConfig().model_source() == (None, None)
    assert AIModelConfig(hugging_face_repo_id="Qwen/Qwen2.5-3B-Instruct-GGUF").model_source() == (
        "Qwen/Qwen2.5-3B-Instruct-GGUF",
        "q4_k_m",
    )
    assert AIModelConfig(allow_auto_download="true").allow_auto_download is True
    (tmp_path / "qwen2.5-3b-instruct-q8_0.gguf").write_bytes(b"GGUF")
    (tmp_path / "qwen2.5-3b-instruct-q4_k_m.gguf").write_bytes(b"GGUF")
    model, _ = AIModelConfig(
        hugging_face_repo_id=str(tmp_path), hugging_face_quantization="int8"
    ).model_source()
    assert model.endswith("q8_0.gguf")
    model, _ = AIModelConfig(
        directory_model_path=str(tmp_path), hugging_face_quantization="Q4_K_M"
    ).model_source()
    assert model.endswith("q4_k_m.gguf")
    with pytest.raises(OptionsError, match="several found"):
        AIModelConfig(directory_model_path=str(tmp_path)).model_source()


def test_missing_repo_model_names_the_file_or_falls_back(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    import clearocr.llm as llm

    config = dict(hugging_face_repo_id="Qwen/Qwen2.5-3B-Instruct-GGUF", hugging_face_quantization="Q4_K_M")
    with pytest.raises(LLMError, match=r"qwen2\.5-3b-instruct-q4_k_m\.gguf"):
        AI(AIModelConfig(**config, fallback="error"))
    loaded = []
    real = llm.create_backend

    def fake_create(name, model=None, **kwargs):
        if model is not None:
            return real(name, model=model, **kwargs)
        loaded.append(model)
        return FakeBackend()

    monkeypatch.setattr(llm, "create_backend", fake_create)
    with pytest.warns(ModelFallbackWarning, match="q4_k_m.gguf"):
        ai = AI(AIModelConfig(**config))
    assert loaded == [None] and ai.initialized


def test_post_processor_chain_keeps_the_input_kind_and_guards_llm_answers():
    ai = _ai(["Invoice No: 2023-00999 Total Due: $9,999.00 Pay now!"])

    def spell_check(text):
        return ai.run_prompt(f"Correct spelling and punctuation:\n{text}")

    def extract_totals(text):
        return "\n".join(re.findall(r"\$\d+(?:,\d{3})*(?:\.\d{2})?", text))

    raw = "Inv0ice N0: 2023-00123 Total Due: $1,250.00"
    ai.set_post_processor(spell_check, None)
    # The model's "Invoice" fix is kept; its changed ID and amount and the added words are not.
    assert ai.run_postprocessor(raw) == "Invoice N0: 2023-00123 Total Due: $1,250.00"
    assert ai.guard_rejected >= 2
    ai.set_post_processor([spell_check, extract_totals], None)
    assert ai.run_postprocessor(raw) == "$1,250.00"
    unguarded = AI(guarded=False)
    unguarded._backend = FakeBackend(["rewritten"])
    unguarded.set_post_processor(lambda t: unguarded.run_prompt(t))
    assert unguarded.run_postprocessor(raw) == "rewritten"


def test_builtin_names_on_text_results_and_documents():
    ai = AI()  # no model: spell_check is the lexical corrector
    ai.set_post_processor("spell_check", {"hints": ["Metformin"]})
    assert (
        ai.run_postprocessor("Take Metfornin with the Inv0ice at 5pm")
        == "Take Metformin with the Invoice at 5pm"
    )
    result = ocr.RecognitionResult("arnount Inv0ice", text_document("arnount Inv0ice"))
    corrected = ai.run_postprocessor(result)
    assert isinstance(corrected, ocr.RecognitionResult) and corrected.raw_text == "arnount Inv0ice"
    assert corrected.text == "amount Invoice" and result.text == "arnount Inv0ice"  # the input is not changed
    document = ai.run_postprocessor(text_document("arnount Inv0ice"))
    assert [c.after for c in document.corrections] == ["amount", "Invoice"]
    with pytest.raises(OptionsError, match="unknown post-processor"):
        ai.set_post_processor("magic")
    with pytest.raises(OptionsError, match="settings"):
        ai.set_post_processor("spell_check", {"colour": 1})
    with pytest.raises(TypeError):
        ai.run_postprocessor(42)


def test_llm_correction_by_name_uses_the_loaded_model():
    ai = _ai(["This is a simple note"])
    ai.set_post_processor("llm_correction")
    # "smple" -> "simple" is kept. "Ths" is in the lexicon (Zipf 2.7): a known word changes only for one
    # OCR confusions away, and "This" is an insertion, so the guard keeps "Ths".
    assert ai.run_postprocessor("Ths is a smple note") == "Ths is a simple note"
    ai.set_post_processor("llm_correction", {"prompt": "notes"})
    ai.run_postprocessor("Ths is a smple note")
    assert "handwritten notes" in ai._backend.prompts[-1][0]["content"]
    backend = ai._backend
    ai.free_resources()
    assert not ai.initialized and backend.closed


def test_tutorial_exception_names_catch_every_clearocr_error(tmp_path):
    """``except ocr.exceptions.OcrException`` (the cloud tutorial's retry loop) catches clearocr's
    errors; a missing file is also a FileNotFoundError and bad options are ValueErrors."""
    assert ocr.exceptions.OcrException is ClearOCRError
    with pytest.raises(FileNotFoundError) as missing:
        ocr.Image.load(str(tmp_path / "handwritten_note.jpg"))
    assert isinstance(missing.value, ocr.exceptions.OcrException) and "handwritten_note.jpg" in str(
        missing.value
    )
    engine = ocr.OcrEngine(engine="fake")
    with pytest.raises(FileNotFoundError):
        engine.load_image(str(tmp_path / "nope.png"))
    with pytest.raises(ValueError):
        ocr.OcrEngine(dpi=5)
    with pytest.raises(ocr.exceptions.OcrException):
        engine.set_language("xx")
        engine.load_image(PILImage.new("RGB", (50, 50), "white"))
        engine.recognize()
    from clearocr.client import APIError

    assert (
        issubclass(ocr.exceptions.APIError, ocr.exceptions.OcrException)
        and ocr.exceptions.APIError is APIError
    )
    assert issubclass(ocr.exceptions.LLMError, ocr.exceptions.OcrException)


def test_language_enum_and_per_image_preprocessing(tmp_path):
    engine = ocr.OcrEngine(engine="fake", orientation=False)
    engine.set_language(ocr.Language.SPANISH)
    assert engine.options.languages == ["es"]
    engine.set_language([ocr.Language.SWEDISH, "en"])
    assert engine.options.languages == ["sv", "en"]
    assert ocr.OcrEngine(ocr.Language.CHINESE).options.languages == ["zh"]
    image = ocr.Image.load(PILImage.new("RGB", (400, 300), "white"))
    assert image.apply_binarization().apply_denoise() is image
    engine.image = image
    steps = [s.name for s in engine.recognize().document.pages[0].preprocessing]
    assert "binarize" in steps and "denoise" in steps
    assert engine.options.binarize is False  # per image: the engine's options are unchanged
    plain = ocr.Image.load(PILImage.new("RGB", (400, 300), "white"))
    engine.image = plain
    assert "binarize" not in [s.name for s in engine.recognize().document.pages[0].preprocessing]
    with pytest.raises(ValueError):
        plain.set_dpi(5)


def test_bad_ai_settings_are_typed_errors():
    with pytest.raises(OptionsError, match="gpu_layers") as bad:
        AIModelConfig(gpu_layers=-7)
    assert isinstance(bad.value, ValueError) and isinstance(bad.value, ocr.exceptions.OcrException)
    with pytest.raises(OptionsError, match="colour"):
        AIModelConfig(colour="blue")
    assert AIModelConfig(allow_auto_download="true").allow_auto_download is True
