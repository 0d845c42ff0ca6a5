"""The headless command line's reports: rich tables and plotext charts drawn as text.

Every number and chart comes from :mod:`imgbench.core.charts`, which the Textual app
uses too; this module only decides how they look on a plain terminal (or in a file:
charts keep distinct markers per series, so they read without colour).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import plotext as plt
from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from imgbench.core.chart_disk import source_bytes_per_image, source_words
from imgbench.core.chart_rows import backend_rank, experiment_rank, measurement_rows
from imgbench.core.chart_table import (
    TABLE_COLUMNS,
    TABLE_NUMERIC_COLUMNS,
    largest_n_medians,
    table_rows,
)
from imgbench.core.chart_types import MISSING, Chart, Document, Row, Series
from imgbench.core.chart_words import (
    experiment_label,
    format_bytes,
    format_count,
    format_ratio,
    format_seconds,
)
from imgbench.core.charts import all_charts
from imgbench.core.results import Comparison, ComparisonRow
from imgbench.core.stats import half_interval_share
from imgbench.core.verdict import verdict_of

from .epoch_summary import epoch_table
from .stores_table import WIDE_STORES, FittingTable, stores_table
from .verdict_text import verdict_renderable
from .warnings_text import format_share, warning_words

__all__ = [
    "TableLine",
    "WarningGroup",
    "canvas_size",
    "chart_canvas",
    "comparison_table",
    "draw_chart",
    "interval_text",
    "legend_text",
    "measurement_table",
    "median_text",
    "render_chart",
    "render_comparison",
    "render_document",
    "render_header",
    "render_summary",
    "render_warnings",
    "styled_cell",
    "table_lines",
    "verdict_style",
    "verdict_words",
    "warning_groups",
]

STATUS_STYLES = {
    "complete": "bold green",
    "cancelled": "bold yellow",
    "interrupted": "bold yellow",
    "failed": "bold red",
}
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
VERDICT_STYLES = {"faster": "green", "slower": "red"}
NO_CLEAR_DIFFERENCE = "no clear difference"
SAME_NOTE = (
    f"{NO_CLEAR_DIFFERENCE}: the ratio is within what two runs of one plan on one machine "
    "differ by (2x), a row was noisy or busy, or the samples overlap "
    "(95% intervals of the median and a rank test)"
)
CHART_HEIGHT = 20
#: Rows of a plotext figure that are not plot area: title, frame, tick labels, axis labels.
FRAME_ROWS = 5
#: Below this many columns the measurements table drops k, min and stdev.
WIDE_TABLE = 120  # the wide table needs about 115 columns with six-digit n and k
COMPACT_COLUMNS = ("backend", "experiment", "n", "median", "images/s", "MB/s", "disk", "verified")
#: Left out of the compact table when it would not fit even so (images/s says as much).
NARROW_DROPS = ("MB/s",)
#: After the backend's name, it marks a measurement with warnings. The backend column has
#: room for it (its header is wider than the names), so even 80 columns keep the mark.
WARNING_MARK = "!"
MEDIAN_COLUMN = TABLE_COLUMNS.index("median")
INTERVAL_NOTE = "±: half the 95% interval of the median"
MARK_NOTE = f"{WARNING_MARK}: warnings below"
SHA_SHOWN = 12


# -- a whole results document -------------------------------------------------------------


def render_document(
    doc: Document,
    console: Console,
    *,
    width: int = 100,
    log: bool | None = None,
    charts: bool = True,
    priority: str | None = None,
) -> None:
    """Everything in a results file: the verdict and a summary first, then what was run
    where and every number, then (with ``charts``) every chart.

    ``priority`` None judges by the run's own priority; ``log`` picks the charts' scales
    as :func:`charts_to_show` says.
    """
    console.print(verdict_renderable(verdict_of(doc, priority=priority)))
    console.print()
    render_summary(doc, console)  # the time at the largest n, and the training read's table
    console.print()
    render_header(doc, console)
    stores = stores_table(doc, compact=console.width < WIDE_STORES)
    if stores is not None:
        console.print()
        console.print(stores)
    console.print()
    console.print(measurement_table(doc, width=console.width))
    render_warnings(doc, console)
    if not charts:
        return
    chart_width = max(40, min(width, console.width))
    for chart in charts_to_show(doc, log):
        console.print()
        render_chart(chart, console, width=chart_width)


def charts_to_show(doc: Document, log: bool | None) -> list[Chart]:
    """The charts of ``show``: with ``log`` None each on the scale that suits it (log
    when its values span more than 10x), the store and read time charts then also on
    the other scale; True or False puts every chart on that scale."""
    if log is not None:
        return all_charts(doc, log=log)
    chosen, linear, logarithmic = (
        all_charts(doc),
        all_charts(doc, log=False),
        all_charts(doc, log=True),
    )
    shown = []
    for index, chart in enumerate(chosen):
        shown.append(chart)
        other = linear[index] if chart.log else logarithmic[index]
        if index < 2 and other != chart:
            shown.append(other)
    return shown


def render_header(doc: Document, console: Console) -> None:
    """Tool, time and status; the data; the settings; the machine; notes and errors."""
    tool = _mapping(doc.get("tool"))
    status = str(doc.get("status", "unknown"))
    title = Text.assemble(
        (f"{tool.get('name', 'imgbench')} {tool.get('version', '')}".strip(), "bold"),
        f" · results of {created_text(doc.get('created'))} · ",
        (status, STATUS_STYLES.get(status, "bold")),
    )
    console.print(title)
    console.print(_line("data", describe_dataset(_mapping(doc.get("dataset")))))
    console.print(_line("settings", describe_settings(_mapping(doc.get("settings")))))
    console.print(_line("machine", describe_environment(_mapping(doc.get("environment")))))
    for note in _strings(doc.get("notes")):
        console.print(_line("note", note, style="yellow"))
    for error in doc.get("errors") or []:
        error = _mapping(error)
        message = f"{error.get('task', 'run')}: {error.get('message', '')}"
        console.print(_line("error", message, style="red"))


def _line(label: str, value: str, style: str = "") -> Text:
    return Text.assemble((f"{label}: ", "dim"), (value, style))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def describe_dataset(dataset: Mapping[str, Any]) -> str:
    """Source, size and identity of the data in one line, the sha256 shortened."""
    if not dataset:
        return "not recorded"
    parts = [str(dataset.get("source", "unknown source"))]
    if dataset.get("path"):
        parts[0] += f" at {dataset['path']}"
    parts.append(describe_size(dataset))
    sha = dataset.get("sha256")
    if isinstance(sha, str) and sha:
        parts.append(f"sha256 {sha[:SHA_SHOWN]}…")
    return " · ".join(parts)


def describe_size(dataset: Mapping[str, Any]) -> str:
    """ "1,000 images of 32x32x3", or "... of varying sizes (HxW ...)"."""
    count, shape = dataset.get("count"), dataset.get("shape")
    size = f"{count:,} images" if isinstance(count, int) else "images"
    if isinstance(shape, list) and shape:
        size += " of " + "x".join(str(side) for side in shape)
    elif dataset.get("shapes_vary"):
        size += " of varying sizes" + _size_range(_mapping(dataset.get("shape_range")))
    tiled_from = _mapping(dataset.get("details")).get("tiled_from")
    if isinstance(tiled_from, int) and isinstance(count, int) and tiled_from < count:
        size += f", {tiled_from:,} distinct repeated"
    return size


def _size_range(ranges: Mapping[str, Any]) -> str:
    """ " (HxW from 20x31 to 480x640)", from the recorded smallest and largest sides."""
    heights, widths = ranges.get("height"), ranges.get("width")
    if not (isinstance(heights, list) and isinstance(widths, list)):
        return ""
    if len(heights) != 2 or len(widths) != 2:
        return ""
    return f" (HxW {heights[0]}..{heights[1]} x {widths[0]}..{widths[1]})"


def describe_settings(settings: Mapping[str, Any]) -> str:
    """The settings that change the numbers, in one line."""
    if not settings:
        return "not recorded"
    parts = []
    if isinstance(settings.get("backends"), list):
        parts.append(", ".join(str(b) for b in settings["backends"]))
    if isinstance(settings.get("cutoffs"), list):
        parts.append("n = " + ", ".join(format_count(n) for n in settings["cutoffs"]))
    if isinstance(settings.get("repeats"), int):
        warmup = settings.get("warmup")
        parts.append(f"{settings['repeats']} repeats" + (f" + {warmup} warm-up" if warmup else ""))
    if isinstance(settings.get("k"), int):
        parts.append(f"k = {settings['k']:,}")
    if settings.get("cache"):
        parts.append(f"{settings['cache']} cache")
    if "durable" in settings:
        parts.append("durable (synced)" if settings["durable"] else "not synced")
    options = _mapping(settings.get("backend_options"))
    for backend, values in options.items():
        shown = ", ".join(f"{key}={value}" for key, value in _mapping(values).items())
        parts.append(f"{backend}: {shown}")
    return " · ".join(parts)


def describe_environment(environment: Mapping[str, Any]) -> str:
    """Python, OS, CPU, cores, memory and the work dir's file system, in one line."""
    parts = []
    if environment.get("python"):
        parts.append(f"Python {environment['python']}")
    for key in ("os", "cpu"):
        if environment.get(key):
            parts.append(str(environment[key]))
    cores, available = environment.get("cores"), environment.get("cores_available")
    if isinstance(cores, int):
        usable = (
            f" ({available} usable)" if isinstance(available, int) and available < cores else ""
        )
        parts.append(f"{cores} cores{usable}")
    if isinstance(environment.get("memory_bytes"), int):
        parts.append(f"{format_bytes(environment['memory_bytes'])} RAM")
    if environment.get("workdir_filesystem"):
        parts.append(f"work dir on {environment['workdir_filesystem']}")
    return " · ".join(parts) if parts else "not recorded"


