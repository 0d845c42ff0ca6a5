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
from .base import Backend, Images, Labels, Progress, ReadImages, ignore_progress, progress_chunks

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
        #: The open reader's mapped images (or flat pixels of a varying store), a plain
        #: ndarray view: indexing a np.memmap costs about twice as much per image.
        self._images: Images = np.empty((0, 0, 0, 0), dtype=np.uint8)
        self._shapes: npt.NDArray[np.int64] | None = None
        self._offsets: npt.NDArray[np.int64] = np.zeros(1, dtype=np.int64)

    def files(self) -> list[Path]:
        return [p for p in (self.location / name for name in ALL_FILES) if p.exists()]

    def _write_many(self, images: Images | ImageList, labels: Labels, report: Progress) -> None:
        """Rows go out in a few dozen writes, which cost what one write does (100,000 CIFAR
        images, synced: 290 ms against 289 ms), so progress comes for free."""
        quiet = ignore_progress  # rows that are not images: no progress to report
        arrays: tuple[tuple[str, npt.NDArray[Any], Progress], ...] = (
            ((PIXELS_FILE, images.data, quiet), (SHAPES_FILE, images.shapes, quiet))
            if isinstance(images, ImageList)
            else ((IMAGES_FILE, images, report),)
        )
        for name, array, report_rows in (*arrays, (LABELS_FILE, labels, quiet)):
            with open(self.location / name, "wb") as handle:
                # np.save's short-write error loses errno; writing the buffer keeps it.
                np.lib.format.write_array_header_1_0(handle, _header_of(array.dtype, array.shape))
                for start, stop in progress_chunks(len(array)):
                    handle.write(array[start:stop].data)
                    report_rows(stop)
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

    def _open_reader(self) -> None:
        """Labels (and shapes) into memory; the images mapped, copied out only when read."""
        self._labels = np.load(self.location / LABELS_FILE, allow_pickle=False)
        name = PIXELS_FILE if self._varying else IMAGES_FILE
        mapped = np.load(self.location / name, mmap_mode="r", allow_pickle=False)
        self._images = mapped.view(np.ndarray)
        if self._varying:
            self._shapes = np.load(self.location / SHAPES_FILE, allow_pickle=False)
            self._offsets = offsets_of(self._shapes)

    def _read_one(self, image_id: int) -> tuple[Images, int]:
        if self._shapes is None:
            return self._images[image_id].copy(), self._labels.item(image_id)
        start, stop = self._offsets[image_id : image_id + 2].tolist()
        image = self._images[start:stop].reshape(self._shapes[image_id].tolist())
        return image.copy(), self._labels.item(image_id)

    def _read_first(self, n: int, report: Progress) -> tuple[ReadImages, Labels]:
        """One sequential read of the file (not the mapping): what reading a prefix costs."""
        labels = self._labels[:n].copy()
        if self._shapes is None:
            return _read_npy_prefix(self.location / IMAGES_FILE, n, report), labels
        shapes, offsets = self._shapes[:n], self._offsets[: n + 1]
        pixels = _read_npy_prefix(self.location / PIXELS_FILE, int(offsets[-1]), ignore_progress)
        return split_flat(pixels, shapes, offsets), labels

    def _read_ids(self, ids: npt.NDArray[np.int64], report: Progress) -> tuple[ReadImages, Labels]:
        if self._shapes is None:
            return self._images[ids], self._labels[ids]
        return [self._read_one(image_id)[0] for image_id in ids.tolist()], self._labels[ids]

    def _close_readers(self) -> None:
        self._images = np.empty((0, 0, 0, 0), dtype=np.uint8)
        self._shapes = None
        self._offsets = np.zeros(1, dtype=np.int64)


def _read_npy_prefix(path: Path, n: int, report: Progress) -> Any:
    """Read the header, then exactly the first ``n`` rows, a few dozen rows at a time (as
    fast as one read: 37 ms against 36 ms for 100,000 CIFAR images)."""
    with open(path, "rb") as handle:
        shape, dtype = _read_npy_header(handle)
        out = np.empty((n, *shape[1:]), dtype=dtype)
        flat = out.reshape(-1).view(np.uint8)
        row = flat.size // max(1, n)
        for start, stop in progress_chunks(n):
            if handle.readinto(flat[start * row : stop * row].data) != (stop - start) * row:
                raise OSError(0, f"{path.name} is shorter than its header says")
            report(stop)
    return out


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
