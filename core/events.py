"""What a running benchmark tells its parent: few, small, picklable messages.

Never one per image: a task reports when it starts and when its measurement is done,
and progress comes once per finished sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Task:
    """One measurement to make: a backend, an experiment, a cutoff n."""

    backend: str
    experiment: str
    n: int
    workers: int | None = None  # loader worker processes, for the epoch experiments

    @property
    def label(self) -> str:
        label = f"{self.backend} {self.experiment} n={self.n:,}"
        return label if self.workers is None else f"{label} workers={self.workers}"


@dataclass(frozen=True)
class PlanReady:
    tasks: tuple[Task, ...]
    estimated_bytes: int  # scratch space the largest store needs at once
    samples_total: int  # timed samples plus warm-ups expected (sampling adapts as it goes)


@dataclass(frozen=True)
class DataLoading:
    """Images of a folder decoded so far (sent about every 1%, before DatasetLoaded)."""

    done: int
    total: int


@dataclass(frozen=True)
class DatasetLoaded:
    dataset: dict[str, Any]  # the results document's "dataset" section


@dataclass(frozen=True)
class StoreProfiled:
    """What one store is made of, its codec's own cost and, when lossy, its quality
    (the results document's "stores" entry for ``store``)."""

    store: str
    record: dict[str, Any]


@dataclass(frozen=True)
class TaskStarted:
    index: int
    task: Task


@dataclass(frozen=True)
class MeasurementRecorded:
    measurement: dict[str, Any]  # one entry of the results document's "measurements"


@dataclass(frozen=True)
class Progress:
    """How far the run is: ``done`` and ``total`` in milliseconds of work (the time spent,
    and that plus the estimate of what is left), so a bar and the ETA agree."""

    done: int
    total: int
    elapsed_s: float
    eta_s: float | None
    task: Task | None = None


@dataclass(frozen=True)
class TaskFailed:
    task: Task
    message: str


@dataclass(frozen=True)
class RunFinished:
    status: str  # complete | cancelled | failed
    errors: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "cold cache not supported here"


Event = (
    PlanReady
    | DataLoading
    | DatasetLoaded
    | TaskStarted
    | MeasurementRecorded
    | Progress
    | TaskFailed
    | RunFinished
)
