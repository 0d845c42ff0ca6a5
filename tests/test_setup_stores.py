"""The setup screen's store picker: ticking, adding container + encoding by keys, typing,
presets, options per container, and containers whose library is missing."""

from __future__ import annotations

import contextlib
import importlib.util
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from test_setup_data import photos
from test_setup_screen import (
    SMALL,
    assert_fits,
    invalid,
    recording_app,
    screen_of,
    set_value,
    settle,
    text_of,
    value_of,
)
from textual.widgets import Button, Select, SelectionList

from imgbench.core.backends.names import INSTALL_LINE
from imgbench.core.settings import FORMATS_STORES, RunSettings, preset
from imgbench.tui.app import ImgbenchApp, create_app
from imgbench.tui.help_screen import key_rows
from imgbench.tui.setup_screen import SetupScreen
from imgbench.tui.store_picker import StorePicker, merged, parse_stores, store_words

SIZES = (SMALL, (120, 40))


def picker(app: ImgbenchApp) -> StorePicker:
    return screen_of(app).query_one(StorePicker)


def stores_list(app: ImgbenchApp) -> SelectionList[str]:
    found: SelectionList[str] = screen_of(app).query_one("#backends", SelectionList)
    return found


def option_of(app: ImgbenchApp, name: str) -> Any:
    tick_list = stores_list(app)
    index = next(
        i for i in range(tick_list.option_count) if tick_list.get_option_at_index(i).value == name
    )
    return tick_list.get_option_at_index(index)


async def pick(pilot: Any, menu: str, typed: str) -> None:
    """Open a focused menu, type to find an entry, and take it."""
    await pilot.press("enter", *typed, "enter")
    assert pilot.app.focused is not None and pilot.app.focused.id == menu


# -- words and names ---------------------------------------------------------------------------


def test_typed_stores_are_read_in_their_one_spelling() -> None:
    assert parse_stores(" files+png, lmdb+raw tar+png,png ") == ("png", "lmdb", "tar+png")
    assert parse_stores("") == ()
    with pytest.raises(ValueError, match="unknown store 'pgn'"):
        parse_stores("png,pgn")
    assert store_words("lmdb+jpeg90") == "LMDB of JPEG q90"
    assert store_words("png") == "PNG files, one per image"
    assert store_words("files+webp") == "lossless WebP files, one per image"
    assert merged(["png", "lmdb", "hdf5"], ["lmdb+jpeg90", "zarr"]) == [
        "png",
        "lmdb",
        "lmdb+jpeg90",
        "hdf5",
        "zarr",
    ]


def test_the_help_lists_the_formats_preset_and_the_store_keys() -> None:
    rows = key_rows([("setup", SetupScreen)])
    assert rows[0][0] == "setup"
    pairs = {(keys, what) for _, keys, what in rows}
    assert ("f6, 4", "Formats preset") in pairs
    assert ("a", "Add the store picked") in pairs
    assert ("s", "Go to the stores") in pairs
    assert ("f8, d", "Download") in pairs  # the footer's key is in the help too


# -- picking by keys ---------------------------------------------------------------------------


async def test_stores_are_picked_with_keys_only(place: Path) -> None:
    app, started, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("escape", "s")  # leave the data field, go to the stores
        assert app.focused is stores_list(app)
        await pilot.press("down", "space")  # untick lmdb
        await pilot.press("tab")
        await pick(pilot, "add-container", "tar")
        await pilot.press("tab")
        await pick(pilot, "add-encoding", "png")
        assert "adds tar+png: tar shards of PNG" in text_of(app, "#store-add-note")
        await pilot.press("a")
        await pilot.press("shift+tab")
        await pick(pilot, "add-container", "lmdb")
        await pilot.press("tab")
        await pick(pilot, "add-encoding", "jpeg90")
        await pilot.press("tab", "enter")  # the add button
        await settle(pilot)
        settings, problems = screen_of(app).settings_from_form()
        assert problems == [] and settings is not None
        assert settings.backends == ("png", "lmdb+jpeg90", "hdf5", "tar+png", "raw")
        assert value_of(app, "stores") == "png,lmdb+jpeg90,hdf5,tar+png,raw"
        assert "is ticked above" in text_of(app, "#store-add-note")
        assert "5 stores" in text_of(app, "#summary")
        await pilot.press("f5")
        await pilot.pause()
        assert started.calls and started.calls[0][0].backends == settings.backends
        picker(app).scroll_visible(top=True, animate=False)  # the list, longer now
        await pilot.pause()
        assert_fits(screen_of(app), SMALL[0])


