"""Storage backends: one module each, a registry by name."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from . import hdf5_store, png_store
from .base import Backend
from .hdf5_store import Hdf5Backend
from .lmdb_store import LmdbBackend
from .png_store import PngBackend
from .raw_store import RawBackend

BACKENDS: dict[str, type[Backend]] = {
    "png": PngBackend,
    "lmdb": LmdbBackend,
    "hdf5": Hdf5Backend,
    "raw": RawBackend,
}


def backend_options(name: str) -> tuple[str, ...]:
    """The options a backend takes besides the ones every backend takes."""
    parameters = inspect.signature(_backend_class(name).__init__).parameters
    return tuple(p for p in parameters if p not in COMMON_PARAMETERS)


#: Constructor parameters of every backend, set by the run rather than per backend.
COMMON_PARAMETERS = ("self", "location", "durable", "varying_shapes")

#: LMDB reserves its whole map as address space: 2**47 bytes fails on x86-64 Linux.
MAX_LMDB_MAP_SIZE = 2**46


def _check_lmdb_options(options: Mapping[str, Any], **_context: Any) -> list[str]:
    size = options.get("map_size")
    whole = isinstance(size, int) and not isinstance(size, bool)
    if size is None or (whole and 1 <= size <= MAX_LMDB_MAP_SIZE):
        return []
    shown = f"{size:,}" if whole else repr(size)[:40]
    return [f"lmdb map_size must be a whole number of bytes from 1 to 64 TiB, not {shown}"]


def _no_options(options: Mapping[str, Any], **_context: Any) -> list[str]:
    return []


#: Each backend's check of its option values, by backend name. Each takes the options and,
#: when the run knows them, ``largest_n`` (images in the largest store) and
#: ``bytes_per_image``; it returns one short line per problem.
OPTION_CHECKS: dict[str, Callable[..., list[str]]] = {
    "png": png_store.check_options,
    "lmdb": _check_lmdb_options,
    "hdf5": hdf5_store.check_options,
    "raw": _no_options,
}


def check_options(
    name: str,
    options: Mapping[str, Any],
    *,
    largest_n: int | None = None,
    bytes_per_image: int | None = None,
) -> list[str]:
    """Everything wrong with the options given for backend ``name``, one short line each:
    names it does not take, then values it cannot use. The one check of backend options:
    the settings' pre-run check and every backend's constructor use it."""
    if name not in BACKENDS:
        return [f"options given for unknown backend {name}"]
    if not isinstance(options, Mapping):
        return [f"the options for {name} must be names with values, not {type(options).__name__}"]
    known = backend_options(name)
    unknown = sorted(str(option) for option in options if option not in known)
    if unknown:
        takes = ", ".join(known) or "no options"
        return [f"unknown option {', '.join(unknown)} for {name} (it takes: {takes})"]
    context = {"largest_n": largest_n, "bytes_per_image": bytes_per_image}
    return OPTION_CHECKS[name](options, **context)


def open_backend(
    name: str,
    location: Path | str,
    *,
    durable: bool = True,
    varying_shapes: bool = False,
    **options: Any,
) -> Backend:
    """Build the backend called ``name`` for the store in ``location``."""
    _backend_class(name)  # an unknown name is refused as such
    found = check_options(name, options)
    if found:
        raise ValueError("; ".join(found))
    return _backend_class(name)(location, durable=durable, varying_shapes=varying_shapes, **options)


def _backend_class(name: str) -> type[Backend]:
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}") from None


__all__ = [
    "BACKENDS",
    "OPTION_CHECKS",
    "Backend",
    "backend_options",
    "check_options",
    "open_backend",
]
