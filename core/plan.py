"""The plan: which (backend, experiment, n) to measure, grouped the way they run.

At each n the store experiments come first (their last, verified store is the store the
reads of that n share), then the reads. The samples of one (experiment, n) run in
rounds across the backends (see :mod:`.sampling`), so a group is the unit the runner
takes: one experiment at one n, for every backend.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import SettingsError
from .events import Task
from .settings import (
    EPOCH_EXPERIMENTS,
    LOADER_EXPERIMENTS,
    READ_EXPERIMENTS,
    SINGLE_EXPERIMENTS,
    STORE_EXPERIMENTS,
    RunSettings,
)

#: Room kept free on top of the plan's estimate.
SPACE_MARGIN_BYTES = 64 << 20
PAGE = 4096


@dataclass(frozen=True)
class Group:
    """One experiment at one n, for every backend: its tasks share rounds."""

    experiment: str
    n: int
    tasks: tuple[Task, ...]


def plan_groups(settings: RunSettings, cores: int | None = None) -> tuple[Group, ...]:
    """n ascending; at each n the stores, then the reads, in the settings' backend order.
    The loader experiments (epochs, read latency) run at the largest n only, an epoch
    once per worker count of the sweep (``cores`` is the machine's, for the sweep)."""
    single = set(settings.single_cutoffs())
    order = [e for e in (*STORE_EXPERIMENTS, *READ_EXPERIMENTS) if e in settings.experiments]
    cutoffs = sorted(set(settings.cutoffs))
    groups = []
    for n in cutoffs:
        for experiment in order:
            if experiment in SINGLE_EXPERIMENTS and n not in single:
                continue
            if experiment in LOADER_EXPERIMENTS and n != cutoffs[-1]:
                continue
            sweep = settings.worker_sweep(cores) if experiment in EPOCH_EXPERIMENTS else (None,)
            for workers in sweep:
                tasks = tuple(Task(store, experiment, n, workers) for store in settings.backends)
                groups.append(Group(experiment, n, tasks))
    return tuple(groups)


def plan_tasks(settings: RunSettings, cores: int | None = None) -> tuple[Task, ...]:
    """Every task, in the order their groups run."""
    return tuple(task for group in plan_groups(settings, cores) for task in group.tasks)


def bytes_on_disk_per_image(backend: str, pixel_bytes: int) -> int:
    """A generous guess of one image's allocated size in each layout: a file (or an LMDB
    record of a page or more) per image rounds up to pages; an encoding may grow an image
    a little (PNG of noise), never much."""
    pages = -(-(pixel_bytes + 64) // PAGE) * PAGE
    container, _, encoding = backend.partition("+")
    if backend == "png" or container == "files":
        return pages
    if container == "lmdb":
        return pages + PAGE // 4
    return pixel_bytes + pixel_bytes // 8 + 64 if encoding else pixel_bytes + 16


def estimated_scratch_bytes(settings: RunSettings, pixel_bytes: int) -> int:
    """Peak scratch use: at the largest n, every backend's kept store (the one the reads
    share) plus one more store of the largest layout being written.

    ``pixel_bytes`` is the bytes of one image (their mean when sizes vary).
    """
    largest = max(settings.cutoffs)
    sizes = [bytes_on_disk_per_image(b, pixel_bytes) * largest for b in settings.backends]
    return sum(sizes) + max(sizes) + SPACE_MARGIN_BYTES


def check_free_space(settings: RunSettings, workdir: Path, pixel_bytes: int) -> None:
    """Refuse a plan whose stores would not fit in the work dir, before anything is written."""
    needed = estimated_scratch_bytes(settings, pixel_bytes)
    free = shutil.disk_usage(workdir).free
    if free < needed:
        raise SettingsError(
            workdir,
            f"not enough free space: the plan needs about {needed / 1e9:.2f} GB, "
            f"{free / 1e9:.2f} GB is free",
        )
