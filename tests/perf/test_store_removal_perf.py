"""remove_store against shutil.rmtree and ``rm -rf`` (``pytest -m perf``).

A PNG store of 100,000 CIFAR-sized files (real PNG bytes, synced as a durable store would
be) is built untimed before every deletion; the three ways take turns, their order
rotating each round, and the medians are compared. ``--basetemp`` picks the file system.
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from imgbench.core.backends.base import remove_store
from imgbench.core.synthetic import make_synthetic

pytestmark = pytest.mark.perf

COUNT = 100_000
ROUNDS = 3


@pytest.fixture(scope="module")
def png_files() -> list[bytes]:
    encoded = []
    for image in make_synthetic(COUNT, seed=0).images:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG")
        encoded.append(buffer.getvalue())
    return encoded


def build_store(location: Path, png_files: list[bytes]) -> None:
    location.mkdir()
    for image_id, data in enumerate(png_files):
        (location / f"{image_id:010d}.png").write_bytes(data)
    (location / "labels.csv").write_text("id,label\n")
    os.sync()


WAYS: dict[str, Callable[[Path], object]] = {
    "remove_store": remove_store,
    "shutil.rmtree": shutil.rmtree,
    "rm -rf": lambda location: subprocess.run(["rm", "-rf", "--", str(location)], check=True),
}


def test_remove_store_beats_rmtree_on_100000_files(tmp_path: Path, png_files: list[bytes]) -> None:
    seconds: dict[str, list[float]] = {way: [] for way in WAYS}
    sync_after: dict[str, list[float]] = {way: [] for way in WAYS}
    names = list(WAYS)
    for round_index in range(ROUNDS):
        for turn in range(len(names)):
            way = names[(turn + round_index) % len(names)]
            location = tmp_path / f"store-{round_index}-{turn}"
            build_store(location, png_files)
            start = time.perf_counter()
            WAYS[way](location)
            seconds[way].append(time.perf_counter() - start)
            assert not location.exists()
            start = time.perf_counter()
            os.sync()  # what the deletion left for the disk to do, if anything
            sync_after[way].append(time.perf_counter() - start)
    medians = {way: statistics.median(s) for way, s in seconds.items()}
    print(f"\ndeleting a {COUNT:,}-file PNG store in {tmp_path} (median of {ROUNDS}):")
    for way, median in medians.items():
        after = statistics.median(sync_after[way])
        print(f"  {way:<14} {median:6.2f} s   (a sync right after: {after:.2f} s)")
    assert medians["remove_store"] <= 0.8 * medians["shutil.rmtree"]