# -- tables -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableLine:
    """One measurement as the tables show it: ``cells`` in the order of ``TABLE_COLUMNS``
    (the median with its interval), a label that names it, and its warnings."""

    cells: tuple[str, ...]
    label: str
    warnings: tuple[Mapping[str, Any], ...]
    has_interval: bool
    n: int

    def shown(self, columns: Sequence[str], *, compact: bool) -> list[str]:
        """The cells of ``columns``; compact tables write n as "10k" to fit 80 columns."""
        cells = [self.cells[TABLE_COLUMNS.index(column)] for column in columns]
        if compact and "n" in columns:
            cells[list(columns).index("n")] = format_count(self.n)
        return cells


def table_lines(doc: Document) -> list[TableLine]:
    """Every usable measurement in the table's order (that of ``table_rows``)."""
    found = []
    for entry in _list(doc.get("measurements")):
        one = {"measurements": [entry]}
        parsed, cells = measurement_rows(one), table_rows(one)
        if parsed:
            found.append((parsed[0], _table_line(parsed[0], cells[0], entry)))
    found.sort(
        key=lambda pair: (
            backend_rank(pair[0].backend),
            experiment_rank(pair[0].experiment),
            pair[0].n,
            pair[0].key,
        )
    )
    return [line for _, line in found]


