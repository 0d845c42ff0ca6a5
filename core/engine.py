"""The benchmark engine: a plan of tasks, run in a child process, reported as events.

The child is started with *spawn*, so whatever drives the run (a terminal UI, a
progress bar) never shares a core's interpreter, GIL or memory with the timed work.
The parent owns the scratch folder: it creates it, and it deletes it however the
child ends, even when a cancelled child has to be killed.
"""

from __future__ import annotations

import multiprocessing
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any

from .cache import eviction_supported
from .cifar import inspect_cifar, load_cifar
from .dataset import Dataset, tile
from .discovery import discover_data
from .environment import environment_info
from .errors import ImgbenchError
from .events import (
    DatasetLoaded,
    Event,
    MeasurementRecorded,
    PlanReady,
    Progress,
    RunFinished,
    Task,
    TaskFailed,
    TaskStarted,
)
from .measure import TaskContext, read_sample, store_sample
from .results import build_document, measurement
from .settings import READ_EXPERIMENTS, STORE_EXPERIMENTS, RunSettings, problems
from .synthetic import make_synthetic

#: Seconds a cancelled child gets to stop by itself before it is killed.
CANCEL_GRACE_S = 5.0
#: Room kept free on top of the plan's estimate.
SPACE_MARGIN_BYTES = 64 << 20
PAGE = 4096
MISMATCH = "what was read back differs from what was written (verified: false)"


class SettingsError(ImgbenchError):
    """The run cannot start: bad settings, missing data, not enough space."""


# -- the plan ----------------------------------------------------------------------------


def plan_tasks(settings: RunSettings) -> tuple[Task, ...]:
    """n ascending, then backend, then stores before reads (the reads share one store)."""
    order = [e for e in (*STORE_EXPERIMENTS, *READ_EXPERIMENTS) if e in settings.experiments]
    return tuple(
        Task(backend, experiment, n)
        for n in sorted(set(settings.cutoffs))
        for backend in settings.backends
        for experiment in order
    )


