"""The setup screen: everything that shapes a run, checked while it is typed.

Each change re-reads the whole form after a short pause and marks every problem where it
was typed, so a refused run never comes as a surprise. The CIFAR path is inspected in a
thread (listing an archive takes about 0.3 s), so typing never waits on the disk.
"""

from __future__ import annotations

import inspect
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    RadioButton,
    RadioSet,
    SelectionList,
    Static,
)
from textual.worker import get_current_worker

from imgbench.core.backends import BACKENDS
from imgbench.core.backends.hdf5_store import COMPRESSIONS
from imgbench.core.backends.names import INSTALL_LINE
from imgbench.core.charts import experiment_label, format_bytes
from imgbench.core.cifar import CifarInfo, inspect_cifar, looks_like_cifar_folder
from imgbench.core.discovery import DataChoice, discover_data
from imgbench.core.engine import estimated_scratch_bytes, pixel_bytes_for, plan_tasks
from imgbench.core.errors import ImgbenchError
from imgbench.core.fetch import DOWNLOADS
from imgbench.core.image_folder import FolderScan, scan_image_folder
from imgbench.core.results import OutputExistsError, check_output_path
from imgbench.core.results_schema import PRIORITIES
from imgbench.core.settings import (
    EXPERIMENTS,
    PRESETS,
    CacheMode,
    RunSettings,
    located_problems,
    preset,
    unavailable_stores,
)

from .commands import PaletteCommand, ScreenCommands
from .dialogs import PathDialog
from .fetch_screen import FetchScreen
from .paths import expand_path
from .source_words import SOURCE_NAMES
from .store_picker import StorePicker, container_of, parse_stores
from .value_parsers import (
    SYNTHETIC,
    parse_compress_level,
    parse_count,
    parse_data,
    parse_default,
    parse_loader_workers,
    parse_numbers,
    parse_optional_path,
    parse_optional_whole,
    parse_optional_wxh,
    parse_whole,
    parse_wxh,
)
from .verdict_text import PRIORITY_WORDS

if TYPE_CHECKING:
    from .app import ImgbenchApp

T = TypeVar("T")

#: Pause after the last keystroke before the form is checked again.
CHECK_DELAY_S = 0.15
#: Pause before a typed path is inspected (each inspection lists the folder or archive).
DATA_CHECK_DELAY_S = 0.3
CACHE_MODES: tuple[CacheMode, ...] = ("warm", "cold")
PRESET_KEYS = {
    "classic": "F2",
    "quick": "F3",
    "thorough": "F4",
    "formats": "F6",
    "training": "F7",
}
PRESET_TITLES = {
    "classic": "classic",
    "quick": "quick",
    "thorough": "thorough",
    "formats": "formats",
    "training": "training",
}
PRESET_PURPOSES = {
    "classic": "the original study's plan",
    "quick": "a first look in about a minute",
    "thorough": "more repeats: slower, steadier",
    "formats": "today's formats against the classic four",
    "training": "epochs through a loader with worker processes",
}
#: Settings that describe the data, the place and the user's priority rather than the
#: plan: presets keep them.
NOT_PLAN = ("data", "workdir", "seed", "image_size", "resize", "keep_grey", "priority")
FOLDER = "folder"
#: How many skipped file names the data line shows.
SKIPPED_SHOWN = 3
#: How many problems the summary line of a blocked form says in words.
SUMMARY_PROBLEMS = 2
PRESET_GROUP = Binding.Group("presets")


# -- the form's fields -------------------------------------------------------------------


@dataclass(frozen=True)
class TextField:
    """One text input: its widget id, its label, and a hint beside it."""

    id: str
    label: str
    hint: str = ""
    placeholder: str = ""
    short: bool = True  # a number: a narrow input with its hint beside it


