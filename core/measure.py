"""How each experiment is timed: exactly the backend call, nothing else.

The timed region holds the store or read call and nothing more. Creating folders,
deleting stores, evicting the cache, converting labels and checking every read
bit for bit against the source all happen outside it. Each store sample writes a
fresh store. Each read sample opens a fresh reader, because opening is part of
reading.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .backends import Backend, open_backend
from .cache import disk_usage, evict
from .events import Task
from .images import ImageBatch, ImageList, same_images
from .settings import RunSettings

Images = npt.NDArray[np.uint8]
Labels = npt.NDArray[np.int64]


@dataclass
class Sample:
    seconds: float
    verified: bool | None = None


@dataclass
class TaskContext:
    """What every measurement of one run shares."""

    images: ImageBatch  # an ImageList when shapes vary: every store then keeps each shape
    labels: Labels
    settings: RunSettings
    scratch: Path
    cold: bool  # evict before each timed read (only when eviction is supported)

    def open(self, backend: str, location: Path) -> Backend:
        options = self.settings.backend_options.get(backend, {})
        varying = isinstance(self.images, ImageList)
        return open_backend(
            backend, location, durable=self.settings.durable, varying_shapes=varying, **options
        )

    def read_store(self, backend: str, n: int) -> Path:
        """The store the read experiments of (backend, n) share, written once, untimed."""
        location = self.scratch / f"read-{backend}-{n}"
        if not location.exists():
            with self.open(backend, location) as store:
                store.store_many(self.images[:n], self.labels[:n])
        return location


def store_sample(context: TaskContext, task: Task, index: int) -> tuple[Sample, tuple[int, int]]:
    """Write a fresh store of n images; returns the timing and the store's disk usage."""
    location = context.scratch / f"store-{task.backend}-{task.experiment}-{task.n}-{index}"
    images, labels = context.images[: task.n], context.labels[: task.n]
    store = context.open(task.backend, location)
    if task.experiment == "store_many":
        start = time.perf_counter()
        store.store_many(images, labels)
        store.close()
        seconds = time.perf_counter() - start
    else:
        label_values = labels.tolist()
        start = time.perf_counter()
        for image_id in range(task.n):
            store.store_one(image_id, images[image_id], label_values[image_id])
        store.close()
        seconds = time.perf_counter() - start
    usage = disk_usage(store.files())
    shutil.rmtree(location)
    return Sample(seconds), usage


def read_sample(context: TaskContext, task: Task, index: int) -> Sample:
    """Read from the shared store of n images and check every byte afterwards."""
    location = context.read_store(task.backend, task.n)
    reader = context.open(task.backend, location)
    if context.cold:
        evict(reader.files())
    ids = random_ids(context.settings, task.n, index) if task.experiment == "read_random" else None
    read = _READERS[task.experiment]
    start = time.perf_counter()
    got = read(reader, task.n, ids)
    seconds = time.perf_counter() - start
    reader.close()
    expected = (
        (context.images[ids], context.labels[ids])
        if ids is not None
        else (context.images[: task.n], context.labels[: task.n])
    )
    return Sample(seconds, verified=_same(got, expected))


def random_ids(settings: RunSettings, n: int, index: int) -> npt.NDArray[np.int64]:
    """k distinct ids of n, seeded by (seed, n, sample): equal for every backend."""
    rng = np.random.default_rng([settings.seed, n, index])
    return rng.choice(n, settings.k_for(n), replace=False).astype(np.int64)


def _read_single(reader: Backend, n: int, _: Any) -> list[tuple[Images, int]]:
    return [reader.read_one(image_id) for image_id in range(n)]


def _read_many(reader: Backend, n: int, _: Any) -> tuple[Any, Labels]:
    return reader.read_many(n=n)


def _read_random(reader: Backend, _: int, ids: Any) -> tuple[Any, Labels]:
    return reader.read_many(ids=ids)


_READERS: dict[str, Callable[[Backend, int, Any], Any]] = {
    "read_single": _read_single,
    "read_many": _read_many,
    "read_random": _read_random,
}


def _same(got: Any, expected: tuple[ImageBatch, Labels]) -> bool:
    """Bit for bit, and shape for shape: a list from a varying store is checked image by
    image, so an image read back at the wrong size never passes."""
    images, labels = expected
    if isinstance(got, list):  # read_single: one (image, label) per id
        return len(got) == len(images) and all(
            np.array_equal(image, images[i]) and label == labels[i]
            for i, (image, label) in enumerate(got)
        )
    got_images, got_labels = got
    return same_images(got_images, images) and bool(np.array_equal(got_labels, labels))
