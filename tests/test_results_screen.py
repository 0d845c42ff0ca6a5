"""The results screen, driven through the real app: tabs, scales, save, open, compare, back.

Starting an app costs more than most checks, so a few long sessions each run many
checks in turn (one function each); each check leaves the app where the next expects it.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Footer, Input, Static, TabbedContent, Tabs

from imgbench.core.chart_compare import merged_document
from imgbench.core.chart_time import store_time_chart
from imgbench.core.chart_types import Chart
from imgbench.core.charts import all_charts
from imgbench.core.document_settings import settings_from_document
from imgbench.core.results import load_document, save_document
from imgbench.tui.app import ImgbenchApp, create_app
from imgbench.tui.dialogs import ConfirmDialog, ErrorDialog, PathDialog
from imgbench.tui.measurement_tables import WIDE_TABLE
from imgbench.tui.open_dialog import OpenDialog
from imgbench.tui.results_screen import NUMBER_KEYS, ChartView, ResultsScreen
from imgbench.tui.verdict_view import VerdictView
from result_docs import (
    cancelled_document,
    make_document,
    rebuilt,
    with_noise_fields,
    with_times_scaled,
)

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def canvas(view: ChartView) -> str:
    """The plot as the terminal shows it, colours stripped."""
    return ANSI.sub("", view.plot.plt.build())


def expected_words(chart: Chart) -> list[str]:
    """What a drawn chart must show on its canvas: its categories or x tick labels."""
    return list(chart.x_tick_labels)


def legend(view: ChartView) -> str:
    """The legend under the plot (plotext would draw it over the data)."""
    return str(view.query_one(".chart-legend", Static).render())


def column_labels(table: DataTable[Any]) -> list[str]:
    return [str(column.label) for column in table.columns.values()]


def results(app: App[Any]) -> ResultsScreen:
    screen = app.screen
    assert isinstance(screen, ResultsScreen), f"on {type(screen).__name__}"
    return screen


def saved(tmp_path: Path, doc: dict[str, Any], name: str = "a.json") -> Path:
    path = tmp_path / name
    save_document(doc, path)
    return path


async def show_tab(pilot: Pilot[Any], index: int) -> ResultsScreen:
    """The ``index``-th tab after the Verdict (the charts, then the table...), by its
    number key while there is one."""
    position = index + 1
    screen = results(pilot.app)
    if position < len(NUMBER_KEYS):
        await pilot.press(NUMBER_KEYS[position])
    else:
        screen.query_one(TabbedContent).active = screen.pane_ids[position]
    await pilot.pause()
    assert screen.active_tab == screen.pane_ids[position]
    return screen


async def answer_path(pilot: Pilot[Any], name: str) -> None:
    """Replace the path dialog's text by typing ``name``, then press enter."""
    assert isinstance(pilot.app.screen, (PathDialog, OpenDialog))
    await pilot.press("ctrl+a", "ctrl+k", *name, "enter")
    await pilot.pause()


def make_app(document_path: Path | None = None) -> ImgbenchApp:
    app = create_app(document_path=document_path)
    app.animation_level = "none"  # the sliding tab underline only makes each key press slower
    return app


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Typed paths are short names relative to the test's own folder (typing is slow)."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def document() -> dict[str, Any]:
    return make_document(cutoffs=(10, 100, 1_000, 10_000))


# -- session 1: one saved run at 80x24 --------------------------------------------------------


async def test_one_saved_run_at_80x24(tmp_path: Path, document: dict[str, Any]) -> None:
    """The verdict, every tab, scales, the table, the palette, open, save, back, new run."""
    path = saved(tmp_path, document)
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await check_the_verdict_opens_first_and_fits(pilot, document, (80, 24))
        await check_every_tab_shows_its_chart_and_fits(pilot, document, (80, 24))
        await check_log_axes_when_values_span_10x_and_l_switches_each(pilot, document)
        await check_the_table_right_aligns_its_numbers_at_every_width(pilot)
        await check_p_weighs_the_verdict_by_the_next_priority(pilot)
        await check_the_palette_offers_the_screen_actions(pilot, tmp_path)
        await check_opening_a_corrupt_file_explains_and_keeps_the_screen(pilot, tmp_path)
        await check_the_warning_words_stay_hidden_when_no_row_has_any(pilot, tmp_path, document)
        await check_save_writes_a_file_that_loads_back(pilot, tmp_path, document)
        await check_escape_and_new_run_go_back_to_setup(pilot, path, document)


