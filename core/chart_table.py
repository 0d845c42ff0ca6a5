"""Every measurement as display-ready cells, and the largest-n summary the reports print."""

from __future__ import annotations

from .chart_rows import experiment_rank, measurement_rows
from .chart_types import LOADER_EXPERIMENTS, MISSING, Document, Row
from .chart_words import experiment_label, format_bytes, format_rate, format_seconds

#: Columns of :func:`table_rows`; those in ``TABLE_NUMERIC_COLUMNS`` read best right-aligned.
TABLE_COLUMNS = (
    "backend",
    "experiment",
    "n",
    "k",
    "median",
    "min",
    "stdev",
    "images/s",
    "MB/s",
    "disk",
    "verified",
)
TABLE_NUMERIC_COLUMNS = frozenset(TABLE_COLUMNS[2:10])


def table_rows(doc: Document) -> list[tuple[str, ...]]:
    """Every measurement as display-ready cells, in the order of ``TABLE_COLUMNS``."""
    return [_cells(row) for row in measurement_rows(doc)]


def _cells(row: Row) -> tuple[str, ...]:
    disk = row.bytes_allocated if row.bytes_allocated is not None else row.bytes_apparent
    return (
        row.backend,
        experiment_label(row.key or row.experiment),
        f"{row.n:,}",
        f"{row.k:,}" if row.k is not None else MISSING,
        format_seconds(row.median_s),
        format_seconds(row.min_s),
        format_seconds(row.stdev_s),
        format_rate(row.images_per_s),
        format_rate(row.mb_per_s),
        format_bytes(disk) if disk is not None else "",
        {True: "yes", False: "NO", None: ""}[row.verified],
    )


def largest_n_medians(
    doc: Document,
) -> tuple[list[str], dict[str, int], dict[tuple[str, str], Row]]:
    """For a summary: experiments present, the largest n of each, and its rows by backend.

    Returns (experiments in display order, largest n per experiment, row per
    (backend, experiment) at that n). A backend that did not reach it has no row.
    """
    rows = [r for r in measurement_rows(doc) if r.experiment not in LOADER_EXPERIMENTS]
    experiments = sorted({r.experiment for r in rows}, key=experiment_rank)
    largest = {e: max(r.n for r in rows if r.experiment == e) for e in experiments}
    at_largest = {(r.backend, r.experiment): r for r in rows if r.n == largest[r.experiment]}
    return experiments, largest, at_largest
