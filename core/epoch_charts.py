"""Charts of the training read: epoch throughput against loader workers, epoch 1 against
epoch 2, the time to the first batch, and the latency histogram of single reads.

They read the epoch and latency rows of a results document defensively (files from other
writers, cancelled runs) and are only drawn for documents that have such rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .charts import (
    Chart,
    Document,
    Series,
    _no_data,
    backend_rank,
    format_count,
    seconds_decade_label,
)

EPOCH = "epoch"


@dataclass(frozen=True)
class EpochPoint:
    """One epoch row: a store at n, with W workers, epoch e."""

    store: str
    n: int
    workers: int
    epoch: int
    images_per_s: float | None
    first_batch_s: float | None


def epoch_points(doc: Document, experiment: str = EPOCH) -> list[EpochPoint]:
    """The epoch rows of the largest n measured, read defensively."""
    rows = doc.get("measurements")
    points = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, Mapping) or row.get("experiment") != experiment:
            continue
        store, n, workers, epoch = (row.get(k) for k in ("backend", "n", "workers", "epoch"))
        if not (isinstance(store, str) and _whole(n) and _whole(workers) and _whole(epoch)):
            continue
        points.append(
            EpochPoint(
                store,
                int(n),  # type: ignore[arg-type]
                int(workers),  # type: ignore[arg-type]
                int(epoch),  # type: ignore[arg-type]
                _positive(row.get("images_per_s")),
                _positive(row.get("first_batch_s")),
            )
        )
    largest = max((point.n for point in points), default=0)
    return [point for point in points if point.n == largest]


def has_loader_rows(doc: Document) -> bool:
    """Whether the document measured epochs or read latency (then these charts show)."""
    rows = doc.get("measurements")
    return isinstance(rows, list) and any(
        isinstance(row, Mapping)
        and row.get("experiment") in ("epoch", "epoch_batched", "read_latency")
        for row in rows
    )


def epoch_throughput_chart(doc: Document) -> Chart:
    """Images per second of epoch 1 against loader workers, one line per store."""
    key, title = "epoch-workers", "Epoch 1: images per second against loader workers"
    points = [p for p in epoch_points(doc) if p.epoch == 1 and p.images_per_s]
    if not points:
        return _no_data(key, title, "epoch measurements")
    workers = sorted({p.workers for p in points})
    series = []
    for store in _stores(points):
        mine = sorted((p.workers, p.images_per_s or 0.0) for p in points if p.store == store)
        series.append(Series(store, tuple(float(w) for w, _ in mine), tuple(v for _, v in mine)))
    return Chart(
        key=key,
        title=title,
        x_label="loader worker processes",
        y_label="images per second",
        kind="line",
        series=tuple(series),
        x_ticks=tuple(float(w) for w in workers),
        x_tick_labels=tuple(str(w) for w in workers),
        note=f"every image once, shuffled, batches read one sample at a time; n = "
        f"{format_count(points[0].n)}",
    )


def epochs_chart(doc: Document) -> Chart:
    """Epoch 1 against epoch 2 (images per second) at the most workers measured."""
    key, title = "epoch-1-vs-2", "Epoch 1 against epoch 2 (images per second)"
    points = [p for p in epoch_points(doc) if p.images_per_s]
    if not points:
        return _no_data(key, title, "epoch measurements", kind="bar")
    most = max(p.workers for p in points)
    points = [p for p in points if p.workers == most]
    stores = _stores(points)
    epochs = sorted({p.epoch for p in points})
    positions = tuple(float(i) for i in range(len(stores)))
    rate = {(p.store, p.epoch): p.images_per_s or 0.0 for p in points}
    series = tuple(
        Series(f"epoch {e}", positions, tuple(rate.get((s, e), 0.0) for s in stores))
        for e in epochs
    )
    return Chart(
        key=key,
        title=title,
        x_label="store",
        y_label="images per second",
        kind="bar",
        series=series,
        x_ticks=positions,
        x_tick_labels=tuple(stores),
        note=f"with {most} loader worker{'s' if most > 1 else ''}; epoch 2 follows epoch 1 "
        "at once (a cold run evicts the store before epoch 1 only)",
    )


def first_batch_chart(doc: Document) -> Chart:
    """Time to the first batch of epoch 1 (workers started, store opened), per store."""
    key, title = "first-batch", "Time to the first batch (epoch 1)"
    points = [p for p in epoch_points(doc) if p.epoch == 1 and p.first_batch_s]
    if not points:
        return _no_data(key, title, "epoch measurements", kind="bar")
    stores = _stores(points)
    workers = sorted({p.workers for p in points})
    positions = tuple(float(i) for i in range(len(stores)))
    wait = {(p.store, p.workers): (p.first_batch_s or 0.0) * 1000 for p in points}
    series = tuple(
        Series(
            f"{w} worker{'s' if w > 1 else ''}",
            positions,
            tuple(wait.get((s, w), 0.0) for s in stores),
        )
        for w in workers
    )
    return Chart(
        key=key,
        title=title,
        x_label="store",
        y_label="milliseconds",
        kind="bar",
        series=series,
        x_ticks=positions,
        x_tick_labels=tuple(stores),
        note="from starting the loader's workers to the first batch in hand",
    )


def latency_histogram_chart(doc: Document) -> Chart:
    """The share of single reads in each latency bin, one line per store (log time)."""
    key, title = "read-latency", "Latency of single random reads"
    histograms = _histograms(doc)
    if not histograms:
        return _no_data(key, title, "read latency measurements")
    low = min(i for _, counts in histograms.values() for i, c in enumerate(counts) if c)
    high = max(i for _, counts in histograms.values() for i, c in enumerate(counts) if c)
    series = []
    for store in sorted(histograms, key=backend_rank):
        edges, counts = histograms[store]
        total = sum(counts) or 1
        xs = tuple(math.log10(math.sqrt(edges[i] * edges[i + 1])) for i in range(low, high + 1))
        ys = tuple(100 * counts[i] / total for i in range(low, high + 1))
        series.append(Series(store, xs, ys))
    first, last = math.floor(series[0].xs[0]), math.ceil(series[0].xs[-1])
    exponents = range(first, last + 1)
    return Chart(
        key=key,
        title=title,
        x_label="time of one read_one (log scale)",
        y_label="% of reads",
        kind="line",
        series=tuple(series),
        x_ticks=tuple(float(e) for e in exponents),
        x_tick_labels=tuple(seconds_decade_label(e) for e in exponents),
        note="the same recorded random ids for every store, each read timed alone",
    )


def loader_charts(doc: Document) -> list[Chart]:
    """The training read's charts, or none when the run measured no epoch or latency."""
    if not has_loader_rows(doc):
        return []
    return [
        epoch_throughput_chart(doc),
        epochs_chart(doc),
        first_batch_chart(doc),
        latency_histogram_chart(doc),
    ]


def _histograms(doc: Document) -> dict[str, tuple[list[float], list[int]]]:
    rows = doc.get("measurements")
    found: dict[str, tuple[list[float], list[int]]] = {}
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, Mapping) or row.get("experiment") != "read_latency":
            continue
        histogram = row.get("histogram")
        if not isinstance(histogram, Mapping) or not isinstance(row.get("backend"), str):
            continue
        edges, counts = histogram.get("edges_s"), histogram.get("counts")
        if _valid_histogram(edges, counts):
            found.setdefault(row["backend"], (list(edges), list(counts)))  # type: ignore[arg-type]
    return found


def _valid_histogram(edges: Any, counts: Any) -> bool:
    return (
        isinstance(edges, list)
        and isinstance(counts, list)
        and len(edges) == len(counts) + 1
        and all(isinstance(e, int | float) and e > 0 for e in edges)
        and all(_whole(c) for c in counts)
        and any(counts)
    )


def _stores(points: list[EpochPoint]) -> list[str]:
    return sorted({p.store for p in points}, key=backend_rank)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _positive(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None
