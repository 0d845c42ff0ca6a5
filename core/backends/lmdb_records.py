"""``lmdb+png``, ``lmdb+jpeg90``...: one LMDB environment, one record per image.

Record layout: key ``record_key(i)`` (ten ASCII digits, so byte order is id order, as in
the classic ``lmdb`` store), value an 8-byte little-endian signed label followed by the
image's encoded bytes. Nothing else is in the environment, so any LMDB reader can read
it: the label is ``value[:8]``, the image ``value[8:]`` in the store's encoding.

A batch is one write transaction, sized from its first chunk of records; only when later
records outgrow the map is the transaction committed, the map grown and a new one begun
(LMDB cannot grow a map while a transaction is open, and a full transaction is lost).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import lmdb
import numpy as np

from ..codecs import Codec
from .base import Labels, read_marker
from .encoded import CorruptStore, EncodedBackend, Record, Shape
from .lmdb_store import DATA_FILES, _commit_growing, record_key
from .lmdb_store import check_options as check_lmdb_options

LABEL = struct.Struct("<q")
#: The map of an append session before it first grows (LmdbBackend starts there too).
APPEND_MAP_SIZE = 64 << 20
#: Pages a transaction may take beyond its records' own: the copied path of the B-tree.
TXN_SLACK_PAGES = 64
#: Bytes LMDB adds to a value: a page header before an overflow value, a node header,
#: the key and a pointer to an inline one (rounded up).
OVERFLOW_HEADER = 16
NODE_BYTES = 32


def record_pages(values: Sequence[bytes], page: int) -> int:
    """Pages of ``page`` bytes these values take at most: a value over about half a page
    gets overflow pages of its own (and a node in a leaf), smaller ones share leaves;
    leaf space is counted twice, for half-full pages and branch pages."""
    sizes = np.fromiter((len(value) for value in values), dtype=np.int64, count=len(values))
    large = sizes[sizes > page // 2 - 2 * NODE_BYTES]
    overflow = int((-(-(large + OVERFLOW_HEADER) // page)).sum())
    leaf_bytes = int(sizes.sum() - large.sum()) + NODE_BYTES * len(sizes)
    return overflow + 2 * -(-leaf_bytes // page) + 1


class LmdbRecordsBackend(EncodedBackend):
    """One environment; a batch one write transaction, ``store_one`` one per image."""

    container = "lmdb"
    io_errors = (OSError, ValueError, lmdb.Error)

    def __init__(
        self,
        location: Path | str,
        *,
        durable: bool = True,
        varying_shapes: bool = False,
        encoding: str | Codec = "raw",
        source_files: Sequence[str | os.PathLike[str]] | None = None,
        map_size: int | None = None,
    ) -> None:
        super().__init__(
            location,
            durable=durable,
            varying_shapes=varying_shapes,
            encoding=encoding,
            source_files=source_files,
        )
        found = check_lmdb_options({"map_size": map_size})
        if found:
            raise ValueError("; ".join(found))
        self._map_size = map_size
        self._writer: lmdb.Environment | None = None
        #: The batch's write transaction, and the pages it may still fill before the
        #: map must grow; None in an append session (each image commits its own).
        self._batch: lmdb.Transaction | None = None
        self._batch_size: int | None = None
        self._room = 0
        self._page = 4096
        self._reader: lmdb.Environment | None = None
        #: The open reader's one read transaction (Any: _record skips a None check).
        self._snapshot: Any = None

    @staticmethod
    def check_options(options: Mapping[str, Any], **context: Any) -> list[str]:
        return check_lmdb_options(options, **context)

    def files(self) -> list[Path]:
        return [p for p in (self.location / name for name in DATA_FILES) if p.exists()]

    # -- writing -----------------------------------------------------------------------

    def _begin_write(self, count: int | None) -> None:
        """The environment; a batch's transaction waits for its first records, which size
        the map."""
        self._batch_size = count
        self._writer = lmdb.open(
            str(self.location),
            map_size=self._map_size or APPEND_MAP_SIZE,
            subdir=True,
            sync=self.durable,
            metasync=self.durable,
            max_dbs=0,
        )
        self._page = int(self._writer.stat()["psize"])
        self._sync_folder()  # the environment's files are new entries in the folder

    def _write_chunk(
        self, first_id: int, records: list[bytes], labels: list[int], shapes: list[Shape]
    ) -> None:
        """An append session's image commits alone; a batch's chunk goes into the batch's
        transaction, or into a new one in a grown map when it would not fit."""
        items = [
            (record_key(first_id + j), LABEL.pack(label) + record)
            for j, (record, label) in enumerate(zip(records, labels, strict=True))
        ]
        env = self._environment()
        if self._batch_size is None:
            key, value = items[0]
            _commit_growing(env, lambda txn: txn.put(key, value, append=True))
            return
        pages = record_pages([value for _, value in items], self._page)
        if self._batch is None or pages > self._room:
            self._make_room(env, pages * -(-(self._batch_size - first_id) // len(items)))
        assert self._batch is not None
        _, added = self._batch.cursor().putmulti(items, append=True)
        if added != len(items):
            raise lmdb.Error(f"LMDB took {added} of {len(items)} records")
        self._room -= pages

    def _make_room(self, env: lmdb.Environment, pages: int) -> None:
        """Commit what the batch holds, grow the map to fit ``pages`` more (the rest of
        the batch, estimated from its latest records) and begin the next transaction."""
        if self._batch is not None:
            self._batch.commit()
            self._batch = None
        info = env.info()
        used = info["last_pgno"] + 1 + TXN_SLACK_PAGES
        if (used + pages) * self._page > info["map_size"]:
            env.set_mapsize(max((used + pages) * self._page, 2 * info["map_size"]))
        self._room = env.info()["map_size"] // self._page - used
        self._batch = env.begin(write=True)

    def _end_write(self) -> None:
        """Commit the batch (an fsync of the environment when durable) and close."""
        if self._batch is not None:
            self._batch.commit()
            self._batch = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _abort_write(self) -> None:
        if self._batch is not None:
            self._batch.abort()
            self._batch = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _environment(self) -> lmdb.Environment:
        assert self._writer is not None, "_begin_write opens the environment"
        return self._writer

    # -- reading -----------------------------------------------------------------------

    def _open_records(self) -> None:
        """The environment and one read transaction, held until close (a complete store
        is never written again). Labels come from one cursor walk over the values, read
        in place (the transaction gives buffers, not copies)."""
        self._reader = lmdb.open(
            str(self.location), readonly=True, lock=False, subdir=True, max_dbs=0
        )
        self._snapshot = self._reader.begin(buffers=True)
        self._check_length()
        count = int(read_marker(self.marker_path)["count"])
        self._check_keys(count)
        self._labels = self._walk_labels()

    def _walk_labels(self) -> Labels:
        """Every record's label, by one cursor walk over the values read in place (about
        0.85 us per record, of which 0.65 us is the walk: for 10,000 CIFAR PNG records,
        unpacking each label took 8.5 ms, joining the 8-byte slices 13 ms)."""
        unpack = LABEL.unpack_from
        values = self._snapshot.cursor().iternext(keys=False, values=True)
        try:
            return np.array([unpack(value)[0] for value in values], dtype=np.int64)
        except struct.error:
            raise CorruptStore("a record is too short to hold its label") from None

    def _check_length(self) -> None:
        """A data file shorter than its pages would crash the process (SIGBUS) on the
        first read past its end, so it is refused here."""
        env = self._reader_environment()
        needed = (env.info()["last_pgno"] + 1) * env.stat()["psize"]
        size = os.path.getsize(self.location / DATA_FILES[0])
        if size < needed:
            raise CorruptStore(f"{DATA_FILES[0]} is truncated: {size:,} of {needed:,} bytes")

    def _check_keys(self, count: int) -> None:
        """The store holds exactly the keys of ids 0..count-1: as many records as the
        marker says, the first and the last as they should be (keys sort as ids do)."""
        entries = self._reader_environment().stat()["entries"]
        if entries != count:
            raise CorruptStore(f"the environment holds {entries} records, the store {count}")
        if not count:
            return
        cursor = self._snapshot.cursor()
        first = bytes(cursor.key()) if cursor.first() else b""
        last = bytes(cursor.key()) if cursor.last() else b""
        if first != record_key(0) or last != record_key(count - 1):
            raise CorruptStore("the environment's keys are not the store's ids")

    def _record(self, image_id: int) -> Record:
        """A copy of the bytes after the label, so it outlives the transaction."""
        value = self._snapshot.get(record_key(image_id))
        if value is None:
            raise lmdb.NotFoundError(f"no record for id {image_id}")
        return value[8:].tobytes()

    def _reader_environment(self) -> lmdb.Environment:
        assert self._reader is not None, "open_reader() opens the environment"
        return self._reader

    def _close_readers(self) -> None:
        if self._snapshot is not None:
            self._snapshot.abort()
            self._snapshot = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None
