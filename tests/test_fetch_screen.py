"""The download screen through Textual's pilot, against a local server, at 80x24."""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.widgets import ProgressBar, Static

from imgbench.core.fetch import DOWNLOADS, Download
from imgbench.tui.fetch_screen import FetchScreen, describe_progress
from pilot_waits import wait_for

if TYPE_CHECKING:
    from fetch_server import FileServer

pytest_plugins = ["fetch_server"]  # the local server: fixtures archive, server, download
NAME = DOWNLOADS["cifar10"].filename


class Host(App[None]):
    """Just enough app to push the screen and keep what it was dismissed with."""

    def __init__(self, screen: FetchScreen) -> None:
        super().__init__()
        self.fetch_screen = screen
        self.results: list[Path | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.fetch_screen, self.results.append)


def text_of(screen: FetchScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


def save_shot(app: App[None], folder: Path, name: str) -> Path:
    """An SVG of the screen in ``folder``, and a PNG beside it when rsvg-convert is there."""
    svg = Path(app.save_screenshot(filename=f"{name}.svg", path=str(folder)))
    with contextlib.suppress(OSError):  # no converter: the SVG is enough
        subprocess.run(["rsvg-convert", "-o", str(svg.with_suffix(".png")), str(svg)], check=False)
    return svg


async def test_a_verified_download_dismisses_with_the_archive_path(
    download: Download, tmp_path: Path, archive: bytes
) -> None:
    dest = tmp_path / "data"
    app = Host(FetchScreen(download, dest))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(app.results))
    assert app.results == [dest / NAME]
    assert (dest / NAME).read_bytes() == archive
    assert sorted(p.name for p in dest.iterdir()) == [NAME]


async def test_a_wrong_checksum_is_shown_and_the_file_is_gone(
    download: Download, tmp_path: Path
) -> None:
    dest = tmp_path / "data"
    screen = FetchScreen(replace(download, md5="0" * 32), dest)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen.state == "failed")
        await pilot.pause()
        error = text_of(screen, "#fetch-error")
        assert "checksum wrong" in error and "removed" in error and "0" * 32 in error
        assert "download failed" in text_of(screen, "#fetch-title")
        assert bar_is_still(screen) and "r: download it again" in text_of(screen, "#fetch-hint")
        assert screen.query_one("#fetch-error").region.bottom <= 23  # above the footer
        keys = {binding.key for (_, binding, enabled, _) in app.active_bindings.values() if enabled}
        assert {"escape", "r"} <= keys
        save_shot(app, tmp_path, "fetch-checksum-80x24")
        assert app.results == []
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]
    assert list(dest.iterdir()) == []


async def test_escape_cancels_and_keeps_what_arrived(
    server: FileServer, download: Download, tmp_path: Path, archive: bytes
) -> None:
    server.mode, server.trickle_piece, server.trickle_pause_s = "trickle", 4096, 0.02
    dest = tmp_path / "data"
    screen = FetchScreen(download, dest)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: " of " in text_of(screen, "#fetch-numbers"))
        await wait_for(pilot, lambda: "/s" in text_of(screen, "#fetch-numbers"))
        save_shot(app, tmp_path, "fetch-progress-80x24")
        await pilot.press("escape")
        await wait_for(pilot, lambda: bool(app.results))
        notes = [n.message for n in app._notifications]
    assert app.results == [None]
    assert any("cancelled" in note and "resume" in note for note in notes)
    part = dest / (NAME + ".part")
    assert sorted(p.name for p in dest.iterdir()) == [part.name]
    assert 0 < part.stat().st_size < len(archive)


def bar_is_still(screen: FetchScreen) -> bool:
    """A failed download's bar: a fraction shown, no busy animation redrawing it."""
    bar = screen.query_one("#fetch-bar", ProgressBar)
    return bar.percentage is not None and bar.query_one("Bar").auto_refresh is None


def screen_words(app: App[None]) -> str:
    """Every character on the terminal, the footer's keys included."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_a_failure_with_nothing_arrived_offers_a_retry_then_succeeds(
    server: FileServer, download: Download, tmp_path: Path, archive: bytes
) -> None:
    server.mode = "error500"
    dest = tmp_path / "data"
    screen = FetchScreen(download, dest)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen.state == "failed")
        await pilot.pause()
        assert "500" in text_of(screen, "#fetch-error")
        assert "resum" not in screen_words(app).lower()  # nothing to resume from
        assert "r: try again" in text_of(screen, "#fetch-hint")
        assert text_of(screen, "#fetch-numbers") == "nothing arrived"
        assert bar_is_still(screen)
        assert screen.query_one("#fetch-box").region.bottom <= 23  # above the footer
        save_shot(app, tmp_path, "fetch-failed-80x24")
        server.mode = "ok"
        await pilot.press("r")
        await wait_for(pilot, lambda: bool(app.results))
    assert app.results == [dest / NAME] and (dest / NAME).read_bytes() == archive


async def test_a_failure_with_bytes_kept_offers_to_resume(
    server: FileServer, download: Download, tmp_path: Path
) -> None:
    server.mode = "error500"
    dest = tmp_path / "data"
    dest.mkdir()
    (dest / (NAME + ".part")).write_bytes(b"\0" * 1000)  # an earlier, interrupted try
    screen = FetchScreen(download, dest)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen.state == "failed")
        await pilot.pause()
        assert "r: resume" in text_of(screen, "#fetch-hint")
        assert text_of(screen, "#fetch-numbers").endswith("kept for the next try")
        assert bar_is_still(screen)
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


def test_progress_in_words() -> None:
    assert describe_progress(0, None, None) == "0.0 MB"
    text = describe_progress(12_300_000, 170_500_000, 4_200_000)
    assert text == "12.3 of 170.5 MB · 4.2 MB/s · about 38 s left"
    assert describe_progress(2_000_000, 2_000_000, 500.0) == "2.0 of 2.0 MB · 500 B/s"
    assert describe_progress(5_400_000, 10_000_000, 1000.0).endswith("about 1 h 16 min left")


async def test_a_users_file_in_the_way_is_shown_and_kept(
    server: FileServer, download: Download, tmp_path: Path
) -> None:
    dest = tmp_path / "data"
    dest.mkdir()
    (dest / NAME).write_bytes(b"my own notes")
    screen = FetchScreen(download, dest)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen.state == "failed")
        await pilot.pause()
        error = text_of(screen, "#fetch-error")
        assert "not the official CIFAR-10 archive" in error and "move it away" in error
        assert "once it is moved" in text_of(screen, "#fetch-hint")
        assert "\n" not in error and "--dir" not in error
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]
    assert (dest / NAME).read_bytes() == b"my own notes" and server.requests == []
