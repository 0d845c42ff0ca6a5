"""What a set of timing samples says, how sure it is, and when two sets really differ.

A median alone hides the noise: two quick runs of the same thing can be far apart. So
every summary carries the interquartile range and a 95% interval of the median, two sets
are called different only when both the intervals and a rank test agree, and a
measurement whose numbers cannot be trusted carries warnings (codes and numbers only;
the words are the front end's).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: Bootstrap resamples for the interval of the median. 2,000 keeps the Monte Carlo error of
#: the 2.5% and 97.5% points small next to the interval itself and costs about 2 ms for 200
#: samples (resampled indices are sorted as uint16, far quicker than floats).
RESAMPLES = 2_000
CONFIDENCE = 0.95
#: Resampled values held at once; more resamples are drawn in chunks, so memory stays flat.
CHUNK_VALUES = 4_000_000
#: Significance level of the rank test.
ALPHA = 0.05
#: Where the rank test cannot reach ``ALPHA`` even for fully separated sets (2 samples
#: against fewer than 9, 3 against 3 or 4), the spread is barely known; then only ranges
#: this far apart count: every sample of the slower set above this many times every
#: sample of the faster one. Twice is well beyond the run-to-run noise of a quiet machine
#: (2 against 2 samples from one distribution with 30% spread are called different in
#: under 1% of pairs) and still catches the large gaps a change of store or disk makes.
FAR_APART = 2.0
#: A single sample shows no spread at all, so no gap can be judged wide: never a claim.
#: (Two single samples 30% noisy are twice apart one time in ten.)
MIN_TO_COMPARE = 2

#: Warning thresholds, as shares of the median. A 95% interval wider than ±10% cannot
#: separate stores within 20% of each other; a middle half of the samples spanning more
#: than 20% means the samples disagree even where the interval is narrow (many samples).
NOISY_HALF_INTERVAL = 0.10
NOISY_IQR = 0.20
#: PSI "some": the share of the run's wall time in which a runnable task waited for a CPU.
#: Above a tenth, other work (or too many of imgbench's own workers) took CPU time.
BUSY_CPU_SOME_SHARE = 0.10
#: Fewer timed samples than this give a median that is a mean of two, and no spread.
FEW_SAMPLES = 3
WARNING_CODES = ("noisy", "busy", "few_samples")


def summarize(samples: Sequence[float], *, seed: int = 0) -> dict[str, float]:
    """min, median, mean, sample stdev, quartiles and a 95% interval of the median.

    The interval is a percentile bootstrap: ``RESAMPLES`` resamples drawn with
    ``numpy.random.default_rng(seed)``, so the same samples and seed give the same
    interval. It needs no assumption about the shape of the timings (they are skewed:
    a slow outlier is common, a fast one is not). One sample gives ``[x, x]``.
    """
    if len(samples) == 0:  # not ``not samples``: a NumPy array has no truth value
        raise ValueError("cannot summarize no samples")
    values = np.sort(np.asarray(samples, dtype=np.float64))
    q1, q3 = np.percentile(values, [25.0, 75.0])
    low, high = _median_interval(values, seed)
    floats = values.tolist()
    return {
        "min_s": floats[0],
        "median_s": _median_of_sorted(values),
        "mean_s": statistics.fmean(floats),
        "stdev_s": statistics.stdev(floats) if len(floats) > 1 else 0.0,
        "q1_s": float(q1),
        "q3_s": float(q3),
        "ci_low_s": low,
        "ci_high_s": high,
    }


def _median_of_sorted(values: np.ndarray[Any, Any]) -> float:
    """The same arithmetic as the resampled medians, so the interval and it agree exactly."""
    count = len(values)
    return float((values[(count - 1) // 2] + values[count // 2]) / 2)


def _median_interval(values: np.ndarray[Any, Any], seed: int) -> tuple[float, float]:
    """The central ``CONFIDENCE`` share of the medians of resamples of sorted ``values``.

    A resample's median is found from its indices alone: sorting small integers is
    far cheaper than sorting floats, and sorted ``values`` map index order to value order.
    """
    count = len(values)
    if count == 1:
        return float(values[0]), float(values[0])
    rng = np.random.default_rng(seed)
    index_type = np.uint16 if count <= np.iinfo(np.uint16).max else np.intp
    rows = max(1, CHUNK_VALUES // count)
    medians = []
    for start in range(0, RESAMPLES, rows):
        shape = (min(rows, RESAMPLES - start), count)
        picks = np.sort(rng.integers(0, count, size=shape, dtype=index_type), axis=1)
        low, high = picks[:, (count - 1) // 2], picks[:, count // 2]
        medians.append((values[low] + values[high]) / 2)
    tail = (1 - CONFIDENCE) / 2 * 100
    low_s, high_s = np.percentile(np.concatenate(medians), [tail, 100 - tail])
    return float(low_s), float(high_s)


# -- do two sets differ ------------------------------------------------------------------


def differ(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether sample sets ``a`` and ``b`` really differ, beyond their noise.

    Both must agree: the 95% intervals of the medians do not overlap, and a two-sided
    Mann-Whitney U test gives p < ``ALPHA``. Where the test cannot reach ``ALPHA`` at all
    (too few samples), only ranges at least ``FAR_APART`` times apart count, and a single
    sample on either side never shows a difference.
    """
    if min(len(a), len(b)) < MIN_TO_COMPARE:
        return False
    if not _rank_test_can_decide(len(a), len(b)):
        return _far_apart(a, b)
    stats_a, stats_b = summarize(a), summarize(b)
    apart = stats_a["ci_high_s"] < stats_b["ci_low_s"] or stats_b["ci_high_s"] < stats_a["ci_low_s"]
    return apart and mann_whitney_p(a, b) < ALPHA


