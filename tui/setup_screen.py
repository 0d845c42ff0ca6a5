"""The setup screen: everything that shapes a run, checked while it is typed.

Each change re-reads the whole form after a short pause and marks every problem where it
was typed, so a refused run never comes as a surprise. The data path is inspected in a
thread (listing an archive takes about 0.3 s), so typing never waits on the disk. The
form's rules live in :mod:`.setup_form`, the data's words in :mod:`.setup_data` and the
presets' in :mod:`.setup_plan`: this module holds the widgets and their events.
"""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import (
    Button,
    Checkbox,
    Header,
    Input,
    Label,
    RadioButton,
    RadioSet,
    SelectionList,
    Static,
)
from textual.worker import get_current_worker

from imgbench.core.backends.hdf5_store import COMPRESSIONS
from imgbench.core.chart_words import experiment_label
from imgbench.core.discovery import discover_data
from imgbench.core.fetch import DOWNLOADS
from imgbench.core.results_schema import PRIORITIES
from imgbench.core.settings import EXPERIMENTS, PRESETS, CacheMode, RunSettings, preset

from .app_footer import AppFooter
from .app_host import ImgbenchHost, host_of
from .commands import PaletteCommand, ScreenCommands
from .estimate_words import estimate_words
from .fetch_screen import FetchScreen
from .open_dialog import OpenDialog
from .paths import expand_path
from .setup_data import FOLDER, DataVerdict, data_verdict, explain_choice
from .setup_form import (
    BATCH,
    CONTAINER_OPTIONS,
    COUNT,
    CUTOFFS,
    DATA,
    EPOCHS,
    HDF5_CHUNK,
    IMAGE_SIZE,
    LABELS,
    LOADER_WORKERS,
    OUTPUT,
    PARQUET_ROWS,
    PNG_COMPRESS,
    PNG_WORKERS,
    REPEATS,
    RESIZE,
    SEED,
    TAR_SHARD,
    WARMUP,
    WORKDIR,
    ZARR_SHARD,
    FormReading,
    FormState,
    K,
    TextField,
    blocked_summary,
    container_option_text,
    default_output_name,
    option_default,
    optional_text,
    read_form,
    sampling_of,
)
from .setup_plan import (
    PRESET_KEYS,
    PRESET_TITLES,
    fitted_preset,
    left_out_note,
    plan_pixel_bytes,
    preset_summary,
    promising_preset_of,
    ready_summary,
    same_plan,
)
from .store_picker import StorePicker
from .value_parsers import SYNTHETIC
from .verdict_text import PRIORITY_WORDS

#: Pause after the last keystroke before the form is checked again.
CHECK_DELAY_S = 0.15
#: Pause before a typed path is inspected (each inspection lists the folder or archive).
DATA_CHECK_DELAY_S = 0.3
CACHE_MODES: tuple[CacheMode, ...] = ("warm", "cold")
PRESET_GROUP = Binding.Group("presets")


# -- widgets --------------------------------------------------------------------------------------


class TickBox(Checkbox):
    """A checkbox that is empty when off, so it reads right without colour (16-colour SSH)."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # the name Textual reads
        return "X" if self.value else " "


class Choice(RadioButton):
    """A radio button that is empty when off, like TickBox."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # the name Textual reads
        return "\u25cf" if self.value else " "


# -- the command palette ------------------------------------------------------------------------


# -- the screen ---------------------------------------------------------------------------------


