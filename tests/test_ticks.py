"""Axis ticks: round 1-2-5 steps that cover the data, log ticks, and when to go log."""

from __future__ import annotations

import math
import random
from itertools import pairwise

import pytest

from imgbench.core.chart_axes import tick_label, value_axis
from imgbench.core.ticks import log_ticks, nice_step, nice_ticks, wants_log


def is_one_two_five(step: float) -> bool:
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-9)
    return any(math.isclose(mantissa, m) for m in (1, 2, 5))


def steps_of(ticks: tuple[float, ...]) -> list[float]:
    return [b - a for a, b in pairwise(ticks)]


# -- linear ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        # the axes of the issue: 0.42/0.84/1.25/1.67 s, 81.4/162.8/..., 147739.6
        (0, 1.67, (0, 0.5, 1, 1.5, 2)),
        (0, 325.7, (0, 100, 200, 300, 400)),
        (0, 147_739.6, (0, 50_000, 100_000, 150_000)),
        (0, 87_941.5, (0, 20_000, 40_000, 60_000, 80_000, 100_000)),
        (0, 0.0042, (0, 0.001, 0.002, 0.003, 0.004, 0.005)),
        (0.37, 2.14, (0, 0.5, 1, 1.5, 2, 2.5)),
        (-3, 7, (-5, 0, 5, 10)),
        (0, 100, (0, 20, 40, 60, 80, 100)),
    ],
)
def test_nice_ticks_are_round_1_2_5_steps(
    low: float, high: float, expected: tuple[float, ...]
) -> None:
    assert nice_ticks(low, high, 6) == pytest.approx(expected)


def test_nice_ticks_carry_no_float_noise() -> None:
    ticks = nice_ticks(0, 0.7, 8)
    assert ticks == (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)  # exactly, not 0.30000000000000004
    assert [repr(t) for t in ticks][3] == "0.3"


@pytest.mark.parametrize("seed", range(40))
def test_nice_ticks_cover_the_data_in_at_most_max_ticks_round_steps(seed: int) -> None:
    rng = random.Random(seed)
    scale = 10 ** rng.uniform(-7, 7)
    low, high = sorted((rng.uniform(-1, 1) * scale, rng.uniform(-1, 1) * scale))
    max_ticks = rng.randint(2, 10)
    ticks = nice_ticks(low, high, max_ticks)
    # data either side of 0 takes three ticks at least (0 is always a tick between)
    assert 2 <= len(ticks) <= max(max_ticks, 3 if low < 0 < high else 2)
    assert ticks[0] <= low and ticks[-1] >= high
    steps = steps_of(ticks)
    assert all(math.isclose(step, steps[0], rel_tol=1e-6) for step in steps)
    assert is_one_two_five(steps[0])
    assert all(math.isclose(t / steps[0], round(t / steps[0]), abs_tol=1e-6) for t in ticks)


def test_nice_ticks_across_zero_keep_zero() -> None:
    assert nice_ticks(-1.1e-4, 1.4e-4, 2) == (-2e-4, 0.0, 2e-4)


def test_nice_ticks_of_one_value_still_make_an_axis() -> None:
    assert nice_ticks(5, 5, 6) == (0.0, 5.0)
    assert len(nice_ticks(0, 0, 6)) == 2


def test_nice_step_is_the_smallest_that_fits() -> None:
    assert nice_step(10, 6) == 2
    assert nice_step(10, 11) == 1
    assert nice_step(0.9, 4) == 0.5


def test_ticks_refuse_what_is_not_a_number() -> None:
    with pytest.raises(ValueError):
        nice_ticks(0, float("inf"))
    with pytest.raises(ValueError):
        log_ticks(0, 10)


# -- log ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (2_744, 84_665, (2e3, 5e3, 1e4, 2e4, 5e4, 1e5)),  # 1-2-5 within few decades
        (30, 330, (20, 50, 100, 200, 500)),
        (1.36e-6, 2.3e-3, (1e-6, 1e-5, 1e-4, 1e-3, 1e-2)),  # decades
        (1e-6, 1e3, (1e-6, 1e-3, 1, 1e3)),  # every third decade: at most 5 ticks
        (2_200, 4_100, (2_000, 2_500, 3_000, 3_500, 4_000, 4_500)),  # within 2x: linear steps
    ],
)
def test_log_ticks(low: float, high: float, expected: tuple[float, ...]) -> None:
    max_ticks = 5 if high / low > 1e8 else 6
    assert log_ticks(low, high, max_ticks) == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(40))
def test_log_ticks_cover_the_data_and_are_round(seed: int) -> None:
    rng = random.Random(seed)
    low = 10 ** rng.uniform(-9, 6)
    high = low * 10 ** rng.uniform(0, 8)
    ticks = log_ticks(low, high, 6)
    assert 2 <= len(ticks) <= 6
    assert ticks[0] <= low * (1 + 1e-9) and ticks[-1] >= high * (1 - 1e-9)
    assert all(a < b for a, b in pairwise(ticks))
    steps = steps_of(ticks)
    evenly = all(math.isclose(step, steps[0], rel_tol=1e-6) for step in steps)
    # 1-2-5 times powers of ten, or (within a factor of 2.5) round linear steps
    assert all(is_one_two_five(tick) for tick in ticks) or (evenly and is_one_two_five(steps[0]))


def test_wants_log_beyond_ten_times() -> None:
    assert wants_log([1, 11])
    assert not wants_log([1, 10])
    assert not wants_log([0, 0.5, 3])  # zeros are no values on a log axis
    assert not wants_log([])


# -- labels in units ------------------------------------------------------------------------


def test_linear_axes_label_their_ticks_in_one_unit() -> None:
    seconds = value_axis([0.4, 1.67], "seconds", log=False)
    assert seconds.labels == ("0", "0.5 s", "1 s", "1.5 s", "2 s")
    millis = value_axis([0.02, 0.31], "seconds", log=False)
    assert millis.labels == ("0", "100 ms", "200 ms", "300 ms", "400 ms")
    assert millis.ticks == (0.0, 100.0, 200.0, 300.0, 400.0) and millis.unit == "ms"
    rate = value_axis([5_000, 87_941.5], "rate", log=False)
    assert rate.labels == ("0", "20k", "40k", "60k", "80k", "100k")
    size = value_axis([2_260, 4_130], "bytes", log=False)
    assert size.labels == ("0", "1 kB", "2 kB", "3 kB", "4 kB", "5 kB")


def test_log_axes_label_each_tick_in_its_own_unit() -> None:
    axis = value_axis([8e-6, 2e-1], "seconds", log=True)
    assert axis.labels == ("1 µs", "100 µs", "10 ms", "1 s")
    assert axis.plot(1e-3) == pytest.approx(-3)
    assert tick_label(5e-4, "seconds") == "500 µs"
    assert tick_label(2_500, "bytes") == "2.5 kB"
    assert tick_label(150, "percent") == "150%"
    assert tick_label(20_000, "rate") == "20k"


def test_value_axis_chooses_log_when_values_span_more_than_10x() -> None:
    assert value_axis([1e-3, 2.0], "seconds").log
    assert not value_axis([1.0, 2.0], "seconds").log


def test_bar_axes_on_log_scale_rise_from_their_lowest_tick() -> None:
    axis = value_axis([3e-6, 4e-4], "seconds", log=True, bars=True)
    assert axis.ticks[0] == 0.0
    assert axis.plot(1e-6) == pytest.approx(0.0)
    assert axis.plot(1e-4) == pytest.approx(2.0)
