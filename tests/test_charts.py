"""Chart and table data from results documents: values, units, ticks and missing data."""

from __future__ import annotations

import math
from typing import Any

import pytest

from imgbench.core.chart_baseline import throughput_vs_raw_chart
from imgbench.core.chart_disk import disk_usage_chart
from imgbench.core.chart_single import single_image_chart
from imgbench.core.chart_table import TABLE_COLUMNS, largest_n_medians, table_rows
from imgbench.core.chart_time import random_read_chart, read_time_chart, store_time_chart
from imgbench.core.chart_types import Chart
from imgbench.core.chart_words import (
    format_bytes,
    format_count,
    format_rate,
    format_ratio,
    format_seconds,
    seconds_decade_label,
)
from imgbench.core.charts import all_charts
from imgbench.core.epoch_charts import (
    epoch_throughput_chart,
    epochs_chart,
    first_batch_chart,
    latency_histogram_chart,
)
from imgbench.core.results import document_problems
from result_docs import (
    ALL_BACKENDS,
    CLASSIC_CUTOFFS,
    cancelled_document,
    epoch_rows,
    expected_median,
    expected_sizes,
    make_document,
    with_changes,
)

CUTOFFS = (10, 100, 1_000)


def series_by_label(chart: Chart) -> dict[str, Any]:
    return {series.label: series for series in chart.series}


# -- the test documents themselves ----------------------------------------------------------


@pytest.mark.parametrize(
    "doc",
    [make_document(), cancelled_document(), make_document(with_sizes=False)],
    ids=["complete", "cancelled", "no-sizes"],
)
def test_test_documents_pass_the_results_validation(doc: dict[str, Any]) -> None:
    assert document_problems(doc) == []


# -- formatting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0123, "12.3 ms"),
        (0.000_001_5, "1.50 µs"),
        (4.2e-8, "42.0 ns"),
        (2.0, "2.00 s"),
        (0.9997, "1.00 s"),  # rounds up into the next unit, not "1000 ms"
        (125.0, "125 s"),
        (3_000.0, "50.0 min"),
        (7_200.0, "2.00 h"),
        (0.0, "0 s"),
        (None, "—"),
        (float("nan"), "—"),
        (-1.0, "—"),
    ],
)
def test_format_seconds(seconds: float | None, text: str) -> None:
    assert format_seconds(seconds) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (512, "512 B"),
        (3_072, "3.07 kB"),
        (999_999, "1.00 MB"),
        (1_234_567_890, "1.23 GB"),
        (2_500_000_000_000, "2.50 TB"),
        (None, "—"),
    ],
)
def test_format_bytes(size: int | None, text: str) -> None:
    assert format_bytes(size) == text


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (10, "10"),
        (512, "512"),
        (1_000, "1k"),
        (1_500, "1.5k"),
        (12_345, "12.3k"),
        (100_000, "100k"),
        (999_999, "1M"),
        (2_500_000, "2.5M"),
        (0.5, "0.5"),
        (None, "—"),
    ],
)
def test_format_count(count: float | None, text: str) -> None:
    assert format_count(count) == text


def test_format_rate_and_ratio() -> None:
    assert format_rate(12_345.6) == "12,346"
    assert format_rate(12.345) == "12.3"
    assert format_rate(None) == "—"
    assert format_ratio(0.5) == "0.50x"
    assert format_ratio(None) == "—"


@pytest.mark.parametrize(
    ("exponent", "label"),
    [
        (-6, "1 µs"),
        (-4, "100 µs"),
        (-3, "1 ms"),
        (-2, "10 ms"),
        (-1, "100 ms"),
        (0, "1 s"),
        (1, "10 s"),
        (2, "100 s"),
        (4, "10,000 s"),
        (-9, "1 ns"),
        (-12, "1e-12 s"),
    ],
)
def test_seconds_decade_label(exponent: int, label: str) -> None:
    assert seconds_decade_label(exponent) == label


# -- time against n -------------------------------------------------------------------------


def test_log_store_chart_plots_log10_of_medians_against_log10_n() -> None:
    chart = store_time_chart(make_document(cutoffs=CUTOFFS), log=True)
    assert chart.log_y and chart.kind == "line"
    assert [s.label for s in chart.series] == list(ALL_BACKENDS)
    for series in chart.series:
        assert series.xs == pytest.approx([1.0, 2.0, 3.0])
        medians = [expected_median(series.label, "store_many", n) for n in CUTOFFS]
        assert series.ys == pytest.approx([math.log10(m) for m in medians])


