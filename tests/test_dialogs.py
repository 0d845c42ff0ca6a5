"""The small dialogs at 80x24: every word on screen, the buttons in view, paths that fold."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.widgets import Button, Input

from imgbench.tui.dialogs import ConfirmDialog, ErrorDialog, PathDialog
from pilot_waits import wait_for

SIZE = (80, 24)
BORDERS = str.maketrans("", "", "█▀▄▔▁▎▊│─ \n")
#: A results path as the app writes them, deep enough not to fit one line of any dialog.
LONG_PATH = (
    "/home/someone/projects/benchmarks/storage-comparison/lab-machine-07/"
    "imgbench-results-20261201-213029.json"
)


class Host(App[None]):
    """Just enough app to push dialogs and keep what each was dismissed with."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[Any] = []

    def show(self, dialog: Screen[Any]) -> None:
        self.push_screen(dialog, self.answers.append)


def screen_text(app: App[Any]) -> str:
    """The characters on the terminal now, one line each, as a person reads them."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def squashed(text: str) -> str:
    """Text without spaces, line breaks and box borders: wrapped and folded text compares
    equal to the text it came from."""
    return text.translate(BORDERS)


def shows_all_of(app: App[Any], text: str) -> bool:
    return squashed(text) in squashed(screen_text(app))


def in_view(app: App[Any], widget: Any) -> bool:
    """Wholly inside the terminal (a button pushed off the bottom is not)."""
    region, screen = widget.region, app.screen.region
    return bool(region.area) and screen.contains_region(region)


def save_shot(app: App[Any], name: str) -> None:
    """With IMGBENCH_SHOTS=folder set: an SVG (and a PNG when rsvg-convert is there) of the
    screen, to look at; otherwise nothing, so the suite leaves no files behind."""
    folder = os.environ.get("IMGBENCH_SHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    svg = Path(app.save_screenshot(filename=f"{name}.svg", path=folder))
    with contextlib.suppress(OSError):  # no converter: the SVG is enough
        subprocess.run(["rsvg-convert", "-o", str(svg.with_suffix(".png")), str(svg)], check=False)


async def test_confirm_and_error_dialogs_show_every_word_at_80x24() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        question = f"{LONG_PATH} exists. Replace it with these results?"
        app.show(ConfirmDialog(question, yes="Replace", no="Keep it"))
        await pilot.pause()
        assert shows_all_of(app, question)
        assert all(in_view(app, button) for button in app.screen.query(Button))
        save_shot(app, "confirm-overwrite-80x24")
        await pilot.press("y")

        # Taller than the terminal: the words scroll, the buttons stay in view.
        app.show(ConfirmDialog(" ".join([question] * 8), yes="Replace", no="Keep it"))
        await pilot.pause()
        assert all(in_view(app, button) for button in app.screen.query(Button))
        assert "Replace (y)" in screen_text(app) and "Keep it (n)" in screen_text(app)
        await pilot.press("escape")

        message = f"[Errno 13] Permission denied: '{LONG_PATH}'"
        app.show(ErrorDialog("The results could not be saved", message, Path(LONG_PATH)))
        await pilot.pause()
        assert shows_all_of(app, message) and shows_all_of(app, f"Details: {LONG_PATH}")
        assert in_view(app, app.screen.query_one(Button))
        save_shot(app, "error-80x24")
        await pilot.press("enter")
        await pilot.pause()
    assert app.answers == [True, False, None]


async def test_the_path_dialog_keeps_its_prefill_and_says_what_is_wrong(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder-with-a-long-name-for-results" / "and-another-one-inside-it"
    folder.mkdir(parents=True)
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        app.show(PathDialog("Open a results file", f"{folder}/", must_exist=True))
        await pilot.pause()
        await pilot.press(*"missing.json")
        field = app.screen.query_one(Input)
        assert field.value == f"{folder}/missing.json"  # the folder did not vanish
        await pilot.press("enter")
        await wait_for(pilot, lambda: "does not exist" in screen_text(app))
        assert shows_all_of(app, f"{folder}/missing.json does not exist")
        save_shot(app, "path-missing-80x24")
        (folder / "found.json").write_text("{}")
        await pilot.press(*["backspace"] * len("missing.json"), *"found.json", "enter")
        await wait_for(pilot, lambda: bool(app.answers))
    assert app.answers == [folder / "found.json"]
