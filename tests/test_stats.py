"""The numbers behind every claim: summaries with intervals, the rank test, differ, warnings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgbench.core.stats import (
    FAR_APART,
    differ,
    half_interval_share,
    iqr_share,
    mann_whitney_p,
    measurement_warnings,
    summarize,
)

#: Timings as they come: positive seconds over many orders of magnitude, ties included.
seconds = st.floats(min_value=1e-7, max_value=1e3, allow_nan=False, allow_infinity=False)
sample_sets = st.lists(seconds, min_size=1, max_size=60)
#: Steady samples, within 10% of each other; two at least, as one shows no spread.
steady_pairs = st.lists(st.floats(min_value=1.0, max_value=1.1), min_size=2, max_size=30)


# -- summarize ------------------------------------------------------------------------------


def test_summarize_four_samples() -> None:
    stats = summarize([4.0, 1.0, 3.0, 2.0])
    assert stats["min_s"] == 1.0
    assert stats["median_s"] == 2.5
    assert stats["mean_s"] == 2.5
    assert stats["stdev_s"] == pytest.approx(1.2909944, rel=1e-6)  # sample, not population
    assert (stats["q1_s"], stats["q3_s"]) == (1.75, 3.25)


def test_summarize_one_sample_is_its_own_interval() -> None:
    assert summarize([0.5]) == {
        "min_s": 0.5,
        "median_s": 0.5,
        "mean_s": 0.5,
        "stdev_s": 0.0,
        "q1_s": 0.5,
        "q3_s": 0.5,
        "ci_low_s": 0.5,
        "ci_high_s": 0.5,
    }


def test_summarize_odd_count_median_is_middle_value() -> None:
    assert summarize([9.0, 1.0, 2.0])["median_s"] == 2.0


def test_summarize_refuses_no_samples() -> None:
    with pytest.raises(ValueError):
        summarize([])


def test_the_summary_depends_on_the_samples_and_seed_alone() -> None:
    samples = np.random.default_rng(7).lognormal(0, 0.3, 40).tolist()
    assert summarize(samples, seed=3) == summarize(samples, seed=3)
    shuffled = np.random.default_rng(8).permutation(samples).tolist()
    assert summarize(shuffled, seed=3) == summarize(samples, seed=3)  # order does not matter


def test_the_interval_narrows_with_more_samples() -> None:
    rng = np.random.default_rng(1)
    few = summarize(rng.lognormal(0, 0.3, 10).tolist())
    many = summarize(rng.lognormal(0, 0.3, 400).tolist())
    assert many["ci_high_s"] - many["ci_low_s"] < (few["ci_high_s"] - few["ci_low_s"]) / 2


def test_the_interval_covers_the_true_median_about_95_times_in_100() -> None:
    """Calibration: over many sets drawn from a skewed distribution with a known median."""
    rng = np.random.default_rng(2024)
    true_median = 1.0  # lognormal(0, sigma) has median e**0
    covered = 0
    trials = 300
    for seed in range(trials):
        stats = summarize(rng.lognormal(0, 0.4, 25).tolist(), seed=seed)
        covered += stats["ci_low_s"] <= true_median <= stats["ci_high_s"]
    assert 0.88 <= covered / trials <= 0.99


@settings(max_examples=200, deadline=None)
@given(sample_sets)
def test_the_interval_holds_the_median_and_quartiles_surround_it(samples: list[float]) -> None:
    stats = summarize(samples)
    assert stats["min_s"] <= stats["ci_low_s"] <= stats["median_s"] <= stats["ci_high_s"]
    assert stats["ci_high_s"] <= max(samples)
    assert stats["min_s"] <= stats["q1_s"] <= stats["median_s"] <= stats["q3_s"] <= max(samples)


# -- the rank test --------------------------------------------------------------------------


def test_rank_test_matches_published_values() -> None:
    # SciPy's documentation example (method="asymptotic", continuity corrected)
    assert mann_whitney_p([19, 22, 16, 29, 24], [20, 11, 17, 12]) == pytest.approx(
        0.11134688653314041, rel=1e-12
    )
    # R: wilcox.test(c(1, 2, 3, 4), c(1, 2, 3, 4, 5), exact=FALSE): ties corrected
    assert mann_whitney_p([1, 2, 3, 4], [1, 2, 3, 4, 5]) == pytest.approx(0.7086240584439)
    assert mann_whitney_p([1, 2, 3, 4], [1, 2.01, 3, 4.01, 5]) == pytest.approx(0.5368784563079)


def test_rank_test_of_all_tied_values_finds_nothing() -> None:
    assert mann_whitney_p([2.0, 2.0], [2.0, 2.0, 2.0]) == 1.0


@settings(max_examples=100, deadline=None)
@given(sample_sets, sample_sets)
def test_rank_test_is_symmetric_and_a_probability(a: list[float], b: list[float]) -> None:
    p = mann_whitney_p(a, b)
    assert 0.0 <= p <= 1.0
    assert p == pytest.approx(mann_whitney_p(b, a))


# -- differ ---------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(sample_sets)
def test_identical_sets_never_differ(samples: list[float]) -> None:
    assert not differ(samples, list(samples))
    assert not differ(samples, list(reversed(samples)))


@settings(max_examples=200, deadline=None)
@given(steady_pairs, steady_pairs)
def test_steady_sets_three_times_apart_differ_from_two_samples_a_side(
    a: list[float], b: list[float]
) -> None:
    slower = [value * 3 for value in b]
    assert differ(a, slower)
    assert differ(slower, a)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=1.0, max_value=1.02), min_size=8, max_size=30))
def test_steady_sets_a_fifth_apart_differ_given_enough_samples(a: list[float]) -> None:
    assert differ(a, [value * 1.2 for value in a])


def test_sets_from_one_noisy_distribution_are_rarely_called_different() -> None:
    rng = np.random.default_rng(11)
    claims = sum(
        differ(rng.lognormal(0, 0.5, size).tolist(), rng.lognormal(0, 0.5, size).tolist())
        for size in (2, 3, 5, 10, 30)
        for _ in range(100)
    )
    assert claims <= 10  # of 500 pairs: well under the 5% a test at p < 0.05 alone allows


def test_one_sample_a_side_is_never_a_difference() -> None:
    assert not differ([1.0], [100.0])
    assert not differ([1.0, 1.01, 1.02, 1.03], [100.0])


def test_with_too_few_samples_only_a_wide_gap_counts() -> None:
    assert differ([1.0, 1.0], [FAR_APART * 1.01] * 2)
    assert not differ([1.0, 1.0], [FAR_APART * 0.99] * 2)
    assert not differ([1.0, 1.1], [2.0, 2.1])  # 2.0 is less than twice 1.1
    assert differ([1.0, 1.1], [2.3, 2.4])
    # three against three, 1.5x apart: the rank test cannot reach p < 0.05 (its best is 0.08)
    assert not differ([1.0, 1.01, 1.02], [1.5, 1.51, 1.52])


def test_four_steady_samples_a_side_are_enough_for_the_rank_test() -> None:
    assert differ([1.0, 1.01, 1.02, 1.03], [1.2, 1.21, 1.22, 1.23])
    assert not differ([1.0, 1.01, 1.02, 1.03], [1.02, 1.03, 1.04, 1.05])  # overlapping


def test_separated_medians_with_overlapping_intervals_do_not_differ() -> None:
    rng = np.random.default_rng(5)
    a = rng.lognormal(0, 0.6, 6).tolist()
    b = [value * 1.3 for value in rng.lognormal(0, 0.6, 6).tolist()]
    assert not differ(a, b)


def test_empty_sets_never_differ() -> None:
    assert not differ([], [1.0])


# -- warnings -------------------------------------------------------------------------------


def stats_with(median: float = 1.0, ci: float = 0.0, iqr: float = 0.0) -> dict[str, float]:
    """Stats whose 95% interval is ±ci and IQR is iqr, as shares of the median."""
    return {
        "median_s": median,
        "ci_low_s": median * (1 - ci),
        "ci_high_s": median * (1 + ci),
        "q1_s": median * (1 - iqr / 2),
        "q3_s": median * (1 + iqr / 2),
    }


def codes(warnings: list[dict[str, object]]) -> list[object]:
    return [warning["code"] for warning in warnings]


def test_shares_of_the_median() -> None:
    stats = stats_with(median=2.0, ci=0.25, iqr=0.5)
    assert half_interval_share(stats) == pytest.approx(0.25)
    assert iqr_share(stats) == pytest.approx(0.5)
    assert half_interval_share({"median_s": 0.0, "ci_low_s": 0, "ci_high_s": 0}) is None
    assert iqr_share({}) is None


@pytest.mark.parametrize(
    ("ci", "iqr", "noisy"),
    [(0.09, 0.19, False), (0.11, 0.0, True), (0.0, 0.21, True), (0.3, 0.4, True)],
)
def test_noisy_when_the_interval_or_the_iqr_is_wide(ci: float, iqr: float, noisy: bool) -> None:
    warnings = measurement_warnings(stats_with(ci=ci, iqr=iqr), None, None, samples=10)
    assert codes(warnings) == (["noisy"] if noisy else [])
    if noisy:
        assert warnings[0]["ci_half_width_share"] == pytest.approx(ci)
        assert warnings[0]["iqr_share"] == pytest.approx(iqr)


def test_a_zero_median_cannot_be_noisy() -> None:
    stats = {"median_s": 0.0, "ci_low_s": 0.0, "ci_high_s": 1.0, "q1_s": 0.0, "q3_s": 1.0}
    assert measurement_warnings(stats, None, None, samples=5) == []


@pytest.mark.parametrize(
    ("pressure", "cores", "busy"),
    [
        ({"source": "psi", "cpu_some_share": 0.15, "load1": 0.5}, 8, True),
        ({"source": "psi", "cpu_some_share": 0.05, "load1": 30.0}, 8, False),  # PSI decides
        ({"source": "loadavg", "cpu_some_share": None, "load1": 9.0}, 8, True),
        ({"source": "loadavg", "cpu_some_share": None, "load1": 7.5}, 8, False),
        ({"source": "loadavg", "cpu_some_share": None, "load1": 9.0}, None, False),
        ({"source": "loadavg", "cpu_some_share": None, "load1": 9.0, "cores": 4}, None, True),
        ({"source": "loadavg", "cpu_some_share": None, "load1": None}, 8, False),
        (None, 8, False),
    ],
)
def test_busy_from_psi_or_else_the_load_average(
    pressure: dict[str, object] | None, cores: int | None, busy: bool
) -> None:
    warnings = measurement_warnings(stats_with(), pressure, cores, samples=5)
    assert codes(warnings) == (["busy"] if busy else [])


def test_busy_warnings_carry_their_numbers() -> None:
    psi = {"source": "psi", "cpu_some_share": 0.123456, "load1": 1.0}
    assert measurement_warnings(stats_with(), psi, 8, samples=5) == [
        {"code": "busy", "source": "psi", "cpu_some_share": 0.1235}
    ]
    load = {"source": "loadavg", "cpu_some_share": None, "load1": 12.5}
    assert measurement_warnings(stats_with(), load, 8, samples=5) == [
        {"code": "busy", "source": "loadavg", "load1": 12.5, "cores": 8}
    ]


@pytest.mark.parametrize(("samples", "few"), [(1, True), (2, True), (3, False), (50, False)])
def test_few_samples_below_three(samples: int, few: bool) -> None:
    warnings = measurement_warnings(stats_with(), None, None, samples=samples)
    expected = [{"code": "few_samples", "samples": samples, "at_least": 3}] if few else []
    assert warnings == expected


def test_a_real_summary_of_two_scattered_samples_warns_twice() -> None:
    stats = summarize([1.0, 2.0])
    assert codes(measurement_warnings(stats, None, None, samples=2)) == ["noisy", "few_samples"]