async def check_the_verdict_opens_first_and_fits(
    pilot: Pilot[Any], document: dict[str, Any], size: tuple[int, int]
) -> None:
    """At the smallest screen (larger ones have more room) the verdict needs no scrolling."""
    assert len({row["backend"] for row in document["measurements"]}) == 4
    screen = results(pilot.app)
    assert screen.active_tab == "tab-verdict"  # the answer first
    view = screen.query_one(VerdictView)
    assert view.region.height > 0 and view.region.bottom <= size[1] - 1
    assert view.virtual_size.height <= view.region.height, "the verdict needs scrolling"
    console = Console(width=size[0], record=True, file=io.StringIO())
    console.print(view.query_one("#verdict-text", Static).content)
    text = console.export_text()
    assert "Use " in text and "training read" in text, text


async def check_every_tab_shows_its_chart_and_fits(
    pilot: Pilot[Any], document: dict[str, Any], size: tuple[int, int]
) -> None:
    screen = results(pilot.app)
    for tab in screen.query_one(Tabs).query("Tab"):
        assert tab.region.right <= size[0], f"tab {tab.id} is cut off"
    for index, chart in enumerate(all_charts(document)):
        screen = await show_tab(pilot, index)
        view = screen.query_one(f"#chart-{chart.key}", ChartView)
        drawn = canvas(view)
        assert chart.title in drawn
        for word in expected_words(chart):
            assert word in drawn, f"{word!r} missing from {chart.key}"
        for series in chart.series:
            named = series.label in legend(view) or series.label in drawn
            assert named, f"{series.label!r} unnamed in {chart.key}"
        plot = view.plot.region
        assert plot.height >= 10 and plot.width == size[0]
        assert plot.bottom <= size[1] - 1, "the plot runs into the footer"
    screen = await show_tab(pilot, 8)
    table = screen.query_one("#measurements", DataTable)
    assert table.row_count == len(document["measurements"])
    assert ("stdev" in column_labels(table)) == (size[0] >= WIDE_TABLE)


async def check_log_axes_when_values_span_10x_and_l_switches_each(
    pilot: Pilot[Any], document: dict[str, Any]
) -> None:
    screen = await show_tab(pilot, 0)
    view = screen.query_one("#chart-time-store_many", ChartView)
    # raw stores 10 images in 0.2 ms, png 10,000 in 2.5 s: it opens on log axes
    log_chart = store_time_chart(document, log=True)
    assert view.chart == log_chart and screen.log_scale
    drawn = canvas(view)
    assert "median time (log scale)" in drawn
    for label in log_chart.y_tick_labels:
        assert label in drawn
    assert screen.check_action("set_scale", ("linear",))
    assert not screen.check_action("set_scale", ("log",))
    await pilot.press("l")
    await pilot.pause()
    assert not screen.log_scale
    drawn = canvas(view)
    assert "median time (s)" in drawn
    for label in ("0", "1 s", "2 s", "3 s"):  # round ticks in units
        assert label in drawn
    await pilot.resize_terminal(120, 40)
    assert not screen.query_one(Footer).compact
    assert "stdev" in column_labels(screen.query_one("#measurements", DataTable))
    await pilot.resize_terminal(80, 24)
    assert screen.query_one(Footer).compact
    assert "median time (s)" in canvas(view)
    await show_tab(pilot, 2)  # each chart keeps its own scale: single-image is log
    single = screen.query_one("#chart-single-image", ChartView)
    assert "(log scale)" in canvas(single)
    await pilot.press("l")
    await pilot.pause()
    assert "(log scale)" not in canvas(single)
    await show_tab(pilot, 0)
    assert "median time (s)" in canvas(view)
    await pilot.press("l")
    await pilot.pause()
    assert "median time (log scale)" in canvas(view)
    await show_tab(pilot, 8)  # the table has no scale: the key is dimmed
    assert screen.check_action("set_scale", ("log",)) is None
    await pilot.press("l")
    assert screen.scales == {"time-store_many": True, "single-image": False}

    tabbed = screen.query_one(TabbedContent)
    await show_tab(pilot, 0)
    await pilot.press("left_square_bracket")
    assert tabbed.active == screen.pane_ids[0] == "tab-verdict"
    await pilot.press("left_square_bracket")
    assert tabbed.active == screen.pane_ids[-1] == "tab-run"
    await pilot.press("right_square_bracket", "right_square_bracket")
    assert tabbed.active == screen.pane_ids[1]