def _table_line(row: Row, cells: tuple[str, ...], entry: Mapping[str, Any]) -> TableLine:
    warnings = tuple(w for w in _list(entry.get("warnings")) if isinstance(w, Mapping))
    interval = interval_text(entry)
    median = cells[MEDIAN_COLUMN] + interval
    shown = (*cells[:MEDIAN_COLUMN], median, *cells[MEDIAN_COLUMN + 1 :])
    label = f"{row.backend} {experiment_label(row.key or row.experiment)} n={format_count(row.n)}"
    return TableLine(shown, label, warnings, has_interval=bool(interval), n=row.n)


def median_text(entry: Mapping[str, Any]) -> str:
    """The median with half its 95% interval as a share of it: "1.23 ms ±4%"."""
    median = entry.get("median_s")
    seconds = median if isinstance(median, (int, float)) and not isinstance(median, bool) else None
    return format_seconds(seconds) + interval_text(entry)


def interval_text(entry: Mapping[str, Any]) -> str:
    """The " ±4%" after a median; nothing for an old file, or for one sample (its interval
    is that sample, and "±0%" would claim a precision never measured)."""
    samples = entry.get("samples_s")
    share = half_interval_share(entry)
    if share is None or not isinstance(samples, list) or len(samples) < 2:
        return ""
    return f" ±{format_share(share)}"


