"""The command line answers at once (``pytest -m perf``): ``imgbench --help``, ``imgbench
run --help`` and ``imgbench --version`` in under 0.3 s, best of five, on a 2-core VM where
they took 0.6 to 2.7 s while numpy, h5py, plotext, rich's progress bars and Textual loaded
before the parser was built."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.perf

TARGET_S = 0.3
TRIES = 5


def best_time(*args: str) -> float:
    """The quickest of ``TRIES`` runs of the console script's entry point, in seconds."""
    command = [sys.executable, "-m", "imgbench.tui.entry", *args]
    times = []
    for _ in range(TRIES):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, timeout=60)
        times.append(time.perf_counter() - start)
    return min(times)


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["--version"]])
def test_help_and_version_answer_at_once(args: list[str]) -> None:
    seconds = best_time(*args)
    print(f"imgbench {' '.join(args)}: {seconds * 1000:.0f} ms (best of {TRIES})")
    assert seconds < TARGET_S, f"imgbench {' '.join(args)} took {seconds:.2f} s"
