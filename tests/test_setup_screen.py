"""The setup screen: defaults, live checks, presets, refusals, keys and layout at 80x24."""

from __future__ import annotations

import itertools
import os
import re
import tempfile
from dataclasses import replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, cast

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Checkbox, Input, RadioButton, SelectionList, Static
from textual.widgets._footer import FooterKey

from cifar_fixtures import write_archive, write_cifar10_folder
from imgbench.core import data_source
from imgbench.core.engine import SettingsError
from imgbench.core.settings import EXPERIMENTS, PRESETS, RunSettings, preset
from imgbench.tui import setup_form, setup_screen
from imgbench.tui.app import ImgbenchApp, create_app
from imgbench.tui.dialogs import ErrorDialog
from imgbench.tui.open_dialog import OpenDialog
from imgbench.tui.paths import expand_path
from imgbench.tui.setup_data import data_verdict
from imgbench.tui.setup_form import (
    SAMPLING_FIELDS,
    FormState,
    blocked_summary,
    read_form,
)
from imgbench.tui.setup_plan import ready_summary
from imgbench.tui.setup_screen import SetupScreen
from imgbench.tui.value_parsers import parse_data, parse_whole
from imgbench.tui.value_parsers import parse_image_size as parse_size
from imgbench.tui.value_parsers import parse_numbers as parse_cutoffs
from pilot_waits import wait_for

SMALL, LARGE = (80, 24), (160, 48)