def test_log_chart_ticks_are_decades_labelled_in_real_units() -> None:
    chart = read_time_chart(make_document(cutoffs=CLASSIC_CUTOFFS), log=True)
    assert chart.x_tick_labels == ("10", "100", "1k", "10k", "100k")
    assert chart.x_ticks == pytest.approx([1, 2, 3, 4, 5])
    # read_many medians run from 210 µs (raw, n=10) to just over 10 s (png, n=100,000):
    # seven decades are too many ticks for 80x24, so every second one
    assert chart.y_tick_labels == ("100 µs", "10 ms", "1 s", "100 s")
    assert chart.y_ticks == (-4.0, -2.0, 0.0, 2.0)
    all_ys = [y for s in chart.series for y in s.ys]
    assert chart.y_ticks[0] <= min(all_ys) and max(all_ys) <= chart.y_ticks[-1]


def test_log_ticks_of_a_few_decades_are_1_2_5() -> None:
    doc = make_document(backends=("png", "lmdb"), experiments=("read_many",), cutoffs=(10,))
    chart = read_time_chart(doc, log=True)  # 260 µs to 1.2 ms
    assert chart.y_tick_labels == ("200 µs", "500 µs", "1 ms", "2 ms")
    assert chart.y_ticks == pytest.approx([math.log10(v) for v in (2e-4, 5e-4, 1e-3, 2e-3)])


def test_log_ticks_span_at_least_one_decade() -> None:
    doc = make_document(backends=("raw",), experiments=("read_many",), cutoffs=(10,))
    chart = read_time_chart(doc, log=True)
    assert len(chart.y_ticks) >= 2


def test_linear_chart_picks_milliseconds_for_short_runs() -> None:
    chart = store_time_chart(make_document(cutoffs=CUTOFFS), log=False)
    assert not chart.log_y
    assert chart.y_label == "median time (ms)"
    png = series_by_label(chart)["png"]
    assert png.ys == pytest.approx([expected_median("png", "store_many", n) * 1e3 for n in CUTOFFS])
    # round ticks in ms from 0 past png's 250 ms, labelled in units
    assert chart.y_ticks == (0.0, 100.0, 200.0, 300.0)
    assert chart.y_tick_labels == ("0", "100 ms", "200 ms", "300 ms")


def test_linear_chart_picks_seconds_for_long_runs_and_points_to_the_log_scale() -> None:
    chart = store_time_chart(make_document(cutoffs=CLASSIC_CUTOFFS), log=False)
    assert chart.y_label == "median time (s)"
    assert series_by_label(chart)["png"].ys[-1] == pytest.approx(25.0002)
    assert chart.y_tick_labels == ("0", "10 s", "20 s", "30 s")
    assert "log scale" in chart.note


def test_time_charts_open_on_log_axes_when_the_values_span_more_than_10x() -> None:
    wide = make_document(cutoffs=CUTOFFS)  # raw stores 1,000 in 1.2 ms, png in 250 ms
    assert store_time_chart(wide).log_y and not store_time_chart(wide, log=False).log_y
    narrow = make_document(backends=("png",), experiments=("store_many",), cutoffs=(100, 1_000))
    assert not store_time_chart(narrow).log_y  # 25 ms to 250 ms: a linear axis shows both
    assert store_time_chart(narrow, log=True).log_y


def test_linear_chart_picks_microseconds_for_tiny_times() -> None:
    doc = make_document(backends=("raw",), experiments=("read_many",), cutoffs=(10, 100))
    assert read_time_chart(doc).y_label == "median time (µs)"


def test_store_time_chart_of_store_single() -> None:
    chart = store_time_chart(make_document(cutoffs=CUTOFFS), "store_single", log=True)
    assert "store single" in chart.title
    lmdb = series_by_label(chart)["lmdb"]
    assert lmdb.ys[-1] == pytest.approx(math.log10(expected_median("lmdb", "store_single", 1_000)))


def test_random_read_chart_says_k_and_plots_read_random() -> None:
    doc = make_document(cutoffs=CUTOFFS, k=50)
    chart = random_read_chart(doc, log=True)
    assert "k = 50" in chart.title
    hdf5 = series_by_label(chart)["hdf5"]
    expected = [math.log10(expected_median("hdf5", "read_random", n, k=50)) for n in CUTOFFS]
    assert hdf5.ys == pytest.approx(expected)


