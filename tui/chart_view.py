"""One chart on screen: the plot, its legend and note below it, or why there is none.

Charts come from core and are drawn by :func:`terminal_chart.draw_chart`, the code the headless
CLI uses too, so both front ends show the same numbers. Log axes are log10 values on
linear axes with tick labels in real units, because plotext's own log scale breaks on
redraw.
"""

from __future__ import annotations

from textual.app import ComposeResult, RenderResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static
from textual_plotext import PlotextPlot

from imgbench.core.chart_types import Chart

from .plot_styles import legend_text
from .terminal_chart import draw_chart

#: A figure never drawn smaller than this many rows, even before the first layout.
MIN_PLOT_ROWS = 8


class ChartPlot(PlotextPlot):
    """A plot that draws one :class:`Chart`, again whenever its size changes.

    ``draw_chart`` lays bars, points and labels out cell by cell for one size, so the
    figure is drawn again whenever the size (or theme) it is rendered at is not the one
    it was drawn for (checked as it renders: a hidden tab's plot is resized as shown).
    """

    def __init__(self, chart: Chart, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.chart = chart
        self.drawn_for: tuple[int, int, str] | None = None

    def show(self, chart: Chart) -> None:
        """Draw another chart in place of the current one."""
        self.chart = chart
        self.redraw()

    def redraw(self) -> None:
        """Draw the chart again at the next render."""
        self.drawn_for = None
        self.refresh()

    def render(self) -> RenderResult:
        name_of = getattr(self, "_get_plotext_theme_name", None)  # textual-plotext 1.0's
        theme = str(name_of(self.app.theme)) if callable(name_of) else ""
        drawn = (self.size.width, self.size.height, theme)
        if drawn != self.drawn_for:
            self.plt.clear_figure()
            if theme:  # labels take the canvas' colour of the moment they are added
                self.plt.theme(theme)
            if not self.chart.empty:
                width, height = max(self.size.width, 20), max(self.size.height, MIN_PLOT_ROWS)
                draw_chart(self.plt, self.chart, height=height, width=width)
            self.drawn_for = drawn
        return super().render()


class ChartView(Vertical):
    """A chart with its legend and note below it (plotext would draw the legend over the
    data), or, when there is nothing to draw, why not."""

    def __init__(self, chart: Chart, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="chart-view")
        self.chart = chart

    def compose(self) -> ComposeResult:
        plot = ChartPlot(self.chart)
        empty = Static(empty_chart_text(self.chart), classes="chart-empty")
        legend = Static(legend_text(self.chart) or "", classes="chart-legend")
        note = Static(self.chart.note, classes="chart-note", markup=False)
        show_parts(self.chart, plot, empty, note)
        legend.display = not self.chart.empty and legend_text(self.chart) is not None
        yield plot
        yield empty
        yield legend
        yield note

    @property
    def plot(self) -> ChartPlot:
        return self.query_one(ChartPlot)

    def show(self, chart: Chart) -> None:
        """Show another chart (the same one on other axes) in place of this one."""
        self.chart = chart
        plot, empty = self.plot, self.query_one(".chart-empty", Static)
        note = self.query_one(".chart-note", Static)
        legend = self.query_one(".chart-legend", Static)
        empty.update(empty_chart_text(chart))
        note.update(chart.note)
        words = legend_text(chart)
        legend.update(words or "")
        legend.display = not chart.empty and words is not None
        show_parts(chart, plot, empty, note)
        if not chart.empty:
            plot.show(chart)


def empty_chart_text(chart: Chart) -> Content:
    return Content.assemble((chart.title, "bold"), "\n\n", chart.note or "no data")


def show_parts(chart: Chart, plot: ChartPlot, empty: Static, note: Static) -> None:
    """The plot and its note for a chart with data; the title and why not for one without."""
    plot.display = not chart.empty
    empty.display = chart.empty
    note.display = bool(chart.note) and not chart.empty
