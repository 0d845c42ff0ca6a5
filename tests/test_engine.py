"""The engine end to end: a real child process, real stores, real events."""

from __future__ import annotations

import json
import resource
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from imgbench.core import engine, plan
from imgbench.core.cache import eviction_supported
from imgbench.core.engine import BenchmarkRun, SettingsError, plan_groups, plan_tasks
from imgbench.core.environment import environment_info
from imgbench.core.events import (
    DatasetLoaded,
    MeasurementRecorded,
    PlanReady,
    Progress,
    RunFinished,
    TaskStarted,
)
from imgbench.core.results import load_document, save_document
from imgbench.core.settings import RunSettings

ALL_BACKENDS = ("png", "lmdb", "hdf5", "raw")


def tiny(tmp_path: Path, **changes: Any) -> RunSettings:
    values: dict[str, Any] = dict(
        data="synthetic",
        count=40,
        cutoffs=(5, 40),
        repeats=2,
        warmup=1,
        k=8,
        workdir=str(tmp_path),
    )
    values.update(changes)
    return RunSettings(**values)


def run_to_end(settings: RunSettings) -> tuple[BenchmarkRun, list[Any]]:
    run = BenchmarkRun(settings)
    run.start()
    events = list(run.events())
    return run, events


def test_plan_runs_stores_before_the_reads_that_share_their_data() -> None:
    settings = RunSettings(backends=("lmdb", "raw"), cutoffs=(100, 10))
    groups = plan_groups(settings)
    assert [g.n for g in groups[:6]] == [10] * 6  # n ascending
    assert [g.experiment for g in groups[:6]] == [
        "store_many",
        "store_single",
        "open",
        "read_single",
        "read_many",
        "read_random",
    ]
    assert all([t.backend for t in g.tasks] == ["lmdb", "raw"] for g in groups)
    assert plan_tasks(settings) == tuple(t for g in groups for t in g.tasks)


def test_single_image_experiments_run_only_at_small_n() -> None:
    settings = RunSettings(cutoffs=(10, 1_000, 10_000, 100_000))
    singles = {
        g.n for g in plan_groups(settings) if g.experiment in ("store_single", "read_single")
    }
    assert singles == {10, 1_000}
    raised = RunSettings(cutoffs=(10, 1_000, 10_000), single_max_n=10_000)
    assert {g.n for g in plan_groups(raised) if g.experiment == "read_single"} == {
        10,
        1_000,
        10_000,
    }
    large_only = RunSettings(cutoffs=(50_000, 100_000))
    assert {g.n for g in plan_groups(large_only) if g.experiment == "store_single"} == {50_000}


def test_a_full_run_measures_every_task_and_checks_every_store_and_read(tmp_path: Path) -> None:
    run, events = run_to_end(tiny(tmp_path))
    kinds = Counter(type(event) for event in events)
    assert isinstance(events[-1], RunFinished) and events[-1].status == "complete"
    assert kinds[PlanReady] == 1 and kinds[DatasetLoaded] == 1
    tasks = len(plan_tasks(run.settings))
    assert kinds[TaskStarted] == kinds[MeasurementRecorded] == tasks == 2 * 4 * 6
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[-1].done == progress[-1].total
    assert len(progress) < 20 * sum(len(r["samples_s"]) for r in run.state.measurements)

    rows = run.state.measurements
    assert {r["backend"] for r in rows} == set(ALL_BACKENDS)
    for row in rows:
        assert len(row["samples_s"]) >= 2 and row["min_s"] <= row["median_s"]
        assert row["verified"] is True, row  # stores are read back and checked too
        if row["experiment"].startswith("store"):
            # allocated can be below apparent: LMDB leaves holes (a sparse file)
            assert row["bytes_allocated"] > 0 < row["bytes_apparent"]
        else:
            assert row["bytes_apparent"] is None
    random_rows = [r for r in rows if r["experiment"] == "read_random"]
    assert {(r["n"], r["k"]) for r in random_rows} == {(5, 5), (40, 8)}
    open_rows = [r for r in rows if r["experiment"] == "open"]
    assert len(open_rows) == 8 and all(r["images_per_s"] is None for r in open_rows)
    assert list(tmp_path.iterdir()) == []  # the scratch folder is gone
    assert not run._process.is_alive()

    document = run.document()
    assert document["dataset"]["source"] == "synthetic" and document["dataset"]["count"] == 40
    assert len(document["dataset"]["sha256"]) == 64
    save_document(document, tmp_path / "r.json")
    assert load_document(tmp_path / "r.json")["status"] == "complete"


