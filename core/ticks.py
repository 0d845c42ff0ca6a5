"""Axis ticks a person can read: round 1-2-5 steps on linear axes, decades (or 1-2-5
within decades) on log axes, and the choice between the two.

Pure arithmetic, no UI: :mod:`imgbench.core.charts` turns these values into tick labels
in real units ("0.5 s", "20k images/s", "3 kB").
"""

from __future__ import annotations

import math
from collections.abc import Iterable

#: Beyond this ratio of largest to smallest value, an axis opens on a log scale: on a
#: linear one, everything below a tenth of the largest value crowds the bottom rows.
LOG_RATIO = 10.0
#: The multiples of a power of ten a step may take, smallest first.
STEPS = (1, 2, 5)
#: Every 1-2-5 multiple inside a decade, for log axes that span too few decades to read.
LOG_MULTIPLES = (1, 2, 5)


def nice_step(span: float, max_ticks: int) -> float:
    """The smallest 1, 2 or 5 times a power of ten that covers ``span`` in at most
    ``max_ticks - 1`` steps."""
    intervals = max(max_ticks - 1, 1)
    if not math.isfinite(span) or span <= 0:
        return 1.0
    exponent = math.floor(math.log10(span / intervals))
    for _ in range(3):  # the step is found within this decade or the next
        for multiple in STEPS:
            step = multiple * 10.0**exponent
            if math.ceil(span / step - 1e-9) <= intervals:
                return _clean(step)
        exponent += 1
    return _clean(10.0**exponent)  # pragma: no cover - the loop always returns


def nice_ticks(low: float, high: float, max_ticks: int = 6) -> tuple[float, ...]:
    """Round ticks (a 1-2-5 step) from at or below ``low`` to at or above ``high``.

    At most ``max_ticks`` ticks (at least two), evenly spaced, each a whole multiple of
    the step, so the labels read "0, 0.5, 1, 1.5" and never "0.42, 0.84, 1.25".
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"ticks need finite limits, not {low!r} and {high!r}")
    low, high = min(low, high), max(low, high)
    max_ticks = max(max_ticks, 3 if low < 0 < high else 2)  # 0 lies between two ticks
    if high == low:  # one value: a step either side of it
        step = nice_step(abs(low) or 1.0, 2)
        below = math.floor(low / step) * step
        return _cleaned((below, below + step) if below < low else (below - step, below))
    step = nice_step(high - low, max_ticks)
    first, last = _rounded_out(low, high, step)
    for _ in range(4):  # rounding out to whole steps can add a tick: a coarser step
        if last - first + 1 <= max_ticks:
            break
        step = _next_step(step)
        first, last = _rounded_out(low, high, step)
    return _cleaned(index * step for index in range(first, last + 1))


def _rounded_out(low: float, high: float, step: float) -> tuple[int, int]:
    """The multiples of ``step`` at or below ``low`` and at or above ``high``."""
    return math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)


def log_ticks(low: float, high: float, max_ticks: int = 6) -> tuple[float, ...]:
    """Ticks for a log axis from at or below ``low`` to at or above ``high`` (both > 0).

    1-2-5 within each decade (1, 2, 5, 10, 20, ...) when that gives three to
    ``max_ticks`` ticks; round linear steps when the values lie closer together than
    that; otherwise powers of ten, every second (or third, ...) one when there are more
    decades than ``max_ticks``.
    """
    if not (low > 0 and high > 0 and math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"log ticks need positive limits, not {low!r} and {high!r}")
    low, high = min(low, high), max(low, high)
    max_ticks = max(max_ticks, 2)
    fine = _multiples_ticks(low, high)
    if 3 <= len(fine) <= max_ticks:
        return fine
    if len(fine) < 3 and high > low:  # within a factor of 2.5: linear steps read better
        linear = nice_ticks(low, high, max_ticks)
        if linear[0] > 0:
            return linear
    first = math.floor(math.log10(low) + 1e-9)
    last = math.ceil(math.log10(high) - 1e-9)
    last = max(last, first + 1)
    every = max(1, math.ceil((last - first) / (max_ticks - 1)))
    last = first + math.ceil((last - first) / every) * every
    return _cleaned(10.0**exponent for exponent in range(first, last + 1, every))


def _multiples_ticks(low: float, high: float) -> tuple[float, ...]:
    """1, 2, 5, 10, 20, ... from the last at or below ``low`` to the first at or above ``high``."""
    first = math.floor(math.log10(low) + 1e-9)
    last = math.ceil(math.log10(high) - 1e-9)
    candidates = [
        _clean(multiple * 10.0**exponent)
        for exponent in range(first, last + 1)
        for multiple in LOG_MULTIPLES
    ]
    start = max(i for i, value in enumerate(candidates) if value <= low * (1 + 1e-9))
    end = min(
        (i for i, value in enumerate(candidates) if value >= high * (1 - 1e-9)),
        default=len(candidates) - 1,
    )
    return tuple(candidates[start : end + 1])


def _next_step(step: float) -> float:
    """The 1-2-5 step after ``step``: 1 -> 2 -> 5 -> 10."""
    exponent = math.floor(math.log10(step) + 1e-9)
    multiple = round(step / 10.0**exponent)
    for candidate in STEPS:
        if candidate > multiple:
            return _clean(candidate * 10.0**exponent)
    return _clean(10.0 ** (exponent + 1))


def wants_log(values: Iterable[float], ratio: float = LOG_RATIO) -> bool:
    """Whether the positive ``values`` span more than ``ratio`` (10x): then a linear
    axis would flatten the small ones onto the zero line."""
    positive = [value for value in values if value > 0 and math.isfinite(value)]
    return bool(positive) and max(positive) > ratio * min(positive)


def _clean(value: float) -> float:
    """``value`` without the float noise of its arithmetic: 0.30000000000000004 -> 0.3."""
    if value == 0:
        return 0.0
    digits = 12 - math.floor(math.log10(abs(value)))
    return round(value, digits) + 0.0  # + 0.0 turns -0.0 into 0.0


def _cleaned(values: Iterable[float]) -> tuple[float, ...]:
    return tuple(_clean(value) for value in values)
