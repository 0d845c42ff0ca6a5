"""How each experiment is timed: exactly the backend's work, nothing of imgbench's own.

The timed region holds the data work and nothing more. Building the backend object,
making and probing the store's folder, writing its completion marker, deleting
stores, evicting the cache, converting labels and checking every byte against the
source all happen outside it.

One sampler per task keeps what its samples share: a store experiment keeps the store of
its latest sample (read back in full and checked once sampling ends; that store then
serves the reads of its n), a read experiment reads the store of its n.
"""

from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from .backends import Backend, open_backend
from .backends.base import remove_store
from .cache import disk_usage, evict
from .events import Task
from .images import ImageBatch, ImageList, same_images
from .sampling import loops_for
from .settings import RunSettings

Images = npt.NDArray[np.uint8]
Labels = npt.NDArray[np.int64]
#: Told how many images of the current sample are done (called in chunks, not per image).
ProgressCallback = Callable[[int], None] | None


@dataclass
class Sample:
    """One timed sample: ``seconds`` per operation, over ``loops`` repetitions."""

    seconds: float
    loops: int = 1
    verified: bool | None = None

    @property
    def timed_s(self) -> float:
        return self.seconds * self.loops


@dataclass
class StoreOutcome:
    """A store experiment's kept store, checked after its sampling ended."""

    location: Path
    verified: bool | None  # None: checked later, by the reads of the same store
    usage: tuple[int, int]  # (apparent, allocated) bytes


@dataclass
class TaskContext:
    """What every measurement of one run shares."""

    images: ImageBatch  # an ImageList when shapes vary: every store then keeps each shape
    labels: Labels
    settings: RunSettings
    scratch: Path
    cold: bool  # evict before each timed read (only when eviction is supported)
    #: A folder's image files by id, for stores of the ``original`` encoding.
    source_files: tuple[str, ...] = ()
    #: What a lossy store's reads must equal, by store (:mod:`.store_profile`); a store
    #: not listed must read back the source itself.
    references: dict[str, ImageBatch] = field(default_factory=dict)

    def backend(self, backend: str, location: Path) -> Backend:
        options = self.settings.backend_options.get(backend, {})
        varying = isinstance(self.images, ImageList)
        return open_backend(
            backend,
            location,
            durable=self.settings.durable,
            varying_shapes=varying,
            source_files=self.source_files or None,
            **options,
        )

    def first(self, n: int) -> tuple[ImageBatch, Labels]:
        """What a store of n is written from: the first n source images."""
        return self.images[:n], self.labels[:n]

    def expected(self, backend: str) -> ImageBatch:
        """The images reads of ``backend`` must give back, bit for bit."""
        return self.references.get(backend, self.images)

    def expected_first(self, backend: str, n: int) -> tuple[ImageBatch, Labels]:
        return self.expected(backend)[:n], self.labels[:n]


class Sampler(ABC):
    """Takes the samples of one task."""

    def __init__(self, context: TaskContext, task: Task) -> None:
        self.context = context
        self.task = task

    @abstractmethod
    def sample(self, index: int, progress: ProgressCallback = None) -> Sample: ...

    def close(self) -> None:  # noqa: B027 - most samplers hold nothing between samples
        """Release what the samples shared (untimed)."""


# -- stores -----------------------------------------------------------------------------


