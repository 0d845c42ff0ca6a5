"""The setup screen's data section: a folder of images, resize, grey, and downloading CIFAR."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from PIL import Image
from test_setup_screen import (
    SMALL,
    invalid,
    recording_app,
    screen_of,
    set_value,
    settle,
    text_of,
    value_of,
)
from textual.widgets import Button, Checkbox, Input

from imgbench.core import discovery
from imgbench.core.fetch import DOWNLOADS, Download
from imgbench.core.image_folder import load_image_folder
from imgbench.core.run_estimate import estimated_seconds
from imgbench.core.settings import PRESET_PROMISE_S, preset
from imgbench.tui import setup_screen
from imgbench.tui.fetch_screen import FetchScreen
from pilot_waits import wait_for

if TYPE_CHECKING:
    from fetch_server import FileServer

pytest_plugins = ["fetch_server"]  # the local server: fixtures archive, server, download


def photos(folder: Path) -> Path:
    rng = np.random.default_rng(1)
    for name in ("ants", "bees"):
        (folder / name).mkdir(parents=True)
        for i in range(3):
            size = (int(rng.integers(5, 20)), int(rng.integers(5, 20)), 3)
            pixels = rng.integers(0, 256, size, dtype=np.uint8)
            Image.fromarray(pixels).save(folder / name / f"{i}.png")
    (folder / "ants" / "list.csv").write_text("a,b")
    return folder


def disabled(app: Any, selector: str) -> bool:
    return bool(screen_of(app).query_one(selector).disabled)


async def test_an_image_folder_is_described_and_can_be_resized(place: Path, tmp_path: Path) -> None:
    folder = photos(tmp_path / "photos")
    app, started, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert disabled(app, "#resize") and disabled(app, "#keep-grey")  # synthetic
        set_value(app, "data", str(folder))
        await settle(pilot, data=True)
        status = text_of(app, "#data-status")
        assert "image folder: 6 images in 2 classes" in status
        assert "1 other file skipped: ants/list.csv" in status
        assert not disabled(app, "#resize") and not disabled(app, "#keep-grey")
        assert "this plan needs about" in text_of(app, "#workdir-space")  # declared sizes
        settings, problems = screen_of(app).settings_from_form()
        assert problems == [] and settings is not None
        assert settings.data == str(folder) and settings.resize is None

        set_value(app, "resize", "64x48")
        screen_of(app).query_one("#keep-grey", Checkbox).value = True
        await settle(pilot)
        settings, problems = screen_of(app).settings_from_form()
        assert problems == [] and settings is not None
        assert settings.resize == (64, 48) and settings.keep_grey
        assert "this plan needs about" in text_of(app, "#workdir-space")

        set_value(app, "resize", "64 by 48")
        await settle(pilot)
        assert invalid(app, "resize")
        await pilot.press("escape", "r")
        await pilot.pause()
        assert started.calls == []

        set_value(app, "data", "synthetic")  # resize means nothing to other data: not kept
        await settle(pilot, data=True)
        assert disabled(app, "#resize")
        settings, problems = screen_of(app).settings_from_form()
        assert settings is not None and settings.resize is None and not settings.keep_grey
        assert not invalid(app, "resize")


def big_photos(folder: Path, count: int = 4) -> Path:
    """Photo-sized JPEGs (far more bytes than CIFAR's), and one cut short."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(2)
    for i in range(count):
        pixels = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i}.jpg", quality=80)
    whole = (folder / "0.jpg").read_bytes()
    (folder / "broken.jpg").write_bytes(whole[: len(whole) // 2])
    return folder


async def test_a_folder_shows_the_count_the_run_uses_and_quick_fits_its_images(
    place: Path, tmp_path: Path
) -> None:
    folder = big_photos(tmp_path / "photos")
    app, _, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        assert screen.query_one("#data-why").display  # "default: no CIFAR data ..."
        await pilot.press("escape", "f3")  # quick, as it is for the synthetic set
        await settle(pilot)
        quick = screen.settings_from_form()[0]
        assert quick is not None and quick.cutoffs == preset("quick").cutoffs
        set_value(app, "data", str(folder))
        await settle(pilot, data=True)
        status = text_of(app, "#data-status")
        assert "image folder: 4 images, no class sub-folders" in status
        assert "1 unreadable file skipped: broken.jpg" in status
        assert not screen.query_one("#data-why").display  # it was about the old data
        assert len(load_image_folder(folder, workers=1).dataset) == 4  # as the run loads it
        refitted, _ = screen.settings_from_form()  # still the quick plan: fitted on its own
        assert refitted is not None and max(refitted.cutoffs) < max(preset("quick").cutoffs)
        assert re.search(r"this run: about \d+ s", text_of(app, "#preset-note"))
        set_value(app, "cutoffs", "10,100,1000")  # quick's own plan: far from a minute here
        set_value(app, "count", "1000")
        await settle(pilot)
        unfitted = text_of(app, "#summary")
        assert re.search(r"; about \d+ min\. F5 runs it", unfitted), unfitted

        await pilot.press("escape", "f3")
        await settle(pilot)
        settings, problems = screen.settings_from_form()
        assert problems == [] and settings is not None
        assert max(settings.cutoffs) < max(preset("quick").cutoffs)
        assert estimated_seconds(settings, 300 * 400 * 3) <= PRESET_PROMISE_S["quick"]
        assert re.search(r"; about \d+ (s|min)\. F5 runs it", text_of(app, "#summary"))
        assert screen.query_one("#preset-quick").has_class("-active")


async def test_a_folder_without_images_is_explained(place: Path, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("x")
    app, _, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        set_value(app, "data", str(tmp_path / "docs"))
        await settle(pilot, data=True)
        assert invalid(app, "data")
        assert "no images" in text_of(app, "#data-problem")


async def test_the_download_button_fetches_into_the_data_dir_and_selects_it(
    place: Path, download: Download, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(setup_screen, "DOWNLOADS", {**DOWNLOADS, "cifar10": download})
    app, _, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen_of(app).query_one("#download-cifar10", Button).press()
        await wait_for(pilot, lambda: isinstance(app.screen, FetchScreen))
        await wait_for(pilot, lambda: not isinstance(app.screen, FetchScreen))
        await settle(pilot, data=True)
        archive = discovery.user_data_dir() / download.filename
        assert archive.is_file()
        assert value_of(app, "data") == str(archive)
        assert "CIFAR-10, 5 train batches, 100 images" in text_of(app, "#data-status")


async def test_d_downloads_and_a_wrong_checksum_is_shown_and_nothing_kept(
    place: Path, server: FileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The official MD5 against the small served archive: the file must not stay."""
    official = replace(DOWNLOADS["cifar10"], url=server.url + DOWNLOADS["cifar10"].filename)
    monkeypatch.setattr(setup_screen, "DOWNLOADS", {**DOWNLOADS, "cifar10": official})
    app, _, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("escape", "d")
        await wait_for(pilot, lambda: isinstance(app.screen, FetchScreen))
        fetch_screen = app.screen
        assert isinstance(fetch_screen, FetchScreen)
        await wait_for(pilot, lambda: fetch_screen.state == "failed")
        app.save_screenshot(filename="setup-download-failed-80x24.svg", path=str(place.parent))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, FetchScreen))
        assert value_of(app, "data") == "synthetic"
        assert list(discovery.user_data_dir().iterdir()) == []


async def test_the_palette_offers_both_downloads(place: Path) -> None:
    app, _, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        titles = [title for title, _, _ in screen_of(app).palette_commands()]
        assert "Download CIFAR-10" in titles and "Download CIFAR-100" in titles
        app.save_screenshot(filename="setup-data-80x24.svg", path=str(place.parent))
        assert isinstance(screen_of(app).query_one("#resize"), Input)
