"""Line charts of time against n: how long storing, reading and random-reading n images
take, one line per store (the classic study's plots).

The x axis is ``log10(n)`` because cutoffs grow tenfold; on a linear x four of five
would touch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence

from .chart_axes import value_axis
from .chart_rows import (
    absent_note,
    backend_rank,
    int_or_none,
    measurement_rows,
    medians,
    settings_of,
)
from .chart_types import Chart, Document, Series, no_data
from .chart_words import experiment_label, format_count
from .ticks import wants_log


def store_time_chart(
    doc: Document, experiment: str = "store_many", log: bool | None = None
) -> Chart:
    """How long storing n images takes, per backend (the classic study's first plot)."""
    title = f"Time to {experiment_label(experiment)} n images"
    return _time_vs_n(doc, experiment, title, key=f"time-{experiment}", log=log)


def read_time_chart(doc: Document, experiment: str = "read_many", log: bool | None = None) -> Chart:
    """How long reading n images back takes, per backend."""
    title = f"Time to {experiment_label(experiment)} n images"
    return _time_vs_n(doc, experiment, title, key=f"time-{experiment}", log=log)


def random_read_chart(doc: Document, log: bool | None = None) -> Chart:
    """Reading k random ids out of a store of n: what a shuffled epoch asks for."""
    k = _random_read_k(doc)
    title = "Time to read k random images of n" + (f" (k = {k})" if k else "")
    return _time_vs_n(doc, "read_random", title, key="time-read_random", log=log)


def _random_read_k(doc: Document) -> str:
    k = int_or_none(settings_of(doc).get("k"))
    if k is None:
        ks = [row.k for row in measurement_rows(doc) if row.experiment == "read_random" and row.k]
        k = max(ks) if ks else None
    return f"{k:,}, or n if smaller" if k is not None else ""


def _time_vs_n(doc: Document, experiment: str, title: str, *, key: str, log: bool | None) -> Chart:
    per_store = medians(doc, experiment)
    if not per_store:
        return no_data(key, title, f"{experiment_label(experiment)} measurements")
    x_ticks, x_labels = n_ticks(sorted({n for points in per_store.values() for n, _ in points}))
    seconds = [s for points in per_store.values() for _, s in points]
    axis = value_axis(seconds, "seconds", log=log)
    notes = [absent_note(doc, per_store)]
    if not axis.log and wants_log(seconds):
        notes.append("a log scale shows the smaller times")
    return Chart(
        key=key,
        title=title,
        x_label="images, n (log scale)",
        y_label="median time (log scale)" if axis.log else f"median time ({axis.unit})",
        kind="line",
        series=_time_series(per_store, axis.plot),
        x_ticks=x_ticks,
        x_tick_labels=x_labels,
        y_ticks=axis.ticks,
        y_tick_labels=axis.labels,
        log_y=axis.log,
        note="; ".join(note for note in notes if note),
    )


def _time_series(
    per_store: Mapping[str, Sequence[tuple[int, float]]], scale: Callable[[float], float]
) -> tuple[Series, ...]:
    """One line per backend, in backend order: x = log10(n), y = scale(median seconds)."""
    series = (
        Series(backend, log_n(points), tuple(scale(seconds) for _, seconds in points))
        for backend, points in per_store.items()
    )
    return _in_backend_order(series)


def log_n(points: Sequence[tuple[int, float]]) -> tuple[float, ...]:
    return tuple(math.log10(n) for n, _ in points)


def n_ticks(ns: Sequence[int]) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """A tick at every cutoff measured, at log10(n), labelled "10", "1k", "100k"."""
    return tuple(math.log10(n) for n in ns), tuple(format_count(n) for n in ns)


def _in_backend_order(series: Iterable[Series]) -> tuple[Series, ...]:
    return tuple(sorted(series, key=lambda s: backend_rank(s.label)))
