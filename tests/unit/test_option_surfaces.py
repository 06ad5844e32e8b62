"""Every reading option is defined once (ReadOptions) and reachable from every surface: Python keywords,
the CLI (a flag, or --set KEY=VALUE), the HTTP API (form fields; the operator-only ones refused by name)
and the tutorials' engine object. A new option without an entry in SAMPLES fails here, so it cannot be
added to one surface and forgotten on another."""

from __future__ import annotations

import io

import pytest
from PIL import Image

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

import clearocr.engine as ocr
from clearocr.cli import _parse_settings
from clearocr.options import ReadOptions
from clearocr.pipeline import Reader
from clearocr.server import ServerSettings, create_app, hash_key
from clearocr.server.app import SERVER_ONLY_OPTIONS

#: A valid, non-default value per option, as a user would type it on a command line or in a form.
SAMPLES = {
    "engine": ("fake", "fake"),
    "languages": ("sv,en", ["sv", "en"]),
    "pages": ("1", "1"),
    "dpi": ("150", 150),
    "pdf_text": ("ocr", "ocr"),
    "mode": ("handwritten", "handwritten"),
    "orientation": ("false", False),
    "deskew": ("false", False),
    "upscale": ("false", False),
    "max_side": ("2000", 2000),
    "binarize": ("true", True),
    "denoise": ("true", True),
    "contrast": ("true", True),
    "hints": ("Alice,Metformin", ["Alice", "Metformin"]),
    "correct": ("lexical", "lexical"),
    "llm_model": ("model.gguf", "model.gguf"),
    "llm_quantization": ("q8_0", "q8_0"),
    "llm_url": ("http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1"),
    "gpu_layers": ("2", 2),
    "context_size": ("4096", 4096),
    "allow_download": ("true", True),
    "max_pages": ("10", 10),
    "max_pixels": ("1000000", 1000000),
    "layout": ("false", False),
    "speed": ("fast", "fast"),
    "extractor": ("rules", "rules"),
}


def test_samples_cover_every_option():
    assert set(SAMPLES) == set(ReadOptions.model_fields)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_option_reaches_python_cli_and_engine_object(name):
    text, value = SAMPLES[name]
    assert getattr(ReadOptions.build(**{name: value}), name) == value  # Python keyword
    assert getattr(ReadOptions.build(**_parse_settings([f"{name}={text}"])), name) == value  # --set
    assert getattr(ReadOptions.build(**_parse_settings([f"{name.replace('_', '-')}={text}"])), name) == value
    assert getattr(ocr.OcrEngine(**{name: value}).options, name) == value  # the tutorials' object


def test_every_option_reaches_the_http_api(tmp_path):
    options = ReadOptions(engine="fake", orientation=False)
    config = ServerSettings(
        api_key_hashes=[hash_key("k")], db_path=str(tmp_path / "j.sqlite3"), options=options, warm_up=False
    )
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(buffer, format="PNG")
    with TestClient(create_app(config, reader=Reader(options))) as api:
        for name, (text, _) in sorted(SAMPLES.items()):
            response = api.post(
                "/v1/documents",
                headers={"X-API-Key": "k"},
                files={"file": ("a.png", buffer.getvalue())},
                data={name: text},
            )
            if name in SERVER_ONLY_OPTIONS:
                assert response.status_code == 422, name
                assert "server operator" in response.json()["error"]["message"], name
            else:
                assert response.status_code == 200, (name, response.text)


def test_every_reading_command_takes_every_option(tmp_path, samples):
    """read, extract, batch, review and serve all take --set KEY=VALUE for any option (over their own
    flags), so no option is reachable from one command only."""
    import typer.main
    from typer.testing import CliRunner

    from clearocr.cli import app

    group = typer.main.get_command(app)
    for name in ("read", "extract", "batch", "review", "serve"):
        options = {opt for param in group.commands[name].params for opt in getattr(param, "opts", [])}
        assert "--set" in options, name
    image = tmp_path / "a.png"
    image.write_bytes((samples / "invoice.png").read_bytes())
    runner = CliRunner()
    for command in (
        ["read", str(image)],
        ["extract", str(image)],
        ["batch", str(image), "-o", str(tmp_path / "o")],
    ):
        result = runner.invoke(
            app, [*command, "--set", "engine=fake", "--set", "mode=handwritten", "--set", "orientation=false"]
        )
        assert result.exit_code == 0, (command, result.output)
