"""The classic study in imgbench costs at most 4x the study's own code (``pytest -m perf``).

Both do the study on the same 100,000 synthetic CIFAR-shaped images on this machine, one
after the other, each in a fresh process with its data generation included: the study's
functions as published (each run once, nothing read back or checked), then
``imgbench run --data synthetic`` (all four backends, at least 3 samples of every figure,
every store and read checked bit for bit). The ratio of their wall times is printed and
bounded; the absolute times are printed too, for the notes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.perf

LIMIT = 4.0
STUDY_SCRIPT = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from classic_study import run_study
from imgbench.core.synthetic import make_synthetic
data = make_synthetic(100_000, seed=0)
timings = run_study(Path({root!r}), data.images, data.labels)
print(json.dumps(timings))
"""


def wall(command: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=3 * 3600)
    return time.monotonic() - started, done


def test_the_classic_study_in_imgbench_costs_at_most_4x_the_studys_code(tmp_path: Path) -> None:
    study_root = tmp_path / "study"
    script = STUDY_SCRIPT.format(tests=str(Path(__file__).parent), root=str(study_root))
    study_s, study = wall([sys.executable, "-c", script])
    assert study.returncode == 0, study.stderr
    work = tmp_path / "work"
    work.mkdir()
    output = tmp_path / "classic.json"
    command = [sys.executable, "-m", "imgbench.tui.cli", "run", "--data", "synthetic"]
    imgbench_s, run = wall([*command, "--workdir", str(work), "--output", str(output)])
    assert run.returncode == 0, run.stderr[-2000:]
    document = json.loads(output.read_text())
    rows = document["measurements"]
    assert document["status"] == "complete"
    assert all(row["verified"] is True for row in rows)
    assert all(len(row["samples_s"]) >= 3 for row in rows)
    assert {row["backend"] for row in rows} == {"png", "lmdb", "hdf5", "raw"}
    ratio = imgbench_s / study_s
    print(f"\nstudy's code {study_s:.1f} s, imgbench classic {imgbench_s:.1f} s: {ratio:.2f}x")
    assert ratio <= LIMIT
