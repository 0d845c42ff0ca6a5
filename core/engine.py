"""The benchmark engine: a plan of tasks, run in a child process, reported as events.

The child is started with *spawn*, so whatever drives the run (a terminal UI, a
progress bar) never shares a core's interpreter, GIL or memory with the timed work.
The parent owns the scratch folder: it creates it, and it deletes it however the
child ends, even when a cancelled child has to be killed.
"""

from __future__ import annotations

import atexit
import multiprocessing
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any

from .cache import eviction_supported
from .cifar import SIDE, inspect_cifar, load_cifar, looks_like_cifar_folder
from .dataset import Dataset, tile
from .discovery import discover_data
from .environment import environment_info
from .errors import DataError, ImgbenchError
from .events import (
    DataLoading,
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
from .image_folder import FORMAT_NAMES, load_image_folder, scan_image_folder
from .images import ImageBatch, ImageList
from .measure import TaskContext, read_sample, store_sample
from .results import build_document, measurement
from .settings import READ_EXPERIMENTS, STORE_EXPERIMENTS, RunSettings, problems
from .synthetic import make_synthetic

#: Seconds a cancelled child gets to stop by itself before it is killed.
CANCEL_GRACE_S = 5.0
#: Room kept free on top of the plan's estimate.
SPACE_MARGIN_BYTES = 64 << 20
PAGE = 4096
LOAD_TASK = "load data"
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


def bytes_on_disk_per_image(backend: str, pixel_bytes: int) -> int:
    """A generous guess of one image's allocated size in each layout."""
    pages = -(-(pixel_bytes + 64) // PAGE) * PAGE
    return {"png": pages, "lmdb": pages + PAGE // 4}.get(backend, pixel_bytes + 16)


def estimated_scratch_bytes(settings: RunSettings, pixel_bytes: int) -> int:
    """Peak scratch use: one backend's shared read store plus one store being timed.

    ``pixel_bytes`` is the bytes of one image (their mean when sizes vary).
    """
    largest = max(settings.cutoffs)
    per_image = max(bytes_on_disk_per_image(b, pixel_bytes) for b in settings.backends)
    return 2 * largest * per_image + SPACE_MARGIN_BYTES


def bytes_per_image(settings: RunSettings) -> int | None:
    """One image's pixel bytes, when known before any pixel is loaded (None: a folder of
    images kept at their own sizes, known only once loaded)."""
    source, _ = resolve_source(settings)
    return pixel_bytes_for(source, settings)


def pixel_bytes_for(source: str, settings: RunSettings) -> int | None:
    """:func:`bytes_per_image` for a source already known: no disk, so a front end can
    call it on its event loop."""
    if source == "synthetic":
        height, width = settings.image_size
        return height * width * 3
    if source == "folder":
        if settings.resize is None:
            return None
        width, height = settings.resize
        return width * height * 3
    return SIDE * SIDE * 3


def resolve_source(settings: RunSettings) -> tuple[str, Path | None]:
    """("synthetic", None), or (kind, path) after default discovery for "auto": kind is
    cifar10 / cifar100, or "folder" for a folder of the user's own images."""
    if settings.data == "synthetic":
        return "synthetic", None
    if settings.data == "auto":
        choice = discover_data()
        return choice.source, choice.path
    path = Path(settings.data)
    return data_kind(path), path


def data_kind(path: Path) -> str:
    """What a path holds; raises a DataError that names the problem when it is unusable.

    A folder without CIFAR file names is a folder of images, so a half-copied CIFAR folder
    still gets CIFAR's own message about what is missing.
    """
    if not path.exists():
        raise DataError(
            path,
            f"does not exist; expected a folder of images ({FORMAT_NAMES}), a CIFAR folder "
            "(cifar-10-batches-py, cifar-100-python) or a CIFAR .tar.gz archive",
        )
    if path.is_dir() and not looks_like_cifar_folder(path):
        scan_image_folder(path)
        return "folder"
    return inspect_cifar(path).kind


def check_can_start(settings: RunSettings) -> Path:
    """Refuse bad settings, missing data and a full disk before anything is written.

    Returns the work dir the scratch folder will go in. When the images' size is not
    known yet, the child checks the space again once they are loaded.
    """
    found = problems(settings)
    if found:
        raise SettingsError(None, "; ".join(found))
    workdir = Path(settings.workdir) if settings.workdir else Path(tempfile.gettempdir())
    if not workdir.is_dir():
        raise SettingsError(workdir, "the work dir does not exist or is not a folder")
    check_free_space(settings, workdir, bytes_per_image(settings) or 0)
    return workdir


def check_free_space(settings: RunSettings, workdir: Path, pixel_bytes: int) -> None:
    needed = estimated_scratch_bytes(settings, pixel_bytes)
    free = shutil.disk_usage(workdir).free
    if free < needed:
        raise SettingsError(
            workdir,
            f"not enough free space: the plan needs about {needed / 1e9:.2f} GB, "
            f"{free / 1e9:.2f} GB is free",
        )


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
            # Not a daemon: a daemonic process may not start processes, and the child's PNG
            # workers and image decoders are processes. Exiting never waits for it, though:
            # the atexit hook below kills a child that is still running.
            daemon=False,
        )
        self._process.start()
        atexit.register(self._kill_at_exit)
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

    def _kill_at_exit(self) -> None:
        """The front end is exiting with the run still going: stop it, leave no scratch."""
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def _finish(self, status: str) -> None:
        atexit.unregister(self._kill_at_exit)
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
        dataset = load_dataset(settings, lambda done, total: events.put(DataLoading(done, total)))
        check_free_space(settings, Path(scratch), mean_pixel_bytes(dataset.images))
    except ImgbenchError as error:
        events.put(RunFinished("failed", errors=[{"task": LOAD_TASK, "message": str(error)}]))
        return
    events.put(DatasetLoaded(dataset_record(dataset)))
    runner = _ChildRun(settings, dataset, Path(scratch), events, cancel)
    events.put(runner.run())


def load_dataset(
    settings: RunSettings, progress: Callable[[int, int], None] | None = None
) -> Dataset:
    """The run's data, tiled to its count; ``progress`` hears about a folder's loading."""
    source, path = resolve_source(settings)
    count = settings.target_count
    if source == "synthetic":
        return make_synthetic(count, seed=settings.seed, size=settings.image_size)
    assert path is not None
    if source == "folder":
        loaded = load_image_folder(
            path, resize=settings.resize, keep_grey=settings.keep_grey, progress=progress
        ).dataset
        check_memory(settings, loaded)
        return tile(loaded, count)
    return tile(load_cifar(path), count)


def check_memory(settings: RunSettings, dataset: Dataset) -> None:
    """Refuse a run whose images would not fit in memory, before tiling copies them: the
    tiled set plus the largest read result are held at once."""
    available = available_memory_bytes()
    if available is None:
        return
    mean = mean_pixel_bytes(dataset.images)
    needed = (settings.target_count + max(settings.cutoffs)) * mean
    if needed > available:
        raise DataError(
            dataset.path,
            f"{settings.target_count:,} of these images need about {needed / 1e9:.1f} GB of "
            f"memory, {available / 1e9:.1f} GB is available: lower the count and the "
            "cutoffs, or resize the images",
        )


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (what can be used without swapping); None elsewhere."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def mean_pixel_bytes(images: ImageBatch) -> int:
    """Bytes of one image, or their mean when sizes vary (rounded up)."""
    return -(-int(images.nbytes) // max(1, len(images)))


def dataset_record(dataset: Dataset) -> dict[str, Any]:
    record: dict[str, Any] = {
        "source": dataset.source,
        "path": dataset.path,
        "count": len(dataset),
        "shape": list(dataset.shape) if dataset.shape is not None else None,
        "shapes_vary": dataset.varying_shapes,
        "pixels": dataset.pixel_count,
        "bytes": dataset.nbytes,
        "classes": len(dataset.class_names),
        "class_names": list(dataset.class_names),
        "sha256": dataset.sha256,
        "details": {k: v for k, v in dataset.details.items() if _is_json(v)},
    }
    if isinstance(dataset.images, ImageList):
        record["shape_range"] = shape_range(dataset.images)
    return record


def shape_range(images: ImageList) -> dict[str, list[int]]:
    """Smallest and largest height and width, and the channel counts that occur."""
    heights, widths, channels = images.shapes.T
    return {
        "height": [int(heights.min()), int(heights.max())],
        "width": [int(widths.min()), int(widths.max())],
        "channels": sorted({int(c) for c in channels.tolist()}),
    }


def skipped_files_note(details: Mapping[str, Any]) -> list[str]:
    """A folder's files that were not benchmarked, from a data set's details: said while
    the run starts and kept in the results' notes (empty for other data)."""
    count = details.get("files_skipped")
    if not isinstance(count, int) or count < 1:
        return []
    examples = details.get("skipped_examples")
    listed = "; ".join(str(e) for e in examples) if isinstance(examples, list) else ""
    more = "; ..." if isinstance(examples, list) and count > len(examples) else ""
    files = (
        "1 file in the image folder was"
        if count == 1
        else f"{count:,} files in the image folder were"
    )
    return [f"{files} skipped: {listed}{more}"]


def _is_json(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, list, type(None)))


class _ChildRun:
    def __init__(
        self, settings: RunSettings, dataset: Dataset, scratch: Path, events: Any, cancel: Any
    ) -> None:
        self.settings = settings
        self.events = events
        self.cancel = cancel
        self.data_notes = skipped_files_note(dataset.details)
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
        notes = list(self.data_notes)
        if self.cache_label == "cold-unsupported":
            notes.append("cold cache asked for, but files cannot be evicted here: reads were warm")
        estimate = estimated_scratch_bytes(self.settings, mean_pixel_bytes(self.context.images))
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
        first_n = int(self.context.images[: task.n].nbytes)
        # Random reads move k images: their pixel bytes are k times the mean of the first n.
        pixel_bytes = first_n if k == task.n else round(first_n * k / task.n)
        if not is_store or "disk_usage" not in self.settings.experiments:
            usage = None
        return measurement(
            task.backend,
            task.experiment,
            task.n,
            k,
            samples,
            images=k,
            pixel_bytes=pixel_bytes,
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
