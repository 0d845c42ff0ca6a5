"""A bar chart drawn cell by cell: a bar fills the whole rows its value is worth and no
more, and its value is written above it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from imgbench.core.chart_types import Chart

from .plot_frame import Cells, Frame, reference_labels, write_words
from .plot_styles import BAR_MARKERS, REFERENCE_COLOR, Styles, cycle

__all__ = ["LABEL_ROWS", "Bar", "bar_frame", "bar_layout", "draw_bars"]


#: Rows kept free above the tallest bar, for the labels of the values.
LABEL_ROWS = 2


@dataclass(frozen=True)
class Bar:
    """One bar as drawn: its series, category, columns, rows filled and its label."""

    series: int
    category: int
    first_col: int
    width: int
    rows: int
    label: str


def bar_frame(chart: Chart, cols: int, rows: int) -> Frame:
    """Categories at 0, 1, 2, ... each in a slot of equal width; the y axis from the
    lowest tick (the bars' base) to at least the highest tick, with room above the
    tallest bar for its label. Each row holds an equal share of the axis, its centre
    where plotext puts the row, so a bar's rows are its value rounded to whole rows."""
    base = chart.y_ticks[0] if chart.y_ticks else 0.0
    values = [y for s in chart.series for y in s.ys]
    values += [reference.y for reference in chart.references]
    tallest = max([base, *values])
    top = max(chart.y_ticks[-1] if chart.y_ticks else tallest, base + 1e-9)
    if tallest > base and rows > LABEL_ROWS + 1:
        top = max(top, base + (tallest - base) * rows / (rows - LABEL_ROWS))
    step = (top - base) / rows
    count = max(len(chart.categories), 1)
    return Frame(cols, rows, -0.5, count - 0.5, base + step / 2, top - step / 2)


def bar_layout(chart: Chart, frame: Frame) -> list[Bar]:
    """Every bar's cells: a bar fills the whole rows its value is worth and no more, so
    none when that is less than a row (its label then says what it is)."""
    count, groups = len(chart.series), max(len(chart.categories), 1)
    slot = frame.cols / groups
    width = max(1, min(8, (math.floor(slot) - 2) // max(count, 1)))
    step = (frame.y_high - frame.y_low) / max(frame.rows - 1, 1)
    base = frame.y_low - step / 2
    bars = []
    for index, series in enumerate(chart.series):
        for category, value in enumerate(series.ys):
            centre = frame.col(float(category))
            first = centre - (count * width) // 2 + index * width
            # whole rows the value fills, never more: a bar is never drawn taller than
            # its value (a hair of tolerance for rows a float misses by 1e-9)
            filled = math.floor((value - base) / step + 1e-6) if value > base else 0
            label = series.point_labels[category] if category < len(series.point_labels) else ""
            bars.append(Bar(index, category, first, width, min(filled, frame.rows), label))
    return bars


def draw_bars(figure: Any, chart: Chart, frame: Frame) -> None:
    """References, then each series' bars cell by cell (no rounding up: a value worth
    less than a row draws nothing), then each bar's value above it."""
    style = Styles(chart)
    for reference in chart.references:
        figure.hline(reference.y, color=REFERENCE_COLOR)
    bars = bar_layout(chart, frame)
    cells = Cells(frame)
    for index, series in enumerate(chart.series):
        mine = [bar for bar in bars if bar.series == index]
        filled = [
            (col, row)
            for bar in mine
            for col in range(bar.first_col, bar.first_col + bar.width)
            for row in range(bar.rows)
        ]
        for col, row in filled:
            cells.take(col, row)
        if filled:
            figure.scatter(
                [frame.x_of(c) for c, _ in filled],
                [frame.y_of(r) for _, r in filled],
                marker=cycle(BAR_MARKERS, index),
                color=style.color(series),
            )
    for bar in sorted(bars, key=lambda bar: bar.rows):
        if bar.label:
            _bar_label(figure, frame, cells, bar, style.color(chart.series[bar.series]))
    reference_labels(figure, chart, frame, cells)


def _bar_label(figure: Any, frame: Frame, cells: Cells, bar: Bar, color: Any) -> None:
    """The value above its bar, as low as it fits without covering another bar or label:
    centred, else shifted a cell or two, else without its space ("347µs")."""
    centre = bar.first_col + bar.width // 2
    for row in range(bar.rows, frame.rows):
        for words in dict.fromkeys((bar.label, bar.label.replace(" ", ""))):
            length = len(words)
            centred = centre - (length - 1) // 2
            for shift in (0, 1, -1, 2, -2):
                start = min(max(centred + shift, 0), frame.cols - length)
                if cells.free_for_label(start, row, length):
                    cells.take_label(start, row, length)
                    write_words(figure, words, frame.x_of(start), frame.y_of(row), color)
                    return
