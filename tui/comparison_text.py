"""Two results documents compared in words: whether they are comparable (data,
settings, machine), then B's median time over A's for each measurement.

"faster" or "slower" is said only where the samples differ beyond their noise; the
app's compare view uses the same words and colours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from imgbench.core.chart_rows import backend_rank, experiment_rank
from imgbench.core.chart_types import Document
from imgbench.core.chart_words import (
    experiment_label,
    format_count,
    format_ratio,
    format_seconds,
)
from imgbench.core.results import Comparison, ComparisonRow

from .document_words import SHA_SHOWN, mapping
from .stores_table import FittingTable

__all__ = [
    "comparison_table",
    "render_comparison",
    "short_value",
    "verdict_style",
    "verdict_words",
]

VERDICT_STYLES = {"faster": "green", "slower": "red"}
NO_CLEAR_DIFFERENCE = "within noise"
SAME_NOTE = (
    f"{NO_CLEAR_DIFFERENCE}: the ratio is within what two runs of one plan on one machine "
    "differ by (2x), a row was noisy or busy, or the samples overlap "
    "(95% intervals of the median and a rank test)"
)


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
    sha = mapping(doc.get("dataset")).get("sha256")
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
    """What may be said of B: "2.00x faster", "1.30x slower", or "within noise"."""
    if row.verdict not in VERDICT_STYLES:
        return NO_CLEAR_DIFFERENCE
    ratio = row.ratio
    if ratio is None or ratio <= 0:
        return row.verdict
    factor = 1 / ratio if row.verdict == "faster" else ratio
    return f"{format_ratio(factor)} {row.verdict}"
