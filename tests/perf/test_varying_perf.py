"""Performance targets for images of varying sizes (``pytest -m perf``).

50,000 images of 24..40 pixels a side (CIFAR-like pixel count on average, every one a
different shape), durable=True, page cache warm. As for uniform images: backends side by
side, repeats interleaved, only ratios of medians asserted, every read checked outside
the timed region. The varying layouts must cost about what the uniform ones do: hdf5
within 2x of the raw baseline, lmdb within 6x, and keeping shapes must not make the raw
baseline itself much slower than reading the same bytes as one uniform array.
"""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from imgbench.core.backends import open_backend
from imgbench.core.images import ImageList, same_images

pytestmark = pytest.mark.perf

COUNT = 50_000
REPEATS = 5


@pytest.fixture(scope="module")
def data() -> tuple[ImageList, Any]:
    rng = np.random.default_rng(0)
    sides = rng.integers(24, 41, (COUNT, 2))
    shapes = np.column_stack([sides, np.full(COUNT, 3)]).astype(np.int64)
    total = int(np.prod(shapes, axis=1).sum())
    pixels = rng.integers(0, 256, total, dtype=np.uint8)
    labels = rng.integers(0, 10, COUNT, dtype=np.int64)
    return ImageList(pixels, shapes), labels


def test_varying_store_and_read_many_against_raw(tmp_path: Path, data: Any) -> None:
    images, labels = data
    names = ("raw", "hdf5", "lmdb", "raw-uniform")
    uniform = images.data[: images.nbytes // 3072 * 3072].reshape(-1, 32, 32, 3)
    store_s: dict[str, list[float]] = {name: [] for name in names}
    read_s: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(REPEATS):
        for name in names:
            batch = uniform if name == "raw-uniform" else images
            location = tmp_path / f"{name}-{repeat}"
            store = open_backend(name.removesuffix("-uniform"), location, durable=True)
            start = time.perf_counter()
            store.store_many(batch, labels[: len(batch)])
            store_s[name].append(time.perf_counter() - start)
            reader = open_backend(name.removesuffix("-uniform"), location)
            start = time.perf_counter()
            got, got_labels = reader.read_many()
            read_s[name].append(time.perf_counter() - start)
            reader.close()
            assert same_images(got, batch) and np.array_equal(got_labels, labels[: len(batch)])
            del got, got_labels
            shutil.rmtree(location)
    store = {name: statistics.median(s) for name, s in store_s.items()}
    read = {name: statistics.median(s) for name, s in read_s.items()}
    print(f"\nvarying sizes, {COUNT:,} images, {images.nbytes / 1e6:.0f} MB (median of {REPEATS}):")
    for name in names:
        print(
            f"  {name:<12} store {store[name] * 1e3:8.1f} ms ({store[name] / store['raw']:4.2f}x)"
            f"   read {read[name] * 1e3:8.1f} ms ({read[name] / read['raw']:4.2f}x)"
        )
    assert store["hdf5"] <= 2 * store["raw"] and read["hdf5"] <= 2 * read["raw"]
    assert store["lmdb"] <= 6 * store["raw"] and read["lmdb"] <= 6 * read["raw"]
    # The list of views costs something over one array; it must stay within a few times.
    assert read["raw"] <= 4 * read["raw-uniform"]