DATA = TextField(
    "data", "source", "", "synthetic, a CIFAR folder or .tar.gz, or an image folder", short=False
)
IMAGE_SIZE = TextField("image-size", "image size", "W x H, synthetic only", "32x32")
RESIZE = TextField("resize", "resize to", "W x H, image folder only", "as they are")
COUNT = TextField("count", "target count", "images after tiling", "largest cutoff")
CUTOFFS = TextField("cutoffs", "cutoffs", "n values", "10,100,1000")
REPEATS = TextField("repeats", "repeats", "timed samples")
WARMUP = TextField("warmup", "warm-up", "untimed samples")
K = TextField("k", "random reads k", "capped at n")
SEED = TextField("seed", "seed", "data, random ids")
BATCH = TextField("batch-size", "batch size", "images per epoch batch", "64")
LOADER_WORKERS = TextField(
    "loader-workers", "loader workers", "epoch processes", "1, 2 and every core"
)
EPOCHS = TextField("epochs", "epochs", "in a row: 1 vs 2", "2")
PNG_COMPRESS = TextField("png-compress", "PNG compress", "0-9", "Pillow's default")
PNG_WORKERS = TextField("png-workers", "PNG workers", "processes")
HDF5_CHUNK = TextField("hdf5-chunk", "HDF5 chunk rows", "images per chunk", "automatic")
TAR_SHARD = TextField("tar-shard", "tar shard bytes", "bytes per shard", "the store's default")
PARQUET_ROWS = TextField(
    "parquet-rows", "Parquet group", "images per row group", "the store's default"
)
ZARR_SHARD = TextField("zarr-shard", "Zarr shard", "images per shard", "the store's default")
WORKDIR = TextField("workdir", "work dir", "", "the system temp dir", short=False)
OUTPUT = TextField("output", "results file", "", "imgbench-results.json", short=False)

TEXT_FIELDS = (
    DATA,
    IMAGE_SIZE,
    RESIZE,
    COUNT,
    CUTOFFS,
    REPEATS,
    WARMUP,
    K,
    SEED,
    BATCH,
    LOADER_WORKERS,
    EPOCHS,
    PNG_COMPRESS,
    PNG_WORKERS,
    HDF5_CHUNK,
    TAR_SHARD,
    PARQUET_ROWS,
    ZARR_SHARD,
    WORKDIR,
    OUTPUT,
)
#: Options that apply to every store of a container: (container, option) -> the field.
CONTAINER_OPTIONS: dict[tuple[str, str], str] = {
    ("tar", "shard_bytes"): TAR_SHARD.id,
    ("parquet", "row_group_rows"): PARQUET_ROWS.id,
    ("zarr", "shard_images"): ZARR_SHARD.id,
}
#: Everything that can be marked, with the words used when a problem is listed.
LABELS: dict[str, str] = {f.id: f.label for f in TEXT_FIELDS} | {
    "backends": "stores",
    "stores": "typed stores",
    "experiments": "experiments",
}
#: Fields whose value goes into RunSettings: a typo in one means there are no settings.
SETTINGS_FIELDS = frozenset(LABELS) - {"output", "workdir"}
#: Where the settings' own check locates a problem (see ``located_problems``) -> the form
#: field that fixes it. A problem located elsewhere is said in the summary line.
PROBLEM_FIELDS: dict[str, str] = {
    "data": DATA.id,
    "count": COUNT.id,
    "cutoffs": CUTOFFS.id,
    "repeats": REPEATS.id,
    "warmup": WARMUP.id,
    "k": K.id,
    "seed": SEED.id,
    "batch_size": BATCH.id,
    "loader_workers": LOADER_WORKERS.id,
    "epochs": EPOCHS.id,
    "image_size": IMAGE_SIZE.id,
    "resize": RESIZE.id,
    "workdir": WORKDIR.id,
    "backends": "backends",
    "experiments": "experiments",
    "backend_options.png.compress_level": PNG_COMPRESS.id,
    "backend_options.png.workers": PNG_WORKERS.id,
    "backend_options.hdf5.chunk_rows": HDF5_CHUNK.id,
}


def problem_field(where: str) -> str | None:
    """The form field that fixes a problem the settings' check located at ``where``: a
    container's option (tar's shard_bytes...) is one field for all the container's stores."""
    field_id = PROBLEM_FIELDS.get(where)
    if field_id is None and where.startswith("backend_options."):
        store, _, option = where.removeprefix("backend_options.").rpartition(".")
        field_id = CONTAINER_OPTIONS.get((container_of(store), option))
    return field_id


# -- reading typed values ------------------------------------------------------------------


def parse_size(text: str) -> tuple[int, int]:
    """Width x height (one number: a square) as RunSettings' (height, width)."""
    width, height = parse_wxh(text)
    return height, width


def parse_resize(text: str) -> tuple[int, int] | None:
    """Empty: images keep their own sizes; else (width, height) as RunSettings.resize."""
    return parse_optional_wxh(text)


parse_cutoffs = parse_numbers
parse_workdir = parse_optional_path