def test_random_read_chart_finds_k_in_rows_when_settings_lack_it() -> None:
    doc = make_document(cutoffs=CUTOFFS, k=50)
    del doc["settings"]["k"]
    assert "k = 50" in random_read_chart(doc).title


# -- one image at a time --------------------------------------------------------------------


def test_single_image_chart_shows_time_per_image_at_the_largest_n() -> None:
    chart = single_image_chart(make_document(cutoffs=CUTOFFS), log=False)
    assert chart.kind == "bar"
    assert chart.categories == ALL_BACKENDS
    store, read = chart.series
    assert (store.label, read.label) == ("store one", "read one")
    assert chart.y_label == "median time per image (ms)"
    lmdb = ALL_BACKENDS.index("lmdb")
    per_image_ms = expected_median("lmdb", "store_single", 1_000) / 1_000 * 1e3
    assert store.ys[lmdb] == pytest.approx(per_image_ms)
    # every bar says its value (in the axis' unit, ms), so one too short to see is read
    assert store.point_labels[lmdb] == "2.00"
    assert read.point_labels[ALL_BACKENDS.index("raw")] == "2.20 µs"  # not "0.00"
    # on log axes (no one unit) each label carries its own
    logs = single_image_chart(make_document(cutoffs=CUTOFFS), log=True)
    assert logs.series[0].point_labels[lmdb] == format_seconds(per_image_ms / 1e3)
    assert logs.series[1].point_labels[ALL_BACKENDS.index("raw")] == "2.20 µs"


def test_single_image_log_bars_rise_from_the_lowest_decade() -> None:
    chart = single_image_chart(make_document(cutoffs=CUTOFFS), log=True)
    assert chart.log_y
    low_exponent = -6  # raw reads about 2.2 µs per image
    assert chart.y_tick_labels[0] == seconds_decade_label(low_exponent)
    assert chart.y_ticks[0] == 0.0
    read = chart.series[1]
    png_per_image = expected_median("png", "read_single", 1_000) / 1_000
    assert read.ys[0] == pytest.approx(math.log10(png_per_image) - low_exponent)
    assert all(y >= 0 for s in chart.series for y in s.ys)


def test_single_image_chart_marks_backends_that_stopped_at_a_smaller_n() -> None:
    chart = single_image_chart(cancelled_document())
    assert chart.categories == ("png @1k", "lmdb @1k", "hdf5 @100", "raw @100")


def test_single_image_chart_with_only_stores_keeps_one_series_and_says_so() -> None:
    doc = make_document(experiments=("store_single",))
    chart = single_image_chart(doc)
    assert [s.label for s in chart.series] == ["store one"]
    assert "no read single data" in chart.note


# -- disk -----------------------------------------------------------------------------------


def test_disk_chart_shows_apparent_and_allocated_bytes_per_image_side_by_side() -> None:
    chart = disk_usage_chart(make_document(cutoffs=CUTOFFS), log=False)
    assert chart.kind == "bar"
    assert chart.categories == ALL_BACKENDS
    apparent, allocated = chart.series
    assert (apparent.label, allocated.label) == ("apparent (ls -l)", "allocated (du)")
    assert chart.y_label == "bytes per image (kB)"
    for index, backend in enumerate(ALL_BACKENDS):
        size_apparent, size_allocated = expected_sizes(backend, 1_000)
        assert apparent.ys[index] * 1e3 == pytest.approx(size_apparent / 1_000)
        assert allocated.ys[index] * 1e3 == pytest.approx(size_allocated / 1_000)
        assert allocated.point_labels[index] == format_bytes(size_allocated / 1_000)[:-3]
    # the two disagree on the smallest store: png by its files' bytes, not by its blocks
    png = ALL_BACKENDS.index("png")
    assert apparent.ys[png] == min(apparent.ys) and allocated.ys[png] == max(allocated.ys)
    assert "png 1.8x" in chart.note and "n = 1,000" in chart.note


def test_disk_chart_draws_the_pixels_as_a_line_of_reference() -> None:
    chart = disk_usage_chart(make_document(cutoffs=CUTOFFS), log=False)
    (pixels,) = chart.references
    assert pixels.label == "pixels 3.07 kB" and pixels.y == pytest.approx(3.072)
    assert "3,072 B" in chart.note
    doc = make_document(cutoffs=CUTOFFS)
    doc["dataset"]["shape"] = None
    assert disk_usage_chart(doc).references == ()


