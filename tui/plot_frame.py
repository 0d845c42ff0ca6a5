"""Where a chart's data lands on a plotext canvas, cell by cell, and which cells are
taken: points, bars and labels are laid out against it so none hides another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from imgbench.core.chart_types import Chart

from .plot_styles import REFERENCE_COLOR

__all__ = ["FRAME_ROWS", "Cells", "Frame", "canvas_size", "reference_labels", "write_words"]

#: Rows of a plotext figure that are not plot area: title, frame, tick labels, axis labels.
FRAME_ROWS = 5


@dataclass(frozen=True)
class Frame:
    """Where plotext puts the data: the canvas' size in cells and the axis limits.

    plotext maps a value to the cell ``floor(0.5 + (cells - 1) * (v - low) / (high -
    low))``, so with the limits set here every point, bar and label lands in a known
    cell: that is what keeps bars honest and lets labels and points avoid each other.
    """

    cols: int
    rows: int
    x_low: float
    x_high: float
    y_low: float
    y_high: float

    def col(self, x: float) -> int:
        return _cell(x, self.x_low, self.x_high, self.cols)

    def row(self, y: float) -> int:
        return _cell(y, self.y_low, self.y_high, self.rows)

    def x_of(self, col: float) -> float:
        return self.x_low + col * (self.x_high - self.x_low) / max(self.cols - 1, 1)

    def y_of(self, row: float) -> float:
        return self.y_low + row * (self.y_high - self.y_low) / max(self.rows - 1, 1)

    def inside(self, col: int, row: int) -> bool:
        return 0 <= col < self.cols and 0 <= row < self.rows


def _cell(value: float, low: float, high: float, cells: int) -> int:
    span = high - low or 1.0
    return math.floor(round(0.5 + (cells - 1) * (value - low) / span, 8))


def canvas_size(chart: Chart, *, width: int, height: int) -> tuple[int, int]:
    """Columns and rows of the data area of a ``width`` x ``height`` figure: plotext takes
    the widest y tick label and the frame off the width, and the title, the frame, the
    x tick labels and the axis labels' row off the height."""
    label_width = max((len(label) for label in chart.y_tick_labels), default=0)
    return max(width - 2 - label_width, 4), max(height - FRAME_ROWS, 3)


class Cells:
    """Which cells of the canvas are taken, by points, bars and labels; a label also
    keeps a cell of space from the next label on its row, so two never run together."""

    def __init__(self, frame: Frame) -> None:
        self.frame = frame
        self.taken: set[tuple[int, int]] = set()
        self.labels: set[tuple[int, int]] = set()

    def free(self, col: int, row: int, length: int = 1) -> bool:
        return all(
            self.frame.inside(c, row) and (c, row) not in self.taken
            for c in range(col, col + length)
        )

    def free_for_label(self, col: int, row: int, length: int) -> bool:
        return (
            self.free(col, row, length)
            and (col - 1, row) not in self.labels
            and (
                col + length,
                row,
            )
            not in self.labels
        )

    def take(self, col: int, row: int, length: int = 1) -> None:
        self.taken.update((c, row) for c in range(col, col + length))

    def take_label(self, col: int, row: int, length: int) -> None:
        self.take(col, row, length)
        self.labels.update((c, row) for c in range(col, col + length))


def reference_labels(figure: Any, chart: Chart, frame: Frame, cells: Cells) -> None:
    """Each reference line's words at its right end (or left, or just above)."""
    for reference in chart.references:
        row, length = frame.row(reference.y), len(reference.label)
        spots = [
            (frame.cols - length, row),
            (0, row),
            (frame.cols - length, row + 1),
            (0, row + 1),
            (frame.cols - length, row - 1),
        ]
        for start, line in spots:
            if cells.free_for_label(start, line, length):
                cells.take_label(start, line, length)
                write_words(
                    figure, reference.label, frame.x_of(start), frame.y_of(line), REFERENCE_COLOR
                )
                break


def write_words(figure: Any, words: str, x: float, y: float, color: Any) -> None:
    """Words at a cell, starting there, on the canvas' colour as the figure's theme has
    it when they are added (so a theme is set before drawing, not after)."""
    figure.text(words, x, y, color=color, alignment="left")
