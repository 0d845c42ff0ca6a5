"""The results screen: every chart in a tab, every number in a table, save / open / compare.

Charts come from :mod:`imgbench.core.charts` and are drawn by :func:`report.draw_chart`,
the same code the headless CLI uses, so both front ends show the same numbers. Time
charts switch between linear and log axes; log axes are log10 values on linear axes
with tick labels in real units, because plotext's own log scale breaks on redraw.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rich.console import JustifyMethod
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane, Tabs
from textual_plotext import PlotextPlot

from imgbench.core.charts import (
    TABLE_COLUMNS,
    TABLE_NUMERIC_COLUMNS,
    Chart,
    Document,
    Series,
    all_charts,
    backend_rank,
    backends_in,
    experiment_label,
    experiment_rank,
    format_count,
    format_ratio,
    format_seconds,
)
from imgbench.core.errors import ImgbenchError
from imgbench.core.results import Comparison, ComparisonRow, compare_documents, load_document
from imgbench.core.results import save_document as write_document

from .commands import ScreenCommands
from .dialogs import ConfirmDialog, PathDialog
from .epoch_summary import epoch_table
from .report import (
    COMPACT_COLUMNS,
    WARNING_MARK,
    WIDE_TABLE,
    TableLine,
    created_text,
    describe_dataset,
    describe_environment,
    describe_settings,
    draw_chart,
    legend_text,
    short_value,
    styled_cell,
    table_lines,
    verdict_style,
    verdict_words,
)
from .stores_table import WIDE_STORES, stores_table
from .verdict_view import PRIORITY_WORDS, VerdictView
from .warnings_text import warning_text

if TYPE_CHECKING:
    from .app import ImgbenchApp

__all__ = ["ChartPlot", "ChartView", "ResultsScreen", "merged_document"]

#: Short tab titles, so every tab fits on one line of an 80-column terminal.
TAB_TITLES = {
    "time-store_many": "Store",
    "time-read_many": "Read",
    "single-image": "Single",
    "time-read_random": "Random",
    "disk-usage": "Disk",
    "vs-raw-store_many": "Store%",
    "vs-raw-read_many": "Read%",
    "epoch-workers": "Workers",
    "epoch-1-vs-2": "Epochs",
    "first-batch": "1st batch",
    "read-latency": "Latency",
    "pareto": "Pareto",
}
VERDICT_TAB = "tab-verdict"
TABLE_TAB = "tab-table"
STORES_TAB = "tab-stores"
EPOCH_TAB = "tab-epoch"
COMPARE_TAB = "tab-compare"
RUN_TAB = "tab-run"
#: Number keys in the order of the tabs they select: 1 is the first tab, 0 the tenth.
NUMBER_KEYS = "1234567890"
STATUS_STYLES = {
    "complete": "bold $success",
    "cancelled": "bold $warning",
    "interrupted": "bold $warning",
    "failed": "bold $error",
}
#: Below this many columns the footer drops its padding, so every key fits in 80.
WIDE_FOOTER = 100
#: A figure never drawn smaller than this many rows, even before the first layout.
MIN_PLOT_ROWS = 8
#: Lines for notes and errors in the header at most; the Run tab lists them all.
HEADER_MESSAGES = 2
SIDES = ("A", "B")


# -- the charts ---------------------------------------------------------------------------


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


# -- two documents on one chart -----------------------------------------------------------


def merged_document(doc_a: Document, doc_b: Document) -> dict[str, Any]:
    """One document holding both runs' measurements, backends renamed "png (A)", "png (B)".

    Charts built from it put both runs on the same axes and in the same units, because
    the units are chosen from all values at once.
    """
    measurements: list[Any] = []
    backends: list[str] = []
    for side, doc in zip(SIDES, (doc_a, doc_b), strict=True):
        rows = doc.get("measurements")
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, Mapping) and isinstance(row.get("backend"), str):
                measurements.append({**row, "backend": side_label(row["backend"], side)})
        backends += [side_label(backend, side) for backend in backends_in(doc)]
    settings = doc_a.get("settings")
    settings = dict(settings) if isinstance(settings, Mapping) else {}
    order = sorted(backends, key=lambda label: (backend_rank(label.rsplit(" (", 1)[0]), label))
    settings["backends"] = order
    return {"settings": settings, "dataset": doc_a.get("dataset"), "measurements": measurements}


def side_label(backend: str, side: str) -> str:
    return f"{backend} ({side})"


#: The charts drawn with both runs on one set of axes: lines against n or workers, a
#: store's two runs in its one colour, A's points on a line and B's hollow ones alone.
BOTH_RUNS = ("time-store_many", "time-read_many", "time-read_random", "epoch-workers")


def compared_charts(doc_a: Document, doc_b: Document, *, log: bool | None) -> list[Chart]:
    """A's charts, with the time-against-n and workers charts showing both runs.

    The other charts (bars per backend, the latency lines, the trade-off's named
    points) would need twice the categories or names, which do not fit 80 columns; they
    show A and say so, and the Compare tab has every ratio.
    """
    merged = {chart.key: chart for chart in all_charts(merged_document(doc_a, doc_b), log=log)}
    charts = []
    for chart in all_charts(doc_a, log=log):
        both = merged.get(chart.key)
        if chart.key in BOTH_RUNS and both is not None and not both.empty:
            charts.append(_as_two_runs(both))
        elif not chart.empty:
            note = "; ".join(part for part in (chart.note, "this chart shows A only") if part)
            charts.append(dataclasses.replace(chart, note=note))
        else:
            charts.append(chart)
    return charts


def _as_two_runs(chart: Chart) -> Chart:
    """A's lines first, then B's, each in backend order; a store's two in the store's
    colour, B's (variant 1) as hollow markers without a line."""

    def order(series: Series) -> tuple[str, tuple[int, str]]:
        backend, _, side = series.label.rpartition(" (")
        return side, backend_rank(backend)

    def marked(series: Series) -> Series:
        backend, _, side = series.label.rpartition(" (")
        variant = SIDES.index(side.rstrip(")")) if side.rstrip(")") in SIDES else 0
        return dataclasses.replace(series, color_key=backend or series.label, variant=variant)

    series = tuple(marked(one) for one in sorted(chart.series, key=order))
    return dataclasses.replace(chart, series=series)


