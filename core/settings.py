"""Everything that shapes a benchmark run, its presets, and how it is checked.

The settings travel as a plain dict inside the results document, so ``to_dict`` and
``from_dict`` are exact inverses and every field has a JSON type.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

from .backends import backend_options, check_options, is_store_name
from .backends.names import missing_library, parse_store
from .results_schema import MEASURED_EXPERIMENTS, PRIORITIES

#: What a run can do: the measured experiments, and disk usage (which is not timed).
EXPERIMENTS = (*MEASURED_EXPERIMENTS, "disk_usage")
#: The training read (issue 12): an epoch through a data loader with worker processes,
#: its batched variant, and the latency distribution of single reads.
EPOCH_EXPERIMENTS = ("epoch", "epoch_batched")
LOADER_EXPERIMENTS = (*EPOCH_EXPERIMENTS, "read_latency")
#: The classic study's experiments: what a run does unless told otherwise.
CLASSIC_EXPERIMENTS = tuple(e for e in EXPERIMENTS if e not in LOADER_EXPERIMENTS)
#: In the order the plan runs them at each n: a store experiment's last, verified store is
#: the store the reads of that n share.
STORE_EXPERIMENTS = ("store_many", "store_single")
READ_EXPERIMENTS = ("open", "read_single", "read_many", "read_random", *LOADER_EXPERIMENTS)
#: Experiments whose cost per image does not change with n (run at small n only).
SINGLE_EXPERIMENTS = ("store_single", "read_single")
CLASSIC_CUTOFFS = (10, 100, 1_000, 10_000, 100_000)
#: The ``formats`` preset's stores.
FORMATS_STORES = ("png", "lmdb", "lmdb+jpeg90", "hdf5", "tar+png", "parquet+png", "zarr", "raw")
CacheMode = Literal["warm", "cold"]


@dataclass(frozen=True)
class RunSettings:
    """One benchmark run. ``data`` is "auto" (discover), "synthetic" or a path (a CIFAR
    folder or archive, or a folder of the user's own images)."""

    data: str = "auto"
    count: int | None = None  # images after tiling; None: the largest cutoff
    backends: tuple[str, ...] = ("png", "lmdb", "hdf5", "raw")
    experiments: tuple[str, ...] = CLASSIC_EXPERIMENTS
    cutoffs: tuple[int, ...] = CLASSIC_CUTOFFS
    repeats: int = 3
    warmup: int = 1
    k: int = 1_000  # random-read size, capped at n
    cache: CacheMode = "warm"
    durable: bool = True
    backend_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    workdir: str | None = None  # None: the system temp dir
    seed: int = 0
    image_size: tuple[int, int] = (32, 32)  # of the synthetic set
    resize: tuple[int, int] | None = None  # (W, H) for a folder of images; None: as they are
    keep_grey: bool = False  # a folder's grey images stay one channel (else RGB)
    # -- sampling: at least `repeats` samples, more while under the budget, at most the cap
    sample_budget_s: float = 0.5  # timed seconds a measurement may gather beyond `repeats`
    max_samples: int = 30  # repeats win when they ask for more
    # single-image experiments cost the same per image at every n: run them up to this n
    single_max_n: int = 1_000
    # warm-ups help reads (caches, lazy opening); a store, or a read of every image right
    # after the store's read-back, warms nothing once n is large
    warmup_store_max_n: int = 100
    # -- the training read: an epoch through a loader, as torch's DataLoader reads
    batch_size: int = 64
    # worker processes to sweep; () is 1, 2 and the machine's cores (without repeats)
    loader_workers: tuple[int, ...] = ()
    epochs: int = 2  # in a row, after a cold cache's eviction: epoch 1 against epoch 2
    # -- what the verdict favours: balanced, read (speed), disk or write (speed)
    priority: str = "balanced"

    def worker_sweep(self, cores: int | None) -> tuple[int, ...]:
        """The loader worker counts an epoch runs with, smallest first."""
        wanted = self.loader_workers or (1, 2, cores or 1)
        return tuple(sorted(set(wanted)))

    @property
    def target_count(self) -> int:
        return self.count if self.count is not None else max(self.cutoffs, default=0)

    def k_for(self, n: int) -> int:
        return min(self.k, n)

    def images_per_sample(self, experiment: str, n: int) -> int:
        """Images one sample moves: k for random reads and the latency reads, every image
        of every epoch for an epoch sample, n otherwise (the unit of progress)."""
        if experiment in ("read_random", "read_latency"):
            return self.k_for(n)
        return n * self.epochs if experiment in EPOCH_EXPERIMENTS else n

    def single_cutoffs(self) -> tuple[int, ...]:
        """The cutoffs single-image experiments run at: those up to ``single_max_n``, or
        the smallest one when none is that small."""
        cutoffs = sorted(set(self.cutoffs))
        small = tuple(n for n in cutoffs if n <= self.single_max_n)
        return small or tuple(cutoffs[:1])

    def warmups_for(self, experiment: str, n: int) -> int:
        """Untimed samples before the timed ones. A store of many images has nothing to
        warm, and a read of all of them would only repeat the full read-back that checked
        the store (which warmed the cache the same way): past ``warmup_store_max_n`` these
        start timing at once; the other reads always warm up. An epoch never does: its
        first epoch is the one a warm-up would hide, and it is measured on its own."""
        if experiment in EPOCH_EXPERIMENTS:
            return 0
        whole = (*STORE_EXPERIMENTS, "read_many")
        if experiment in whole and n > self.warmup_store_max_n:
            return 0
        return self.warmup

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        for key, value in record.items():
            if isinstance(value, tuple):
                record[key] = list(value)
        return record

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> RunSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(record) - known)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        values: dict[str, Any] = {
            key: tuple(value) if isinstance(value, list) else value for key, value in record.items()
        }
        return cls(**values)


