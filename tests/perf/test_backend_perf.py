"""Performance targets of the backends (``pytest -m perf``).

100,000 CIFAR-shaped synthetic images, durable=True, the page cache warm. Backends are
measured side by side in one run, repeats interleaved (raw, hdf5, lmdb, raw, hdf5, ...),
and only ratios of medians are asserted, so a busy machine slows every side alike.
Every read is checked bit-exact outside the timed region.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from imgbench.core.backends import open_backend
from imgbench.core.synthetic import make_synthetic

pytestmark = pytest.mark.perf

COUNT = 100_000
REPEATS = 5
RANDOM_K = 1_000


@pytest.fixture(scope="module")
def data() -> Any:
    dataset = make_synthetic(COUNT, seed=0)
    return dataset.images, dataset.labels


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def report(title: str, medians: dict[str, float], base: str) -> None:
    print(f"\n{title} (median of {REPEATS}, ratio to {base}):")
    for name, seconds in medians.items():
        print(f"  {name:<10} {seconds * 1000:9.1f} ms   {seconds / medians[base]:5.2f}x")


def test_store_and_read_many_against_raw(tmp_path: Path, data: Any) -> None:
    images, labels = data
    store_s: dict[str, list[float]] = {"raw": [], "hdf5": [], "lmdb": []}
    read_s: dict[str, list[float]] = {name: [] for name in store_s}
    for repeat in range(REPEATS):
        for name in store_s:
            location = tmp_path / f"{name}-{repeat}"
            store = open_backend(name, location, durable=True)
            seconds, _ = timed(lambda store=store: store.store_many(images, labels))
            store_s[name].append(seconds)
            store.close()
            reader = open_backend(name, location)
            seconds, (got_images, got_labels) = timed(reader.read_many)
            read_s[name].append(seconds)
            reader.close()
            assert np.array_equal(got_images, images) and np.array_equal(got_labels, labels)
            del got_images, got_labels  # so the next read reuses memory instead of faulting in more
            shutil.rmtree(location)
    store_median = {name: statistics.median(s) for name, s in store_s.items()}
    read_median = {name: statistics.median(s) for name, s in read_s.items()}
    report("store_many 100,000", store_median, "raw")
    report("read_many 100,000", read_median, "raw")
    assert store_median["hdf5"] <= 2 * store_median["raw"]
    assert read_median["hdf5"] <= 2 * read_median["raw"]
    assert store_median["lmdb"] <= 6 * store_median["raw"]
    assert read_median["lmdb"] <= 6 * read_median["raw"]


def test_random_read_of_1000_ids(tmp_path: Path, data: Any) -> None:
    images, labels = data
    readers = {}
    for name in ("lmdb", "hdf5", "raw"):
        open_backend(name, tmp_path / name).store_many(images, labels)
        readers[name] = open_backend(name, tmp_path / name)
    rng = np.random.default_rng(1)
    seconds: dict[str, list[float]] = {name: [] for name in readers}
    for _ in range(REPEATS + 1):  # the first round opens the stores: a warm-up
        ids = rng.choice(COUNT, RANDOM_K, replace=False)
        for name, reader in readers.items():
            elapsed, (got_images, got_labels) = timed(lambda r=reader, i=ids: r.read_many(ids=i))
            seconds[name].append(elapsed)
            assert np.array_equal(got_images, images[ids])
            assert np.array_equal(got_labels, labels[ids])
    for reader in readers.values():
        reader.close()
    medians = {name: statistics.median(s[1:]) for name, s in seconds.items()}
    report(f"read_random {RANDOM_K} of {COUNT:,}", medians, "raw")
    assert medians["lmdb"] < 0.020
    assert medians["hdf5"] < 0.020


def test_png_read_many_two_workers_beat_one(tmp_path: Path, data: Any) -> None:
    images, labels = data
    location = tmp_path / "png"
    # Building the 100,000-file store is set-up, not a measurement: no per-file fsync.
    open_backend("png", location, durable=False, workers=2).store_many(images, labels)
    os.sync()
    seconds: dict[str, list[float]] = {"1 worker": [], "2 workers": []}
    for _ in range(REPEATS):
        for workers, key in ((1, "1 worker"), (2, "2 workers")):
            reader = open_backend("png", location, workers=workers)
            elapsed, (got_images, got_labels) = timed(reader.read_many)
            reader.close()
            seconds[key].append(elapsed)
            assert np.array_equal(got_images, images) and np.array_equal(got_labels, labels)
            del got_images, got_labels
    shutil.rmtree(location)  # 100,000 files would slow every later pytest start-up
    medians = {key: statistics.median(s) for key, s in seconds.items()}
    report("png read_many 100,000", medians, "2 workers")
    assert medians["1 worker"] >= 1.6 * medians["2 workers"]
