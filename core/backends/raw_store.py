"""``raw``: the images as one ``.npy`` file read with numpy, the physical-limit baseline.

Every other backend is shown against this one: it does nothing but move the bytes.
Images of varying shapes are stored as ``pixels.npy`` (every image's bytes, one after
the other) and ``shapes.npy`` (N,3); a reader finds each image from the shapes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from ..images import ImageList, offsets_of, split_flat
from .base import Backend, Images, Labels, ReadImages, image_bytes

IMAGES_FILE = "images.npy"
LABELS_FILE = "labels.npy"
PIXELS_FILE = "pixels.npy"
SHAPES_FILE = "shapes.npy"
ALL_FILES = (IMAGES_FILE, PIXELS_FILE, SHAPES_FILE, LABELS_FILE)


class RawBackend(Backend):
    """``images.npy`` (N,H,W,C) and ``labels.npy`` (N,) written and read with numpy."""

    name = "raw"

    def __init__(
        self, location: Path | str, *, durable: bool = True, varying_shapes: bool = False
    ) -> None:
        super().__init__(location, durable=durable, varying_shapes=varying_shapes)
        self._appenders: dict[str, _GrowingNpy] = {}
        self._mapped: _Mapped | None = None

    def files(self) -> list[Path]:
        return [p for p in (self.location / name for name in ALL_FILES) if p.exists()]

    def _write_many(self, images: Images | ImageList, labels: Labels) -> None:
        arrays: tuple[tuple[str, npt.NDArray[Any]], ...] = (
            ((PIXELS_FILE, images.data), (SHAPES_FILE, images.shapes))
            if isinstance(images, ImageList)
            else ((IMAGES_FILE, images),)
        )
        for name, array in (*arrays, (LABELS_FILE, labels)):
            with open(self.location / name, "wb") as handle:
                # np.save's short-write error loses errno; writing the buffer keeps it.
                np.lib.format.write_array_header_1_0(handle, _header_of(array.dtype, array.shape))
                handle.write(array.data)
                self._sync_file(handle)
        self._sync_folder()

    def _append(self, image_id: int, image: Images, label: int) -> None:
        if not self._appenders:
            self._appenders = self._create_appenders(image.shape)
            self._sync_folder()
        rows: dict[str, npt.NDArray[Any]] = {LABELS_FILE: np.array([label], dtype=np.int64)}
        if self._varying:
            rows[PIXELS_FILE] = image.reshape(-1)
            rows[SHAPES_FILE] = np.array([image.shape], dtype=np.int64)
        else:
            rows[IMAGES_FILE] = image[np.newaxis]
        for name, appender in self._appenders.items():
            appender.append(rows[name], self.durable)

    def _create_appenders(self, shape: tuple[int, ...]) -> dict[str, _GrowingNpy]:
        row_shapes: dict[str, tuple[tuple[int, ...], type[np.generic]]] = (
            {PIXELS_FILE: ((), np.uint8), SHAPES_FILE: ((3,), np.int64)}
            if self._varying
            else {IMAGES_FILE: (shape, np.uint8)}
        )
        row_shapes[LABELS_FILE] = ((), np.int64)
        return {
            name: _GrowingNpy(self.location / name, row_shape, dtype)
            for name, (row_shape, dtype) in row_shapes.items()
        }

    def _finish_append(self) -> None:
        for appender in self._appenders.values():
            appender.close()
        self._appenders = {}

    def _close_writers_quietly(self) -> None:
        self._finish_append()

    def _read_first(self, n: int) -> tuple[ReadImages, Labels]:
        labels = _read_npy_prefix(self.location / LABELS_FILE, n)
        if not self._varying:
            return _read_npy_prefix(self.location / IMAGES_FILE, n), labels
        shapes = _read_npy_prefix(self.location / SHAPES_FILE, n)
        offsets = offsets_of(shapes)
        pixels = _read_npy_prefix(self.location / PIXELS_FILE, int(offsets[-1]))
        return split_flat(pixels, shapes, offsets), labels

    def _read_one(self, image_id: int) -> tuple[Images, int]:
        mapped = self._memory_map()
        return mapped.image(image_id), int(mapped.labels[image_id])

    def _read_ids(self, ids: npt.NDArray[np.int64]) -> tuple[ReadImages, Labels]:
        mapped = self._memory_map()
        if mapped.shapes is None:
            return np.asarray(mapped.images[ids]), mapped.labels[ids]
        return [mapped.image(image_id) for image_id in ids.tolist()], mapped.labels[ids]

    def _memory_map(self) -> _Mapped:
        """Random access maps the file once and copies out only the rows asked for."""
        if self._mapped is None:
            name = PIXELS_FILE if self._varying else IMAGES_FILE
            images = np.load(self.location / name, mmap_mode="r", allow_pickle=False)
            labels = np.load(self.location / LABELS_FILE, allow_pickle=False)
            shapes = (
                np.load(self.location / SHAPES_FILE, allow_pickle=False) if self._varying else None
            )
            self._mapped = _Mapped(images, labels, shapes)
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


class _Mapped:
    """The mapped images (or flat pixels) with labels, and shapes of a varying store."""

    def __init__(
        self, images: np.memmap[Any, Any], labels: Labels, shapes: npt.NDArray[np.int64] | None
    ) -> None:
        self.images = images
        self.labels = labels
        self.shapes = shapes
        self.offsets = offsets_of(shapes) if shapes is not None else None

    def image(self, image_id: int) -> Images:
        """A copy of one image, out of the mapping."""
        if self.shapes is None or self.offsets is None:
            return np.array(self.images[image_id])
        start, stop = self.offsets[image_id : image_id + 2].tolist()
        pixels: Images = np.array(self.images[start:stop])
        image: Images = pixels.reshape(self.shapes[image_id].tolist())
        return image


class _GrowingNpy:
    """A ``.npy`` file that grows by some rows per call and is valid after every call.

    numpy pads the header so the first dimension can grow to 21 digits in place
    (``GROWTH_AXIS_MAX_DIGITS``); each append writes the row, then rewrites the header.
    """

    def __init__(self, path: Path, row_shape: tuple[int, ...], dtype: type[np.generic]) -> None:
        self._row_shape = row_shape
        self._dtype = np.dtype(dtype)
        self._rows = 0
        self._handle = open(path, "w+b")  # noqa: SIM115 - held open across appends
        self._write_header()

    def append(self, rows: npt.NDArray[Any], durable: bool) -> None:
        """Append ``rows`` (k, *row_shape); the header is rewritten to count them."""
        self._handle.seek(0, os.SEEK_END)
        self._handle.write(np.ascontiguousarray(rows, dtype=self._dtype).tobytes())
        self._rows += len(rows)
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