def _in_order(names: set[str]) -> tuple[str, ...]:
    """Experiments in the one order a run and the setup form list them."""
    return tuple(name for name in EXPERIMENTS if name in names)


PRESETS: dict[str, RunSettings] = {
    # The study: CIFAR-10's 50,000 images doubled to 100,000, cutoffs 10 to 100,000.
    "classic": RunSettings(count=100_000, cutoffs=CLASSIC_CUTOFFS, repeats=3),
    # A look in under a minute on a small machine.
    # Single-image experiments stop at n=100: their cost per image is the same at any n.
    "quick": RunSettings(
        count=1_000,
        cutoffs=(10, 100, 1_000),
        repeats=3,
        warmup=1,
        k=100,
        sample_budget_s=0.2,
        single_max_n=100,
    ),
    # More repeats and the cold page cache: slower, steadier, closer to a first epoch.
    "thorough": RunSettings(
        count=100_000,
        cutoffs=CLASSIC_CUTOFFS,
        repeats=7,
        warmup=2,
        cache="cold",
        sample_budget_s=2.0,
        max_samples=60,
    ),
    # The formats people choose today against the classic ones, on the same data, in a
    # few minutes: files of PNG, LMDB raw and JPEG, HDF5, tar shards of PNG, Parquet of
    # PNG, Zarr and the raw baseline. Containers whose library is missing are left out.
    "formats": RunSettings(
        count=10_000,
        backends=FORMATS_STORES,
        experiments=_in_order({*CLASSIC_EXPERIMENTS, "epoch"}),
        cutoffs=(100, 1_000, 10_000),
        repeats=3,
        warmup=1,
        k=1_000,
        sample_budget_s=0.3,
        single_max_n=100,
    ),
    # The training read: stores written once, then epochs through a loader with 1, 2 and
    # all cores' workers, and the latency of single reads, on 10,000 images.
    "training": RunSettings(
        count=10_000,
        backends=FORMATS_STORES,
        experiments=_in_order({"store_many", "disk_usage", "epoch", "read_latency"}),
        cutoffs=(10_000,),
        repeats=3,
        warmup=0,
        k=1_000,
        sample_budget_s=0.0,
    ),
}


#: Seconds a preset promises to take (its words say so); a preset's counts are cut down
#: for data whose images would break the promise (see ``run_estimate.preset_for_data``).
PRESET_PROMISE_S: dict[str, float] = {"quick": 60.0}


def preset(name: str, **overrides: Any) -> RunSettings:
    """A preset with some fields replaced (the command line's explicit flags). A preset's
    stores whose library is missing here are left out (:func:`unavailable_stores` says
    which); stores given as an override are kept, so the check can refuse them."""
    try:
        base = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}") from None
    if "backends" not in overrides:
        usable = tuple(s for s in base.backends if s not in unavailable_stores(base.backends))
        base = replace(base, backends=usable)
    return replace(base, **overrides)


