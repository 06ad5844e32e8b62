"""One registry idiom for everything pluggable: OCR engines, LLM backends, post-processors, exporters.

Each kind has a :class:`Registry`: names mapped to ``"module:attribute"`` targets that are imported on
first use (so ``import clearocr`` stays fast), objects registered at run time (``register``), and the
targets other packages declare as Python entry points in the kind's group. A third-party package adds
an engine by declaring, in its ``pyproject.toml``::

    [project.entry-points."clearocr.engines"]
    myengine = "my_package.engine:MyEngine"      # an OcrEngine subclass

and likewise ``clearocr.llm_backends`` (an ``LLMBackend`` subclass), ``clearocr.postprocessors`` (a
post-processor class) and ``clearocr.exporters`` (a :class:`~clearocr.export.Exporter`). After
``pip install my-package`` the engine is listed by ``clearocr engines`` and used by ``--engine
myengine``. A built-in name is never replaced by an entry point (a warning is logged); ``register``
replaces deliberately.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Registry(Generic[T]):
    """Named, lazily imported plugins of one kind.

    Args:
        kind: what the entries are, for messages ("OCR engine").
        group: the entry-point group third-party packages declare them in ("clearocr.engines").
        builtins: name -> ``"module:attribute"`` of the ones that ship with clearocr.
        error: makes the exception for an unknown or broken name from a message.
    """

    def __init__(
        self, kind: str, group: str, builtins: dict[str, str], error: Callable[[str], Exception]
    ) -> None:
        self.kind = kind
        self.group = group
        self._entries: dict[str, str | T] = dict(builtins)
        self._builtin = frozenset(builtins)
        self._error = error
        self._scanned = False

    def _scan(self) -> None:
        """Add the entry points of :attr:`group` (once per process)."""
        if self._scanned:
            return
        self._scanned = True
        for point in entry_points(group=self.group):
            if point.name in self._builtin:
                log.warning(
                    "%s %r from entry point %s ignored: a built-in has that name",
                    self.kind,
                    point.name,
                    point.value,
                )
                continue
            self._entries.setdefault(point.name, point.value)

    def register(self, name: str, obj: T) -> T:
        """Make ``obj`` available as ``name`` (replacing an entry of that name) and return it."""
        self._entries[name] = obj
        return obj

    def declare(self, name: str, target: str) -> None:
        """Add ``name`` as a ``"module:attribute"`` target unless the name is taken (how a worker process
        learns the parent's run-time registrations, see :meth:`targets`)."""
        self._entries.setdefault(name, target)

    def get(self, name: str) -> T:
        """The entry ``name``, imported if needed.

        Raises:
            the registry's error: unknown name (the message lists the known ones), or a target that
            cannot be imported (the message names it and why).
        """
        self._scan()
        entry = self._entries.get(name)
        if entry is None:
            raise self._error(f"unknown {self.kind} {name!r}; available: {', '.join(sorted(self._entries))}")
        if isinstance(entry, str):
            module_name, _, attribute = entry.partition(":")
            try:
                loaded: Any = importlib.import_module(module_name)
                for part in attribute.split(".") if attribute else []:
                    loaded = getattr(loaded, part)
            except (ImportError, AttributeError) as exc:
                raise self._error(f"{self.kind} {name!r} ({entry}) cannot be loaded: {exc}") from None
            self._entries[name] = loaded
            return loaded
        return entry

    def names(self) -> list[str]:
        """Every registered name (built-ins, run-time registrations, entry points), sorted."""
        self._scan()
        return sorted(self._entries)

    def targets(self) -> dict[str, str]:
        """name -> ``"module:attribute"`` for every entry, so a fresh process (a batch worker) can import
        the ones registered at run time too."""
        self._scan()
        return {
            name: entry if isinstance(entry, str) else f"{entry.__module__}:{entry.__qualname__}"  # type: ignore[attr-defined]
            for name, entry in self._entries.items()
        }

    def __contains__(self, name: object) -> bool:
        self._scan()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
