"""The trade-off chart: throughput against disk per image, and its Pareto front."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from imgbench.core.chart_words import format_count
from imgbench.core.charts import all_charts
from imgbench.core.pareto_chart import FRONT_LABEL, Point, pareto_chart, pareto_front
from result_docs import ALL_BACKENDS, epoch_rows, expected_median, expected_sizes, make_document

CUTOFFS = (10, 100, 1_000)


def with_epochs(doc: dict[str, Any], rates: dict[str, tuple[float, float]]) -> dict[str, Any]:
    """``doc`` with epoch 1 and 2 rows at n = 1,000 for 1 and 2 workers; ``rates`` gives
    each store's images/s with 1 and with 2 workers (epoch 2 a tenth faster)."""
    doc = copy.deepcopy(doc)
    for store, pair in rates.items():
        rate = dict(zip((1, 2), pair, strict=True))
        doc["measurements"] += epoch_rows(
            store,
            lambda workers, epoch, rate=rate: rate[workers] * (1 + (epoch - 1) / 10),
            first_batch_s=lambda workers: 0.01 * workers,
            median_s=lambda workers, rate=rate: 1_000 / rate[workers],
        )
    return doc


def names(points: list[Point]) -> list[str]:
    return [point.name for point in points]


# -- the front ------------------------------------------------------------------------------


def test_the_front_keeps_only_what_nothing_beats_on_both() -> None:
    points = [
        Point("small-slow", 1_000, 10),
        Point("mid", 2_000, 50),
        Point("big-fast", 4_000, 100),
        Point("beaten", 3_000, 40),  # mid is smaller and faster
        Point("big-slow", 5_000, 20),
    ]
    assert names(pareto_front(points)) == ["small-slow", "mid", "big-fast"]


def test_the_front_is_ordered_by_disk() -> None:
    points = [Point("c", 3, 30), Point("a", 1, 10), Point("b", 2, 20)]
    assert names(pareto_front(points)) == ["a", "b", "c"]


def test_equal_disk_keeps_the_faster_and_equal_points_both_stay() -> None:
    points = [Point("slow", 2, 10), Point("fast", 2, 20), Point("twin", 2, 20)]
    assert names(pareto_front(points)) == ["fast", "twin"]


def test_one_point_that_beats_all_is_the_whole_front() -> None:
    points = [Point("best", 1, 100), Point("a", 2, 50), Point("b", 3, 90)]
    assert names(pareto_front(points)) == ["best"]
    assert pareto_front([]) == []


# -- the chart ------------------------------------------------------------------------------


def test_pareto_chart_plots_epoch_speed_against_allocated_disk_per_image() -> None:
    rates = {"png": (5_000.0, 9_000.0), "lmdb": (60_000.0, 50_000.0), "raw": (80_000.0, 1.0)}
    doc = with_epochs(make_document(cutoffs=CUTOFFS), rates)
    chart = pareto_chart(doc, log=False)
    points = {s.label: s for s in chart.series if s.label != FRONT_LABEL}
    assert list(points) == ["png", "lmdb", "raw"]  # hdf5 ran no epoch: no point
    for store, (one, two) in rates.items():
        (x,) = points[store].xs
        (y,) = points[store].ys
        disk = expected_sizes(store, 1_000)[1] / 1_000  # allocated bytes per image
        assert x * 1e3 == pytest.approx(disk)  # the x axis is in kB
        assert y == pytest.approx(max(one, two))  # the best worker count, epoch 1
        assert points[store].point_labels == (store,)  # the name beside the point
    assert "epoch 1" in chart.note and "best loader worker count" in chart.note


def test_pareto_chart_marks_the_front_with_a_line() -> None:
    rates = {"png": (5_000.0, 9_000.0), "lmdb": (60_000.0, 50_000.0), "raw": (80_000.0, 1.0)}
    chart = pareto_chart(with_epochs(make_document(cutoffs=CUTOFFS), rates), log=False)
    front = chart.series[-1]
    assert front.label == FRONT_LABEL and front.style == "line"
    # raw (3.07 kB/image, fastest) beats lmdb; png is 4.1 kB allocated and slowest
    assert len(front.xs) == 1
    assert "on the front: raw" in chart.note


def test_without_epochs_the_chart_falls_back_to_read_many_and_says_so() -> None:
    chart = pareto_chart(make_document(cutoffs=CUTOFFS), log=False)
    assert "read many" in chart.note and "no epochs" in chart.note
    points = {s.label: s for s in chart.series if s.label != FRONT_LABEL}
    assert list(points) == list(ALL_BACKENDS)
    raw = 1_000 / expected_median("raw", "read_many", 1_000)
    assert points["raw"].ys[0] == pytest.approx(raw)


def test_pareto_axes_turn_log_when_a_span_exceeds_10x() -> None:
    rates = {"png": (1_000.0, 1_000.0), "raw": (100_000.0, 100_000.0)}
    chart = pareto_chart(with_epochs(make_document(cutoffs=CUTOFFS), rates))
    assert chart.log_y and not chart.log_x  # 100x in speed, under 2x in disk
    assert chart.y_tick_labels[0] == "1k" and chart.y_tick_labels[-1] == "100k"
    (raw,) = (s for s in chart.series if s.label == "raw")
    assert raw.ys[0] == pytest.approx(math.log10(100_000))
    both = pareto_chart(with_epochs(make_document(cutoffs=CUTOFFS), rates), log=True)
    assert both.log_x and both.log_y


def test_pareto_chart_names_the_lossy_stores() -> None:
    doc = make_document(cutoffs=CUTOFFS)
    doc["stores"] = {"png": {"lossless": True}, "lmdb": {"lossless": False}}
    assert "lossy (reads back other pixels): lmdb" in pareto_chart(doc).note


def test_pareto_chart_without_sizes_says_why() -> None:
    chart = pareto_chart(make_document(with_sizes=False))
    assert chart.empty and chart.note.startswith("no data")


def test_the_pareto_chart_is_among_every_chart() -> None:
    charts = all_charts(make_document(cutoffs=CUTOFFS))
    assert charts[-1].key == "pareto"
    assert format_count(1_000) in charts[-1].note
