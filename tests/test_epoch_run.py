"""The training read through the engine: an epoch row per (store, workers, epoch), every
delivery checked, the latency distribution, the page cache's share, and a run that stops
or whose loader worker dies mid-epoch."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from imgbench.core import engine
from imgbench.core.epoch_measure import held_in_memory, percentiles
from imgbench.core.events import MeasurementRecorded, RunFinished
from imgbench.core.results import load_document, save_document
from imgbench.core.settings import RunSettings, preset, problems
from imgbench.core.synthetic import make_synthetic


class Sink:
    def __init__(self, on_put: Any = None) -> None:
        self.sent: list[Any] = []
        self.on_put = on_put

    def put(self, event: Any) -> None:
        self.sent.append(event)
        if self.on_put is not None:
            self.on_put(event)


def epoch_settings(tmp_path: Path, **changes: Any) -> RunSettings:
    values: dict[str, Any] = dict(
        data="synthetic",
        count=200,
        cutoffs=(50, 200),
        backends=("png", "lmdb", "tar+png", "raw"),
        experiments=("store_many", "epoch", "read_latency"),
        repeats=1,
        warmup=0,
        k=20,
        batch_size=16,
        loader_workers=(1, 2),
        workdir=str(tmp_path),
        durable=False,
    )
    values.update(changes)
    return RunSettings(**values)


def run_in_process(settings: RunSettings, sink: Sink, cancel: Any = None) -> RunFinished:
    dataset = make_synthetic(settings.target_count, seed=settings.seed)
    return engine.ChildRun(
        settings, dataset, Path(settings.workdir or ""), sink, cancel or threading.Event()
    ).run()


def test_an_epoch_row_per_store_workers_and_epoch_every_delivery_checked(tmp_path: Path) -> None:
    run = engine.BenchmarkRun(epoch_settings(tmp_path))
    run.start()
    list(run.events())
    document = run.document()
    assert document["status"] == "complete", document["errors"]
    epochs = [m for m in document["measurements"] if m["experiment"] == "epoch"]
    keys = {(m["backend"], m["workers"], m["epoch"]) for m in epochs}
    stores = ("png", "lmdb", "tar+png", "raw")
    assert keys == {(s, w, e) for s in stores for w in (1, 2) for e in (1, 2)}
    for row in epochs:
        assert row["n"] == 200 and row["verified"] is True  # the largest n only
        assert row["batch_size"] == 16 and row["images_per_s"] > 0
        assert 0 < row["first_batch_s"] <= row["median_s"]
        assert row["batch_latency_s"]["p50"] <= row["batch_latency_s"]["p99"]
        assert row["cpu_s_per_image"] > 0 and row["worker_peak_rss_bytes"] > 0
        assert row["page_cache"]["store_bytes"] > 0
        # a warm run of a store this small reads memory, and says so
        assert any(w["code"] == "in_memory" for w in row["warnings"])
    latency = [m for m in document["measurements"] if m["experiment"] == "read_latency"]
    assert {m["backend"] for m in latency} == set(stores)
    for row in latency:
        assert row["verified"] is True and row["k"] == 20
        assert sum(row["histogram"]["counts"]) == 20 * len(row["samples_s"])
        figures = row["latency_s"]
        assert figures["p50"] <= figures["p90"] <= figures["p99"] <= figures["p999"]
    path = tmp_path / "results.json"
    save_document(document, path)
    assert load_document(path)["measurements"] == document["measurements"]


def test_a_mangled_delivery_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check after the epoch is real: a loader that hands back wrong pixels is caught."""
    from imgbench.core import epoch_measure

    real = epoch_measure.run_epoch

    def mangled(*args: Any, **kwargs: Any) -> Any:
        figures, delivered = real(*args, **kwargs)
        delivered.images[0] ^= 1
        return figures, delivered

    monkeypatch.setattr(epoch_measure, "run_epoch", mangled)
    settings = epoch_settings(tmp_path, backends=("raw",), experiments=("store_many", "epoch"))
    sink = Sink()
    finished = run_in_process(settings, sink)
    assert finished.status == "failed"
    rows = [e.measurement for e in sink.sent if isinstance(e, MeasurementRecorded)]
    epochs = [row for row in rows if row["experiment"] == "epoch"]
    assert epochs and all(row["verified"] is False for row in epochs)
    assert any(row["verified"] is True for row in rows if row["experiment"] == "store_many")


