"""The headless reports: header, tables, plotext charts and comparisons, read as text."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from rich.console import Console
from rich.text import Text

from imgbench.core.chart_baseline import throughput_vs_raw_chart
from imgbench.core.chart_disk import disk_usage_chart
from imgbench.core.chart_single import single_image_chart
from imgbench.core.chart_time import store_time_chart
from imgbench.core.chart_types import Chart, Series
from imgbench.core.charts import all_charts
from imgbench.core.results import compare_documents
from imgbench.tui.comparison_text import render_comparison
from imgbench.tui.document_text import charts_to_show, render_document
from imgbench.tui.measurement_tables import render_summary
from imgbench.tui.plot_bars import LABEL_ROWS
from imgbench.tui.plot_styles import legend_text
from imgbench.tui.terminal_chart import chart_canvas, draw_chart, render_chart
from result_docs import (
    ALL_BACKENDS,
    cancelled_document,
    epoch_rows,
    make_document,
    rebuilt,
    with_changes,
    with_noise_fields,
    with_times_scaled,
)

CUTOFFS = (10, 100, 1_000)


def recording(width: int = 120, *, colour: bool = False) -> Console:
    if colour:
        return Console(record=True, width=width, force_terminal=True, color_system="standard")
    return Console(record=True, width=width)


def document_text(doc: dict[str, Any], width: int = 120, **options: Any) -> str:
    console = recording(width)
    render_document(doc, console, width=width, **options)
    return console.export_text()


def widest_line(text: str) -> int:
    return max(len(line.rstrip()) for line in text.splitlines())


# -- plotext canvases -----------------------------------------------------------------------


def plain(canvas: str) -> str:
    return Text.from_ansi(canvas).plain


def canvas_rows(chart: Chart, *, width: int, height: int) -> list[str]:
    """The data area of a drawn chart, top row first: the rows between the frame's top
    and bottom edges, the columns between its left and right edges."""
    lines = plain(chart_canvas(chart, width=width, height=height)).splitlines()
    top = next(i for i, line in enumerate(lines) if "┌" in line)
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    left = lines[top].index("┌") + 1
    right = lines[top].index("┐")
    return [line[left:right] for line in lines[top + 1 : bottom]]


def bar_chart_of(values: dict[str, list[float]], labels: dict[str, list[str]]) -> Chart:
    """Bars on a linear axis from 0 to 100 (ticks every 20)."""
    categories = ("png", "lmdb", "raw")
    positions = tuple(float(i) for i in range(len(categories)))
    return Chart(
        key="bars",
        title="Bars",
        x_label="store",
        y_label="ms",
        kind="bar",
        series=tuple(
            Series(name, positions, tuple(ys), point_labels=tuple(labels[name]))
            for name, ys in values.items()
        ),
        x_ticks=positions,
        x_tick_labels=categories,
        y_ticks=(0.0, 20.0, 40.0, 60.0, 80.0, 100.0),
        y_tick_labels=("0", "20 ms", "40 ms", "60 ms", "80 ms", "100 ms"),
    )


def test_line_chart_canvas_has_title_and_tick_labels_and_the_legend_goes_below() -> None:
    chart = store_time_chart(make_document(cutoffs=CUTOFFS), log=True)
    canvas = chart_canvas(chart, width=90, height=20)
    for text in (chart.title, "1k", "100 ms", "1 ms"):
        assert text in canvas
    assert "\x1b[" in canvas  # coloured series; rich decides whether to keep the colour
    assert not any(label in plain(canvas) for label in ("png", "lmdb", "hdf5"))  # no legend
    legend = legend_text(chart)
    assert legend is not None
    assert legend.plain == "─• png   ─x lmdb   ─+ hdf5   ─o raw"
    console = recording(90)
    render_chart(chart, console, width=90)
    text = console.export_text()
    assert text.index("1k") < text.index("─• png")  # under the figure


@pytest.mark.parametrize(
    "chart",
    [
        disk_usage_chart(make_document(cutoffs=CUTOFFS)),
        single_image_chart(make_document(cutoffs=CUTOFFS), log=True),
        single_image_chart(make_document(cutoffs=CUTOFFS), log=False),
    ],
    ids=["disk", "log-bars", "linear-bars"],
)
def test_bar_charts_name_every_category_and_series_and_label_every_bar(chart: Chart) -> None:
    console = recording(90)
    render_chart(chart, console, width=90)
    text = console.export_text()
    for label in [s.label for s in chart.series] + list(chart.categories):
        assert label in text
    drawn = plain(chart_canvas(chart, width=90, height=20))
    for series in chart.series:
        for words in series.point_labels:
            assert words in drawn or words.replace(" ", "") in drawn, words


def test_a_bar_is_never_drawn_taller_than_its_value_and_a_tiny_one_is_labelled() -> None:
    chart = bar_chart_of(
        {"store one": [100.0, 10.0, 1.0]}, {"store one": ["100 ms", "10 ms", "1 ms"]}
    )
    rows = canvas_rows(chart, width=60, height=25)  # 20 rows of data
    frame_rows = len(rows)

    def filled(column_text: int) -> int:
        return sum(1 for line in rows if line[column_text] == "█")

    def column_of(category: int) -> int:
        return round((category + 0.5) / 3 * len(rows[0]))

    heights = [filled(column_of(i)) for i in range(3)]
    top = 100.0 * frame_rows / (frame_rows - LABEL_ROWS)  # the axis' top, above 100 ms
    for value, height in zip((100.0, 10.0, 1.0), heights, strict=True):
        assert height <= value / top * frame_rows + 1e-9  # never taller than the value
        assert height >= value / top * frame_rows - 1  # and short by less than a row
    assert heights[2] == 0  # 1 ms is less than a row: no bar at all
    assert heights[0] > 5 * heights[1] > 0  # 100 ms and 10 ms do not look alike
    drawn = "\n".join(rows)
    for words in ("100 ms", "10 ms", "1 ms"):
        assert words in drawn  # the tiny bar is still said


def test_bar_labels_sit_above_their_bars_without_running_together() -> None:
    chart = bar_chart_of(
        {"a": [50.0, 52.0, 20.0], "b": [51.0, 53.0, 21.0]},
        {"a": ["50.0 ms", "52.0 ms", "20.0 ms"], "b": ["51.0 ms", "53.0 ms", "21.0 ms"]},
    )
    rows = canvas_rows(chart, width=44, height=20)  # bars narrower than their labels
    drawn = "\n".join(rows)
    for words in ("50.0", "51.0", "52.0", "53.0", "20.0", "21.0"):
        assert words in drawn.replace(" ", "")
    for line in rows:
        assert "ms5" not in line and "ms2" not in line  # a space between two labels


def test_points_in_one_cell_are_moved_apart_so_every_one_shows() -> None:
    same = (1.0, 2.0, 3.0)
    chart = Chart(
        key="lines",
        title="Lines",
        x_label="n",
        y_label="s",
        kind="line",
        series=tuple(Series(name, same, (1.0, 1.0, 1.0)) for name in ("png", "lmdb", "raw")),
        x_ticks=same,
        x_tick_labels=("10", "100", "1k"),
        y_ticks=(0.0, 1.0, 2.0),
        y_tick_labels=("0", "1 s", "2 s"),
    )
    drawn = "\n".join(canvas_rows(chart, width=60, height=15))
    for marker in ("•", "x", "o"):  # png's, lmdb's and raw's, at every n
        assert drawn.count(marker) == 3


def test_a_reference_line_is_drawn_and_named() -> None:
    chart = throughput_vs_raw_chart(make_document(cutoffs=CUTOFFS), "read_many")
    assert len(chart.references) == 1
    console = recording(90)
    render_chart(chart, console, width=90)
    assert "raw = 100%" in console.export_text()
    assert "─" * 10 in "\n".join(canvas_rows(chart, width=90, height=20))


def test_two_compared_runs_share_a_store_colour_and_differ_in_marker() -> None:
    xs = (1.0, 2.0)
    chart = Chart(
        key="time-store_many",
        title="Two runs",
        x_label="n",
        y_label="s",
        kind="line",
        series=(
            Series("png (A)", xs, (1.0, 2.0), color_key="png"),
            Series("png (B)", xs, (1.5, 3.0), color_key="png", variant=1),
            Series("lmdb (A)", xs, (0.2, 0.4), color_key="lmdb"),
            Series("lmdb (B)", xs, (0.3, 0.5), color_key="lmdb", variant=1),
        ),
        x_ticks=xs,
        x_tick_labels=("10", "100"),
        y_ticks=(0.0, 1.0, 2.0, 3.0),
        y_tick_labels=("0", "1 s", "2 s", "3 s"),
    )
    legend = legend_text(chart)
    assert legend is not None
    assert legend.plain.startswith("── png   ── lmdb")  # each store once
    assert "A: • joined by a line" in legend.plain and "B: o without" in legend.plain
    colours = {str(span.style) for span in legend.spans if "color" in str(span.style)}
    assert len(colours) == 2  # one colour per store
    drawn = "\n".join(canvas_rows(chart, width=60, height=15))
    assert drawn.count("•") == 4 and drawn.count("o") == 4


def test_a_single_series_bar_chart_draws_without_a_legend() -> None:
    chart = Chart(
        key="one",
        title="One series",
        x_label="backend",
        y_label="kB",
        kind="bar",
        series=(Series("only", (0.0, 1.0), (2.0, 3.0)),),
        x_ticks=(0.0, 1.0),
        x_tick_labels=("png", "lmdb"),
    )
    canvas = chart_canvas(chart, width=60, height=15)
    assert "png" in canvas and "lmdb" in canvas and "only" not in canvas


@pytest.mark.parametrize("width", [60, 150])
def test_canvas_is_as_wide_as_asked_whatever_the_terminal(width: int) -> None:
    chart = store_time_chart(make_document(cutoffs=CUTOFFS))
    console = recording(200)
    render_chart(chart, console, width=width)
    canvas = console.export_text().split("─• png")[0]
    assert widest_line(canvas) == width


def test_canvas_keeps_to_the_width_it_is_given() -> None:
    chart = store_time_chart(make_document(cutoffs=CUTOFFS))
    console = recording(200)
    render_document(make_document(cutoffs=CUTOFFS), console, width=60)
    assert widest_line(console.export_text().split(chart.title)[1]) <= 60


# -- a whole document -----------------------------------------------------------------------


def test_document_header_says_what_ran_where() -> None:
    text = document_text(make_document(cutoffs=CUTOFFS))
    assert "imgbench 0.1.0" in text
    assert "complete" in text
    assert "synthetic · 1,000 images of 32x32x3 · sha256 ab12ab12ab12…" in text
    assert "n = 10, 100, 1k" in text and "3 repeats + 1 warm-up" in text
    assert "warm cache" in text and "durable (synced)" in text
    assert "Python 3.11.9" in text and "8 cores" in text and "32.0 GB RAM" in text
    assert "work dir on ext4" in text


def test_document_has_the_table_and_every_chart() -> None:
    doc = make_document(cutoffs=CUTOFFS)
    text = document_text(doc)
    assert "Measurements" in text and "verified" in text and "stdev" in text
    for chart in all_charts(doc):
        assert chart.title in text
    assert "store single" in text and "3.20 ms" in text  # png store_single n=10


def test_log_document_labels_ticks_in_real_units() -> None:
    text = document_text(make_document(cutoffs=CUTOFFS), log=True)
    assert "median time (log scale)" in text
    assert "100 ms" in text and "10 µs" in text


def test_cancelled_document_shows_status_notes_errors_and_partial_charts() -> None:
    doc = cancelled_document()
    doc["errors"] = [{"task": "hdf5 store_many n=1,000", "message": "disk full"}]
    text = document_text(doc)
    assert "cancelled" in text
    assert "note: cancelled by the user" in text
    assert "error: hdf5 store_many n=1,000: disk full" in text
    assert "hdf5 @100" in text  # the disk and single-image bars say where each stopped


def test_document_without_an_experiment_still_renders() -> None:
    doc = make_document(cutoffs=CUTOFFS, experiments=("store_many", "read_many"))
    text = document_text(doc)
    assert "no data: this run has no read random measurements" in text
    assert "no data: this run has no one-by-one store or read measurements" in text
    assert store_time_chart(doc).title in text


def test_document_without_measurements_or_sections_still_renders() -> None:
    doc = with_changes(make_document(), measurements=[], environment={}, dataset={})
    text = document_text(doc)
    assert "no measurements" in text
    assert "data: not recorded" in text and "machine: not recorded" in text
    # an empty chart has no second scale to show
    assert text.count("no data:") == len(charts_to_show(doc, None)) == len(all_charts(doc))


@pytest.mark.parametrize("log", [False, True])
def test_document_fits_80_columns(log: bool) -> None:
    text = document_text(make_document(), width=80, log=log)
    assert widest_line(text) <= 80
    assert "a wider terminal shows k, min and stdev" in text
    assert "store single" in text and "100 ms" in text  # cells are not cut short


def test_failed_verification_is_shown() -> None:
    doc = make_document(backends=("lmdb",), experiments=("read_many",), cutoffs=(10,))
    doc["measurements"][0]["verified"] = False
    assert "NO" in document_text(doc)


# -- summary --------------------------------------------------------------------------------


def test_summary_shows_medians_at_the_largest_n() -> None:
    console = recording()
    render_summary(make_document(cutoffs=CUTOFFS), console)
    text = console.export_text()
    assert "Median time at n = 1,000" in text
    for backend in ALL_BACKENDS:
        assert backend in text
    assert "2.00 s" in text  # lmdb store_single, n = 1,000 (a sync per image)
    assert "disk" in text and "4.10 MB" in text  # png store_many, n = 1,000


def test_summary_of_a_cancelled_run_marks_what_is_missing() -> None:
    console = recording()
    render_summary(cancelled_document(), console)
    text = console.export_text()
    assert "Median time at the largest n" in text
    assert "n=1k" in text and "n=100" in text
    hdf5_line = next(line for line in text.splitlines() if "hdf5" in line)
    assert "—" in hdf5_line


def test_summary_highlights_the_fastest_in_green() -> None:
    console = recording(colour=True)
    render_summary(make_document(cutoffs=CUTOFFS), console)
    styled = console.export_text(styles=True)
    raw_line = next(line for line in styled.splitlines() if "raw" in line)
    png_line = next(line for line in styled.splitlines() if "png" in line)
    assert re.search(r"\x1b\[1;32m\s*1\.20 ms", raw_line)  # raw is fastest at read_many
    assert "\x1b[1;32m" not in png_line


def test_summary_without_measurements() -> None:
    console = recording()
    render_summary(with_changes(make_document(), measurements=[]), console)
    assert "No measurements" in console.export_text()


# -- comparison -----------------------------------------------------------------------------


def compare(
    doc_a: dict[str, Any], doc_b: dict[str, Any], *, colour: bool = False
) -> tuple[str, str]:
    console = recording(colour=colour)
    comparison = compare_documents(doc_a, doc_b)
    render_comparison(doc_a, doc_b, comparison, console, names=("before.json", "after.json"))
    return console.export_text(clear=False), console.export_text(styles=True) if colour else ""


def test_comparison_of_the_same_setup_shows_ratios_in_words() -> None:
    doc_a = make_document(cutoffs=CUTOFFS)
    doc_b = with_times_scaled(doc_a, {"png": 2.0, "lmdb": 0.5})
    text, _ = compare(doc_a, doc_b)
    assert "A = before.json" in text and "B = after.json" in text
    assert "Same data set" in text and "Same settings" in text and "Same environment" in text
    assert "2.00x slower" in text and "2.00x faster" in text and "within noise" in text
    png_line = next(line for line in text.splitlines() if "png" in line and "read many" in line)
    assert "2.00x" in png_line and "slower" in png_line
    hdf5_line = next(line for line in text.splitlines() if "hdf5" in line and "read many" in line)
    assert "1.00x" in hdf5_line and "within noise" in hdf5_line


def test_comparison_colours_faster_green_and_slower_red() -> None:
    doc_a = make_document(cutoffs=(10,))
    doc_b = with_times_scaled(doc_a, {"png": 2.0, "lmdb": 0.5})
    _, styled = compare(doc_a, doc_b, colour=True)
    assert "\x1b[32m0.50x" in styled  # lmdb: B faster
    assert "\x1b[31m2.00x" in styled  # png: B slower


def test_comparison_says_when_data_and_settings_differ() -> None:
    doc_a = make_document(cutoffs=CUTOFFS)
    doc_b = make_document(cutoffs=CUTOFFS, sha256="cd34" * 16, settings={"repeats": 5})
    doc_b["environment"]["cpu"] = "Apple M2"
    text, _ = compare(doc_a, doc_b)
    assert "Different data sets" in text
    assert "A ab12ab12ab12…" in text and "B cd34cd34cd34…" in text
    assert "Different settings" in text and "repeats: A 3, B 5" in text
    assert "Different environment" in text and "cpu: A AMD EPYC 7B13, B Apple M2" in text


def test_comparison_lists_rows_only_in_one_file() -> None:
    doc_a = make_document(cutoffs=CUTOFFS)
    doc_b = cancelled_document()
    text, _ = compare(doc_a, doc_b)
    assert "B = after.json (cancelled run: partial results)" in text
    assert "A = before.json\n" in text
    assert "Only in A:" in text and "hdf5 store many n=1k" in text
    assert "Only in B:" not in text


def test_comparison_with_nothing_in_common() -> None:
    doc_a = make_document(backends=("png",))
    doc_b = make_document(backends=("lmdb",))
    text, _ = compare(doc_a, doc_b)
    assert "nothing measured in both" in text
    assert "Only in A:" in text and "Only in B:" in text


@pytest.mark.parametrize("log", [False, True])
def test_draw_chart_works_on_a_textual_plotext_figure_across_redraws(log: bool) -> None:
    from textual_plotext import PlotextPlot

    figure = PlotextPlot().plt
    for chart in all_charts(make_document(cutoffs=CUTOFFS), log=log):
        figure.clear_figure()
        figure.plotsize(90, 20)
        draw_chart(figure, chart, height=20)
        drawings = [figure.build() for _ in range(3)]  # the widget rebuilds on every render
        assert drawings[0] == drawings[2]
        assert chart.title in drawings[0]


def test_time_charts_come_in_both_scales_unless_one_is_asked_for() -> None:
    doc = make_document()
    both = [(chart.key, chart.log_y) for chart in charts_to_show(doc, None)[:4]]
    # each opens on the scale that suits it (log: the values span more than 10x), then
    # shows the other
    assert both == [
        ("time-store_many", True),
        ("time-store_many", False),
        ("time-read_many", True),
        ("time-read_many", False),
    ]
    assert all(chart.log_y for chart in charts_to_show(doc, True)[:2])
    assert not any(chart.log for chart in charts_to_show(doc, False))


# -- noise: intervals, warnings, verdicts ---------------------------------------------------


def noisy_document() -> dict[str, Any]:
    """png and lmdb read many at n = 10 and 100: one steady, one scattered, one on a busy
    machine, one with two samples."""
    doc = with_noise_fields(
        make_document(backends=("png", "lmdb"), experiments=("read_many",), cutoffs=(10, 100))
    )
    rows = doc["measurements"]  # png 10, lmdb 10, png 100, lmdb 100
    rows[0] = rebuilt(rows[0], [0.010, 0.0101, 0.0099, 0.0100, 0.0102])
    rows[1] = rebuilt(rows[1], [0.010, 0.014, 0.007, 0.011, 0.016])
    psi = {"source": "psi", "cpu_some_share": 0.4, "load1": 3.0, "cores": 8}
    rows[2] = rebuilt(rows[2], [0.020, 0.0201, 0.0199], pressure=psi)
    rows[3] = rebuilt(rows[3], [0.030, 0.0301])
    return doc


def test_show_gives_each_median_its_interval() -> None:
    text = document_text(noisy_document(), width=120)
    png_10 = next(line for line in text.splitlines() if "png" in line and " 10 " in line)
    assert "10.0 ms ±1%" in png_10
    assert "±: half the 95% interval of the median" in text


def test_show_lists_each_warning_in_words_under_the_table() -> None:
    text = document_text(noisy_document(), width=120)
    table, _, after = text.partition("Warnings (! after the backend in the table):")
    assert after, "no warnings section"
    lmdb_10 = next(line for line in table.splitlines() if "lmdb" in line and " 10 " in line)
    png_10 = next(line for line in table.splitlines() if "png" in line and " 10 " in line)
    assert "lmdb !" in lmdb_10 and "!" not in png_10
    assert "!: warnings below" in table
    warnings = after.split("Median time")[0]  # up to the first chart
    assert "noisy — other work on the machine" in warnings
    assert "lmdb read many n=10: the 95% interval is ±" in warnings
    assert "busy — other programs" in warnings
    assert "png read many n=100: tasks waited for a CPU during 40% of the run" in warnings
    assert "few samples — " in warnings and "lmdb read many n=100: only 2 timed samples" in warnings
    assert warnings.index("busy") < warnings.index("noisy")  # in the order of the table


def test_a_warning_shared_by_every_measurement_is_said_once() -> None:
    doc = with_noise_fields(make_document(cutoffs=(10, 100)), lambda row: row["samples_s"][:2])
    text = document_text(doc, width=120)
    assert text.count("only 2 timed samples") == 1
    assert "every measurement: only 2 timed samples" in text


def test_files_from_before_the_noise_figures_show_plain_medians_and_no_warnings() -> None:
    text = document_text(make_document(cutoffs=CUTOFFS))
    assert "±" not in text and "Warnings" not in text
    assert "3.20 ms" in text


def test_one_sample_shows_no_interval() -> None:
    doc = with_noise_fields(make_document(cutoffs=(10,)), lambda row: row["samples_s"][:1])
    text = document_text(doc, width=120)
    assert "±" not in text.split("Warnings")[0]
    assert "only 1 timed sample" in text


@pytest.mark.parametrize("width", [80, 100])
def test_noise_figures_and_warnings_fit_the_terminal(width: int) -> None:
    doc = with_noise_fields(
        make_document(cutoffs=(10, 1_000, 100_000)), lambda row: row["samples_s"][:2]
    )
    doc["measurements"][0] = rebuilt(doc["measurements"][0], [0.01, 0.02, 0.04])
    text = document_text(doc, width=width)
    assert widest_line(text) <= width
    table = text.split("Warnings")[0]
    assert "100k" in table and "png !" in table and "±75%" in table  # n short, the mark kept


def test_summary_shows_the_interval_of_each_median() -> None:
    console = recording()
    render_summary(noisy_document(), console)
    text = console.export_text()
    assert "20.0 ms ±0.5%" in text and "30.1 ms ±0.2%" in text  # n = 100, the largest


def compare_text(doc_a: dict[str, Any], doc_b: dict[str, Any]) -> str:
    text, _ = compare(doc_a, doc_b)
    return text


def test_a_document_compared_with_itself_claims_nothing() -> None:
    doc = with_noise_fields(make_document(cutoffs=CUTOFFS))
    text = compare_text(doc, doc)
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert len(rows) == len(doc["measurements"])
    assert all("within noise" in row and "1.00x" in row for row in rows)
    assert "within what two runs of one plan on one machine" in text


def test_runs_of_one_noisy_distribution_get_no_faster_or_slower() -> None:
    rng = np.random.default_rng(7)

    def noisy(row: dict[str, Any]) -> list[float]:
        return (row["median_s"] * rng.lognormal(0, 0.3, 6)).tolist()

    doc_a = with_noise_fields(make_document(cutoffs=CUTOFFS), noisy)
    doc_b = with_noise_fields(make_document(cutoffs=CUTOFFS), noisy)
    text = compare_text(doc_a, doc_b)
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert len(rows) == len(doc_a["measurements"])
    assert all("within noise" in row for row in rows)  # whatever the ratio
    assert not re.search(r"\d\.\d+x (faster|slower)", text)
    assert any(re.search(r"(0\.[0-7]\d|1\.[3-9]\d)x", line) for line in rows)  # ratios far off 1


def test_clearly_separated_runs_get_the_right_words_and_colours() -> None:
    doc_a = make_document(backends=("png", "lmdb"), cutoffs=(10,))
    doc_b = with_times_scaled(doc_a, {"png": 2.5, "lmdb": 0.4})
    text, styled = compare(doc_a, doc_b, colour=True)
    png_line = next(line for line in text.splitlines() if "png" in line and "read many" in line)
    lmdb_line = next(line for line in text.splitlines() if "lmdb" in line and "read many" in line)
    assert "2.50x slower" in png_line and "2.50x faster" in lmdb_line
    assert "\x1b[31m2.50x slower" in styled and "\x1b[32m2.50x faster" in styled


def test_the_epoch_table_fits_80_columns_with_its_numbers_whole_and_right_aligned() -> None:
    from imgbench.tui.epoch_summary import epoch_table

    doc = make_document(cutoffs=CUTOFFS)
    for store, rate in (("parquet+png", 2_744.2), ("raw", 84_665.0)):
        doc["measurements"] += epoch_rows(
            store, lambda workers, _, rate=rate: rate * workers, first_batch_s=0.0725
        )
        doc["measurements"].append(
            {
                "backend": store,
                "experiment": "read_latency",
                "n": 1_000,
                "latency_s": {"p50": 2.71e-4, "p99": 2.31e-3},
            }
        )
    console = recording(80)
    console.print(epoch_table(doc))
    text = console.export_text()
    assert "…" not in text and widest_line(text) <= 80
    assert "read_one" in text and "p99" in text  # headers whole, not "read_o…"
    rows = [line for line in text.splitlines() if line.startswith(("parquet+png", "raw"))]
    assert len(rows) == 2 and len({len(row.rstrip()) for row in rows}) == 1  # right-aligned
