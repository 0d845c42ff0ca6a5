"""The headless command line's reports: rich tables and plotext charts drawn as text.

Every number and chart comes from :mod:`imgbench.core.charts`, which the Textual app
uses too; this module only decides how they look on a plain terminal (or in a file:
charts keep distinct markers per series, so they read without colour).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import plotext as plt
from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from imgbench.core.charts import (
    MISSING,
    TABLE_COLUMNS,
    TABLE_NUMERIC_COLUMNS,
    Chart,
    Document,
    Row,
    Series,
    all_charts,
    backend_rank,
    experiment_label,
    experiment_rank,
    format_bytes,
    format_count,
    format_ratio,
    format_seconds,
    largest_n_medians,
    measurement_rows,
    source_bytes_per_image,
    source_words,
    table_rows,
)
from imgbench.core.results import Comparison, ComparisonRow
from imgbench.core.stats import half_interval_share

from .epoch_summary import epoch_table
from .stores_table import WIDE_STORES, stores_table
from .warnings_text import format_share, warning_words

__all__ = [
    "TableLine",
    "WarningGroup",
    "chart_canvas",
    "comparison_table",
    "draw_chart",
    "interval_text",
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
BACKEND_COLORS = {"png": "blue+", "lmdb": "green+", "hdf5": "red+", "raw": "cyan+"}
# Every other series (lmdb+jpeg90, tar+png, ...) takes the next of these, in its chart's
# order, so it never shares a colour and marker with a classic store shown beside it.
SERIES_COLORS = ("magenta+", "yellow", "orange", "gray", "blue", "green", "red", "cyan")
LINE_MARKERS = {"png": "•", "lmdb": "x", "hdf5": "+", "raw": "o"}
SERIES_LINE_MARKERS = ("*", "#", "=", "%", "@", "&", "$", "~")
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
#: After the backend's name, it marks a measurement with warnings. The backend column has
#: room for it (its header is wider than the names), so even 80 columns keep the mark.
WARNING_MARK = "!"
MEDIAN_COLUMN = TABLE_COLUMNS.index("median")
INTERVAL_NOTE = "±: half the 95% interval of the median"
MARK_NOTE = f"{WARNING_MARK}: warnings below"
SHA_SHOWN = 12


# -- a whole results document -------------------------------------------------------------


def render_document(
    doc: Document, console: Console, *, width: int = 100, log: bool | None = None
) -> None:
    """Everything in a results file: what was run where, every number, every chart.

    ``log`` None draws the store and read time charts twice, on linear and on log axes:
    linear shows the real gaps, log shows the fast backends the linear axes flatten.
    """
    render_header(doc, console)
    stores = stores_table(doc, compact=console.width < WIDE_STORES)
    if stores is not None:
        console.print()
        console.print(stores)
    loader = epoch_table(doc)
    if loader is not None:
        console.print()
        console.print(loader)
    console.print()
    console.print(measurement_table(doc, width=console.width))
    render_warnings(doc, console)
    chart_width = max(40, min(width, console.width))
    for chart in charts_to_show(doc, log):
        console.print()
        render_chart(chart, console, width=chart_width)


def charts_to_show(doc: Document, log: bool | None) -> list[Chart]:
    if log is not None:
        return all_charts(doc, log=log)
    linear, logarithmic = all_charts(doc, log=False), all_charts(doc, log=True)
    return [linear[0], logarithmic[0], linear[1], logarithmic[1], *logarithmic[2:]]


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

    A ``!`` after the backend marks measurements with warnings; the words follow the
    table (:func:`render_warnings`).
    """
    wide = width >= WIDE_TABLE
    lines = table_lines(doc)
    shown = TABLE_COLUMNS if wide else COMPACT_COLUMNS
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
    )
    for column in shown:
        numeric = column in TABLE_NUMERIC_COLUMNS
        table.add_column(column, justify="right" if numeric else "left", no_wrap=True)
    if not lines:
        table.add_row("no measurements", *[""] * (len(shown) - 1))
        return table
    for index, line in enumerate(lines):
        last_of_backend = index + 1 == len(lines) or lines[index + 1].cells[0] != line.cells[0]
        values = line.shown(shown, compact=not wide)
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
    """One chart as text, or its title and why there is nothing to draw."""
    if chart.empty:
        console.print(Text(chart.title, style="bold"))
        console.print(Text(chart.note or "no data", style="dim italic"), width=width)
        return
    canvas = Text.from_ansi(chart_canvas(chart, width=width, height=CHART_HEIGHT))
    canvas.no_wrap = True
    canvas.overflow = "crop"
    console.print(canvas)
    if chart.note:
        console.print(Text(chart.note, style="dim italic"), width=width)


def chart_canvas(chart: Chart, *, width: int, height: int) -> str:
    """The chart drawn by plotext into a string (with ANSI colours), never shown."""
    plt.clear_figure()
    plt.limitsize(False, False)  # plotext would shrink the figure to the terminal it sees
    plt.plotsize(width, height)
    plt.theme("clear")
    draw_chart(plt, chart, height=height)
    canvas: str = plt.build()
    plt.clear_figure()
    return canvas


