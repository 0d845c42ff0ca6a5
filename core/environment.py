"""The machine a run was measured on, as the results document's "environment" section.

Timings mean little without the machine behind them, and two result files can only be
compared fairly when their environments are known. Every fact is best effort: one that
cannot be found is ``None``, and ``environment_info`` never raises, because failing to
describe the machine must never cost a run its results.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

PACKAGES = ("numpy", "Pillow", "lmdb", "h5py")
PROC_CPUINFO = Path("/proc/cpuinfo")
PROC_MOUNTS = Path("/proc/self/mounts")

T = TypeVar("T")


def environment_info(workdir: Path) -> dict[str, Any]:
    """Python, OS, CPU, memory, package and library versions, and the work dir's file system."""
    return {
        "python": _safely(platform.python_version),
        "python_implementation": _safely(platform.python_implementation),
        "os": _safely(platform.platform),
        "machine": _safely(lambda: platform.machine() or None),
        "cpu": _safely(cpu_model),
        "cores": _safely(os.cpu_count),
        "cores_available": _safely(cores_available),
        "memory_bytes": _safely(memory_bytes),
        "packages": {name: _safely(partial(package_version, name)) for name in PACKAGES},
        "liblmdb": _safely(liblmdb_version),
        "libhdf5": _safely(libhdf5_version),
        "workdir_filesystem": _safely(partial(file_system_type, workdir)),
    }


def _safely(fact: Callable[[], T]) -> T | None:
    """The fact, or None when finding it fails in any way."""
    try:
        return fact()
    except Exception:
        return None


def cpu_model() -> str | None:
    """The CPU's marketing name: /proc/cpuinfo on Linux, the platform's word elsewhere."""
    try:
        text = PROC_CPUINFO.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            return value.strip()
    return platform.processor() or None


def cores_available() -> int | None:
    """The cores this process may run on (fewer than ``cores`` in a pinned container)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return None


def memory_bytes() -> int | None:
    """Total physical memory, where the OS reports it through sysconf."""
    if not hasattr(os, "sysconf"):
        return None
    pages = os.sysconf("SC_PHYS_PAGES")
    page_size = os.sysconf("SC_PAGE_SIZE")
    if pages <= 0 or page_size <= 0:
        return None
    return int(pages * page_size)


def package_version(name: str) -> str | None:
    """The installed distribution's version, without importing the package."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def liblmdb_version() -> str:
    """The LMDB C library the Python binding runs on, e.g. "0.9.31"."""
    import lmdb

    return ".".join(str(part) for part in lmdb.version())


def libhdf5_version() -> str:
    """The HDF5 C library h5py was built against, e.g. "1.14.2"."""
    import h5py

    return str(h5py.version.hdf5_version)


def file_system_type(path: Path) -> str | None:
    """The file system holding ``path`` (e.g. "ext4", "tmpfs", "overlay"); Linux only.

    The mount with the longest mount point containing the path wins; of equal ones the
    last listed, since a later mount hides an earlier one at the same place.
    """
    try:
        text = PROC_MOUNTS.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    target = os.path.realpath(path)
    best: tuple[int, str] | None = None
    for mount_point, fs_type in _mounts(text):
        if _contains(mount_point, target) and (best is None or len(mount_point) >= best[0]):
            best = (len(mount_point), fs_type)
    return best[1] if best else None


def _mounts(text: str) -> list[tuple[str, str]]:
    """(mount point, file system type) pairs of a /proc/self/mounts listing."""
    found = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            found.append((_unescape(fields[1]), fields[2]))
    return found


def _unescape(field: str) -> str:
    r"""Undo the kernel's octal escapes in mount points (a space is written ``\040``)."""
    return re.sub(r"\\([0-7]{3})", lambda match: chr(int(match.group(1), 8)), field)


def _contains(mount_point: str, target: str) -> bool:
    if mount_point == "/":
        return target.startswith("/")
    return target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