def workdir_problem(workdir: Path) -> str:
    """Why a scratch folder could not be made in ``workdir``; empty when it can."""
    try:
        if not workdir.exists():
            return "no such folder"
        if not workdir.is_dir():
            return "not a folder"
    except OSError as error:
        return f"cannot look at this folder ({error.strerror or error})"
    if not os.access(workdir, os.W_OK | os.X_OK):
        return "cannot write in this folder (permission denied)"
    return ""


def output_problem(text: str) -> str:
    """Why the results could not be saved at ``text``; empty when they can."""
    if not text.strip():
        return "type a file name for the results"
    try:
        check_output_path(expand_path(text.strip()))
    except OutputExistsError:
        return ""  # an earlier results file: F5 asks before replacing it
    except ImgbenchError as error:
        return str(error.problem)
    except ValueError as error:  # ~ of no user, a NUL byte
        return str(error)
    except OSError as error:  # e.g. a folder on the way that may not be looked into
        return f"cannot look at this path ({error.strerror or error})"
    return ""


def blocked_summary(problems: list[str], unplaced: list[str]) -> str:
    """The summary line of a form that cannot run: how many problems, then the first few
    in words, those that no field shows first (they are said nowhere else)."""
    count = len(problems)
    head = f"{count} problem{'s' if count != 1 else ''} to fix before running"
    ordered = unplaced + [problem for problem in problems if problem not in unplaced]
    said = ordered[: max(SUMMARY_PROBLEMS, len(unplaced))]
    more = count - len(said)
    tail = f"; and {more} more in red above" if more > 0 else ""
    return f"{head}: {'; '.join(said)}{tail}" if said else f"{head} (in red above)"


def option_default(backend: str, option: str) -> Any:
    """A backend option's default, read from the backend itself so the two never drift."""
    parameter = inspect.signature(BACKENDS[backend].__init__).parameters.get(option)
    return None if parameter is None else parameter.default


def optional_text(value: object) -> str:
    return "" if value is None else str(value)


def same_plan(first: RunSettings, second: RunSettings) -> bool:
    """Whether two settings measure the same things (the data and places may differ)."""

    def plan(settings: RunSettings) -> dict[str, Any]:
        record: dict[str, Any] = settings.to_dict()
        for name in NOT_PLAN:
            record.pop(name)
        return record

    return plan(first) == plan(second)


def preset_summary(name: str) -> str:
    chosen = preset(name)
    low, high = min(chosen.cutoffs), max(chosen.cutoffs)
    cutoffs = f"cutoffs {low:,}..{high:,}" if low != high else f"n = {high:,}"
    stores = f"{len(chosen.backends)} stores, " if len(chosen.backends) != 4 else ""
    return (
        f"{PRESET_TITLES[name]}: {PRESET_PURPOSES[name]}. {stores}{chosen.target_count:,} "
        f"images, {cutoffs}, {chosen.repeats} repeats, {chosen.cache} cache"
    )


def left_out_note(name: str) -> str:
    """The preset's stores left out because their library is missing here, in words."""
    left_out = unavailable_stores(PRESETS[name].backends)
    if not left_out:
        return ""
    return f"left out, their library is missing: {', '.join(left_out)} ({INSTALL_LINE})"


# -- what the data field holds ----------------------------------------------------------------


@dataclass(frozen=True)
class DataVerdict:
    """The result of checking one text typed in the data field."""

    text: str
    summary: str = ""
    problem: str = ""
    kind: str = ""  # synthetic, cifar10, cifar100 or folder, once known


def describe_cifar(info: CifarInfo) -> str:
    """ "CIFAR-10, 5 train batches, 50,000 images": what a person checks at a glance."""
    batches = len(info.train_batches)
    words = [
        SOURCE_NAMES.get(info.kind, info.kind),
        f"{batches} train batch{'es' if batches != 1 else ''}",
        f"{info.expected_images:,} images",
    ]
    if info.has_test:
        words.append("and a test batch")
    found = ", ".join(words)
    return f"{found} (archive, read without extracting)" if info.archive else found


def describe_folder(scan: FolderScan) -> str:
    """ "image folder: 1,234 images in 10 classes; 2 files skipped: a.txt, …"."""
    count = len(scan.files)
    classes = len(scan.class_names)
    words = f"image folder: {count:,} image{'s' if count != 1 else ''}"
    if scan.class_folders:
        words += f" in {classes} class{'es' if classes != 1 else ''} (one sub-folder each)"
    else:
        words += ", no class sub-folders (label 0)"
    if scan.skipped:
        names = ", ".join(item.name for item in scan.skipped[:SKIPPED_SHOWN])
        more = ", …" if len(scan.skipped) > SKIPPED_SHOWN else ""
        noun = "file" if len(scan.skipped) == 1 else "files"
        words += f"; {len(scan.skipped):,} other {noun} skipped: {names}{more}"
    return words


