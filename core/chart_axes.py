"""Value axes in real units: round ticks that cover the values (from :mod:`.ticks`),
labelled "0.5 s", "20k", "3 kB", "100%", on a linear or a log10 scale.

Log scales are done here, not by the plotting library: plotext 5 takes the log again on
every redraw, so a log axis carries ``log10`` values and tick labels in real units.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .chart_types import MAX_TICKS, Axis, AxisKind
from .chart_words import byte_unit, format_count, plain_number, time_unit, time_unit_of
from .ticks import log_ticks, nice_ticks, wants_log


def value_axis(
    values: Iterable[float],
    kind: AxisKind,
    *,
    log: bool | None = None,
    bars: bool = False,
    max_ticks: int = MAX_TICKS,
) -> Axis:
    """Round ticks that cover ``values`` (real units), labelled in units.

    ``log`` None chooses: log when the values span more than 10x. A linear axis starts
    at 0 (times, sizes and rates are never negative, and a bar's length is its value);
    a log axis of bars rises from its lowest tick.
    """
    positive = [value for value in values if value > 0 and math.isfinite(value)]
    if not positive:
        positive = [1.0]
    if log is None:
        log = wants_log(positive)
    if log:
        ticks = log_ticks(min(positive), max(positive), max_ticks)
        shift = math.log10(ticks[0]) if bars else 0.0
        return Axis(
            ticks=tuple(math.log10(tick) - shift for tick in ticks),
            labels=tuple(tick_label(tick, kind) for tick in ticks),
            log=True,
            shift=shift,
        )
    ticks = nice_ticks(0.0, max(positive), max_ticks)
    factor, unit = _axis_unit(kind, ticks[-1])
    return Axis(
        ticks=tuple(tick / factor for tick in ticks),
        labels=tuple(tick_label(tick, kind, factor=factor, unit=unit) for tick in ticks),
        log=False,
        factor=factor,
        unit=unit,
    )


def _axis_unit(kind: AxisKind, largest: float) -> tuple[float, str]:
    if kind == "seconds":
        return time_unit(largest)
    if kind == "bytes":
        return byte_unit(largest)
    return 1.0, ""


def tick_label(value: float, kind: AxisKind, *, factor: float = 0.0, unit: str = "") -> str:
    """A round tick value in real units: "0.5 s", "200 µs", "20k", "2.5 kB", "100%".

    ``factor`` and ``unit`` put every tick of a linear axis in one unit; without them
    (log axes) each tick takes the unit that suits it.
    """
    if value == 0:
        return "0"
    if kind in ("rate", "count"):
        return format_count(value)
    if kind == "percent":
        return f"{plain_number(value)}%"
    if not factor:
        factor, unit = time_unit_of(value) if kind == "seconds" else byte_unit(value)
    return f"{plain_number(value / factor)} {unit}"