async def check_the_table_right_aligns_its_numbers_at_every_width(pilot: Pilot[Any]) -> None:
    for size in ((80, 24), (160, 48), (80, 24)):
        await pilot.resize_terminal(*size)
        await pilot.pause()
        screen = await show_tab(pilot, 8)
        table = screen.query_one("#measurements", DataTable)
        lines = ["".join(seg.text for seg in table.render_line(y)) for y in range(1, 5)]
        # n = 10 and n = 100 in one column: the shorter sits to the right
        tens = lines[0].index(" 10 ") + 3
        hundreds = lines[1].index(" 100 ") + 4
        assert tens == hundreds, lines[:2]


async def check_p_weighs_the_verdict_by_the_next_priority(pilot: Pilot[Any]) -> None:
    screen = await show_tab(pilot, 0)
    view = screen.query_one(VerdictView)
    assert view.priority == "balanced"
    await pilot.press("p")
    await pilot.pause()
    assert screen.active_tab == "tab-verdict" and view.priority == "read"
    assert "read speed" in str(view.query_one("#verdict-priority", Static).render())
    await pilot.press("p", "p", "p")
    assert view.priority == "balanced"


async def check_the_palette_offers_the_screen_actions(pilot: Pilot[Any], tmp_path: Path) -> None:
    await show_tab(pilot, 0)  # the store chart, on log axes again
    names = [name for name, _, _ in results(pilot.app).palette_commands()]
    assert "Linear scale on this chart" in names and "Compare with results file" in names
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*"save", "enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, PathDialog)
    assert pilot.app.screen.query_one(Input).value == str(tmp_path / "a.json")
    await pilot.press("escape")
    await pilot.pause()
    results(pilot.app)


async def check_opening_a_corrupt_file_explains_and_keeps_the_screen(
    pilot: Pilot[Any], tmp_path: Path
) -> None:
    app = pilot.app
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": "imgbench.results/1", "measurements": [', encoding="utf-8")
    await pilot.press("o")
    await pilot.pause()
    await answer_path(pilot, "broken.json")
    dialog = app.screen
    assert isinstance(dialog, ErrorDialog)
    assert "truncated" in dialog.message and "broken.json" in dialog.message
    await pilot.press("escape")
    await pilot.pause()
    assert results(app).document == load_document(tmp_path / "a.json")

    saved(tmp_path, make_document(backends=("png", "raw")), "other.json")
    await pilot.press("o")
    await pilot.pause()
    await answer_path(pilot, "other.json")
    assert results(app).path == tmp_path / "other.json"
    await pilot.press("escape")
    await pilot.pause()
    assert results(app).path == tmp_path / "a.json"


async def check_the_warning_words_stay_hidden_when_no_row_has_any(
    pilot: Pilot[Any], tmp_path: Path, document: dict[str, Any]
) -> None:
    shown = results(pilot.app)
    pilot.app.open_results(saved(tmp_path, with_noise_fields(document), "noise.json"))
    await pilot.pause()
    screen = await show_tab(pilot, 8)
    assert not screen.query_one("#row-warnings", Static).display
    rows = table_texts(screen.query_one("#measurements", DataTable))
    assert not any("!" in row[0] for row in rows)
    await pilot.press("escape")
    await pilot.pause()
    assert results(pilot.app) is shown


async def check_save_writes_a_file_that_loads_back(
    pilot: Pilot[Any], tmp_path: Path, document: dict[str, Any]
) -> None:
    app = pilot.app
    target = tmp_path / "copy.json"
    await pilot.press("s")
    await pilot.pause()
    await answer_path(pilot, "copy.json")
    screen = results(app)
    assert screen.path == target
    assert "copy.json" in str(screen.query_one("#summary", Static).render())
    assert load_document(target)["measurements"] == document["measurements"]

    target.write_text("{}", encoding="utf-8")
    other = tmp_path / "other.json"
    other.write_text("keep me", encoding="utf-8")
    await pilot.press("s")
    await pilot.pause()
    await answer_path(pilot, "other.json")
    assert isinstance(app.screen, ConfirmDialog), "an existing file is replaced only if asked"
    await pilot.press("n")
    await pilot.pause()
    assert other.read_text(encoding="utf-8") == "keep me"

    await pilot.press("s")
    await pilot.pause()
    await answer_path(pilot, "nodir/x.json")
    assert isinstance(app.screen, ErrorDialog)
    assert "nodir" in app.screen.message
    await pilot.press("escape")
    await pilot.pause()
    assert results(app).path == target