def test_disk_chart_prefers_store_many_and_falls_back_to_store_single() -> None:
    doc = make_document(cutoffs=(10,), drop={("hdf5", "store_many", 10)})
    for row in doc["measurements"]:
        if row["experiment"] == "store_single" and row["backend"] == "png":
            row["bytes_allocated"] = 1  # store_many's number must win for png
    chart = disk_usage_chart(doc, log=False)
    _, allocated = chart.series
    png, hdf5 = ALL_BACKENDS.index("png"), ALL_BACKENDS.index("hdf5")
    assert chart.y_label == "bytes per image (kB)"
    assert allocated.ys[png] * 1e3 == pytest.approx(expected_sizes("png", 10)[1] / 10)
    assert allocated.ys[hdf5] * 1e3 == pytest.approx(expected_sizes("hdf5", 10)[1] / 10)


def test_disk_chart_of_a_cancelled_run_marks_each_stores_n() -> None:
    chart = disk_usage_chart(cancelled_document())
    assert chart.categories == ("png @1k", "lmdb @1k", "hdf5 @100", "raw @100")


def test_disk_chart_without_sizes_says_so() -> None:
    chart = disk_usage_chart(make_document(with_sizes=False))
    assert chart.empty
    assert chart.note.startswith("no data")


# -- against raw ----------------------------------------------------------------------------


@pytest.mark.parametrize("experiment", ["store_many", "read_many"])
def test_throughput_vs_raw_is_a_percentage_of_raw(experiment: str) -> None:
    chart = throughput_vs_raw_chart(make_document(cutoffs=CUTOFFS), experiment, log=False)
    assert chart.kind == "line"
    assert chart.x_tick_labels == ("10", "100", "1k")
    assert [s.label for s in chart.series] == ["png", "lmdb", "hdf5"]  # raw is the 100% line
    for series in chart.series:
        expected = [
            100
            * expected_median("raw", experiment, n)
            / expected_median(series.label, experiment, n)
            for n in CUTOFFS
        ]
        assert series.xs == pytest.approx([1, 2, 3])
        assert series.ys == pytest.approx(expected)
    (line,) = chart.references
    assert line.y == 100.0 and line.label == "raw = 100%"
    assert "baseline" in chart.note and "limit" not in chart.note.replace("not a limit", "")


def test_throughput_vs_raw_explains_stores_above_the_baseline_at_small_n() -> None:
    doc = make_document(cutoffs=CUTOFFS)
    for row in doc["measurements"]:  # lmdb reads 10 and 100 images faster than raw
        if (row["backend"], row["experiment"]) == ("lmdb", "read_many") and row["n"] < 1_000:
            row["median_s"] /= 5
    chart = throughput_vs_raw_chart(doc, "read_many")
    assert "above 100%: lmdb at n = 10, 100" in chart.note
    assert "small n" in chart.note
    assert max(series_by_label(chart)["lmdb"].ys) > chart.references[0].y


def test_throughput_vs_raw_opens_on_log_axes_when_shares_span_more_than_10x() -> None:
    chart = throughput_vs_raw_chart(make_document(cutoffs=CUTOFFS), "read_many")
    assert chart.log_y  # png reads at a few % of raw, hdf5 near it
    assert chart.references[0].y == pytest.approx(2.0)  # log10(100%)
    assert "100%" in chart.y_tick_labels


def test_throughput_vs_raw_without_raw_says_why() -> None:
    doc = make_document(backends=("png", "lmdb"))
    chart = throughput_vs_raw_chart(doc)
    assert chart.empty
    assert "raw baseline" in chart.note


def test_throughput_vs_raw_marks_gaps_as_missing() -> None:
    doc = make_document(cutoffs=CUTOFFS, drop={("png", "read_many", 1_000)})
    chart = throughput_vs_raw_chart(doc, "read_many")
    assert series_by_label(chart)["png"].xs == pytest.approx([1, 2])  # no point at 1k
    assert "missing: png n=1k" in chart.note


# -- missing data ---------------------------------------------------------------------------


def test_a_missing_experiment_gives_an_empty_chart_with_a_note() -> None:
    doc = make_document(experiments=("store_many", "store_single"))
    chart = read_time_chart(doc)
    assert chart.empty
    assert chart.note == "no data: this run has no read many measurements"


