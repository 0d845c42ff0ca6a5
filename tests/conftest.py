"""Fixtures shared by the setup screen's test modules, and perf runs kept alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgbench.core import discovery
from imgbench.tui import setup_screen


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """``-m perf`` times things: never beside another test process (pytest-xdist off)."""
    selected = config.option.markexpr or ""
    if "perf" in selected and "not perf" not in selected:
        config.option.numprocesses = 0
        config.option.dist = "no"


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory and an empty data dir: no CIFAR data anywhere."""
    cwd, data = tmp_path / "cwd", tmp_path / "data"
    cwd.mkdir()
    data.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(discovery, "user_data_dir", lambda: data)
    # The same debounce, shorter: the tests wait for it on every change.
    monkeypatch.setattr(setup_screen, "CHECK_DELAY_S", 0.02)
    monkeypatch.setattr(setup_screen, "DATA_CHECK_DELAY_S", 0.04)
    return cwd