async def check_escape_and_new_run_go_back_to_setup(
    pilot: Pilot[Any], path: Path, document: dict[str, Any]
) -> None:
    """esc goes back; n goes back past every results screen to a setup filled from the
    file's settings (its cutoffs are not the classic preset's the app opened with)."""
    app = pilot.app
    results(app)
    await pilot.press("escape")
    await pilot.pause()
    assert type(app.screen).__name__ == "SetupScreen"

    app.open_results(path)
    app.open_results(path)  # one results screen on top of another
    await pilot.pause()
    await pilot.press("n")
    await pilot.pause()
    setup = app.screen
    assert type(setup).__name__ == "SetupScreen"
    assert len(app.screen_stack) == 2
    wanted = settings_from_document(document)
    assert wanted.cutoffs == (10, 100, 1_000, 10_000)
    form, _ = setup.settings_from_form()  # type: ignore[attr-defined]
    assert form is not None and form.cutoffs == wanted.cutoffs
    assert form.backends == wanted.backends and form.repeats == wanted.repeats


# -- session 2: a run on a large terminal, then compared with a second file --------------------


async def test_a_large_terminal_and_a_comparison(tmp_path: Path, document: dict[str, Any]) -> None:
    app = make_app(saved(tmp_path, document))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await check_every_tab_shows_its_chart_and_fits(pilot, document, (160, 48))
        await check_compare_shows_ratios_and_both_runs_on_the_time_charts(pilot, tmp_path, document)


async def check_compare_shows_ratios_and_both_runs_on_the_time_charts(
    pilot: Pilot[Any], tmp_path: Path, document: dict[str, Any]
) -> None:
    app = pilot.app
    slower = with_times_scaled(document, {"lmdb": 2.0})
    saved(tmp_path, slower, "b.json")
    (tmp_path / "x.json").write_text(json.dumps({"schema": "other/1"}), encoding="utf-8")
    await pilot.press("c")
    await pilot.pause()
    await answer_path(pilot, "x.json")
    assert isinstance(app.screen, ErrorDialog)
    assert "not an imgbench results file" in app.screen.message
    await pilot.press("escape")
    await pilot.pause()
    assert results(app).other is None

    await pilot.press("c")
    await pilot.pause()
    await answer_path(pilot, "b.json")
    screen = results(app)
    assert screen.active_tab == "tab-compare"
    summary = str(screen.query_one("#compare-summary", Static).render())
    assert "same data set" in summary and "b.json" in summary
    table = screen.query_one("#comparison", DataTable)
    rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
    assert len(rows) == len(document["measurements"])
    lmdb = [row for row in rows if row[0] == "lmdb"]
    assert lmdb and all(row[5] == "2.00x" and row[6] == "2.00x slower" for row in lmdb)
    others = [row for row in rows if row[0] != "lmdb"]
    assert all(row[5] == "1.00x" and row[6] == "within noise" for row in others)

    await show_tab(pilot, 0)
    view = screen.query_one("#chart-time-store_many", ChartView)
    labels = [series.label for series in view.chart.series]
    for backend in ("png", "lmdb", "hdf5", "raw"):
        assert f"{backend} (A)" in labels and f"{backend} (B)" in labels
    # one colour per store, A and B told apart by marker and line, the legend below
    words = legend(view)
    assert "A: • joined by a line" in words and "B: o without" in words
    assert words.count("png") == 1
    assert {series.variant for series in view.chart.series} == {0, 1}
    assert "png" not in canvas(view)
    note = screen.query_one("#chart-disk-usage .chart-note", Static)
    assert "A only" in str(note.render())


# -- session 3: runs never saved: warnings, partial runs ---------------------------------------


async def test_unsaved_runs_with_warnings_and_partial_results() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await check_the_table_marks_warnings_and_says_them_for_the_row_under_the_cursor(pilot)
        await leave_unsaved(pilot)
        await check_partial_documents_render_every_tab(pilot)


