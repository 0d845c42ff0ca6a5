"""An epoch through a data loader with worker processes, the way PyTorch's ``DataLoader``
reads one (``num_workers=W, prefetch_factor=2, persistent_workers=False, in_order=True``),
without torch.

A training loop reads every image once per epoch, one sample at a time, in a seeded
shuffled order, in batches. Here the sampler (:func:`epoch_order`, :func:`batches_of`)
makes the batches; batch ``i`` goes to worker ``i % W``; the parent keeps at most
``prefetch`` batches outstanding per worker and hands them to the consumer in batch order.
Workers start inside the epoch and open their own readers (:mod:`.loader_worker`), so the
time to the first batch holds what a torch user waits for. Pixels come back through
shared memory slots, never pickled: ``prefetch + 1`` per worker, as torch's worker may
fill ``prefetch`` batches while the consumer still holds the one handed to it.

:func:`run_epoch` is the consumer too: it copies each batch into one array of the whole
epoch, the cheap copy a training step makes, and times nothing else. What it delivered is
returned to be checked against the source after the epoch, outside the timed region.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import resource
import secrets
import select
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.shared_memory import SharedMemory
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from .errors import StoreError
from .images import offsets_of, split_flat
from .lifeline import stop_signals_held
from .loader_worker import ReaderSpec, SlotLayout, SlotViews, WorkerSetup, worker_main

__all__ = [
    "Delivered",
    "EpochFigures",
    "EpochStopped",
    "LoaderWorkerFailed",
    "ReaderSpec",
    "batches_of",
    "epoch_order",
    "run_epoch",
    "segment_prefix",
]

#: How long the parent waits for a worker's message before it asks should_stop again.
POLL_S: Final = 0.1
#: How long stopped workers get to end on SIGTERM before they are killed.
GRACE_S: Final = 2.0

Ids = npt.NDArray[np.int64]


class EpochStopped(Exception):
    """The epoch was stopped because ``should_stop`` said so; every worker has ended."""


class LoaderWorkerFailed(StoreError):
    """A loader worker died, or its reads of the store failed; every worker has ended."""


@dataclass(frozen=True)
class EpochFigures:
    """What one epoch measured. Times in seconds; the wall time runs from starting the
    workers to the last batch copied, and ``first_batch_s`` to the first batch copied."""

    workers: int
    batched: bool
    images: int
    bytes: int
    wall_s: float
    first_batch_s: float
    #: Per batch, in order: from asking for it to having it (as the consumer sees it).
    batch_waits_s: npt.NDArray[np.float64]
    parent_cpu_s: float
    #: Every worker's own CPU time from its start (a spawned one's includes starting Python).
    workers_cpu_s: float
    #: The largest peak RSS of a worker (a forked worker counts the pages it shares).
    workers_peak_rss_bytes: int
    #: The most batches any worker had outstanding (sent to it, not yet handed to the
    #: consumer) at once: never above ``prefetch``.
    most_outstanding: int

    @property
    def images_per_s(self) -> float:
        return self.images / self.wall_s if self.wall_s > 0 else float("inf")

    @property
    def bytes_per_s(self) -> float:
        return self.bytes / self.wall_s if self.wall_s > 0 else float("inf")

    @property
    def cpu_s_per_image(self) -> float:
        return (self.parent_cpu_s + self.workers_cpu_s) / max(1, self.images)


@dataclass(frozen=True)
class Delivered:
    """What the consumer got, in delivery order: ids, images ((N,H,W,C), or a list of
    arrays when shapes vary) and labels."""

    order: Ids
    images: npt.NDArray[np.uint8] | list[npt.NDArray[np.uint8]]
    labels: npt.NDArray[np.int64]


def epoch_order(n: int, seed: int, epoch: int) -> Ids:
    """The sampler: a permutation of ``range(n)``, the same for the same (seed, epoch) and
    another for each epoch, as a shuffling sampler reseeded per epoch gives."""
    if n < 0 or seed < 0 or epoch < 0:
        raise ValueError("n, seed and epoch must not be negative")
    rng = np.random.default_rng(np.random.SeedSequence([seed, epoch]))
    return rng.permutation(n).astype(np.int64, copy=False)


def batches_of(order: Ids, batch_size: int) -> list[Ids]:
    """Consecutive batches of ``order`` (drop_last=False: the last one may be smaller)."""
    if batch_size < 1:
        raise ValueError("a batch holds at least one image")
    order = np.asarray(order, dtype=np.int64)
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def segment_prefix(pid: int | None = None) -> str:
    """The name every shared memory segment of a loader in process ``pid`` starts with
    (under /dev/shm), so that a leftover one can be recognised."""
    return f"imgbench-loader-{os.getpid() if pid is None else pid}-"


def run_epoch(
    spec: ReaderSpec,
    batches: Sequence[Ids],
    image_nbytes: npt.NDArray[np.int64],
    *,
    workers: int,
    prefetch: int = 2,
    batched: bool = False,
    start_method: str = "fork",
    should_stop: Callable[[], bool] | None = None,
) -> tuple[EpochFigures, Delivered]:
    """Read every batch through ``workers`` worker processes and consume it in order.

    ``image_nbytes[i]`` is the pixel bytes of image ``i`` (it sizes the slots and places
    each batch in the epoch's array). Each sample is read with ``read_one``; with
    ``batched``, each batch with one ``read_many``. Raises :class:`EpochStopped` when
    ``should_stop()`` turns true, :class:`LoaderWorkerFailed` when a worker dies or its
    reads fail; however it ends, every worker has ended and every segment is unlinked.
    """
    plan = _Plan.of(batches, image_nbytes, workers, prefetch)
    if start_method not in ("fork", "spawn", "forkserver"):
        raise ValueError(f"unknown start method {start_method!r}")
    epoch = _EpochBuffers(plan)
    with _Team(spec, plan, start_method, batched) as team:
        figures = _Consumer(plan, team, epoch, should_stop or _never).run(batched)
    return figures, epoch.delivered(spec)


def _never() -> bool:
    return False


@dataclass(frozen=True)
class _Plan:
    """The batches, where each one lands in the epoch, and who reads it into which slot."""

    batches: list[Ids]
    workers: int
    prefetch: int
    #: Per batch: pixel bytes, and its start in the epoch's flat pixels (one more entry).
    batch_bytes: list[int]
    byte_offsets: list[int]
    #: Per batch: its first image's position in delivery order (one more entry).
    image_offsets: list[int]

    @classmethod
    def of(
        cls,
        batches: Sequence[Ids],
        image_nbytes: npt.NDArray[np.int64],
        workers: int,
        prefetch: int,
    ) -> _Plan:
        if workers < 1 or prefetch < 1:
            raise ValueError("a loader has at least one worker and prefetches at least one")
        listed = [np.asarray(batch, dtype=np.int64).reshape(-1) for batch in batches]
        if not listed or any(len(batch) == 0 for batch in listed):
            raise ValueError("an epoch has at least one batch and no empty batch")
        sizes = np.asarray(image_nbytes, dtype=np.int64)
        batch_bytes = [int(sizes[batch].sum()) for batch in listed]
        return cls(
            batches=listed,
            workers=workers,
            prefetch=prefetch,
            batch_bytes=batch_bytes,
            byte_offsets=np.concatenate([[0], np.cumsum(batch_bytes)]).tolist(),
            image_offsets=np.concatenate([[0], np.cumsum([len(b) for b in listed])]).tolist(),
        )

    @property
    def layout(self) -> SlotLayout:
        """Slots big enough for the largest batch."""
        most = max(len(batch) for batch in self.batches)
        return SlotLayout(pixel_capacity=max(1, max(self.batch_bytes)), max_images=most)

    def worker_of(self, index: int) -> int:
        return index % self.workers

    @property
    def slots_per_worker(self) -> int:
        """``prefetch`` slots being filled, and the one the consumer is copying out of."""
        return self.prefetch + 1

    def slot_of(self, index: int) -> int:
        """A worker's j-th batch goes into its slot j % (prefetch + 1): batch ``i + prefetch
        * W``, sent when batch ``i`` is handed over, never shares batch ``i``'s slot, and
        the batch that does is sent only once batch ``i`` is copied."""
        return (index // self.workers) % self.slots_per_worker

    def is_last_of_its_worker(self, index: int) -> bool:
        return index + self.workers >= len(self.batches)


class _EpochBuffers:
    """The consumer's copy of the whole epoch: pixels packed in delivery order, and each
    image's id, label and shape."""

    def __init__(self, plan: _Plan) -> None:
        count = plan.image_offsets[-1]
        self.pixels = np.empty(plan.byte_offsets[-1], dtype=np.uint8)
        self.ids = np.empty(count, dtype=np.int64)
        self.labels = np.empty(count, dtype=np.int64)
        self.shapes = np.empty((count, 3), dtype=np.int64)

    def delivered(self, spec: ReaderSpec) -> Delivered:
        """The images as the consumer would use them (after the epoch, untimed)."""
        images: npt.NDArray[np.uint8] | list[npt.NDArray[np.uint8]]
        if spec.varying_shapes:
            images = split_flat(self.pixels, self.shapes, offsets_of(self.shapes))
        elif len(self.shapes) and not (self.shapes == self.shapes[0]).all():
            raise StoreError(spec.location, "images of different shapes in a uniform store")
        else:
            images = self.pixels.reshape(len(self.ids), *self.shapes[0].tolist())
        return Delivered(order=self.ids, images=images, labels=self.labels)


class _Team:
    """The worker processes, a task pipe and a result pipe each, and their slots.

    Results come on a pipe per worker, waited on together with the workers' sentinels,
    rather than on torch's one ``multiprocessing.Queue``: a queue sends from a feeder
    thread that must win the worker's GIL from the thread reading the next batch, and its
    writers share one lock, which a worker killed mid-send would keep forever. A pipe
    write goes out at once, nothing is shared between workers, and a worker's end is seen
    the moment it happens.

    The slots are created before any worker starts and unlinked when the ``with`` block
    ends, however it ends; by then every worker has ended too.
    """

    def __init__(self, spec: ReaderSpec, plan: _Plan, start_method: str, batched: bool) -> None:
        self.spec = spec
        self.plan = plan
        self._context: Any = multiprocessing.get_context(start_method)
        self._batched = batched
        self._tasks: list[Connection] = []
        self._results: list[Connection] = []
        #: One poll object per result pipe, made once: a Connection's own poll builds a
        #: selector on every call, a cost paid per batch.
        self._pollers: list[select.poll] = []
        self.processes: list[Any] = []
        #: Workers whose end has not been reported yet, by sentinel.
        self._running: dict[int, int] = {}
        self._segments: list[list[SharedMemory]] = []
        self.slots: list[list[SlotViews]] = []
        try:
            self._create_slots()
        except BaseException:
            self._unlink_slots()
            raise

    def _create_slots(self) -> None:
        layout = self.plan.layout
        prefix = segment_prefix()
        for _ in range(self.plan.workers):
            mine: list[SharedMemory] = []
            self._segments.append(mine)
            for _ in range(self.plan.slots_per_worker):
                name = prefix + secrets.token_hex(6)
                mine.append(SharedMemory(name=name, create=True, size=layout.nbytes))
            self.slots.append([layout.views(segment) for segment in mine])

    def __enter__(self) -> _Team:
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self.stop()
        finally:
            self._unlink_slots()

    def start(self) -> None:
        """Start every worker; each opens its own reader once it runs."""
        for worker in range(self.plan.workers):
            task_reader, task_writer = self._context.Pipe(duplex=False)
            result_reader, result_writer = self._context.Pipe(duplex=False)
            setup = WorkerSetup(
                worker, self.spec, self.plan.layout, self._segments[worker], self._batched
            )
            process = self._context.Process(
                target=worker_main,
                args=(setup, task_reader, result_writer),
                name=f"imgbench-loader-{worker}",
                daemon=True,
            )
            self.processes.append(process)
            self._tasks.append(task_writer)
            self._results.append(result_reader)
            poller = select.poll()
            poller.register(result_reader.fileno(), select.POLLIN)
            self._pollers.append(poller)
            try:
                with stop_signals_held():  # until the worker leaves the run's handlers behind
                    process.start()
            finally:
                task_reader.close()  # the worker's ends: only the worker holds them now
                result_writer.close()
            self._running[process.sentinel] = worker

    def send(self, worker: int, task: tuple[int, Ids, int] | None) -> None:
        """Queue a task, its ids as bytes (a fraction of pickling an array); a worker that
        has ended is reported by its sentinel instead."""
        message = None if task is None else (task[0], task[1].tobytes(), task[2])
        with contextlib.suppress(OSError):
            self._tasks[worker].send(message)

    def receive(self, timeout: float, expected: int | None = None) -> list[tuple[Any, ...]]:
        """The messages that came within ``timeout``, and ``("ended", worker, exit code)``
        for a worker that ended, after the last messages it sent.

        With ``expected``, that worker's pipe is waited on alone first: one poll call,
        where waiting on every pipe and sentinel costs a selector per batch.
        """
        if expected is not None and expected in self._running.values():
            reader = self._results[expected]
            with contextlib.suppress(EOFError, OSError):  # it ended: its sentinel says how
                if self._pollers[expected].poll(timeout * 1000):
                    return [reader.recv()]
            timeout = 0.0  # nothing from it: look at every worker, and at who ended
        readers = [self._results[worker] for worker in self._running.values()]
        ready = wait([*readers, *self._running], timeout)
        messages: list[tuple[Any, ...]] = []
        for reader in self._results:
            if reader in ready:
                messages.extend(_pending(reader))
        for sentinel in self._running.copy():
            if sentinel in ready:
                worker = self._running.pop(sentinel)
                messages.extend(_pending(self._results[worker]))
                process = self.processes[worker]
                process.join(GRACE_S)  # its sentinel may close a moment before it is reaped
                messages.append(("ended", worker, process.exitcode))
        return messages

    def stop(self) -> None:
        """End every worker: those still running get SIGTERM, then SIGKILL after the grace."""
        running = [process for process in self.processes if process.exitcode is None]
        for process in running:
            with contextlib.suppress(OSError):
                process.terminate()
        deadline = time.monotonic() + GRACE_S
        for process in running:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in running:
            if process.exitcode is None:
                with contextlib.suppress(OSError):
                    process.kill()
                process.join()
        for connection in (*self._tasks, *self._results):
            connection.close()
        self._tasks, self._results, self._pollers = [], [], []

    def finish(self) -> None:
        """Wait for workers that have said they are done to end (they end at once)."""
        deadline = time.monotonic() + GRACE_S
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))

    def _unlink_slots(self) -> None:
        self.slots = []  # drop the views first: a mapping with views cannot close
        for mine in self._segments:
            for segment in mine:
                with contextlib.suppress(FileNotFoundError):
                    segment.unlink()
                with contextlib.suppress(BufferError):
                    segment.close()
        self._segments = []


