"""The training read in one table: epoch throughput per loader worker count, epoch 1
against epoch 2, the time to the first batch, and the latency of single reads.

One row per store, at the largest n the epochs ran; the best images/s of each column in
green; a row whose epochs read memory rather than the disk says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.table import Table
from rich.text import Text

from imgbench.core.chart_rows import backend_rank
from imgbench.core.chart_types import MISSING, Document
from imgbench.core.chart_words import format_rate, format_seconds

from .stores_table import FittingTable


def epoch_table(doc: Document) -> Table | None:
    """The table, or None when the document has no epoch or latency rows."""
    epochs = _rows(doc, ("epoch",))
    latency = {row["backend"]: row for row in _rows(doc, ("read_latency",))}
    if not epochs and not latency:
        return None
    largest = max((row["n"] for row in epochs), default=0)
    epochs = [row for row in epochs if row["n"] == largest]
    workers = sorted({row["workers"] for row in epochs})
    most = max(workers, default=0)
    rate = {(r["backend"], r["workers"], r["epoch"]): r.get("images_per_s") for r in epochs}
    stores = sorted({r["backend"] for r in epochs} | set(latency), key=backend_rank)
    title = "The training read: images/s of an epoch" + (f", n = {largest:,}" if largest else "")
    table = FittingTable(title=title, title_justify="left", header_style="bold")
    table.add_column("store", no_wrap=True)
    for count in workers:
        table.add_column(f"epoch 1\n{count} worker{'s' if count > 1 else ''}", justify="right")
    if workers:
        table.add_column(f"epoch 2\n{most} worker{'s' if most > 1 else ''}", justify="right")
        table.add_column(f"first batch\n{most} worker{'s' if most > 1 else ''}", justify="right")
    if latency:
        table.add_column("read_one\np50", justify="right")
        table.add_column("read_one\np99", justify="right")
    best = {
        key: max((v for (s, w, e), v in rate.items() if (w, e) == key and v), default=None)
        for key in {(w, e) for (_, w, e) in rate}
    }
    first = {
        r["backend"]: r.get("first_batch_s")
        for r in epochs
        if (r["workers"], r["epoch"]) == (most, 1)
    }
    held = {r["backend"] for r in epochs if _in_memory(r)}
    for store in stores:
        cells: list[Text | str] = [Text(store + (" *" if store in held else ""))]
        for key in [(count, 1) for count in workers] + ([(most, 2)] if workers else []):
            value = rate.get((store, *key))
            style = "bold green" if value is not None and value == best.get(key) else ""
            cells.append(Text(format_rate(value) if value else MISSING, style=style))
        if workers:
            cells.append(format_seconds(first.get(store)))
        if latency:
            figures = latency.get(store, {}).get("latency_s") or {}
            cells += [format_seconds(figures.get("p50")), format_seconds(figures.get("p99"))]
        table.add_row(*cells)
    if held:
        table.caption = (
            "* the store fits in free memory and the page cache held it: the epochs read "
            "memory, not the disk (--cache cold starts epoch 1 evicted)"
        )
        table.caption_justify = "left"
    return table


def _rows(doc: Document, experiments: tuple[str, ...]) -> list[Mapping[str, Any]]:
    rows = doc.get("measurements")
    found = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, Mapping) or row.get("experiment") not in experiments:
            continue
        if not isinstance(row.get("backend"), str) or not _whole(row.get("n")):
            continue
        if row["experiment"] != "read_latency" and not (
            _whole(row.get("workers")) and _whole(row.get("epoch"))
        ):
            continue
        found.append(row)
    return found


def _in_memory(row: Mapping[str, Any]) -> bool:
    warnings = row.get("warnings")
    return isinstance(warnings, list) and any(
        isinstance(w, Mapping) and w.get("code") == "in_memory" for w in warnings
    )


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
