"""The child's side of a run: load the data, take the plan's samples in rounds, report.

Runs in the spawned benchmark process. Each group (one experiment at one n) takes its
samples in rounds across the backends, the order rotated every round; each measurement
samples adaptively (:mod:`.sampling`). Events go to the parent: never one per image,
progress at most ten times a second.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .backends.base import remove_store
from .cache import eviction_supported
from .data_source import (
    dataset_record,
    load_dataset,
    mean_pixel_bytes,
    skipped_files_note,
)
from .dataset import Dataset
from .environment import cores_available, environment_info
from .epoch_measure import EpochSampler, LatencySampler, epoch_rows_extra
from .errors import ImgbenchError
from .eta import PRIOR_PIXEL_BYTES, EtaModel
from .events import (
    DataLoading,
    DatasetLoaded,
    MeasurementRecorded,
    PlanReady,
    Progress,
    RunFinished,
    StoreProfiled,
    Task,
    TaskFailed,
    TaskStarted,
)
from .lifeline import STOP_SIGNALS, die_with_parent, ignore_terminal_signals
from .loader import EpochStopped
from .measure import (
    READ_SAMPLERS,
    Sample,
    Sampler,
    StoreOutcome,
    StoreSampler,
    TaskContext,
    write_read_store,
)
from .plan import Group, check_free_space, estimated_scratch_bytes, plan_groups
from .pressure import PressureReading, pressure_between, read_pressure
from .results import measurement
from .sampling import SamplingRule, rotated
from .scratch import remove_scratch
from .settings import EPOCH_EXPERIMENTS, READ_EXPERIMENTS, STORE_EXPERIMENTS, RunSettings
from .store_profile import codec_cost, quality, reference_images, store_codec, store_record

LOAD_TASK = "load data"
MISMATCH = "what was read back differs from what was written (verified: false)"
#: Progress events are sent at most this often (a sample's end included).
PROGRESS_EVERY_S = 0.1


def child_main(settings_record: dict[str, Any], scratch: str, events: Any, cancel: Any) -> None:
    """Entry point of the spawned child: load the data, run the plan, report.

    ctrl+c and hang-up are the parent's to handle (it cancels the run). If the parent dies
    without doing so, the kernel sends SIGTERM here: the run stops where it is, and with
    nobody left to clean up, this process removes the scratch folder itself.
    """
    ignore_terminal_signals()
    signal.signal(signal.SIGTERM, _stop_now)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # the parent held them at start
    die_with_parent(signal.SIGTERM)
    try:
        settings = RunSettings.from_dict(settings_record)
        events.put(_run_child(settings, Path(scratch), events, cancel))
    except _Stopped:
        # The parent is dying (or was killed): the kernel sends SIGTERM as each of its
        # threads ends (ignored from now on), so it may still look alive here. Nobody else
        # will clean up.
        remove_scratch(Path(scratch))
        with contextlib.suppress(OSError, ValueError):
            events.put(RunFinished("interrupted", notes=["the benchmark was stopped by SIGTERM"]))
    except (BrokenPipeError, EOFError):
        pass  # the parent is gone: nobody to tell


def _run_child(settings: RunSettings, scratch: Path, events: Any, cancel: Any) -> RunFinished:
    try:
        dataset = load_dataset(settings, lambda done, total: events.put(DataLoading(done, total)))
        check_free_space(settings, scratch, mean_pixel_bytes(dataset.images))
    except ImgbenchError as error:
        return RunFinished("failed", errors=[{"task": LOAD_TASK, "message": str(error)}])
    events.put(DatasetLoaded(dataset_record(dataset)))
    return ChildRun(settings, dataset, scratch, events, cancel).run()


class StoreUnfit(Exception):
    """A store whose encoding cannot hold this data (webp and grey images, say)."""

    def __init__(self, store: str, error: BaseException) -> None:
        super().__init__(f"{store} cannot store this data: {error}")
        self.store = store


class _Stopped(BaseException):
    """SIGTERM in the child: stop wherever it is (a BaseException, so that no ``except
    Exception`` on the way keeps the run going)."""


def _stop_now(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once is enough: clean up undisturbed
    raise _Stopped


@dataclass
class Series:
    """The samples one task has taken so far."""

    task: Task
    sampler: Sampler
    warmups_left: int
    seconds: list[float] = field(default_factory=list)  # per operation
    timed: list[float] = field(default_factory=list)  # per sample, every loop included
    loops: list[int] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)  # wall clock at each timed sample
    verified: list[bool] = field(default_factory=list)
    taken: int = 0  # warm-ups included: the index of the next sample
    pressure_start: PressureReading | None = None

    def wants_more(self, rule: SamplingRule) -> bool:
        return self.warmups_left > 0 or rule.wants_more(self.timed)

    def record(self, sample: Sample, started: float) -> None:
        if sample.verified is not None:
            self.verified.append(sample.verified)
        self.taken += 1
        if self.warmups_left > 0:
            self.warmups_left -= 1
            return
        self.seconds.append(sample.seconds)
        self.timed.append(sample.timed_s)
        self.loops.append(sample.loops)
        self.starts.append(started)


class ChildRun:
    """Runs the plan's groups in order; the read stores of each n live until its reads end."""

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
        self.context = TaskContext(
            dataset.images,
            dataset.labels,
            settings,
            scratch,
            self.cold,
            source_files=dataset.source_files,
        )
        #: Each store's entry of the results' "stores" (what it is, codec cost, quality).
        self.store_records: dict[str, dict[str, Any]] = {}
        self.groups = plan_groups(settings, cores_available() or os.cpu_count())
        self.tasks = tuple(task for group in self.groups for task in group.tasks)
        self.rule = SamplingRule.of(settings)
        self.cores = os.cpu_count() or 1
        self.progress = ProgressKeeper(self, events, size_scale_of(dataset))
        self.read_stores: dict[tuple[str, int], Path] = {}
        self.series: dict[Task, Series] = {}
        self.current: Task | None = None
        #: Store rows waiting for the read_many of their n, which checks the same store.
        self.unchecked_stores: dict[tuple[str, int], dict[str, Any]] = {}

    def run(self) -> RunFinished:
        notes = list(self.data_notes)
        if self.cache_label == "cold-unsupported":
            notes.append("cold cache asked for, but files cannot be evicted here: reads were warm")
        estimate = estimated_scratch_bytes(self.settings, mean_pixel_bytes(self.context.images))
        planned = sum(self.planned_samples(task) for task in self.tasks)
        self.events.put(PlanReady(self.tasks, estimate, planned))
        errors: list[dict[str, str]] = []
        try:
            self._profile_stores()
            for group in self.groups:
                self._run_group(group, errors)
                self._drop_read_stores_after(group)
        except _Cancelled:
            self._record_unchecked_stores()
            return RunFinished("cancelled", errors, notes)
        except StoreUnfit as unfit:  # before anything was measured
            errors.append({"task": unfit.store, "message": str(unfit)})
            return RunFinished("failed", errors, notes)
        except Exception as error:  # the run stops; what was measured is kept
            self._record_unchecked_stores()
            task = self.current or self.tasks[0]
            message = str(error) if isinstance(error, ImgbenchError) else repr(error)
            self.events.put(TaskFailed(task, message))
            errors.append({"task": task.label, "message": message, "detail": _trace()})
            return RunFinished("failed", errors, notes)
        self.progress.send(force=True)
        # A store or read that did not come back as written makes the run's numbers
        # untrustworthy: it is measured to the end, but the run has failed.
        return RunFinished("failed" if errors else "complete", errors, notes)

    # -- before the groups: what each store is -------------------------------------------

    def _profile_stores(self) -> None:
        """Each store's codec timed on its own, and a lossy one's reference decode (what
        its reads must equal) and quality; untimed for the experiments."""
        settings, context = self.settings, self.context
        for store in settings.backends:
            if self.cancel.is_set():
                raise _Cancelled
            codec = store_codec(
                store,
                settings.keep_grey,
                settings.resize,
                settings.backend_options.get(store),
            )
            record = store_record(store, codec)
            try:
                record.update(codec_cost(codec, context.images, context.source_files))
                if not codec.lossless:
                    reference = reference_images(codec, context.images, context.source_files)
                    context.references[store] = reference
                    record.update(quality(context.images, reference))
            except (ValueError, OSError) as error:
                raise StoreUnfit(store, error) from error
            self.store_records[store] = record
            self.progress.eta.codec_s[store] = (
                record["encode_s_per_image"],
                record["decode_s_per_image"],
            )
            self.events.put(StoreProfiled(store, record))

    # -- a group: rounds across the backends ----------------------------------------------

    def _run_group(self, group: Group, errors: list[dict[str, str]]) -> None:
        for task in group.tasks:
            warmups = self.settings.warmups_for(task.experiment, task.n)
            self.series[task] = Series(task, self._sampler(task), warmups)
        try:
            try:
                self._take_rounds(group)
            except (_Cancelled, EpochStopped):
                self._record_partial(group, errors)
                raise _Cancelled from None
            for task in group.tasks:
                if task.experiment in EPOCH_EXPERIMENTS:
                    for row in self._epoch_rows(self.series[task]):
                        self._record(task, row, errors)
                    continue
                row = self._finish(self.series[task])
                if row["verified"] is None and task.experiment in STORE_EXPERIMENTS:
                    self.unchecked_stores[(task.backend, task.n)] = row
                    continue
                if task.experiment == "read_many":
                    self._record_checked_store(task, row, errors)
                self._record(task, row, errors)
        finally:
            for task in group.tasks:
                self.series[task].sampler.close()

    def _take_rounds(self, group: Group) -> None:
        round_index = 0
        while True:
            active = [
                task
                for task in rotated(group.tasks, round_index)
                if self.series[task].wants_more(self.rule)
            ]
            if not active:
                return
            for task in active:
                self._take_sample(self.series[task])
            round_index += 1

    def _record_partial(self, group: Group, errors: list[dict[str, str]]) -> None:
        """A run stopped inside a group keeps the samples its measurements have taken:
        rows with fewer samples than planned (their warnings say so); a store cut short is
        not read back (verified: null)."""
        for task in group.tasks:
            series = self.series[task]
            if not series.seconds:
                continue
            if task.experiment in EPOCH_EXPERIMENTS:
                for row in self._epoch_rows(series):
                    self._record(task, row, errors)
                continue
            start = series.pressure_start or read_pressure()
            row = self._row(series, None, pressure_between(start, read_pressure(), self.cores))
            if task.experiment in STORE_EXPERIMENTS:
                row["verified"], row["cache"] = None, "warm"
            self._record(task, row, errors)

    def _record(self, task: Task, row: dict[str, Any], errors: list[dict[str, str]]) -> None:
        self.events.put(MeasurementRecorded(row))
        if row["verified"] is False:
            errors.append({"task": task.label, "message": MISMATCH})
        self.progress.send(force=True)

    def _record_checked_store(
        self, read: Task, read_row: dict[str, Any], errors: list[dict[str, str]]
    ) -> None:
        """The store whose check was left to these reads: every sample read all of it."""
        row = self.unchecked_stores.pop((read.backend, read.n), None)
        if row is not None:
            row["verified"] = read_row["verified"]
            self._record(Task(row["backend"], row["experiment"], row["n"]), row, errors)

    def _record_unchecked_stores(self) -> None:
        """A run that stops before the reads that were to check a store: its row is kept,
        saying it was not checked (verified: null)."""
        for row in self.unchecked_stores.values():
            self.events.put(MeasurementRecorded(row))
        self.unchecked_stores.clear()

    def _sampler(self, task: Task) -> Sampler:
        if task.experiment in STORE_EXPERIMENTS:
            return StoreSampler(self.context, task)
        if task.experiment in EPOCH_EXPERIMENTS:
            return EpochSampler(
                self.context, task, self._read_store(task), should_stop=self.cancel.is_set
            )
        if task.experiment == "read_latency":
            return LatencySampler(self.context, task, self._read_store(task))
        return READ_SAMPLERS[task.experiment](self.context, task, self._read_store(task))

    def _read_store(self, task: Task) -> Path:
        key = (task.backend, task.n)
        if key not in self.read_stores:
            self.read_stores[key] = write_read_store(self.context, task.backend, task.n)
        return self.read_stores[key]

    def _take_sample(self, series: Series) -> None:
        if self.cancel.is_set():
            raise _Cancelled
        task = series.task
        if series.taken == 0:
            self.events.put(TaskStarted(self.tasks.index(task), task))
            series.pressure_start = read_pressure()
        self.current = task
        self.progress.sample_started(task)
        step_started = time.monotonic()
        started = time.time()
        warmup = series.warmups_left > 0
        sample = series.sampler.sample(series.taken, self.progress.within_sample)
        series.record(sample, started)
        wall = time.monotonic() - step_started
        # A warm-up pays for first imports and cold caches: no trend for the samples after.
        self.progress.sample_ended(task, wall, sample.timed_s, learn=not warmup)

    def _finish(self, series: Series) -> dict[str, Any]:
        """The task's row; a store task's kept store is read back and checked first."""
        task = series.task
        outcome: StoreOutcome | None = None
        if isinstance(series.sampler, StoreSampler):
            serves_reads = self._reads_at(task.n) and (task.backend, task.n) not in self.read_stores
            # A read_many of all n images checks this very store: no separate read-back.
            checked_later = serves_reads and self._planned(task.backend, "read_many", task.n)
            outcome = series.sampler.finish(read_back=not checked_later)
            if serves_reads:
                self.read_stores[(task.backend, task.n)] = series.sampler.hand_over()
        pressure = pressure_between(
            series.pressure_start or read_pressure(), read_pressure(), self.cores
        )
        return self._row(series, outcome, pressure)

    def _row(
        self, series: Series, outcome: StoreOutcome | None, pressure: dict[str, Any]
    ) -> dict[str, Any]:
        task = series.task
        k = self.settings.images_per_sample(task.experiment, task.n)
        first_n = int(self.context.images[: task.n].nbytes)
        # Random reads move k images: their pixel bytes are k times the mean of the first n.
        pixel_bytes = first_n if k == task.n else round(first_n * k / task.n)
        usage = outcome.usage if outcome and "disk_usage" in self.settings.experiments else None
        verified = outcome.verified if outcome is not None else all(series.verified)
        row = measurement(
            task.backend,
            task.experiment,
            task.n,
            k,
            series.seconds,
            images=k,
            pixel_bytes=pixel_bytes,
            bytes_apparent=usage[0] if usage else None,
            bytes_allocated=usage[1] if usage else None,
            verified=verified,
            cache="warm" if outcome else self.cache_label,
            sample_starts=series.starts,
            pressure=pressure,
            loops=max(series.loops),
            cores=self.cores,
            extra={**self._extra(series), **self._store_fields(task.backend)},
        )
        if task.experiment == "open":  # nothing is moved: a rate would mean nothing
            row["images_per_s"] = row["mb_per_s"] = None
        return row

    def _epoch_rows(self, series: Series) -> list[dict[str, Any]]:
        """One row per epoch of an epoch task: epoch 1 against epoch 2 (their samples are
        the wall times of that epoch in each sample)."""
        sampler = series.sampler
        assert isinstance(sampler, EpochSampler)
        pressure = pressure_between(
            series.pressure_start or read_pressure(), read_pressure(), self.cores
        )
        task, rows = series.task, []
        pixel_bytes = int(self.context.images[: task.n].nbytes)
        for epoch in range(1, self.settings.epochs + 1):
            seconds, extra, warnings, verified = epoch_rows_extra(sampler, epoch, self.cache_label)
            if not seconds:
                break
            row = measurement(
                task.backend,
                task.experiment,
                task.n,
                task.n,
                seconds,
                images=task.n,
                pixel_bytes=pixel_bytes,
                verified=verified,
                cache=self.cache_label if epoch == 1 else "warm",
                sample_starts=series.starts[: len(seconds)],
                pressure=pressure,
                cores=self.cores,
                extra={
                    "warmups": series.taken - len(series.seconds),
                    **extra,
                    **self._store_fields(task.backend),
                },
            )
            found = row.get("warnings", [])
            if (task.workers or 1) >= self.cores:  # the loader's own workers fill the CPUs
                found = [warning for warning in found if warning.get("code") != "busy"]
            row["warnings"] = [*found, *warnings]
            rows.append(row)
        return rows

    def _extra(self, series: Series) -> dict[str, Any]:
        task, seed = series.task, self.settings.seed
        extra: dict[str, Any] = {"warmups": series.taken - len(series.seconds)}
        if isinstance(series.sampler, LatencySampler):
            extra.update(series.sampler.row_extra())
        if task.experiment == "read_single":
            extra["order"] = {"kind": "permutation", "seed": [seed, task.n, 1]}
        elif task.experiment == "read_random":
            extra["order"] = {"kind": "random ids", "seed": [seed, task.n, "sample index"]}
        return extra

    def _store_fields(self, store: str) -> dict[str, Any]:
        """What the store is, on every row: container, encoding and its settings."""
        record = self.store_records.get(store, {})
        keys = ("container", "encoding", "encoding_settings")
        return {key: record[key] for key in keys if key in record}

    def _planned(self, backend: str, experiment: str, n: int) -> bool:
        return Task(backend, experiment, n) in self.tasks

    def _reads_at(self, n: int) -> bool:
        return any(g.n == n and g.experiment in READ_EXPERIMENTS for g in self.groups)

    def _drop_read_stores_after(self, group: Group) -> None:
        """Remove the stores of n once the last group of that n has run."""
        later = self.groups[self.groups.index(group) + 1 :]
        if any(g.n == group.n for g in later):
            return
        for key in [key for key in self.read_stores if key[1] == group.n]:
            remove_store(self.read_stores.pop(key))

    # -- what is still planned ------------------------------------------------------------

    def planned_samples(self, task: Task) -> int:
        """Samples a task is expected to take in all, warm-ups included."""
        series = self.series.get(task)
        warmups = self.settings.warmups_for(task.experiment, task.n)
        timed = series.timed if series else []
        if series is not None and not series.wants_more(self.rule):
            return series.taken
        estimate = self.progress.eta.timed_s(task.backend, task.experiment, self._units(task))
        typical = sorted(timed)[len(timed) // 2] if timed else estimate
        return warmups + max(len(timed), self.rule.expected(typical))

    def remaining_s(self) -> float:
        """Seconds the samples still planned will take, the current one excluded."""
        seconds = 0.0
        for task in self.tasks:
            series = self.series.get(task)
            left = self.planned_samples(task) - (series.taken if series else 0)
            if left <= 0:
                continue
            units = self._units(task)
            seconds += left * self.progress.eta.step_s(task.backend, task.experiment, units)
            checked_by_reads = task.experiment == "store_many" and self._planned(
                task.backend, "read_many", task.n
            )
            if task.experiment in STORE_EXPERIMENTS and not checked_by_reads:  # a read-back
                seconds += self.progress.eta.step_s(task.backend, "read_many", task.n)
        return seconds

    def _units(self, task: Task) -> int:
        return self.settings.images_per_sample(task.experiment, task.n)


def size_scale_of(dataset: Dataset) -> float:
    """One image's mean bytes against the CIFAR images the ETA's priors were measured on,
    so a run of photos starts from the estimate the setup screen showed."""
    count = len(dataset)
    return dataset.nbytes / count / PRIOR_PIXEL_BYTES if count else 1.0


class ProgressKeeper:
    """Progress in images moved (the current sample's part included) and an ETA from the
    per-image costs measured so far; at most one event every PROGRESS_EVERY_S."""

    def __init__(self, run: ChildRun, events: Any, size_scale: float = 1.0) -> None:
        self.run = run
        self.events = events
        self.eta = EtaModel(durable=run.settings.durable, size_scale=size_scale)
        self.started = time.monotonic()
        self.partial = 0  # images of the current sample so far
        self.task: Task | None = None
        self.sample_start = 0.0
        self.last_sent = 0.0

    def sample_started(self, task: Task) -> None:
        self.task, self.partial, self.sample_start = task, 0, time.monotonic()

    def within_sample(self, done: int) -> None:
        """The backends' chunked callback; a cancel asked for meanwhile stops the sample."""
        if self.run.cancel.is_set():
            raise _Cancelled
        self.partial = done
        self.send()

    def sample_ended(self, task: Task, wall_s: float, timed_s: float, learn: bool = True) -> None:
        units = self.run.settings.images_per_sample(task.experiment, task.n)
        if learn:
            self.eta.observe(task.backend, task.experiment, units, wall_s, timed_s)
        self.partial = 0
        self.task = None
        self.send()

    def send(self, force: bool = False) -> None:
        """Progress in milliseconds of work: done is the time spent, total that plus the
        estimate of what is left, so the bar and the ETA always agree."""
        now = time.monotonic()
        if not force and now - self.last_sent < PROGRESS_EVERY_S:
            return
        self.last_sent = now
        seconds = self.run.remaining_s()
        if self.task is not None:  # the current sample: what is left of its estimate
            units = self.run.settings.images_per_sample(self.task.experiment, self.task.n)
            estimate = self.eta.step_s(self.task.backend, self.task.experiment, units)
            done_share = min(1.0, self.partial / max(1, units))
            elapsed = now - self.sample_start
            if done_share > 0:  # the sample's own pace, once it has shown one
                estimate = elapsed / done_share
            seconds += max(0.0, estimate - elapsed)
        elapsed_ms = round((now - self.started) * 1000)
        self.events.put(
            Progress(
                elapsed_ms,
                elapsed_ms + round(seconds * 1000),
                now - self.started,
                seconds,
                self.task or self.run.current,
            )
        )


def _trace() -> str:
    return traceback.format_exc()


class _Cancelled(Exception):
    """Raised between samples (or inside one, through its progress) when the parent asked
    the run to stop."""
