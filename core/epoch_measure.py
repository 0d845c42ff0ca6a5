"""The training read: epochs through a data loader, and the latency of single reads.

``epoch`` (and ``epoch_batched``): one sample is ``epochs`` epochs in a row over the
store of n with W loader workers (:mod:`.loader`), the cache evicted before the first when
cold. Each epoch is its own row (epoch 1 against epoch 2), its wall time a sample. What
the consumer got is checked against the source after each epoch, untimed. Before each
epoch the page cache's share of the store is recorded: a store that fits in free memory
and is already cached measures memory, not the disk.

``read_latency``: k seeded random ids (the same for every store) read one ``read_one``
at a time on an open reader, each read timed on its own: percentiles and a histogram.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .backends import Backend
from .cache import evict
from .events import Task
from .images import ImageList
from .loader import EpochFigures, ReaderSpec, batches_of, epoch_order, run_epoch
from .measure import ProgressCallback, ReadSampler, Sample, TaskContext, same_read
from .page_cache import memory_available_bytes, resident_bytes

#: Histogram bins of single-read latencies: five a decade from 1 µs to 10 s, the same
#: for every store so their histograms can be drawn together.
LATENCY_EDGES_S = tuple(10 ** (exponent / 5) for exponent in range(-30, 6))
#: A store counts as held in memory when the page cache holds at least this share of it.
RESIDENT_SHARE = 0.5


@dataclass
class EpochSample(Sample):
    """The epochs of one sample, in order, with the page cache before each."""

    epochs: list[EpochFigures] = field(default_factory=list)
    page_cache: list[dict[str, Any]] = field(default_factory=list)
    epochs_verified: list[bool] = field(default_factory=list)


class EpochSampler(ReadSampler):
    """``epoch``/``epoch_batched`` at W workers: every image once per epoch, shuffled."""

    def __init__(
        self,
        context: TaskContext,
        task: Task,
        location: Path,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(context, task, location)
        self.should_stop = should_stop
        self.samples: list[EpochSample] = []
        images = context.images[: task.n]
        self.image_nbytes = _image_nbytes(images)
        settings = context.settings
        self.spec = ReaderSpec(
            store=task.backend,
            location=str(location),
            options=dict(settings.backend_options.get(task.backend, {})),
            varying_shapes=isinstance(context.images, ImageList),
        )

    def sample(self, index: int, progress: ProgressCallback = None) -> Sample:
        settings, task = self.context.settings, self.task
        files = self._files()
        if self.context.cold:
            evict(files)
        sample = EpochSample(0.0)
        for epoch in range(1, settings.epochs + 1):
            sample.page_cache.append(page_cache_state(files))
            order = epoch_order(task.n, settings.seed, epoch)
            figures, delivered = run_epoch(
                self.spec,
                batches_of(order, settings.batch_size),
                self.image_nbytes,
                workers=task.workers or 1,
                batched=task.experiment == "epoch_batched",
                should_stop=self.should_stop,
            )
            expected = self.context.expected(task.backend)
            got = (delivered.images, delivered.labels)
            sample.epochs_verified.append(
                bool(np.array_equal(delivered.order, order))
                and same_read(got, (expected[order], self.context.labels[order]))
            )
            sample.epochs.append(figures)
            sample.seconds += figures.wall_s
            if progress is not None:
                progress(epoch * task.n)
        sample.verified = all(sample.epochs_verified)
        self.samples.append(sample)
        return sample

    def _files(self) -> list[Path]:
        reader = self.context.backend(self.task.backend, self.location)
        return list(reader.files())


def page_cache_state(files: Sequence[Path]) -> dict[str, Any]:
    """The store's size, how much of it the page cache holds, and whether all of it
    would fit in the memory available (untimed)."""
    measured = resident_bytes(files)
    store_bytes = measured[1] if measured else sum(path.stat().st_size for path in files)
    available = memory_available_bytes()
    return {
        "store_bytes": store_bytes,
        "resident_bytes": measured[0] if measured else None,
        "memory_available_bytes": available,
        "fits_in_memory": available is not None and store_bytes <= available,
    }


def held_in_memory(state: dict[str, Any], cache_mode: str) -> bool:
    """True when an epoch read memory rather than the disk: the store fits in the memory
    available and the page cache held most of it (or, where that cannot be known, the
    cache was warm)."""
    if not state.get("fits_in_memory"):
        return False
    resident, size = state.get("resident_bytes"), state.get("store_bytes") or 0
    if resident is None:
        return cache_mode == "warm"
    return size == 0 or resident >= RESIDENT_SHARE * size


def epoch_rows_extra(
    sampler: EpochSampler, epoch: int, cache_mode: str
) -> tuple[list[float], dict[str, Any], list[dict[str, Any]], bool]:
    """For epoch ``epoch`` (1-based): its wall seconds per sample, the row's own fields,
    its warnings and whether every delivery was right."""
    task, settings = sampler.task, sampler.context.settings
    figures = [
        sample.epochs[epoch - 1] for sample in sampler.samples if len(sample.epochs) >= epoch
    ]
    states = [
        sample.page_cache[epoch - 1] for sample in sampler.samples if len(sample.epochs) >= epoch
    ]
    checks = [s.epochs_verified[epoch - 1] for s in sampler.samples if len(s.epochs) >= epoch]
    waits = np.concatenate([np.asarray(f.batch_waits_s, dtype=np.float64) for f in figures])
    cpu = [f.cpu_s_per_image for f in figures]
    peaks = [f.workers_peak_rss_bytes for f in figures]
    extra: dict[str, Any] = {
        "workers": task.workers or 1,
        "epoch": epoch,
        "batch_size": settings.batch_size,
        "first_batch_s": float(np.median([f.first_batch_s for f in figures])),
        "batch_latency_s": percentiles(waits, ("p50", "p95", "p99")),
        "cpu_s_per_image": float(np.median(cpu)),
        "worker_peak_rss_bytes": max(peaks) if peaks else None,
        "page_cache": states[-1],
        "order": {"kind": "epoch permutation", "seed": [settings.seed, epoch]},
    }
    warnings = []
    if any(held_in_memory(state, cache_mode if epoch == 1 else "warm") for state in states):
        warnings.append(in_memory_warning(states[-1]))
    return [f.wall_s for f in figures], extra, warnings, all(checks)


def in_memory_warning(state: dict[str, Any]) -> dict[str, Any]:
    """The row warning that says an epoch read memory, with the figures behind it."""
    return {
        "code": "in_memory",
        "store_bytes": state.get("store_bytes"),
        "resident_bytes": state.get("resident_bytes"),
        "memory_available_bytes": state.get("memory_available_bytes"),
    }


class LatencySampler(ReadSampler):
    """``read_latency``: each of k recorded ids read alone on an open reader, timed alone."""

    def __init__(self, context: TaskContext, task: Task, location: Path) -> None:
        super().__init__(context, task, location)
        self.reader: Backend | None = None
        self.ids = latency_ids(context.settings.seed, task.n, context.settings.k_for(task.n))
        self.latencies: list[npt.NDArray[np.float64]] = []

    def sample(self, index: int, progress: ProgressCallback = None) -> Sample:
        if self.reader is None:  # opened once, untimed: the reads are what is measured
            self.reader = self._reader().open_reader()
        elif self.context.cold:
            evict(self.reader.files())
        read_one, clock = self.reader.read_one, time.perf_counter_ns
        ids = self.ids.tolist()
        took = np.empty(len(ids), dtype=np.int64)
        got = []
        for position, image_id in enumerate(ids):
            start = clock()
            pair = read_one(image_id)
            took[position] = clock() - start
            got.append(pair)
        seconds = took / 1e9
        self.latencies.append(seconds)
        expected = self.context.expected(self.task.backend)
        verified = same_read(got, (expected[self.ids], self.context.labels[self.ids]))
        return Sample(float(seconds.sum()), verified=verified)

    def row_extra(self) -> dict[str, Any]:
        """Percentiles and a histogram over every read of every sample."""
        every = np.concatenate(self.latencies) if self.latencies else np.empty(0)
        counts, _ = np.histogram(
            np.clip(every, LATENCY_EDGES_S[0], LATENCY_EDGES_S[-1]), LATENCY_EDGES_S
        )
        return {
            "latency_s": percentiles(every, ("p50", "p90", "p99", "p999")),
            "histogram": {"edges_s": list(LATENCY_EDGES_S), "counts": counts.tolist()},
            "order": {"kind": "random ids", "seed": [self.context.settings.seed, self.task.n, 2]},
        }

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None


def latency_ids(seed: int, n: int, k: int) -> npt.NDArray[np.int64]:
    """k distinct ids of n seeded by (seed, n): the same for every store."""
    return np.random.default_rng([seed, n, 2]).choice(n, k, replace=False).astype(np.int64)


def percentiles(values: npt.NDArray[np.float64], names: Sequence[str]) -> dict[str, float]:
    """p50, p90, p99, p999 ... of the values (0 for none)."""
    if len(values) == 0:
        return dict.fromkeys(names, 0.0)
    points = [float(name[1:]) / (10 if len(name) == 4 else 1) for name in names]
    found = np.percentile(values, points)
    return {name: float(value) for name, value in zip(names, found, strict=True)}


def _image_nbytes(images: Any) -> npt.NDArray[np.int64]:
    """Each image's pixel bytes, by id (what a loader's shared memory must hold)."""
    if isinstance(images, ImageList):
        sizes: npt.NDArray[np.int64] = np.asarray(images.shapes, dtype=np.int64).prod(axis=1)
        return sizes
    return np.full(len(images), images[0].nbytes if len(images) else 0, dtype=np.int64)