def measurement_table(doc: Document, *, width: int = 120) -> Table:
    """Every measurement, one row each, a rule between backends; fewer columns when narrow.

    Numbers are right-aligned and never cut short: a narrow terminal loses the MB/s
    column first, then the experiment's words are shortened ("epoch 1, 2 work…").
    A ``!`` after the backend marks measurements with warnings; the words follow the
    table (:func:`render_warnings`).
    """
    wide = width >= WIDE_TABLE
    if wide:
        return _measurement_table(doc, TABLE_COLUMNS, wide=True)
    narrow = tuple(column for column in COMPACT_COLUMNS if column not in NARROW_DROPS)
    attempts = [(COMPACT_COLUMNS, 1), (COMPACT_COLUMNS, 0), (narrow, 1), (narrow, 0)]
    for columns, padding in attempts:
        table = _measurement_table(doc, columns, wide=False, padding=padding)
        if _natural_width(table) <= width:
            break
    return table


def _natural_width(table: Table) -> int:
    console = Console(width=1_000)
    return Measurement.get(console, console.options, table).maximum


def _measurement_table(
    doc: Document, shown: Sequence[str], *, wide: bool, padding: int = 1
) -> Table:
    lines = table_lines(doc)
    notes = [
        *([INTERVAL_NOTE] if any(line.has_interval for line in lines) else []),
        *([MARK_NOTE] if any(line.warnings for line in lines) else []),
    ]
    table = Table(
        title="Measurements" if wide else "Measurements (a wider terminal shows k, min and stdev)",
        title_justify="left",
        caption=" · ".join(notes) or None,
        caption_justify="left",
        header_style="bold",
        box=box.HEAVY_HEAD if wide else box.SIMPLE_HEAD,
        pad_edge=wide,
        show_edge=wide,
        collapse_padding=not wide,
        padding=(0, padding),
    )
    rows = [line.shown(shown, compact=not wide) for line in lines]
    for index, column in enumerate(shown):
        if column in TABLE_NUMERIC_COLUMNS:  # as wide as its widest number: never cut
            fit = max([len(column), *(len(values[index]) for values in rows)])
            table.add_column(column, justify="right", no_wrap=True, min_width=fit)
        else:
            table.add_column(column, justify="left", no_wrap=True, overflow="ellipsis")
    if not lines:
        table.add_row("no measurements", *[""] * (len(shown) - 1))
        return table
    for index, (line, values) in enumerate(zip(lines, rows, strict=True)):
        last_of_backend = index + 1 == len(lines) or lines[index + 1].cells[0] != line.cells[0]
        cells = [
            styled_cell(value, column, line) for value, column in zip(values, shown, strict=True)
        ]
        table.add_row(*cells, end_section=last_of_backend)
    return table


def styled_cell(value: str, column: str, line: TableLine) -> Text:
    """A cell as both front ends show it: a failed check in red, the warning mark after
    the backend's name."""
    if column == "backend" and line.warnings:
        return Text.assemble(value, (f" {WARNING_MARK}", "bold yellow"))
    failed = column == "verified" and value == "NO"
    return Text(value, style="bold red" if failed else "")


