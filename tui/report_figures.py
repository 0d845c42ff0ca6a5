"""Charts for the HTML report: a core :class:`~imgbench.core.charts.Chart` drawn by
matplotlib as an SVG to inline in the page.

matplotlib is an optional extra (``pip install "imgbench[report]"``): it is imported
when a chart is drawn, never at import time, and :func:`charts_available` says whether
it is there, so the report falls back to its tables without it. Only the object API is
used (no pyplot), so nothing opens a window or needs a display.

The Chart is drawn as it is: a log chart carries log10 values with tick labels in real
units, exactly as the terminal draws it, so both show the same axes.
"""

from __future__ import annotations

import importlib
import io
import re
import textwrap
from collections.abc import Sequence
from typing import Any

from imgbench.core.chart_types import Chart, Series

__all__ = ["INSTALL_CHARTS", "chart_svg", "charts_available"]

INSTALL_CHARTS = 'pip install "imgbench[report]"'
#: One colour and marker per classic store in every chart, as in the terminal's charts.
STORE_COLORS = {"png": "#1f77b4", "lmdb": "#2ca02c", "hdf5": "#d62728", "raw": "#17becf"}
STORE_MARKERS = {"png": "o", "lmdb": "x", "hdf5": "+", "raw": "s"}
#: The other series take these in turn (never a classic store's colour).
OTHER_COLORS = ("#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#393b79")
OTHER_MARKERS = ("^", "v", "D", "*", "P", "X", "<", ">")
#: The Pareto front's line (``color_key`` "front"), and the reference lines.
FRONT = "front"
FRONT_COLOR = "#57606a"
REFERENCE_COLOR = "#8c959f"
#: The marker of the second of two compared runs.
VARIANT_MARKER = "D"
SIZE_INCHES = (6.4, 3.8)
#: Legend entries up to this long go beside the plot; longer ones below it.
SIDE_LEGEND_CHARACTERS = 16
#: Up to this many bars in a chart, each one's value is written level above it.
UPRIGHT_BARS = 8
TITLE_CHARACTERS = 60


def charts_available() -> bool:
    """Whether matplotlib can be imported here."""
    try:
        importlib.import_module("matplotlib")
    except ImportError:
        return False
    return True


def chart_svg(chart: Chart) -> str:
    """The chart as an ``<svg>`` element (no XML prologue), its text kept as text.

    Raises ImportError without matplotlib. An empty chart is the caller's to skip.
    """
    import matplotlib
    from matplotlib.figure import Figure

    salt = _prefix(chart)  # the ids of what the SVG defines are hashed with it
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt, "font.size": 9}):
        figure = Figure(figsize=SIZE_INCHES, layout="constrained")
        axes = figure.add_subplot()
        _draw(axes, chart)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return _own_ids(svg[svg.index("<svg") :].strip(), _prefix(chart))


def _prefix(chart: Chart) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{chart.key}{'-log' if chart.log_y else ''}-")


def _own_ids(svg: str, prefix: str) -> str:
    """Every id of the SVG, and every reference to one, prefixed: many figures share a
    page, and matplotlib names each figure's parts alike ("axes_1", "line2d_1")."""
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m[1]}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m[1]})", svg)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m[1]}"', svg)


def _draw(axes: Any, chart: Chart) -> None:
    axes.set_title("\n".join(textwrap.wrap(_literal(chart.title), TITLE_CHARACTERS)))
    axes.set_xlabel(_literal(chart.x_label))
    axes.set_ylabel(_literal(chart.y_label))
    styles = _Styles(chart)
    for reference in chart.references:
        axes.axhline(reference.y, color=REFERENCE_COLOR, linestyle="--", linewidth=1)
        axes.annotate(
            _literal(reference.label),
            (1.0, reference.y),
            xycoords=("axes fraction", "data"),
            xytext=(-2, 3),
            textcoords="offset points",
            ha="right",
            color=REFERENCE_COLOR,
            fontsize="small",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
            zorder=5,
        )
    if chart.kind == "line":
        _lines(axes, chart, styles)
    else:
        _bars(axes, chart, styles)
    if chart.y_ticks:  # the lowest and highest tick are the axis' limits
        axes.set_yticks(list(chart.y_ticks), [_literal(label) for label in chart.y_tick_labels])
        axes.set_ylim(min(chart.y_ticks), max(chart.y_ticks))
    elif not chart.log_y:
        axes.set_ylim(bottom=0)  # times, sizes and rates are never negative
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    _, labels = axes.get_legend_handles_labels()
    if len(labels) > 1 or (labels and chart.kind == "line"):
        if max(len(label) for label in labels) <= SIDE_LEGEND_CHARACTERS:
            axes.legend(
                loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small"
            )
        else:  # long names would squeeze the plot: below it, across
            axes.legend(
                loc="upper center",
                bbox_to_anchor=(0.5, -0.2),
                frameon=False,
                fontsize="small",
                ncol=2,
            )


