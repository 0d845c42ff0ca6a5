"""Every way a run can end, the way a terminal ends it: results kept, nothing left behind.

The CLI runs on a real pseudo-terminal: ctrl+c is the byte a keyboard sends (the terminal
driver turns it into SIGINT for the whole foreground process group, child and workers
included), a dropped SSH session is the terminal's master side closing (SIGHUP), SIGTERM
is a plain ``kill``. After each: the exit code, the results file with status
``interrupted``, no scratch folder, and no process of the run left.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from imgbench.core.results import load_document
from imgbench.core.scratch import (
    OWNER_FILE,
    make_scratch,
    read_owner,
    remove_stale_scratch,
    stale_scratch,
)

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")

CTRL_C = b"\x03"
RUN = [
    "run", "--data", "synthetic", "--count", "3000", "--cutoffs", "10,100,3000",
    "--repeats", "5", "-o", "r.json",
]  # fmt: skip


def processes_with_marker(marker: str) -> list[int]:
    """Processes whose environment carries ``marker``: the CLI and all it started."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def wait_until(condition: Callable[[], object], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


class TerminalRun:
    """``imgbench`` started on its own pseudo-terminal, as a login shell would start it."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.work = tmp_path / "work"
        self.work.mkdir(exist_ok=True)
        self.marker = f"IMGBENCH_TEST_{uuid.uuid4().hex}"
        self.output = bytearray()
        env = {**os.environ, self.marker: "1", "HOME": str(tmp_path), "TERM": "xterm"}
        command = [sys.executable, "-m", "imgbench.tui.entry", *args, "--workdir", str(self.work)]
        # ctrl+c may be pressed the instant the pty exists: held back until the child
        # has dropped the test process's handlers, it can only end the child, never run
        # pytest's own code in the copy that fork made (which broke the test workers).
        terminal = {signal.SIGINT, signal.SIGHUP}
        held = signal.pthread_sigmask(signal.SIG_BLOCK, terminal)
        try:
            pid, self.master = pty.fork()
            if pid == 0:  # the child: a new session whose controlling terminal is the pty
                for signum in terminal:
                    signal.signal(signum, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
                os.chdir(tmp_path)
                os.execve(sys.executable, command, env)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        self.pid = pid
        self.code: int | None = None
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def press_ctrl_c(self) -> None:
        os.write(self.master, CTRL_C)

    def hang_up(self) -> None:
        """What a dropped SSH connection does: the terminal's master side goes away."""
        os.close(self.master)

    def wait_for_scratch(self, seconds: float = 60) -> None:
        assert wait_until(lambda: any(self.work.iterdir()), seconds), self.text

    def wait_for_first_measurement(self, results: Path, seconds: float = 60) -> None:
        assert wait_until(results.exists, seconds), self.text

    def poll(self, seconds: float) -> int | None:
        """The exit code once imgbench has ended (waiting up to ``seconds``), else None."""
        deadline = time.monotonic() + seconds
        while self.code is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.code = os.waitstatus_to_exitcode(status)
            elif time.monotonic() >= deadline:
                break
            else:
                time.sleep(0.05)
        return self.code

    def wait(self, seconds: float = 60) -> int:
        code = self.poll(seconds)
        if code is None:
            os.kill(self.pid, signal.SIGKILL)
            raise AssertionError(f"imgbench did not end in {seconds} s:\n{self.text}")
        return code

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", "replace")

    def assert_nothing_left(self) -> None:
        assert wait_until(lambda: processes_with_marker(self.marker) == [], 10), (
            processes_with_marker(self.marker)
        )
        assert list(self.work.iterdir()) == []
        assert "Traceback" not in self.text, self.text


def assert_interrupted_results(path: Path) -> None:
    document = load_document(path)
    assert document["status"] == "interrupted"
    assert len(document["measurements"]) > 0


# -- the CLI ------------------------------------------------------------------------------


def test_ctrl_c_mid_run_saves_results_as_interrupted(tmp_path: Path) -> None:
    run = TerminalRun(tmp_path, *RUN)
    run.wait_for_first_measurement(tmp_path / "r.json")
    run.press_ctrl_c()
    assert run.wait() == 130, run.text
    assert_interrupted_results(tmp_path / "r.json")
    run.assert_nothing_left()


