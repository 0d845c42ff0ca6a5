"""The epoch loader: every image once, in the seeded order's batches, from worker
processes; failures and stops end every worker and leave no shared memory behind."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from imgbench.core import backends
from imgbench.core.backends import open_backend
from imgbench.core.backends.raw_store import RawBackend
from imgbench.core.dataset import Dataset
from imgbench.core.errors import StoreError
from imgbench.core.images import same_images
from imgbench.core.loader import (
    GRACE_S,
    EpochStopped,
    LoaderWorkerFailed,
    ReaderSpec,
    batches_of,
    epoch_order,
    run_epoch,
    segment_prefix,
)
from imgbench.core.synthetic import make_synthetic

COUNT = 200
BATCH = 32  # 200 = 6 * 32 + 8: the last batch is short


@pytest.fixture(scope="module")
def data() -> Dataset:
    return make_synthetic(COUNT, seed=3)


@pytest.fixture(autouse=True)
def no_leftovers() -> Iterator[None]:
    """After every test: no shared memory segment of ours, no worker process alive."""
    yield
    leftover = [name for name in os.listdir("/dev/shm") if name.startswith(segment_prefix())]
    assert leftover == []
    assert [p for p in multiprocessing.active_children() if p.name.startswith("imgbench-")] == []


def make_store(tmp_path: Path, data: Dataset, name: str, folder: str = "store") -> ReaderSpec:
    location = tmp_path / folder
    store = open_backend(name, location, durable=False)
    store.store_many(data.images, data.labels)
    store.close()
    return ReaderSpec(name, str(location))


def sizes(data: Dataset) -> np.ndarray:
    return np.full(len(data.labels), data.images[0].nbytes, dtype=np.int64)


def assert_delivered_in_order(delivered: Any, data: Dataset, batches: list[np.ndarray]) -> None:
    order = np.concatenate(batches)
    assert np.array_equal(delivered.order, order)
    assert np.array_equal(delivered.images, data.images[order])
    assert np.array_equal(delivered.labels, data.labels[order])


def test_the_sampler_is_seeded_per_epoch() -> None:
    first = epoch_order(1000, seed=7, epoch=0)
    assert first.dtype == np.int64
    assert sorted(first.tolist()) == list(range(1000))
    assert np.array_equal(first, epoch_order(1000, seed=7, epoch=0))
    assert not np.array_equal(first, epoch_order(1000, seed=7, epoch=1))
    assert not np.array_equal(first, epoch_order(1000, seed=8, epoch=0))


def test_batches_keep_the_last_short_batch() -> None:
    batches = batches_of(np.arange(10, dtype=np.int64), 4)
    assert [batch.tolist() for batch in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    with pytest.raises(ValueError):
        batches_of(np.arange(3), 0)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_every_image_once_in_the_seeded_batches(
    tmp_path: Path, data: Dataset, workers: int
) -> None:
    spec = make_store(tmp_path, data, "raw")
    batches = batches_of(epoch_order(COUNT, seed=1, epoch=0), BATCH)
    figures, delivered = run_epoch(spec, batches, sizes(data), workers=workers)
    assert_delivered_in_order(delivered, data, batches)
    assert sorted(delivered.order.tolist()) == list(range(COUNT))
    assert len(batches[-1]) == COUNT % BATCH
    assert figures.workers == workers and not figures.batched
    assert figures.images == COUNT and figures.bytes == data.images.nbytes
    assert len(figures.batch_waits_s) == len(batches) and (figures.batch_waits_s >= 0).all()
    assert 0 < figures.first_batch_s <= figures.wall_s
    assert figures.workers_cpu_s > 0 and figures.parent_cpu_s >= 0
    assert figures.workers_peak_rss_bytes > 1_000_000  # KiB turned into bytes
    assert figures.most_outstanding == 2  # prefetch 2 per worker, used and never exceeded


@pytest.mark.parametrize("name", ["png", "lmdb", "tar+png"])
def test_other_stores_deliver_bit_for_bit(tmp_path: Path, data: Dataset, name: str) -> None:
    spec = make_store(tmp_path, data, name)
    batches = batches_of(epoch_order(COUNT, seed=2, epoch=1), BATCH)
    _, delivered = run_epoch(spec, batches, sizes(data), workers=2)
    assert_delivered_in_order(delivered, data, batches)


@pytest.mark.parametrize("name", ["raw", "png"])
def test_the_batched_variant_delivers_the_same(tmp_path: Path, data: Dataset, name: str) -> None:
    spec = make_store(tmp_path, data, name)
    batches = batches_of(epoch_order(COUNT, seed=2, epoch=0), BATCH)
    figures, delivered = run_epoch(spec, batches, sizes(data), workers=2, batched=True)
    assert figures.batched
    assert_delivered_in_order(delivered, data, batches)


def test_same_seed_same_batches_other_epoch_other_order(tmp_path: Path, data: Dataset) -> None:
    spec = make_store(tmp_path, data, "raw")
    runs = [
        run_epoch(spec, batches_of(epoch_order(COUNT, 5, epoch), BATCH), sizes(data), workers=2)
        for epoch in (0, 0, 1)
    ]
    (_, first), (_, again), (_, other) = runs
    assert np.array_equal(first.order, again.order)
    assert np.array_equal(first.images, again.images)
    assert not np.array_equal(first.order, other.order)
    assert sorted(other.order.tolist()) == list(range(COUNT))


def test_prefetch_bounds_the_batches_outstanding(tmp_path: Path, data: Dataset) -> None:
    spec = make_store(tmp_path, data, "raw")
    batches = batches_of(epoch_order(COUNT, 0, 0), 8)
    for prefetch in (1, 2, 3):
        figures, delivered = run_epoch(spec, batches, sizes(data), workers=2, prefetch=prefetch)
        assert figures.most_outstanding == prefetch
        assert_delivered_in_order(delivered, data, batches)


def test_more_workers_than_batches(tmp_path: Path, data: Dataset) -> None:
    spec = make_store(tmp_path, data, "raw")
    batches = batches_of(epoch_order(COUNT, 0, 0), 150)  # two batches, three workers
    figures, delivered = run_epoch(spec, batches, sizes(data), workers=3)
    assert_delivered_in_order(delivered, data, batches)
    assert figures.images == COUNT


@pytest.mark.parametrize("name", ["raw", "png"])
@pytest.mark.parametrize("batched", [False, True])
def test_varying_shapes_deliver_lists_of_arrays(tmp_path: Path, name: str, batched: bool) -> None:
    rng = np.random.default_rng(4)
    images = [
        rng.integers(0, 256, (int(rng.integers(1, 30)), int(rng.integers(1, 30)), 3), np.uint8)
        for _ in range(50)
    ]
    labels = np.arange(50, dtype=np.int64) * 3 - 7
    location = tmp_path / "store"
    store = open_backend(name, location, durable=False, varying_shapes=True)
    store.store_many(images, labels)
    store.close()
    spec = ReaderSpec(name, str(location), varying_shapes=True)
    batches = batches_of(epoch_order(50, 1, 0), 16)
    image_nbytes = np.array([image.nbytes for image in images], dtype=np.int64)
    figures, delivered = run_epoch(spec, batches, image_nbytes, workers=2, batched=batched)
    order = np.concatenate(batches)
    assert isinstance(delivered.images, list)
    assert same_images(delivered.images, [images[i] for i in order.tolist()])
    assert np.array_equal(delivered.labels, labels[order])
    assert figures.bytes == int(image_nbytes.sum())


def test_spawned_workers_deliver_the_same(tmp_path: Path, data: Dataset) -> None:
    spec = make_store(tmp_path, data, "png")
    batches = batches_of(epoch_order(COUNT, 1, 0), BATCH)
    _, delivered = run_epoch(spec, batches, sizes(data), workers=2, start_method="spawn")
    assert_delivered_in_order(delivered, data, batches)


def test_a_corrupt_store_fails_with_the_read_error(tmp_path: Path, data: Dataset) -> None:
    spec = make_store(tmp_path, data, "png")
    victim = int(epoch_order(COUNT, 1, 0)[40])
    (Path(spec.location) / f"{victim:010d}.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    batches = batches_of(epoch_order(COUNT, 1, 0), BATCH)
    with pytest.raises(LoaderWorkerFailed) as failed:
        run_epoch(spec, batches, sizes(data), workers=2)
    message = str(failed.value)
    assert isinstance(failed.value, StoreError)
    assert "loader worker 1 failed" in message  # batch 1 (ids 32..63) is worker 1's
    assert "StoreError: read failed: cannot identify image file" in message
    assert f"{victim:010d}.png" in message
    assert "\n" not in message


def killing_stop(signum: int) -> tuple[Callable[[], bool], list[int]]:
    """A should_stop that, on its first call, sends ``signum`` to the first loader worker."""
    killed: list[int] = []

    def should_stop() -> bool:
        if not killed:
            worker = next(p for p in multiprocessing.active_children() if p.name.endswith("-0"))
            killed.append(worker.pid or 0)
            os.kill(worker.pid or 0, signum)
        return False

    return should_stop, killed


def test_a_killed_worker_is_reported_not_waited_for(tmp_path: Path, data: Dataset) -> None:
    spec = make_store(tmp_path, data, "png")
    batches = batches_of(epoch_order(COUNT, 1, 0), 4)
    should_stop, killed = killing_stop(signal.SIGKILL)
    start = time.monotonic()
    with pytest.raises(LoaderWorkerFailed, match="loader worker 0 was killed by SIGKILL"):
        run_epoch(spec, batches, sizes(data), workers=2, should_stop=should_stop)
    assert time.monotonic() - start < 1 + GRACE_S
    assert not Path(f"/proc/{killed[0]}").exists()


class _ExitingRaw(RawBackend):
    """A raw store whose reader process ends abruptly at image 50 (as a crash would)."""

    def _read_one(self, image_id: int) -> tuple[Any, int]:
        if image_id == 50:
            os._exit(3)
        return super()._read_one(image_id)


def test_a_worker_that_exits_is_reported(
    tmp_path: Path, data: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = make_store(tmp_path, data, "raw")
    monkeypatch.setitem(backends.BACKENDS, "raw", _ExitingRaw)  # forked workers inherit it
    batches = batches_of(np.arange(COUNT, dtype=np.int64), BATCH)  # id 50: batch 1, worker 1
    with pytest.raises(LoaderWorkerFailed, match="loader worker 1 ended with exit code 3"):
        run_epoch(spec, batches, sizes(data), workers=2)


def test_should_stop_ends_every_worker_within_the_grace(tmp_path: Path, data: Dataset) -> None:
    spec = make_store(tmp_path, data, "png")
    batches = batches_of(epoch_order(COUNT, 1, 0), 2)
    pids: list[int] = []

    def should_stop() -> bool:
        pids.extend(p.pid or 0 for p in multiprocessing.active_children())
        return len(pids) > 10

    start = time.monotonic()
    with pytest.raises(EpochStopped):
        run_epoch(spec, batches, sizes(data), workers=3, should_stop=should_stop)
    assert time.monotonic() - start < GRACE_S
    assert pids and all(not Path(f"/proc/{pid}").exists() for pid in set(pids))


class _StubbornRaw(RawBackend):
    """A raw store whose reader ignores SIGTERM and hangs on its first read."""

    def _read_one(self, image_id: int) -> tuple[Any, int]:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(60)
        return super()._read_one(image_id)


def test_a_worker_deaf_to_sigterm_is_killed_after_the_grace(
    tmp_path: Path, data: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = make_store(tmp_path, data, "raw")
    monkeypatch.setitem(backends.BACKENDS, "raw", _StubbornRaw)
    batches = batches_of(epoch_order(COUNT, 1, 0), BATCH)
    calls: list[float] = []

    def should_stop() -> bool:
        calls.append(time.monotonic())
        return len(calls) > 3

    with pytest.raises(EpochStopped):
        run_epoch(spec, batches, sizes(data), workers=2, should_stop=should_stop)
    assert time.monotonic() - calls[-1] < GRACE_S + 1


def test_images_larger_than_announced_are_refused(tmp_path: Path, data: Dataset) -> None:
    spec = make_store(tmp_path, data, "raw")
    batches = batches_of(epoch_order(COUNT, 1, 0), BATCH)
    with pytest.raises(LoaderWorkerFailed, match="more pixel bytes than expected"):
        run_epoch(spec, batches, sizes(data) // 2, workers=2)