async def test_a_typed_list_ticks_its_stores_and_a_typo_is_marked(place: Path) -> None:
    app, started, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        field = screen_of(app).query_one("#stores")
        field.focus()
        set_value(app, "stores", "zarr, files+webp, lmdb")  # as if typed: the field has focus
        await pilot.press("end", *"+jpeg")
        await settle(pilot)
        assert picker(app).chosen == ("files+webp", "lmdb+jpeg", "zarr")
        assert value_of(app, "stores") == "zarr, files+webp, lmdb+jpeg"  # not rewritten mid-typing
        set_value(app, "stores", f"{value_of(app, 'stores')},tar")
        await pilot.press("end", *"+pgn")
        await settle(pilot)
        assert invalid(app, "stores")
        assert "unknown encoding 'pgn'" in text_of(app, "#stores-problem")
        # the ticks follow the last list that meant something ("...,tar" on the way)
        assert picker(app).chosen == ("files+webp", "lmdb+jpeg", "tar", "zarr")
        settings, problems = screen_of(app).settings_from_form()
        assert settings is None and any("unknown encoding 'pgn'" in p for p in problems)
        await pilot.press("backspace", "backspace", "backspace", *"png", "tab")
        await settle(pilot)
        assert not invalid(app, "stores")
        assert value_of(app, "stores") == "files+webp,lmdb+jpeg,tar+png,zarr"  # in list order
        settings, problems = screen_of(app).settings_from_form()
        assert problems == [] and settings is not None
        assert settings.backends == ("files+webp", "lmdb+jpeg", "tar+png", "zarr")
        with pytest.raises(StopIteration):  # typed on the way, never meant: gone again
            option_of(app, "tar")
        stores_list(app).deselect("files+webp")  # ticked in the list: the text follows
        await settle(pilot)
        assert value_of(app, "stores") == "lmdb+jpeg,tar+png,zarr"
        assert started.calls == []


# -- presets and given settings ------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_the_formats_preset_ticks_its_stores(place: Path, size: tuple[int, int]) -> None:
    app, _, _ = recording_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert picker(app).chosen == FORMATS_STORES
        assert set(stores_list(app).selected) == set(FORMATS_STORES)
        assert value_of(app, "stores") == ",".join(FORMATS_STORES)
        assert screen_of(app).query_one("#preset-formats").has_class("-active")
        assert "formats: today's formats" in text_of(app, "#preset-note")
        settings, problems = screen_of(app).settings_from_form()
        assert problems == [] and settings is not None
        assert settings.backends == preset("formats").backends
        picker(app).scroll_visible(top=True, animate=False)
        await pilot.pause()
        assert_fits(screen_of(app), size[0])
        await pilot.press("escape", "1")  # back to the classic four
        await settle(pilot)
        assert picker(app).chosen == ("png", "lmdb", "hdf5", "raw")


async def test_given_settings_tick_any_store_and_keep_container_options(place: Path) -> None:
    given = RunSettings(
        data="synthetic",
        count=1_000,
        backends=("png", "hdf5+png", "tar+png", "tar", "zarr+jpeg90"),
        cutoffs=(10, 1_000),
        backend_options={
            "tar+png": {"shard_bytes": 50_000},
            "tar": {"shard_bytes": 50_000},
            "zarr+jpeg90": {"shard_images": 64},
        },
        workdir=tempfile.gettempdir(),
    )
    app = create_app(settings=given)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert screen_of(app).settings_from_form() == (given, [])
        assert value_of(app, "tar-shard") == "50000"
        assert value_of(app, "zarr-shard") == "64"
        set_value(app, "zarr-shard", "0")
        set_value(app, "parquet-rows", "500")  # no parquet store: nothing to give it to
        await settle(pilot)
        assert invalid(app, "zarr-shard") and "at least 1" in text_of(app, "#zarr-shard-problem")
        set_value(app, "zarr-shard", "")
        set_value(app, "tar-shard", "2,000,000")
        await settle(pilot)
        settings, problems = screen_of(app).settings_from_form()
        assert problems == [] and settings is not None
        assert settings.backend_options == {
            "tar+png": {"shard_bytes": 2_000_000},
            "tar": {"shard_bytes": 2_000_000},
        }


