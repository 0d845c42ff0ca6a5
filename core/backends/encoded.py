"""What every container of encoded records shares: one record of bytes per image.

A store is a container x an encoding (:mod:`imgbench.core.codecs`). The container keeps
records (bytes) and labels by id; the encoding turns an image into its record and back.
Encoding is part of storing and decoding part of reading, inside the timed work, as they
are for whoever uses such a store.

A container implements five steps: ``_begin_write`` (the writer opened), ``_write_chunk``
(records for consecutive ids), ``_end_write`` (closed, and synced when durable),
``_open_records`` (the reader: labels into ``self._labels``) and ``_record`` (one id's
bytes, which stay valid after the reader closes), plus ``_close_readers`` and
``_abort_write``. ``_records`` may read many ids at once.

Raw images of one shape need no per-image work: every record is the same header then the
pixels. Encoding and decoding them one by one (about 5 us an image) was most of a fast
container's time, so a container may take them a block at a time instead:
``_write_raw_block`` gets the pixel block and the header (and may build all its records
with numpy), and ``_raw_rows`` hands back a chunk's records as one (n, size) array, whose
headers :class:`RawLayout` checks at once before the pixels are copied out in one go.
Whatever does not fit (another size, another header) is decoded record by record, which
says exactly what is wrong.

Decoded grey images come back (H, W, 1), as the data set holds them. The ``original``
encoding stores the user's own files: a store built with it reads image ``i``'s bytes from
``source_files[i]`` when it stores image ``i`` (reading such a store needs no files).
"""

from __future__ import annotations

import math
import os
from abc import abstractmethod
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ..codecs import Codec, RawCodec, decode_record, encode_record, get_codec
from ..images import ImageList
from .base import Backend, Images, Labels, Progress, ReadImages, progress_chunks
from .names import StoreName

#: Raw records of one shape are read this many at a time: a container's buffer of them
#: stays in the CPU's cache (100,000 CIFAR images from tar: 79 ms against 97 ms for the
#: progress chunks of 2,000).
RAW_ROWS = 512
#: One image's record as a container hands it back (bytes, or a buffer over them).
Record = bytes | memoryview | Any
Shape = tuple[int, ...]


class CorruptStore(ValueError):
    """The store's bytes do not hold what its completion marker promised."""


