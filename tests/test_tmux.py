"""The real app in a real terminal: tmux types the keys and reads the screen back.

From launch to a saved results file, as a person would do it over SSH in an 80x24
terminal: start ``imgbench`` in a folder with no CIFAR data, see that it chose the
synthetic set and what the run will take, start the quick run with F5, wait for the
results screen, read the keys in help (F1) down to the last, then quit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from imgbench.core.results import load_document

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="needs tmux (.ci/run installs it)"
)

WIDTH, HEIGHT = 100, 30


class Terminal:
    """One tmux session on a private server, so the app sees exactly our environment."""

    def __init__(
        self, command: str, cwd: Path, env: dict[str, str], size: tuple[int, int] = (WIDTH, HEIGHT)
    ) -> None:
        self.socket = f"imgbench-test-{uuid.uuid4().hex[:8]}"
        self.session = "imgbench"
        self._tmux(
            "new-session",
            "-d",
            "-s",
            self.session,
            "-x",
            str(size[0]),
            "-y",
            str(size[1]),
            "-c",
            str(cwd),
            command,
            env=env,
        )

    def _tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=30,
            env=env or os.environ.copy(),
        )
        return result.stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.session)

    def press(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.session, *keys)

    def wait_for(self, text: str, seconds: float = 60) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.25)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def alive(self) -> bool:
        return "imgbench" in self._tmux("list-sessions")

    def close(self) -> None:
        self._tmux("kill-server")


def test_from_launch_to_a_saved_results_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
    }
    terminal = Terminal(f"{sys.executable} -m imgbench.tui.cli", tmp_path, env, size=(80, 24))
    try:
        shown = terminal.wait_for("synthetic", seconds=30)  # the data it chose, said out loud
        assert "how should I store my images?" in shown
        assert "f5 Run" in shown and "f1 Help" in shown  # the footer names the keys
        assert "quick: a first look" in terminal.wait_for("this run: about")  # the estimate
        terminal.press("F5")
        terminal.wait_for("task", seconds=30)  # the progress screen: "task 3 of 60 · ..."
        shown = terminal.wait_for("complete", seconds=180)
        saved = list(tmp_path.glob("imgbench-results-*.json"))
        assert len(saved) == 1, shown
        document = load_document(saved[0])
        assert document["status"] == "complete", (shown, document.get("notes"))
        assert document["dataset"]["source"] == "synthetic"
        assert all(m["verified"] for m in document["measurements"] if m["verified"] is not None)
        assert saved[0].name in shown or "saved" in shown.lower()
        terminal.press("F1")
        shown = terminal.wait_for("Keys of every screen")
        assert "Quit" in shown and "Tab by number" not in shown  # the last row, below
        terminal.press("End")
        shown = terminal.wait_for("Tab by number")  # End scrolled the one table to its end
        assert "square_bracket" not in shown
        terminal.press("Escape")
        terminal.wait_for("Verdict")
        terminal.press("C-q")
        deadline = time.monotonic() + 10
        while terminal.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not terminal.alive()
    finally:
        terminal.close()


def test_closing_the_terminal_mid_run_keeps_the_results_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    """The SSH session drops (tmux is killed) while the app runs: the results so far are
    saved as interrupted, no process of the run is left after 10 s, and no scratch."""
    from test_run_endings import processes_with_marker, wait_until

    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    marker = f"IMGBENCH_TEST_{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "TMPDIR": str(work),  # the app's scratch goes in the temp dir
        "TERM": "xterm-256color",
        marker: "1",
    }
    terminal = Terminal(f"{sys.executable} -m imgbench.tui.cli", tmp_path, env)
    try:
        terminal.wait_for("synthetic", seconds=30)
        terminal.press("F5")
        terminal.wait_for("task", seconds=30)
        assert wait_until(lambda: list(tmp_path.glob("imgbench-results-*.json")), 60)
    finally:
        terminal.close()
    assert wait_until(lambda: processes_with_marker(marker) == [], 10)
    saved = list(tmp_path.glob("imgbench-results-*.json"))
    assert len(saved) == 1
    document = load_document(saved[0])
    assert document["status"] == "interrupted"
    assert document["measurements"]
    assert wait_until(lambda: list(work.iterdir()) == [], 5), list(work.iterdir())
