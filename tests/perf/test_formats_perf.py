"""Performance targets of today's containers and encodings (``pytest -m perf``).

100,000 CIFAR-shaped synthetic images, durable=True, the page cache warm. The stores are
measured side by side, repeats interleaved (raw, tar, parquet, zarr, raw, tar, ...), and
only ratios of medians are asserted, so a busy machine slows every side alike. Every read
is checked bit-exact (a lossless encoding) outside the timed region.

- raw-encoded containers: tar within 2x of the raw ``.npy`` baseline for store-many and
  read-many, parquet and zarr within 3x; a random read of 1,000 of 100,000 through tar's
  index, parquet and zarr under 50 ms (median).
- PNG in a container: ``lmdb+png`` and ``tar+png`` read-many within 1.3x of PNG files
  (decode dominates; the container must add little), on 10,000 images.
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from imgbench.core.backends import open_backend
from imgbench.core.backends.names import missing_library
from imgbench.core.synthetic import make_synthetic

pytestmark = pytest.mark.perf

COUNT = 100_000
PNG_COUNT = 10_000
REPEATS = 5
RANDOM_K = 1_000
RAW_CONTAINERS = ("raw", "tar", "parquet", "zarr")
WITHIN_OF_RAW = {"tar": 2.0, "parquet": 3.0, "zarr": 3.0}
PNG_STORES = ("png", "lmdb+png", "tar+png")
PNG_WITHIN = 1.3
RANDOM_LIMIT_S = 0.050


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


def usable(stores: tuple[str, ...]) -> tuple[str, ...]:
    missing = [s for s in stores if missing_library(s.partition("+")[0])]
    if missing:
        pytest.skip(f"library missing for {', '.join(missing)}")
    return stores


def store_and_read(
    tmp_path: Path, stores: tuple[str, ...], images: Any, labels: Any
) -> tuple[dict[str, float], dict[str, float]]:
    """Median store_many and read_many (open included) seconds per store, interleaved."""
    store_s: dict[str, list[float]] = {name: [] for name in stores}
    read_s: dict[str, list[float]] = {name: [] for name in stores}
    for repeat in range(REPEATS):
        for name in stores:
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
            del got_images, got_labels
            shutil.rmtree(location)
    medians = (
        {name: statistics.median(s) for name, s in store_s.items()},
        {name: statistics.median(s) for name, s in read_s.items()},
    )
    return medians


def test_raw_containers_store_and_read_many_against_raw(tmp_path: Path, data: Any) -> None:
    images, labels = data
    stores = usable(RAW_CONTAINERS)
    store_median, read_median = store_and_read(tmp_path, stores, images, labels)
    report(f"store_many {COUNT:,}, durable", store_median, "raw")
    report(f"read_many {COUNT:,}", read_median, "raw")
    for name, within in WITHIN_OF_RAW.items():
        assert store_median[name] <= within * store_median["raw"], name
        assert read_median[name] <= within * read_median["raw"], name


def test_random_read_of_1000_of_100000(tmp_path: Path, data: Any) -> None:
    images, labels = data
    stores = usable(("tar", "parquet", "zarr"))
    readers = {}
    for name in stores:
        store = open_backend(name, tmp_path / name, durable=False)
        store.store_many(images, labels)
        store.close()
        readers[name] = open_backend(name, tmp_path / name).open_reader()
    rng = np.random.default_rng(0)
    seconds: dict[str, list[float]] = {name: [] for name in stores}
    for _ in range(REPEATS):
        ids = rng.choice(COUNT, RANDOM_K, replace=False)
        for name, reader in readers.items():
            elapsed, (got, got_labels) = timed(lambda r=reader, i=ids: r.read_many(ids=i))
            seconds[name].append(elapsed)
            assert np.array_equal(got, images[ids]) and np.array_equal(got_labels, labels[ids])
    for reader in readers.values():
        reader.close()
    medians = {name: statistics.median(s) for name, s in seconds.items()}
    print(f"\nrandom read of {RANDOM_K:,} of {COUNT:,} (median of {REPEATS}):")
    for name, value in medians.items():
        print(f"  {name:<10} {value * 1000:9.1f} ms")
    for name, value in medians.items():
        assert value < RANDOM_LIMIT_S, name


def test_png_in_a_container_reads_like_png_files(tmp_path: Path, data: Any) -> None:
    images, labels = data
    images, labels = images[:PNG_COUNT], labels[:PNG_COUNT]
    store_median, read_median = store_and_read(tmp_path, PNG_STORES, images, labels)
    report(f"store_many {PNG_COUNT:,} PNG, durable", store_median, "png")
    report(f"read_many {PNG_COUNT:,} PNG", read_median, "png")
    for name in PNG_STORES[1:]:
        assert read_median[name] <= PNG_WITHIN * read_median["png"], name
