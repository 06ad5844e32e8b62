"""LLM backends: the fake, model resolution without network, and llama.cpp on a tiny generated GGUF."""

import pytest

from clearocr.llm import LLMError, create_backend
from clearocr.llm.llamacpp import expected_filename, normalize_quantization, resolve_model
from tests.fixtures.optional import require_llm


def test_fake_backend_replays_and_records():
    backend = create_backend("fake", replies=["one", "two"])
    assert backend.complete("a").text == "one"
    assert backend.chat([{"role": "user", "content": "b"}]).text == "two"
    assert backend.complete("c").text == "two"
    assert backend.prompts[0] == "a" and backend.prompts[1][0]["content"] == "b"
    backend.close()
    with pytest.raises(LLMError):
        backend.complete("d")


def test_unknown_backend():
    with pytest.raises(LLMError, match="unknown LLM backend"):
        create_backend("nope")


@pytest.mark.parametrize(
    "typed, tag", [("Q4_K_M", "q4_k_m"), ("int8", "q8_0"), ("q8-0", "q8_0"), ("fp16", "f16")]
)
def test_quantization_names(typed, tag):
    assert normalize_quantization(typed) == tag


def test_missing_repo_file_error_names_file_and_folder(tmp_path, monkeypatch):
    pytest.importorskip("huggingface_hub")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(LLMError) as info:
        resolve_model("Qwen/Qwen2.5-3B-Instruct-GGUF", "Q4_K_M", allow_download=False)
    message = str(info.value)
    assert "qwen2.5-3b-instruct-q4_k_m.gguf" in message and "allow_download=True" in message
    assert (
        expected_filename("TheBloke/Mistral-7B-Instruct-v0.2-GGUF", "int8")
        == "mistral-7b-instruct-v0.2-q8_0.gguf"
    )


def test_bad_model_arguments(tmp_path):
    with pytest.raises(LLMError, match="no such model file"):
        resolve_model(tmp_path / "missing.gguf")
    with pytest.raises(LLMError, match="neither"):
        resolve_model("not a model")
    with pytest.raises(LLMError, match="quantization"):
        resolve_model("Qwen/Qwen2.5-3B-Instruct-GGUF")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    require_llm()
    pytest.importorskip("gguf")
    from tests.fixtures.tiny_gguf import write_tiny_gguf

    return write_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny.gguf")


def test_llamacpp_loads_generates_greedily_and_scores(tiny_model):
    with create_backend("llamacpp", model=tiny_model, n_ctx=256, threads=1) as backend:
        first = backend.complete("Invoice total", max_tokens=6)
        again = backend.complete("Invoice total", max_tokens=6)
        assert first.text == again.text and len(first.token_logprobs) >= 1
        assert all(value <= 0 for value in first.token_logprobs)
        reply = backend.chat([{"role": "user", "content": "Fix: Inv0ice"}], max_tokens=4)
        assert isinstance(reply.text, str) and reply.finish_reason in ("stop", "length")
        short, longer = backend.score("the total"), backend.score("the total is due")
        assert short < 0 and longer < short  # more tokens, lower joint probability
        # Variants of a shared prefix (KV cache re-used) score as the whole texts do.
        endings = ["total is due", "tota1 is due", "x"]
        expected = [backend.score("the " + ending) for ending in endings]
        assert backend.score_variants("the ", endings) == pytest.approx(expected, rel=0.02, abs=0.05)
        assert backend.score_variants("", ["the total"]) == pytest.approx([short], rel=0.02, abs=0.05)
    with pytest.raises(LLMError, match="closed"):
        backend.complete("x")


def test_llamacpp_rejects_a_file_that_is_not_gguf(tmp_path):
    require_llm()
    bogus = tmp_path / "broken.gguf"
    bogus.write_bytes(b"GGUF but not really")
    with pytest.raises(LLMError, match="broken.gguf"):
        create_backend("llamacpp", model=bogus)


def test_reader_correct_llm_loads_the_model_once_and_frees_it(tiny_model, tmp_path):
    import numpy as np

    import clearocr

    image = np.full((300, 400, 3), 255, np.uint8)
    with clearocr.Reader(
        engine="fake", orientation=False, correct="llm", llm_model=str(tiny_model), context_size=256
    ) as reader:
        first = reader.read(image)
        backend = reader.llm()
        reader.read(image)
        assert reader.llm() is backend  # loaded once
        assert first.raw_text is not None and first.text == "TOTAL 9.00\nThanks"  # nothing unsure to fix
    with pytest.raises(LLMError, match="closed"):
        backend.complete("x")


