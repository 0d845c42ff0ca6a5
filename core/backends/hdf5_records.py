"""``hdf5+png``, ``hdf5+jpeg90``...: one HDF5 file of variable-length byte records.

Layout of ``images.h5``: ``records`` (N,) of ``h5py.vlen_dtype(np.uint8)``, record ``i``
the encoded bytes of image ``i``; ``labels`` (N,) int64. That is how encoded images are
usually kept in HDF5, and any HDF5 reader reads it. (HDF5 has no variable-length opaque
type, and its variable-length strings end at the first zero byte.)

A variable-length element costs HDF5 far more to read alone than a slice of a flat
dataset: on 10,000 CIFAR PNG records, 50-100 us per element through the low-level read
used here and 80-130 us through ``dataset[i]``, against about 20 us for the same bytes as
a slice of a flat uint8 dataset; a run of elements reads at about 5 us each. So
``_record`` reads with a prepared selection, and runs of consecutive ids are read at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import numpy.typing as npt
from h5py import h5s, h5t

from ..codecs import Codec
from .base import read_marker, sync_path
from .encoded import CorruptStore, EncodedBackend, Record, Shape

DATA_FILE = "images.h5"
RECORD_DTYPE = h5py.vlen_dtype(np.dtype(np.uint8))
#: Rows per chunk of a growing (append) dataset: the records' references, not their bytes.
APPEND_CHUNK_ROWS = 4096


class Hdf5RecordsBackend(EncodedBackend):
    """One file; a batch fills fixed-size datasets, ``store_one`` grows them per image."""

    container = "hdf5"
    io_errors = (OSError, ValueError, RuntimeError, KeyError)

    def __init__(
        self,
        location: Path | str,
        *,
        durable: bool = True,
        varying_shapes: bool = False,
        encoding: str | Codec = "raw",
        source_files: Sequence[str | os.PathLike[str]] | None = None,
    ) -> None:
        super().__init__(
            location,
            durable=durable,
            varying_shapes=varying_shapes,
            encoding=encoding,
            source_files=source_files,
        )
        self._writer: h5py.File | None = None
        self._reader: _Records | None = None

    @staticmethod
    def check_options(options: Mapping[str, Any], **_context: Any) -> list[str]:
        """No options: the hdf5 store's chunking and filters would apply to the records'
        references, not to their bytes, which HDF5 keeps in its heap unfiltered."""
        return []

    @property
    def path(self) -> Path:
        return self.location / DATA_FILE

    def files(self) -> list[Path]:
        return [self.path] if self.path.exists() else []

    # -- writing -----------------------------------------------------------------------

    def _begin_write(self, count: int | None) -> None:
        """Datasets of the batch's size, or growing ones for an append session."""
        handle = h5py.File(self.path, "w")
        self._writer = handle
        if count is None:
            growing = {"shape": (0,), "maxshape": (None,), "chunks": (APPEND_CHUNK_ROWS,)}
            handle.create_dataset("records", dtype=RECORD_DTYPE, **growing)
            handle.create_dataset("labels", dtype=np.int64, **growing)
        else:
            handle.create_dataset("records", shape=(count,), dtype=RECORD_DTYPE)
            handle.create_dataset("labels", shape=(count,), dtype=np.int64)
        self._sync_folder()

    def _write_chunk(
        self, first_id: int, records: list[bytes], labels: list[int], shapes: list[Shape]
    ) -> None:
        handle = self._file()
        stop = first_id + len(records)
        datasets = handle["records"], handle["labels"]
        growing = datasets[0].maxshape[0] is None  # an append session: made durable per image
        if growing:
            for dataset in datasets:
                dataset.resize(stop, axis=0)
        write_records(datasets[0], first_id, records)
        datasets[1][first_id:stop] = labels
        if growing:
            handle.flush()
            if self.durable:
                os.fsync(handle.id.get_vfd_handle())

    def _end_write(self) -> None:
        """HDF5 writes metadata while closing, so durability needs an fsync after close."""
        if self._writer is None:
            return
        self._writer.close()
        self._writer = None
        if self.durable:
            sync_path(self.path)

    def _abort_write(self) -> None:
        """Abandon the writer (its file is deleted anyway). HDF5 flushes on close; while
        the disk is still full that fails and h5py then crashes the process when the handle
        is freed, so the descriptor is pointed at /dev/null first, as the hdf5 store does."""
        if self._writer is None:
            return
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, self._writer.id.get_vfd_handle())
        finally:
            os.close(null)
        self._writer.close()
        self._writer = None

    def _file(self) -> h5py.File:
        assert self._writer is not None, "_begin_write opens the file"
        return self._writer

    # -- reading -----------------------------------------------------------------------

    def _open_records(self) -> None:
        """The file opened once, its labels read, checked against the marker."""
        handle = h5py.File(self.path, "r")
        try:
            self._reader = _Records(handle)
            labels = handle["labels"][...]
        except BaseException:
            handle.close()
            raise
        count = int(read_marker(self.marker_path)["count"])
        if labels.shape != (count,) or len(self._reader.dataset) != count:
            raise CorruptStore(
                f"{DATA_FILE} holds {len(self._reader.dataset)} records and {len(labels)} "
                f"labels, the store {count}"
            )
        self._labels = labels.astype(np.int64, copy=False)

    def _records_reader(self) -> _Records:
        assert self._reader is not None, "open_reader() opens the file"
        return self._reader

    def _record(self, image_id: int) -> Record:
        return self._records_reader().one(image_id)

    def _records(self, ids: npt.NDArray[np.int64]) -> Iterable[Record]:
        """A run of consecutive ids is read as one slice."""
        if len(ids) < 2 or not bool((np.diff(ids) == 1).all()):
            return super()._records(ids)
        return self._records_reader().run(int(ids[0]), int(ids[-1]) + 1)

    def _close_readers(self) -> None:
        if self._reader is not None:
            self._reader.handle.close()
            self._reader = None