class SetupScreen(Screen[None]):
    """The form for a run: the app's base screen."""

    CSS_PATH = "setup_screen.tcss"
    AUTO_FOCUS = "#data"
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (140, "-wide"),
    ]
    COMMANDS = Screen.COMMANDS | {ScreenCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5,ctrl+r,r", "run", "Run", id="setup.run"),
        Binding(
            "f2,1",
            "preset('classic')",
            "Classic study preset",
            id="setup.preset_classic",
            group=PRESET_GROUP,
        ),
        Binding(
            "f3,2",
            "preset('quick')",
            "Quick preset",
            id="setup.preset_quick",
            group=PRESET_GROUP,
        ),
        Binding(
            "f4,3",
            "preset('thorough')",
            "Thorough preset",
            id="setup.preset_thorough",
            group=PRESET_GROUP,
        ),
        Binding(
            "f6,4",
            "preset('formats')",
            "Formats preset",
            id="setup.preset_formats",
            group=PRESET_GROUP,
        ),
        Binding(
            "f7,5",
            "preset('training')",
            "Training preset",
            id="setup.preset_training",
            group=PRESET_GROUP,
        ),
        Binding("s", "focus_stores", "Go to the stores", id="setup.stores", show=False),
        Binding("a", "add_store", "Add the store picked", id="setup.add_store", show=False),
        Binding("ctrl+o,o", "open_results", "Open", id="setup.open"),
        Binding("f8,d", "download('cifar10')", "Download", id="setup.download"),
        Binding("escape", "leave_field", "Leave the field", id="setup.leave_field", show=False),
    ]

    def __init__(self, settings: RunSettings | None = None) -> None:
        super().__init__()
        self.initial = settings or PRESETS["classic"]
        self._sampling = sampling_of(self.initial)
        self._verdict: DataVerdict | None = None
        self._check_timer: Timer | None = None
        self._data_timer: Timer | None = None
        self._auto_output = default_output_name(Path.cwd())
        self._discovered = ""  # the data found at start, which the "default:" note explains

    # -- building the form ----------------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        """Run, the presets and open, for the command palette (ctrl+p)."""
        commands: list[PaletteCommand] = [
            ("Run the benchmark", "Check the form and start the run (F5)", self.action_run)
        ]
        for name, key in PRESET_KEYS.items():
            title = f"Preset: {PRESET_TITLES[name]} ({key})"
            commands.append((title, preset_summary(name), partial(self.action_preset, name)))
        commands.append(
            ("Open a results file", "Show a saved run (ctrl+o)", self.action_open_results)
        )
        for name, download in DOWNLOADS.items():
            commands.append(
                (
                    f"Download {download.title}",
                    f"Fetch and verify {download.filename} into the data dir, where it is found",
                    partial(self.action_download, name),
                )
            )
        return commands

    def compose(self) -> ComposeResult:
        texts, why = self._initial_texts()
        yield Header()
        with VerticalScroll(id="setup-form"):
            yield Static(
                "F5 run, F2-F4 F6 F7 presets, F8 get CIFAR-10; esc leaves a field; F1 keys",
                id="keys-hint",
                classes="hint",
            )
            with Horizontal(id="preset-row"):
                yield Label("preset", classes="field-label")
                for name, key in PRESET_KEYS.items():
                    label = f"{PRESET_TITLES[name]} {key}"
                    yield Button(label, id=f"preset-{name}", compact=True, classes="preset")
            yield Static("", id="preset-note", classes="hint", markup=False)
            with Container(id="columns"):
                with Vertical(id="left-column", classes="column"):
                    yield from self._data_section(texts, why)
                    yield from self._plan_section(texts)
                with Vertical(id="right-column", classes="column"):
                    yield from self._backend_section(texts)
                    yield from self._experiment_section()
                    yield from self._files_section(texts)
            yield Static("", id="summary", markup=False)
            with Horizontal(id="action-row"):
                yield Button("Run  F5", id="run", variant="success", compact=True)
                yield Button("Open results  ctrl+o", id="open", compact=True)
        yield AppFooter()

    def _initial_texts(self) -> tuple[dict[str, str], str]:
        """The form's first values, and why the data field holds what it does."""
        settings = self.initial
        why = ""
        data = settings.data
        if data == "auto":
            choice = discover_data()
            data = str(choice.path) if choice.path is not None else SYNTHETIC
            why = explain_choice(choice)
            self._discovered = data
        height, width = settings.image_size
        resize = f"{settings.resize[0]}x{settings.resize[1]}" if settings.resize else ""
        texts = self._plan_texts(settings) | {
            "data": data,
            "image-size": f"{width}x{height}",
            "resize": resize,
            "seed": str(settings.seed),
            "workdir": settings.workdir or tempfile.gettempdir(),
            "output": self._auto_output,
        }
        return texts, why

    @staticmethod
    def _plan_texts(settings: RunSettings) -> dict[str, str]:
        """The text fields a preset fills."""
        png = settings.backend_options.get("png", {})
        hdf5 = settings.backend_options.get("hdf5", {})
        containers = {
            field_id: container_option_text(settings, container, option)
            for (container, option), field_id in CONTAINER_OPTIONS.items()
        }
        return containers | {
            "count": optional_text(settings.count),
            "cutoffs": ",".join(str(n) for n in settings.cutoffs),
            "repeats": str(settings.repeats),
            "warmup": str(settings.warmup),
            "k": str(settings.k),
            "batch-size": str(settings.batch_size),
            "loader-workers": ",".join(str(count) for count in settings.loader_workers),
            "epochs": str(settings.epochs),
            "png-compress": optional_text(
                png.get("compress_level", option_default("png", "compress_level"))
            ),
            "png-workers": optional_text(png.get("workers", option_default("png", "workers"))),
            "hdf5-chunk": optional_text(
                hdf5.get("chunk_rows", option_default("hdf5", "chunk_rows"))
            ),
        }

    def _field(self, spec: TextField, value: str) -> ComposeResult:
        with Horizontal(classes="field", id=f"{spec.id}-row"):
            yield Label(spec.label, classes="field-label")
            classes = "short" if spec.short else ""
            yield Input(
                value, placeholder=spec.placeholder, id=spec.id, compact=True, classes=classes
            )
            if spec.hint:
                yield Label(spec.hint, classes="field-hint")
        yield Static("", id=f"{spec.id}-problem", classes="problem", markup=False)

    @staticmethod
    def _section(title: str) -> Static:
        return Static(title, classes="section-title")

    def _data_section(self, texts: dict[str, str], why: str) -> ComposeResult:
        yield self._section("Data")
        yield from self._field(DATA, texts["data"])
        yield Static("", id="data-status", classes="note", markup=False)
        why_note = Static(why, id="data-why", classes="note hint", markup=False)
        why_note.display = bool(why)
        yield why_note
        with Horizontal(classes="field", id="download-row"):
            yield Label("download", classes="field-label")
            for name, download in DOWNLOADS.items():
                key = "  F8" if name == "cifar10" else ""
                yield Button(
                    f"{download.title}{key}",
                    id=f"download-{name}",
                    compact=True,
                    classes="download",
                )
        yield from self._field(IMAGE_SIZE, texts["image-size"])
        yield from self._field(RESIZE, texts["resize"])
        with Horizontal(classes="field choice-row"):
            yield Label("grey images", classes="field-label")
            yield TickBox(
                "keep one channel (image folder only)",
                self.initial.keep_grey,
                id="keep-grey",
                compact=True,
            )

    def _plan_section(self, texts: dict[str, str]) -> ComposeResult:
        yield self._section("Plan")
        for spec in (COUNT, CUTOFFS, REPEATS, WARMUP, K, SEED, BATCH, LOADER_WORKERS, EPOCHS):
            yield from self._field(spec, texts[spec.id])
        with Horizontal(classes="field choice-row"):
            yield Label("page cache", classes="field-label")
            with RadioSet(id="cache", compact=True):
                for mode in CACHE_MODES:
                    yield Choice(mode, value=mode == self.initial.cache, id=f"cache-{mode}")
            yield Label("cold: evicted before reads", classes="field-hint")
        with Horizontal(classes="field choice-row"):
            yield Label("durable", classes="field-label")
            yield TickBox(
                "every store syncs to disk", self.initial.durable, id="durable", compact=True
            )
        yield from self._priority_field()

    def _priority_field(self) -> ComposeResult:
        """What the verdict favours when stores trade read speed, disk and write speed."""
        with Horizontal(classes="field choice-row", id="priority-row"):
            yield Label("verdict favours", classes="field-label")
            with RadioSet(id="priority", compact=True):
                for name, words in PRIORITY_WORDS.items():
                    chosen = name == self.initial.priority
                    yield Choice(words, value=chosen, id=f"priority-{name}")
        yield Static(
            "which store the verdict recommends: balanced counts read speed twice, "
            "disk and write speed once",
            id="priority-hint",
            classes="note hint",
            markup=False,
        )

    def _backend_section(self, texts: dict[str, str]) -> ComposeResult:
        yield self._section("Stores: a container + an encoding")
        yield StorePicker(self.initial.backends, id="store-picker")
        for spec in (PNG_COMPRESS, PNG_WORKERS, HDF5_CHUNK):
            yield from self._field(spec, texts[spec.id])
        compression = self.initial.backend_options.get("hdf5", {}).get(
            "compression", option_default("hdf5", "compression")
        )
        with Horizontal(classes="field choice-row"):
            yield Label("HDF5 compression", classes="field-label")
            with RadioSet(id="hdf5-compression", compact=True):
                for name in COMPRESSIONS:
                    yield Choice(name, value=name == compression, id=f"hdf5-{name}")
        for spec in (TAR_SHARD, PARQUET_ROWS, ZARR_SHARD):
            yield from self._field(spec, texts[spec.id])

    def _experiment_section(self) -> ComposeResult:
        yield self._section("Experiments")
        with Horizontal(classes="field choice-row"):
            yield Label("measure", classes="field-label")
            with Container(id="experiments", classes="choices"):
                for name in EXPERIMENTS:
                    chosen = name in self.initial.experiments
                    label = experiment_label(name)
                    yield TickBox(label, chosen, id=f"experiment-{name}", compact=True)
        yield Static("", id="experiments-problem", classes="problem", markup=False)

    def _files_section(self, texts: dict[str, str]) -> ComposeResult:
        yield self._section("Files")
        yield from self._field(WORKDIR, texts["workdir"])
        yield Static("", id="workdir-space", classes="note hint", markup=False)
        yield from self._field(OUTPUT, texts["output"])
        yield Static("", id="output-where", classes="note hint", markup=False)

    def on_mount(self) -> None:
        self._data_changed(self._text("data"))
        self.refresh_checks()

    def on_screen_resume(self) -> None:
        """Back from a run: never let the next run overwrite the last one's results."""
        output = self.query_one("#output", Input)
        if output.value == self._auto_output and Path(output.value).exists():
            self._auto_output = default_output_name(Path.cwd())
            output.value = self._auto_output
        self._schedule_check()

    # -- public: what the form says -----------------------------------------------------------

    def settings_from_form(self) -> tuple[RunSettings | None, list[str]]:
        """(settings, problems): settings is None when a field cannot be read at all;
        the run can start only when problems is empty."""
        reading = read_form(self._form_state())
        return reading.settings, reading.problems

    def output_path(self) -> Path:
        """The results file as typed, ~ expanded when it can be (the form marks it when not)."""
        text = self._text("output").strip()
        try:
            return expand_path(text)
        except ValueError:
            return Path(text)

    # -- actions ------------------------------------------------------------------------------

    def action_run(self) -> None:
        """Start the run, or say in one dialog everything that stops it."""
        reading = read_form(self._form_state())
        self._show(reading)
        if reading.settings is None or reading.problems:
            reasons = "\n".join(f"• {problem}" for problem in reading.problems)
            self._imgbench_app.show_error("Cannot start the run", reasons)
            return
        self._name_output_now()
        self._imgbench_app.start_run(reading.settings, self.output_path())

    def _name_output_now(self) -> None:
        """The results file's default name carries the run's start, not the screen's."""
        output = self.query_one("#output", Input)
        if output.value == self._auto_output:
            self._auto_output = default_output_name(Path.cwd())
            output.value = self._auto_output

    def action_preset(self, name: str) -> None:
        """Fill the plan from a preset; the data, seed and places stay as they are. Its
        stores whose library is missing here are left out, and the note says so."""
        reading = read_form(self._form_state())
        pixel_bytes = None if reading.settings is None else self._pixel_bytes(reading.settings)
        chosen = fitted_preset(name, pixel_bytes)
        self.fill_plan(chosen)
        left_out = left_out_note(name)
        said = preset_summary(name, chosen)
        summary = f"{said}; {left_out}" if left_out else said
        self.notify(summary, title="Preset applied", timeout=6 if left_out else 4)

    def fill_plan(self, chosen: RunSettings) -> None:
        """Fill the plan (stores, options, experiments, sizes) from settings, a preset's
        or a results file's; the data, seed and places stay as they are."""
        self._sampling = sampling_of(chosen)
        for field_id, value in self._plan_texts(chosen).items():
            self.query_one(f"#{field_id}", Input).value = value
        self.query_one(StorePicker).set_chosen(chosen.backends)
        for experiment in EXPERIMENTS:
            checkbox = self.query_one(f"#experiment-{experiment}", Checkbox)
            checkbox.value = experiment in chosen.experiments
        self.query_one(f"#cache-{chosen.cache}", RadioButton).value = True
        self.query_one("#durable", Checkbox).value = chosen.durable
        compression = chosen.backend_options.get("hdf5", {}).get(
            "compression", option_default("hdf5", "compression")
        )
        self.query_one(f"#hdf5-{compression}", RadioButton).value = True
        self._schedule_check()

    def action_focus_stores(self) -> None:
        """Jump to the list of stores (the form is long at 80x24)."""
        stores = self.query_one("#backends", SelectionList)
        stores.focus()
        stores.scroll_visible(top=True, animate=False)

    def action_add_store(self) -> None:
        """Add the store the two menus show; say why not when it cannot be added."""
        problem = self.query_one(StorePicker).add_picked()
        if problem:
            self.notify(problem, title="Cannot add this store", severity="warning", timeout=6)

    def action_open_results(self) -> None:
        def opened(path: Path | None) -> None:
            if path is not None:
                self._imgbench_app.open_results(path)

        self.app.push_screen(OpenDialog("Open results file"), opened)

    def action_download(self, name: str) -> None:
        """Fetch a CIFAR archive into the data dir; on success the data field points at it."""

        def fetched(path: Path | None) -> None:
            if path is not None:
                self.query_one("#data", Input).value = str(path)
                self.notify(f"{path.name} is verified and ready", title="Downloaded", timeout=5)

        self.app.push_screen(FetchScreen(DOWNLOADS[name]), fetched)

    def action_leave_field(self) -> None:
        """Take focus off the form, so the letter and digit keys act again."""
        self.set_focus(None)

    @property
    def _imgbench_app(self) -> ImgbenchHost:
        return host_of(self)

    # -- events -------------------------------------------------------------------------------

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "data":
            self._data_changed(event.value)
        self._schedule_check()

    @on(Input.Submitted)
    def _input_submitted(self) -> None:
        self.focus_next()

    @on(Checkbox.Changed)
    @on(RadioSet.Changed)
    @on(SelectionList.SelectedChanged)
    def _choice_changed(self) -> None:
        self._schedule_check()

    @on(Button.Pressed)
    def _button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button.startswith("preset-"):
            self.action_preset(button.removeprefix("preset-"))
        elif button == "run":
            self.action_run()
        elif button == "open":
            self.action_open_results()
        elif button.startswith("download-"):
            self.action_download(button.removeprefix("download-"))

    # -- checking -----------------------------------------------------------------------------

    def _schedule_check(self) -> None:
        if self._check_timer is not None:
            self._check_timer.stop()
        self._check_timer = self.set_timer(CHECK_DELAY_S, self.refresh_checks)

    def refresh_checks(self) -> None:
        """Read the whole form and show every problem where it was typed."""
        self._show(read_form(self._form_state()))

    def _data_changed(self, value: str) -> None:
        """Synthetic is known at once; a path is inspected in a thread after a pause."""
        text = value.strip()
        synthetic = text.lower() == SYNTHETIC
        self.query_one("#image-size", Input).disabled = not synthetic
        why = self.query_one("#data-why", Static)
        why.display = bool(self._discovered) and text == self._discovered  # else it misleads
        self._enable_folder_fields(False)  # until a check says this is an image folder
        if self._data_timer is not None:
            self._data_timer.stop()
        if synthetic or not text:
            self._verdict = data_verdict(text)
            return
        self._verdict = None
        self._mark("data", "")
        self._show_data_status(has_problem=False)  # "checking…" at once, not an old verdict
        self._data_timer = self.set_timer(DATA_CHECK_DELAY_S, partial(self._start_data_check, text))

    def _start_data_check(self, text: str) -> None:
        self.check_data(text)

    @work(thread=True, exclusive=True, group="validate-data")
    def check_data(self, text: str) -> None:
        """Inspect a CIFAR path off the event loop and hand the verdict back."""
        worker = get_current_worker()
        verdict = data_verdict(text, stop=lambda: worker.is_cancelled)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._data_checked, verdict)

    def _data_checked(self, verdict: DataVerdict) -> None:
        if verdict.text != self._text("data").strip():
            return  # typed on since: a newer check is on its way
        self._verdict = verdict
        self._enable_folder_fields(verdict.kind == FOLDER)
        self._refit_promising_preset()
        self.refresh_checks()

    def _refit_promising_preset(self) -> None:
        """A plan that is still a preset promising a time (quick: about a minute) is fitted
        again to the data just checked, so the promise holds for these images too."""
        settings = read_form(self._form_state()).settings
        name = promising_preset_of(settings) if settings is not None else ""
        if settings is None or not name:
            return
        fitted = fitted_preset(name, self._pixel_bytes(settings))
        if not same_plan(settings, fitted):
            self.fill_plan(fitted)
            self.notify(preset_summary(name, fitted), title="Preset fitted to this data")

    def _enable_folder_fields(self, enabled: bool) -> None:
        self.query_one("#resize", Input).disabled = not enabled
        self.query_one("#keep-grey", Checkbox).disabled = not enabled
        self.query_one(StorePicker).set_folder_data(enabled)

    def _form_state(self) -> FormState:
        texts = {widget.id: widget.value for widget in self.query(Input) if widget.id}
        verdict = self._verdict
        current = verdict is not None and verdict.text == texts.get("data", "").strip()
        return FormState(
            texts=texts,
            backends=self.query_one(StorePicker).chosen,
            experiments=tuple(e for e in EXPERIMENTS if self._ticked(f"#experiment-{e}")),
            cache=self._pressed("cache"),
            durable=self._ticked("#durable"),
            hdf5_compression=self._pressed("hdf5-compression").removeprefix("hdf5-"),
            data_problem=verdict.problem if verdict is not None and current else "",
            data_kind=verdict.kind if verdict is not None and current else "",
            folder_pixel_bytes=verdict.folder_pixel_bytes
            if verdict is not None and current
            else None,
            keep_grey=self._ticked("#keep-grey"),
            priority=self._pressed("priority") or PRIORITIES[0],
            sampling=self._sampling,
        )

    def _text(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    def _ticked(self, selector: str) -> bool:
        return self.query_one(selector, Checkbox).value

    def _pressed(self, radio_set: str) -> str:
        button = self.query_one(f"#{radio_set}", RadioSet).pressed_button
        return (button.id or "").removeprefix(f"{radio_set}-") if button is not None else ""

    # -- showing ------------------------------------------------------------------------------

    def _show(self, reading: FormReading) -> None:
        for field_id in LABELS:
            self._mark(field_id, reading.marks.get(field_id, ""))
        self._show_data_status("data" in reading.marks)
        self._update("#workdir-space", reading.space)
        where = ""
        if "output" not in reading.marks:
            where = f"saved in {self.output_path().absolute().parent}"
        self._update("#output-where", where)
        self._show_summary(reading)
        self._show_preset(reading.settings)

    def _mark(self, field_id: str, reason: str) -> None:
        widget = self.query_one(f"#{field_id}")
        widget.set_class(bool(reason), "-invalid")
        row = widget.parent
        if row is not None and row.has_class("field"):
            row.set_class(bool(reason), "-has-problem")
        problem = self.query_one(f"#{field_id}-problem", Static)
        problem.update(reason)
        problem.set_class(bool(reason), "-shown")

    def _update(self, selector: str, text: str) -> None:
        note = self.query_one(selector, Static)
        note.update(text)
        note.display = bool(text)

    def _show_data_status(self, has_problem: bool) -> None:
        status = self.query_one("#data-status", Static)
        status.display = not has_problem
        verdict = self._verdict
        known = verdict is not None and verdict.text == self._text("data").strip()
        status.update(f"✓ {verdict.summary}" if known and verdict else "checking…")
        status.set_class(known, "-ok")

    def _show_summary(self, reading: FormReading) -> None:
        summary = self.query_one("#summary", Static)
        settings = reading.settings
        if reading.problems or settings is None:
            text = blocked_summary(reading.problems, reading.unplaced)
        else:
            text = ready_summary(settings, self._pixel_bytes(settings))
        summary.update(text)
        summary.set_class(bool(reading.problems), "-blocked")

    def _show_preset(self, settings: RunSettings | None) -> None:
        """Which preset the plan matches, if any (as it fits this data, or as it is): the
        button lights up and a line says so."""
        matching, fitted = "", None
        if settings is not None:
            pixel_bytes = self._pixel_bytes(settings)
            for name in PRESETS:
                fitted = fitted_preset(name, pixel_bytes)
                if same_plan(settings, fitted) or same_plan(settings, preset(name)):
                    matching = name
                    break
        for name in PRESET_KEYS:
            self.query_one(f"#preset-{name}", Button).set_class(name == matching, "-active")
        note = "custom plan (a preset key fills the form)"
        if matching and settings is not None:
            note = preset_summary(matching, settings)
        pixel_bytes = self._pixel_bytes(settings) if settings is not None else None
        if settings is not None and pixel_bytes is not None:
            note += f"; this run: {estimate_words(settings, pixel_bytes)}"
        self.query_one("#preset-note", Static).update(note)

    def _pixel_bytes(self, settings: RunSettings) -> int | None:
        """One image's bytes once the data check has said what the data is."""
        verdict = self._verdict
        current = verdict is not None and verdict.text == self._text("data").strip()
        kind = verdict.kind if verdict is not None and current else ""
        folder = verdict.folder_pixel_bytes if verdict is not None and current else None
        return plan_pixel_bytes(settings, kind, folder)