class StoreSampler(Sampler):
    """``store_many``: one write of n images; ``store_single``: n calls of ``store_one``.

    Each sample writes a fresh store; the previous sample's store is removed first, so at
    most one is kept, and the one left at the end is read back and checked.
    """

    def __init__(self, context: TaskContext, task: Task) -> None:
        super().__init__(context, task)
        self.kept: Path | None = None

    def sample(self, index: int, progress: ProgressCallback = None) -> Sample:
        context, task = self.context, self.task
        self._drop_kept()
        location = context.scratch / f"store-{task.backend}-{task.experiment}-{task.n}-{index}"
        images, labels = context.first(task.n)
        store = context.backend(task.backend, location)
        store.prepare()
        if context.settings.durable:
            # What earlier samples left dirty (a removed store's unlinks, another backend's
            # files) is written back now, untimed: a store that syncs its file system, as
            # PNG does, would otherwise pay for it.
            os.sync()
        if task.experiment == "store_many":
            seconds = _timed_write_many(store, images, labels, progress)
        else:
            seconds = _timed_store_ones(store, images, labels, progress)
        store.seal()
        store.close()
        self.kept = location
        return Sample(seconds)

    def finish(self, read_back: bool = True) -> StoreOutcome:
        """Read the kept store back in full and check it bit for bit (untimed). Without
        ``read_back`` the check is left to whoever reads the whole store next (the
        ``read_many`` samples of its n): ``verified`` is then None until they have."""
        assert self.kept is not None, "finish() comes after at least one sample"
        reader = self.context.backend(self.task.backend, self.kept)
        try:
            got = reader.read_many(n=self.task.n) if read_back else None
            usage = disk_usage(reader.files())
        finally:
            reader.close()
        expected = self.context.expected_first(self.task.backend, self.task.n)
        verified = same_read(got, expected) if read_back else None
        return StoreOutcome(self.kept, verified, usage)

    def hand_over(self) -> Path:
        """The kept store now belongs to the caller (the reads of this n)."""
        assert self.kept is not None
        location, self.kept = self.kept, None
        return location

    def close(self) -> None:
        self._drop_kept()

    def _drop_kept(self) -> None:
        if self.kept is not None:
            remove_store(self.kept)
            self.kept = None


def _timed_write_many(
    store: Backend, images: ImageBatch, labels: Labels, progress: ProgressCallback
) -> float:
    start = time.perf_counter()
    store.write_many(images, labels, progress=progress)
    return time.perf_counter() - start