async def leave_unsaved(pilot: Pilot[Any]) -> None:
    """esc on results never saved asks first; yes goes back to the setup."""
    await pilot.press("escape")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConfirmDialog)
    await pilot.press("y")
    await pilot.pause()
    assert type(pilot.app.screen).__name__ == "SetupScreen"


def partial_documents() -> list[dict[str, Any]]:
    """A cancelled run, a failed run of one experiment without sizes, a run with nothing."""
    failed = make_document(
        experiments=("store_many",),
        with_sizes=False,
        status="failed",
        errors=[{"task": "lmdb store many n=1,000", "message": "MDB_MAP_FULL " * 20}],
        notes=["first note", "second note"],
    )
    return [cancelled_document(), failed, {**make_document(), "measurements": []}]


async def check_partial_documents_render_every_tab(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, ImgbenchApp)
    for doc in partial_documents():
        app.show_results(doc, None)
        await pilot.pause()
        screen = results(app)
        summary = str(screen.query_one("#summary", Static).render())
        assert doc["status"] in summary and "not saved" in summary
        for index, chart in enumerate(all_charts(doc)):
            view = screen.query_one(f"#chart-{chart.key}", ChartView)
            if chart.empty:  # says why without being drawn: no need to show the tab
                assert not view.plot.display
                assert "no data" in str(view.query_one(".chart-empty", Static).render())
            else:
                await show_tab(pilot, index)
                assert chart.title in canvas(view)
        await leave_unsaved(pilot)


def test_merged_document_keeps_both_runs_apart() -> None:
    a = make_document(backends=("png", "raw"))
    b = make_document(backends=("lmdb",))
    merged = merged_document(a, b)
    assert merged["settings"]["backends"] == ["png (A)", "lmdb (B)", "raw (A)"]
    labels = {row["backend"] for row in merged["measurements"]}
    assert labels == {"png (A)", "raw (A)", "lmdb (B)"}
    assert len(merged["measurements"]) == len(a["measurements"]) + len(b["measurements"])


def document_with_warnings() -> dict[str, Any]:
    """Steady rows, but lmdb read many at n = 10 is noisy and png's at n = 100 was busy."""
    doc = with_noise_fields(make_document(cutoffs=(10, 100)))
    for index, row in enumerate(doc["measurements"]):
        if (row["backend"], row["experiment"], row["n"]) == ("lmdb", "read_many", 10):
            doc["measurements"][index] = rebuilt(row, [0.010, 0.014, 0.007, 0.011, 0.016])
        if (row["backend"], row["experiment"], row["n"]) == ("png", "read_many", 100):
            busy = {"source": "loadavg", "cpu_some_share": None, "load1": 12.0, "cores": 8}
            doc["measurements"][index] = rebuilt(row, row["samples_s"], pressure=busy)
    return doc


def table_texts(table: DataTable[Any]) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def check_the_table_marks_warnings_and_says_them_for_the_row_under_the_cursor(
    pilot: Pilot[Any],
) -> None:
    app = pilot.app
    assert isinstance(app, ImgbenchApp)
    app.show_results(document_with_warnings(), None)
    await pilot.pause()
    screen = await show_tab(pilot, 8)
    table = screen.query_one("#measurements", DataTable)
    rows = table_texts(table)
    marked = [index for index, row in enumerate(rows) if row[0].endswith(" !")]
    assert [rows[i][:3] for i in marked] == [
        ["png !", "read many", "100"],
        ["lmdb !", "read many", "10"],
    ]
    assert all("±" in row[3] for row in rows)  # every median has its interval

    box = screen.query_one("#row-warnings", Static)
    assert box.display and box.region.bottom <= 23, "the words run into the footer"
    assert "2 measurements carry warnings" in str(box.render())
    table.focus()
    table.move_cursor(row=marked[0])
    await pilot.pause()
    assert "png read many n=100: busy: the load average was 12.0 on 8 cores" in str(box.render())
    await pilot.press("down")  # an unmarked row: back to where the warnings are
    await pilot.pause()
    assert "2 measurements carry warnings" in str(box.render())
    table.move_cursor(row=marked[1])
    await pilot.pause()
    words = str(box.render())
    assert "lmdb read many n=10: noisy: the 95% interval is ±" in words
    assert box.region.bottom <= 23