@dataclass(frozen=True)
class WarningGroup:
    """The warnings of one kind: its title and shared advice, then what each measurement
    showed (measurements that showed the same thing share a line)."""

    title: str
    advice: str
    seen: tuple[tuple[str, str], ...]  # (which measurements, what they showed)


def warning_groups(doc: Document) -> list[WarningGroup]:
    """Every warning of the document, grouped so the advice is said once per kind."""
    lines = table_lines(doc)
    kinds: dict[tuple[str, str], dict[str, list[str]]] = {}
    for line in lines:
        for warning in line.warnings:
            words = warning_words(warning)
            seen = kinds.setdefault((words.title, words.advice), {})
            seen.setdefault(words.seen, []).append(line.label)
    return [
        WarningGroup(
            title, advice, tuple((_labels(found, len(lines)), what) for what, found in seen.items())
        )
        for (title, advice), seen in kinds.items()
    ]


def _labels(labels: list[str], total: int) -> str:
    return "every measurement" if len(labels) == total > 1 else ", ".join(labels)


def render_warnings(doc: Document, console: Console) -> None:
    """The warnings of the measurements marked ``!``, in words, under the table."""
    groups = warning_groups(doc)
    if not groups:
        return
    console.print(
        Text(f"Warnings ({WARNING_MARK} after the backend in the table):", style="bold yellow")
    )
    for group in groups:
        advice = f" — {group.advice}" if group.advice else ""
        console.print(Padding(Text.assemble((group.title, "bold yellow"), advice), (0, 0, 0, 2)))
        for labels, seen in group.seen:
            line = Text.assemble((labels, "bold"), f": {seen}" if seen else "")
            console.print(Padding(line, (0, 0, 0, 4)))


def render_summary(doc: Document, console: Console) -> None:
    """Median times per backend and experiment at the largest n: the end of a run."""
    experiments, largest, at_largest = largest_n_medians(doc)
    loader = epoch_table(doc)
    if not experiments and loader is None:
        console.print("[yellow]No measurements were recorded.[/]")
        return
    if experiments:
        _render_time_summary(doc, console, experiments, largest, at_largest)
    if loader is not None:
        console.print(loader)


def _render_time_summary(
    doc: Document,
    console: Console,
    experiments: list[str],
    largest: dict[str, int],
    at_largest: dict[tuple[str, str], Row],
) -> None:
    one_n = len(set(largest.values())) == 1
    at = f"n = {next(iter(largest.values())):,}" if one_n else "the largest n"
    table = Table(
        title=f"Median time at {at} (fastest in green)", title_justify="left", header_style="bold"
    )
    longest = max((len(backend) for backend, _ in at_largest), default=5)
    table.add_column("store", no_wrap=True, min_width=min(longest, 16))
    for experiment in experiments:
        where = "" if one_n else f"\nn={format_count(largest[experiment])}"
        table.add_column(f"{experiment_label(experiment)}{where}", justify="right")
    sized = any(
        row.bytes_allocated is not None
        for (_, experiment), row in at_largest.items()
        if experiment == "store_many"
    )
    if sized:
        where = "" if one_n else f"\nn={format_count(largest['store_many'])}"
        table.add_column(f"disk{where}", justify="right")
    backends = sorted({backend for backend, _ in at_largest}, key=backend_rank)
    fastest = {e: _fastest(at_largest, e) for e in experiments}
    entries = _entries_by_key(doc)
    for backend in backends:
        cells = [
            _summary_cell(
                at_largest.get((backend, e)), fastest[e], entries.get((backend, e, largest[e]))
            )
            for e in experiments
        ]
        if sized:
            cells.append(_disk_cell(at_largest.get((backend, "store_many"))))
        table.add_row(backend, *cells)
    console.print(table)
    source = source_bytes_per_image(doc)
    if sized and source is not None:
        n = largest["store_many"]
        console.print(
            f"For comparison, {source_words(doc)} take {format_bytes(source * n)} "
            f"for {n:,} images ({format_bytes(source)} per image)."
        )