def test_a_backend_without_rows_is_named_in_the_note() -> None:
    doc = make_document(drop=lambda key: key[0] == "hdf5" and key[1] == "store_many")
    chart = store_time_chart(doc)
    assert "hdf5" not in series_by_label(chart)
    assert chart.note.split("; ")[0] == "no data for hdf5"


def test_cancelled_run_charts_have_the_points_that_exist() -> None:
    doc = cancelled_document()
    charts = all_charts(doc, log=True)
    assert len(charts) == 8
    store = series_by_label(store_time_chart(doc))
    assert len(store["png"].xs) == 3 and len(store["hdf5"].xs) == 2
    read = read_time_chart(doc)
    assert all(len(series.xs) == 2 for series in read.series)


@pytest.mark.parametrize("log", [False, True])
def test_no_measurements_at_all_gives_only_notes(log: bool) -> None:
    doc = with_changes(make_document(), measurements=[])
    charts = all_charts(doc, log=log)
    assert all(chart.empty and chart.note.startswith("no data") for chart in charts)
    assert table_rows(doc) == []
    assert largest_n_medians(doc) == ([], {}, {})


def test_a_bare_document_does_not_raise() -> None:
    assert all(chart.empty for chart in all_charts({}))
    assert all(chart.empty for chart in all_charts({"measurements": "nonsense", "settings": 3}))


def test_malformed_rows_are_skipped() -> None:
    doc = make_document(backends=("png",), experiments=("read_many",), cutoffs=(10,))
    doc["measurements"] += [
        {"backend": "lmdb"},  # no experiment, no n
        {"backend": "lmdb", "experiment": "read_many", "n": "ten", "median_s": 1.0},
        {"backend": "hdf5", "experiment": "read_many", "n": 10, "median_s": "fast"},
        "not a row",
    ]
    chart = read_time_chart(doc)
    assert [s.label for s in chart.series] == ["png"]
    assert len(table_rows(doc)) == 2  # png, and hdf5 with its median shown as missing


def test_zero_or_negative_medians_are_left_out_of_charts() -> None:
    doc = make_document(backends=("png", "raw"), experiments=("read_many",), cutoffs=(10, 100))
    doc["measurements"][0]["median_s"] = 0.0
    chart = read_time_chart(doc, log=True)
    assert len(series_by_label(chart)["png"].xs) == 1


# -- the table ------------------------------------------------------------------------------


def test_table_rows_format_every_measurement_for_people() -> None:
    doc = make_document(cutoffs=CUTOFFS)
    rows = table_rows(doc)
    assert len(rows) == len(doc["measurements"])
    assert all(len(cells) == len(TABLE_COLUMNS) for cells in rows)
    first = dict(zip(TABLE_COLUMNS, rows[0], strict=True))
    assert first["backend"] == "png" and first["experiment"] == "store single"
    assert first["n"] == "10" and first["median"] == format_seconds(3.2e-3)
    assert first["disk"] == "41.0 kB" and first["verified"] == ""
    last = dict(zip(TABLE_COLUMNS, rows[-1], strict=True))
    assert (last["backend"], last["experiment"], last["n"]) == ("raw", "read random", "1,000")
    assert last["verified"] == "yes" and last["disk"] == ""


def test_table_rows_flag_a_failed_verification() -> None:
    doc = make_document(backends=("lmdb",), experiments=("read_many",), cutoffs=(10,))
    doc["measurements"][0]["verified"] = False
    (row,) = table_rows(doc)
    assert row[TABLE_COLUMNS.index("verified")] == "NO"


def test_table_rows_come_in_backend_experiment_n_order() -> None:
    doc = make_document(cutoffs=CUTOFFS)
    doc["measurements"].reverse()
    keys = [(cells[0], cells[1], cells[2]) for cells in table_rows(doc)]
    first_three = [("png", "store single", n) for n in ("10", "100", "1,000")]
    assert keys[:3] == first_three


def test_largest_n_medians_for_a_cancelled_run() -> None:
    experiments, largest, at_largest = largest_n_medians(cancelled_document())
    assert experiments == ["store_single", "read_single", "store_many", "read_many", "read_random"]
    assert largest["store_many"] == 1_000 and largest["read_many"] == 100
    assert ("png", "store_many") in at_largest and ("hdf5", "store_many") not in at_largest


