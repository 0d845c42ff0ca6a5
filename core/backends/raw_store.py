"""``raw``: the images as one ``.npy`` file read with numpy, the physical-limit baseline.

Every other backend is shown against this one: it does nothing but move the bytes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from .base import Backend, Images, Labels, image_bytes

IMAGES_FILE = "images.npy"
LABELS_FILE = "labels.npy"


class RawBackend(Backend):
    """``images.npy`` (N,H,W,C) and ``labels.npy`` (N,) written and read with numpy."""

    name = "raw"

    def __init__(self, location: Path | str, *, durable: bool = True) -> None:
        super().__init__(location, durable=durable)
        self._appenders: dict[str, _GrowingNpy] = {}
        self._mapped: tuple[np.memmap[Any, Any], Labels] | None = None

    def files(self) -> list[Path]:
        return [p for p in (self.location / IMAGES_FILE, self.location / LABELS_FILE) if p.exists()]

    def _write_many(self, images: Images, labels: Labels) -> None:
        for name, array in ((IMAGES_FILE, images), (LABELS_FILE, labels)):
            with open(self.location / name, "wb") as handle:
                # np.save's short-write error loses errno; writing the buffer keeps it.
                np.lib.format.write_array_header_1_0(handle, _header_of(array.dtype, array.shape))
                handle.write(array.data)
                self._sync_file(handle)
        self._sync_folder()

    def _append(self, image_id: int, image: Images, label: int) -> None:
        if not self._appenders:
            self._appenders = {
                IMAGES_FILE: _GrowingNpy(self.location / IMAGES_FILE, image.shape, np.uint8),
                LABELS_FILE: _GrowingNpy(self.location / LABELS_FILE, (), np.int64),
            }
            self._sync_folder()
        self._appenders[IMAGES_FILE].append(image, self.durable)
        self._appenders[LABELS_FILE].append(np.array(label, dtype=np.int64), self.durable)

    def _finish_append(self) -> None:
        for appender in self._appenders.values():
            appender.close()
        self._appenders = {}

    def _close_writers_quietly(self) -> None:
        self._finish_append()

    def _read_first(self, n: int) -> tuple[Images, Labels]:
        return _read_npy_prefix(self.location / IMAGES_FILE, n), _read_npy_prefix(
            self.location / LABELS_FILE, n
        )

    def _read_one(self, image_id: int) -> tuple[Images, int]:
        images, labels = self._memory_map()
        return np.array(images[image_id]), int(labels[image_id])

    def _read_ids(self, ids: npt.NDArray[np.int64]) -> tuple[Images, Labels]:
        images, labels = self._memory_map()
        return np.asarray(images[ids]), labels[ids]

    def _memory_map(self) -> tuple[np.memmap[Any, Any], Labels]:
        """Random access maps the file once and copies out only the rows asked for."""
        if self._mapped is None:
            images = np.load(self.location / IMAGES_FILE, mmap_mode="r", allow_pickle=False)
            labels = np.load(self.location / LABELS_FILE, allow_pickle=False)
            self._mapped = (images, labels)
        return self._mapped

    def _close_readers(self) -> None:
        self._mapped = None


def _read_npy_prefix(path: Path, n: int) -> Any:
    """Read the header, then exactly the first ``n`` rows with one read call."""
    with open(path, "rb") as handle:
        shape, dtype = _read_npy_header(handle)
        row = image_bytes(shape[1:]) * dtype.itemsize
        data = np.fromfile(handle, dtype=np.uint8, count=n * row)
    if data.size != n * row:
        raise OSError(0, f"{path.name} is shorter than its header says")
    return data.view(dtype).reshape((n, *shape[1:]))


def _read_npy_header(handle: IO[bytes]) -> tuple[tuple[int, ...], np.dtype[Any]]:
    version = np.lib.format.read_magic(handle)
    reader = (
        np.lib.format.read_array_header_1_0
        if version == (1, 0)
        else np.lib.format.read_array_header_2_0
    )
    shape, fortran_order, dtype = reader(handle)
    if fortran_order:
        raise OSError(0, "Fortran-ordered arrays are not written by imgbench")
    return tuple(shape), dtype


def _header_of(dtype: np.dtype[Any], shape: tuple[int, ...]) -> dict[str, Any]:
    """The ``.npy`` header of a C-ordered array."""
    return {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape}


class _GrowingNpy:
    """A ``.npy`` file that grows one row per call and is valid after every call.

    numpy pads the header so the first dimension can grow to 21 digits in place
    (``GROWTH_AXIS_MAX_DIGITS``); each append writes the row, then rewrites the header.
    """

    def __init__(self, path: Path, row_shape: tuple[int, ...], dtype: type[np.generic]) -> None:
        self._row_shape = row_shape
        self._dtype = np.dtype(dtype)
        self._rows = 0
        self._handle = open(path, "w+b")  # noqa: SIM115 - held open across appends
        self._write_header()

    def append(self, row: npt.NDArray[Any], durable: bool) -> None:
        self._handle.seek(0, os.SEEK_END)
        self._handle.write(np.ascontiguousarray(row, dtype=self._dtype).tobytes())
        self._rows += 1
        self._handle.seek(0)
        self._write_header()
        self._handle.flush()
        if durable:
            os.fsync(self._handle.fileno())

    def _write_header(self) -> None:
        shape = (self._rows, *self._row_shape)
        np.lib.format.write_array_header_1_0(self._handle, _header_of(self._dtype, shape))

    def close(self) -> None:
        self._handle.close()