def _fastest(at_largest: Mapping[tuple[str, str], Row], experiment: str) -> float | None:
    medians = [
        row.median_s
        for (_, e), row in at_largest.items()
        if e == experiment and row.median_s is not None
    ]
    return min(medians) if medians else None


def _entries_by_key(doc: Document) -> dict[tuple[Any, Any, Any], Mapping[str, Any]]:
    """The document's measurements by (backend, experiment, n); the last one wins, as in
    ``largest_n_medians``."""
    found: dict[tuple[Any, Any, Any], Mapping[str, Any]] = {}
    for entry in _list(doc.get("measurements")):
        if isinstance(entry, Mapping):
            found[(entry.get("backend"), entry.get("experiment"), entry.get("n"))] = entry
    return found


def _summary_cell(row: Row | None, fastest: float | None, entry: Mapping[str, Any] | None) -> Text:
    if row is None or row.median_s is None:
        return Text(MISSING, style="dim")
    median = median_text(entry) if entry is not None else format_seconds(row.median_s)
    if row.verified is False:
        return Text(f"{median} NOT VERIFIED", style="bold red")
    style = "bold green" if row.median_s == fastest else ""
    return Text(median, style=style)


def _disk_cell(row: Row | None) -> Text:
    if row is None or row.bytes_allocated is None:
        return Text(MISSING, style="dim")
    return Text(format_bytes(row.bytes_allocated))


# -- charts -------------------------------------------------------------------------------


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
        frame = _line_frame(chart, cols, rows)
        _draw_lines(figure, chart, frame)
    else:
        frame = _bar_frame(chart, cols, rows)
        _draw_bars(figure, chart, frame)
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


# -- lines and points ---------------------------------------------------------------------


def _line_frame(chart: Chart, cols: int, rows: int) -> Frame:
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


class _Cells:
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


#: Where a point goes when its cell is taken: beside it on its row first (its value
#: stays exact; x is a cutoff), then a row above or below.
DODGES = (
    *((side * step, 0) for step in (1, 2, 3) for side in (1, -1)),
    *((d_col, d_row) for d_row in (1, -1) for d_col in (0, 1, -1)),
)


def _draw_lines(figure: Any, chart: Chart, frame: Frame) -> None:
    """References, then every line (none for the second of two runs compared), then
    every point on top (dodged a cell when two land on one), then the labels where
    nothing else is."""
    style = _Styles(chart)
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
    cells = _Cells(frame)
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
    _reference_labels(figure, chart, frame, cells)


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


def _dodge(cells: _Cells, col: int, row: int) -> tuple[int, int]:
    """The point's own cell, or the nearest free one beside it: never two in one cell."""
    for d_col, d_row in ((0, 0), *DODGES):
        if cells.free(col + d_col, row + d_row):
            cells.take(col + d_col, row + d_row)
            return col + d_col, row + d_row
    return col, row


def _point_label(
    figure: Any,
    frame: Frame,
    cells: _Cells,
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
            _text(figure, words, frame.x_of(start), frame.y_of(line), color)
            return


def _reference_labels(figure: Any, chart: Chart, frame: Frame, cells: _Cells) -> None:
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
                _text(figure, reference.label, frame.x_of(start), frame.y_of(line), REFERENCE_COLOR)
                break


def _text(figure: Any, words: str, x: float, y: float, color: Any) -> None:
    """Words at a cell, starting there, on the canvas' colour as the figure's theme has
    it when they are added (so a theme is set before drawing, not after)."""
    figure.text(words, x, y, color=color, alignment="left")


# -- bars ---------------------------------------------------------------------------------

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


def _bar_frame(chart: Chart, cols: int, rows: int) -> Frame:
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


def _draw_bars(figure: Any, chart: Chart, frame: Frame) -> None:
    """References, then each series' bars cell by cell (no rounding up: a value worth
    less than a row draws nothing), then each bar's value above it."""
    style = _Styles(chart)
    for reference in chart.references:
        figure.hline(reference.y, color=REFERENCE_COLOR)
    bars = bar_layout(chart, frame)
    cells = _Cells(frame)
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
                marker=_cycle(BAR_MARKERS, index),
                color=style.color(series),
            )
    for bar in sorted(bars, key=lambda bar: bar.rows):
        if bar.label:
            _bar_label(figure, frame, cells, bar, style.color(chart.series[bar.series]))
    _reference_labels(figure, chart, frame, cells)


