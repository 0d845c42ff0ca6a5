"""The worker side of the epoch loader (:mod:`.loader`): one process that opens its own
reader and fills the shared memory slots it is told to with whole batches.

A worker takes ``(batch index, ids, slot)`` tasks from its own task pipe (torch's index
queue) until it gets None, and answers on its own result pipe:

- ``("batch", worker, batch index, slot, pixel bytes, images)`` once the slot holds the
  batch: its pixels one image after the other, and the ids, labels and shapes read;
- ``("failed", worker, text)`` when opening or reading raised (a corrupt store), then ends;
- ``("done", worker, cpu seconds, peak RSS bytes)`` after None: its own usage, then ends.

Ids, labels and shapes travel in the slot beside the pixels, so every message is a few
dozen bytes: a pipe write that small is atomic, and a worker killed at any moment cannot
leave half a message for the parent to wait on.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.shared_memory import SharedMemory
from typing import Any

import numpy as np
import numpy.typing as npt

from .backends import Backend, open_backend
from .errors import ImgbenchError
from .lifeline import worker_start

#: Bytes of the record kept per image beside the pixels: id, label and (H, W, C), int64.
_RECORD_INTS = 5


@dataclass(frozen=True)
class ReaderSpec:
    """How a worker opens its own reader: small and picklable, so it crosses a spawn."""

    store: str
    location: str
    options: dict[str, Any] = field(default_factory=dict)
    varying_shapes: bool = False

    def open_reader(self) -> Backend:
        """A reader of the store, opened in the calling process (handles never cross)."""
        backend = open_backend(
            self.store,
            self.location,
            durable=False,
            varying_shapes=self.varying_shapes,
            **self.options,
        )
        return backend.open_reader()


@dataclass(frozen=True)
class SlotLayout:
    """Where things lie in one slot: the pixels first, then the per-image records."""

    pixel_capacity: int
    max_images: int

    @property
    def pixel_bytes(self) -> int:
        """The pixel area, rounded up to 8 bytes so that the int64 records are aligned."""
        return -(-self.pixel_capacity // 8) * 8

    @property
    def nbytes(self) -> int:
        return self.pixel_bytes + self.max_images * _RECORD_INTS * 8

    def views(self, segment: SharedMemory) -> SlotViews:
        """Arrays over a slot's memory (drop them before the segment is closed)."""
        buffer = segment.buf
        if buffer is None:
            raise ValueError(f"shared memory {segment.name} is closed")
        pixels = np.frombuffer(buffer, dtype=np.uint8, count=self.pixel_capacity)
        records = np.frombuffer(
            buffer, dtype=np.int64, count=self.max_images * _RECORD_INTS, offset=self.pixel_bytes
        ).reshape(_RECORD_INTS, self.max_images)
        return SlotViews(pixels, records[0], records[1], records[2:].T)


@dataclass(frozen=True)
class SlotViews:
    """One slot seen as arrays: ``shapes`` is (max_images, 3)."""

    pixels: npt.NDArray[np.uint8]
    ids: npt.NDArray[np.int64]
    labels: npt.NDArray[np.int64]
    shapes: npt.NDArray[np.int64]


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker is started with (picklable for spawn: shared memory goes by name)."""

    worker: int
    spec: ReaderSpec
    layout: SlotLayout
    segments: list[SharedMemory]
    batched: bool


def worker_main(setup: WorkerSetup, tasks: Connection, results: Connection) -> None:
    """A loader worker's life: start as workers do, open a reader, fill slots until None."""
    worker_start()
    slots = [setup.layout.views(segment) for segment in setup.segments]
    try:
        reader = setup.spec.open_reader()
        try:
            _serve(setup, reader, slots, tasks, results)
        finally:
            reader.close()
    except Exception as error:  # the parent reports it; a worker has no one else to tell
        results.send(("failed", setup.worker, _reason(error)))
        return
    finally:
        del slots  # no view may outlive the mapping
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = usage.ru_utime + usage.ru_stime
    results.send(("done", setup.worker, cpu_s, usage.ru_maxrss * 1024))  # KiB on Linux


def _serve(
    setup: WorkerSetup,
    reader: Backend,
    slots: list[SlotViews],
    tasks: Connection,
    results: Connection,
) -> None:
    fill = _fill_batched if setup.batched else _fill_one_by_one
    while (task := tasks.recv()) is not None:
        batch_index, id_bytes, slot = task
        ids = np.frombuffer(id_bytes, dtype=np.int64)
        pixel_bytes = fill(reader, ids, slots[slot])
        results.send(("batch", setup.worker, batch_index, slot, pixel_bytes, len(ids)))


def _fill_one_by_one(reader: Backend, ids: npt.NDArray[np.int64], slot: SlotViews) -> int:
    """Read each id with ``read_one`` (a Dataset's ``__getitem__``) into the slot."""
    offset = 0
    for position, image_id in enumerate(ids.tolist()):
        image, label = reader.read_one(image_id)
        offset = _put(slot, position, offset, image)
        slot.ids[position] = image_id
        slot.labels[position] = label
    return offset


def _fill_batched(reader: Backend, ids: npt.NDArray[np.int64], slot: SlotViews) -> int:
    """Read the whole batch with one ``read_many`` into the slot."""
    images, labels = reader.read_many(ids=ids)
    count = len(ids)
    if isinstance(images, np.ndarray):
        nbytes = images.nbytes
        _check_room(slot, nbytes)
        slot.pixels[:nbytes] = images.reshape(-1)
        slot.shapes[:count] = images.shape[1:]
    else:
        offset = 0
        for position, image in enumerate(images):
            offset = _put(slot, position, offset, image)
        nbytes = offset
    slot.ids[:count] = ids
    slot.labels[:count] = labels
    return nbytes


def _put(slot: SlotViews, position: int, offset: int, image: npt.NDArray[np.uint8]) -> int:
    """Copy one image's pixels to ``offset``; where the next one goes."""
    end = offset + image.nbytes
    _check_room(slot, end)
    slot.pixels[offset:end] = image.reshape(-1)
    slot.shapes[position] = image.shape
    return end


def _check_room(slot: SlotViews, end: int) -> None:
    """A store whose images are larger than the caller said must not write past the slot."""
    if end > len(slot.pixels):
        raise ValueError(
            f"a batch holds more pixel bytes than expected ({end:,} > {len(slot.pixels):,})"
        )


def _reason(error: BaseException) -> str:
    """One line that says what went wrong (a store's own error without its location: the
    parent names the store)."""
    problem = error.problem if isinstance(error, ImgbenchError) else error
    text = " ".join(str(problem).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