def charts_for(document: Document, other: Document | None, *, log: bool | None) -> list[Chart]:
    charts: list[Chart] = (
        all_charts(document, log=log)
        if other is None
        else compared_charts(document, other, log=log)
    )
    return charts


class RowWarnings(Static):
    """The warnings of the measurement under the table's cursor (hidden when none has any)."""

    DEFAULT_CSS = """
    RowWarnings {
        height: auto;
        max-height: 6;
        padding: 0 1;
        border-top: solid $warning;
    }
    """


# -- words and cells ------------------------------------------------------------------------


def status_content(status: Any) -> Content:
    text = str(status) if status else "unknown status"
    return Content.assemble((text, STATUS_STYLES.get(text, "bold")))


def dataset_text(document: Document) -> str:
    """Source, count and image shape: "synthetic · 1,000 images of 32x32x3"."""
    dataset = _mapping(document.get("dataset"))
    if not dataset:
        return "data set not recorded"
    count, shape = dataset.get("count"), dataset.get("shape")
    size = f"{count:,} images" if isinstance(count, int) else "images"
    if isinstance(shape, list) and shape:
        size += " of " + "x".join(str(side) for side in shape)
    return f"{dataset.get('source', 'unknown source')} · {size}"


def file_text(path: Path | None) -> str:
    """The file name first, then its folder, so a long folder never hides the name."""
    if path is None:
        return "not saved (s saves it)"
    return f"{path.name} in {path.parent}"


def messages_of(document: Document) -> list[tuple[str, str]]:
    """("error" or "note", text) for every error and note; errors first, they matter more."""
    found = []
    errors = document.get("errors")
    for error in errors if isinstance(errors, list) else []:
        error = _mapping(error)
        found.append(("error", f"{error.get('task', 'run')}: {error.get('message', '')}"))
    notes = document.get("notes")
    found += [("note", str(note)) for note in notes] if isinstance(notes, list) else []
    return found


def message_content(kind: str, text: str) -> Content:
    style = "$error" if kind == "error" else "$warning"
    return Content.assemble((f"{kind}: ", "dim"), (text, style))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def measurement_cell(value: str, column: str, line: TableLine) -> Text:
    cell = styled_cell(value, column, line)
    cell.justify = "right" if column in TABLE_NUMERIC_COLUMNS else "left"
    return cell