def test_ctrl_c_pressed_again_and_again_from_the_first_instant(tmp_path: Path) -> None:
    """Before the run starts it ends quietly; once started, no press can cut the clean-up
    short (every 0.2 s, as an impatient person does)."""
    run = TerminalRun(tmp_path, *RUN)
    for _ in range(40):
        with contextlib.suppress(OSError):  # the terminal closes when imgbench ends
            run.press_ctrl_c()
        if run.poll(0.2) is not None:
            break
    # Pressed within the interpreter's own start (before any imgbench code runs), ctrl+c
    # ends Python the default way: killed by SIGINT, which a shell shows as 130 too.
    assert run.wait() in (130, -signal.SIGINT), run.text
    run.assert_nothing_left()
    results = tmp_path / "r.json"
    if results.exists():
        assert load_document(results)["status"] == "interrupted"


def test_hang_up_mid_run_saves_results_as_interrupted(tmp_path: Path) -> None:
    run = TerminalRun(tmp_path, *RUN)
    run.wait_for_first_measurement(tmp_path / "r.json")
    run.hang_up()
    assert run.wait() in (129, 130), run.text
    assert_interrupted_results(tmp_path / "r.json")
    run.assert_nothing_left()


def test_sigterm_mid_run_saves_results_as_interrupted(tmp_path: Path) -> None:
    run = TerminalRun(tmp_path, *RUN)
    run.wait_for_first_measurement(tmp_path / "r.json")
    os.kill(run.pid, signal.SIGTERM)
    assert run.wait() == 143, run.text
    assert_interrupted_results(tmp_path / "r.json")
    run.assert_nothing_left()


def test_kill_9_of_the_front_end_takes_the_child_and_its_scratch_with_it(
    tmp_path: Path,
) -> None:
    """Nobody is left to save or clean: the results written so far stay (as interrupted),
    the child dies with its parent and removes the scratch itself."""
    run = TerminalRun(tmp_path, *RUN)
    run.wait_for_first_measurement(tmp_path / "r.json")
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    assert_interrupted_results(tmp_path / "r.json")
    assert wait_until(lambda: processes_with_marker(run.marker) == [], 10)
    assert wait_until(lambda: list(run.work.iterdir()) == [], 10), list(run.work.rglob("*"))[:5]


# -- stale scratch --------------------------------------------------------------------------


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def scratch_of_a_dead_run(workdir: Path) -> Path:
    folder = make_scratch(workdir)
    (folder / "png-1000").mkdir()
    (folder / "png-1000" / "0.png").write_bytes(b"x" * 100)
    owner = json.loads((folder / OWNER_FILE).read_text())
    owner["pid"] = dead_pid()
    (folder / OWNER_FILE).write_text(json.dumps(owner))
    return folder


def test_scratch_of_a_live_run_is_never_stale(tmp_path: Path) -> None:
    folder = make_scratch(tmp_path)
    assert read_owner(folder) is not None
    assert stale_scratch(tmp_path) == []
    assert remove_stale_scratch(tmp_path) == []
    assert folder.is_dir()


def test_stale_scratch_is_removed_and_nothing_without_an_owner_file(tmp_path: Path) -> None:
    stale = scratch_of_a_dead_run(tmp_path)
    lookalike = tmp_path / "imgbench-mine"  # the user's own folder with our prefix
    lookalike.mkdir()
    (lookalike / "keep.txt").write_text("mine")
    forged = tmp_path / "imgbench-forged"
    forged.mkdir()
    (forged / OWNER_FILE).write_text("not json")
    removed = remove_stale_scratch(tmp_path)
    assert [entry.path for entry in removed] == [stale]
    assert not stale.exists()
    assert (lookalike / "keep.txt").read_text() == "mine"
    assert forged.is_dir()


def test_a_new_run_cleans_stale_scratch_and_says_so(tmp_path: Path) -> None:
    from test_cli import imgbench

    work = tmp_path / "work"
    work.mkdir()
    stale = scratch_of_a_dead_run(work)
    small = ["--count", "20", "--cutoffs", "10,20", "--repeats", "1", "--backends", "raw"]
    done = imgbench(
        "run", "--data", "synthetic", *small, "--workdir", str(work), "-o", "r.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not stale.exists()
    assert "removed 1 scratch folder" in done.stderr
    assert any(
        "removed 1 scratch folder" in note for note in load_document(tmp_path / "r.json")["notes"]
    )


def test_clean_command_removes_stale_scratch_by_hand(tmp_path: Path) -> None:
    from test_cli import imgbench

    stale = scratch_of_a_dead_run(tmp_path)
    live = make_scratch(tmp_path)
    done = imgbench("clean", "--workdir", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "removed 1 scratch folder" in done.stdout
    assert not stale.exists() and live.is_dir()
    again = imgbench("clean", "--workdir", str(tmp_path), cwd=tmp_path)
    assert again.returncode == 0 and "nothing to clean" in again.stdout
