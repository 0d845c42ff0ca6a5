"""``lmdb``: one LMDB environment, one record per image, no pickle anywhere.

A record is a fixed 28-byte header (magic, version, dtype, H, W, C, label) followed by
the raw pixel bytes, so any reader in any language can decode it. Keys are zero-padded
decimal ids, so LMDB's byte order is numeric order and a cursor walks images in order.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

import lmdb
import numpy as np
import numpy.typing as npt

from ..images import ImageList
from .base import Backend, Images, Labels, Progress, ReadImages, progress_chunks

HEADER = struct.Struct("<4sBBHIIIq")
LABEL = struct.Struct("<q")
MAGIC = b"IMGB"
RECORD_VERSION = 1
DTYPE_UINT8 = 1
#: Bytes of the header that are equal for every image of one shape (all but the label).
SHAPE_PREFIX = HEADER.size - 8
PAGE = 4096
DATA_FILES = ("data.mdb", "lock.mdb")
#: LMDB reserves its whole map as address space: 2**47 bytes fails on x86-64 Linux.
MAX_MAP_SIZE = 2**46


def check_options(options: Mapping[str, Any], **_context: Any) -> list[str]:
    """What is wrong with these lmdb options (``map_size``), one short line each; the
    lmdb+encoding stores take the same option and use this check too."""
    size = options.get("map_size")
    whole = isinstance(size, int) and not isinstance(size, bool)
    if size is None or (whole and 1 <= size <= MAX_MAP_SIZE):
        return []
    shown = f"{size:,}" if whole else repr(size)[:40]
    return [f"lmdb map_size must be a whole number of bytes from 1 to 64 TiB, not {shown}"]


def record_key(image_id: int) -> bytes:
    """Ten digits hold every id up to 2**32 and sort numerically as bytes."""
    return b"%010d" % image_id


def encode_record(image: Images, label: int) -> bytes:
    h, w, c = image.shape
    return HEADER.pack(MAGIC, RECORD_VERSION, DTYPE_UINT8, 0, h, w, c, label) + image.tobytes()


def decode_header(record: Any) -> tuple[tuple[int, int, int], int]:
    magic, version, dtype, _, h, w, c, label = HEADER.unpack_from(record)
    if magic != MAGIC or version != RECORD_VERSION or dtype != DTYPE_UINT8:
        raise lmdb.CorruptedError("a record does not start with an imgbench image header")
    if len(record) != HEADER.size + h * w * c:
        raise lmdb.CorruptedError("a record's length does not match its header")
    return (h, w, c), label


def estimated_map_size(images: Images | ImageList) -> int:
    """Room for the records with slack; the map grows anyway if this is short."""
    if isinstance(images, ImageList):
        sizes = np.diff(images.offsets)
    else:
        sizes = np.full(len(images), images[0].size if len(images) else 0, dtype=np.int64)
    record_pages = -(-(HEADER.size + sizes + 64) // PAGE)
    return max(1 << 20, 2 * int(record_pages.sum()) * PAGE)


class LmdbBackend(Backend):
    """One environment; a batch is one write transaction; a full map is grown, not fatal."""

    name = "lmdb"
    io_errors = (OSError, lmdb.Error)

    def __init__(
        self,
        location: Path | str,
        *,
        durable: bool = True,
        varying_shapes: bool = False,
        map_size: int | None = None,
    ) -> None:
        super().__init__(location, durable=durable, varying_shapes=varying_shapes)
        self._map_size = map_size
        self._writer: lmdb.Environment | None = None
        self._reader: lmdb.Environment | None = None
        #: The open reader's one read transaction (Any: read_one skips a None check).
        self._snapshot: Any = None
        self._forget_fixed_shape()

    def files(self) -> list[Path]:
        return [p for p in (self.location / name for name in DATA_FILES) if p.exists()]

    def _open_writer(self, map_size: int) -> lmdb.Environment:
        return lmdb.open(
            str(self.location),
            map_size=self._map_size or map_size,
            subdir=True,
            sync=self.durable,
            metasync=self.durable,
            max_dbs=0,
        )

    def _write_many(self, images: Images | ImageList, labels: Labels, report: Progress) -> None:
        """One write transaction, filled a few dozen records at a time, progress between."""
        env = self._open_writer(estimated_map_size(images))
        label_list = labels.tolist()
        try:

            def put_all(txn: lmdb.Transaction) -> None:
                cursor = txn.cursor()
                for start, stop in progress_chunks(len(images)):
                    records = (
                        (record_key(i), encode_record(images[i], label_list[i]))
                        for i in range(start, stop)
                    )
                    cursor.putmulti(records, append=True)
                    report(stop)

            _commit_growing(env, put_all)
        finally:
            env.close()

    def _append(self, image_id: int, image: Images, label: int) -> None:
        if self._writer is None:
            self._writer = self._open_writer(64 << 20)
        key, record = record_key(image_id), encode_record(image, label)
        _commit_growing(self._writer, lambda txn: txn.put(key, record, append=True))

    def _finish_append(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _close_writers_quietly(self) -> None:
        self._finish_append()

    def _open_reader(self) -> None:
        """The environment and one read transaction, held until close: a store is never
        written once complete, so one snapshot serves every read_one. Each label lives in
        its image's record, so there is no separate label table to load."""
        self._reader = lmdb.open(
            str(self.location), readonly=True, lock=False, subdir=True, max_dbs=0
        )
        self._snapshot = self._reader.begin(buffers=False)
        first = self._snapshot.get(record_key(0))
        if not self._varying and first is not None:
            self._shape, _ = decode_header(first)
            self._common_header = first[:SHAPE_PREFIX]
            self._record_size = len(first)

    def _forget_fixed_shape(self) -> None:
        """What every record of a fixed-shape store shares; a varying store matches none."""
        self._shape = (0, 0, 0)
        self._common_header = b""
        self._record_size = -1

    def _environment(self) -> lmdb.Environment:
        assert self._reader is not None, "open_reader() opens the environment"
        return self._reader

    def _read_one(self, image_id: int) -> tuple[Images, int]:
        """The record's bytes are the image's own copy: the array is a read-only view of
        them (a further copy would cost a fifth of the call)."""
        record = self._snapshot.get(record_key(image_id))
        if record is None:
            raise lmdb.NotFoundError(f"no record for id {image_id}")
        if len(record) == self._record_size and record.startswith(self._common_header):
            shape, label = self._shape, LABEL.unpack_from(record, SHAPE_PREFIX)[0]
        elif self._varying:
            shape, label = decode_header(record)
        else:
            decode_header(record)  # raises with the reason when the header itself is bad
            raise lmdb.CorruptedError("records of different shapes in one store")
        return np.ndarray(shape, np.uint8, record, HEADER.size), label

    def _read_first(self, n: int, report: Progress) -> tuple[ReadImages, Labels]:
        with self._environment().begin(buffers=True) as txn:
            records = txn.cursor().iternext(keys=False, values=True)
            return self._decode(records, n, report)

    def _read_ids(self, ids: npt.NDArray[np.int64], report: Progress) -> tuple[ReadImages, Labels]:
        with self._environment().begin(buffers=True) as txn:
            records = (txn.get(record_key(i)) for i in ids.tolist())
            return self._decode(records, len(ids), report)

    def _decode(
        self, records: Iterator[Any], n: int, report: Progress
    ) -> tuple[ReadImages, Labels]:
        if self._varying:
            return _decode_varying_records(records, n, report)
        return _decode_records(records, n, report)

    def _close_readers(self) -> None:
        if self._snapshot is not None:
            self._snapshot.abort()
            self._snapshot = None
        self._forget_fixed_shape()
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def _decode_records(records: Iterator[Any], n: int, report: Progress) -> tuple[Images, Labels]:
    """Copy ``n`` records' pixels into one array; every record must share the first's shape."""
    labels = np.empty(n, dtype=np.int64)
    images: Images | None = None
    count = 0
    for _, stop in progress_chunks(n):
        for record in islice(records, stop - count):
            if record is None:
                raise lmdb.NotFoundError("a record the store should hold is missing")
            if images is None:
                shape, _ = decode_header(record)
                images = np.empty((n, *shape), dtype=np.uint8)
                flat = images.data.cast("B")
                prefix = bytes(record[:SHAPE_PREFIX])
                size = HEADER.size + int(np.prod(shape))
            if len(record) != size or record[:SHAPE_PREFIX] != prefix:
                decode_header(record)  # raises with the reason when the header itself is bad
                raise lmdb.CorruptedError("records of different shapes in one store")
            labels[count] = LABEL.unpack_from(record, SHAPE_PREFIX)[0]
            start = count * (size - HEADER.size)
            flat[start : start + size - HEADER.size] = record[HEADER.size :]
            count += 1
        _check_count(count, stop, n)
        report(stop)
    if images is None:
        return np.empty((0, 0, 0, 0), dtype=np.uint8), labels
    return images, labels


def _decode_varying_records(
    records: Iterator[Any], n: int, report: Progress
) -> tuple[list[Images], Labels]:
    """Copy each of ``n`` records out as an array of the shape its header gives."""
    labels = np.empty(n, dtype=np.int64)
    images: list[Images] = []
    for _, stop in progress_chunks(n):
        for record in islice(records, stop - len(images)):
            if record is None:
                raise lmdb.NotFoundError("a record the store should hold is missing")
            shape, labels[len(images)] = decode_header(record)
            pixels = np.frombuffer(record, dtype=np.uint8, offset=HEADER.size)
            images.append(pixels.reshape(shape).copy())
        _check_count(len(images), stop, n)
        report(stop)
    return images, labels


def _check_count(count: int, wanted: int, n: int) -> None:
    if count != wanted:
        raise lmdb.CorruptedError(f"the store holds {count} records, expected {n}")


def _commit_growing(env: lmdb.Environment, work: Callable[[lmdb.Transaction], Any]) -> None:
    """Run ``work`` in one write transaction, doubling the map and retrying when it is full."""
    while True:
        try:
            with env.begin(write=True) as txn:
                work(txn)
            return
        except lmdb.MapFullError:
            env.set_mapsize(env.info()["map_size"] * 2)