def _lines(axes: Any, chart: Chart, styles: _Styles) -> None:
    for series in chart.series:
        color = styles.color(series)
        line = "none" if series.style == "points" else (":" if series.variant else "-")
        axes.plot(
            list(series.xs),
            list(series.ys),
            label=_literal(series.label) if series.in_legend else None,
            color=color,
            linestyle=line,
            marker=None if series.style == "line" else styles.marker(series),
            linewidth=1.5,
        )
        for x, y, words in zip(series.xs, series.ys, series.point_labels, strict=False):
            if words:
                axes.annotate(
                    _literal(words),
                    (x, y),
                    xytext=(5, 4),
                    textcoords="offset points",
                    fontsize="small",
                    color=color,
                )
    if chart.x_ticks:
        axes.set_xticks(list(chart.x_ticks), [_literal(label) for label in chart.x_tick_labels])
        axes.set_xlim(*_padded(chart.x_ticks))


def _bars(axes: Any, chart: Chart, styles: _Styles) -> None:
    categories = [_literal(name) for name in chart.categories]
    positions = list(range(len(categories)))
    count = len(chart.series)
    if count == 1:  # one bar per store: each in its store's colour
        series = chart.series[0]
        colors = [styles.color(Series(name, (), (), color_key=name)) for name in chart.categories]
        axes.bar(positions, list(series.ys), color=colors, width=0.6)
        _bar_labels(axes, positions, series, upright=True)
    else:  # a group of bars per category, a colour per series
        width = 0.8 / count
        for number, series in enumerate(chart.series):
            offset = (number - (count - 1) / 2) * width
            where = [position + offset for position in positions]
            axes.bar(
                where,
                list(series.ys),
                width=width,
                label=_literal(series.label),
                color=OTHER_COLORS[number % len(OTHER_COLORS)],
            )
            _bar_labels(axes, where, series, upright=count * len(categories) <= UPRIGHT_BARS)
    axes.set_xticks(positions, categories)


def _bar_labels(axes: Any, positions: Sequence[float], series: Series, *, upright: bool) -> None:
    """Each bar's value above it, as the chart words it; turned a quarter when the bars
    are too narrow for the words to stand side by side."""
    for x, y, words in zip(positions, series.ys, series.point_labels, strict=False):
        if words:
            axes.annotate(
                _literal(words),
                (x, y),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                rotation=0 if upright else 90,
                fontsize=6.5,
            )


class _Styles:
    """Each series' colour and marker: a store keeps its own in every chart (``color_key``
    names the store a series stands for); others take the next free ones; the second of
    two compared runs keeps its store's colour and takes another marker."""

    def __init__(self, chart: Chart) -> None:
        keys = [_key(one) for one in chart.series if _key(one) not in STORE_COLORS]
        self.others = {key: number for number, key in enumerate(dict.fromkeys(keys))}

    def color(self, series: Series) -> str:
        key = _key(series)
        if key == FRONT:
            return FRONT_COLOR
        return STORE_COLORS.get(key) or OTHER_COLORS[self.others.get(key, 0) % len(OTHER_COLORS)]

    def marker(self, series: Series) -> str:
        if series.variant:
            return VARIANT_MARKER
        key = _key(series)
        found = STORE_MARKERS.get(key)
        return found or OTHER_MARKERS[self.others.get(key, 0) % len(OTHER_MARKERS)]


def _key(series: Series) -> str:
    return series.color_key or series.label


def _padded(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 if high > low else 0.5
    return low - pad, high + pad


def _literal(text: str) -> str:
    """Text as it is: a ``$`` would start matplotlib's maths mode."""
    return text.replace("$", r"\$")
