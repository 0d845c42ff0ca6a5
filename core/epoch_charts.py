"""Charts of the training read: epoch throughput against loader workers, epoch 1 against
epoch 2, the time to the first batch, and the latency histogram of single reads.

They read the epoch and latency rows of a results document defensively (files from other
writers, cancelled runs) and are only drawn for documents that have such rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from .chart_axes import tick_label, value_axis
from .chart_bars import bar_chart
from .chart_rows import backend_rank
from .chart_types import Chart, Document, Reference, Series, no_data
from .chart_words import format_count
from .ticks import log_ticks

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


def best_epoch_rates(doc: Document) -> dict[str, tuple[int, float]]:
    """(loader workers, images/s) of each store's fastest epoch 1, at the largest n."""
    best: dict[str, tuple[int, float]] = {}
    for point in epoch_points(doc):
        if point.epoch != 1 or not point.images_per_s:
            continue
        if point.store not in best or point.images_per_s > best[point.store][1]:
            best[point.store] = (point.workers, point.images_per_s)
    return best


def epoch_throughput_chart(doc: Document, log: bool | None = None) -> Chart:
    """Images per second of epoch 1 against loader workers, one line per store."""
    key, title = "epoch-workers", "Epoch 1: images per second against loader workers"
    points = [p for p in epoch_points(doc) if p.epoch == 1 and p.images_per_s]
    if not points:
        return no_data(key, title, "epoch measurements")
    workers = sorted({p.workers for p in points})
    axis = value_axis([p.images_per_s or 0.0 for p in points], "rate", log=log)
    series = []
    for store in _stores(points):
        mine = sorted((p.workers, p.images_per_s or 0.0) for p in points if p.store == store)
        series.append(
            Series(store, tuple(float(w) for w, _ in mine), tuple(axis.plot(v) for _, v in mine))
        )
    return Chart(
        key=key,
        title=title,
        x_label="loader worker processes",
        y_label="images/s" + (" (log scale)" if axis.log else ""),
        kind="line",
        series=tuple(series),
        x_ticks=tuple(float(w) for w in workers),
        x_tick_labels=tuple(str(w) for w in workers),
        y_ticks=axis.ticks,
        y_tick_labels=axis.labels,
        log_y=axis.log,
        note=f"every image once, shuffled, batches read one sample at a time; n = "
        f"{format_count(points[0].n)}",
    )


def epochs_chart(doc: Document, log: bool | None = None) -> Chart:
    """Epoch 1 against epoch 2 (images per second) at the most workers measured."""
    key, title = "epoch-1-vs-2", "Epoch 1 against epoch 2 (images per second)"
    points = [p for p in epoch_points(doc) if p.images_per_s]
    if not points:
        return no_data(key, title, "epoch measurements", kind="bar")
    most = max(p.workers for p in points)
    points = [p for p in points if p.workers == most]
    stores = _stores(points)
    rate = {(p.store, p.epoch): p.images_per_s for p in points}
    return bar_chart(
        key=key,
        title=title,
        x_label="store",
        y_label="images/s",
        categories=stores,
        values={
            f"epoch {e}": [rate.get((s, e)) for s in stores]
            for e in sorted({p.epoch for p in points})
        },
        kind="rate",
        log=log,
        note=f"with {most} loader worker{'s' if most > 1 else ''}; epoch 2 follows epoch 1 "
        "at once (a cold run evicts the store before epoch 1 only)",
    )


def first_batch_chart(doc: Document, log: bool | None = None) -> Chart:
    """Time to the first batch of epoch 1 (workers started, store opened), per store."""
    key, title = "first-batch", "Time to the first batch (epoch 1)"
    points = [p for p in epoch_points(doc) if p.epoch == 1 and p.first_batch_s]
    if not points:
        return no_data(key, title, "epoch measurements", kind="bar")
    stores = _stores(points)
    wait = {(p.store, p.workers): p.first_batch_s for p in points}
    return bar_chart(
        key=key,
        title=title,
        x_label="store",
        y_label="time to the first batch",
        categories=stores,
        values={
            f"{w} worker{'s' if w > 1 else ''}": [wait.get((s, w)) for s in stores]
            for w in sorted({p.workers for p in points})
        },
        kind="seconds",
        log=log,
        note="from starting the loader's workers to the first batch in hand",
    )


def latency_histogram_chart(doc: Document) -> Chart:
    """How the single reads' latencies spread, per store, from their histograms: the
    share of reads done within each time (a cumulative histogram, log time).

    Cumulative, not per bin: seven stores' bins peak at the same few times and sit on
    the floor elsewhere, hiding each other; their cumulative lines rise one after the
    other, each with its store's marker where it crosses 50% (its median).
    """
    key, title = "read-latency", "Latency of single random reads: share done within a time"
    histograms = _histograms(doc)
    if not histograms:
        return no_data(key, title, "read latency measurements")
    series = []
    times: list[float] = []
    for store in sorted(histograms, key=backend_rank):
        edges, counts = histograms[store]
        total = sum(counts)
        used = [i for i, c in enumerate(counts) if c]
        first, last = used[0], used[-1]
        xs, ys, done = [edges[first]], [0.0], 0
        for i in range(first, last + 1):
            done += counts[i]
            xs.append(edges[i + 1])
            ys.append(100.0 * done / total)
        line = tuple(math.log10(x) for x in xs)
        series.append(Series(store, line, tuple(ys), style="line", in_legend=False))
        series.append(Series(store, (_crossing(line, ys, 50.0),), (50.0,), style="points"))
        times += xs
    y_axis = value_axis([100.0], "percent", log=False)
    ticks = log_ticks(min(times), max(times))
    return Chart(
        key=key,
        title=title,
        x_label="time of one read_one (log scale)",
        y_label="% of reads done",
        kind="line",
        series=tuple(series),
        x_ticks=tuple(math.log10(tick) for tick in ticks),
        x_tick_labels=tuple(tick_label(tick, "seconds") for tick in ticks),
        y_ticks=y_axis.ticks,
        y_tick_labels=y_axis.labels,
        log_x=True,
        references=(Reference(50.0, "p50"),),
        note="the same recorded random ids for every store, each read timed alone; each "
        "line's mark is where it crosses 50% (its median); further left is faster",
    )


def _crossing(xs: Sequence[float], ys: Sequence[float], level: float) -> float:
    """Where the rising line through (xs, ys) reaches ``level``, between its points."""
    for (x0, y0), (x1, y1) in pairwise(zip(xs, ys, strict=True)):
        if y1 >= level:
            return x0 + (x1 - x0) * (level - y0) / (y1 - y0) if y1 > y0 else x1
    return xs[-1]


def loader_charts(doc: Document, log: bool | None = None) -> list[Chart]:
    """The training read's charts, or none when the run measured no epoch or latency."""
    if not has_loader_rows(doc):
        return []
    return [
        epoch_throughput_chart(doc, log=log),
        epochs_chart(doc, log=log),
        first_batch_chart(doc, log=log),
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