def data_verdict(text: str) -> DataVerdict:
    """Check what the data field holds. Inspects the disk: call it off the event loop."""
    try:
        data = parse_data(text)
        if data == SYNTHETIC:
            summary = "built-in synthetic set: 10 classes, photo-like"
            return DataVerdict(text, summary=summary, kind=SYNTHETIC)
        path = Path(data)
        if path.is_dir() and not looks_like_cifar_folder(path):
            return DataVerdict(text, summary=describe_folder(scan_image_folder(path)), kind=FOLDER)
        info = inspect_cifar(data)
        return DataVerdict(text, summary=describe_cifar(info), kind=info.kind)
    except (ValueError, ImgbenchError, OSError) as error:
        return DataVerdict(text, problem=str(error))


def short_path(path: Path) -> str:
    """ "." for the current directory and "~" for home: shorter lines at 80 columns."""
    if path == Path.cwd():
        return "."
    try:
        return f"~/{path.relative_to(Path.home())}"
    except ValueError:
        return str(path)


def explain_choice(choice: DataChoice) -> str:
    """Why the data field starts with what it holds."""
    if choice.path is not None:
        title = SOURCE_NAMES.get(choice.source, choice.source)
        return f"default: {title} found at {short_path(choice.path)}"
    places = " or ".join(short_path(p) for p in choice.looked_in)
    return f"default: no CIFAR data in {places}: using the built-in synthetic set"


def default_output_name(folder: Path) -> str:
    """imgbench-results-DATE-TIME.json, never the name of a file already there."""
    stem = f"imgbench-results-{datetime.now():%Y%m%d-%H%M%S}"
    name, number = f"{stem}.json", 1
    while (folder / name).exists():
        number += 1
        name = f"{stem}-{number}.json"
    return name


# -- the whole form, read ---------------------------------------------------------------------


@dataclass(frozen=True)
class FormState:
    """What the form holds, as typed and ticked; ``data_problem`` is from the last check."""

    texts: Mapping[str, str]
    backends: tuple[str, ...]
    experiments: tuple[str, ...]
    cache: str
    durable: bool
    hdf5_compression: str
    data_problem: str = ""
    data_kind: str = ""  # from the last check of the data field
    keep_grey: bool = False
    priority: str = PRIORITIES[0]
    #: How many samples to take: not on the form, it follows the preset last applied.
    sampling: Mapping[str, Any] = field(default_factory=dict)


#: Settings the form does not show; a preset (or the settings the screen opened with) sets them.
SAMPLING_FIELDS = ("sample_budget_s", "max_samples", "single_max_n", "warmup_store_max_n")


def sampling_of(settings: RunSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in SAMPLING_FIELDS}


@dataclass(frozen=True)
class FormReading:
    """The settings (None when a field cannot be read), the marks to show, the problems,
    and those of them that no field shows (the summary line says these)."""

    settings: RunSettings | None
    marks: dict[str, str]
    problems: list[str]
    space: str
    unplaced: list[str] = field(default_factory=list)