def comparison_cells(row: ComparisonRow) -> tuple[Text, ...]:
    style = verdict_style(row)
    return (
        Text(row.backend),
        Text(experiment_label(row.experiment)),
        Text(format_count(row.n), justify="right"),  # "100k": the verdict fits 80 columns
        Text(format_seconds(row.median_a), justify="right"),
        Text(format_seconds(row.median_b), justify="right"),
        Text(format_ratio(row.ratio), style=style, justify="right"),
        Text(verdict_words(row), style=style),
    )


def row_warnings_content(lines: Sequence[TableLine], index: int) -> Content:
    """Below the table: the warnings of the measurement under the cursor, in words, or
    where to find them. Works without tooltips (none over SSH) and at 80x24."""
    if 0 <= index < len(lines) and lines[index].warnings:
        line = lines[index]
        words = [
            Content.assemble((f"{line.label}: ", "bold"), warning_text(w)) for w in line.warnings
        ]
        return Content("\n").join(words)
    marked = sum(1 for line in lines if line.warnings)
    many = "measurement carries" if marked == 1 else "measurements carry"
    return Content.assemble(
        (f"{marked} {many} warnings, marked {WARNING_MARK} after the backend", "$warning"),
        ": move the cursor to one to read why and what to do",
    )


def _comparison_order(row: ComparisonRow) -> tuple[tuple[int, str], tuple[int, str], int]:
    return backend_rank(row.backend), experiment_rank(row.experiment), row.n


def differences_content(what: str, differences: Sequence[tuple[str, Any, Any]]) -> Content:
    if not differences:
        return Content.assemble((f"same {what}", "$success"))
    shown = "; ".join(f"{key} {short_value(a)} → {short_value(b)}" for key, a, b in differences)
    return Content.assemble((f"different {what}: ", "$warning"), shown)


def comparison_summary(comparison: Comparison, names: tuple[str, str]) -> list[Content]:
    """Which files, and whether the two runs measured the same thing the same way."""
    data = (
        Content.assemble(("same data set (sha256)", "$success"))
        if comparison.same_data
        else Content.assemble(("different data sets: the times measure different images", "$error"))
    )
    lines = [
        Content.assemble(("A ", "bold"), names[0], ("  B ", "bold"), names[1]),
        Content.assemble(
            data, " · ", differences_content("settings", comparison.settings_differences)
        ),
        Content.assemble(
            differences_content("machine", comparison.environment_differences),
            ("  ·  B/A < 1: B faster; faster/slower only beyond noise", "dim"),
        ),
    ]
    only = [
        f"only in {side}: {len(keys)} measurements"
        for side, keys in zip(SIDES, (comparison.only_in_a, comparison.only_in_b), strict=True)
        if keys
    ]
    if only:
        lines.append(Content.assemble((" · ".join(only), "$warning")))
    return lines


def default_save_path(document: Document) -> Path:
    """A file name in the current folder that says when the run was made."""
    created = document.get("created")
    stamp = ""
    if isinstance(created, str) and "T" in created:
        day, _, clock = created.partition("T")
        stamp = f"-{day}-{clock[:5].replace(':', '')}"
    return Path.cwd() / f"imgbench-results{stamp}.json"


# -- the command palette ----------------------------------------------------------------------


# -- the screen -----------------------------------------------------------------------------


def _number_bindings() -> list[Binding]:
    return [
        Binding(
            key,
            f"show_tab({index})",
            "Tab by number (1-9, 0 the tenth)" if index == 0 else "",
            show=False,
            id=f"results.tab-{key}",
        )
        for index, key in enumerate(NUMBER_KEYS)
    ]