def test_samples_run_in_rounds_with_the_order_rotated(tmp_path: Path) -> None:
    settings = tiny(
        tmp_path,
        experiments=("store_many",),
        cutoffs=(5,),
        repeats=3,
        warmup=0,
        sample_budget_s=0.0,
        max_samples=3,
    )
    run, _ = run_to_end(settings)
    starts = sorted(
        (start, row["backend"]) for row in run.state.measurements for start in row["sample_starts"]
    )
    order = [backend for _, backend in starts]
    backends = list(ALL_BACKENDS)
    assert order == backends + backends[1:] + backends[:1] + backends[2:] + backends[:2]


def test_fast_operations_sample_until_the_budget_and_stop_at_the_cap(tmp_path: Path) -> None:
    settings = tiny(
        tmp_path,
        backends=("raw",),
        experiments=("store_many", "read_random"),
        cutoffs=(5,),
        repeats=3,
        sample_budget_s=10.0,
        max_samples=12,
    )
    run, _ = run_to_end(settings)
    counts = {row["experiment"]: len(row["samples_s"]) for row in run.state.measurements}
    assert counts == {"store_many": 12, "read_random": 12}
    few = tiny(
        tmp_path,
        backends=("raw",),
        experiments=("store_many",),
        cutoffs=(5,),
        repeats=4,
        sample_budget_s=0.0,
        max_samples=30,
    )
    run, _ = run_to_end(few)
    assert [len(row["samples_s"]) for row in run.state.measurements] == [4]


def test_single_reads_follow_one_seeded_random_order_for_every_backend(tmp_path: Path) -> None:
    from imgbench.core.measure import single_read_order

    settings = tiny(tmp_path, experiments=("read_single",), cutoffs=(40,))
    order = single_read_order(settings, 40)
    assert sorted(order.tolist()) == list(range(40)) and order.tolist() != list(range(40))
    assert np.array_equal(order, single_read_order(settings, 40))
    run, _ = run_to_end(settings)
    orders = {json.dumps(row["order"]) for row in run.state.measurements}
    assert len(orders) == 1 and "permutation" in orders.pop()
    assert all(row["verified"] is True for row in run.state.measurements)


def test_disk_usage_grows_with_n_and_png_pays_for_whole_blocks(tmp_path: Path) -> None:
    settings = tiny(tmp_path, experiments=("store_many", "disk_usage"), repeats=1, max_samples=1)
    run, _ = run_to_end(settings)
    usage = {(r["backend"], r["n"]): r for r in run.state.measurements}
    for backend in ALL_BACKENDS:
        assert usage[(backend, 40)]["bytes_apparent"] > usage[(backend, 5)]["bytes_apparent"]
    raw_pixels = 40 * 32 * 32 * 3
    assert usage[("raw", 40)]["bytes_apparent"] >= raw_pixels
    assert usage[("png", 40)]["bytes_allocated"] >= 40 * 4096 - 4096  # a block per file


def test_without_disk_usage_no_bytes_are_claimed(tmp_path: Path) -> None:
    run, _ = run_to_end(
        tiny(tmp_path, experiments=("store_many",), repeats=1, warmup=0, max_samples=1)
    )
    assert all(r["bytes_apparent"] is None for r in run.state.measurements)


def test_cold_cache_is_cold_or_says_it_could_not_be(tmp_path: Path) -> None:
    settings = tiny(tmp_path, backends=("lmdb",), experiments=("read_many",), cache="cold")
    run, _ = run_to_end(settings)
    file_system = environment_info(tmp_path)["workdir_filesystem"]
    expected = "cold" if eviction_supported(file_system) else "cold-unsupported"
    assert {r["cache"] for r in run.state.measurements} == {expected}
    if expected == "cold-unsupported":
        assert any("cannot be evicted" in note for note in run.state.notes)


def test_cancel_stops_the_child_cleans_scratch_and_keeps_measurements(tmp_path: Path) -> None:
    settings = tiny(tmp_path, count=400, cutoffs=(10, 400), backends=("png", "lmdb"), repeats=5)
    run = BenchmarkRun(settings)
    run.start()
    for event in run.events():
        if isinstance(event, MeasurementRecorded):
            run.cancel()
    assert run.state.status == "cancelled"
    assert 1 <= len(run.state.measurements) < len(plan_tasks(settings))
    assert not run._process.is_alive()
    assert list(tmp_path.iterdir()) == []
    assert run.document()["status"] == "cancelled"


