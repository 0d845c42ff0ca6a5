"""The setup form without its widgets: the fields, reading them into settings, and the
checks that mark each problem where it was typed.

Pure apart from looking at the disk for the work dir and the results file, so every rule
of the form is tested without starting the app.
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
from typing import Any, TypeVar, cast

from imgbench.core.backends import BACKENDS
from imgbench.core.chart_words import format_bytes
from imgbench.core.engine import estimated_scratch_bytes, pixel_bytes_for
from imgbench.core.errors import ImgbenchError
from imgbench.core.results import OutputExistsError, check_output_path
from imgbench.core.results_schema import PRIORITIES
from imgbench.core.settings import RunSettings, located_problems

from .paths import expand_path
from .setup_data import FOLDER
from .store_picker import container_of
from .value_parsers import (
    SYNTHETIC,
    parse_compress_level,
    parse_count,
    parse_data,
    parse_default,
    parse_image_size,
    parse_loader_workers,
    parse_numbers,
    parse_optional_path,
    parse_optional_whole,
    parse_optional_wxh,
    parse_stores,
    parse_whole,
)

T = TypeVar("T")

#: How many problems the summary line of a blocked form says in words.
SUMMARY_PROBLEMS = 2

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


def default_output_name(folder: Path) -> str:
    """imgbench-results-DATE-TIME.json (now), never the name of a file already there."""
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
    folder_pixel_bytes: int | None = None  # a folder's mean image bytes, from that check
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
        image_size = reader.read("image-size", parse_image_size) or image_size
    else:  # unused by a CIFAR run, but kept as given so settings survive the form
        with suppress(ValueError):
            image_size = parse_image_size(state.texts.get("image-size", ""))
    resize = reader.read("resize", parse_optional_wxh) if state.data_kind == FOLDER else None
    count = reader.read("count", parse_count)
    cutoffs = reader.read("cutoffs", parse_numbers)
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
    workdir = reader.read("workdir", parse_optional_path)
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
    space = _check_places(reader, settings, workdir, state)
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
    reader: _Reader, settings: RunSettings | None, workdir: str | None, state: FormState
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
    source = SYNTHETIC if settings.data == SYNTHETIC else state.data_kind
    pixel_bytes = pixel_bytes_for(source, settings)
    if pixel_bytes is None and source == FOLDER:
        pixel_bytes = state.folder_pixel_bytes  # from the sizes the files declare
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
