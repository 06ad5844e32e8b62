"""Options are typed once: adding one field to the option model makes it a flag of ``read``, ``extract``,
``review``, ``batch`` and ``serve`` and a form field of the HTTP API (in its OpenAPI schema, accepted
by ``POST /v1/documents``), with no other edit. A fresh interpreter adds a made-up field before the CLI
and the server are imported, exactly as an edit of ``clearocr/options.py`` would."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("fastapi")

SCRIPT = textwrap.dedent(
    """
    import io, json
    from pydantic import Field, create_model
    import clearocr.options

    # The edit: one new field on the reading options.
    clearocr.options.ReadOptions = create_model(
        "ReadOptions",
        __base__=clearocr.options.ReadOptions,
        sharpen_edges=(bool, Field(False, description="Sharpen edges before OCR (made up by this test).")),
    )

    import typer.main
    from fastapi.testclient import TestClient
    from PIL import Image
    from typer.testing import CliRunner

    from clearocr.cli import app
    from clearocr.server import ServerSettings, create_app, hash_key

    out = {}
    group = typer.main.get_command(app)
    for name in ("read", "extract", "review", "batch", "serve"):
        params = {opt: param for param in group.commands[name].params for opt in getattr(param, "opts", [])}
        param = params.get("--sharpen-edges")
        out[name] = [bool(param), getattr(param, "help", "") or "", list(getattr(param, "secondary_opts", []))]

    runner = CliRunner()
    # The flag parses (the missing file is the error, exit code 8), and a flag nobody defined does not.
    out["read_missing"] = runner.invoke(app, ["read", "missing.png", "--sharpen-edges"]).exit_code
    out["read_unknown_flag"] = runner.invoke(app, ["read", "missing.png", "--blur-edges"]).exit_code

    settings = ServerSettings(
        api_key_hashes=[hash_key("k")],
        db_path=__import__("tempfile").mkdtemp() + "/jobs.sqlite3",
        warm_up=False,
        options=clearocr.options.ReadOptions(orientation=False, layout=False),
    )
    image = io.BytesIO()
    Image.new("RGB", (240, 120), "white").save(image, format="PNG")
    with TestClient(create_app(settings)) as api:
        schema = api.get("/openapi.json", headers={"X-API-Key": "k"}).json()
        body = schema["paths"]["/v1/documents"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
        ref = body["$ref"].rsplit("/", 1)[-1]
        form = schema["components"]["schemas"][ref]["properties"]
        out["form_field"] = form.get("sharpen_edges", {}).get("description", "")
        sent = api.post("/v1/documents", headers={"X-API-Key": "k"}, files={"file": ("a.png", image.getvalue())},
                        data={"sharpen_edges": "true"})
        out["post"] = sent.status_code
        bad = api.post("/v1/documents", headers={"X-API-Key": "k"}, files={"file": ("a.png", image.getvalue())},
                       data={"sharpen_edges": "sideways"})
        out["post_bad"] = [bad.status_code, bad.json()["error"]["message"]]
    print("RESULT " + json.dumps(out))
    """
)


def test_a_new_option_field_reaches_every_command_and_the_http_form(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stderr[-3000:]
    out = json.loads(lines[-1][len("RESULT ") :])
    for command in ("read", "extract", "review", "batch", "serve"):
        present, help_text, negative = out[command]
        assert present, command
        assert "made up by this test" in help_text, command
        assert negative == ["--no-sharpen-edges"], command
    assert out["read_missing"] == 8
    assert out["read_unknown_flag"] == 2
    assert "made up by this test" in out["form_field"]
    assert out["post"] == 200
    assert out["post_bad"][0] == 422 and "sharpen_edges" in out["post_bad"][1]