class _Reader:
    """Parses fields and remembers, per field, why one could not be read."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = texts
        self.marks: dict[str, str] = {}

    def read(self, field_id: str, parse: Callable[[str], T]) -> T | None:
        try:
            return parse(self.texts.get(field_id, ""))
        except ValueError as error:
            self.marks[field_id] = str(error)
            return None


def read_form(state: FormState) -> FormReading:
    """Everything the form says, checked: the one place a run's settings come from."""
    reader = _Reader(state.texts)
    data = reader.read("data", parse_data)
    if data is not None and state.data_problem:
        reader.marks["data"] = state.data_problem
    image_size = RunSettings().image_size
    if data == SYNTHETIC:
        image_size = reader.read("image-size", parse_size) or image_size
    else:  # unused by a CIFAR run, but kept as given so settings survive the form
        with suppress(ValueError):
            image_size = parse_size(state.texts.get("image-size", ""))
    resize = reader.read("resize", parse_resize) if state.data_kind == FOLDER else None
    count = reader.read("count", parse_count)
    cutoffs = reader.read("cutoffs", parse_cutoffs)
    repeats = reader.read("repeats", partial(parse_whole, minimum=1))
    warmup = reader.read("warmup", partial(parse_whole, minimum=0))
    k = reader.read("k", partial(parse_whole, minimum=1))
    seed = reader.read("seed", partial(parse_whole, minimum=0))
    defaults = RunSettings()
    batch_size = reader.read("batch-size", partial(parse_default, defaults.batch_size))
    loader_workers = reader.read("loader-workers", parse_loader_workers)
    epochs = reader.read("epochs", partial(parse_default, defaults.epochs))
    if "stores" in state.texts:  # the typed list: the ticks follow it once it means something
        reader.read("stores", parse_stores)
    options = _backend_options(reader, state)
    workdir = reader.read("workdir", parse_workdir)
    settings = None
    if not reader.marks.keys() & SETTINGS_FIELDS:
        settings = RunSettings(
            data=cast(str, data),
            count=count,
            backends=state.backends,
            experiments=state.experiments,
            cutoffs=cast("tuple[int, ...]", cutoffs),
            repeats=cast(int, repeats),
            warmup=cast(int, warmup),
            k=cast(int, k),
            cache="cold" if state.cache == "cold" else "warm",
            durable=state.durable,
            backend_options=options,
            workdir=workdir,
            seed=cast(int, seed),
            batch_size=cast(int, batch_size),
            loader_workers=cast("tuple[int, ...]", loader_workers),
            epochs=cast(int, epochs),
            image_size=image_size,
            resize=resize,
            keep_grey=state.keep_grey and state.data_kind == FOLDER,
            priority=state.priority,
            **state.sampling,
        )
    space = _check_places(reader, settings, workdir, state.data_kind)
    rules = _rule_marks(state, count, cutoffs)
    found = [f"{LABELS[field_id]}: {reason}" for field_id, reason in reader.marks.items()]
    placed: dict[str, str] = {}
    unplaced: list[str] = []
    if settings is not None:
        pixel_bytes = _known_pixel_bytes(settings, state.data_kind)
        for problem in located_problems(settings, bytes_per_image=pixel_bytes):
            found.append(problem.text)
            field_id = problem_field(problem.where)
            if field_id is None:
                unplaced.append(problem.text)
            else:
                placed.setdefault(field_id, problem.text)
    else:  # problems() needs settings: say the rules broken so far in the form's words
        found.extend(f"{LABELS[field_id]}: {reason}" for field_id, reason in rules.items())
    return FormReading(settings, placed | rules | reader.marks, found, space, unplaced)


def _known_pixel_bytes(settings: RunSettings, data_kind: str) -> int | None:
    """One image's pixel bytes once the data check knows them for certain: the synthetic
    set and CIFAR (a folder's images are sized when they are loaded)."""
    source = SYNTHETIC if settings.data == SYNTHETIC else data_kind
    if source not in (SYNTHETIC, "cifar10", "cifar100"):
        return None
    known: int | None = pixel_bytes_for(source, settings)
    return known


def _backend_options(reader: _Reader, state: FormState) -> dict[str, dict[str, Any]]:
    """Options of the chosen backends that differ from the backend's defaults."""
    typed: dict[str, dict[str, Any]] = {
        "png": {
            "compress_level": reader.read("png-compress", parse_compress_level),
            "workers": reader.read("png-workers", partial(parse_whole, minimum=1)),
        },
        "hdf5": {
            "chunk_rows": reader.read("hdf5-chunk", partial(parse_optional_whole, minimum=1)),
            "compression": state.hdf5_compression,
        },
    }
    chosen: dict[str, dict[str, Any]] = {}
    for backend, values in typed.items():
        changed = {k: v for k, v in values.items() if v != option_default(backend, k)}
        if backend in state.backends and changed:
            chosen[backend] = changed
    for (container, option), field_id in CONTAINER_OPTIONS.items():
        value = reader.read(field_id, partial(parse_optional_whole, minimum=1))
        if value is None:
            continue
        for store in state.backends:  # a container's option goes to each of its stores
            if container_of(store) == container:
                chosen.setdefault(store, {})[option] = value
    return chosen


def container_option_text(settings: RunSettings, container: str, option: str) -> str:
    """A container option's value as the settings give it to the first of its stores."""
    for store, values in settings.backend_options.items():
        if container_of(store) == container and isinstance(values, Mapping) and option in values:
            return optional_text(values[option])
    return ""