def test_a_child_that_ignores_cancel_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stopped child (SIGSTOP) cannot hear the cancel: it is killed after the grace."""
    import os
    import signal

    monkeypatch.setattr(engine, "CANCEL_GRACE_S", 0.0)
    run = BenchmarkRun(tiny(tmp_path, count=2000, cutoffs=(2000,), backends=("png",)))
    run.start()
    for event in run.events():
        if isinstance(event, Progress) and run._cancelled_at is None:
            os.kill(run._process.pid, signal.SIGSTOP)
            run.cancel()
    assert run.state.status == "cancelled"
    assert any("by force" in note for note in run.state.notes)
    assert not run._process.is_alive()
    assert list(tmp_path.iterdir()) == []


def test_cancel_stops_a_long_sample_from_inside(tmp_path: Path) -> None:
    """Cancel is heard between the chunks of a long store, not only between samples."""
    import time

    settings = tiny(
        tmp_path, count=3000, cutoffs=(3000,), backends=("png",), experiments=("store_many",)
    )
    run = BenchmarkRun(settings)
    run.start()
    asked = None
    for event in run.events():
        if isinstance(event, Progress) and event.done > 0 and asked is None:
            asked = time.monotonic()
            run.cancel()
    assert asked is not None and time.monotonic() - asked < engine.CANCEL_GRACE_S
    assert run.state.status == "cancelled"
    assert not any("by force" in note for note in run.state.notes)
    assert list(tmp_path.iterdir()) == []


def test_not_enough_space_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Tiny:
        free = 10 << 20

    monkeypatch.setattr(plan.shutil, "disk_usage", lambda path: Tiny)
    with pytest.raises(SettingsError, match=r"needs about \d\.\d\d GB, 0\.01 GB is free") as caught:
        BenchmarkRun(tiny(tmp_path, count=100_000, cutoffs=(100_000,))).start()
    assert str(tmp_path) in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_bad_settings_and_missing_data_are_refused_before_start(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="repeats must be at least 1"):
        BenchmarkRun(tiny(tmp_path, repeats=0)).start()
    with pytest.raises(Exception, match="does not exist"):
        BenchmarkRun(tiny(tmp_path, data=str(tmp_path / "no-such-cifar"))).start()
    with pytest.raises(SettingsError, match="work dir"):
        BenchmarkRun(tiny(tmp_path, workdir=str(tmp_path / "missing"))).start()
    assert list(tmp_path.iterdir()) == []


def test_disk_full_mid_run_stops_with_the_error_and_keeps_what_was_measured(
    tmp_path: Path,
) -> None:
    """The child inherits a 1 MiB file-size limit: n=5 fits, n=400 (1.2 MB) cannot."""
    settings = tiny(
        tmp_path, count=400, cutoffs=(5, 400), backends=("raw",), experiments=("store_many",)
    )
    run = BenchmarkRun(settings)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, hard))
    try:
        run.start()
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    events = list(run.events())
    assert run.state.status == "failed"
    assert [r["n"] for r in run.state.measurements] == [5]
    (error,) = run.state.errors
    assert error["task"] == "raw store_many n=400" and "File too large" in error["message"]
    assert isinstance(events[-1], RunFinished)
    assert list(tmp_path.iterdir()) == []
    assert run.document()["status"] == "failed"


def test_a_read_that_differs_from_the_source_is_reported_not_hidden(tmp_path: Path) -> None:
    """Corrupt one byte of the shared read store: the sample is timed, then found wrong."""
    from imgbench.core.events import Task
    from imgbench.core.measure import ReadManySampler, TaskContext, write_read_store
    from imgbench.core.synthetic import make_synthetic

    data = make_synthetic(20)
    settings = tiny(tmp_path, backends=("raw",))
    context = TaskContext(data.images, data.labels, settings, tmp_path, cold=False)
    location = write_read_store(context, "raw", 20)
    sampler = ReadManySampler(context, Task("raw", "read_many", 20), location)
    assert sampler.sample(0).verified is True
    images_file = location / "images.npy"
    pixels = bytearray(images_file.read_bytes())
    pixels[-1] ^= 0xFF
    images_file.write_bytes(bytes(pixels))
    sample = sampler.sample(1)
    assert sample.verified is False and sample.seconds > 0
    assert np.array_equal(data.images[:19], np.load(images_file)[:19])


class _Sink:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def put(self, event: Any) -> None:
        self.sent.append(event)


def test_the_engine_turns_a_failed_read_check_into_a_failed_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child's runner, in this process, with reads that come back wrong."""
    import threading

    from imgbench.core import measure
    from imgbench.core.synthetic import make_synthetic

    monkeypatch.setattr(measure, "same_read", lambda *_: False)
    sink = _Sink()
    settings = tiny(tmp_path, backends=("raw",), experiments=("read_many",), cutoffs=(5,))
    runner = engine.ChildRun(settings, make_synthetic(40), tmp_path, sink, threading.Event())
    finished = runner.run()
    assert finished.status == "failed"
    assert finished.errors == [{"task": "raw read_many n=5", "message": engine.MISMATCH}]
    (row,) = [e.measurement for e in sink.sent if isinstance(e, MeasurementRecorded)]
    assert row["verified"] is False


