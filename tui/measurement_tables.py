"""The measurements as tables: every measurement with its interval and warning mark,
the warnings in words under it, and the summary of median times at the largest n.

The Textual app builds its own table from :func:`table_lines` and :func:`styled_cell`,
so both front ends show the same cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
from imgbench.core.chart_types import MISSING, Document, Row
from imgbench.core.chart_words import (
    experiment_label,
    format_bytes,
    format_count,
    format_seconds,
)
from imgbench.core.stats import half_interval_share

from .epoch_summary import epoch_table
from .warnings_text import format_share, warning_words

__all__ = [
    "COMPACT_COLUMNS",
    "WARNING_MARK",
    "WIDE_TABLE",
    "TableLine",
    "WarningGroup",
    "interval_text",
    "measurement_table",
    "median_text",
    "render_summary",
    "render_warnings",
    "styled_cell",
    "table_lines",
    "warning_groups",
]

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


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


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
