"""Performance target of loading a folder of images (``pytest -m perf``).

10,000 small JPEGs (64 to 128 pixels a side, varying, quality 90, photo-like) are written
once. Loading them with 2 workers must be at least 1.5x as fast as with 1 worker, both
measured in one run, repeats interleaved (1, 2, 1, 2, ...), medians compared, so a busy
machine slows both sides alike. Needs at least 2 cores.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgbench.core import image_folder
from imgbench.core.image_folder import load_image_folder
from imgbench.core.synthetic import make_synthetic

pytestmark = pytest.mark.perf

COUNT = 10_000
REPEATS = 5
TARGET_SPEEDUP = 1.5


@pytest.fixture(scope="module")
def jpeg_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic photos upscaled to 64-128 pixels a side, with a little grain, as JPEGs."""
    folder: Path = tmp_path_factory.mktemp("jpegs")
    photos = make_synthetic(COUNT, seed=3, size=(64, 64)).images
    rng = np.random.default_rng(3)
    sides = rng.integers(64, 129, size=(COUNT, 2))
    for i, (width, height) in enumerate(sides.tolist()):
        image = Image.fromarray(photos[i]).resize((width, height), Image.Resampling.BICUBIC)
        grain = rng.integers(-6, 7, size=(height, width, 3))
        noisy = np.clip(np.asarray(image, dtype=np.int16) + grain, 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(folder / f"{i:05}.jpg", quality=90)
    return folder


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs at least 2 cores")
def test_two_workers_load_10000_jpegs_at_least_one_and_a_half_times_faster(
    jpeg_folder: Path,
) -> None:
    assert image_folder._can_fork(), "this test measures the forked workers"
    reference = load_image_folder(jpeg_folder, workers=1)  # warm-up: page cache, imports
    assert len(reference.dataset) == COUNT
    assert reference.dataset.varying_shapes
    seconds: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(REPEATS):
        for workers in seconds:
            start = time.perf_counter()
            loaded = load_image_folder(jpeg_folder, workers=workers)
            seconds[workers].append(time.perf_counter() - start)
            assert loaded.dataset.sha256 == reference.dataset.sha256
            del loaded
    one, two = (statistics.median(seconds[workers]) for workers in (1, 2))
    megapixels = reference.dataset.pixel_count / 1e6
    print(f"\nload_image_folder, {COUNT:,} JPEGs ({megapixels:.0f} Mpx), median of {REPEATS}:")
    for workers, runs in seconds.items():
        listed = ", ".join(f"{s:.2f}" for s in runs)
        median = statistics.median(runs)
        print(f"  {workers} worker(s): {median:.3f} s  ({COUNT / median:,.0f} images/s; {listed})")
    print(f"  speed-up: {one / two:.2f}x (target {TARGET_SPEEDUP}x)")
    assert one / two >= TARGET_SPEEDUP
