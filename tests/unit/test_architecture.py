"""The layering check CI runs (scripts/check_architecture.py): the tree passes it, and it does catch an
import cycle hidden in a function body, a long function and a long module in a package it is shown."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _checker():
    spec = importlib.util.spec_from_file_location(
        "check_architecture", ROOT / "scripts" / "check_architecture.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_tree_has_no_cycle_no_long_function_and_no_long_module():
    assert _checker().main([]) == 0


def test_a_cycle_through_a_function_body_a_long_function_and_a_long_module_are_caught(tmp_path, monkeypatch):
    checker = _checker()
    package = tmp_path / "clearocr"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from clearocr.sub import b\n")
    body = "\n".join(f"    x{i} = {i}" for i in range(130))
    (package / "sub" / "b.py").write_text(f"def f():\n    from clearocr import a\n{body}\n")
    (package / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from clearocr import a\n" + "\n" * 800
    )
    monkeypatch.setattr(checker, "ROOT", tmp_path)
    modules = checker.scan(120)
    assert checker.cycles(modules) == [["clearocr.a", "clearocr.sub.b"]]
    assert modules["clearocr.sub.b"].lazy_imports == [(2, "clearocr.a")]
    assert [f for f, _, _ in modules["clearocr.sub.b"].long_functions] == ["f"]
    assert "clearocr.a" not in modules["clearocr.typed"].imports  # TYPE_CHECKING imports never run
    assert checker.main([]) == 1
