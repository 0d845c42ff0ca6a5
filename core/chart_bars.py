"""Bar charts: one bar per category and series, each labelled with its value so a bar
too short to see still says what it is. The single-image, disk and epoch charts are
built with :func:`bar_chart`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .chart_axes import value_axis
from .chart_types import MISSING, Axis, AxisKind, Chart, Reference, Series
from .chart_words import format_bytes, format_count, format_seconds, three_digits


def bar_chart(
    *,
    key: str,
    title: str,
    x_label: str,
    y_label: str,
    categories: Sequence[str],
    values: Mapping[str, Sequence[float | None]],
    kind: AxisKind,
    log: bool | None,
    note: str,
    references: Sequence[tuple[float, str]] = (),
) -> Chart:
    """Bars of ``values`` (real units, one sequence per series, one value per category;
    None where there is none), each labelled with its value so a bar too short to see
    still says what it is. ``references`` are (value, label) lines across the chart."""
    present = [v for vs in values.values() for v in vs if v is not None and v > 0]
    axis = value_axis([*present, *(value for value, _ in references)], kind, log=log, bars=True)
    positions = tuple(float(i) for i in range(len(categories)))
    series = tuple(
        Series(
            name,
            positions,
            tuple(axis.plot(v) if v else 0.0 for v in vs),
            point_labels=tuple(_value_words(v, kind, axis) for v in vs),
        )
        for name, vs in values.items()
    )
    unit = f" ({axis.unit})" if axis.unit and not axis.log else ""
    return Chart(
        key=key,
        title=title,
        x_label=x_label,
        y_label=f"{y_label} (log scale)" if axis.log else f"{y_label}{unit}",
        kind="bar",
        series=series,
        x_ticks=positions,
        x_tick_labels=tuple(categories),
        y_ticks=axis.ticks,
        y_tick_labels=axis.labels,
        log_y=axis.log,
        note=note,
        references=tuple(Reference(axis.plot(value), label) for value, label in references),
    )


def _value_words(value: float | None, kind: AxisKind, axis: Axis | None = None) -> str:
    """A bar's value as its label says it: "347 µs", "65.3k", "2.28 kB", "120%"; on a
    linear axis with a unit (its label says "(kB)") the number alone, "2.28", which
    fits above a narrow bar."""
    if value is None:
        return MISSING
    if axis is not None and not axis.log and axis.unit and value / axis.factor >= 0.01:
        return three_digits(value / axis.factor)  # (a smaller one says its own unit)
    if kind == "seconds":
        return format_seconds(value)
    if kind == "bytes":
        return format_bytes(value)
    if kind == "percent":
        return f"{three_digits(value)}%"
    return format_count(value)
