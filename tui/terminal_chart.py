"""A core :class:`Chart` drawn with plotext: the calls both front ends make on a figure,
and the figure as text for a plain terminal or a file.

Every number comes from :mod:`imgbench.core.charts`; this module only sets the figure
up and hands the data to :mod:`.plot_lines` or :mod:`.plot_bars`.
"""

from __future__ import annotations

import math
from typing import Any

import plotext as plt
from rich.console import Console
from rich.text import Text

from imgbench.core.chart_types import Chart

from .plot_bars import bar_frame, draw_bars
from .plot_frame import canvas_size
from .plot_lines import draw_lines, line_frame
from .plot_styles import legend_text

__all__ = ["CHART_HEIGHT", "chart_canvas", "draw_chart", "render_chart"]

CHART_HEIGHT = 20


def render_chart(chart: Chart, console: Console, *, width: int = 100) -> None:
    """One chart as text with its legend and note below it, or its title and why there
    is nothing to draw."""
    if chart.empty:
        console.print(Text(chart.title, style="bold"))
        console.print(Text(chart.note or "no data", style="dim italic"), width=width)
        return
    canvas = Text.from_ansi(chart_canvas(chart, width=width, height=CHART_HEIGHT))
    canvas.no_wrap = True
    canvas.overflow = "crop"
    console.print(canvas)
    legend = legend_text(chart)
    if legend is not None:
        console.print(legend, width=width)
    if chart.note:
        console.print(Text(chart.note, style="dim italic"), width=width)


def chart_canvas(chart: Chart, *, width: int, height: int) -> str:
    """The chart drawn by plotext into a string (with ANSI colours), never shown."""
    plt.clear_figure()
    plt.limitsize(False, False)  # plotext would shrink the figure to the terminal it sees
    plt.plotsize(width, height)
    plt.theme("clear")
    draw_chart(plt, chart, height=height, width=width)
    canvas: str = plt.build()
    plt.clear_figure()
    return canvas


def draw_chart(figure: Any, chart: Chart, *, height: int, width: int = 100) -> None:
    """Issue the plotext calls for ``chart`` on ``figure``: the plotext module, or the
    ``plt`` of a textual-plotext widget (same API), so both front ends draw alike.

    ``width`` and ``height`` are the figure's size in cells: the layout of bars, points
    and labels is worked out cell by cell. The legend is not drawn (plotext puts it over
    the data): :func:`legend_text` gives it, to print beside the figure.
    """
    figure.title(chart.title)
    figure.xlabel(chart.x_label)
    figure.ylabel(chart.y_label)
    cols, rows = canvas_size(chart, width=width, height=height)
    if chart.kind == "line":
        frame = line_frame(chart, cols, rows)
        draw_lines(figure, chart, frame)
    else:
        frame = bar_frame(chart, cols, rows)
        draw_bars(figure, chart, frame)
    figure.xlim(frame.x_low, frame.x_high)
    figure.ylim(frame.y_low, frame.y_high)
    if chart.x_ticks:
        labels = list(chart.x_tick_labels)
        if chart.kind != "line":  # a name wider than its bars' slot would hide its neighbour
            room = max(3, math.floor(cols / max(len(labels), 1)) - 1)
            labels = [label if len(label) <= room else f"{label[: room - 1]}…" for label in labels]
        figure.xticks(list(chart.x_ticks), labels)
    if chart.y_ticks:
        figure.yticks(list(chart.y_ticks), list(chart.y_tick_labels))
