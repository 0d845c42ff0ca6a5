"""A work dir the run cannot write in is refused in one line, before anything starts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imgbench.core.engine import BenchmarkRun, check_can_start
from imgbench.core.errors import SettingsError
from imgbench.core.settings import preset


def quick(workdir: Path) -> object:
    return preset("quick", data="synthetic", workdir=str(workdir))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in any folder")
def test_a_folder_without_write_permission_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    with pytest.raises(SettingsError, match="permission denied"):
        check_can_start(quick(locked))  # type: ignore[arg-type]


def test_a_scratch_folder_that_cannot_be_made_is_refused_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import imgbench.core.scratch as scratch

    def refuse(**_: object) -> str:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(scratch.tempfile, "mkdtemp", refuse)
    run = BenchmarkRun(quick(tmp_path))  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="cannot make a scratch folder: Read-only"):
        run.start()
    assert run._process is None


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare"
)
def test_a_read_only_file_system_is_refused_by_the_cli_in_one_line(tmp_path: Path) -> None:
    work = tmp_path / "ro"
    work.mkdir()
    script = (
        f"mount --bind {work} {work} && mount -o remount,ro,bind {work} && "
        f"{sys.executable} -m imgbench.tui.cli run --preset quick --data synthetic "
        f"--workdir {work} -o {tmp_path / 'r.json'}"
    )
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if "mount:" in done.stderr:
        pytest.skip(f"cannot make a read-only mount here: {done.stderr.strip()}")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"imgbench: {work}: the work dir is on a read-only file system"
    ]
    assert not (tmp_path / "r.json").exists()
