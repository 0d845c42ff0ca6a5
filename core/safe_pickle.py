"""Unpickle CIFAR batches without letting the pickle run anything.

A pickle can name any importable callable and have it called while loading
(``os.system``, ``builtins.eval``...). The CIFAR "python version" files only ever
name numpy's array reconstruction, so :class:`RestrictedUnpickler` resolves those
few names itself and refuses every other one before it can be looked up, let
alone called.

Even those few names can be misused to claim far more memory than the file holds, so
each resolves to a stand-in that allows only the calls numpy's own pickles make:
``numpy.ndarray`` may be named (as the type ``_reconstruct`` builds) but not called
(that lays any shape over a small buffer with zero strides: a million images from 3,072
bytes); ``_reconstruct`` makes only the empty array that the pickled state then fills
(numpy checks the state's bytes against the shape, so every array is backed by bytes in
the file); ``numpy.dtype`` makes only numeric types, never ``object`` (an object array of
any length is allocated and zeroed while unpickling, whatever the file holds). Arrays
come out as :class:`PickledArray`, an ndarray subclass; ``np.asarray`` gives the ndarray.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import IO, Any, Final, NoReturn, cast

import numpy as np

from .errors import DataError, ImgbenchError, UnsafeDataError
from .one_line import printable


def _numpy_reconstruct() -> object:
    """numpy's ``_reconstruct``, taken from an array's own reduce so that neither
    ``numpy.core`` (deprecated in numpy 2) nor ``numpy._core`` (absent before) is imported."""
    reduced = cast("tuple[object, ...]", np.empty(0, dtype=np.uint8).__reduce__())
    return reduced[0]


_RECONSTRUCT: Final = _numpy_reconstruct()
#: The kinds of dtype a CIFAR batch holds: bool, signed and unsigned ints, floats.
_NUMERIC_KINDS: Final = frozenset("biuf")


class _Refused(Exception):
    """Raised by the stand-ins below; :func:`load_restricted` makes it an UnsafeDataError."""


class PickledArray(np.ndarray):
    """What ``numpy.ndarray`` resolves to. ``_reconstruct`` builds arrays of this type
    (without calling it, as numpy's own pickles do); a pickle that calls it, to lay a big
    shape over a small buffer with zero strides, is refused."""

    def __new__(
        cls, shape: object = None, dtype: object = None, buffer: object = None, *_: object
    ) -> PickledArray:
        size = len(buffer) if isinstance(buffer, (bytes, bytearray)) else None
        over = f" over a {size:,}-byte buffer" if size is not None else ""
        raise _Refused(f"a {_shape_text(shape)} array{over} (numpy.ndarray called directly)")


def _reconstruct(subtype: object, shape: object, spec: object) -> object:
    """numpy's ``_reconstruct`` as numpy's pickles call it: an empty byte array of the
    ndarray type, filled by the state that follows (whose size numpy checks against the
    bytes in the file). Any other shape is an uninitialised array the file need not hold."""
    if subtype is not PickledArray or shape != (0,) or spec not in (b"b", "b"):
        raise _Refused(
            f"an uninitialised {_shape_text(shape)} array "
            "(numpy's _reconstruct called as numpy never calls it)"
        )
    return cast("Any", _RECONSTRUCT)(PickledArray, (0,), b"b")


def _numeric_dtype(spec: object, align: object = False, copy: object = False) -> np.dtype[Any]:
    """``numpy.dtype(spec, align, copy)`` for the numeric types only: an ``object`` array
    of any length would be allocated and zeroed while unpickling."""
    if not isinstance(spec, (str, bytes)) or not all(
        isinstance(flag, int) for flag in (align, copy)
    ):
        raise _Refused(f"numpy.dtype({printable(repr(spec), 40)}, ...)")
    text = spec.decode("latin-1") if isinstance(spec, bytes) else spec
    dtype = np.dtype(text, bool(align), bool(copy))
    if dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise _Refused(f"an array of dtype {printable(str(dtype), 40)}, not of numbers")
    return dtype


def _shape_text(shape: object) -> str:
    if isinstance(shape, tuple) and all(isinstance(side, int) for side in shape):
        return " x ".join(f"{side:,}" for side in shape) if shape else "0-d"
    return "oddly shaped"


#: Every global a CIFAR batch written by Python 2 + numpy 1 (or re-pickled by numpy 2)
#: names, resolved to a stand-in that does only what those files need (module docstring).
ALLOWED_GLOBALS: Final[dict[tuple[str, str], object]] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): PickledArray,
    ("numpy", "dtype"): _numeric_dtype,
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
            self._refuse(printable(f"{module}.{name}"))

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
    except _Refused as exc:
        raise UnsafeDataError(
            path, f"refused: the pickle asks for {exc}, which {what} never contains"
        ) from None
    except MemoryError:
        raise DataError(path, "corrupt: it asks for more memory than there is") from None
    except OSError as exc:
        raise DataError(path, f"cannot read: {exc.strerror or exc}") from None
    except Exception as exc:  # corrupt pickles fail in many ways: report, never crash
        raise DataError(path, _describe_unpickling_failure(exc)) from None


def _describe_unpickling_failure(exc: Exception) -> str:
    """Say "truncated" when the pickle simply ends early, "corrupt" otherwise."""
    detail = printable(" ".join(f"{type(exc).__name__}: {exc}".split()), 160)
    if isinstance(exc, EOFError) or "truncated" in str(exc):
        return f"truncated: the file ends before the pickle does ({detail})"
    return f"corrupt: not a readable CIFAR pickle ({detail})"
