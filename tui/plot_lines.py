"""A line chart drawn cell by cell: lines in box-drawing characters, points dodged so
two never share a cell, and labels where nothing else is.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from imgbench.core.chart_types import Chart, Series

from .plot_frame import Cells, Frame, reference_labels, write_words
from .plot_styles import REFERENCE_COLOR, Styles

__all__ = ["draw_lines", "line_cells", "line_frame"]


def line_frame(chart: Chart, cols: int, rows: int) -> Frame:
    """x limits two cells beyond the outer ticks (no point on the frame); y limits at
    the outer ticks, which cover every value."""
    xs = [*chart.x_ticks, *(x for s in chart.series for x in s.xs)]
    ys = [*chart.y_ticks, *(y for s in chart.series for y in s.ys)]
    ys += [reference.y for reference in chart.references]
    x_low, x_high = min(xs), max(xs)
    if x_high == x_low:
        x_low, x_high = x_low - 0.5, x_high + 0.5
    pad = 2 * (x_high - x_low) / max(cols - 5, 1)
    y_low, y_high = min(ys), max(ys)
    if y_high == y_low:
        y_low, y_high = y_low - 0.5, y_high + 0.5
    return Frame(cols, rows, x_low - pad, x_high + pad, y_low, y_high)


#: Where a point goes when its cell is taken: beside it on its row first (its value
#: stays exact; x is a cutoff), then a row above or below.
DODGES = (
    *((side * step, 0) for step in (1, 2, 3) for side in (1, -1)),
    *((d_col, d_row) for d_row in (1, -1) for d_col in (0, 1, -1)),
)


def draw_lines(figure: Any, chart: Chart, frame: Frame) -> None:
    """References, then every line (none for the second of two runs compared), then
    every point on top (dodged a cell when two land on one), then the labels where
    nothing else is."""
    style = Styles(chart)
    for reference in chart.references:
        figure.hline(reference.y, color=REFERENCE_COLOR)
    for series in chart.series:
        if series.style == "points" or series.variant or len(series.xs) < 2:
            continue
        points = [(frame.col(x), frame.row(y)) for x, y in zip(series.xs, series.ys, strict=False)]
        bare = series.style == "line"  # no markers on its points: the line covers them
        drawn = [c for c in line_cells(points, ends=bare) if frame.inside(c[0], c[1])]
        for char in dict.fromkeys(char for _, _, char in drawn):
            mine = [(col, row) for col, row, one in drawn if one == char]
            figure.scatter(
                [frame.x_of(c) for c, _ in mine],
                [frame.y_of(r) for _, r in mine],
                marker=char,
                color=style.color(series),
            )
    cells = Cells(frame)
    placed: list[tuple[Series, list[tuple[int, int]]]] = []
    for series in chart.series:
        points = [(frame.col(x), frame.row(y)) for x, y in zip(series.xs, series.ys, strict=False)]
        if series.style != "line":
            points = [_dodge(cells, col, row) for col, row in points]
            figure.scatter(
                [frame.x_of(c) for c, _ in points],
                [frame.y_of(r) for _, r in points],
                marker=style.marker(series),
                color=style.color(series),
            )
        placed.append((series, points))
    for series, points in placed:
        for (col, row), words in zip(points, series.point_labels, strict=False):
            if words:
                _point_label(figure, frame, cells, words, col, row, style.color(series), series)
    reference_labels(figure, chart, frame, cells)


#: Box-drawing characters a line is drawn with (escaped: they look like / and \\).
FLAT, RISING, FALLING, STEEP = "\u2500", "\u2571", "\u2572", "\u2502"


def line_cells(
    points: Sequence[tuple[int, int]], *, ends: bool = False
) -> list[tuple[int, int, str]]:
    """The cells of a line through ``points`` (column, row; row 0 at the bottom), each
    with the character that draws it there: flat, a rising or falling diagonal where
    the line steps a row, and vertical strokes where it climbs more than a row a column.

    The points' own cells are left to their markers, unless ``ends`` (a line without
    markers). Box-drawing characters, not plotext's braille: fonts without braille draw
    it narrower or wider than a cell, and the line then parts from its points.
    """
    cells: dict[tuple[int, int], str] = {}
    for (c0, r0), (c1, r1) in pairwise(points):
        if c1 < c0:
            (c0, r0), (c1, r1) = (c1, r1), (c0, r0)
        low_end, high_end = min(r0, r1), max(r0, r1)
        previous = r0
        for col in range(c0 + 1, c1 + 1):
            row = round(r0 + (r1 - r0) * (col - c0) / (c1 - c0))
            if row == previous:
                char = FLAT
            else:
                char = RISING if row > previous else FALLING
                step = 1 if row > previous else -1
                for between in range(previous + step, row, step):  # a climb: strokes
                    if low_end < between < high_end:
                        cells.setdefault((col, between), STEEP)
            if col < c1:
                cells.setdefault((col, row), char)
            previous = row
        if c1 == c0:
            for row in range(low_end + 1, high_end):
                cells.setdefault((c0, row), STEEP)
    if ends:
        for index, (col, row) in enumerate(points):
            after = points[index + 1][1] if index + 1 < len(points) else row
            before = points[index - 1][1] if index else row
            rise = (after - row) or (row - before)
            cells[(col, row)] = FLAT if rise == 0 else RISING if rise > 0 else FALLING
        return [(col, row, char) for (col, row), char in cells.items()]
    marked = set(points)
    return [(col, row, char) for (col, row), char in cells.items() if (col, row) not in marked]


def _dodge(cells: Cells, col: int, row: int) -> tuple[int, int]:
    """The point's own cell, or the nearest free one beside it: never two in one cell."""
    for d_col, d_row in ((0, 0), *DODGES):
        if cells.free(col + d_col, row + d_row):
            cells.take(col + d_col, row + d_row)
            return col + d_col, row + d_row
    return col, row


def _point_label(
    figure: Any,
    frame: Frame,
    cells: Cells,
    words: str,
    col: int,
    row: int,
    color: Any,
    series: Series,
) -> None:
    """A name or value beside its point: right, left, above or below, wherever the cells
    are free (a line's peak label goes above it first)."""
    length = len(words)
    right, left, centred = col + 2, col - 1 - length, col - length // 2
    spots = [(right, row), (left, row), (centred, row + 1), (centred, row - 1)]
    if series.style == "line":
        spots = [(centred, row + 1), (right, row), (left, row), (centred, row + 2)]
    spots += [(right, row + 1), (left, row + 1), (right, row - 1), (left, row - 1)]
    for start, line in spots:
        if cells.free_for_label(start, line, length):
            cells.take_label(start, line, length)
            write_words(figure, words, frame.x_of(start), frame.y_of(line), color)
            return
