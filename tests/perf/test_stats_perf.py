"""Performance target of the noise figures (``pytest -m perf``).

Every measurement row gets a bootstrap interval of its median, and a comparison computes
two per row: summarizing 200 samples must take under 5 ms (median of 20), so a run's
bookkeeping and ``imgbench compare`` stay instant.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest

from imgbench.core.stats import differ, summarize

pytestmark = pytest.mark.perf

SAMPLES = 200
REPEATS = 20
TARGET_S = 0.005


def test_summarizing_200_samples_takes_under_5_ms() -> None:
    samples = np.random.default_rng(0).lognormal(-6, 0.3, SAMPLES).tolist()
    summarize(samples)  # warm-up: first allocations
    seconds = []
    for seed in range(REPEATS):
        start = time.perf_counter()
        summarize(samples, seed=seed)
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    print(f"\nsummarize({SAMPLES} samples): median {median * 1e3:.2f} ms over {REPEATS} runs")
    assert median < TARGET_S


def test_many_samples_are_summarized_in_bounded_time_and_memory() -> None:
    samples = np.random.default_rng(1).lognormal(-6, 0.3, 20_000).tolist()
    start = time.perf_counter()
    stats = summarize(samples)
    assert time.perf_counter() - start < 2.0
    assert stats["ci_low_s"] < stats["median_s"] < stats["ci_high_s"]


def test_comparing_two_sets_of_200_takes_under_15_ms() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.lognormal(0, 0.3, SAMPLES).tolist(), rng.lognormal(0.1, 0.3, SAMPLES).tolist()
    differ(a, b)
    seconds = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        differ(a, b)
        seconds.append(time.perf_counter() - start)
    assert statistics.median(seconds) < 3 * TARGET_S