# -- the training read ------------------------------------------------------------------------


def with_loader_rows(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with epoch rows at n = 1,000 (1 and 2 workers, epochs 1 and 2) and a
    read-latency histogram per store: raw fast, png slow."""
    rates = {"png": 5_000.0, "lmdb": 60_000.0, "hdf5": 40_000.0, "raw": 85_000.0}
    edges = [10.0**e for e in (-6.0, -5.5, -5.0, -4.5, -4.0, -3.5, -3.0)]
    counts = {
        "png": [0, 0, 0, 10, 80, 10],
        "lmdb": [0, 60, 40, 0, 0, 0],
        "hdf5": [0, 20, 70, 10, 0, 0],
        "raw": [90, 10, 0, 0, 0, 0],
    }
    for store, rate in rates.items():
        doc["measurements"] += epoch_rows(
            store,
            lambda workers, epoch, rate=rate: rate * workers * (1 + (epoch - 1) / 10),
            first_batch_s=(lambda workers: 0.004 * workers) if store != "png" else 0.2,
            median_s=1.0,
        )
        doc["measurements"].append(
            {
                "backend": store,
                "experiment": "read_latency",
                "n": 1_000,
                "median_s": 1e-5,
                "histogram": {"edges_s": edges, "counts": counts[store]},
            }
        )
    return doc


def test_loader_charts_follow_the_time_charts_and_the_pareto_chart_ends() -> None:
    keys = [chart.key for chart in all_charts(with_loader_rows(make_document(cutoffs=CUTOFFS)))]
    assert keys[-5:] == ["epoch-workers", "epoch-1-vs-2", "first-batch", "read-latency", "pareto"]


def test_epoch_throughput_has_round_rate_ticks_and_opens_on_log_axes_past_10x() -> None:
    doc = with_loader_rows(make_document(cutoffs=CUTOFFS))
    chart = epoch_throughput_chart(doc)
    assert chart.log_y  # png 5k/s, raw 170k/s
    assert chart.y_tick_labels == ("5k", "10k", "20k", "50k", "100k", "200k")  # 1-2-5
    linear = epoch_throughput_chart(doc, log=False)
    assert linear.y_tick_labels == ("0", "50k", "100k", "150k", "200k")
    raw = series_by_label(linear)["raw"]
    assert raw.xs == (1.0, 2.0) and raw.ys == pytest.approx([85_000, 170_000])


def test_epoch_bars_are_labelled_with_their_rates() -> None:
    chart = epochs_chart(with_loader_rows(make_document(cutoffs=CUTOFFS)), log=False)
    first, second = chart.series
    assert (first.label, second.label) == ("epoch 1", "epoch 2")
    raw = ALL_BACKENDS.index("raw")
    assert first.point_labels[raw] == "170k" and second.point_labels[raw] == "187k"
    assert chart.y_tick_labels[0] == "0"


def test_first_batch_bars_say_their_times() -> None:
    chart = first_batch_chart(with_loader_rows(make_document(cutoffs=CUTOFFS)))
    assert chart.log_y  # 4 ms against png's 200 ms
    one, _ = chart.series
    assert one.point_labels[ALL_BACKENDS.index("lmdb")] == "4.00 ms"
    assert one.point_labels[ALL_BACKENDS.index("png")] == "200 ms"


def test_latency_lines_are_cumulative_and_marked_at_their_median() -> None:
    chart = latency_histogram_chart(with_loader_rows(make_document(cutoffs=CUTOFFS)))
    assert chart.log_x and chart.x_tick_labels[0] == "1 µs"
    assert chart.y_tick_labels == ("0", "20%", "40%", "60%", "80%", "100%")
    lines = {s.label: s for s in chart.series if s.style == "line"}
    marks = {s.label: s for s in chart.series if s.style == "points"}
    assert lines["raw"].ys == pytest.approx([0, 90, 100])  # rises to 100%, never falls
    assert all(list(s.ys) == sorted(s.ys) for s in lines.values())
    assert marks["raw"].ys == (50.0,)
    # raw's reads: 90% in the first bin (1 µs to 3.16 µs): 50% is reached within it
    assert -6 < marks["raw"].xs[0] < -5.5
    assert marks["raw"].xs[0] < marks["lmdb"].xs[0] < marks["hdf5"].xs[0] < marks["png"].xs[0]
    assert chart.references[0].y == 50.0
