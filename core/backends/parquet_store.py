"""``parquet``: one Parquet file, one row per image, the way the Hugging Face hub keeps images.

``images.parquet`` has the columns ``image`` (the record's bytes), ``label`` (int64) and
``height``, ``width``, ``channels`` (int32), in row groups of ``row_group_rows`` rows: a
read decodes whole row groups, so they are kept small enough for random access.

The image column is written without compression or dictionary and without statistics:
encoded images do not compress, and their min/max would only bloat the footer. The small
columns keep pyarrow's default (snappy); :data:`COMPRESSION` says what was measured.

Raw images of one shape skip the per-image encoder and decoder: a row group's records are
built from (and cut back into) the pixel array at once, byte for byte what the raw codec
makes of each image, and each record's header is checked as the codec would.

A Parquet file is readable only once its footer is written, so ``store_one`` keeps rows in
memory until a row group is full and the file is durable when ``finish`` (or ``close``)
returns, not after each image.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from ..codecs import Codec, RawCodec
from ..images import ImageList
from .base import (
    PROGRESS_STEPS,
    Images,
    Labels,
    Progress,
    ReadImages,
)
from .encoded import (
    CorruptStore,
    EncodedBackend,
    RawLayout,
    ReadBatch,
    Record,
    Shape,
    is_run,
    put_raw_records,
    raw_header,
)
from .option_words import is_whole, shown

IMAGES_FILE = "images.parquet"
DEFAULT_ROW_GROUP_ROWS = 1_000
#: pyarrow writes at most 64 Mi rows per row group.
MAX_ROW_GROUP_ROWS = 64 * 1024 * 1024
#: The image column is stored as it is. On 100,000 synthetic CIFAR-like images (min of 3,
#: not durable) snappy saved nothing (309.5 MB raw, 226.3 MB PNG) and cost 10% more time
#: writing raw records and 44% more reading them; zstd saved 1.8% for 3x the write time.
#: The small columns keep pyarrow's default, snappy.
COMPRESSION = {"image": "none", **dict.fromkeys(("label", "height", "width", "channels"), "snappy")}
SCHEMA = pa.schema(
    [
        pa.field("image", pa.large_binary(), nullable=False),
        pa.field("label", pa.int64(), nullable=False),
        pa.field("height", pa.int32(), nullable=False),
        pa.field("width", pa.int32(), nullable=False),
        pa.field("channels", pa.int32(), nullable=False),
    ]
)


def check_row_group_rows(rows: Any) -> list[str]:
    if is_whole(rows) and 1 <= rows <= MAX_ROW_GROUP_ROWS:
        return []
    return [
        f"parquet row_group_rows must be a whole number from 1 to {MAX_ROW_GROUP_ROWS:,}, "
        f"not {shown(rows)}"
    ]


class ParquetBackend(EncodedBackend):
    """``images.parquet``: one row per image, row groups of ``row_group_rows`` rows."""

    container = "parquet"
    io_errors: ClassVar[tuple[type[BaseException], ...]] = (OSError, ValueError, pa.ArrowException)

    def __init__(
        self,
        location: Path | str,
        *,
        durable: bool = True,
        varying_shapes: bool = False,
        encoding: str | Codec = "raw",
        source_files: Any = None,
        row_group_rows: int = DEFAULT_ROW_GROUP_ROWS,
    ) -> None:
        found = self.check_options({"row_group_rows": row_group_rows})
        if found:
            raise ValueError("; ".join(found))
        super().__init__(
            location,
            durable=durable,
            varying_shapes=varying_shapes,
            encoding=encoding,
            source_files=source_files,
        )
        self._rows = row_group_rows
        self._writer: _Writer | None = None
        self._reader: _Reader | None = None
        self._expected_count = 0

    @staticmethod
    def check_options(options: Mapping[str, Any], **_context: Any) -> list[str]:
        """What is wrong with these parquet options, one short line each."""
        return check_row_group_rows(options.get("row_group_rows", DEFAULT_ROW_GROUP_ROWS))

    @property
    def path(self) -> Path:
        return self.location / IMAGES_FILE

    def files(self) -> list[Path]:
        return [self.path] if self.path.exists() else []

    # -- writing -----------------------------------------------------------------------

    def _write_many(self, images: Images | ImageList, labels: Labels, report: Progress) -> None:
        """Raw images of one shape go in a row group at a time, never one by one."""
        if not (isinstance(images, np.ndarray) and isinstance(self.codec, RawCodec)):
            super()._write_many(images, labels, report)
            return
        self._begin_write(len(images))
        writer = self._open_writer()
        maker = _RawRecords(raw_header(self.codec, images[0]), images[: self._rows])
        starts = range(0, len(images), self._rows)
        every = _report_every(len(starts))
        for number, start in enumerate(starts):
            block = images[start : start + self._rows]
            records = maker.records(block)
            writer.write_group(records, labels[start : start + len(block)], block.shape[1:])
            if number % every == every - 1:
                report(start + len(block))
        self._end_write()

    def _begin_write(self, count: int | None) -> None:
        self._writer = _Writer(self.path, self._rows)

    def _open_writer(self) -> _Writer:
        assert self._writer is not None, "_begin_write opens the writer"
        return self._writer

    def _write_chunk(
        self, first_id: int, records: list[bytes], labels: list[int], shapes: list[Shape]
    ) -> None:
        self._open_writer().add(records, labels, shapes)

    def _end_write(self) -> None:
        writer = self._open_writer()
        writer.flush()
        writer.close()
        self._sync_file(writer.sink)
        writer.sink.close()
        self._writer = None
        self._sync_folder()

    def _abort_write(self) -> None:
        if self._writer is not None:
            self._writer.abandon()
            self._writer = None

    # -- reading -----------------------------------------------------------------------

    def _marker_count(self) -> int:
        """The marker's count, kept to check the file against it."""
        self._expected_count = super()._marker_count()
        return self._expected_count

    def _open_records(self) -> None:
        self._reader = _Reader(self.path, self._expected_count)
        self._labels = self._reader.labels

    def _open_reader_state(self) -> _Reader:
        assert self._reader is not None, "open_reader() opens the file"
        return self._reader

    def _record(self, image_id: int) -> Record:
        return self._open_reader_state().record(image_id)

    def _read_ids(self, ids: npt.NDArray[np.int64], report: Progress) -> tuple[ReadImages, Labels]:
        """The needed row groups streamed once, in file order, their images put in place."""
        reader = self._open_reader_state()
        labels = self._labels[ids]
        out = ReadBatch(len(ids), self._varying)
        layout = RawLayout(self.decode) if self._raw_fixed() else None
        step = -(-len(ids) // PROGRESS_STEPS)  # a few dozen reports at most
        done = 0
        for column, positions, rows in reader.columns_for(ids):
            self._put_rows(out, ids, column, positions, rows, layout)
            if (done + len(positions)) // step > done // step:
                report(done + len(positions))
            done += len(positions)
        return out.result(), labels

    def _put_rows(
        self,
        out: ReadBatch,
        ids: npt.NDArray[np.int64],
        column: _Column,
        positions: npt.NDArray[np.intp],
        rows: npt.NDArray[np.int64],
        layout: RawLayout | None,
    ) -> None:
        """Rows of one batch into ``out`` at their positions: raw rows of one shape cut out
        at once when they all check, else each record decoded."""
        records = column.equal_rows() if layout is not None else None
        if records is not None and layout is not None:
            first = int(rows[0])
            chosen = records[first : first + len(rows)] if is_run(rows) else records[rows]
            cut = layout.pixels(chosen)
            if cut is not None and out.put_pixels(positions, *cut):
                return
        for position, row in zip(positions.tolist(), rows.tolist(), strict=True):
            out.put(position, int(ids[position]), self.decode(column.record(row)))

    def _close_readers(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


# -- writing ------------------------------------------------------------------------------


class _RawRecords:
    """Raw records (header then pixels) built for a whole block at once, in one buffer
    used again for every block: pyarrow has written a row group when write_table returns."""

    def __init__(self, header: bytes, first: Images) -> None:
        self._header = header
        self._buffer = np.empty((len(first), len(header) + first[0].nbytes), dtype=np.uint8)

    def records(self, block: Images) -> pa.Array:
        count, size = len(block), self._buffer.shape[1]
        rows = self._buffer[:count]
        put_raw_records(rows, self._header, block)
        offsets = np.arange(0, (count + 1) * size, size, dtype=np.int64)
        buffers = [None, pa.py_buffer(offsets), pa.py_buffer(rows)]
        return pa.LargeBinaryArray.from_buffers(pa.large_binary(), count, buffers)


def _report_every(steps: int) -> int:
    """Report after every this many steps: a few dozen reports at most."""
    return max(1, -(-steps // PROGRESS_STEPS))


class _Writer:
    """The open file and the rows not yet written, flushed a full row group at a time."""

    def __init__(self, path: Path, rows: int) -> None:
        self.rows = rows
        self.sink = pa.OSFile(str(path), "wb")
        self.writer = pq.ParquetWriter(
            self.sink,
            SCHEMA,
            compression=COMPRESSION,
            use_dictionary=False,
            write_statistics=["label", "height", "width", "channels"],
        )
        self._records: list[bytes] = []
        self._labels: list[int] = []
        self._shapes: list[Shape] = []

    def add(self, records: list[bytes], labels: list[int], shapes: list[Shape]) -> None:
        self._records.extend(records)
        self._labels.extend(labels)
        self._shapes.extend(shapes)
        while len(self._records) >= self.rows:
            self._write_buffered(self.rows)

    def flush(self) -> None:
        if self._records:
            self._write_buffered(len(self._records))

    def _write_buffered(self, count: int) -> None:
        records = pa.array(self._records[:count], type=pa.large_binary())
        shapes = np.array(self._shapes[:count], dtype=np.int32).reshape(count, 3)
        self.write_group(records, np.array(self._labels[:count], dtype=np.int64), shapes)
        del self._records[:count], self._labels[:count], self._shapes[:count]

    def write_group(
        self, records: pa.Array, labels: Labels, shapes: npt.NDArray[np.int32] | Shape
    ) -> None:
        """One row group; ``shapes`` is (N, 3), or one shape for every row."""
        table = pa.Table.from_arrays(
            [records, pa.array(labels, type=pa.int64()), *_shape_columns(shapes, len(labels))],
            schema=SCHEMA,
        )
        self.writer.write_table(table, row_group_size=len(labels))

    def close(self) -> None:
        self.writer.close()

    def abandon(self) -> None:
        """Release the file after a failure; the footer may not be written."""
        for close in (self.writer.close, self.sink.close):
            with contextlib.suppress(Exception):  # the write's own error is the one to report
                close()
        self.writer.is_open = False  # its __del__ would try to close it again


def _shape_columns(shapes: npt.NDArray[np.int32] | Shape, count: int) -> list[pa.Array]:
    if isinstance(shapes, np.ndarray):
        return [pa.array(shapes[:, side]) for side in range(3)]
    return [pa.array(np.full(count, side, dtype=np.int32)) for side in shapes]


# -- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    """One row group's image column: every record's bytes and where each starts."""

    offsets: npt.NDArray[np.int64]
    data: npt.NDArray[np.uint8]
    view: memoryview

    @classmethod
    def of(cls, array: pa.Array, rows: int) -> _Column:
        if len(array) != rows or array.null_count:
            raise CorruptStore(f"a row group of {IMAGES_FILE} does not hold its {rows} images")
        _, offsets_buffer, data_buffer = array.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[array.offset :][: rows + 1]
        view = memoryview(b"") if data_buffer is None else memoryview(data_buffer).cast("B")
        return cls(offsets, np.frombuffer(view, dtype=np.uint8), view)

    def record(self, row: int) -> memoryview:
        start, stop = self.offsets[row : row + 2].tolist()
        return self.view[start:stop]

    def equal_rows(self) -> npt.NDArray[np.uint8] | None:
        """The records as one (rows, size) array when all have one size; else None."""
        sizes = np.diff(self.offsets)
        if not len(sizes) or (sizes != sizes[0]).any():
            return None
        start = int(self.offsets[0])
        return self.data[start : start + int(sizes.sum())].reshape(len(sizes), -1)


class _Reader:
    """The open file, the labels, where each row group starts, and the last group read."""

    def __init__(self, path: Path, expected: int) -> None:
        self.file = pq.ParquetFile(path, memory_map=True)
        try:
            self.labels = self._checked_labels(expected)
        except BaseException:
            self.file.close()
            raise
        sizes = [self.file.metadata.row_group(g).num_rows for g in range(self._groups)]
        self.starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
        self._cached: tuple[int, _Column] | None = None

    @property
    def _groups(self) -> int:
        return int(self.file.metadata.num_row_groups)

    def _checked_labels(self, expected: int) -> Labels:
        schema = self.file.schema_arrow
        if not schema.equals(SCHEMA):
            raise CorruptStore(f"{IMAGES_FILE} does not have imgbench's columns: {schema.names}")
        if self.file.metadata.num_rows != expected:
            raise CorruptStore(
                f"{IMAGES_FILE} holds {self.file.metadata.num_rows:,} rows, "
                f"the store {expected:,} images"
            )
        column = self.file.read(columns=["label"], use_threads=False).column(0)
        if column.null_count:
            raise CorruptStore(f"{IMAGES_FILE} has images without a label")
        labels: Labels = column.to_numpy().astype(np.int64, copy=False)
        return labels

    def group(self, group: int) -> _Column:
        """One row group's image column, read once while it is the last one asked for."""
        if self._cached is None or self._cached[0] != group:
            self._cached = None  # free the last group before reading the next
            table = self.file.read_row_group(group, columns=["image"], use_threads=False)
            rows = int(self.starts[group + 1] - self.starts[group])
            self._cached = (group, _Column.of(_one_array(table.column(0)), rows))
        return self._cached[1]

    def record(self, image_id: int) -> memoryview:
        group = int(np.searchsorted(self.starts, image_id, side="right")) - 1
        return self.group(group).record(image_id - int(self.starts[group]))

    def columns_for(
        self, ids: npt.NDArray[np.int64]
    ) -> Iterator[tuple[_Column, npt.NDArray[np.intp], npt.NDArray[np.int64]]]:
        """The row groups these ids need, streamed once in file order: each batch's image
        column, the positions in ``ids`` of the ids it holds, and their rows in it.

        One stream over the groups costs about a third less than reading them one call
        each (1,000 random ids of 100,000 in 100 groups: 37 ms against 58 ms)."""
        if not len(ids):
            return
        groups = np.searchsorted(self.starts, ids, side="right") - 1
        needed = np.unique(groups)
        sizes = self.starts[needed + 1] - self.starts[needed]
        begins = np.cumsum(sizes) - sizes  # where each needed group starts in the stream
        stream = begins[np.searchsorted(needed, groups)] + ids - self.starts[groups]
        order = np.argsort(stream, kind="stable")
        places = stream[order]
        batches = self.file.iter_batches(
            batch_size=int(sizes.max()),
            row_groups=needed.tolist(),
            columns=["image"],
            use_threads=False,
        )
        start = 0
        for batch in batches:
            count = len(batch)
            low, high = np.searchsorted(places, [start, start + count]).tolist()
            if high > low:
                column = _Column.of(batch.column(0), count)
                yield column, order[low:high], places[low:high] - start
            start += count
        if start != int(sizes.sum()):
            raise CorruptStore(f"the row groups of {IMAGES_FILE} do not hold their images")

    def close(self) -> None:
        self._cached = None
        self.file.close()


def _one_array(column: pa.ChunkedArray) -> pa.Array:
    """The column as one array (combine_chunks copies even a single chunk)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
