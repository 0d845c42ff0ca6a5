"""How much of a store the page cache holds, and whether all of it could fit there.

An epoch over a store that fits in free memory, read with a warm cache, measures memory,
not the disk (DLIO warns of the same). So before an epoch the run records the share of
the store's pages resident in the page cache (``mincore`` over a read-only mapping of
each file, which reads nothing) and the memory the kernel says is available.
"""

from __future__ import annotations

import ctypes
import functools
import mmap
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

PAGE = mmap.PAGESIZE


def memory_available_bytes() -> int | None:
    """``MemAvailable`` of /proc/meminfo: what could be given to the page cache without
    swapping; None where the kernel does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def resident_bytes(paths: Iterable[Path]) -> tuple[int, int] | None:
    """(bytes of the files held in the page cache, bytes of the files), by page; None
    where ``mincore`` is not available."""
    mincore = _mincore()
    if mincore is None:
        return None
    resident = total = 0
    for path in paths:
        size = path.stat().st_size
        total += size
        if size:
            resident += min(size, _resident_pages(mincore, path, size) * PAGE)
    return resident, total


def _resident_pages(mincore: Any, path: Path, size: int) -> int:
    """Pages of the file in the page cache. The mapping is private (copy on write, never
    written), which ctypes can take the address of; mapping reads no data."""
    pages = -(-size // PAGE)
    vector = (ctypes.c_ubyte * pages)()
    with open(path, "rb") as handle:
        view = mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_COPY)
    try:
        anchor = ctypes.c_char.from_buffer(view)
        failed = mincore(ctypes.addressof(anchor), size, vector) != 0
        del anchor  # the mapping cannot close while ctypes holds its buffer
        if failed:
            number = ctypes.get_errno()
            raise OSError(number, os.strerror(number), str(path))
    finally:
        view.close()
    return int(np.count_nonzero(np.frombuffer(memoryview(vector), dtype=np.uint8) & 1))


@functools.cache
def _mincore() -> Any:
    try:
        function = ctypes.CDLL(None, use_errno=True).mincore
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_ubyte))
    function.restype = ctypes.c_int
    return function
