"""``lmdb``: one LMDB environment, one record per image, no pickle anywhere.

A record is a fixed 28-byte header (magic, version, dtype, H, W, C, label) followed by
the raw pixel bytes, so any reader in any language can decode it. Keys are zero-padded
decimal ids, so LMDB's byte order is numeric order and a cursor walks images in order.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import lmdb
import numpy as np
import numpy.typing as npt

from ..images import ImageList
from .base import Backend, Images, Labels, ReadImages

HEADER = struct.Struct("<4sBBHIIIq")
LABEL = struct.Struct("<q")
MAGIC = b"IMGB"
RECORD_VERSION = 1
DTYPE_UINT8 = 1
#: Bytes of the header that are equal for every image of one shape (all but the label).
SHAPE_PREFIX = HEADER.size - 8
PAGE = 4096
DATA_FILES = ("data.mdb", "lock.mdb")


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

    def _write_many(self, images: Images | ImageList, labels: Labels) -> None:
        env = self._open_writer(estimated_map_size(images))
        try:

            def put_all(txn: lmdb.Transaction) -> None:
                records = (
                    (record_key(i), encode_record(image, int(label)))
                    for i, (image, label) in enumerate(zip(images, labels.tolist(), strict=True))
                )
                txn.cursor().putmulti(records, append=True)

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

    def _environment(self) -> lmdb.Environment:
        if self._reader is None:
            self._reader = lmdb.open(
                str(self.location), readonly=True, lock=False, subdir=True, max_dbs=0
            )
        return self._reader

    def _read_one(self, image_id: int) -> tuple[Images, int]:
        with self._environment().begin(buffers=True) as txn:
            record = txn.get(record_key(image_id))
            if record is None:
                raise lmdb.NotFoundError(f"no record for id {image_id}")
            shape, label = decode_header(record)
            image = np.frombuffer(record, dtype=np.uint8, offset=HEADER.size).reshape(shape)
            return image.copy(), label

    def _read_first(self, n: int) -> tuple[ReadImages, Labels]:
        with self._environment().begin(buffers=True) as txn:
            records = txn.cursor().iternext(keys=False, values=True)
            return self._decode(records, n)

    def _read_ids(self, ids: npt.NDArray[np.int64]) -> tuple[ReadImages, Labels]:
        with self._environment().begin(buffers=True) as txn:
            records = (txn.get(record_key(i)) for i in ids.tolist())
            return self._decode(records, len(ids))

    def _decode(self, records: Iterator[Any], n: int) -> tuple[ReadImages, Labels]:
        if self._varying:
            return _decode_varying_records(records, n)
        return _decode_records(records, n)

    def _close_readers(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def _decode_records(records: Iterator[Any], n: int) -> tuple[Images, Labels]:
    """Copy ``n`` records' pixels into one array; every record must share the first's shape."""
    labels = np.empty(n, dtype=np.int64)
    images: Images | None = None
    count = 0
    for record in records:
        if count == n:
            break
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
    if count != n:
        raise lmdb.CorruptedError(f"the store holds {count} records, expected {n}")
    if images is None:
        return np.empty((0, 0, 0, 0), dtype=np.uint8), labels
    return images, labels


def _decode_varying_records(records: Iterator[Any], n: int) -> tuple[list[Images], Labels]:
    """Copy each of ``n`` records out as an array of the shape its header gives."""
    labels = np.empty(n, dtype=np.int64)
    images: list[Images] = []
    for record in records:
        if len(images) == n:
            break
        if record is None:
            raise lmdb.NotFoundError("a record the store should hold is missing")
        shape, labels[len(images)] = decode_header(record)
        pixels = np.frombuffer(record, dtype=np.uint8, offset=HEADER.size)
        images.append(pixels.reshape(shape).copy())
    if len(images) != n:
        raise lmdb.CorruptedError(f"the store holds {len(images)} records, expected {n}")
    return images, labels


def _commit_growing(env: lmdb.Environment, work: Callable[[lmdb.Transaction], Any]) -> None:
    """Run ``work`` in one write transaction, doubling the map and retrying when it is full."""
    while True:
        try:
            with env.begin(write=True) as txn:
                work(txn)
            return
        except lmdb.MapFullError:
            env.set_mapsize(env.info()["map_size"] * 2)