def unavailable_stores(stores: Any) -> tuple[str, ...]:
    """The stores whose container's library is not installed here."""
    found = []
    for name in stores:
        with contextlib.suppress(ValueError):
            if missing_library(parse_store(name).container):
                found.append(name)
    return tuple(found)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the settings: where it is fixed, and what is wrong in words.

    ``where`` is a RunSettings field ("count", "cutoffs", ...) or, for a backend option,
    "backend_options.<backend>.<option>" (just "backend_options" when it is not one option).
    """

    where: str
    text: str


def problems(settings: RunSettings, *, bytes_per_image: int | None = None) -> list[str]:
    """Everything wrong with the settings, one short line each; empty when they can run.

    ``bytes_per_image`` is one image's pixel bytes when the caller knows them (a front end
    that has looked at the data); otherwise they are known for the synthetic set only, and
    the memory the images need is checked for that alone.
    """
    return [found.text for found in located_problems(settings, bytes_per_image=bytes_per_image)]


def located_problems(settings: RunSettings, *, bytes_per_image: int | None = None) -> list[Problem]:
    """:func:`problems`, each with the setting that fixes it. Never raises: a value of the
    wrong type is one of the problems."""
    found: list[Problem] = []

    def add(where: str, text: str) -> None:
        found.append(Problem(where, text))

    if not isinstance(settings.data, str) or not settings.data.strip():
        add("data", "data must be auto, synthetic or the path of a data set")
    _check_stores(settings, add)
    _check_names(settings.experiments, EXPERIMENTS, "experiment", "experiments", add)
    cutoffs = _check_cutoffs(settings, add)
    if settings.count is not None and not _is_whole(settings.count):
        add("count", f"count must be a whole number, not {_shown(settings.count)}")
    elif settings.count is not None and settings.count < 1:
        add("count", f"count must be at least 1, not {settings.count:,}")
    elif cutoffs and settings.count is not None and max(cutoffs) > settings.count:
        add(
            "count",
            f"the largest cutoff ({max(cutoffs):,}) is more than the count ({settings.count:,})",
        )
    experiments = settings.experiments if isinstance(settings.experiments, tuple) else ()
    if "disk_usage" in experiments and not set(STORE_EXPERIMENTS) & set(experiments):
        add(
            "experiments", "disk usage is measured on the stores that store_single/store_many write"
        )
    for name, minimum, words in _WHOLE_FIELDS:
        value = getattr(settings, name)
        if not _is_whole(value):
            add(name, f"{words} must be a whole number, not {_shown(value)}")
        elif value < minimum:
            add(name, f"{words} must be at least {minimum}, not {value:,}")
    _check_loader_workers(settings.loader_workers, add)
    budget = settings.sample_budget_s
    if not _is_number(budget) or not 0 <= budget < math.inf:
        add("sample_budget_s", "the sample budget must be 0 seconds or more")
    if settings.cache not in ("warm", "cold"):
        add("cache", "cache must be warm or cold")
    if settings.priority not in PRIORITIES:
        add(
            "priority",
            f"priority must be {', '.join(PRIORITIES[:-1])} or {PRIORITIES[-1]}, "
            f"not {_shown(settings.priority)}",
        )
    for name in ("durable", "keep_grey"):
        if not isinstance(getattr(settings, name), bool):
            add(name, f"{name} must be true or false")
    if not _is_size(settings.image_size):
        add("image_size", "image size must be at least 1x1")
    if settings.resize is not None and not _is_size(settings.resize):
        add("resize", "resize to a width and a height of at least 1 each (WxH)")
    if settings.workdir is not None and not isinstance(settings.workdir, str):
        add("workdir", "the work dir must be a path")
    pixel_bytes = bytes_per_image if bytes_per_image is not None else known_pixel_bytes(settings)
    largest = max(cutoffs) if cutoffs else None
    _check_backend_options(settings.backend_options, largest, pixel_bytes, add)
    if cutoffs and not any(f.where == "count" for f in found) and pixel_bytes is not None:
        problem = memory_problem(settings, pixel_bytes)
        if problem:
            add("count" if settings.count is not None else "cutoffs", problem)
    return found


#: Whole-number settings: (field, the least it may be, its name in a message).
_WHOLE_FIELDS = (
    ("repeats", 1, "repeats"),
    ("warmup", 0, "warm-up"),
    ("k", 1, "the random-read size k"),
    ("batch_size", 1, "the batch size"),
    ("epochs", 1, "the number of epochs"),
    ("seed", 0, "the seed"),
    ("max_samples", 1, "the sample cap"),
    ("single_max_n", 1, "the largest n of single-image experiments"),
    ("warmup_store_max_n", 0, "the largest n with store warm-ups"),
)


#: One CIFAR image: 32x32 pixels of 3 bytes.
CIFAR_PIXEL_BYTES = 32 * 32 * 3


def known_pixel_bytes(settings: RunSettings) -> int | None:
    """One image's pixel bytes when the settings alone tell them: the synthetic set's.
    "auto" finds CIFAR (32x32x3) or makes the synthetic set, so the smaller of the two is
    a floor; a path's images are known once it is looked at."""
    if not _is_size(settings.image_size):
        return None
    height, width = settings.image_size
    synthetic = height * width * 3
    if settings.data == "synthetic":
        return synthetic
    if settings.data == "auto":
        return min(synthetic, CIFAR_PIXEL_BYTES)
    return None