def test_a_cancel_during_an_epoch_stops_its_workers_and_keeps_what_was_measured(
    tmp_path: Path,
) -> None:
    cancel = threading.Event()
    started = threading.Event()

    def on_put(event: Any) -> None:
        row = getattr(event, "measurement", None)
        if row is not None and row["experiment"] == "store_many":
            started.set()

    settings = epoch_settings(
        tmp_path, count=3000, cutoffs=(3000,), backends=("png",), repeats=3, loader_workers=(2,)
    )
    sink = Sink(on_put)
    result: list[RunFinished] = []
    thread = threading.Thread(target=lambda: result.append(run_in_process(settings, sink, cancel)))
    thread.start()
    assert started.wait(60)
    deadline = time.monotonic() + 30
    while not multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.01)  # the loader's workers are up: the epoch is running
    assert multiprocessing.active_children(), "the epoch never started its workers"
    asked = time.monotonic()
    cancel.set()
    thread.join(30)
    assert not thread.is_alive()
    assert time.monotonic() - asked < 5  # within the grace, not after the epoch
    assert result[0].status == "cancelled"
    assert multiprocessing.active_children() == []


def test_a_loader_worker_that_dies_fails_the_task_not_the_machine(tmp_path: Path) -> None:
    """A worker killed mid-epoch is a failed task with the reason, never a hang."""
    settings = epoch_settings(
        tmp_path, count=3000, cutoffs=(3000,), backends=("png",), loader_workers=(2,)
    )
    killed = threading.Event()

    def kill_a_worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed.is_set():
            children = multiprocessing.active_children()
            if children:
                time.sleep(0.05)
                os.kill(children[0].pid or 0, signal.SIGKILL)
                killed.set()
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    sink = Sink()
    started = time.monotonic()
    finished = run_in_process(settings, sink)
    killer.join()
    assert killed.is_set()
    assert finished.status == "failed"
    assert time.monotonic() - started < 60
    message = finished.errors[0]["message"]
    assert "worker" in message and "png epoch" in finished.errors[0]["task"]


def test_the_worker_sweep_is_1_2_and_the_cores_without_repeats() -> None:
    assert RunSettings().worker_sweep(2) == (1, 2)
    assert RunSettings().worker_sweep(8) == (1, 2, 8)
    assert RunSettings(loader_workers=(4, 1, 4)).worker_sweep(2) == (1, 4)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"batch_size": 0}, "batch size must be at least 1"),
        ({"epochs": 0}, "number of epochs must be at least 1"),
        ({"loader_workers": (0,)}, "loader workers must be whole numbers from 1"),
        ({"loader_workers": (1, 1000)}, "loader workers must be whole numbers from 1"),
    ],
)
def test_bad_loader_settings_are_named(change: dict[str, Any], words: str) -> None:
    found = problems(RunSettings(data="synthetic", **change))
    assert any(words in line for line in found), found


def test_the_training_and_formats_presets_measure_the_epoch() -> None:
    training = preset("training", data="synthetic")
    assert {"epoch", "read_latency", "store_many"} <= set(training.experiments)
    assert "epoch" in preset("formats").experiments
    assert "epoch" not in preset("classic").experiments  # the study stays the study
    assert problems(training) == []


def test_percentiles_and_the_memory_rule() -> None:
    values = np.arange(1, 1001, dtype=np.float64)
    found = percentiles(values, ("p50", "p99", "p999"))
    assert found["p50"] == pytest.approx(500.5) and found["p999"] > found["p99"]
    fits = {"store_bytes": 100, "resident_bytes": 90, "fits_in_memory": True}
    assert held_in_memory(fits, "cold")
    assert not held_in_memory({**fits, "resident_bytes": 10}, "warm")
    assert not held_in_memory({**fits, "fits_in_memory": False}, "warm")
    assert held_in_memory({**fits, "resident_bytes": None}, "warm")
