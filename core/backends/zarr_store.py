"""``zarr``: a zarr v3 group whose images are sharded.

Raw images of one shape are one ``images`` array (N,H,W,C) uint8 in shards of
``shard_images`` images, uncompressed, each shard one chunk of up to ``CHUNK_IMAGES``
images (see there why), so a folder holds N / ``shard_images`` files instead of N. Every
other store (an encoding, or shapes that vary) keeps each image's record in a 1-D
``records`` array of variable-length bytes, in chunks of one record sharded along N the
same way. Labels are an int64 ``labels`` array.

Writes go a whole shard at a time (a partial shard would be read back and rewritten), so
``store_one`` keeps up to one shard in memory; the store is durable when ``finish`` (or
``close``) returns, as every file zarr wrote and every folder is fsynced then.

zarr-python spends about 0.1 ms of Python per chunk, so one image per chunk is slow: for
100,000 CIFAR-shaped raw images, writing took 8-9 s and reading them all 7-9 s (raw .npy:
0.1-0.3 s), 1,000 random ids 0.4-0.6 s, one image 0.5 ms. The format is not the cost: the
same shards read with numpy and os.pread took 0.18 s, 6 ms and 8 us.

zarr fills a chunk it cannot find with the fill value; a reader therefore checks that
every shard and labels chunk is on disk, so that a lost file is an error, not black
images. zarr 3.1.6 reads a single element of a variable-length bytes array wrongly (the
bytes come back nested in arrays, trailing NULs lost), so one record is read as a slice.
"""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import zarr
from zarr.core.dtype import VariableLengthBytes
from zarr.errors import UnstableSpecificationWarning
from zarr.storage import LocalStore
from zarr.types import AnyArray

from ..codecs import Codec, RawCodec
from ..images import ImageList
from .base import MARKER_NAME, Images, Labels, Progress, ReadImages, progress_chunks, sync_path
from .encoded import CorruptStore, EncodedBackend, Record, Shape
from .option_words import is_whole, shown
from .png_store import sync_files

IMAGES = "images"
RECORDS = "records"
LABELS = "labels"
DEFAULT_SHARD_IMAGES = 1_000
#: Largest shard: zarr's shard index and a shard's bytes stay well inside memory.
MAX_SHARD_IMAGES = 1_000_000
#: Labels are small: chunks of 64 Ki labels (512 KiB), unsharded.
LABEL_CHUNK = 65_536
#: Images per chunk of the raw (N,H,W,C) array (a shard holds one chunk when it holds no
#: more). Bare zarr 3.1.6, 100,000 CIFAR-shaped images in shards of 1,000, chunks of 1 /
#: 10 / 100 / 1,000 images: write 9.8 / 1.0 / 0.4 / 0.26 s, read all 7.3 / 1.4 / 1.0 /
#: 0.2 s, 1,000 random ids 0.43 / 0.40 / 0.34 / 0.20 s, one image 0.45 / 1.2 / 1.5 /
#: 1.75 ms (raw .npy: 0.19 s, 0.07 s). A chunk is read whole, so it stays bounded.
CHUNK_IMAGES = 1_000
#: zarr's codec pipeline handles this many chunks per batch (its default is 1): writing
#: 20,000 CIFAR-shaped images took 3.5 s instead of 7.0 s, reading 10,000 1.0 s instead
#: of 1.8 s; random reads did not change.
CODEC_BATCH = 1_000


def check_shard_images(value: Any) -> list[str]:
    if is_whole(value) and 1 <= value <= MAX_SHARD_IMAGES:
        return []
    return [
        f"zarr shard_images must be a whole number from 1 to {MAX_SHARD_IMAGES:,}, "
        f"not {shown(value)}"
    ]


