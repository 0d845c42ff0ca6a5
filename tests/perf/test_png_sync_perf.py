"""A durable PNG write_many syncs its 100,000 files the cheapest way (``pytest -m perf``).

Each round writes a fresh batch of 100,000 CIFAR-shaped PNG files without syncing
(untimed), then times one way of putting them on stable storage, folder fsync included:
syncfs of the file system, or an fsync of every file from a thread pool. The ways take
turns, their order alternating. ``--basetemp`` picks the file system.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from imgbench.core.backends import open_backend, png_store
from imgbench.core.backends.base import remove_store, sync_path
from imgbench.core.synthetic import make_synthetic

pytestmark = pytest.mark.perf

COUNT = 100_000
ROUNDS = 3


@pytest.fixture(scope="module")
def data() -> Any:
    dataset = make_synthetic(COUNT, seed=0)
    return dataset.images, dataset.labels


def sync_each_file(folder: Path) -> None:
    png_store.sync_files([folder / png_store.image_name(i) for i in range(COUNT)])


WAYS: dict[str, Callable[[Path], object]] = {
    "syncfs": png_store.sync_file_system,
    f"fsync, {png_store.SYNC_THREADS} threads": sync_each_file,
}


def test_the_batch_sync_png_uses_is_the_faster(tmp_path: Path, data: Any) -> None:
    if png_store._libc_syncfs() is None:
        pytest.skip("no syncfs on this system: PNG fsyncs every file from threads")
    images, labels = data
    seconds: dict[str, list[float]] = {way: [] for way in WAYS}
    names = list(WAYS)
    for round_index in range(ROUNDS):
        for way in names if round_index % 2 else names[::-1]:
            location = tmp_path / f"{round_index}-{way.split(',')[0]}"
            open_backend("png", location, durable=False).write_many(images, labels)
            start = time.perf_counter()
            WAYS[way](location)
            sync_path(location)
            seconds[way].append(time.perf_counter() - start)
            remove_store(location)
    medians = {way: statistics.median(s) for way, s in seconds.items()}
    print(f"\nsyncing a fresh {COUNT:,}-image PNG batch in {tmp_path} (median of {ROUNDS}):")
    for way, median in medians.items():
        print(f"  {way:<18} {median:6.2f} s   (all: {', '.join(f'{s:.2f}' for s in seconds[way])})")
    assert medians["syncfs"] <= 1.1 * min(medians.values())