def _pending(reader: Connection) -> list[tuple[Any, ...]]:
    """Every message waiting on ``reader`` now (none after the worker's end of it closed)."""
    messages = []
    try:
        while reader.poll():
            messages.append(reader.recv())
    except (EOFError, OSError):
        pass
    return messages


@dataclass
class _Usage:
    cpu_s: float
    peak_rss_bytes: int


class _Consumer:
    """The parent's loop: keep the workers fed, take batches in order, copy each out."""

    def __init__(
        self, plan: _Plan, team: _Team, epoch: _EpochBuffers, should_stop: Callable[[], bool]
    ) -> None:
        self.plan = plan
        self.team = team
        self.epoch = epoch
        self.should_stop = should_stop
        #: Batches whose slot is filled, by index: (worker, slot, pixel bytes, images).
        self.arrived: dict[int, tuple[int, int, int, int]] = {}
        self.usage: dict[int, _Usage] = {}
        self.outstanding = [0] * plan.workers
        self.most_outstanding = 0

    def run(self, batched: bool) -> EpochFigures:
        """The timed epoch, then the workers' own usage (after the last batch)."""
        count = len(self.plan.batches)
        waits = np.empty(count, dtype=np.float64)
        cpu_before = _own_cpu_s()
        start = time.perf_counter()
        self.team.start()
        self._prime()
        first_batch_s = 0.0
        for index in range(count):
            asked = time.perf_counter()
            self._wait_for(index)
            self._refill(index)  # as torch: the next index goes out as a batch is handed over
            self._copy_out(index)
            done = time.perf_counter()
            waits[index] = done - asked
            if index == 0:
                first_batch_s = done - start
        wall_s = time.perf_counter() - start
        parent_cpu_s = _own_cpu_s() - cpu_before
        self._collect_usage()
        return EpochFigures(
            workers=self.plan.workers,
            batched=batched,
            images=self.plan.image_offsets[-1],
            bytes=self.plan.byte_offsets[-1],
            wall_s=wall_s,
            first_batch_s=first_batch_s,
            batch_waits_s=waits,
            parent_cpu_s=parent_cpu_s,
            workers_cpu_s=sum(usage.cpu_s for usage in self.usage.values()),
            workers_peak_rss_bytes=max(usage.peak_rss_bytes for usage in self.usage.values()),
            most_outstanding=self.most_outstanding,
        )

    def _prime(self) -> None:
        """``prefetch`` batches for every worker, round-robin; None to a worker with none."""
        for index in range(min(len(self.plan.batches), self.plan.prefetch * self.plan.workers)):
            self._dispatch(index)
        for worker in range(len(self.plan.batches), self.plan.workers):
            self.team.send(worker, None)

    def _dispatch(self, index: int) -> None:
        worker = self.plan.worker_of(index)
        self.team.send(worker, (index, self.plan.batches[index], self.plan.slot_of(index)))
        self.outstanding[worker] += 1
        self.most_outstanding = max(self.most_outstanding, self.outstanding[worker])
        if self.plan.is_last_of_its_worker(index):
            self.team.send(worker, None)  # it ends once that batch is done

    def _refill(self, index: int) -> None:
        """Batch ``index`` is handed over: its worker gets the batch ``prefetch`` after it,
        into the slot its previous batch (copied by now) used."""
        self.outstanding[self.plan.worker_of(index)] -= 1
        following = index + self.plan.prefetch * self.plan.workers
        if following < len(self.plan.batches):
            self._dispatch(following)

    def _wait_for(self, index: int) -> None:
        while index not in self.arrived:
            self._next_message(self.plan.worker_of(index))

    def _collect_usage(self) -> None:
        while len(self.usage) < self.plan.workers:
            self._next_message()
        self.team.finish()

    def _next_message(self, expected: int | None = None) -> None:
        """Handle the next messages (from worker ``expected`` first); between them, notice
        a stop or a worker that ended."""
        if self.should_stop():
            raise EpochStopped("the epoch was stopped")
        for message in self.team.receive(POLL_S, expected):
            self._handle(message)

    def _handle(self, message: tuple[Any, ...]) -> None:
        kind, worker, *rest = message
        if kind == "batch":
            index, slot, pixel_bytes, images = rest
            self.arrived[index] = (worker, slot, pixel_bytes, images)
        elif kind == "done":
            self.usage[worker] = _Usage(*rest)
        elif kind == "ended":
            if worker not in self.usage:  # it ended before it was done: it died
                raise self._failed(f"loader worker {worker} {_how_it_ended(rest[0])}")
        else:
            raise self._failed(f"loader worker {worker} failed: {rest[0]}")

    def _copy_out(self, index: int) -> None:
        """The consumer's copy of batch ``index``, out of its slot into the epoch."""
        worker, slot, pixel_bytes, images = self.arrived.pop(index)
        expected = self.plan.batch_bytes[index]
        if pixel_bytes != expected or images != len(self.plan.batches[index]):
            raise self._failed(
                f"loader worker {worker} sent batch {index} with {images} images of "
                f"{pixel_bytes:,} bytes, expected {len(self.plan.batches[index])} "
                f"of {expected:,}"
            )
        views = self.team.slots[worker][slot]
        start, stop = self.plan.image_offsets[index], self.plan.image_offsets[index + 1]
        offset = self.plan.byte_offsets[index]
        self.epoch.pixels[offset : offset + pixel_bytes] = views.pixels[:pixel_bytes]
        self.epoch.ids[start:stop] = views.ids[:images]
        self.epoch.labels[start:stop] = views.labels[:images]
        self.epoch.shapes[start:stop] = views.shapes[:images]

    def _failed(self, problem: str) -> LoaderWorkerFailed:
        return LoaderWorkerFailed(self.team.spec.location, problem)


def _how_it_ended(code: int | None) -> str:
    if code is None:
        return "closed its pipe but did not end"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name} (exit code {code})"
        except ValueError:
            return f"was killed by signal {-code} (exit code {code})"
    return f"ended with exit code {code} before its batches were done"


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