def bytes_on_disk_per_image(backend: str, shape: tuple[int, ...]) -> int:
    """A generous guess of one image's allocated size in each layout."""
    pixels = 1
    for side in shape:
        pixels *= side
    pages = -(-(pixels + 64) // PAGE) * PAGE
    return {"png": pages, "lmdb": pages + PAGE // 4}.get(backend, pixels + 16)


def estimated_scratch_bytes(settings: RunSettings, shape: tuple[int, ...]) -> int:
    """Peak scratch use: one backend's shared read store plus one store being timed."""
    largest = max(settings.cutoffs)
    per_image = max(bytes_on_disk_per_image(b, shape) for b in settings.backends)
    return 2 * largest * per_image + SPACE_MARGIN_BYTES


def image_shape(settings: RunSettings) -> tuple[int, int, int]:
    """The image shape the run will use, known before any pixel is loaded."""
    source, _ = resolve_source(settings)
    if source == "synthetic":
        return (*settings.image_size, 3)
    return (32, 32, 3)


def resolve_source(settings: RunSettings) -> tuple[str, Path | None]:
    """("synthetic", None) or (kind, path) for CIFAR, after default discovery for "auto"."""
    if settings.data == "synthetic":
        return "synthetic", None
    if settings.data == "auto":
        choice = discover_data()
        return choice.source, choice.path
    info = inspect_cifar(settings.data)  # raises a DataError that names the problem
    return info.kind, Path(settings.data)


def check_can_start(settings: RunSettings) -> Path:
    """Refuse bad settings, missing data and a full disk before anything is written.

    Returns the work dir the scratch folder will go in.
    """
    found = problems(settings)
    if found:
        raise SettingsError(None, "; ".join(found))
    workdir = Path(settings.workdir) if settings.workdir else Path(tempfile.gettempdir())
    if not workdir.is_dir():
        raise SettingsError(workdir, "the work dir does not exist or is not a folder")
    needed = estimated_scratch_bytes(settings, image_shape(settings))
    free = shutil.disk_usage(workdir).free
    if free < needed:
        raise SettingsError(
            workdir,
            f"not enough free space: the plan needs about {needed / 1e9:.2f} GB, "
            f"{free / 1e9:.2f} GB is free",
        )
    return workdir


# -- the parent's side --------------------------------------------------------------------


@dataclass
class RunState:
    """What the parent has heard so far; enough to build the results document."""

    tasks: tuple[Task, ...] = ()
    dataset: dict[str, Any] | None = None
    measurements: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str | None = None
    progress: Progress | None = None


class BenchmarkRun:
    """One run in a spawned child. Call ``start``, then iterate ``events()``."""

    def __init__(self, settings: RunSettings) -> None:
        self.settings = settings
        self.state = RunState()
        self.scratch: Path | None = None
        self._workdir: Path | None = None
        self._context = multiprocessing.get_context("spawn")
        self._events: Any = None
        self._cancel: Any = None
        self._process: Any = None
        self._cancelled_at: float | None = None

    def start(self) -> None:
        """Check everything, make the scratch folder, start the child."""
        self._workdir = check_can_start(self.settings)
        _start_resource_tracker()
        self.scratch = Path(tempfile.mkdtemp(prefix="imgbench-", dir=self._workdir))
        # A one-way pipe, not a Queue: a Queue starts a feeder thread in the child, and the
        # child must stay single-threaded (its PNG workers fork).
        self._events, sender = self._context.Pipe(duplex=False)
        self._cancel = self._context.Event()
        self._process = self._context.Process(
            target=child_main,
            args=(self.settings.to_dict(), str(self.scratch), _Sender(sender), self._cancel),
            name="imgbench-benchmark",
            daemon=True,
        )
        self._process.start()
        sender.close()  # the child holds the only writing end: its exit ends the stream

    def cancel(self) -> None:
        """Ask the child to stop between samples; it is killed if it has not after a grace."""
        if self._cancel is not None and self.state.status is None:
            self._cancel.set()
            self._cancelled_at = self._cancelled_at or time.monotonic()

    @property
    def finished(self) -> bool:
        return self.state.status is not None

    def events(self, poll_s: float = 0.1) -> Iterator[Event]:
        """Every event until the run ends; the last one is always a RunFinished."""
        while not self.finished:
            yield from self.poll(poll_s)

    def poll(self, timeout_s: float = 0.0) -> list[Event]:
        """The events that have arrived (waiting up to ``timeout_s`` for the first)."""
        if self.finished:
            return []
        received, stream_ended = self._receive(timeout_s)
        for event in received:
            self._absorb(event)
        if not self.finished:
            ended = self._check_child(stream_ended)
            if ended is not None:
                received.append(ended)
        return received

    def _receive(self, timeout_s: float) -> tuple[list[Event], bool]:
        """(events, whether the child's end of the pipe has closed)."""
        received: list[Event] = []
        try:
            if self._events.poll(timeout_s):
                received.append(self._events.recv())
                while self._events.poll(0):
                    received.append(self._events.recv())
        except (EOFError, OSError):
            return received, True
        return received, False

    def document(self) -> dict[str, Any]:
        """The results document of what has been measured so far."""
        workdir = self._workdir or Path(tempfile.gettempdir())
        return build_document(
            settings=self.settings.to_dict(),
            dataset=self.state.dataset or {},
            environment=environment_info(workdir),
            measurements=list(self.state.measurements),
            status=self.state.status or "failed",
            errors=list(self.state.errors),
            notes=list(self.state.notes),
        )

    def _absorb(self, event: Event) -> None:
        state = self.state
        if isinstance(event, PlanReady):
            state.tasks = event.tasks
        elif isinstance(event, DatasetLoaded):
            state.dataset = event.dataset
        elif isinstance(event, MeasurementRecorded):
            state.measurements.append(event.measurement)
        elif isinstance(event, Progress):
            state.progress = event
        elif isinstance(event, RunFinished):
            state.errors.extend(event.errors)
            state.notes.extend(event.notes)
            self._finish(event.status)

    def _check_child(self, stream_ended: bool) -> RunFinished | None:
        """Notice a child that died, or one that ignored a cancel for too long."""
        waited = time.monotonic() - (self._cancelled_at or time.monotonic())
        if self._cancelled_at is not None and waited > CANCEL_GRACE_S:
            self._process.kill()
            self._process.join(5)
            finished = RunFinished("cancelled", notes=["the benchmark was stopped by force"])
        elif stream_ended or not self._process.is_alive():
            self._process.join(5)
            code = self._process.exitcode
            message = f"the benchmark process ended unexpectedly (exit code {code})"
            finished = RunFinished("failed", errors=[{"task": "run", "message": message}])
        else:
            return None
        self._absorb(finished)
        return finished

    def _finish(self, status: str) -> None:
        self.state.status = status
        if self._process is not None:
            self._process.join(CANCEL_GRACE_S)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _start_resource_tracker() -> None:
    """multiprocessing's resource tracker inherits stderr by descriptor when it starts; a
    front end that captures stderr (Textual does) hands it an invalid one and every spawn
    then fails. Starting it first, against the real stderr, avoids that."""
    captured = sys.stderr
    try:
        sys.stderr = sys.__stderr__
        resource_tracker.ensure_running()
    finally:
        sys.stderr = captured


# -- the child's side ---------------------------------------------------------------------


def child_main(settings_record: dict[str, Any], scratch: str, events: Any, cancel: Any) -> None:
    """Entry point of the spawned child: load the data, run the plan, report."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ctrl+c is the parent's to handle
    settings = RunSettings.from_dict(settings_record)
    try:
        dataset = load_dataset(settings)
    except ImgbenchError as error:
        events.put(RunFinished("failed", errors=[{"task": "load data", "message": str(error)}]))
        return
    events.put(DatasetLoaded(dataset_record(dataset)))
    runner = _ChildRun(settings, dataset, Path(scratch), events, cancel)
    events.put(runner.run())


def load_dataset(settings: RunSettings) -> Dataset:
    source, path = resolve_source(settings)
    count = settings.target_count
    if source == "synthetic":
        return make_synthetic(count, seed=settings.seed, size=settings.image_size)
    assert path is not None
    return tile(load_cifar(path), count)


def dataset_record(dataset: Dataset) -> dict[str, Any]:
    return {
        "source": dataset.source,
        "path": dataset.path,
        "count": len(dataset),
        "shape": list(dataset.shape),
        "classes": len(dataset.class_names),
        "class_names": list(dataset.class_names),
        "sha256": dataset.sha256,
        "details": {k: v for k, v in dataset.details.items() if _is_json(v)},
    }


def _is_json(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, list, type(None)))


class _ChildRun:
    def __init__(
        self, settings: RunSettings, dataset: Dataset, scratch: Path, events: Any, cancel: Any
    ) -> None:
        self.settings = settings
        self.events = events
        self.cancel = cancel
        file_system = environment_info(scratch).get("workdir_filesystem")
        self.cold = settings.cache == "cold" and eviction_supported(file_system)
        self.cache_label = (
            settings.cache if self.cold or settings.cache == "warm" else "cold-unsupported"
        )
        self.context = TaskContext(dataset.images, dataset.labels, settings, scratch, self.cold)
        self.tasks = plan_tasks(settings)
        self.samples_per_task = settings.warmup + settings.repeats
        self.units_total = (
            sum(self._units_per_sample(t) for t in self.tasks) * self.samples_per_task
        )
        self.units_done = 0
        self.started = time.monotonic()

    def run(self) -> RunFinished:
        notes = []
        if self.cache_label == "cold-unsupported":
            notes.append("cold cache asked for, but files cannot be evicted here: reads were warm")
        estimate = estimated_scratch_bytes(self.settings, self.context.images.shape[1:])
        samples = len(self.tasks) * self.samples_per_task
        self.events.put(PlanReady(self.tasks, estimate, samples))
        errors: list[dict[str, str]] = []
        for index, task in enumerate(self.tasks):
            if self.cancel.is_set():
                return RunFinished("cancelled", errors, notes)
            self.events.put(TaskStarted(index, task))
            try:
                row = self._measure(task)
            except _Cancelled:
                return RunFinished("cancelled", errors, notes)
            except Exception as error:  # the run stops; what was measured is kept
                message = str(error) if isinstance(error, ImgbenchError) else repr(error)
                self.events.put(TaskFailed(task, message))
                detail = traceback.format_exc()
                errors.append({"task": task.label, "message": message, "detail": detail})
                return RunFinished("failed", errors, notes)
            self.events.put(MeasurementRecorded(row))
            if row["verified"] is False:
                errors.append({"task": task.label, "message": MISMATCH})
            self._drop_read_store_when_done(index, task)
        return RunFinished("complete", errors, notes)

    def _measure(self, task: Task) -> dict[str, Any]:
        samples: list[float] = []
        verified: list[bool] = []
        usage: tuple[int, int] | None = None
        for index in range(self.samples_per_task):
            if self.cancel.is_set():
                raise _Cancelled
            if task.experiment in STORE_EXPERIMENTS:
                sample, usage = store_sample(self.context, task, index)
            else:
                sample = read_sample(self.context, task, index)
                verified.append(bool(sample.verified))
            if index >= self.settings.warmup:
                samples.append(sample.seconds)
            self._progress(task)
        return self._row(task, samples, verified, usage)

    def _row(
        self, task: Task, samples: list[float], verified: list[bool], usage: tuple[int, int] | None
    ) -> dict[str, Any]:
        is_store = task.experiment in STORE_EXPERIMENTS
        k = self._units_per_sample(task)
        per_image = int(self.context.images[0].nbytes)
        if not is_store or "disk_usage" not in self.settings.experiments:
            usage = None
        return measurement(
            task.backend,
            task.experiment,
            task.n,
            k,
            samples,
            images=k,
            pixel_bytes=k * per_image,
            bytes_apparent=usage[0] if usage else None,
            bytes_allocated=usage[1] if usage else None,
            verified=None if is_store else all(verified),
            cache="warm" if is_store else self.cache_label,
        )

    def _units_per_sample(self, task: Task) -> int:
        return self.settings.images_per_sample(task.experiment, task.n)

    def _progress(self, task: Task) -> None:
        self.units_done += self._units_per_sample(task)
        elapsed = time.monotonic() - self.started
        remaining = self.units_total - self.units_done
        eta = elapsed / self.units_done * remaining if self.units_done else None
        self.events.put(Progress(self.units_done, self.units_total, elapsed, eta, task))

    def _drop_read_store_when_done(self, index: int, task: Task) -> None:
        later = self.tasks[index + 1 :]
        if not any(t.backend == task.backend and t.n == task.n for t in later):
            shutil.rmtree(
                self.context.scratch / f"read-{task.backend}-{task.n}", ignore_errors=True
            )


class _Sender:
    """The child's end of the event pipe, with the ``put`` the runner calls."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def put(self, event: Event) -> None:
        self._connection.send(event)


class _Cancelled(Exception):
    """Raised between samples when the parent asked the run to stop."""