async def test_original_is_offered_for_an_image_folder_only(place: Path, tmp_path: Path) -> None:
    folder = photos(tmp_path / "photos")
    app = create_app(settings=RunSettings(data="synthetic", backends=("png", "tar+original")))
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        menu = screen_of(app).query_one("#add-encoding", Select)
        assert "original" not in picker(app).offered_encodings()
        assert invalid(app, "backends")
        assert "choose a folder as the data" in text_of(app, "#backends-problem")
        set_value(app, "data", str(folder))
        await settle(pilot, data=True)
        assert "original" in picker(app).offered_encodings()
        assert not invalid(app, "backends")
        menu.value = "original"
        screen_of(app).query_one("#add-container", Select).value = "parquet"
        await pilot.pause()
        await pilot.press("escape", "a")
        await settle(pilot)
        settings, problems = screen_of(app).settings_from_form()
        assert problems == [] and settings is not None
        assert settings.backends == ("png", "tar+original", "parquet+original")


# -- a missing library ---------------------------------------------------------------------------


@pytest.fixture
def no_pyarrow(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "pyarrow" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


async def test_a_container_whose_library_is_missing_is_shown_disabled(
    place: Path, no_pyarrow: None, tmp_path: Path
) -> None:
    app, _, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert option_of(app, "parquet+png").disabled
        assert not option_of(app, "zarr").disabled
        assert INSTALL_LINE in text_of(app, "#stores-missing")
        assert "parquet needs pyarrow" in text_of(app, "#stores-missing")
        await pilot.press("f6")  # the formats preset leaves parquet out, and says so
        await settle(pilot)
        assert picker(app).chosen == tuple(s for s in FORMATS_STORES if s != "parquet+png")
        assert any("parquet+png" in str(n.message) for n in app._notifications)
        screen_of(app).query_one("#add-container", Select).value = "parquet"
        await pilot.pause()
        assert screen_of(app).query_one("#add-store", Button).disabled
        assert "cannot add parquet stores here" in text_of(app, "#store-add-note")
        await pilot.press("escape", "a")
        await settle(pilot)
        assert "parquet+png" not in picker(app).chosen
        refusals = [n for n in app._notifications if n.title == "Cannot add this store"]
        assert refusals and INSTALL_LINE in refusals[0].message
        await pilot.press("s")
        await pilot.pause()
        app.save_screenshot(filename="setup-stores-80x24.svg", path=str(tmp_path))
        look_at(tmp_path / "setup-stores-80x24.svg")


async def test_a_given_store_whose_library_is_missing_can_be_unticked(
    place: Path, no_pyarrow: None
) -> None:
    app = create_app(settings=RunSettings(data="synthetic", backends=("png", "parquet+png")))
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert picker(app).chosen == ("png", "parquet+png")
        assert not option_of(app, "parquet+png").disabled  # ticked: it can be unticked
        assert INSTALL_LINE in text_of(app, "#backends-problem")
        assert not screen_of(app).query_one("#stores-missing").display  # said once, in red
        stores_list(app).deselect("parquet+png")
        await settle(pilot)
        assert option_of(app, "parquet+png").disabled
        assert not invalid(app, "backends")
        assert INSTALL_LINE in text_of(app, "#stores-missing")
        assert screen_of(app).settings_from_form()[1] == []


def look_at(svg: Path) -> None:
    """A PNG beside the SVG, to look at (when rsvg-convert is installed)."""
    with contextlib.suppress(FileNotFoundError):
        subprocess.run(["rsvg-convert", str(svg), "-o", str(svg.with_suffix(".png"))], check=True)
