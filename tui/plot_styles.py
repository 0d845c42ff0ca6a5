"""Colours and markers of a chart's series, and the legend that names them.

A store keeps its colour and marker in every chart, in the terminal and in the app;
the legend is printed under the figure, never over the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

from imgbench.core.chart_types import Chart, Series

__all__ = ["BAR_MARKERS", "REFERENCE_COLOR", "Styles", "cycle", "legend_text"]

#: Same colour and marker for a backend in every chart; other series take them in turn.
#: Colours are xterm-256 numbers of fixed RGB (plotext takes them, rich writes
#: "color(N)"): the 16 named ones are remapped by terminal and app themes (Textual's
#: blue is violet), and plotext's "orange" is its yellow; two series never share one.
BACKEND_COLORS = {"png": 33, "lmdb": 34, "hdf5": 160, "raw": 37}
# Every other series (lmdb+jpeg90, tar+png, ...) takes the next of these, in its chart's
# order, so it never shares a colour and marker with a classic store shown beside it.
SERIES_COLORS = (170, 178, 202, 99, 130, 71, 205, 67)
LINE_MARKERS = {"png": "•", "lmdb": "x", "hdf5": "+", "raw": "o"}
SERIES_LINE_MARKERS = ("*", "#", "=", "%", "@", "&", "$", "~")
#: Two runs compared: the same colour per store; A's points filled and joined by a line,
#: B's hollow and alone (fourteen lines in 80 columns would hide each other).
VARIANT_MARKERS = ("•", "o")
VARIANT_WORDS = ("A: • joined by a line", "B: o without")
#: Lines of reference (raw = 100%, the image's pixels) and the Pareto front.
REFERENCE_COLOR = 245
FRONT_COLOR = "default"
BAR_MARKERS = ("█", "▒", "░", "▓", "#", "=", "%", "+")


class Styles:
    """Each series' colour and marker: a store keeps its own in every chart; others take
    the next free ones; two compared runs share a store's colour and differ in marker."""

    def __init__(self, chart: Chart) -> None:
        self.compared = any(series.variant for series in chart.series)
        keys = [_key(series) for series in chart.series if _key(series) not in BACKEND_COLORS]
        self.others = {key: number for number, key in enumerate(dict.fromkeys(keys))}

    def color(self, series: Series) -> Any:
        key = _key(series)
        if series.color_key == "front":
            return FRONT_COLOR
        return BACKEND_COLORS.get(key) or cycle(SERIES_COLORS, self.others[key])

    def marker(self, series: Series) -> str:
        if self.compared:
            return VARIANT_MARKERS[min(series.variant, 1)]
        key = _key(series)
        return LINE_MARKERS.get(key) or str(cycle(SERIES_LINE_MARKERS, self.others[key]))


def _key(series: Series) -> str:
    return series.color_key or series.label


def legend_text(chart: Chart) -> Text | None:
    """The legend, to print under the figure (never over the data): each series' marker
    in its colour and its name; for two runs compared, each store once and which marker
    is which run. None when every series is named on the chart itself."""
    style = Styles(chart)
    entries: list[Text] = []
    seen: set[str] = set()
    for index, series in enumerate(chart.series):
        key = _key(series)
        if not series.in_legend or key in seen:
            continue
        seen.add(key)
        color = _rich_color(style.color(series))
        if chart.kind != "line":
            symbol = cycle(BAR_MARKERS, index) * 2
        elif series.style == "line" or style.compared:
            symbol = "──"
        else:
            symbol = f"─{style.marker(series)}"
        name = key if style.compared else series.label
        entries.append(Text.assemble((symbol, color), " ", name))
    if style.compared:
        entries += [Text(words, style="dim") for words in VARIANT_WORDS]
    entries += [
        Text.assemble(("──", _rich_color(REFERENCE_COLOR)), " ", reference.label)
        for reference in chart.references
    ]
    if not entries:
        return None
    return Text("   ").join(entries)


def _rich_color(color: Any) -> str:
    if isinstance(color, int):
        return f"color({color})"
    return "" if color == "default" else str(color)


def cycle(choices: Sequence[Any], index: int) -> Any:
    return choices[index % len(choices)]