@pytest.fixture(scope="module")
def llama_server(tiny_model):
    """A real `python -m llama_cpp.server` on loopback serving the tiny model."""
    import socket
    import subprocess
    import sys
    import time

    require_llm("llama_cpp.server")
    pytest.importorskip("httpx")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(tiny_model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "256",
            "--model_alias",
            "tiny",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import httpx

    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("llama_cpp.server did not start")
    yield f"http://127.0.0.1:{port}/v1"
    process.terminate()
    process.wait(timeout=10)


def test_openai_backend_against_a_real_llama_cpp_server(llama_server):
    with create_backend("openai", base_url=llama_server, model="tiny") as backend:
        first = backend.complete("Invoice total", max_tokens=5)
        assert first.text == backend.complete("Invoice total", max_tokens=5).text  # greedy
        reply = backend.chat([{"role": "user", "content": "hi"}], max_tokens=4)
        assert isinstance(reply.text, str) and reply.finish_reason in ("stop", "length")
        with pytest.raises(LLMError, match="cannot score"):
            backend.score("text")
        # A JSON-schema constraint: llama.cpp's server refuses OpenAI's json_schema spelling (HTTP 500),
        # so the backend falls back to json_object + schema, and remembers it.
        schema = {
            "type": "object",
            "properties": {"total": {"type": "string", "maxLength": 8}},
            "required": ["total"],
        }
        constrained = backend.chat(
            [{"role": "user", "content": "total?"}],
            max_tokens=24,
            response_format={"type": "json_object", "schema": schema},
        )
        assert constrained.text.lstrip().startswith("{")
        assert backend._schema_style == "json_object"
        assert (
            backend._response_formats({"type": "json_object", "schema": schema})[0]["type"] == "json_object"
        )
        assert not backend.can_score


def test_reader_corrects_through_an_openai_compatible_server(llama_server, page_image):
    from clearocr.pipeline import Reader

    with Reader(engine="fake", orientation=False) as reader:
        document = reader.read(page_image, correct="llm", llm_url=llama_server, llm_model="tiny")
    # The random-weight model proposes nonsense: the guard keeps the OCR text (and nothing crashes).
    assert document.raw_text is not None and document.text == document.raw_text
    assert isinstance(reader, Reader)


def test_openai_backend_unreachable_server_is_a_clear_error():
    pytest.importorskip("httpx")
    with create_backend("openai", base_url="http://127.0.0.1:9/v1", timeout=2, retries=0) as backend:
        with pytest.raises(LLMError, match="cannot reach"):
            backend.complete("x")


def test_llm_extractor_with_a_real_grammar_constrained_model(tiny_model):
    """The tiny model answers nonsense, but as schema-valid JSON; nothing it says is kept unless printed."""
    from clearocr.document import Document, Line, Page, Word
    from clearocr.extraction.llm import LLMExtractor

    words = [Word("TOTAL", (10, 10, 60, 30), 0.9), Word("9.00", (200, 10, 240, 30), 0.9)]
    document = Document("t", [Page(number=1, width=300, height=100, lines=[Line.from_words(words)])])
    with create_backend("llamacpp", model=tiny_model, n_ctx=2048, threads=1) as backend:
        extractor = LLMExtractor(backend)
        answer = extractor.ask(document)
        fields = extractor.extract(document)
    assert isinstance(answer, dict)
    for name, value in fields.values().items():
        assert value is None or value in ("9.00", "TOTAL"), (name, value)


def test_auto_correction_falls_back_to_lexical_without_a_model(tmp_path):
    import numpy as np

    import clearocr

    image = np.full((300, 400, 3), 255, np.uint8)
    with clearocr.Reader(
        engine="fake", orientation=False, correct="auto", llm_model=str(tmp_path / "absent.gguf")
    ) as reader:
        document = reader.read(image)  # the model cannot load: lexical only, no error
        assert document.raw_text is not None and reader._llm is None


def test_auto_correction_uses_a_loadable_model(tiny_model):
    import numpy as np

    import clearocr

    image = np.full((300, 400, 3), 255, np.uint8)
    with clearocr.Reader(
        engine="fake", orientation=False, correct="auto", llm_model=str(tiny_model), context_size=256
    ) as reader:
        reader.read(image)
        assert reader._llm is not None


def test_generic_quantization_names_find_their_family():
    """int8 is q8_0 where a repo has it, else q8_k or a file named int8; an exact tag is looked for alone."""
    from clearocr.llm.llamacpp import pick_gguf, quantization_tags

    assert quantization_tags("int8")[:2] == ("q8_0", "q8_k") and quantization_tags("Q5_K_M") == ("q5_k_m",)
    files = ["m-Q4_K_M.gguf", "m-Q8_K.gguf", "m-f16.gguf", "README.md"]
    assert pick_gguf(files, "int8") == "m-Q8_K.gguf"
    assert pick_gguf(files + ["m-Q8_0.gguf"], "int8") == "m-Q8_0.gguf"
    assert pick_gguf(["model-int8.gguf"], "INT8") == "model-int8.gguf"
    assert pick_gguf(files, "q8_0") is None  # an exact tag is not widened
    assert pick_gguf(["m-q4_0.gguf", "m-q5_k_m.gguf"], "int4") == "m-q4_0.gguf"
