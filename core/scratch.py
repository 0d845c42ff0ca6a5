"""Scratch folders that say whose they are, so a run that died can be cleaned up later.

Each run's scratch folder holds an owner file: the front end's pid, that process's start
time (so a recycled pid is not mistaken for the owner) and the host. A folder whose owner
is gone is stale; it is removed by the next run in the same work dir or by
``imgbench clean``. A folder without a readable owner file is never touched: imgbench
only deletes what it can show it made.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .backends.base import remove_store

PREFIX = "imgbench-"
OWNER_FILE = ".imgbench-owner.json"
OWNER_KIND = "imgbench.scratch/1"


@dataclass(frozen=True)
class StaleScratch:
    """A scratch folder whose run is over, and what it held."""

    path: Path
    pid: int
    files: int
    bytes: int


def make_scratch(workdir: Path) -> Path:
    """A new scratch folder under ``workdir`` with this process as its owner."""
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=workdir))
    try:
        owner = {
            "kind": OWNER_KIND,
            "pid": os.getpid(),
            "started": process_start_ticks(os.getpid()),
            "host": socket.gethostname(),
            "created": time.time(),
        }
        (folder / OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")
    except BaseException:
        os.rmdir(folder)
        raise
    return folder


def process_start_ticks(pid: int) -> int | None:
    """When a process started, in clock ticks since boot (Linux); None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its end.
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return int(fields[19])  # field 22 of the whole line
    except (IndexError, ValueError):
        return None


def read_owner(folder: Path) -> dict[str, Any] | None:
    """The owner record of a scratch folder, or None when it has no valid one."""
    path = folder / OWNER_FILE
    try:
        if not path.is_file() or path.is_symlink():
            return None
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(record, dict) or record.get("kind") != OWNER_KIND:
        return None
    if not isinstance(record.get("pid"), int) or record["pid"] < 1:
        return None
    return record


def owner_alive(record: dict[str, Any]) -> bool:
    """True while the process that made the folder still runs (or when that cannot be
    known: another host's folder on a shared disk is left to that host)."""
    if record.get("host") != socket.gethostname():
        return True
    pid = record["pid"]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    started = record.get("started")
    return started is None or process_start_ticks(pid) in (None, started)


def stale_scratch(workdir: Path) -> list[StaleScratch]:
    """The scratch folders in ``workdir`` (not below) whose owner has gone."""
    found = []
    try:
        entries = sorted(workdir.iterdir())
    except OSError:
        return []
    for entry in entries:
        if not entry.name.startswith(PREFIX) or entry.is_symlink() or not entry.is_dir():
            continue
        record = read_owner(entry)
        if record is None or owner_alive(record):
            continue
        files, size = _contents(entry)
        found.append(StaleScratch(entry, record["pid"], files, size))
    return found


def remove_stale_scratch(workdir: Path) -> list[StaleScratch]:
    """Remove every stale scratch folder of ``workdir``; returns those removed."""
    removed = []
    for stale in stale_scratch(workdir):
        # Check again right before deleting: the owner file is what makes it ours.
        record = read_owner(stale.path)
        if record is None or owner_alive(record):
            continue
        remove_scratch(stale.path)
        if not stale.path.exists():
            removed.append(stale)
    return removed


def remove_scratch(scratch: Path) -> None:
    """Delete a scratch folder fast (a PNG store is many files), the owner file last, so a
    folder that could not be emptied can still be recognised and cleaned later."""
    owner = scratch / OWNER_FILE
    for entry in _entries(scratch):
        if entry.name == OWNER_FILE:
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                remove_store(entry)
            else:
                entry.unlink()
        except OSError:
            continue
    if any(entry.name != OWNER_FILE for entry in _entries(scratch)):
        return  # something stayed: keep the owner file, a later clean-up tries again
    try:
        owner.unlink(missing_ok=True)
        scratch.rmdir()
    except OSError:
        pass


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _contents(folder: Path) -> tuple[int, int]:
    """(files, bytes) below a folder, for saying what a clean-up freed."""
    files = size = 0
    for root, _dirs, names in os.walk(folder):
        for name in names:
            files += 1
            with contextlib.suppress(OSError):
                size += os.lstat(os.path.join(root, name)).st_blocks * 512
    return files, size
