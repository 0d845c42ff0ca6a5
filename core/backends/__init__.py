"""Storage backends: one module per container, a registry by store name.

A store is named ``container`` or ``container+encoding`` (:mod:`.names`). The classic
study's four stores keep their own classes (``BACKENDS``); every other name is a
container of encoded records (:mod:`.encoded`), its class imported only when used, so a
container whose library is missing costs nothing until it is asked for.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .names import CONTAINERS, StoreName, canonical_name, missing_library, parse_store

if TYPE_CHECKING:
    from .base import Backend

    #: The classic study's stores, each with a class of its own (loaded on first use).
    BACKENDS: dict[str, type[Backend]]
    #: Each classic backend's check of its option values (loaded on first use), see
    #: :func:`_option_checks`.
    OPTION_CHECKS: dict[str, Callable[..., list[str]]]

#: The classic study's stores: (module, class name), imported on first use, so that
#: parsing a store name or printing the command line's help loads neither numpy nor h5py.
CLASSIC_CLASSES: dict[str, tuple[str, str]] = {
    "png": ("png_store", "PngBackend"),
    "lmdb": ("lmdb_store", "LmdbBackend"),
    "hdf5": ("hdf5_store", "Hdf5Backend"),
    "raw": ("raw_store", "RawBackend"),
}

#: The class of each container of encoded records: (module, class name), imported on use.
ENCODED_CLASSES: dict[str, tuple[str, str]] = {
    "files": ("files_store", "FilesBackend"),
    "lmdb": ("lmdb_records", "LmdbRecordsBackend"),
    "hdf5": ("hdf5_records", "Hdf5RecordsBackend"),
    "tar": ("tar_store", "TarBackend"),
    "parquet": ("parquet_store", "ParquetBackend"),
    "zarr": ("zarr_store", "ZarrBackend"),
}


def _imported(module: str, name: str) -> Any:
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def _backends() -> dict[str, type[Backend]]:
    """``BACKENDS``, built once: the same dict every time, so a test may patch it."""
    return __getattr__("BACKENDS")  # type: ignore[no-any-return]


def _option_checks() -> dict[str, Callable[..., list[str]]]:
    return __getattr__("OPTION_CHECKS")  # type: ignore[no-any-return]


def _build(name: str) -> Any:
    if name == "BACKENDS":
        return {store: _imported(*where) for store, where in CLASSIC_CLASSES.items()}
    if name == "OPTION_CHECKS":
        return {
            "png": _imported("png_store", "check_options"),
            "lmdb": _imported("lmdb_store", "check_options"),
            "hdf5": _imported("hdf5_store", "check_options"),
            "raw": _no_options,
        }
    if name == "Backend":
        return _imported("base", "Backend")
    classes = {cls: (module, cls) for module, cls in CLASSIC_CLASSES.values()}
    if name in classes:
        return _imported(*classes[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __getattr__(name: str) -> Any:
    """The heavy names (the backend classes and the tables of them), built on first use
    and then kept here."""
    value = globals().get(name)
    if value is None:
        value = globals()[name] = _build(name)
    return value


def store_class(name: str) -> type[Backend]:
    """The class that stores ``name``; ValueError (with the install line when a library
    is missing) when it cannot be used here."""
    store = parse_store(name)
    if store.classic:
        return _backends()[store.canonical]
    missing = missing_library(store.container)
    if missing:
        raise ValueError(missing)
    module, cls = ENCODED_CLASSES[store.container]
    found: type[Backend] = getattr(importlib.import_module(f"{__name__}.{module}"), cls)
    return found


def is_store_name(name: object) -> bool:
    """Whether ``name`` parses as a store (its library may still be missing)."""
    try:
        parse_store(name)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def backend_options(name: str) -> tuple[str, ...]:
    """The options a store takes besides the ones every store takes."""
    parameters = inspect.signature(_backend_class(name).__init__).parameters
    return tuple(p for p in parameters if p not in COMMON_PARAMETERS)


def option_defaults(name: str) -> dict[str, Any]:
    """Each option's value when a run does not give it (None: the library's own default);
    empty when ``name`` means no store or its library is missing here."""
    try:
        cls = _backend_class(name)
    except ValueError:
        return {}
    parameters = inspect.signature(cls.__init__).parameters.values()
    return {
        p.name: p.default
        for p in parameters
        if p.name not in COMMON_PARAMETERS and p.default is not inspect.Parameter.empty
    }


#: Constructor parameters of every backend, set by the run rather than per backend.
COMMON_PARAMETERS = ("self", "location", "durable", "varying_shapes", "encoding", "source_files")


def _no_options(options: Mapping[str, Any], **_context: Any) -> list[str]:
    return []


# Each backend's check of its option values, by backend name (``OPTION_CHECKS``, built on
# first use). Each takes the options and, when the run knows them, ``largest_n`` (images in
# the largest store) and ``bytes_per_image``; it returns one short line per problem.


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
    if not is_store_name(name):
        return [f"options given for unknown store {name}"]
    try:
        known = backend_options(name)
    except ValueError as error:  # its library is missing
        return [str(error)]
    if not isinstance(options, Mapping):
        return [f"the options for {name} must be names with values, not {type(options).__name__}"]
    unknown = sorted(str(option) for option in options if option not in known)
    if unknown:
        takes = ", ".join(known) or "no options"
        return [f"unknown option {', '.join(unknown)} for {name} (it takes: {takes})"]
    context = {"largest_n": largest_n, "bytes_per_image": bytes_per_image}
    check: Callable[..., list[str]] = _option_checks().get(canonical_name(name), _no_options)
    if not parse_store(name).classic:  # a container of encoded records checks its own
        check = getattr(_backend_class(name), "check_options", _no_options)
    found = check(options, **context)
    return found


def open_backend(
    name: str,
    location: Path | str,
    *,
    durable: bool = True,
    varying_shapes: bool = False,
    source_files: Any = None,
    **options: Any,
) -> Backend:
    """Build the store called ``name`` (``png``, ``lmdb+jpeg90``...) in ``location``.
    ``source_files`` are the image files of the ``original`` encoding, by id."""
    store = parse_store(name)
    cls = _backend_class(name)
    found = check_options(name, options)
    if found:
        raise ValueError("; ".join(found))
    if store.classic:
        return cls(location, durable=durable, varying_shapes=varying_shapes, **options)
    encoded: Callable[..., Backend] = cls
    return encoded(
        location,
        durable=durable,
        varying_shapes=varying_shapes,
        encoding=store.encoding,
        source_files=source_files,
        **options,
    )


def _backend_class(name: str) -> type[Backend]:
    return store_class(name)


__all__ = [
    "BACKENDS",
    "CLASSIC_CLASSES",
    "CONTAINERS",
    "ENCODED_CLASSES",
    "OPTION_CHECKS",
    "Backend",
    "StoreName",
    "backend_options",
    "canonical_name",
    "check_options",
    "is_store_name",
    "missing_library",
    "open_backend",
    "option_defaults",
    "parse_store",
    "store_class",
]