def draw_chart(figure: Any, chart: Chart, *, height: int) -> None:
    """Issue the plotext calls for ``chart`` on ``figure``: the plotext module, or the
    ``plt`` of a textual-plotext widget (same API), so both front ends draw alike.

    ``height`` is the figure's height in rows; bars are kept below the legend with it.
    """
    figure.title(chart.title)
    figure.xlabel(chart.x_label)
    figure.ylabel(chart.y_label)
    if chart.kind == "line":
        _draw_lines(figure, chart)
    else:
        _draw_bars(figure, chart, plot_rows=height - FRAME_ROWS)
    if chart.y_ticks:
        figure.yticks(list(chart.y_ticks), list(chart.y_tick_labels))


def _draw_lines(figure: Any, chart: Chart) -> None:
    others = _other_series_numbers(chart.series)
    for series in chart.series:
        figure.plot(
            list(series.xs),
            list(series.ys),
            label=series.label,
            marker=LINE_MARKERS.get(series.label)
            or _cycle(SERIES_LINE_MARKERS, others[series.label]),
            color=_color(series, others),
        )
    if chart.x_ticks:
        figure.xticks(list(chart.x_ticks), list(chart.x_tick_labels))
        figure.xlim(*_padded(chart.x_ticks, fraction=0.04, at_least=0.5))
    ys = [y for series in chart.series for y in series.ys]
    low, high = _padded([*chart.y_ticks, *ys], fraction=0.04, at_least=0.5)
    figure.ylim(low if chart.log_y else 0.0, high)  # times are never negative


def _draw_bars(figure: Any, chart: Chart, *, plot_rows: int) -> None:
    categories = list(chart.categories)
    heights = [list(series.ys) for series in chart.series]
    labels = [series.label for series in chart.series]
    markers = [_cycle(BAR_MARKERS, i) for i in range(len(chart.series))]
    others = _other_series_numbers(chart.series)
    colors = [_color(series, others) for series in chart.series]
    if len(chart.series) == 1:
        figure.bar(categories, heights[0], marker=markers[0], color=colors[0])
        top = max(heights[0])
        legend_rows = 0
    elif chart.kind == "stacked_bar":
        figure.stacked_bar(categories, heights, labels=labels, marker=markers, color=colors)
        top = max(sum(column) for column in zip(*heights, strict=True))
        legend_rows = len(labels)
    else:  # an empty series either side leaves a gap between the groups
        gap = [0.0] * len(categories)
        figure.multiple_bar(
            categories,
            [gap, *heights, gap],
            labels=[None, *labels, None],
            marker=[" ", *markers, " "],
            color=["default", *colors, "default"],
        )
        top = max(max(ys) for ys in heights)
        legend_rows = len(labels)
    top = max(top, *chart.y_ticks) if chart.y_ticks else top
    figure.ylim(0, _room_for_legend(top, legend_rows, plot_rows))


def _room_for_legend(top: float, legend_rows: int, plot_rows: int) -> float:
    """An upper y limit that keeps the bars below the legend in the top-left corner."""
    free = max(plot_rows - legend_rows - 1, 1)
    return (top or 1.0) * plot_rows / free


def _padded(values: Sequence[float], *, fraction: float, at_least: float) -> tuple[float, float]:
    """Limits a little beyond the values, so no point sits on the frame."""
    low, high = min(values), max(values)
    pad = (high - low) * fraction if high > low else at_least
    return low - pad, high + pad


def _other_series_numbers(series: Sequence[Series]) -> dict[str, int]:
    """Each series without a classic store's colour, numbered in order from 0."""
    others = [one.label for one in series if one.label not in BACKEND_COLORS]
    return {label: number for number, label in enumerate(dict.fromkeys(others))}


def _color(series: Series, others: dict[str, int]) -> str:
    return BACKEND_COLORS.get(series.label) or _cycle(SERIES_COLORS, others[series.label])


def _cycle(choices: Sequence[str], index: int) -> str:
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
    _render_differences("settings", comparison.settings_differences, console)
    _render_differences("environment", comparison.environment_differences, console)


def _sha(doc: Document) -> str:
    sha = _mapping(doc.get("dataset")).get("sha256")
    return f"{sha[:SHA_SHOWN]}…" if isinstance(sha, str) and sha else ""


def _render_differences(
    what: str, differences: Sequence[tuple[str, Any, Any]], console: Console
) -> None:
    if not differences:
        console.print(f"[green]Same {what}[/].")
        return
    console.print(f"[yellow]Different {what}[/]:")
    for key, value_a, value_b in differences:
        console.print(
            Text.assemble(
                f"  {key}: A ",
                (short_value(value_a), "bold"),
                ", B ",
                (short_value(value_b), "bold"),
            )
        )


def comparison_table(comparison: Comparison) -> Table:
    """B's median over A's per measurement; "faster" (green) or "slower" (red) only where
    the samples differ beyond their noise, whatever the ratio."""
    table = Table(
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
