"""Storage backends: one module each, a registry by name."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

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


def open_backend(
    name: str,
    location: Path | str,
    *,
    durable: bool = True,
    varying_shapes: bool = False,
    **options: Any,
) -> Backend:
    """Build the backend called ``name`` for the store in ``location``."""
    known = backend_options(name)
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(
            f"unknown option {', '.join(unknown)} for {name}; "
            f"it takes: {', '.join(known) or 'no options'}"
        )
    return _backend_class(name)(location, durable=durable, varying_shapes=varying_shapes, **options)


def _backend_class(name: str) -> type[Backend]:
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}") from None


__all__ = ["BACKENDS", "Backend", "backend_options", "open_backend"]