def memory_problem(settings: RunSettings, bytes_per_image: int) -> str:
    """Why the run's images cannot fit in memory (the whole set, and the largest read of
    them at once), with the numbers; empty when they fit or nothing is known."""
    from .chart_words import format_bytes  # charts loads numpy: not for the command line's help
    from .data_source import available_memory_bytes  # data_source imports this module

    available = available_memory_bytes()
    if available is None or not settings.cutoffs:
        return ""
    count = settings.target_count
    needed = (count + max(settings.cutoffs)) * bytes_per_image
    if needed <= available:
        return ""
    fix = "lower the count" if settings.count is not None else "lower the cutoffs"
    return (
        f"{count:,} images need about {format_bytes(needed)} of memory and "
        f"{format_bytes(available)} is available: {fix}"
    )


def _check_names(
    names: Any, allowed: Mapping[str, Any] | tuple[str, ...], noun: str, where: str, add: _Add
) -> None:
    if not isinstance(names, tuple) or not all(isinstance(name, str) for name in names):
        add(where, f"{where} must be a list of names")
        return
    unknown = [name for name in names if name not in allowed]
    if unknown:
        add(where, f"unknown {noun} {', '.join(unknown)}; choose from {', '.join(allowed)}")
    if not names:
        add(where, f"choose at least one {noun}")


def _check_stores(settings: RunSettings, add: _Add) -> None:
    """Each store named once, in its one spelling, usable here and on this data."""
    names = settings.backends
    if not isinstance(names, tuple) or not all(isinstance(name, str) for name in names):
        add("backends", "backends must be a list of store names")
        return
    if not names:
        add("backends", "choose at least one store")
    seen: set[str] = set()
    for name in names:
        try:
            store = parse_store(name)
        except ValueError as error:
            add("backends", str(error))
            continue
        if store.canonical != name:
            add("backends", f"store {name} is written {store.canonical}")
        elif name in seen:
            add("backends", f"store {name} is named twice")
        seen.add(store.canonical)
        missing = missing_library(store.container)
        if missing:
            add("backends", missing)
        if store.encoding == "original" and settings.data in ("auto", "synthetic"):
            add(
                "backends",
                f"{name}: the original encoding stores an image folder's own files; "
                "choose a folder as the data",
            )


#: More loader workers than this is a typo, not a machine.
MAX_LOADER_WORKERS = 256


def _check_loader_workers(workers: Any, add: _Add) -> None:
    if not isinstance(workers, tuple) or not all(
        _at_least(count, 1) and count <= MAX_LOADER_WORKERS for count in workers
    ):
        add(
            "loader_workers",
            f"loader workers must be whole numbers from 1 to {MAX_LOADER_WORKERS}",
        )


def _check_cutoffs(settings: RunSettings, add: _Add) -> tuple[int, ...]:
    """The cutoffs when they are usable, else () after saying why."""
    cutoffs = settings.cutoffs
    if isinstance(cutoffs, tuple) and not cutoffs:
        add("cutoffs", "give at least one cutoff (the numbers of images n to measure)")
        return ()
    if not isinstance(cutoffs, tuple) or not all(_at_least(n, 1) for n in cutoffs):
        add("cutoffs", "cutoffs must be whole numbers of at least 1")
        return ()
    return cutoffs


def _check_backend_options(
    options: Any, largest_n: int | None, bytes_per_image: int | None, add: _Add
) -> None:
    """Each option through its backend's own check, so the two never differ."""
    if not isinstance(options, Mapping):
        add("backend_options", "backend options must be given per backend, by name")
        return
    context = {"largest_n": largest_n, "bytes_per_image": bytes_per_image}
    for backend, values in options.items():
        if not is_store_name(backend) or not isinstance(values, Mapping):
            for text in check_options(backend, values, **context):
                add("backend_options", text)
            continue
        try:
            known = backend_options(backend)
        except ValueError as error:  # its library is missing
            add("backend_options", str(error))
            continue
        unknown = [name for name in values if name not in known]
        if unknown:  # said once, naming every unknown option
            for text in check_options(backend, values, **context):
                add("backend_options", text)
        for name in (name for name in values if name not in unknown):
            for text in check_options(backend, {name: values[name]}, **context):
                add(f"backend_options.{backend}.{name}", text)


_Add = Callable[[str, str], None]


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _at_least(value: Any, minimum: int) -> bool:
    return _is_whole(value) and value >= minimum


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_size(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and all(_at_least(v, 1) for v in value)


def _shown(value: Any) -> str:
    """A value as a message quotes it: numbers with separators, anything else short."""
    if _is_whole(value):
        return f"{value:,}"
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."
