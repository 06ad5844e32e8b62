"""The one registry idiom (clearocr.registry) behind engines, LLM backends, post-processors and exporters."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from clearocr import registry
from clearocr.errors import EngineUnavailableError
from clearocr.registry import Registry


def make(monkeypatch, points):
    monkeypatch.setattr(registry, "entry_points", lambda group: [p for p in points if p.group == group])
    return Registry("widget", "test.widgets", {"builtin": "collections:OrderedDict"}, EngineUnavailableError)


def test_lazy_builtins_entry_points_and_registration(monkeypatch):
    points = [
        EntryPoint("extra", "collections:Counter", "test.widgets"),
        EntryPoint("builtin", "collections:deque", "test.widgets"),  # may not replace a built-in
        EntryPoint("other", "json:dumps", "other.group"),
    ]
    widgets = make(monkeypatch, points)
    assert widgets.names() == ["builtin", "extra"]
    import collections

    assert widgets.get("builtin") is collections.OrderedDict and widgets.get("extra") is collections.Counter
    widgets.register("mine", dict)
    assert widgets.get("mine") is dict and "mine" in widgets
    assert widgets.targets()["mine"] == "builtins:dict"
    widgets.declare("extra", "json:loads")  # taken: kept
    assert widgets.get("extra") is collections.Counter


def test_unknown_and_broken_entries_are_typed_errors(monkeypatch):
    widgets = make(monkeypatch, [EntryPoint("broken", "no_such_module_here:Thing", "test.widgets")])
    with pytest.raises(EngineUnavailableError, match="unknown widget 'nope'; available: broken, builtin"):
        widgets.get("nope")
    with pytest.raises(EngineUnavailableError, match="widget 'broken' .* cannot be loaded"):
        widgets.get("broken")


def test_every_kind_uses_it():
    from clearocr.correction import POSTPROCESSORS
    from clearocr.engines import ENGINES
    from clearocr.export import EXPORTERS
    from clearocr.llm import BACKENDS

    assert {"rapidocr", "tesseract"} <= set(ENGINES.names())
    assert {"llamacpp", "openai", "fake"} <= set(BACKENDS.names())
    assert {"lexical", "llm_correction"} <= set(POSTPROCESSORS.names())
    assert {"text", "pdf", "alto"} <= set(EXPORTERS.names())
    assert {ENGINES.group, BACKENDS.group, POSTPROCESSORS.group, EXPORTERS.group} == {
        "clearocr.engines",
        "clearocr.llm_backends",
        "clearocr.postprocessors",
        "clearocr.exporters",
    }