class EncodedBackend(Backend):
    """A container of one encoded record per image; subclasses own the container."""

    container: ClassVar[str]
    io_errors: ClassVar[tuple[type[BaseException], ...]] = (OSError, ValueError)

    def __init__(
        self,
        location: Path | str,
        *,
        durable: bool = True,
        varying_shapes: bool = False,
        encoding: str | Codec = "raw",
        source_files: Sequence[str | os.PathLike[str]] | None = None,
    ) -> None:
        super().__init__(location, durable=durable, varying_shapes=varying_shapes)
        self.codec = encoding if isinstance(encoding, Codec) else get_codec(encoding)
        self.name = StoreName(self.container, self.codec.name).canonical
        self._source_files = None if source_files is None else [os.fspath(p) for p in source_files]

    # -- writing -----------------------------------------------------------------------

    def encode(self, image_id: int, image: Images) -> bytes:
        """Image ``image_id``'s record: its encoding, or its source file's bytes."""
        files = self._source_files
        return encode_record(self.codec, image, files[image_id] if files else None)

    def _write_many(self, images: Images | ImageList, labels: Labels, report: Progress) -> None:
        """Encode and hand the records over a few dozen ids at a time; raw images of one
        shape go as blocks of pixels with their one header."""
        self._begin_write(len(images))
        header = self._raw_header(images)
        for start, stop in progress_chunks(len(images)):
            if header is not None and isinstance(images, np.ndarray):
                self._write_raw_block(start, images[start:stop], labels[start:stop], header)
            else:
                chunk = [images[i] for i in range(start, stop)]
                self._write_encoded(start, chunk, labels[start:stop])
            report(stop)
        self._end_write()

    def _write_encoded(self, first_id: int, chunk: Sequence[Images], labels: Labels) -> None:
        """Each image of a chunk encoded, the records handed over together."""
        records = [self.encode(first_id + j, image) for j, image in enumerate(chunk)]
        shapes = [image.shape for image in chunk]
        self._write_chunk(first_id, records, labels.tolist(), shapes)

    def _raw_header(self, images: Images | ImageList) -> bytes | None:
        """The raw codec's header of every image when they are one (N,H,W,C) array of raw
        images, else None."""
        if isinstance(self.codec, RawCodec) and isinstance(images, np.ndarray) and len(images):
            return raw_header(self.codec, images[0])
        return None

    def _write_raw_block(self, first_id: int, block: Images, labels: Labels, header: bytes) -> None:
        """Raw images of one shape whose records all start with ``header``. A container
        that can build the records at once overrides this; by default each is encoded."""
        self._write_encoded(first_id, list(block), labels)

    def _append(self, image_id: int, image: Images, label: int) -> None:
        if image_id == 0:
            self._begin_write(None)
        self._write_chunk(image_id, [self.encode(image_id, image)], [label], [image.shape])

    def _finish_append(self) -> None:
        self._end_write()

    def _close_writers_quietly(self) -> None:
        self._abort_write()

    # -- reading -----------------------------------------------------------------------

    def decode(self, record: Record) -> Images:
        """The image a record holds, (H, W, C) with grey as (H, W, 1)."""
        return decode_record(self.codec, record)

    def _open_reader(self) -> None:
        self._open_records()

    def _read_one(self, image_id: int) -> tuple[Images, int]:
        return self.decode(self._record(image_id)), self._labels.item(image_id)

    def _read_first(self, n: int, report: Progress) -> tuple[ReadImages, Labels]:
        return self._read_ids(np.arange(n, dtype=np.int64), report)

    def _read_ids(self, ids: npt.NDArray[np.int64], report: Progress) -> tuple[ReadImages, Labels]:
        """Each record decoded into one (N,H,W,C) array, or a list when shapes vary; raw
        records of one shape are cut out RAW_ROWS at a time, other records decoded a
        progress chunk at a time."""
        labels = self._labels[ids]
        out = ReadBatch(len(ids), self._varying)
        layout = RawLayout(self.decode) if self._raw_fixed() else None
        for start, stop in progress_chunks(len(ids)):
            step = RAW_ROWS if layout is not None else stop - start
            for first in range(start, stop, step):
                self._read_into(out, ids, range(first, min(first + step, stop)), layout)
            report(stop)
        return out.result(), labels

    def _read_into(
        self,
        out: ReadBatch,
        ids: npt.NDArray[np.int64],
        positions: range,
        layout: RawLayout | None,
    ) -> None:
        """The images of ``ids`` at these positions into ``out``: cut out of raw rows at
        once when the container hands them over and they all check, else decoded one by
        one."""
        chunk = ids[positions.start : positions.stop]
        rows = self._raw_rows(chunk) if layout is not None else None
        cut = layout.pixels(rows) if layout is not None and rows is not None else None
        if cut is None or not out.put_pixels(np.arange(positions.start, positions.stop), *cut):
            for position, record in zip(positions, self._records(chunk), strict=True):
                out.put(position, int(ids[position]), self.decode(record))

    def _raw_fixed(self) -> bool:
        """Whether the records are raw images of one shape (the store's marker says)."""
        return isinstance(self.codec, RawCodec) and not self._varying

    def _raw_rows(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8] | None:
        """These ids' raw records as one (n, size) array, or None (the records are then
        read one by one). Containers that can read equal-sized records at once override
        this; the rows need not be contiguous."""
        return None

    def _records(self, ids: npt.NDArray[np.int64]) -> Iterable[Record]:
        """The records of these ids, in order; containers that can read many at once
        faster than one by one override this."""
        record = self._record
        return (record(image_id) for image_id in ids.tolist())

    # -- what each container implements ------------------------------------------------

    @abstractmethod
    def _begin_write(self, count: int | None) -> None:
        """Open the writer; ``count`` is the batch's size, None for an append session."""

    @abstractmethod
    def _write_chunk(
        self, first_id: int, records: list[bytes], labels: list[int], shapes: list[Shape]
    ) -> None:
        """Write the records of ids ``first_id``, ``first_id + 1``, ... with their labels
        and the shapes of the images they encode."""

    @abstractmethod
    def _end_write(self) -> None:
        """Close the writer: everything on disk, synced when durable."""

    @abstractmethod
    def _abort_write(self) -> None:
        """Release the writer after a failure, writing nothing more."""

    @abstractmethod
    def _open_records(self) -> None:
        """Open what reads need and load every label into ``self._labels``."""

    @abstractmethod
    def _record(self, image_id: int) -> Record:
        """One id's record."""