def _bar_label(figure: Any, frame: Frame, cells: _Cells, bar: Bar, color: Any) -> None:
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
                    _text(figure, words, frame.x_of(start), frame.y_of(row), color)
                    return


# -- colours, markers and the legend --------------------------------------------------------


class _Styles:
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
        return BACKEND_COLORS.get(key) or _cycle(SERIES_COLORS, self.others[key])

    def marker(self, series: Series) -> str:
        if self.compared:
            return VARIANT_MARKERS[min(series.variant, 1)]
        key = _key(series)
        return LINE_MARKERS.get(key) or str(_cycle(SERIES_LINE_MARKERS, self.others[key]))


def _key(series: Series) -> str:
    return series.color_key or series.label


def legend_text(chart: Chart) -> Text | None:
    """The legend, to print under the figure (never over the data): each series' marker
    in its colour and its name; for two runs compared, each store once and which marker
    is which run. None when every series is named on the chart itself."""
    style = _Styles(chart)
    entries: list[Text] = []
    seen: set[str] = set()
    for index, series in enumerate(chart.series):
        key = _key(series)
        if not series.in_legend or key in seen:
            continue
        seen.add(key)
        color = _rich_color(style.color(series))
        if chart.kind != "line":
            symbol = _cycle(BAR_MARKERS, index) * 2
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


def _cycle(choices: Sequence[Any], index: int) -> Any:
    return choices[index % len(choices)]


# -- comparing two documents --------------------------------------------------------------


def render_comparison(
    doc_a: Document,
    doc_b: Document,
    comparison: Comparison,
    console: Console,
    *,
    names: tuple[str, str] = ("A", "B"),
) -> None:
    """Whether two runs are comparable, then B's median time over A's for each measurement."""
    for side, name, doc in (("A", names[0], doc_a), ("B", names[1], doc_b)):
        status = str(doc.get("status", "unknown"))
        partial = "" if status == "complete" else f" ({status} run: partial results)"
        console.print(Text.assemble((side, "bold"), f" = {name}", (partial, "yellow")))
    _render_sameness(doc_a, doc_b, comparison, console)
    console.print()
    console.print(comparison_table(comparison))
    if any(row.verdict == "same" for row in comparison.rows):
        console.print(Text(SAME_NOTE, style="dim"))
    _render_one_sided(comparison, console)


def _render_sameness(
    doc_a: Document, doc_b: Document, comparison: Comparison, console: Console
) -> None:
    if comparison.same_data:
        console.print("[green]Same data set[/] (sha256 matches).")
    else:
        sha_a = _sha(doc_a) or "not recorded"
        sha_b = _sha(doc_b) or "not recorded"
        console.print(
            f"[bold red]Different data sets[/]: sha256 A {sha_a}, B {sha_b}; "
            "the times measure different images."
        )
    _render_differences(
        "settings", comparison.settings_differences, console, defaults=comparison.defaults
    )
    _render_differences("environment", comparison.environment_differences, console)


def _sha(doc: Document) -> str:
    sha = _mapping(doc.get("dataset")).get("sha256")
    return f"{sha[:SHA_SHOWN]}…" if isinstance(sha, str) and sha else ""


