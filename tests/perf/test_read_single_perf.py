"""read_one on an open reader costs what the library call costs (``pytest -m perf``).

10,000 CIFAR-shaped synthetic images in a seeded random order. Each backend's read_one is
timed against a plain loop doing the same with the library directly, each on its own copy
of the store, the two interleaved (their order alternating) for several rounds; the median
of the per-round ratios is asserted, so a busy machine slows both sides alike. Results are
checked bit-exact outside the timed region.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import lmdb
import numpy as np
import pytest

from imgbench.core.backends import open_backend
from imgbench.core.backends.lmdb_store import HEADER, LABEL, SHAPE_PREFIX
from imgbench.core.synthetic import make_synthetic

pytestmark = pytest.mark.perf

COUNT = 10_000
ROUNDS = 9
MAX_RATIO = 1.3

Loop = Callable[[list[int]], list[tuple[Any, int]]]


def plain_raw(location: Path) -> Loop:
    """numpy alone: the mapped .npy indexed and copied, labels from an in-memory array."""
    images = np.load(location / "images.npy", mmap_mode="r")
    labels = np.load(location / "labels.npy")
    return lambda ids: [(np.array(images[i]), int(labels[i])) for i in ids]


def plain_lmdb(location: Path) -> Loop:
    """lmdb alone: one read transaction, ``txn.get`` and ``np.frombuffer(...).reshape``;
    the label is in the record, so it is unpacked from it."""
    env = lmdb.open(str(location), readonly=True, lock=False, subdir=True)
    txn = env.begin()
    shape = (32, 32, 3)

    def run(ids: list[int]) -> list[tuple[Any, int]]:
        out = []
        for i in ids:
            record = txn.get(b"%010d" % i)
            image = np.frombuffer(record, np.uint8, offset=HEADER.size).reshape(shape)
            out.append((image, LABEL.unpack_from(record, SHAPE_PREFIX)[0]))
        return out

    return run


def plain_hdf5(location: Path) -> Loop:
    """h5py alone: ``dset[i]``, the label from an in-memory array."""
    handle = h5py.File(location / "data.h5", "r")
    images, labels = handle["images"], handle["labels"][...]
    return lambda ids: [(images[i], int(labels[i])) for i in ids]


PLAIN: dict[str, Callable[[Path], Loop]] = {
    "raw": plain_raw,
    "lmdb": plain_lmdb,
    "hdf5": plain_hdf5,
}


@pytest.fixture(scope="module")
def data() -> Any:
    dataset = make_synthetic(COUNT, seed=0)
    return dataset.images, dataset.labels


def timed(loop: Loop, ids: list[int]) -> tuple[float, list[tuple[Any, int]]]:
    gc.disable()  # both sides allocate alike; a collection in one of them is noise
    try:
        start = time.perf_counter()
        result = loop(ids)
        return time.perf_counter() - start, result
    finally:
        gc.enable()


@pytest.mark.parametrize("name", list(PLAIN))
def test_read_one_is_within_1_3x_of_the_plain_library_loop(
    tmp_path: Path, data: Any, name: str
) -> None:
    images, labels = data
    for side in ("ours", "plain"):  # two equal stores: lmdb opens an environment once only
        open_backend(name, tmp_path / side, durable=False).store_many(images, labels)
    reader = open_backend(name, tmp_path / "ours").open_reader()
    read_one = reader.read_one
    ours: Loop = lambda ids: [read_one(i) for i in ids]  # noqa: E731 - the same shape as plain
    plain = PLAIN[name](tmp_path / "plain")
    ids = np.random.default_rng(0).permutation(COUNT).tolist()
    for loop in (ours, plain):  # a warm-up that also checks every image, untimed
        got = loop(ids)
        assert all(np.array_equal(image, images[i]) for (image, _), i in zip(got, ids, strict=True))
        assert [label for _, label in got] == labels[ids].tolist()
        del got
    seconds: dict[str, list[float]] = {"read_one": [], "plain": []}
    for round_index in range(ROUNDS):
        pair = [("read_one", ours), ("plain", plain)]
        for key, loop in pair if round_index % 2 else pair[::-1]:
            elapsed, _ = timed(loop, ids)
            seconds[key].append(elapsed)
    reader.close()
    ratios = [a / b for a, b in zip(seconds["read_one"], seconds["plain"], strict=True)]
    ratio = statistics.median(ratios)
    ours_us, plain_us = (statistics.median(s) / COUNT * 1e6 for s in seconds.values())
    print(
        f"\n{name} read_one of {COUNT:,} in random order: {ours_us:.2f} us per image, "
        f"plain loop {plain_us:.2f} us; median ratio {ratio:.2f} "
        f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
    )
    assert ratio <= MAX_RATIO
