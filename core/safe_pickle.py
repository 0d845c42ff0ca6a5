"""Unpickle CIFAR batches without letting the pickle run anything.

A pickle can name any importable callable and have it called while loading
(``os.system``, ``builtins.eval``...). The CIFAR "python version" files only ever
name numpy's array reconstruction, so :class:`RestrictedUnpickler` resolves those
few names itself and refuses every other one before it can be looked up, let
alone called.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import IO, Any, Final, NoReturn, cast

import numpy as np

from .errors import DataError, ImgbenchError, UnsafeDataError


def _numpy_reconstruct() -> object:
    """numpy's ``_reconstruct``, taken from an array's own reduce so that neither
    ``numpy.core`` (deprecated in numpy 2) nor ``numpy._core`` (absent before) is imported."""
    reduced = cast("tuple[object, ...]", np.empty(0, dtype=np.uint8).__reduce__())
    return reduced[0]


_RECONSTRUCT: Final = _numpy_reconstruct()

#: Every global a CIFAR batch written by Python 2 + numpy 1 (or re-pickled by numpy 2) names.
ALLOWED_GLOBALS: Final[dict[tuple[str, str], object]] = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only :data:`ALLOWED_GLOBALS`; Python 2 strings load as bytes."""

    def __init__(self, file: IO[bytes], path: Path, what: str = "a CIFAR batch") -> None:
        super().__init__(file, encoding="bytes")
        self._path = path
        self._what = what

    def find_class(self, module: str, name: str) -> Any:
        """Look the name up in the allow-list only; never import anything."""
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            self._refuse(f"{module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        """Persistent ids hand objects in from outside the file; CIFAR never uses them."""
        self._refuse(f"a persistent id ({pid!r:.40})")

    def _refuse(self, asked_for: str) -> NoReturn:
        raise UnsafeDataError(
            self._path,
            f"refused: the pickle asks for {asked_for}, which {self._what} never contains",
        )


def load_restricted(file: IO[bytes], path: Path, what: str = "a CIFAR batch") -> object:
    """Unpickle ``file`` restrictedly; any failure becomes a one-line DataError.

    ``path`` is only used to name the file in errors (it may be a member inside an archive).
    """
    try:
        return RestrictedUnpickler(file, path, what).load()
    except ImgbenchError:
        raise
    except MemoryError:
        raise DataError(path, "corrupt: it asks for more memory than there is") from None
    except OSError as exc:
        raise DataError(path, f"cannot read: {exc.strerror or exc}") from None
    except Exception as exc:  # corrupt pickles fail in many ways: report, never crash
        raise DataError(path, _describe_unpickling_failure(exc)) from None


def _describe_unpickling_failure(exc: Exception) -> str:
    """Say "truncated" when the pickle simply ends early, "corrupt" otherwise."""
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
    if isinstance(exc, EOFError) or "truncated" in str(exc):
        return f"truncated: the file ends before the pickle does ({detail})"
    return f"corrupt: not a readable CIFAR pickle ({detail})"
