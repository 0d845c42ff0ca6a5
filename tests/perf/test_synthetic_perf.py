"""Performance target of the synthetic data set (``pytest -m perf``).

Generating the classic study's 100,000 32x32x3 images must take under 2 s (median of 5),
so that the default data source never dominates a run.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest

from imgbench.core.synthetic import make_synthetic

pytestmark = pytest.mark.perf

COUNT = 100_000
REPEATS = 5
TARGET_S = 2.0


def test_generating_100k_images_takes_under_two_seconds() -> None:
    make_synthetic(1_000, seed=0)  # warm-up: imports, first allocations
    seconds = []
    data = None
    for _ in range(REPEATS):
        data = None  # free the previous set first, as a fresh run would have it
        start = time.perf_counter()
        data = make_synthetic(COUNT, seed=0)
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    runs = ", ".join(f"{s:.2f}" for s in seconds)
    print(f"\nmake_synthetic({COUNT:,}): median {median:.3f} s over {REPEATS} runs ({runs})")
    assert data is not None
    assert data.images.shape == (COUNT, 32, 32, 3)
    assert median < TARGET_S


def test_the_first_thousand_of_100k_are_the_thousand_set() -> None:
    large = make_synthetic(COUNT, seed=42)
    small = make_synthetic(1_000, seed=42)
    np.testing.assert_array_equal(small.images, large.images[:1_000])
    np.testing.assert_array_equal(small.labels, large.labels[:1_000])
