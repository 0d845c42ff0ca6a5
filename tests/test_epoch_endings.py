"""Every signal that can end a run, sent while an epoch's loader workers are reading:
the workers end with the run, nothing is left behind, the results so far are saved."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from test_run_endings import TerminalRun, processes_with_marker, wait_until

from imgbench.core.results import load_document

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")

EPOCH_RUN = [
    "run", "--data", "synthetic", "--count", "1000", "--cutoffs", "1000", "--no-durable",
    "--stores", "png", "--experiments", "store_many,epoch", "--loader-workers", "2",
    "--repeats", "1", "--epochs", "40", "-o", "r.json",
]  # fmt: skip
#: The loader's workers: processes started by the benchmark child (not the CLI).
WORKERS = 2


def loader_workers(run: TerminalRun) -> list[int]:
    """Marked processes whose parent is the benchmark child: the loader's workers."""
    marked = set(processes_with_marker(run.marker))
    found = []
    for pid in marked:
        try:
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if parent in marked and parent != run.pid and b"resource_tracker" not in command:
            found.append(pid)
    return found


def during_an_epoch(tmp_path: Path) -> TerminalRun:
    run = TerminalRun(tmp_path, *EPOCH_RUN)
    started = wait_until(lambda: len(loader_workers(run)) >= WORKERS, 120)
    assert started, run.text
    return run


@pytest.mark.parametrize(
    ("how", "codes"),
    [("ctrl+c", (130,)), ("hang-up", (129, 130)), ("SIGTERM", (143,))],
)
def test_a_signal_during_an_epoch_stops_its_workers_and_saves(
    tmp_path: Path, how: str, codes: tuple[int, ...]
) -> None:
    run = during_an_epoch(tmp_path)
    if how == "ctrl+c":
        run.press_ctrl_c()
    elif how == "hang-up":
        run.hang_up()
    else:
        os.kill(run.pid, signal.SIGTERM)
    assert run.wait() in codes, run.text
    document = load_document(tmp_path / "r.json")
    assert document["status"] == "interrupted"
    assert any(row["experiment"] == "store_many" for row in document["measurements"])
    run.assert_nothing_left()


def test_kill_9_of_the_front_end_during_an_epoch_takes_the_workers_too(tmp_path: Path) -> None:
    run = during_an_epoch(tmp_path)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    assert wait_until(lambda: processes_with_marker(run.marker) == [], 20), processes_with_marker(
        run.marker
    )
    assert wait_until(lambda: list(run.work.iterdir()) == [], 20)