def mann_whitney_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test: normal approximation with the tie
    correction and a continuity correction of 0.5 (as SciPy does by default). 1.0 when
    every value is tied: nothing tells the sets apart."""
    count_a, count_b = len(a), len(b)
    both = np.concatenate([np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)])
    _, inverse, ties = np.unique(both, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(ties) - (ties - 1) / 2  # 1-based ranks, ties share their mean
    u_a = float(average_rank[inverse][:count_a].sum()) - count_a * (count_a + 1) / 2
    total = count_a + count_b
    tie_term = float(np.sum(ties.astype(np.float64) ** 3 - ties)) / (total * (total - 1))
    variance = count_a * count_b / 12 * (total + 1 - tie_term)
    if variance <= 0:
        return 1.0
    return _two_sided_p(abs(u_a - count_a * count_b / 2), variance)


def _two_sided_p(distance: float, variance: float) -> float:
    z = max(distance - 0.5, 0.0) / math.sqrt(variance)
    return math.erfc(z / math.sqrt(2))


def _rank_test_can_decide(count_a: int, count_b: int) -> bool:
    """Whether even fully separated sets of these sizes would reach ``ALPHA``."""
    total = count_a + count_b
    variance = count_a * count_b / 12 * (total + 1)
    return _two_sided_p(count_a * count_b / 2, variance) < ALPHA


def _far_apart(a: Sequence[float], b: Sequence[float]) -> bool:
    low, high = (a, b) if min(a) <= min(b) else (b, a)
    return min(high) > FAR_APART * max(low)


# -- can the numbers be trusted ----------------------------------------------------------


def half_interval_share(stats: Mapping[str, Any]) -> float | None:
    """Half the width of the 95% interval as a share of the median; None when unknown."""
    median, low, high = (_number(stats.get(key)) for key in ("median_s", "ci_low_s", "ci_high_s"))
    if median is None or low is None or high is None or median <= 0:
        return None
    return (high - low) / 2 / median


def iqr_share(stats: Mapping[str, Any]) -> float | None:
    """The interquartile range as a share of the median; None when unknown."""
    median, q1, q3 = (_number(stats.get(key)) for key in ("median_s", "q1_s", "q3_s"))
    if median is None or q1 is None or q3 is None or median <= 0:
        return None
    return (q3 - q1) / median


def measurement_warnings(
    stats: Mapping[str, Any],
    pressure: Mapping[str, Any] | None,
    cores: int | None,
    *,
    samples: int,
) -> list[dict[str, Any]]:
    """Why a measurement's numbers may not be trusted, as ``{"code": ..., numbers}``.

    ``stats`` is what :func:`summarize` returns, ``pressure`` what
    :func:`imgbench.core.pressure.pressure_between` returns, ``cores`` the machine's cores
    (the load average counts the whole machine), ``samples`` the number of timed samples.
    """
    found = []
    half, iqr = half_interval_share(stats), iqr_share(stats)
    if (half is not None and half > NOISY_HALF_INTERVAL) or (iqr is not None and iqr > NOISY_IQR):
        found.append(
            {"code": "noisy", "ci_half_width_share": _rounded(half), "iqr_share": _rounded(iqr)}
        )
    busy = _busy(pressure or {}, cores)
    if busy is not None:
        found.append(busy)
    if samples < FEW_SAMPLES:
        found.append({"code": "few_samples", "samples": samples, "at_least": FEW_SAMPLES})
    return found


def _busy(pressure: Mapping[str, Any], cores: int | None) -> dict[str, Any] | None:
    share, load1 = _number(pressure.get("cpu_some_share")), _number(pressure.get("load1"))
    if pressure.get("source") == "psi" and share is not None:
        if share > BUSY_CPU_SOME_SHARE:
            return {"code": "busy", "source": "psi", "cpu_some_share": _rounded(share)}
        return None
    known_cores = cores if cores is not None else pressure.get("cores")
    if load1 is not None and isinstance(known_cores, int) and 0 < known_cores < load1:
        return {"code": "busy", "source": "loadavg", "load1": _rounded(load1), "cores": known_cores}
    return None


def _number(value: Any) -> float | None:
    """A finite number as a float; None for anything else (a bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _rounded(value: float | None) -> float | None:
    """Four decimals keep the JSON readable; the shares are not known any better."""
    return None if value is None else round(float(value), 4)