class ResultsScreen(Screen[None]):
    """What a run measured: charts, a table of every number, and a comparison."""

    CSS_PATH = "results_screen.tcss"
    COMMANDS = Screen.COMMANDS | {ScreenCommands}
    BINDINGS = [
        Binding("escape", "back", "Back", id="results.back"),
        Binding("l", "set_scale('log')", "Log", id="results.log"),
        Binding("l", "set_scale('linear')", "Linear", id="results.linear"),
        Binding("s", "save", "Save", id="results.save"),
        Binding("o", "open", "Open", id="results.open"),
        Binding("c", "compare", "Compare", id="results.compare"),
        Binding("n", "new_run", "New run", id="results.new-run"),
        # Not in the footer (it would push Help out at 80 columns): the Verdict tab,
        # help and the palette name it.
        Binding("r", "save_report", "Report", show=False, id="results.report"),
        Binding("p", "next_priority", "Verdict priority", show=False, id="results.priority"),
        Binding("right_square_bracket", "next_tab", "Next tab", show=False, id="results.next-tab"),
        Binding(
            "left_square_bracket", "previous_tab", "Previous tab", show=False, id="results.prev-tab"
        ),
        Binding("right", "next_tab", show=False, id="results.right"),
        Binding("left", "previous_tab", show=False, id="results.left"),
        *_number_bindings(),
    ]

    def __init__(
        self,
        document: dict[str, Any],
        path: Path | None,
        other: tuple[dict[str, Any], Path] | None = None,
    ) -> None:
        super().__init__()
        self.document = document
        self.path = path
        self.other = other
        #: The scale a chart was switched to with ``l`` (True: log); a chart not in it
        #: shows as it opens, on log axes when its values span more than 10x.
        self.scales: dict[str, bool] = {}
        self.pane_ids: list[str] = []
        self.log_sensitive: set[str] = set()
        self.compact_table = False
        self.table_lines: list[TableLine] = []

    @property
    def host(self) -> ImgbenchApp:
        """The app, which shows errors and opens results files for every screen."""
        return cast("ImgbenchApp", self.app)

    # -- building -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        charts = self._charts()
        self.log_sensitive = self._keys_that_change_with_scale()
        stores = stores_table(self.document, compact=self.app.size.width < WIDE_STORES)
        loader = epoch_table(self.document)
        self.pane_ids = [VERDICT_TAB, *(f"tab-{chart.key}" for chart in charts), TABLE_TAB]
        if loader is not None:
            self.pane_ids.append(EPOCH_TAB)
        if stores is not None:
            self.pane_ids.append(STORES_TAB)
        if self.other is not None:
            self.pane_ids.append(COMPARE_TAB)
        self.pane_ids.append(RUN_TAB)
        yield Header()
        yield Static(self._summary(), id="summary")
        with TabbedContent(initial=self._first_tab()):
            with TabPane("Verdict", id=VERDICT_TAB):
                yield VerdictView(self.document, id="verdict")
            for chart in charts:
                title = TAB_TITLES.get(chart.key, chart.title)
                with TabPane(title, id=f"tab-{chart.key}"):
                    yield ChartView(chart, id=f"chart-{chart.key}")
            with TabPane("Table", id=TABLE_TAB):
                yield self._measurement_table()
                yield self._row_warnings_box()
            if loader is not None:
                with TabPane("Epoch", id=EPOCH_TAB), VerticalScroll(id="epoch-details"):
                    yield Static(loader, id="epoch-text")
            if stores is not None:
                with TabPane("Stores", id=STORES_TAB), VerticalScroll(id="stores-details"):
                    yield Static(stores, id="stores-text")
            if self.other is not None:
                with TabPane("Compare", id=COMPARE_TAB):
                    yield from self._comparison(self.other)
            with TabPane("Run", id=RUN_TAB), VerticalScroll(id="run-details"):
                yield Static(self._run_details(), id="run-text")
        yield Footer(compact=self.app.size.width < WIDE_FOOTER)

    def on_mount(self) -> None:
        self.sub_title = f"results · {self.path.name if self.path else 'not saved'}"

    def _first_tab(self) -> str:
        return COMPARE_TAB if self.other is not None else self.pane_ids[0]

    def _other_document(self) -> dict[str, Any] | None:
        return self.other[0] if self.other is not None else None

    def _charts(self) -> list[Chart]:
        """Every chart on its scale: as it opens, or as ``l`` switched it."""
        other = self._other_document()
        opened = charts_for(self.document, other, log=None)
        if not self.scales:
            return opened
        versions = {
            log: {chart.key: chart for chart in charts_for(self.document, other, log=log)}
            for log in set(self.scales.values())
        }
        return [
            versions[self.scales[chart.key]][chart.key] if chart.key in self.scales else chart
            for chart in opened
        ]

    def _keys_that_change_with_scale(self) -> set[str]:
        """Charts whose log version differs from the linear one: the toggle applies to them."""
        other = self._other_document()
        pairs = zip(
            charts_for(self.document, other, log=False),
            charts_for(self.document, other, log=True),
            strict=True,
        )
        return {linear.key for linear, log in pairs if linear != log}

    def _active_chart(self) -> Chart | None:
        key = self.active_tab.removeprefix("tab-")
        for view in self.query(f"#chart-{key}").results(ChartView):
            return view.chart
        return None

    @property
    def log_scale(self) -> bool:
        """Whether the chart of the tab shown is on log axes."""
        chart = self._active_chart()
        return chart is not None and chart.log

    def _summary(self) -> Content:
        doc = self.document
        lines = [
            Content.assemble(
                status_content(doc.get("status")),
                f" · {dataset_text(doc)} · {created_text(doc.get('created'))}",
            ),
            Content.assemble(("file: ", "dim"), file_text(self.path)),
        ]
        messages = messages_of(doc)
        if len(messages) <= HEADER_MESSAGES:
            lines += [message_content(kind, text) for kind, text in messages]
        else:
            shown = HEADER_MESSAGES - 1
            lines += [message_content(kind, text) for kind, text in messages[:shown]]
            more = f"… {len(messages) - shown} more notes and errors in the Run tab"
            lines.append(Content.assemble((more, "dim")))
        return Content("\n").join(lines)

    def _measurement_table(self) -> DataTable[Text]:
        table: DataTable[Text] = DataTable(id="measurements", cursor_type="row", zebra_stripes=True)
        self._fill_measurements(table, compact=self.app.size.width < WIDE_TABLE)
        return table

    def _fill_measurements(self, table: DataTable[Text], *, compact: bool) -> None:
        """Every column when there is room; below ``WIDE_TABLE`` columns, no k, min, stdev.
        A ``!`` column marks the measurements with warnings, when there are any."""
        self.compact_table = compact
        self.table_lines = table_lines(self.document)
        shown = COMPACT_COLUMNS if compact else TABLE_COLUMNS
        table.clear(columns=True)
        for column in shown:
            justify: JustifyMethod = "right" if column in TABLE_NUMERIC_COLUMNS else "left"
            table.add_column(Text(column, justify=justify), key=column)
        for line in self.table_lines:
            values = line.shown(shown, compact=compact)
            table.add_row(
                *(measurement_cell(v, c, line) for v, c in zip(values, shown, strict=True))
            )
        if not self.table_lines:
            table.add_row(Text("no measurements"), *[Text("")] * (len(shown) - 1))
        self._show_row_warnings(table.cursor_row)

    def _row_warnings_box(self) -> RowWarnings:
        box = RowWarnings(row_warnings_content(self.table_lines, 0), id="row-warnings")
        box.display = any(line.warnings for line in self.table_lines)
        return box

    def _show_row_warnings(self, index: int) -> None:
        for box in self.query("#row-warnings").results(RowWarnings):
            box.display = any(line.warnings for line in self.table_lines)
            box.update(row_warnings_content(self.table_lines, index))

    @on(DataTable.RowHighlighted, "#measurements")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_row_warnings(event.cursor_row)

    def on_resize(self, event: events.Resize) -> None:
        for footer in self.query(Footer).results(Footer):
            footer.compact = event.size.width < WIDE_FOOTER
        compact = event.size.width < WIDE_TABLE
        if compact != self.compact_table:
            for table in self.query("#measurements").results(DataTable):
                self._fill_measurements(table, compact=compact)
        stores = stores_table(self.document, compact=event.size.width < WIDE_STORES)
        for text in self.query("#stores-text").results(Static):
            text.update(stores or "")

    def _comparison(self, other: tuple[dict[str, Any], Path]) -> Iterable[Static | DataTable[Text]]:
        other_doc, other_path = other
        comparison = compare_documents(self.document, other_doc)
        names = (self._side_name(self.document, self.path), self._side_name(other_doc, other_path))
        yield Static(
            Content("\n").join(comparison_summary(comparison, names)), id="compare-summary"
        )
        table: DataTable[Text] = DataTable(id="comparison", cursor_type="row", zebra_stripes=True)
        for column in ("backend", "experiment", "n", "median A", "median B", "B/A", "B is"):
            numeric = column in ("n", "median A", "median B", "B/A")
            table.add_column(Text(column, justify="right" if numeric else "left"), key=column)
        rows = sorted(comparison.rows, key=_comparison_order)
        for row in rows:
            table.add_row(*comparison_cells(row))
        if not rows:
            table.add_row(Text("nothing measured in both"), *[Text("")] * 6)
        yield table

    @staticmethod
    def _side_name(document: Document, path: Path | None) -> str:
        status = str(document.get("status", "unknown"))
        name = path.name if path is not None else "not saved"
        return name if status == "complete" else f"{name} ({status})"

    def _run_details(self) -> Content:
        """Everything about the run, in full: the header only has room for one line each."""
        sides = [("", self.document, self.path)]
        if self.other is not None:
            sides = [("A ", self.document, self.path), ("B ", *self.other)]
        lines: list[Content] = []
        for prefix, doc, path in sides:
            lines += self._details_of(prefix, doc, path)
            lines.append(Content(""))
        return Content("\n").join(lines[:-1])

    @staticmethod
    def _details_of(prefix: str, doc: Document, path: Path | None) -> list[Content]:
        def line(label: str, value: str | Content) -> Content:
            return Content.assemble((f"{prefix}{label}: ", "bold"), value)

        lines = [
            line("status", status_content(doc.get("status"))),
            line("made", created_text(doc.get("created"))),
            line("file", str(path) if path is not None else "not saved"),
            line("data", describe_dataset(_mapping(doc.get("dataset")))),
            line("settings", describe_settings(_mapping(doc.get("settings")))),
            line("machine", describe_environment(_mapping(doc.get("environment")))),
        ]
        lines += [message_content(kind, text) for kind, text in messages_of(doc)]
        return lines

    def _refresh_summary(self) -> None:
        self.query_one("#summary", Static).update(self._summary())
        self.query_one("#run-text", Static).update(self._run_details())
        self.sub_title = f"results · {self.path.name if self.path else 'not saved'}"

    # -- tabs ---------------------------------------------------------------------------------

    @property
    def active_tab(self) -> str:
        """The id of the tab shown; empty while the screen is being built."""
        tabbed = self.query(TabbedContent)
        return tabbed.first().active if tabbed else ""

    def action_next_priority(self) -> None:
        """Weigh the verdict by the next priority, on the Verdict tab."""
        self.query_one(TabbedContent).active = VERDICT_TAB
        priority = self.query_one(VerdictView).cycle_priority()
        self.notify(f"Verdict for priority: {PRIORITY_WORDS[priority]}", timeout=3)

    def action_show_tab(self, index: int) -> None:
        if 0 <= index < len(self.pane_ids):
            self.query_one(TabbedContent).active = self.pane_ids[index]

    def action_next_tab(self) -> None:
        self._step_tab(+1)

    def action_previous_tab(self) -> None:
        self._step_tab(-1)

    def _step_tab(self, step: int) -> None:
        current = self.active_tab
        index = self.pane_ids.index(current) if current in self.pane_ids else 0
        self.query_one(TabbedContent).active = self.pane_ids[(index + step) % len(self.pane_ids)]

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The scale key offers the other scale of the chart shown: dimmed on tabs it does
        not change, hidden when no chart has a log version; number keys past the last tab
        do nothing."""
        if action == "set_scale":
            wanted_log = parameters == ("log",)
            if not self.log_sensitive:
                return False
            if self.active_tab.removeprefix("tab-") not in self.log_sensitive:
                return None if wanted_log else False  # "Log", dimmed
            return wanted_log != self.log_scale
        if action == "show_tab":
            index = parameters[0] if parameters else -1
            return isinstance(index, int) and index < len(self.pane_ids)
        return True

    # -- actions ------------------------------------------------------------------------------

    def action_set_scale(self, scale: str) -> None:
        """Redraw the chart shown on linear or on log axes (both axes of a chart that has
        two value axes)."""
        key = self.active_tab.removeprefix("tab-")
        if key not in self.log_sensitive:
            return
        self.scales[key] = scale == "log"
        for chart in self._charts():
            if chart.key == key:
                for view in self.query(f"#chart-{key}").results(ChartView):
                    view.show(chart)
        self.refresh_bindings()

    def toggle_scale(self) -> None:
        self.action_set_scale("linear" if self.log_scale else "log")

    def action_save(self) -> None:
        initial = self.path or default_save_path(self.document)
        self.app.push_screen(PathDialog("Save the results as JSON", str(initial)), self._save_to)

    def _save_to(self, path: Path | None) -> None:
        if path is None:
            return
        path = path.absolute()
        if path.exists() and path != self.path:
            question = f"{path} exists. Replace it with these results?"
            self.app.push_screen(
                ConfirmDialog(question, yes="Replace", no="Keep it"),
                lambda yes: self._write(path) if yes else None,
            )
            return
        self._write(path)

    def _write(self, path: Path) -> None:
        try:
            write_document(self.document, path)
        except (ImgbenchError, OSError) as error:
            self.host.show_error("The results could not be saved", str(error))
            return
        self.path = path
        self._refresh_summary()
        self.notify(f"Saved to {path}", title="Results saved")

    def action_save_report(self) -> None:
        """Write the report to share beside the results file (HTML, or Markdown without
        matplotlib), in a thread: drawing the charts takes a moment."""
        path = self.path
        if path is None:
            self.notify("Save the results first (s): the report goes beside them.")
            return
        self.notify("Writing the report…")
        self.run_worker(lambda: self._write_report(self.document, path), thread=True)

    def _write_report(self, document: dict[str, Any], results: Path) -> None:
        from .report_files import save_report_beside

        try:
            target = save_report_beside(document, results)
        except (ImgbenchError, OSError) as error:
            self.app.call_from_thread(self.host.show_error, "No report written", str(error))
            return
        self.app.call_from_thread(self.notify, f"Report written to {target}", title="Report")

    def action_open(self) -> None:
        initial = f"{self.path.parent}/" if self.path is not None else ""
        dialog = PathDialog("Open a results file", initial, must_exist=True)
        self.app.push_screen(dialog, self._open)

    def _open(self, path: Path | None) -> None:
        if path is not None:
            self.host.open_results(path.absolute())

    def action_compare(self) -> None:
        initial = f"{self.path.parent}/" if self.path is not None else ""
        dialog = PathDialog("Compare with results file (B)", initial, must_exist=True)
        self.app.push_screen(dialog, self._compare_with)

    async def _compare_with(self, path: Path | None) -> None:
        if path is None:
            return
        path = path.absolute()
        try:
            other = load_document(path)
        except ImgbenchError as error:
            self.host.show_error("Cannot compare with that file", str(error))
            return
        self.other = (other, path)
        await self.recompose()
        tabbed = self.query_one(TabbedContent)
        tabbed.active = COMPARE_TAB
        # Focus stays on the removed tabs otherwise, and no key of this screen would work.
        tabbed.query_one(Tabs).focus()
        self.refresh_bindings()

    def action_back(self) -> None:
        self._leave(self._pop_self)

    def action_new_run(self) -> None:
        self._leave(self._pop_to_setup)

    def _leave(self, go: Callable[[], None]) -> None:
        """Leave now, or after asking when the results exist nowhere but on screen."""
        if self.path is not None:
            go()
            return
        question = "These results are not saved (s saves them). Leave anyway?"
        self.app.push_screen(
            ConfirmDialog(question, yes="Leave", no="Stay"), lambda yes: go() if yes else None
        )

    def _pop_self(self) -> None:
        self.app.pop_screen()

    def _pop_to_setup(self) -> None:
        """Pop every results screen on top of the stack: what is below is the setup."""
        count = 0
        for screen in reversed(self.app.screen_stack[1:]):
            if not isinstance(screen, ResultsScreen):
                break
            count += 1
        for _ in range(count):
            self.app.pop_screen()

    # -- the command palette ------------------------------------------------------------------

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        commands: list[tuple[str, str, Callable[[], Any]]] = [
            ("Save results as JSON", "Write these results to a file (s)", self.action_save),
            ("Open results file", "Show another saved results file (o)", self.action_open),
            ("Compare with results file", "Ratios against a second file (c)", self.action_compare),
            (
                "Save a report to share",
                "HTML or Markdown beside the results (r)",
                self.action_save_report,
            ),
            (
                "Verdict for another priority",
                "Balanced, read, disk, write (p)",
                self.action_next_priority,
            ),
        ]
        if self.active_tab.removeprefix("tab-") in self.log_sensitive:
            target = "Linear" if self.log_scale else "Log"
            commands.append(
                (f"{target} scale on this chart", "Switch its value axes (l)", self.toggle_scale)
            )
        commands.append(("New run", "Back to the setup (n)", self.action_new_run))
        return commands