class ZarrBackend(EncodedBackend):
    """A zarr v3 group: ``images`` (N,H,W,C) or ``records`` (N,) bytes, and ``labels``."""

    container = "zarr"
    #: zarr's own errors are ValueErrors; a damaged variable-length chunk can make its
    #: decoder ask for an absurd allocation (MemoryError) or miss a key (KeyError).
    io_errors: ClassVar[tuple[type[BaseException], ...]] = (
        OSError,
        ValueError,
        KeyError,
        MemoryError,
    )

    def __init__(
        self,
        location: Path | str,
        *,
        durable: bool = True,
        varying_shapes: bool = False,
        encoding: str | Codec = "raw",
        source_files: Any = None,
        shard_images: int = DEFAULT_SHARD_IMAGES,
    ) -> None:
        found = self.check_options({"shard_images": shard_images})
        if found:
            raise ValueError("; ".join(found))
        super().__init__(
            location,
            durable=durable,
            varying_shapes=varying_shapes,
            encoding=encoding,
            source_files=source_files,
        )
        self._shard = shard_images
        self._writer: _Writer | None = None
        self._images: AnyArray | None = None
        self._records_array: AnyArray | None = None
        self._fetched: Iterator[Record] | None = None
        self._expected_count = 0

    @staticmethod
    def check_options(options: Mapping[str, Any], **_context: Any) -> list[str]:
        """What is wrong with these zarr options, one short line each."""
        return check_shard_images(options.get("shard_images", DEFAULT_SHARD_IMAGES))

    def files(self) -> list[Path]:
        """Every file zarr wrote: metadata, shards and labels (not the marker)."""
        if not self.location.is_dir():
            return []
        skip = {MARKER_NAME, MARKER_NAME + ".tmp"}
        found = [
            Path(folder) / name
            for folder, _, names in os.walk(self.location)
            for name in names
            if not (folder == str(self.location) and name in skip)
        ]
        return sorted(found)

    def _raw_fixed(self) -> bool:
        """Whether images are (or are to be) one (N,H,W,C) array rather than records."""
        return isinstance(self.codec, RawCodec) and not self._varying

    # -- writing -----------------------------------------------------------------------

    def _write_many(self, images: Images | ImageList, labels: Labels, report: Progress) -> None:
        """Raw images of one shape go into the array as they are, whole shards at a time."""
        if not (isinstance(images, np.ndarray) and isinstance(self.codec, RawCodec)):
            super()._write_many(images, labels, report)
            return
        self._begin_write(len(images))
        writer = self._open_writer()
        array = writer.images_array(images.shape[1:])
        shards = -(-len(images) // self._shard)
        with _calling_zarr():
            for first, last in progress_chunks(shards):
                start, stop = first * self._shard, min(last * self._shard, len(images))
                array[start:stop] = images[start:stop]
                report(stop)
        writer.labels.extend(labels.tolist())
        writer.written = len(images)
        self._end_write()

    def _append(self, image_id: int, image: Images, label: int) -> None:
        """Raw images of one shape are kept as pixels, never encoded to records."""
        if not self._raw_fixed():
            super()._append(image_id, image, label)
            return
        if image_id == 0:
            self._begin_write(None)
        self._open_writer().add([image], [label])

    def _begin_write(self, count: int | None) -> None:
        group = zarr.open_group(LocalStore(self.location), mode="w-")
        self._writer = _Writer(group, self._shard, count)

    def _open_writer(self) -> _Writer:
        assert self._writer is not None, "_begin_write opens the writer"
        return self._writer

    def _write_chunk(
        self, first_id: int, records: list[bytes], labels: list[int], shapes: list[Shape]
    ) -> None:
        self._open_writer().add(records, labels)

    def _end_write(self) -> None:
        """The last shard and the labels written, then every file and folder synced."""
        self._open_writer().close()
        self._writer = None
        if self.durable:
            self._sync_everything()

    def _sync_everything(self) -> None:
        files: list[Path] = []
        folders: list[Path] = []
        for folder, _, names in os.walk(self.location):
            folders.append(Path(folder))
            files.extend(Path(folder) / name for name in names)
        sync_files(files)
        for path in reversed(folders):  # the deepest first, the store's folder last
            sync_path(path)

    def _abort_write(self) -> None:
        self._writer = None  # zarr keeps no file open between writes

    # -- reading -----------------------------------------------------------------------

    def _marker_count(self) -> int:
        """The marker's count, kept to check the arrays against it."""
        self._expected_count = super()._marker_count()
        return self._expected_count

    def _open_records(self) -> None:
        with _calling_zarr():
            group = zarr.open_group(LocalStore(self.location, read_only=True), mode="r")
            name = IMAGES if self._raw_fixed() else RECORDS
            data = _array(group, name, 4 if name == IMAGES else 1)
            labels = _array(group, LABELS, 1)
        count = self._expected_count
        if data.shape[0] != count or labels.shape[0] != count:
            raise CorruptStore(
                f"the store holds {count:,} images, its arrays {data.shape[0]:,} and "
                f"{labels.shape[0]:,}"
            )
        for array in (data, labels):
            _check_chunks_on_disk(array, self.location / array.basename)
        self._labels = np.asarray(labels[...], dtype=np.int64)
        if name == IMAGES:
            self._images = data
        else:
            self._records_array = data

    def _record(self, image_id: int) -> Record:
        """One record, read as a one-element slice (see the module's note)."""
        records = self._open_records_array()
        record: Record = np.asarray(records[image_id : image_id + 1])[0]
        return record

    def _open_records_array(self) -> AnyArray:
        assert self._records_array is not None, "open_reader() opens the records"
        return self._records_array

    def _read_one(self, image_id: int) -> tuple[Images, int]:
        if self._images is None:
            return super()._read_one(image_id)
        image: Images = np.asarray(self._images[image_id])
        return image, self._labels.item(image_id)

    def _read_first(self, n: int, report: Progress) -> tuple[ReadImages, Labels]:
        if self._images is None:
            return self._decode_fetched(np.arange(n, dtype=np.int64), slice(0, n), report)
        images: Images = np.empty((n, *self._images.shape[1:]), dtype=np.uint8)
        step = (self._images.shards or self._images.chunks)[0]
        with _calling_zarr():  # a shard a call: a third faster than one call for all
            for first, last in progress_chunks(-(-n // step)):
                for start in range(first * step, min(last * step, n), step):
                    stop = min(start + step, n)
                    images[start:stop] = self._images[start:stop]
                report(min(last * step, n))
        return images, self._labels[:n].copy()

    def _read_ids(self, ids: npt.NDArray[np.int64], report: Progress) -> tuple[ReadImages, Labels]:
        """One zarr call for all the ids (each shard's index read once), then decoding."""
        if self._images is None:
            return self._decode_fetched(ids, ids, report)
        with _calling_zarr():
            images: Images = np.asarray(self._images.oindex[ids])
        return images, self._labels[ids]

    def _decode_fetched(
        self, ids: npt.NDArray[np.int64], selection: Any, report: Progress
    ) -> tuple[ReadImages, Labels]:
        """Every record fetched in one call, then decoded as any container's are."""
        records = self._open_records_array()
        with _calling_zarr():
            if isinstance(selection, slice):
                fetched = records[selection]
            else:
                fetched = records.oindex[selection]
        self._fetched = iter(np.asarray(fetched).tolist())
        try:
            return super()._read_ids(ids, report)
        finally:
            self._fetched = None

    def _records(self, ids: npt.NDArray[np.int64]) -> Iterable[Record]:
        """The next fetched records when a read fetched them all at once."""
        if self._fetched is None:
            return super()._records(ids)
        return itertools.islice(self._fetched, len(ids))

    def _close_readers(self) -> None:
        self._images = None
        self._records_array = None
        self._fetched = None


class _Writer:
    """The open group and what is not yet written: whole shards go out as they fill."""

    def __init__(self, group: zarr.Group, shard: int, count: int | None) -> None:
        self.group = group
        self.shard = shard
        #: The batch's size, or None while store_one appends (the array then grows).
        self.count = count
        self.array: AnyArray | None = None
        self.pending: list[Any] = []
        self.labels: list[int] = []
        self.written = 0

    def images_array(self, shape: Shape) -> AnyArray:
        """The (N,H,W,C) array: shards of ``shard`` images, chunks of CHUNK_IMAGES at
        most (a divisor of the shard, as zarr requires)."""
        chunk = max(d for d in range(1, min(self.shard, CHUNK_IMAGES) + 1) if self.shard % d == 0)
        self.array = self.group.create_array(
            IMAGES,
            shape=(self.count or 0, *shape),
            dtype="uint8",
            chunks=(chunk, *shape),
            shards=(self.shard, *shape),
            **_UNCOMPRESSED,
            fill_value=0,
        )
        return self.array

    def records_array(self) -> AnyArray:
        """The (N,) array of variable-length records, chunked and sharded like images."""
        with _calling_zarr():
            self.array = self.group.create_array(
                RECORDS,
                shape=(self.count or 0,),
                dtype=VariableLengthBytes(),
                chunks=(1,),
                shards=(self.shard,),
                **_UNCOMPRESSED,
                fill_value=b"",
            )
        return self.array

    def add(self, rows: list[Any], labels: list[int]) -> None:
        """Rows (images, or records) and their labels; full shards are written now."""
        self.pending.extend(rows)
        self.labels.extend(labels)
        full = len(self.pending) - len(self.pending) % self.shard
        if full:
            self._write(full)

    def _write(self, count: int) -> None:
        rows, self.pending = self.pending[:count], self.pending[count:]
        if isinstance(rows[0], np.ndarray):
            block: npt.NDArray[Any] = np.stack(rows)
            array = self.images_array(block.shape[1:]) if self.array is None else self.array
        else:
            block = np.empty(count, dtype=object)
            block[:] = rows
            array = self.records_array() if self.array is None else self.array
        stop = self.written + count
        with _calling_zarr():
            if self.count is None:
                array.resize((stop, *array.shape[1:]))
            array[self.written : stop] = block
        self.written = stop

    def close(self) -> None:
        """The last, partial shard, then the labels."""
        if self.pending:
            self._write(len(self.pending))
        labels = np.array(self.labels, dtype=np.int64)
        array = self.group.create_array(
            LABELS,
            shape=labels.shape,
            dtype="int64",
            chunks=(max(1, min(len(labels), LABEL_CHUNK)),),
            **_UNCOMPRESSED,
            fill_value=0,
        )
        array[...] = labels


#: Every array: no compressor (records are encoded already, raw pixels do not shrink),
#: and every chunk written even when it equals the fill value, so that a missing one means
#: a lost file (see the module's note).
_UNCOMPRESSED: dict[str, Any] = {"compressors": None, "config": {"write_empty_chunks": True}}


@contextmanager
def _calling_zarr() -> Iterator[None]:
    """zarr's codec pipeline set to batches of CODEC_BATCH chunks, and its warning that
    variable-length bytes have no zarr v3 spec yet silenced: known, and fine for a
    benchmark's own stores."""
    with (
        zarr.config.set({"codec_pipeline.batch_size": CODEC_BATCH}),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", UnstableSpecificationWarning)
        yield


def _array(group: zarr.Group, name: str, ndim: int) -> AnyArray:
    try:
        node = group[name]
    except KeyError:
        raise CorruptStore(f"the zarr group has no {name} array") from None
    if not isinstance(node, zarr.Array) or node.ndim != ndim:
        raise CorruptStore(f"{name} in the zarr group is not a {ndim}-dimensional array")
    return node


def _check_chunks_on_disk(array: AnyArray, folder: Path) -> None:
    """Every shard (or chunk) of the array has its file: zarr would read a missing one as
    fill values."""
    outer = array.shards or array.chunks
    grid = [range(-(-side // step)) for side, step in zip(array.shape, outer, strict=True)]
    for coords in itertools.product(*grid):
        key = array.metadata.encode_chunk_key(coords)
        if not (folder / key).is_file():
            raise CorruptStore(f"{array.basename} is missing its data file {key}")
