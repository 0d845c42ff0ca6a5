"""The Compare tab: which two files, whether they measured the same thing the same way,
and every measurement both have with B's median against A's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.console import JustifyMethod
from rich.text import Text
from textual.content import Content
from textual.widgets import DataTable, Static

from imgbench.core.chart_compare import SIDES
from imgbench.core.chart_rows import backend_rank, experiment_rank
from imgbench.core.chart_types import Document
from imgbench.core.chart_words import experiment_label, format_count, format_ratio, format_seconds
from imgbench.core.results import Comparison, ComparisonRow, compare_documents

from .comparison_text import short_value, verdict_style, verdict_words

COLUMNS = ("backend", "experiment", "n", "median A", "median B", "B/A", "B is")
NUMERIC_COLUMNS = ("n", "median A", "median B", "B/A")


def comparison_widgets(
    document: Document, path: Path | None, other: tuple[Document, Path]
) -> Iterable[Static | DataTable[Text]]:
    """The summary of the two runs, then the table of ratios."""
    other_doc, other_path = other
    comparison = compare_documents(dict(document), dict(other_doc))
    names = (side_name(document, path), side_name(other_doc, other_path))
    yield Static(Content("\n").join(comparison_summary(comparison, names)), id="compare-summary")
    yield comparison_table(comparison)


def comparison_table(comparison: Comparison) -> DataTable[Text]:
    table: DataTable[Text] = DataTable(id="comparison", cursor_type="row", zebra_stripes=True)
    for column in COLUMNS:
        justify: JustifyMethod = "right" if column in NUMERIC_COLUMNS else "left"
        table.add_column(Text(column, justify=justify), key=column)
    rows = sorted(comparison.rows, key=_comparison_order)
    for row in rows:
        table.add_row(*comparison_cells(row))
    if not rows:
        table.add_row(Text("nothing measured in both"), *[Text("")] * (len(COLUMNS) - 1))
    return table


def side_name(document: Document, path: Path | None) -> str:
    """The file's name, and the run's status when it did not complete."""
    status = str(document.get("status", "unknown"))
    name = path.name if path is not None else "not saved"
    return name if status == "complete" else f"{name} ({status})"


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