def _timed_store_ones(
    store: Backend, images: ImageBatch, labels: Labels, progress: ProgressCallback
) -> float:
    """n calls of store_one, then finish (closing the writer is part of writing). Progress
    is told between chunks of calls, so no per-image check of imgbench's own is timed."""
    label_values = labels.tolist()
    image_list = list(images)  # untimed: taking image i out of the batch is not storing it
    count = len(label_values)
    step = max(1, count // 20) if progress is not None else max(1, count)
    store_one = store.store_one
    start = time.perf_counter()
    for first in range(0, count, step):
        last = min(count, first + step)
        for image_id in range(first, last):
            store_one(image_id, image_list[image_id], label_values[image_id])
        if progress is not None:
            progress(last)
    store.finish()
    return time.perf_counter() - start


def write_read_store(context: TaskContext, backend: str, n: int) -> Path:
    """The store of n images the reads share when no store experiment wrote one: written
    untimed (every read checks what it gets, so it is checked there)."""
    location = context.scratch / f"read-{backend}-{n}"
    store = context.backend(backend, location)
    images, labels = context.first(n)
    store.store_many(images, labels)
    store.close()
    return location


# -- reads ------------------------------------------------------------------------------


class ReadSampler(Sampler):
    """Reads from the store of its n (``location``), which it does not own."""

    def __init__(self, context: TaskContext, task: Task, location: Path) -> None:
        super().__init__(context, task)
        self.location = location
        self.loops = 1

    def _reader(self) -> Backend:
        """A fresh reader object, its files evicted first for a cold read."""
        reader = self.context.backend(self.task.backend, self.location)
        if self.context.cold:
            evict(reader.files())
        return reader


class OpenSampler(ReadSampler):
    """``open``: the time until a reader is ready (marker checked, labels loaded, files
    opened); what ``read_single`` and ``read_random`` then no longer pay."""

    def sample(self, index: int, progress: ProgressCallback = None) -> Sample:
        reader = self._reader()
        start = time.perf_counter()
        reader.open_reader()
        seconds = time.perf_counter() - start
        reader.close()
        return Sample(seconds)


class ReadManySampler(ReadSampler):
    """``read_many``: opening a reader and reading the first n images in one call, as
    the classic study timed it (the open is inside)."""

    def sample(self, index: int, progress: ProgressCallback = None) -> Sample:
        reader = self._reader()
        start = time.perf_counter()
        reader.open_reader()
        got = reader.read_many(n=self.task.n, progress=progress)
        seconds = time.perf_counter() - start
        reader.close()
        expected = self.context.expected_first(self.task.backend, self.task.n)
        return Sample(seconds, verified=same_read(got, expected))


class OpenReaderSampler(ReadSampler):
    """Reads on a reader that is already open (opened, untimed, before each sample).

    A warm operation under a millisecond is repeated in a loop long enough for the
    clock; the sample is then the time per repetition.
    """

    def sample(self, index: int, progress: ProgressCallback = None) -> Sample:
        ids = self.ids(index)
        request = self.request(ids)  # untimed: whatever form the timed call takes them in
        reader = self._reader()
        reader.open_reader()
        loops = 1 if self.context.cold else self.loops
        got: Any = None
        start = time.perf_counter()
        for _ in range(loops):
            got = self.read(reader, request)
        seconds = (time.perf_counter() - start) / loops
        reader.close()
        if not self.context.cold:
            self.loops = max(self.loops, loops_for(seconds))
        expected = (self.context.expected(self.task.backend)[ids], self.context.labels[ids])
        return Sample(seconds, loops, verified=same_read(got, expected))

    @abstractmethod
    def ids(self, index: int) -> npt.NDArray[np.int64]: ...

    def request(self, ids: npt.NDArray[np.int64]) -> Any:
        """The ids as the timed read takes them (converted before the clock starts)."""
        return ids

    @abstractmethod
    def read(self, reader: Backend, request: Any) -> Any: ...


class ReadSingleSampler(OpenReaderSampler):
    """``read_single``: n calls of ``read_one`` in a seeded random order of the n ids,
    as a training loop's ``__getitem__`` reads them (the same order for every backend)."""

    def ids(self, index: int) -> npt.NDArray[np.int64]:
        return single_read_order(self.context.settings, self.task.n)

    def request(self, ids: npt.NDArray[np.int64]) -> list[int]:
        return cast("list[int]", ids.tolist())

    def read(self, reader: Backend, request: Any) -> Any:
        read_one = reader.read_one
        return [read_one(image_id) for image_id in request]


class ReadRandomSampler(OpenReaderSampler):
    """``read_random``: k seeded random ids out of n in one ``read_many`` call."""

    def ids(self, index: int) -> npt.NDArray[np.int64]:
        return random_ids(self.context.settings, self.task.n, index)

    def read(self, reader: Backend, request: Any) -> Any:
        return reader.read_many(ids=request)


READ_SAMPLERS: dict[str, type[ReadSampler]] = {
    "open": OpenSampler,
    "read_single": ReadSingleSampler,
    "read_many": ReadManySampler,
    "read_random": ReadRandomSampler,
}


def random_ids(settings: RunSettings, n: int, index: int) -> npt.NDArray[np.int64]:
    """k distinct ids of n, seeded by (seed, n, sample): equal for every backend."""
    rng = np.random.default_rng([settings.seed, n, index])
    return rng.choice(n, settings.k_for(n), replace=False).astype(np.int64)


def single_read_order(settings: RunSettings, n: int) -> npt.NDArray[np.int64]:
    """A seeded permutation of the n ids, seeded by (seed, n): equal for every backend
    and every sample, so the samples measure the same work."""
    return np.random.default_rng([settings.seed, n, 1]).permutation(n).astype(np.int64)


# -- checking ---------------------------------------------------------------------------


def same_read(got: Any, expected: tuple[ImageBatch, Labels]) -> bool:
    """Bit for bit, and shape for shape: a list from a varying store is checked image by
    image, so an image read back at the wrong size never passes."""
    images, labels = expected
    if isinstance(got, list):  # read_one per id: (image, label) pairs
        if len(got) != len(images):
            return False
        got_labels = np.fromiter((label for _, label in got), dtype=np.int64, count=len(got))
        got_images = [image for image, _ in got]
        return _same_listed(got_images, images) and bool(np.array_equal(got_labels, labels))
    got_images, got_labels = got
    return same_images(got_images, images) and bool(np.array_equal(got_labels, labels))


def _same_listed(got: list[Images], expected: ImageBatch) -> bool:
    """A list of images against a batch: stacked and compared at once when the batch is
    one array (a Python loop per image cost 0.7 s per 100,000), else image by image."""
    if isinstance(expected, np.ndarray) and len(got) == len(expected):
        if any(image.shape != expected.shape[1:] or image.dtype != np.uint8 for image in got):
            return False
        return len(got) == 0 or bool(np.array_equal(np.stack(got), expected))
    return same_images(got, expected)
