"""The reading options of a request, derived from :class:`~clearocr.options.ReadOptions`: one form field
per option a client may set (every field but :data:`~clearocr.server.settings.SERVER_ONLY_OPTIONS`),
declared in the OpenAPI schema, plus the ``options`` field holding a JSON object of the same fields.
Adding a field to ReadOptions adds its form field here, with its description, with no other edit."""

from __future__ import annotations

import inspect
import json
from typing import Any

from clearocr.engines import ENGINES, engine_class, engine_names, ocr_languages
from clearocr.errors import OptionsError
from clearocr.options import ReadOptions
from clearocr.server.settings import SERVER_ONLY_OPTIONS


def client_option_names() -> list[str]:
    """The ReadOptions fields a client may set per request, in the model's order."""
    return [name for name in ReadOptions.model_fields if name not in SERVER_ONLY_OPTIONS]


def option_form_parameters() -> list[inspect.Parameter]:
    """One optional text form field per client option (FastAPI ``Form``), for an endpoint's signature.
    Values arrive as text and are converted by ReadOptions (``"false"``, ``"150"``, ``"en,sv"``)."""
    from fastapi import Form

    return [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=Form(None, description=ReadOptions.model_fields[name].description),
            annotation=str | None,
        )
        for name in client_option_names()
    ]


def request_overrides(
    form_keys: list[str], fields: dict[str, Any], options_json: str | None
) -> dict[str, Any]:
    """The option overrides of one request: the JSON ``options`` field, then the form fields over it.

    Args:
        form_keys: every field name the form holds (to refuse ones that are not options).
        fields: the declared option fields' values (None: not sent).
        options_json: the ``options`` field's text.

    Raises:
        OptionsError: an unknown field, an option only the server operator sets, or bad JSON (422).
    """
    overrides = parse_options_json(options_json)
    overrides.update({name: value for name, value in fields.items() if value is not None})
    extra = [key for key in form_keys if key not in ("file", "options", "extract") and key not in fields]
    for key in extra:  # not declared: an option only the operator sets, or not an option at all
        overrides[key] = None
    forbidden = sorted(SERVER_ONLY_OPTIONS & overrides.keys())
    if forbidden:
        raise OptionsError(f"{', '.join(forbidden)}: set by the server operator, not per request")
    unknown = sorted(set(extra) - set(ReadOptions.model_fields))
    if unknown:
        raise OptionsError(f"invalid options: {', '.join(unknown)}: not a reading option")
    return overrides


def parse_options_json(options: str | None) -> dict[str, Any]:
    """The ``options`` form field: a JSON object of ReadOptions fields.

    Raises:
        OptionsError: not JSON, not an object, too long or too deeply nested (422, never a 500).
    """
    if not options:
        return {}
    if len(options) > 64 * 1024:
        raise OptionsError(f"options: {len(options):,} characters, over the limit of 65,536")
    try:
        parsed = json.loads(options)
    except RecursionError:
        raise OptionsError("options: nested too deeply") from None
    except ValueError as exc:
        raise OptionsError(f"options: not valid JSON ({exc})") from None
    if not isinstance(parsed, dict):
        raise OptionsError(
            f'options: must be a JSON object such as {{"languages": "en,sv"}}, not {type(parsed).__name__}'
        )
    return parsed


def check_engine(opts: ReadOptions) -> None:
    """Refuse a request for an engine this server does not know, or a language it cannot read.

    Raises:
        OptionsError: an unknown engine name (422; ``EngineUnavailableError`` is kept for engines the
            server knows but cannot load, a server-side problem).
        UnsupportedLanguageError: a language the engine cannot read here (422).
    """
    if opts.engine not in ENGINES:
        raise OptionsError(
            f"engine: {opts.engine[:40]!r} is not an engine here; choose one of {', '.join(engine_names())}"
        )
    if opts.pdf_text != "layer":
        chosen = engine_class(opts.engine)
        chosen.resolve_languages(ocr_languages(chosen, opts.languages))
