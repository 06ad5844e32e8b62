"""CLI flags generated from the option models, so an option is typed once (in :mod:`clearocr.options` or
:class:`~clearocr.server.settings.ServerSettings`) and every command that takes it gets its flag.

:func:`with_model_flags` adds one typer option per field of a pydantic model to a command: the flag is
the field's name with dashes (``max_side`` -> ``--max-side``; aliases in :data:`FLAG_ALIASES`), its
help is the field's ``description`` and its default the field's default. A ``bool`` field becomes
``--name/--no-name``, a ``Literal`` field a choice, a ``list[str]`` field a comma-separated value and an
``int | None`` field a value that also accepts ``none``. The command receives the validated model
instance; a field whose flag a command already defines for itself is reachable through ``--set``
(:func:`parse_settings`), which every reading command has.
"""

from __future__ import annotations

import enum
import functools
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, get_args, get_origin

import typer
from pydantic import BaseModel
from pydantic.fields import FieldInfo

#: Short or historical flag names of some fields (the long ``--field-name`` is added unless listed).
FLAG_ALIASES: dict[str, tuple[str, ...]] = {
    "engine": ("--engine", "-e"),
    "languages": ("--lang", "-l"),
    "pages": ("--pages", "-p"),
}

F = typing.TypeVar("F", bound=Callable[..., Any])


def flag_names(name: str) -> tuple[str, ...]:
    """The flags of option field ``name``: its aliases, else ``--name-with-dashes``."""
    return FLAG_ALIASES.get(name, ("--" + name.replace("_", "-"),))


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    """``(inner type, whether None is allowed)`` of ``X | None``."""
    if get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _cli_type(name: str, field: FieldInfo) -> tuple[Any, Any, Callable[[Any], Any]]:
    """``(typer annotation, typer default, how the parsed value becomes the model's input)`` of a field."""
    annotation, optional = _strip_optional(field.annotation)
    default = None if field.is_required() else field.get_default(call_default_factory=True)
    if annotation is bool:
        return bool, bool(default), lambda value: value
    if get_origin(annotation) is Literal:
        choices = enum.Enum(  # type: ignore[misc]
            f"{name.title().replace('_', '')}Choice", {str(v): str(v) for v in get_args(annotation)}, type=str
        )
        return (
            choices | None if optional else choices,
            choices(str(default)) if default is not None else None,
            lambda value: value.value if isinstance(value, enum.Enum) else value,
        )
    if get_origin(annotation) in (list, tuple):
        text = ",".join(str(v) for v in default) if default else ""
        return str, text, lambda value: value
    if annotation in (int, float, str) and not optional:
        return annotation, default, lambda value: value
    # str | None, int | None ...: text, so that "none" (where the field accepts it) gets through.
    return str | None, None if default is None else str(default), lambda value: value


def model_parameters(
    model: type[BaseModel], taken: set[str], help_prefix: str = ""
) -> list[tuple[inspect.Parameter, str, Callable[[Any], Any]]]:
    """One keyword parameter per field of ``model`` whose flags are not in ``taken``:
    ``(parameter, field name, converter)``."""
    out = []
    for name, field in model.model_fields.items():
        flags = flag_names(name)
        if taken & set(flags):
            continue
        annotation, default, convert = _cli_type(name, field)
        decls = (f"{flags[0]}/--no-{flags[0][2:]}", *flags[1:]) if annotation is bool else flags
        info = typer.Option(default, *decls, help=help_prefix + (field.description or ""), show_default=True)
        parameter = inspect.Parameter(
            f"option_{name}", inspect.Parameter.KEYWORD_ONLY, default=info, annotation=annotation
        )
        out.append((parameter, name, convert))
    return out


def parse_settings(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs (``--set deskew=false``) as option overrides; pydantic converts the strings, so
    every option is reachable even where its flag is taken by a command's own.

    Raises:
        typer.BadParameter: a pair that is not KEY=VALUE.
    """
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--set")
        overrides[key.strip().replace("-", "_")] = value.strip()
    return overrides


def _own_flags(parameter: inspect.Parameter) -> set[str]:
    info = parameter.default
    decls = getattr(info, "param_decls", None) or ()
    names: set[str] = set()
    for decl in decls:
        for part in str(decl).split("/"):
            names.add(part.strip())
    return names


def with_model_flags(
    model: type[BaseModel],
    build: Callable[[dict[str, Any]], Any],
    *,
    keyword: str = "options",
    settings_help: str = "Any option as KEY=VALUE (repeatable), e.g. mode=handwritten, max_pages=2000; "
    "wins over the flag of the same option.",
    help_prefix: str = "",
    with_set: bool = True,
    exclude: frozenset[str] = frozenset(),
) -> Callable[[F], F]:
    """Decorate a typer command so that it takes a flag per field of ``model`` (plus ``--set KEY=VALUE``
    when ``with_set``) and receives ``build(values)`` as its ``keyword`` argument.

    Args:
        model: the option model whose fields become flags.
        build: turns ``{field: value}`` (flags, then ``--set`` pairs over them) into what the command gets;
            its errors (OptionsError) reach the CLI's one error handler.
        keyword: the command's parameter that receives the built value (not itself a flag).
        settings_help: help of ``--set``.
        help_prefix: put before each field's description (``"Default "`` for the server's).
        with_set: add ``--set``.
        exclude: fields that get no flag (the command takes them its own way).

    Returns:
        The decorator; the decorated function's signature is what typer reads.
    """

    def decorate(command: F) -> F:
        own = inspect.signature(command, eval_str=True)
        kept = [p for p in own.parameters.values() if p.name != keyword]
        taken = set().union(*(_own_flags(p) for p in kept)) if kept else set()
        generated = [g for g in model_parameters(model, taken, help_prefix) if g[1] not in exclude]
        settings_name = f"{keyword}_settings"
        parameters = kept + [p for p, _, _ in generated]
        if with_set:
            parameters.append(
                inspect.Parameter(
                    settings_name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=typer.Option([], "--set", help=settings_help),
                    annotation=list[str],
                )
            )

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {name: convert(kwargs.pop(parameter.name)) for parameter, name, convert in generated}
            if with_set:
                values.update(parse_settings(kwargs.pop(settings_name)))
            kwargs[keyword] = build(values)
            return command(*args, **kwargs)

        # Typer reads the signature (and the annotations): the command's own parameters and the generated.
        positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        keywords = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in parameters if p not in positional]
        wrapper.__signature__ = own.replace(parameters=positional + keywords)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        del wrapper.__wrapped__
        return typing.cast(F, wrapper)

    return decorate