class Recorder:
    """Stands in for the app's start_run and open_results."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> bool:
        self.calls.append(args)
        return True


def recording_app() -> tuple[ImgbenchApp, Recorder, Recorder]:
    """The app with start_run and open_results recorded instead of done."""
    app = create_app()
    started, opened = Recorder(), Recorder()
    vars(app).update(start_run=started, open_results=opened)
    return app, started, opened


def screen_of(app: ImgbenchApp) -> SetupScreen:
    for screen in app.screen_stack:
        if isinstance(screen, SetupScreen):
            return screen
    raise AssertionError("no setup screen")


async def settle(pilot: Pilot[Any], data: bool = False) -> None:
    """Let the debounce timers fire (and, after the data field changed, its check finish)."""
    await pilot.pause(0.1 if data else 0.05)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.05)


def text_of(app: ImgbenchApp, selector: str) -> str:
    content: object = screen_of(app).query_one(selector, Static).content
    return str(content)


def value_of(app: ImgbenchApp, field_id: str) -> str:
    value: str = screen_of(app).query_one(f"#{field_id}", Input).value
    return value


def set_value(app: ImgbenchApp, field_id: str, value: str) -> None:
    screen_of(app).query_one(f"#{field_id}", Input).value = value


def invalid(app: ImgbenchApp, field_id: str) -> bool:
    widget: Widget = screen_of(app).query_one(f"#{field_id}")
    return widget.has_class("-invalid")


def expected(**changes: Any) -> RunSettings:
    base = replace(PRESETS["classic"], data="synthetic", workdir=tempfile.gettempdir())
    return replace(base, **changes)


# -- reading typed values --------------------------------------------------------------------


def test_typed_numbers_are_read_as_people_write_them() -> None:
    assert parse_whole("100,000", 1) == 100_000
    assert parse_cutoffs("1000, 10 100,10") == (10, 100, 1000)
    assert parse_size("64x48") == (48, 64)
    assert parse_size("16") == (16, 16)
    for bad in ("", "10,,x", "1.5"):
        with pytest.raises(ValueError, match="whole numbers"):
            parse_cutoffs(bad)
    with pytest.raises(ValueError, match="100000, not 100,000"):
        parse_cutoffs("100,000")
    with pytest.raises(ValueError, match="at least 1"):
        parse_whole("0", 1)


# -- defaults --------------------------------------------------------------------------------


async def test_defaults_to_synthetic_and_says_why(place: Path) -> None:
    app, _, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert value_of(app, "data") == "synthetic"
        why = text_of(app, "#data-why")
        assert "no CIFAR data in" in why and "using the built-in synthetic set" in why
        assert "synthetic set" in text_of(app, "#data-status")
        assert value_of(app, "count") == "100000"
        assert value_of(app, "cutoffs") == "10,100,1000,10000,100000"
        assert value_of(app, "workdir") == tempfile.gettempdir()
        output = value_of(app, "output")
        assert output.startswith("imgbench-results-") and output.endswith(".json")
        assert "free; this plan needs about" in text_of(app, "#workdir-space")
        settings, problems = screen_of(app).settings_from_form()
        assert problems == []
        assert settings == expected()
        assert screen_of(app).output_path() == Path(output)
        assert "Ready" in text_of(app, "#summary")


async def test_defaults_to_cifar_found_in_the_working_directory(place: Path) -> None:
    folder = write_cifar10_folder(place)
    app, _, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert value_of(app, "data") == str(folder)
        assert "CIFAR-10 found at" in text_of(app, "#data-why")
        assert "CIFAR-10, 5 train batches, 100 images" in text_of(app, "#data-status")
        assert screen_of(app).query_one("#image-size", Input).disabled


async def test_the_form_holds_the_settings_it_was_given(place: Path) -> None:
    given = RunSettings(
        data="synthetic",
        count=500,
        backends=("png", "hdf5"),
        experiments=("store_many", "read_many"),
        cutoffs=(10, 500),
        repeats=4,
        warmup=0,
        k=50,
        cache="cold",
        durable=False,
        backend_options={
            "png": {"compress_level": 1, "workers": 2},
            "hdf5": {"chunk_rows": 8, "compression": "lzf"},
        },
        workdir=str(place),
        seed=3,
        image_size=(24, 40),
        priority="read",
    )
    app = create_app(settings=given)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert value_of(app, "image-size") == "40x24"
        assert not screen_of(app).query_one("#data-why").display
        assert screen_of(app).settings_from_form() == (given, [])


# -- the data field, live ------------------------------------------------------------------------


async def test_typing_a_cifar_path_is_checked_live(
    place: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_cifar10_folder(tmp_path / "sets")
    archive = write_archive(folder, tmp_path / "cifar-10-python.tar.gz")
    app, _, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        monkeypatch.setattr(setup_screen, "DATA_CHECK_DELAY_S", 0.5)  # as long as typing lasts
        data = screen_of(app).query_one("#data", Input)
        data.focus()
        data.value = str(folder)[:-5]
        await pilot.press("end", *str(folder)[-5:])
        assert "checking" in text_of(app, "#data-status")
        await pilot.pause(0.55)
        await settle(pilot, data=True)
        assert "CIFAR-10, 5 train batches, 100 images" in text_of(app, "#data-status")
        assert not invalid(app, "data")
        assert screen_of(app).query_one("#image-size", Input).disabled
        monkeypatch.setattr(setup_screen, "DATA_CHECK_DELAY_S", 0.04)
        set_value(app, "data", str(archive))
        await settle(pilot, data=True)
        assert "(archive, read without extracting)" in text_of(app, "#data-status")
        settings, problems = screen_of(app).settings_from_form()
        assert problems == [] and settings is not None and settings.data == str(archive)


async def test_a_missing_path_is_explained_and_refused(place: Path) -> None:
    app, started, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        set_value(app, "data", str(place / "nowhere"))
        await settle(pilot, data=True)
        assert invalid(app, "data")
        assert "does not exist" in text_of(app, "#data-problem")
        assert not screen_of(app).query_one("#data-status").display
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert "does not exist" in app.screen.message
        assert started.calls == []


# -- presets -------------------------------------------------------------------------------------


async def test_each_preset_fills_the_form(place: Path) -> None:
    app, _, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        await pilot.press("f3")
        await settle(pilot)
        assert (value_of(app, "count"), value_of(app, "cutoffs")) == ("1000", "10,100,1000")
        assert (value_of(app, "repeats"), value_of(app, "k")) == ("3", "100")
        assert screen.query_one("#preset-quick").has_class("-active")
        assert screen.settings_from_form() == (expected(**_plan(PRESETS["quick"])), [])
        await pilot.press("f4")
        await settle(pilot)
        assert (value_of(app, "repeats"), value_of(app, "warmup")) == ("7", "2")
        assert "thorough" in text_of(app, "#preset-note")
        await pilot.press("f2")
        await settle(pilot)
        assert value_of(app, "count") == "100000"
        assert value_of(app, "cutoffs") == "10,100,1000,10000,100000"
        assert screen.query_one("#preset-classic").has_class("-active")
        set_value(app, "repeats", "5")
        await settle(pilot)
        assert "custom plan" in text_of(app, "#preset-note")
        await pilot.press("escape", "2")  # digits pick presets once no text field has focus
        await settle(pilot)
        assert value_of(app, "cutoffs") == "10,100,1000"


def _plan(settings: RunSettings) -> dict[str, Any]:
    return {
        name: getattr(settings, name)
        for name in (
            "count",
            "cutoffs",
            "repeats",
            "warmup",
            "k",
            "cache",
            "durable",
            *SAMPLING_FIELDS,
        )
    }


async def test_the_command_palette_offers_run_presets_and_open(place: Path) -> None:
    app, _, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"quick")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert value_of(app, "cutoffs") == "10,100,1000"


# -- refusing bad input --------------------------------------------------------------------------


async def test_every_bad_value_is_marked_and_the_run_refused(place: Path) -> None:
    blocker = place / "a-file"
    blocker.write_text("not a folder")
    app, started, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        bad = {
            "cutoffs": ("10,abc", "expected whole numbers"),
            "repeats": ("0", "at least 1"),
            "png-compress": ("12", "0 to 9"),
            "image-size": ("big", "width x height"),
            "output": (str(blocker / "out.json"), "is not a folder"),
            "workdir": (str(place / "missing"), "no such folder"),
        }
        for field_id, (text, _) in bad.items():
            set_value(app, field_id, text)
        screen.query_one("#backends", SelectionList).deselect_all()
        await settle(pilot)
        for field_id, (_, reason) in bad.items():
            assert invalid(app, field_id), field_id
            assert reason in text_of(app, f"#{field_id}-problem"), field_id
        assert "choose at least one store" in text_of(app, "#backends-problem")
        settings, problems = screen.settings_from_form()
        assert settings is None and len(problems) == len(bad) + 1
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert app.screen.title_text == "Cannot start the run"
        for _, reason in [*bad.values(), ("", "choose at least one store")]:
            assert reason in app.screen.message
        assert started.calls == []
        app.screen.dismiss(None)
        await pilot.pause()
        await assert_whole_form_fits(pilot, screen, SMALL[0])


async def test_rules_across_fields_are_marked_where_they_are_fixed(place: Path) -> None:
    app, started, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        set_value(app, "count", "500")
        screen.query_one("#backends", SelectionList).deselect_all()
        await settle(pilot)
        assert "less than the largest cutoff (100,000)" in text_of(app, "#count-problem")
        assert invalid(app, "backends")
        assert "choose at least one store" in text_of(app, "#backends-problem")
        assert "2 problems" in text_of(app, "#summary")
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert "choose at least one store" in app.screen.message
        assert "is more than the count (500)" in app.screen.message
        assert started.calls == []


async def test_a_run_the_engine_refuses_is_explained(place: Path) -> None:
    class RefusedRun:
        def __init__(self, settings: RunSettings, **_: Any) -> None:  # and the output path
            self.settings = settings

        def start(self) -> None:
            raise SettingsError(None, "not enough free space: the plan needs about 9 TB")

    app = create_app(run_factory=cast(Any, RefusedRun))
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert "9 TB" in app.screen.message


# -- odd paths, options past their bounds, a count that cannot fit --------------------------------

PATH_FIELDS = ("data", "workdir", "output")
ODD_PATHS = ("~r", "~no_such_user_here/x.json", "a\0b", "x" * 5000, "~r/../..")


def form_state(place: Path, **texts: str) -> FormState:
    """A good form (the quick plan on synthetic data) with some texts replaced."""
    typed = {
        "data": "synthetic",
        "image-size": "32x32",
        "resize": "",
        "count": "1000",
        "cutoffs": "10,100,1000",
        "repeats": "3",
        "warmup": "1",
        "k": "100",
        "seed": "0",
        "png-compress": "",
        "png-workers": "1",
        "hdf5-chunk": "",
        "workdir": str(place),
        "output": str(place / "out.json"),
    }
    return FormState(
        texts=typed | texts,
        backends=("png", "lmdb", "hdf5", "raw"),
        experiments=EXPERIMENTS,
        cache="warm",
        durable=True,
        hdf5_compression="none",
        data_kind="synthetic" if texts.get("data", "synthetic") == "synthetic" else "",
    )


@pytest.mark.parametrize("field_id", PATH_FIELDS)
@pytest.mark.parametrize("text", ODD_PATHS)
def test_odd_text_in_a_path_field_is_marked_not_raised(
    place: Path, field_id: str, text: str
) -> None:
    assert read_form(form_state(place)).problems == []
    reading = read_form(form_state(place, **{field_id: text}))
    if field_id != "data" or text.startswith("~") or "\0" in text:
        assert field_id in reading.marks, reading.marks
        assert reading.problems
    if field_id == "data":  # the thread's check of the data field says it in words too
        assert data_verdict(text).problem


def test_a_tilde_of_no_user_is_explained() -> None:
    with pytest.raises(ValueError, match="there is no user 'r' here, so ~r means nothing"):
        expand_path("~r")
    with pytest.raises(ValueError, match="no user 'nobody_xyz' here"):
        parse_data("~nobody_xyz/cifar-10-batches-py")
    assert expand_path("~") == Path.home()


async def test_typing_a_tilde_of_no_user_in_each_path_field_never_crashes(place: Path) -> None:
    app, started, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        for field_id in PATH_FIELDS:
            field = screen.query_one(f"#{field_id}", Input)
            field.focus()
            field.value = ""
            await pilot.press("~", "r")
            assert value_of(app, field_id) == "~r"
            await wait_for(pilot, lambda f=field_id: invalid(app, f))  # type: ignore[misc]
            await settle(pilot, data=True)
            assert app.is_running and app.screen is screen
            assert "no user 'r'" in text_of(app, f"#{field_id}-problem"), field_id
            assert "Ready" not in text_of(app, "#summary")
            await pilot.press("f5")
            await pilot.pause()
            assert isinstance(app.screen, ErrorDialog)
            assert "no user 'r'" in app.screen.message
            app.screen.dismiss(None)
            await pilot.pause()
            field.value = {"data": "synthetic", "workdir": str(place), "output": "out.json"}[
                field_id
            ]
            await settle(pilot, data=True)
            assert not invalid(app, field_id)
        assert started.calls == []
        assert "Ready" in text_of(app, "#summary")


async def test_a_count_that_cannot_fit_in_memory_is_not_ready(
    place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data_source, "available_memory_bytes", lambda: 8_000_000_000)
    app, started, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert "Ready" in text_of(app, "#summary")
        set_value(app, "count", "50000000")
        await settle(pilot)
        words = "50,000,000 images need about 154 GB of memory and 8.00 GB is available"
        summary = text_of(app, "#summary")
        assert "Ready" not in summary and words in summary
        assert invalid(app, "count") and words in text_of(app, "#count-problem")
        _, problems = screen_of(app).settings_from_form()
        assert any(words in problem for problem in problems)
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog) and words in app.screen.message
        assert started.calls == []
        app.screen.dismiss(None)
        await pilot.pause()
        await assert_whole_form_fits(pilot, screen_of(app), SMALL[0])


async def test_backend_options_past_their_bounds_are_marked_at_their_fields(
    place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})
    app, started, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        set_value(app, "png-workers", "1000")
        set_value(app, "hdf5-chunk", "1000000000000")
        await settle(pilot)
        assert invalid(app, "png-workers") and invalid(app, "hdf5-chunk")
        assert "from 1 to 8 (4 per core, 2 cores here)" in text_of(app, "#png-workers-problem")
        assert "at most the largest cutoff (100,000)" in text_of(app, "#hdf5-chunk-problem")
        assert "2 problems to fix before running" in text_of(app, "#summary")
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert started.calls == []


def test_a_problem_no_field_shows_is_said_in_the_summary() -> None:
    assert blocked_summary(["a: x"], []) == "1 problem to fix before running: a: x"
    line = blocked_summary(["a", "b", "c", "hidden"], ["hidden"])
    assert line == "4 problems to fix before running: hidden; a; and 2 more in red above"


# -- a good form -----------------------------------------------------------------------------------


async def test_a_good_form_starts_the_run_with_its_settings(place: Path) -> None:
    app, started, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        await pilot.press("f3")
        for field_id, value in {
            "image-size": "16x8",
            "png-compress": "3",
            "hdf5-chunk": "64",
            "seed": "7",
            "workdir": str(place),
            "output": str(place / "out.json"),
        }.items():
            set_value(app, field_id, value)
        screen.query_one("#backends", SelectionList).deselect("raw")
        screen.query_one("#experiment-read_random", Checkbox).value = False
        screen.query_one("#cache-cold", RadioButton).value = True
        screen.query_one("#hdf5-gzip", RadioButton).value = True
        screen.query_one("#durable", Checkbox).value = False
        await settle(pilot)
        await pilot.press("f5")
        await pilot.pause()
        assert started.calls == [
            (
                RunSettings(
                    data="synthetic",
                    count=1_000,
                    backends=("png", "lmdb", "hdf5"),
                    experiments=(
                        "store_single",
                        "read_single",
                        "store_many",
                        "open",
                        "read_many",
                        "disk_usage",
                    ),
                    cutoffs=(10, 100, 1_000),
                    repeats=3,
                    warmup=1,
                    k=100,
                    cache="cold",
                    durable=False,
                    backend_options={
                        "png": {"compress_level": 3},
                        "hdf5": {"chunk_rows": 64, "compression": "gzip"},
                    },
                    workdir=str(place),
                    seed=7,
                    image_size=(8, 16),
                    sample_budget_s=0.2,
                    single_max_n=100,
                ),
                place / "out.json",
            )
        ]


async def test_the_priority_chosen_reaches_the_run_and_presets_keep_it(place: Path) -> None:
    app, started, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        assert screen.query_one("#priority-balanced", RadioButton).value
        assert screen.settings_from_form()[0] == expected()  # balanced, the default
        screen.query_one("#priority-disk", RadioButton).value = True
        await settle(pilot)
        await pilot.press("f3")  # a preset fills the plan; the priority is the user's
        await settle(pilot)
        assert screen.query_one("#priority-disk", RadioButton).value
        set_value(app, "workdir", str(place))
        set_value(app, "output", str(place / "out.json"))
        await settle(pilot)
        await pilot.press("f5")
        await pilot.pause()
        assert len(started.calls) == 1
        settings, _ = started.calls[0]
        assert settings.priority == "disk"
        assert settings == replace(
            setup_screen.preset("quick"), data="synthetic", workdir=str(place), priority="disk"
        )
        # the plan still matches the preset: the priority is not part of it
        assert text_of(app, "#preset-note").startswith("quick:")
        assert screen.query_one("#preset-quick").has_class("-active")


# -- keys ------------------------------------------------------------------------------------------


async def test_letters_type_in_fields_and_act_outside_them(place: Path) -> None:
    app, started, opened = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        screen.query_one("#output", Input).focus()
        await pilot.press("end", "r", "o")
        assert value_of(app, "output").endswith(".jsonro")
        assert started.calls == [] and not isinstance(app.screen, OpenDialog)
        await pilot.press("backspace", "backspace", "ctrl+r")
        assert len(started.calls) == 1
        await pilot.press("escape", "r")
        assert len(started.calls) == 2
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, OpenDialog)
        results = place / "old.json"
        results.write_text("{}")
        app.screen.query_one("#path", Input).value = str(results)
        await pilot.press("enter")
        await pilot.pause()
        assert opened.calls == [(results,)]
        screen.query_one("#cutoffs", Input).focus()
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, OpenDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and opened.calls == [(results,)]
        await pilot.press("escape", "escape")  # nothing to leave: the form stays as it was
        assert app.screen is screen


async def test_coming_back_never_reuses_a_results_name_that_now_exists(place: Path) -> None:
    app, _, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        first = value_of(app, "output")
        (place / first).write_text("{}")
        app.push_screen(ErrorDialog("a run happened", "it saved its results"))
        await pilot.pause()
        app.pop_screen()
        await settle(pilot)
        second = value_of(app, "output")
        assert second != first and not (place / second).exists()


async def test_the_results_file_is_named_when_f5_starts_the_run(
    place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [datetime(2030, 1, 2, 3, 4, 5)]

    class Clock(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Clock:
            return cast(Clock, clock[0])

    monkeypatch.setattr(setup_form, "datetime", Clock)
    app, started, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert value_of(app, "output") == "imgbench-results-20300102-030405.json"
        clock[0] = datetime(2030, 1, 2, 3, 9, 0)  # the form was filled in for five minutes
        await pilot.press("f5")
        await pilot.pause()
        assert started.calls[0][1] == Path("imgbench-results-20300102-030900.json")
        assert value_of(app, "output") == "imgbench-results-20300102-030900.json"


# -- layout ----------------------------------------------------------------------------------------


def visible_leaves(screen: SetupScreen) -> list[Widget]:
    """Widgets drawn on screen with nothing inside them: these must neither spill nor overlap."""
    form = screen.query_one("#setup-form")
    return [
        widget
        for widget in form.query("*")
        if widget.display and not widget.children and widget.region.area > 0
    ]


def assert_fits(screen: SetupScreen, width: int) -> None:
    form = screen.query_one("#setup-form")
    assert form.max_scroll_x == 0
    leaves = visible_leaves(screen)
    assert leaves
    for widget in leaves:
        assert widget.region.right <= width, widget
    for first, second in itertools.combinations(leaves, 2):
        assert not first.region.overlaps(second.region), (first, second)


async def assert_whole_form_fits(pilot: Pilot[Any], screen: SetupScreen, width: int) -> None:
    """Scroll through the form, checking every part that comes into view."""
    form = screen.query_one("#setup-form")
    for y in range(0, form.max_scroll_y + 10, 10):
        form.scroll_to(y=y, animate=False)
        await pilot.pause()
        assert_fits(screen, width)


async def test_nothing_spills_or_overlaps_at_80x24(place: Path) -> None:
    app, _, _ = recording_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        assert screen.has_class("-narrow")
        app.save_screenshot(filename="setup-80x24.svg", path=str(place.parent))
        assert screen.query_one("#setup-form").max_scroll_y > 0  # it scrolls, nothing cut off
        assert_footer_fits(app, SMALL[0])
        await assert_whole_form_fits(pilot, screen, SMALL[0])


def assert_footer_fits(app: ImgbenchApp, width: int) -> None:
    """Every key the footer shows is drawn with its words, Help among them; the line above
    the form names the same keys (the F-keys) the footer and the buttons show."""
    strips = app.screen._compositor.render_strips(size=app.size)
    line = "".join(segment.text for segment in strips[-1])
    keys = list(app.screen.query(FooterKey))
    assert keys and "f1 Help" in line
    for key in keys:
        assert key.region.right <= width, key
        if key.has_class("-grouped"):  # the presets: their keys, then one label
            assert f"{key.key_display} " in line and "presets" in line
        else:
            assert key.description and f"{key.key_display} {key.description}" in line
    hint = text_of(app, "#keys-hint")
    assert "F5" in hint and "F2" in hint and "F8" in hint


async def test_two_columns_on_a_large_terminal(place: Path) -> None:
    app, _, _ = recording_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        assert screen.has_class("-wide")
        left, right = screen.query_one("#left-column"), screen.query_one("#right-column")
        assert right.region.x >= left.region.right
        assert screen.query_one("#setup-form").max_scroll_y == 0
        assert_fits(screen, LARGE[0])
        app.save_screenshot(filename="setup-160x48.svg", path=str(place.parent))


def test_the_summary_says_the_time_and_warns_of_a_long_run() -> None:
    quick = ready_summary(preset("quick"), 32 * 32 * 3)
    assert re.search(r"\), 3 repeats each; about \d+ s\. F5 runs it\.$", quick), quick
    photos = ready_summary(preset("classic"), 500 * 375 * 3)
    assert re.search(r"; about [\d.]+ h - consider fewer cutoffs or stores\.", photos), photos
    assert "estimated once the data is checked" in ready_summary(preset("quick"), None)
