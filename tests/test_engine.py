"""The engine end to end: a real child process, real stores, real events."""

from __future__ import annotations

import resource
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from imgbench.core import engine
from imgbench.core.cache import eviction_supported
from imgbench.core.engine import BenchmarkRun, SettingsError, plan_tasks
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
    tasks = plan_tasks(settings)
    assert [t.n for t in tasks[:10]] == [10] * 10  # n ascending
    first = [(t.backend, t.experiment) for t in tasks[:5]]
    assert first == [
        ("lmdb", "store_single"),
        ("lmdb", "store_many"),
        ("lmdb", "read_single"),
        ("lmdb", "read_many"),
        ("lmdb", "read_random"),
    ]
    assert len(tasks) == 2 * 2 * 5


def test_a_full_run_measures_every_task_and_checks_every_read(tmp_path: Path) -> None:
    run, events = run_to_end(tiny(tmp_path))
    kinds = Counter(type(event) for event in events)
    assert isinstance(events[-1], RunFinished) and events[-1].status == "complete"
    assert kinds[PlanReady] == 1 and kinds[DatasetLoaded] == 1
    tasks = len(plan_tasks(run.settings))
    assert kinds[TaskStarted] == kinds[MeasurementRecorded] == tasks == 2 * 4 * 5
    assert kinds[Progress] == tasks * 3  # one per sample (1 warm-up + 2 timed), never per image
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[-1].done == progress[-1].total

    rows = run.state.measurements
    assert {r["backend"] for r in rows} == set(ALL_BACKENDS)
    for row in rows:
        assert len(row["samples_s"]) == 2 and row["min_s"] <= row["median_s"]
        if row["experiment"].startswith("read"):
            assert row["verified"] is True and row["bytes_apparent"] is None
        else:
            # allocated can be below apparent: LMDB leaves holes (a sparse file)
            assert row["verified"] is None and row["bytes_allocated"] > 0 < row["bytes_apparent"]
    random_rows = [r for r in rows if r["experiment"] == "read_random"]
    assert {(r["n"], r["k"]) for r in random_rows} == {(5, 5), (40, 8)}
    assert list(tmp_path.iterdir()) == []  # the scratch folder is gone
    assert not run._process.is_alive()

    document = run.document()
    assert document["dataset"]["source"] == "synthetic" and document["dataset"]["count"] == 40
    assert len(document["dataset"]["sha256"]) == 64
    save_document(document, tmp_path / "r.json")
    assert load_document(tmp_path / "r.json")["status"] == "complete"


def test_disk_usage_grows_with_n_and_png_pays_for_whole_blocks(tmp_path: Path) -> None:
    run, _ = run_to_end(tiny(tmp_path, experiments=("store_many", "disk_usage"), repeats=1))
    usage = {(r["backend"], r["n"]): r for r in run.state.measurements}
    for backend in ALL_BACKENDS:
        assert usage[(backend, 40)]["bytes_apparent"] > usage[(backend, 5)]["bytes_apparent"]
    raw_pixels = 40 * 32 * 32 * 3
    assert usage[("raw", 40)]["bytes_apparent"] >= raw_pixels
    assert usage[("png", 40)]["bytes_allocated"] >= 40 * 4096 - 4096  # a block per file


def test_without_disk_usage_no_bytes_are_claimed(tmp_path: Path) -> None:
    run, _ = run_to_end(tiny(tmp_path, experiments=("store_many",), repeats=1, warmup=0))
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
    monkeypatch.setattr(engine, "CANCEL_GRACE_S", 0.0)
    run = BenchmarkRun(tiny(tmp_path, count=2000, cutoffs=(2000,), backends=("png",)))
    run.start()
    for event in run.events():
        if isinstance(event, Progress):  # mid-task: the next sample takes seconds
            run.cancel()
    assert run.state.status == "cancelled"
    assert any("by force" in note for note in run.state.notes)
    assert not run._process.is_alive()
    assert list(tmp_path.iterdir()) == []


def test_not_enough_space_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Tiny:
        free = 10 << 20

    monkeypatch.setattr(engine.shutil, "disk_usage", lambda path: Tiny)
    with pytest.raises(SettingsError, match=r"needs about 1\.\d\d GB, 0\.01 GB is free") as caught:
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
    import numpy as np

    from imgbench.core.events import Task
    from imgbench.core.measure import TaskContext, read_sample
    from imgbench.core.synthetic import make_synthetic

    data = make_synthetic(20)
    settings = tiny(tmp_path, backends=("raw",))
    context = TaskContext(data.images, data.labels, settings, tmp_path, cold=False)
    task = Task("raw", "read_many", 20)
    assert read_sample(context, task, 0).verified is True
    images_file = context.read_store("raw", 20) / "images.npy"
    pixels = bytearray(images_file.read_bytes())
    pixels[-1] ^= 0xFF
    images_file.write_bytes(bytes(pixels))
    sample = read_sample(context, task, 1)
    assert sample.verified is False and sample.seconds > 0
    assert np.array_equal(data.images[:19], np.load(images_file)[:19])


def test_the_engine_turns_a_failed_check_into_an_error_of_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child's runner, in this process, with reads that come back wrong."""
    import threading

    from imgbench.core.measure import Sample
    from imgbench.core.synthetic import make_synthetic

    monkeypatch.setattr(engine, "read_sample", lambda *_: Sample(0.001, verified=False))
    sent: list[Any] = []

    class Sink:
        put = staticmethod(sent.append)

    settings = tiny(tmp_path, backends=("raw",), experiments=("read_many",), cutoffs=(5,))
    runner = engine._ChildRun(settings, make_synthetic(40), tmp_path, Sink(), threading.Event())
    finished = runner.run()
    assert finished.status == "complete"
    assert finished.errors == [{"task": "raw read_many n=5", "message": engine.MISMATCH}]
    (row,) = [e.measurement for e in sent if isinstance(e, MeasurementRecorded)]
    assert row["verified"] is False


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
