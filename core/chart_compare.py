"""Two runs on one chart: both documents' measurements merged, each store's two runs in
the store's one colour, A's points on a line and B's hollow ones alone.

The units are chosen from both runs' values at once, so A and B share the axes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .chart_rows import backend_rank, backends_in
from .chart_types import Chart, Document, Series
from .charts import all_charts

SIDES = ("A", "B")
#: The charts drawn with both runs on one set of axes: lines against n or workers.
BOTH_RUNS = ("time-store_many", "time-read_many", "time-read_random", "epoch-workers")
A_ONLY_NOTE = "this chart shows A only"


def side_label(backend: str, side: str) -> str:
    return f"{backend} ({side})"


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


def compared_charts(doc_a: Document, doc_b: Document, *, log: bool | None) -> list[Chart]:
    """A's charts, with the time-against-n and workers charts showing both runs.

    The other charts (bars per backend, the latency lines, the trade-off's named
    points) would need twice the categories or names, which do not fit 80 columns; they
    show A and say so, and a comparison table has every ratio.
    """
    merged = {chart.key: chart for chart in all_charts(merged_document(doc_a, doc_b), log=log)}
    charts = []
    for chart in all_charts(doc_a, log=log):
        both = merged.get(chart.key)
        if chart.key in BOTH_RUNS and both is not None and not both.empty:
            charts.append(_as_two_runs(both))
        elif not chart.empty:
            note = "; ".join(part for part in (chart.note, A_ONLY_NOTE) if part)
            charts.append(dataclasses.replace(chart, note=note))
        else:
            charts.append(chart)
    return charts


def charts_for(document: Document, other: Document | None, *, log: bool | None) -> list[Chart]:
    """A run's charts, or two runs' when there is a second document to compare with."""
    if other is None:
        return all_charts(document, log=log)
    return compared_charts(document, other, log=log)


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
