"""The parent's side of a run: check it can start, start the child, follow its events.

The benchmark runs in a child started with *spawn* (:mod:`.runner`), so whatever drives
the run (a terminal UI, a progress bar) never shares a core's interpreter, GIL or memory
with the timed work. The parent owns the scratch folder: it creates it, and it deletes it
however the child ends, even when a cancelled child has to be killed. The plan lives in
:mod:`.plan`, the data side in :mod:`.data_source`.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any

from .data_source import (
    bytes_per_image,
    data_kind,
    load_dataset,
    pixel_bytes_for,
    resolve_source,
    skipped_files_note,
)
from .environment import environment_info
from .errors import ImgbenchError, SettingsError
from .events import (
    DatasetLoaded,
    Event,
    MeasurementRecorded,
    PlanReady,
    Progress,
    RunFinished,
    StoreProfiled,
    Task,
)
from .lifeline import children_ignore_terminal_signals, stop_signals_held
from .plan import check_free_space, estimated_scratch_bytes, plan_groups, plan_tasks
from .results import build_document, save_document
from .runner import LOAD_TASK, MISMATCH, ChildRun, child_main
from .scratch import StaleScratch, make_scratch, remove_scratch, remove_stale_scratch
from .settings import RunSettings, problems

#: Seconds a cancelled child gets to stop by itself before it is killed.
CANCEL_GRACE_S = 5.0

__all__ = [
    "CANCEL_GRACE_S",
    "LOAD_TASK",
    "MISMATCH",
    "BenchmarkRun",
    "ChildRun",
    "SettingsError",
    "check_can_start",
    "data_kind",
    "estimated_scratch_bytes",
    "load_dataset",
    "pixel_bytes_for",
    "plan_groups",
    "plan_tasks",
    "remove_scratch",
    "resolve_source",
    "skipped_files_note",
]


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
    if _read_only(workdir):
        raise SettingsError(workdir, "the work dir is on a read-only file system")
    if not os.access(workdir, os.W_OK | os.X_OK):
        raise SettingsError(workdir, "cannot write in the work dir (permission denied)")
    per_image = bytes_per_image(settings)
    if per_image:  # the data's image size is known now: does the load fit in memory?
        found = problems(settings, bytes_per_image=per_image)
        if found:
            raise SettingsError(None, "; ".join(found))
    check_free_space(settings, workdir, per_image or 0)
    return workdir


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


@dataclass
class RunState:
    """What the parent has heard so far; enough to build the results document."""

    tasks: tuple[Task, ...] = ()
    dataset: dict[str, Any] | None = None
    measurements: list[dict[str, Any]] = field(default_factory=list)
    stores: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str | None = None
    progress: Progress | None = None


class BenchmarkRun:
    """One run in a spawned child. Call ``start``, then iterate ``events()``.

    With an ``output`` path, the results so far are written there after every
    measurement (status ``interrupted`` until the run ends), so even a front end that is
    killed outright loses at most the measurement in progress.
    """

    def __init__(self, settings: RunSettings, output: Path | None = None) -> None:
        self.settings = settings
        self.output = output
        self.state = RunState()
        self.scratch: Path | None = None
        self.cleaned: list[StaleScratch] = []
        self._workdir: Path | None = None
        self._environment: dict[str, Any] | None = None
        self._context = multiprocessing.get_context("spawn")
        self._events: Any = None
        self._cancel: Any = None
        self._process: Any = None
        self._cancelled_at: float | None = None
        self._stop_status = "cancelled"

    def start(self) -> None:
        """Check everything, clean up after dead runs, make the scratch folder, start the
        child. Stop signals wait until the child is running and its scratch is owned."""
        self._workdir = check_can_start(self.settings)
        self.cleaned = remove_stale_scratch(self._workdir)
        self.state.notes.extend(cleaned_note(self.cleaned))
        _start_resource_tracker()
        with stop_signals_held():
            try:
                self.scratch = make_scratch(self._workdir)
            except OSError as error:
                why = error.strerror or str(error)
                raise SettingsError(self._workdir, f"cannot make a scratch folder: {why}") from None
            # A one-way pipe, not a Queue: a Queue starts a feeder thread in the child, and
            # the child must stay single-threaded (its PNG workers fork).
            self._events, sender = self._context.Pipe(duplex=False)
            self._cancel = self._context.Event()
            self._process = self._context.Process(
                target=child_main,
                args=(self.settings.to_dict(), str(self.scratch), _Sender(sender), self._cancel),
                name="imgbench-benchmark",
                # Not a daemon: a daemonic process may not start processes, and the child's
                # PNG workers and image decoders are processes. Exiting never waits for it:
                # the atexit hook below kills a child that is still running.
                daemon=False,
            )
            with children_ignore_terminal_signals():
                self._process.start()
            atexit.register(self._kill_at_exit)
            sender.close()  # the child holds the only writing end: its exit ends the stream

    def cancel(self, status: str = "cancelled") -> None:
        """Ask the child to stop between samples; it is killed if it has not after a grace.
        ``status`` is what the results will say: ``cancelled`` when the user asked,
        ``interrupted`` when a signal (ctrl+c, hang-up, SIGTERM) ended the run."""
        if self._cancel is not None and self.state.status is None:
            if self._cancelled_at is None or status == "interrupted":
                self._stop_status = status
            self._cancel.set()
            self._cancelled_at = self._cancelled_at or time.monotonic()

    @property
    def finished(self) -> bool:
        return self.state.status is not None

    @property
    def stopping(self) -> bool:
        """True once a cancel has been asked for."""
        return self._cancelled_at is not None

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
        if not self.finished and (stream_ended or not self._process.is_alive()):
            # A child that has just exited may have sent its last events (RunFinished
            # among them) while the ones above were absorbed: read to the end first.
            late, stream_ended = self._receive(0)
            for event in late:
                self._absorb(event)
            received.extend(late)
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

    def document(self, status: str | None = None) -> dict[str, Any]:
        """The results document of what has been measured so far."""
        return build_document(
            settings=self.settings.to_dict(),
            dataset=self.state.dataset or {},
            environment=self._environment_info(),
            measurements=list(self.state.measurements),
            stores=dict(self.state.stores),
            status=status or self.state.status or "failed",
            errors=list(self.state.errors),
            notes=list(self.state.notes),
        )

    def _environment_info(self) -> dict[str, Any]:
        """Gathered once: it asks every library for its version, and the progress saves
        rebuild the document after every measurement."""
        if self._environment is None:
            self._environment = environment_info(self._workdir or Path(tempfile.gettempdir()))
        return self._environment

    def _absorb(self, event: Event) -> None:
        state = self.state
        if isinstance(event, PlanReady):
            state.tasks = event.tasks
        elif isinstance(event, DatasetLoaded):
            state.dataset = event.dataset
        elif isinstance(event, StoreProfiled):
            state.stores[event.store] = event.record
        elif isinstance(event, MeasurementRecorded):
            state.measurements.append(event.measurement)
            self._save_progress()
        elif isinstance(event, Progress):
            state.progress = event
        elif isinstance(event, RunFinished):
            state.errors.extend(event.errors)
            state.notes.extend(event.notes)
            status = self._stop_status if event.status == "cancelled" else event.status
            self._finish(status)

    def _save_progress(self) -> None:
        """Rewrite the results file with what is measured so far. It says ``interrupted``
        until the front end saves the final status: that is what it is if nobody does."""
        if self.output is None:
            return
        # A failed one is no loss yet: the final save tries again, with fallback folders.
        with contextlib.suppress(ImgbenchError, OSError):
            save_document(self.document(status="interrupted"), self.output, durable=False)

    def _check_child(self, stream_ended: bool) -> RunFinished | None:
        """Notice a child that died, or one that ignored a cancel for too long."""
        waited = time.monotonic() - (self._cancelled_at or time.monotonic())
        if self._cancelled_at is not None and waited > CANCEL_GRACE_S:
            self._process.kill()
            self._process.join(5)
            finished = RunFinished(self._stop_status, notes=["the benchmark was stopped by force"])
        elif stream_ended or not self._process.is_alive():
            self._process.join(5)
            code = self._process.exitcode
            if self._cancelled_at is not None:
                note = f"the benchmark process ended while stopping (exit code {code})"
                finished = RunFinished(self._stop_status, notes=[note])
            else:
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
            remove_scratch(self.scratch)

    def _finish(self, status: str) -> None:
        atexit.unregister(self._kill_at_exit)
        self.state.status = status
        if self._process is not None:
            self._process.join(CANCEL_GRACE_S)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)
        if self.scratch is not None:
            remove_scratch(self.scratch)


def cleaned_note(cleaned: list[StaleScratch]) -> list[str]:
    """What a run removed of runs that died before cleaning up (said, never silent)."""
    if not cleaned:
        return []
    files = sum(stale.files for stale in cleaned)
    megabytes = sum(stale.bytes for stale in cleaned) / 1e6
    folders = "folder" if len(cleaned) == 1 else "folders"
    pids = ", ".join(str(stale.pid) for stale in cleaned)
    return [
        f"removed {len(cleaned)} scratch {folders} of earlier runs that ended without "
        f"cleaning up (pid {pids}; {files:,} files, {megabytes:,.1f} MB)"
    ]


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


class _Sender:
    """The child's end of the event pipe, with the ``put`` the runner calls."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def put(self, event: Event) -> None:
        self._connection.send(event)
