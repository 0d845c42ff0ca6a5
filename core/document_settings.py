"""The settings a results document was run with, as :class:`RunSettings` again, so "new
run" after opening a file starts from that file's settings.

Unlike ``RunSettings.from_dict`` (which the engine uses and which refuses an unknown
key), this refuses nothing: a file from another version or another writer still opens a
form. Unknown keys are dropped, and so is a value whose type does not fit its field (the
field keeps its default); the form then checks the values as it checks typed ones.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from .settings import RunSettings

#: A value that does not fit its field's type.
_MISFIT = object()


def settings_from_document(document: Mapping[str, Any]) -> RunSettings:
    """The document's ``settings`` as RunSettings; defaults wherever it has nothing usable."""
    record = document.get("settings")
    if not isinstance(record, Mapping):
        return RunSettings()
    hints = typing.get_type_hints(RunSettings)
    values: dict[str, Any] = {}
    for field in fields(RunSettings):
        if field.name in record:
            value = fitted(record[field.name], hints[field.name])
            if value is not _MISFIT:
                values[field.name] = value
    return RunSettings(**values)


def fitted(value: Any, hint: Any) -> Any:
    """``value`` as the type ``hint`` asks (JSON lists become tuples), or ``_MISFIT``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        return _first_fit(value, args)
    if origin is typing.Literal:
        return value if value in args else _MISFIT
    if origin is tuple:
        return _fitted_tuple(value, args)
    if origin is dict:
        return _fitted_dict(value, args)
    return _fitted_plain(value, hint)


def _first_fit(value: Any, options: tuple[Any, ...]) -> Any:
    for option in options:
        found = fitted(value, option)
        if found is not _MISFIT:
            return found
    return _MISFIT


def _fitted_tuple(value: Any, args: tuple[Any, ...]) -> Any:
    if not isinstance(value, list | tuple):
        return _MISFIT
    kinds = [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else list(args)
    if len(kinds) != len(value):
        return _MISFIT
    items = tuple(fitted(item, kind) for item, kind in zip(value, kinds, strict=True))
    return _MISFIT if any(item is _MISFIT for item in items) else items


def _fitted_dict(value: Any, args: tuple[Any, ...]) -> Any:
    if not isinstance(value, Mapping):
        return _MISFIT
    key_kind, value_kind = args
    found = {fitted(key, key_kind): fitted(item, value_kind) for key, item in value.items()}
    return _MISFIT if _MISFIT in found or _MISFIT in found.values() else found


def _fitted_plain(value: Any, hint: Any) -> Any:
    if hint is type(None):
        return None if value is None else _MISFIT
    if hint is bool or isinstance(value, bool):
        return value if hint is bool and isinstance(value, bool) else _MISFIT
    if hint is float and isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return value if isinstance(hint, type) and isinstance(value, hint) else _MISFIT
