"""Check clearocr's import graph and sizes: no import cycle, no god function, no god module.

Reads every module under ``src/clearocr`` with :mod:`ast` (nothing is imported or run) and builds the
graph of imports between clearocr's own modules, imports inside function bodies and under
``TYPE_CHECKING`` included except that ``if TYPE_CHECKING:`` imports are left out (they never run, and
they are how a lower layer names a higher one's types without depending on it). It then reports:

- the import cycles among modules (strongly connected components with more than one module, found with
  Tarjan's algorithm, 1972), each printed as its members;
- imports of clearocr's own modules inside function bodies (allowed but counted: a lazy import of a heavy
  third-party library is fine, one of our own modules usually hides a layering problem);
- functions longer than ``--max-function-lines`` (default 120) and modules longer than
  ``--max-module-lines`` (default 700), counted in physical lines.

A package's ``__init__`` counts as the package. ``from clearocr.x import y`` is an edge to ``clearocr.x.y``
when that is a module, else to ``clearocr.x``. Importing ``clearocr.a.b`` does not run ``clearocr.a``'s
body in this model (Python does run it, but ``__init__`` modules that only re-export would otherwise create
cycles that no reader sees); re-exports are still edges from the ``__init__`` to what it imports.

Usage: ``python scripts/check_architecture.py [--json FILE]``; exit status 1 when any limit is broken,
0 otherwise. CI runs it (``.ci/run``).
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

LOG = logging.getLogger("check_architecture")
ROOT = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "clearocr"


@dataclass
class ModuleInfo:
    """One module: its dotted name, path, lines, imports of our own modules and long functions."""

    name: str
    path: Path
    lines: int
    imports: set[str] = field(default_factory=set)
    lazy_imports: list[tuple[int, str]] = field(default_factory=list)
    long_functions: list[tuple[str, int, int]] = field(default_factory=list)


def module_name(path: Path) -> str:
    """Dotted module name of ``path`` under ``src`` (``__init__`` is the package)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(current: str, is_package: bool, node: ast.ImportFrom | ast.Import, known: set[str]) -> list[str]:
    """Our own modules named by one import statement."""
    targets: list[str] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                targets.append(alias.name)
        return [t for t in targets if t in known]
    base = node.module or ""
    if node.level:
        parts = current.split(".")
        if not is_package:
            parts = parts[:-1]
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([base] if base else []))
    if not (base == PACKAGE or base.startswith(PACKAGE + ".")):
        return []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        if candidate in known:
            targets.append(candidate)
        elif base in known:
            targets.append(base)
    return targets


def scan(max_function_lines: int) -> dict[str, ModuleInfo]:
    """Parse every module of the package; imports resolved to module names."""
    paths = sorted((ROOT / PACKAGE).rglob("*.py"))
    known = {module_name(p) for p in paths}
    modules: dict[str, ModuleInfo] = {}
    for path in paths:
        name = module_name(path)
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=str(path))
        info = ModuleInfo(name, path, len(source.splitlines()))
        is_package = path.name == "__init__.py"

        def visit(node: ast.AST, in_function: bool, info: ModuleInfo = info, is_package: bool = is_package) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and _is_type_checking(child):
                    for sub in child.orelse:
                        visit(sub, in_function)
                    continue
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for target in sorted(set(_resolve(info.name, is_package, child, known))):
                        if target != info.name:
                            info.imports.add(target)
                            if in_function:
                                info.lazy_imports.append((child.lineno, target))
                    continue
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    length = (child.end_lineno or child.lineno) - child.lineno + 1
                    if length > max_function_lines:
                        info.long_functions.append((child.name, child.lineno, length))
                    visit(child, True)
                    continue
                visit(child, in_function)

        visit(tree, False)
        modules[name] = info
    return modules


def cycles(modules: dict[str, ModuleInfo]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan 1972), iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(modules[root].imports))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                target = pending.pop()
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, sorted(modules[target].imports)))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def main(argv: list[str] | None = None) -> int:
    """Print the report; return 1 when a limit is broken."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-function-lines", type=int, default=120)
    parser.add_argument("--max-module-lines", type=int, default=700)
    parser.add_argument("--json", type=Path, help="also write the report as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    modules = scan(args.max_function_lines)
    loops = cycles(modules)
    lazy = [(m.name, line, target) for m in modules.values() for line, target in m.lazy_imports]
    long_functions = [(m.name, f, line, n) for m in modules.values() for f, line, n in m.long_functions]
    long_modules = [(m.name, m.lines) for m in modules.values() if m.lines > args.max_module_lines]

    LOG.info("modules: %d, import edges: %d", len(modules), sum(len(m.imports) for m in modules.values()))
    LOG.info("cycles: %d", len(loops))
    for loop in loops:
        LOG.info("  cycle: %s", " <-> ".join(loop))
    LOG.info("in-function imports of clearocr modules: %d", len(lazy))
    LOG.info("functions over %d lines: %d", args.max_function_lines, len(long_functions))
    for name, function, line, n in sorted(long_functions, key=lambda row: -row[3]):
        LOG.info("  %s.%s (line %d): %d lines", name, function, line, n)
    LOG.info("modules over %d lines: %d", args.max_module_lines, len(long_modules))
    for name, n in sorted(long_modules, key=lambda row: -row[1]):
        LOG.info("  %s: %d lines", name, n)
    if args.json:
        report = {
            "modules": len(modules),
            "cycles": loops,
            "in_function_imports": [{"module": m, "line": n, "imports": t} for m, n, t in lazy],
            "long_functions": [{"module": m, "function": f, "line": n, "lines": k} for m, f, n, k in long_functions],
            "long_modules": [{"module": m, "lines": n} for m, n in long_modules],
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    broken = bool(loops or long_functions or long_modules)
    if broken:
        LOG.error("architecture check failed: cycles, long functions or long modules above")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
