"""The command line adds nothing to what it measures (``pytest -m perf``).

The same settings run three times through ``imgbench run`` and three times through the
engine API, alternating. For every measurement, the ratio of the CLI's median to the
API's median is compared with the run-to-run noise: the spread between the fastest
and the slowest of the runs of one kind. The CLI is fine when its typical ratio
(geometric mean over measurements) lies within the typical spread.
"""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from imgbench.core.engine import BenchmarkRun
from imgbench.core.results import load_document
from imgbench.core.settings import RunSettings

pytestmark = pytest.mark.perf

RUNS = 3
SETTINGS = RunSettings(
    data="synthetic",
    count=2_000,
    cutoffs=(100, 2_000),
    experiments=("store_many", "read_many", "read_random"),
    repeats=3,
    k=100,
)
CLI_ARGS = [
    "--data",
    "synthetic",
    "--count",
    "2000",
    "--cutoffs",
    "100,2000",
    "--experiments",
    "store_many,read_many,read_random",
    "--repeats",
    "3",
    "--warmup",
    "1",
    "-k",
    "100",
]


def medians(document: dict[str, Any]) -> dict[tuple[str, str, int], float]:
    return {
        (m["backend"], m["experiment"], m["n"]): m["median_s"] for m in document["measurements"]
    }


def through_cli(tmp_path: Path, index: int) -> dict[tuple[str, str, int], float]:
    output = tmp_path / f"cli-{index}.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "imgbench.tui.cli",
            "run",
            *CLI_ARGS,
            "--workdir",
            str(tmp_path),
            "-o",
            str(output),
        ],
        check=True,
        capture_output=True,
    )
    return medians(load_document(output))


def through_api(tmp_path: Path) -> dict[tuple[str, str, int], float]:
    run = BenchmarkRun(RunSettings(**{**SETTINGS.__dict__, "workdir": str(tmp_path)}))
    run.start()
    for _ in run.events():
        pass
    return medians(run.document())


def geometric_mean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values))


def test_cli_timings_match_the_api_within_run_to_run_noise(tmp_path: Path) -> None:
    cli_runs, api_runs = [], []
    for index in range(RUNS):
        cli_runs.append(through_cli(tmp_path, index))
        api_runs.append(through_api(tmp_path))
    keys = sorted(set(cli_runs[0]) & set(api_runs[0]))
    ratios, spreads = [], []
    for key in keys:
        cli = [run[key] for run in cli_runs]
        api = [run[key] for run in api_runs]
        ratios.append(statistics.median(cli) / statistics.median(api))
        spreads.extend([max(cli) / min(cli), max(api) / min(api)])
    difference = geometric_mean(ratios)
    noise = geometric_mean(spreads)
    print(f"\nCLI/API median ratio (geometric mean over {len(keys)}): {difference:.3f}")
    print(f"run-to-run spread max/min (geometric mean): {noise:.3f}")
    assert max(difference, 1 / difference) <= noise
