"""The whole app through Textual's pilot, with the real engine in a real child process."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Static, TabbedContent

from imgbench.core.results import load_document, save_document
from imgbench.core.settings import RunSettings
from imgbench.tui.app import ImgbenchApp, create_app
from imgbench.tui.dialogs import ConfirmDialog, ErrorDialog
from imgbench.tui.help_screen import HelpScreen
from imgbench.tui.progress_screen import ProgressScreen, format_eta, task_in_words
from imgbench.tui.results_screen import ResultsScreen
from pilot_waits import wait_for
from result_docs import make_document

SIZES = [(80, 24), (160, 48)]


def tiny(tmp_path: Path, **changes: Any) -> RunSettings:
    values: dict[str, Any] = dict(
        data="synthetic",
        count=30,
        cutoffs=(10, 30),
        repeats=1,
        warmup=0,
        k=5,
        workdir=str(tmp_path / "work"),
    )
    values.update(changes)
    (tmp_path / "work").mkdir(exist_ok=True)
    return RunSettings(**values)


async def test_a_run_goes_to_saved_results_and_replaces_them_only_after_asking(
    tmp_path: Path,
) -> None:
    """At 80x24 (the larger size is driven by the tmux test and the results screen's): a
    run, then a second run into the same file, which asks before replacing it."""
    size = (80, 24)
    settings = tiny(tmp_path)
    app = create_app(settings=settings)
    output = tmp_path / "results.json"
    async with app.run_test(size=size) as pilot:
        assert app.start_run(settings, output)
        assert isinstance(app.screen, ProgressScreen)  # pushed at once; a tiny run is brief
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        await pilot.pause(0.5)
        first = app.screen
        assert first.document["status"] == "complete"
        assert app.current_run is not None and not app.current_run._process.is_alive()
        document = load_document(output)
        assert document["status"] == "complete" and len(document["measurements"]) == 2 * 4 * 6
        assert list((tmp_path / "work").iterdir()) == []

        before, run = output.read_bytes(), app.current_run
        assert not app.start_run(settings, output)
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # keep it
        await pilot.pause()
        assert app.current_run is run and output.read_bytes() == before
        app.start_run(settings, output)
        await pilot.pause()
        await pilot.press("y")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ResultsScreen) and app.screen is not first
        )
        await pilot.pause(0.5)
        assert app.current_run is not run
    assert load_document(output)["status"] == "complete"


async def test_stores_of_a_container_and_an_encoding_run_in_the_app(tmp_path: Path) -> None:
    """Names such as lmdb+jpeg90 reach the progress bars and the Stores tab intact."""
    stores = ("png", "lmdb+jpeg90", "tar+png")
    settings = tiny(tmp_path, backends=stores, experiments=("store_many", "read_many"))
    app = create_app(settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.start_run(settings, tmp_path / "results.json")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        await pilot.pause(0.3)
        assert app.screen.document["status"] == "complete"
        assert set(app.screen.document["stores"]) == set(stores)


async def test_an_epoch_run_shows_its_tasks_and_the_epoch_tab(tmp_path: Path) -> None:
    """The training read through the app: its tasks in words, its rows, its tab and charts."""
    settings = tiny(
        tmp_path, backends=("png", "raw"), loader_workers=(1, 2),
        experiments=("store_many", "epoch", "read_latency"),
    )  # fmt: skip
    app = create_app(settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.start_run(settings, tmp_path / "results.json")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        assert screen.document["status"] == "complete", screen.document["errors"]
        assert {"tab-epoch", "tab-epoch-workers", "tab-read-latency"} <= set(screen.pane_ids)
        screen.query_one(TabbedContent).active = "tab-epoch"
        await pilot.pause(0.3)
        epoch_text = screen.query_one("#epoch-text", Static)
        assert epoch_text.region.height > 0  # shown, not only built
        console = Console(width=80, record=True, file=io.StringIO())
        console.print(epoch_text.content)
        text = console.export_text()
        assert "images/s of an epoch, n = 30" in text and "png" in text and "raw" in text


async def test_cancel_asks_first_then_keeps_what_was_measured(tmp_path: Path) -> None:
    settings = tiny(tmp_path, count=3000, cutoffs=(10, 3000), repeats=3)
    app = create_app(settings=settings)
    output = tmp_path / "cancelled.json"
    async with app.run_test(size=(80, 24)) as pilot:
        app.start_run(settings, output)
        await pilot.pause()
        progress = app.screen
        assert isinstance(progress, ProgressScreen)
        await wait_for(pilot, lambda: progress.query_one("#finished").row_count >= 1)
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # keep running
        assert isinstance(app.screen, ProgressScreen) and not app.current_run.finished
        await pilot.press("c", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        await pilot.pause(0.5)
        assert app.screen.document["status"] == "cancelled"
        assert not app.current_run._process.is_alive()
    document = load_document(output)
    assert document["status"] == "cancelled" and len(document["measurements"]) >= 1
    assert list((tmp_path / "work").iterdir()) == []


async def test_ctrl_q_during_a_run_asks_then_stops_saves_and_quits(tmp_path: Path) -> None:
    settings = tiny(tmp_path, count=3000, cutoffs=(10, 3000), repeats=3)
    app = create_app(settings=settings)
    output = tmp_path / "quit.json"
    async with app.run_test(size=(80, 24)) as pilot:
        app.start_run(settings, output)
        await pilot.pause()
        progress = app.screen
        await wait_for(pilot, lambda: progress.query_one("#finished").row_count >= 1)
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmDialog)  # never quits at once mid-run
        await pilot.press("n")
        assert app.screen is progress and not app.current_run.finished
        await pilot.press("ctrl+q", "y")
        await wait_for(pilot, lambda: app.current_run.finished, seconds=30)
        await pilot.pause(0.5)
    assert app.return_code in (None, 0)
    document = load_document(output)
    assert document["status"] == "cancelled" and len(document["measurements"]) >= 1
    assert list((tmp_path / "work").iterdir()) == []


async def test_opening_a_results_file_starts_on_its_results(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    save_document(make_document(), path)
    app = create_app(document_path=path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ResultsScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, ResultsScreen)  # back to the setup screen


async def test_a_corrupt_results_file_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"schema": "imgbench.results/1", ')
    app = create_app(document_path=path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert "bad.json" in app.screen.message
    assert path.read_text() == '{"schema": "imgbench.results/1", '


def test_words_for_tasks_and_eta() -> None:
    from imgbench.core.events import Task
    from imgbench.core.results_schema import MEASURED_EXPERIMENTS

    settings = RunSettings(k=1000)
    assert task_in_words(Task("lmdb", "read_random", 100_000), settings) == (
        "lmdb: reading 1,000 random images out of 100,000"
    )
    assert task_in_words(Task("tar+png", "epoch", 10_000, workers=2), settings) == (
        "tar+png: 2 epochs of 10,000 images through the loader, 2 workers, one image at a time"
    )
    assert task_in_words(Task("raw", "epoch_batched", 10, workers=1), settings).endswith(
        "1 worker, a batch at a time"
    )
    for experiment in MEASURED_EXPERIMENTS:  # every task the engine plans has words
        assert task_in_words(Task("png", experiment, 10, workers=1), settings)
    assert format_eta(None) == "ETA --:--"
    assert format_eta(75) == "ETA 1:15" and format_eta(3725) == "ETA 1:02:05"


def test_the_app_is_built_by_one_factory(tmp_path: Path) -> None:
    app = create_app(document_path=tmp_path / "x.json", settings=RunSettings(repeats=2))
    assert isinstance(app, ImgbenchApp)
    assert app.document_path == tmp_path / "x.json" and app.initial_settings.repeats == 2
    assert json.dumps(app.initial_settings.to_dict())
    assert callable(app.run)  # nothing may shadow Textual's App.run


async def test_a_folder_of_images_runs_from_the_setup_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typed into the data field, checked, run: loading shows, results say sizes vary."""
    import numpy as np
    from PIL import Image
    from textual.widgets import Input, Static

    from imgbench.core.events import DataLoading
    from imgbench.tui import setup_screen

    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(5)
    for i in range(40):
        size = (int(rng.integers(6, 24)), int(rng.integers(6, 24)), 3)
        Image.fromarray(rng.integers(0, 256, size, dtype=np.uint8)).save(folder / f"{i}.jpg")
    monkeypatch.setattr(setup_screen, "DATA_CHECK_DELAY_S", 0.04)
    monkeypatch.chdir(tmp_path)
    seen: list[Any] = []
    original = ProgressScreen.absorb
    monkeypatch.setattr(
        ProgressScreen, "absorb", lambda self, events: (seen.extend(events), original(self, events))
    )
    app = create_app(settings=tiny(tmp_path, count=40, cutoffs=(10, 40)))
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#data", Input).value = str(folder)
        await wait_for(pilot, lambda: "image folder: 40 images" in _status(app))
        await pilot.press("escape", "f5")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        await pilot.pause(0.5)
        document = app.screen.document
        assert document["status"] == "complete", document["errors"]
        assert document["dataset"]["shapes_vary"] is True
        assert "varying sizes" in str(app.screen.query_one("#run-text", Static).render())
        app.save_screenshot(filename="results-folder-80x24.svg", path=str(tmp_path))
    loading = [event for event in seen if isinstance(event, DataLoading)]
    assert loading and loading[-1].done == loading[-1].total == 40


def _status(app: ImgbenchApp) -> str:
    from textual.widgets import Static

    from imgbench.tui.setup_screen import SetupScreen

    screen = next(s for s in app.screen_stack if isinstance(s, SetupScreen))
    return str(screen.query_one("#data-status", Static).content)


async def test_refused_starts_the_open_dialog_and_help(tmp_path: Path) -> None:
    """Without a run: refusals in words, a path the dialog cannot expand, help at two sizes."""
    app = create_app(settings=tiny(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await check_a_refused_start_is_a_dialog_in_words(pilot, tmp_path)
        await check_a_file_that_is_not_imgbenchs_is_never_replaced(pilot, tmp_path)
        await check_the_open_dialog_explains_a_path_it_cannot_expand(pilot)
        for size in SIZES:
            await pilot.resize_terminal(*size)
            await check_help_lists_a_key_for_every_screen(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Help: every key" in titles  # help is in the command palette


async def check_a_refused_start_is_a_dialog_in_words(pilot: Any, tmp_path: Path) -> None:
    app = pilot.app
    (tmp_path / "a-file").write_text("x")
    assert not app.start_run(tiny(tmp_path), tmp_path / "a-file" / "r.json")
    await pilot.pause()
    assert isinstance(app.screen, ErrorDialog)
    assert "a-file" in app.screen.message
    await pilot.press("escape")
    assert not isinstance(app.screen, ErrorDialog)
    assert app.current_run is None


async def check_a_file_that_is_not_imgbenchs_is_never_replaced(pilot: Any, tmp_path: Path) -> None:
    app = pilot.app
    notes = tmp_path / "notes.json"
    notes.write_text("mine")
    assert not app.start_run(tiny(tmp_path), notes)
    await pilot.pause()
    assert isinstance(app.screen, ErrorDialog)
    assert "not an imgbench results file" in app.screen.message
    assert notes.read_text() == "mine"
    await pilot.press("escape")
    await pilot.pause()


async def check_the_open_dialog_explains_a_path_it_cannot_expand(pilot: Any) -> None:
    from imgbench.tui.open_dialog import OpenDialog

    app = pilot.app
    dialog = OpenDialog("Open a results file")
    app.push_screen(dialog)
    await pilot.pause()
    await pilot.press("~", "r", "enter")
    await pilot.pause()
    assert app.screen is dialog  # still asking, never a crash
    problem = str(dialog.query_one("#problem").render())
    assert "no user 'r'" in problem
    await pilot.press("escape")
    await pilot.pause()
    assert app.screen is not dialog


async def check_help_lists_a_key_for_every_screen(pilot: Any) -> None:
    app = pilot.app
    await pilot.press("f1")
    assert isinstance(app.screen, HelpScreen)
    table = app.screen.query_one("DataTable")
    rows = [tuple(table.get_row_at(i)) for i in range(table.row_count)]
    screens = {row[0] for row in rows}
    assert {"everywhere", "setup", "progress", "results"} <= screens
    assert ("everywhere", "ctrl+q", "Quit") in rows
    assert ("results", "l", "Log / Linear") in rows  # one row per key
    await pilot.press("escape")
    assert not isinstance(app.screen, HelpScreen)


async def test_the_palettes_screenshot_saves_here_when_there_is_no_downloads_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over SSH ~/Downloads is often missing: the screenshot goes to the current folder."""
    home, here = tmp_path / "home", tmp_path / "here"
    home.mkdir()
    here.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(here)
    app = create_app(settings=tiny(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.action_screenshot()
        await wait_for(pilot, lambda: any(here.glob("*.svg")))
        await pilot.pause()
        notes = [str(n.message) for n in app._notifications]
        assert any("Saved screenshot" in note and str(here) in note for note in notes), notes
    assert not (home / "Downloads").exists()