def test_a_store_that_writes_wrong_pixels_fails_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backend whose writes zero every pixel: the timed store "succeeds", the read-back
    after it does not, in the real child and through the command line's exit code."""
    import threading

    from imgbench.core.backends.raw_store import RawBackend
    from imgbench.core.synthetic import make_synthetic

    real_write = RawBackend._write_many

    def black(self: Any, images: Any, labels: Any, *rest: Any) -> None:
        real_write(self, np.zeros_like(images), labels, *rest)

    monkeypatch.setattr(RawBackend, "_write_many", black)
    sink = _Sink()
    settings = tiny(tmp_path, backends=("raw", "lmdb"), experiments=("store_many",), cutoffs=(5,))
    finished = engine.ChildRun(
        settings, make_synthetic(40), tmp_path, sink, threading.Event()
    ).run()
    assert finished.status == "failed"
    assert finished.errors == [{"task": "raw store_many n=5", "message": engine.MISMATCH}]
    rows = {
        e.measurement["backend"]: e.measurement
        for e in sink.sent
        if isinstance(e, MeasurementRecorded)
    }
    assert rows["raw"]["verified"] is False and rows["lmdb"]["verified"] is True


def test_png_workers_run_inside_the_benchmark_child(tmp_path: Path) -> None:
    """The child starts worker processes of its own, so it must not be a daemon."""
    settings = tiny(
        tmp_path,
        backends=("png",),
        experiments=("store_many", "read_many"),
        backend_options={"png": {"workers": 2}},
    )
    run, events = run_to_end(settings)
    assert events[-1].status == "complete", run.state.errors
    assert all(row["verified"] in (True, None) for row in run.state.measurements)


def test_a_front_end_that_exits_mid_run_does_not_wait_for_the_child(tmp_path: Path) -> None:
    """The child is not a daemon (it has workers), so exiting must kill it, not join it."""
    import subprocess
    import sys
    import textwrap
    import time

    script = textwrap.dedent(
        f"""
        from imgbench.core.engine import BenchmarkRun
        from imgbench.core.events import TaskStarted
        from imgbench.core.settings import RunSettings
        run = BenchmarkRun(RunSettings(data="synthetic", count=20_000, cutoffs=(20_000,),
                                       repeats=50, workdir={str(tmp_path)!r}))
        run.start()
        while not any(isinstance(e, TaskStarted) for e in run.poll(0.1)):
            pass
        print(run._process.pid, flush=True)
        """
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 30
    child = int(done.stdout.split()[0])
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text()
    assert list(tmp_path.iterdir()) == []  # no scratch left behind


def test_a_bad_store_is_caught_by_the_reads_that_check_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With read_many planned, its samples (which read the whole kept store) are the
    store's check: a store that wrote black pixels still fails, on both rows."""
    import threading

    from imgbench.core.backends.raw_store import RawBackend
    from imgbench.core.synthetic import make_synthetic

    real_write = RawBackend._write_many

    def black(self: Any, images: Any, labels: Any, *rest: Any) -> None:
        real_write(self, np.zeros_like(images), labels, *rest)

    monkeypatch.setattr(RawBackend, "_write_many", black)
    sink = _Sink()
    settings = tiny(
        tmp_path, backends=("raw",), experiments=("store_many", "read_many"), cutoffs=(5,)
    )
    finished = engine.ChildRun(
        settings, make_synthetic(40), tmp_path, sink, threading.Event()
    ).run()
    assert finished.status == "failed"
    rows = [e.measurement for e in sink.sent if isinstance(e, MeasurementRecorded)]
    assert [(r["experiment"], r["verified"]) for r in rows] == [
        ("store_many", False),
        ("read_many", False),
    ]


def test_a_run_stopped_inside_a_group_keeps_the_samples_taken(tmp_path: Path) -> None:
    """Cancelled during the rounds of png and raw batch stores at n=1000 (50 samples each
    planned): each keeps the samples it took, as a row with fewer samples than planned
    and not read back (few of them get the few_samples warning from the statistics)."""
    import time

    from imgbench.core.events import TaskStarted

    settings = tiny(
        tmp_path, count=1000, cutoffs=(1000,), repeats=50, backends=("png", "raw"),
        experiments=("store_many",), warmup=0,
    )  # fmt: skip
    run = BenchmarkRun(settings)
    run.start()
    started = None
    while not run.finished:
        for event in run.poll(0.05):
            if isinstance(event, TaskStarted) and started is None:
                started = time.monotonic()
        if started is not None and time.monotonic() - started > 4 and not run.stopping:
            run.cancel()
    assert run.state.status == "cancelled"
    rows = {row["backend"]: row for row in run.state.measurements}
    assert set(rows) == {"png", "raw"}
    for row in rows.values():
        assert 1 <= len(row["samples_s"]) < 50
        assert row["verified"] is None