def write_records(dataset: h5py.Dataset, first_id: int, records: list[bytes]) -> None:
    """Records ``first_id``... by HDF5's own write: h5py's ``dataset[a:b] = rows`` takes
    records of equal length for a 2-D array and refuses them."""
    rows = np.empty(len(records), dtype=RECORD_DTYPE)
    for position, record in enumerate(records):
        rows[position] = np.frombuffer(record, dtype=np.uint8)
    file_space = dataset.id.get_space()
    file_space.select_hyperslab((first_id,), (len(records),))
    memory_space = h5s.create_simple((len(records),))
    dataset.id.write(memory_space, file_space, rows, h5t.py_create(RECORD_DTYPE))


class _Records:
    """The open ``records`` dataset and a prepared one-element read (h5py's ``dataset[i]``
    builds its selection anew each call: 1.5x the cost)."""

    def __init__(self, handle: h5py.File) -> None:
        self.handle = handle
        self.dataset = handle["records"]
        if self.dataset.ndim != 1 or h5py.check_vlen_dtype(self.dataset.dtype) != np.uint8:
            raise CorruptStore(f"{DATA_FILE}'s records are not variable-length bytes")
        self._file_space = self.dataset.id.get_space()
        self._one_space = h5s.create_simple((1,))
        self._one = np.empty(1, dtype=RECORD_DTYPE)
        self._type = h5t.py_create(RECORD_DTYPE)

    def one(self, image_id: int) -> Record:
        """Record ``image_id``'s bytes (an array of its own, valid after close)."""
        self._file_space.select_hyperslab((image_id,), (1,))
        self.dataset.id.read(self._one_space, self._file_space, self._one, self._type)
        record: Record = self._one[0]
        return record

    def run(self, start: int, stop: int) -> Iterable[Record]:
        rows: Iterable[Record] = self.dataset[start:stop]
        return rows