def _render_differences(
    what: str,
    differences: Sequence[tuple[str, Any, Any]],
    console: Console,
    *,
    defaults: Mapping[str, Any] | None = None,
) -> None:
    """One line per difference with both values; a value a run left to its default says
    so ("A 6 (default), B 9"), with the default's value where it is known."""
    if not differences:
        console.print(f"[green]Same {what}[/].")
        return
    console.print(f"[yellow]Different {what}[/]:")
    known = defaults or {}
    for key, value_a, value_b in differences:
        shown_a, shown_b = (
            _difference_value(value, key in known, known.get(key)) for value in (value_a, value_b)
        )
        console.print(Text.assemble(f"  {key}: A ", (shown_a, "bold"), ", B ", (shown_b, "bold")))


def _difference_value(value: Any, has_default: bool, default: Any) -> str:
    """A compared value; a backend option the run did not give is its default."""
    if value is not None or not has_default:
        return short_value(value)
    return "default" if default is None else f"{short_value(default)} (default)"


def comparison_table(comparison: Comparison) -> Table:
    """B's median over A's per measurement; "faster" (green) or "slower" (red) only where
    the samples differ beyond their noise, whatever the ratio."""
    table = FittingTable(
        title="Median time, B over A (below 1: B faster)",
        title_justify="left",
        header_style="bold",
    )
    for column, numeric in (
        ("backend", False),
        ("experiment", False),
        ("n", True),
        ("median A", True),
        ("median B", True),
        ("B/A", True),
        ("B is", False),
    ):
        table.add_column(column, justify="right" if numeric else "left")
    rows = sorted(comparison.rows, key=_comparison_order)
    if not rows:
        table.add_row("nothing measured in both", *[""] * 6)
    for row in rows:
        table.add_row(
            row.backend,
            experiment_label(row.experiment),
            f"{row.n:,}",
            format_seconds(row.median_a),
            format_seconds(row.median_b),
            Text(format_ratio(row.ratio), style=verdict_style(row)),
            Text(verdict_words(row), style=verdict_style(row)),
        )
    return table


def _comparison_order(row: ComparisonRow) -> tuple[tuple[int, str], tuple[int, str], int]:
    return backend_rank(row.backend), experiment_rank(row.experiment.partition(":")[0]), row.n


def _render_one_sided(comparison: Comparison, console: Console) -> None:
    for side, keys in (("A", comparison.only_in_a), ("B", comparison.only_in_b)):
        if keys:
            shown = ", ".join(
                f"{backend} {experiment_label(experiment)} n={format_count(n)}"
                for backend, experiment, n in keys
            )
            console.print(Text.assemble((f"Only in {side}: ", "yellow"), shown))


def created_text(created: Any) -> str:
    """An ISO time stamp to the minute, as "2025-11-23 19:00 +00:00"; other text as it is."""
    if not isinstance(created, str) or "T" not in created:
        return str(created) if created else "an unknown time"
    day, _, clock = created.partition("T")
    offset = clock[8:].lstrip(".0123456789") if len(clock) > 8 else ""
    return f"{day} {clock[:5]} {offset}".strip()


def short_value(value: Any) -> str:
    """A settings or environment value in a few characters."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return format_count(value) if value >= 10_000 else str(value)
    if isinstance(value, list):
        return ",".join(short_value(item) for item in value) or "none"
    if isinstance(value, Mapping):
        return "{…}" if value else "none"
    return str(value)


def verdict_style(row: ComparisonRow) -> str:
    """Green where B is faster, red where slower; uncoloured where no difference is clear."""
    return VERDICT_STYLES.get(row.verdict, "")


def verdict_words(row: ComparisonRow) -> str:
    """What may be said of B: "2.00x faster", "1.30x slower", or "no clear difference"."""
    if row.verdict not in VERDICT_STYLES:
        return NO_CLEAR_DIFFERENCE
    ratio = row.ratio
    if ratio is None or ratio <= 0:
        return row.verdict
    factor = 1 / ratio if row.verdict == "faster" else ratio
    return f"{format_ratio(factor)} {row.verdict}"