# -- raw records of one shape, a block at a time ------------------------------------------


def raw_header(codec: Codec, image: Images) -> bytes:
    """The raw codec's header for images of this shape (the record minus the pixels)."""
    record = codec.encode(image)
    return record[: len(record) - image.nbytes]


def put_raw_records(rows: npt.NDArray[np.uint8], header: bytes, block: Images) -> None:
    """Fill (n, size) ``rows`` with the raw records of ``block``, byte for byte what the
    raw codec makes of each image: the header, then the pixels."""
    rows[:, : len(header)] = np.frombuffer(header, dtype=np.uint8)
    rows[:, len(header) :] = block.reshape(len(block), -1)


class RawLayout:
    """Raw records of one shape checked and cut at once.

    The first record seen is decoded by the codec, which checks it and gives the header
    every record of that shape starts with; rows of that length whose headers all equal
    it hold exactly such images, so their pixels are sliced out without decoding each.
    """

    def __init__(self, decode: Callable[[Record], Images]) -> None:
        self._decode = decode
        self._layout: tuple[npt.NDArray[np.uint8], Shape] | None = None

    def pixels(self, rows: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8], Shape] | None:
        """The rows' pixels (one row each) and their shape; None when any record differs
        (the caller decodes them one by one, which says what is wrong)."""
        if not len(rows):
            return None
        if self._layout is None:
            first = rows[0].tobytes()
            image = self._decode(first)
            header = np.frombuffer(first, dtype=np.uint8)[: len(first) - image.size].copy()
            self._layout = (header, image.shape)
        header, shape = self._layout
        if rows.shape[1] != header.size + math.prod(shape):
            return None
        if not (rows[:, : header.size] == header).all():
            return None
        return rows[:, header.size :], shape


class ReadBatch:
    """The images being read: one (N,H,W,C) array, or a list when shapes vary."""

    def __init__(self, count: int, varying: bool) -> None:
        self.count = count
        self.varying = varying
        self.images: list[Images | None] = [None] * count if varying else []
        self.batch: Images | None = None

    def put(self, position: int, image_id: int, image: Images) -> None:
        """One decoded image into place; an image of another shape is a corrupt store."""
        if self.varying:
            self.images[position] = image
            return
        batch = self._batch_for(image.shape)
        if image.shape != batch.shape[1:]:
            raise CorruptStore(
                f"image {image_id} has shape {image.shape}, the store's images have "
                f"{batch.shape[1:]}"
            )
        batch[position] = image

    def put_pixels(
        self, positions: npt.NDArray[np.intp], pixels: npt.NDArray[np.uint8], shape: Shape
    ) -> bool:
        """Rows of pixels into place; False when the batch has another shape."""
        if self.varying:
            return False
        batch = self._batch_for(shape)
        if batch.shape[1:] != shape:
            return False
        if is_run(positions):
            first = int(positions[0])
            batch[first : first + len(positions)].reshape(len(positions), -1)[...] = pixels
        else:
            batch[positions] = pixels.reshape(-1, *shape)
        return True

    def _batch_for(self, shape: Shape) -> Images:
        if self.batch is None:
            self.batch = np.empty((self.count, *shape), dtype=np.uint8)
        return self.batch

    def result(self) -> ReadImages:
        if self.varying:
            return [image for image in self.images if image is not None]  # all are set
        if self.batch is None:
            return np.empty((0, 0, 0, 0), dtype=np.uint8)
        return self.batch


def is_run(values: npt.NDArray[Any]) -> bool:
    """Whether the values count up by one (a slice can stand for them)."""
    if not len(values) or int(values[-1]) - int(values[0]) + 1 != len(values):
        return False
    return bool((np.diff(values) == 1).all())