def _check_places(
    reader: _Reader, settings: RunSettings | None, workdir: str | None, data_kind: str
) -> str:
    """Mark a bad work dir, too little space or an unwritable output; say what is free."""
    problem = output_problem(reader.texts.get("output", ""))
    if problem:
        reader.marks["output"] = problem
    if "workdir" in reader.marks:
        return ""  # the typed work dir is not a path that can be looked at
    folder = Path(workdir) if workdir else Path(tempfile.gettempdir())
    problem = workdir_problem(folder)
    if problem:
        reader.marks["workdir"] = problem
        return ""
    free = shutil.disk_usage(folder).free
    if settings is None or not settings.backends or not settings.cutoffs:
        return f"{format_bytes(free)} free"
    source = SYNTHETIC if settings.data == SYNTHETIC else data_kind
    pixel_bytes = pixel_bytes_for(source, settings)
    if pixel_bytes is None:
        return f"{format_bytes(free)} free; the space needed is checked once the images are loaded"
    needed = estimated_scratch_bytes(settings, pixel_bytes)
    if free < needed:
        reader.marks["workdir"] = (
            f"not enough free space: the plan needs about {format_bytes(needed)}, "
            f"{format_bytes(free)} is free"
        )
    return f"{format_bytes(free)} free; this plan needs about {format_bytes(needed)}"


def _rule_marks(
    state: FormState, count: int | None, cutoffs: tuple[int, ...] | None
) -> dict[str, str]:
    """Where problems() would complain, said at the field that fixes it."""
    marks = {}
    if not state.backends:
        marks["backends"] = "choose at least one store"
    if not state.experiments:
        marks["experiments"] = "choose at least one experiment"
    elif "disk_usage" in state.experiments and not {"store_single", "store_many"} & set(
        state.experiments
    ):
        marks["experiments"] = "disk usage is measured on what store single or store many wrote"
    if count is not None and cutoffs and count < max(cutoffs):
        marks["count"] = f"less than the largest cutoff ({max(cutoffs):,})"
    return marks


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
        Binding("ctrl+o,o", "open_results", "Open results", id="setup.open"),
        Binding(  # its button says d: the footer keeps to 80 columns
            "d", "download('cifar10')", "Download CIFAR-10", id="setup.download", show=False
        ),
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
                "esc leaves a field; r run, 1-5 presets, s stores, a add, o open, d download",
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
        yield Footer()

    def _initial_texts(self) -> tuple[dict[str, str], str]:
        """The form's first values, and why the data field holds what it does."""
        settings = self.initial
        why = ""
        data = settings.data
        if data == "auto":
            choice = discover_data()
            data = str(choice.path) if choice.path is not None else SYNTHETIC
            why = explain_choice(choice)
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
                key = "  d" if name == "cifar10" else ""
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
        self._imgbench_app.start_run(reading.settings, self.output_path())

    def action_preset(self, name: str) -> None:
        """Fill the plan from a preset; the data, seed and places stay as they are. Its
        stores whose library is missing here are left out, and the note says so."""
        chosen = preset(name)
        self.fill_plan(chosen)
        left_out = left_out_note(name)
        summary = f"{preset_summary(name)}; {left_out}" if left_out else preset_summary(name)
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

        self.app.push_screen(PathDialog("Open results file", must_exist=True), opened)

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
    def _imgbench_app(self) -> ImgbenchApp:
        return cast("ImgbenchApp", self.app)

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
        verdict = data_verdict(text)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._data_checked, verdict)

    def _data_checked(self, verdict: DataVerdict) -> None:
        if verdict.text != self._text("data").strip():
            return  # typed on since: a newer check is on its way
        self._verdict = verdict
        self._enable_folder_fields(verdict.kind == FOLDER)
        self.refresh_checks()

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
            tasks = len(plan_tasks(settings))
            text = (
                f"Ready: {tasks} timed tasks ({len(settings.backends)} stores, "
                f"{len(settings.cutoffs)} cutoffs), {settings.repeats} repeats each. F5 runs it."
            )
        summary.update(text)
        summary.set_class(bool(reading.problems), "-blocked")

    def _show_preset(self, settings: RunSettings | None) -> None:
        """Which preset the plan matches, if any: the button lights up and a line says so."""
        matching = ""
        if settings is not None:
            matching = next((n for n in PRESETS if same_plan(settings, preset(n))), "")
        for name in PRESET_KEYS:
            self.query_one(f"#preset-{name}", Button).set_class(name == matching, "-active")
        note = preset_summary(matching) if matching else "custom plan (a preset key fills the form)"
        self.query_one("#preset-note", Static).update(note)
