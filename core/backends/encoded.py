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

Decoded grey images come back (H, W, 1), as the data set holds them. The ``original``
encoding stores the user's own files: a store built with it reads image ``i``'s bytes from
``source_files[i]`` when it stores image ``i`` (reading such a store needs no files).
"""

from __future__ import annotations

import os
from abc import abstractmethod
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ..codecs import Codec, decode_record, encode_record, get_codec
from ..images import ImageList
from .base import Backend, Images, Labels, Progress, ReadImages, progress_chunks
from .names import StoreName

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
        """Encode and hand the records over a few dozen ids at a time."""
        self._begin_write(len(images))
        label_list = labels.tolist()
        for start, stop in progress_chunks(len(images)):
            chunk = [images[i] for i in range(start, stop)]
            records = [self.encode(start + j, image) for j, image in enumerate(chunk)]
            shapes = [image.shape for image in chunk]
            self._write_chunk(start, records, label_list[start:stop], shapes)
            report(stop)
        self._end_write()

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
        """Each record decoded into one (N,H,W,C) array, or a list when shapes vary."""
        labels = self._labels[ids]
        images: list[Images] = []
        batch: Images | None = None
        for start, stop in progress_chunks(len(ids)):
            for position, record in enumerate(self._records(ids[start:stop]), start):
                image = self.decode(record)
                if self._varying:
                    images.append(image)
                    continue
                if batch is None:
                    batch = np.empty((len(ids), *image.shape), dtype=np.uint8)
                if image.shape != batch.shape[1:]:
                    raise CorruptStore(
                        f"image {int(ids[position])} has shape {image.shape}, the store's "
                        f"images have {batch.shape[1:]}"
                    )
                batch[position] = image
            report(stop)
        if self._varying:
            return images, labels
        if batch is None:
            return np.empty((0, 0, 0, 0), dtype=np.uint8), labels
        return batch, labels

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
