"""Cold-cache reads: push a store's files out of the page cache before a timed read.

Eviction is fsync (dirty pages cannot be dropped) then ``posix_fadvise(DONTNEED)`` per
file. It drops file data, not the kernel's directory and inode caches. On memory-backed
file systems (tmpfs, ramfs) the page cache *is* the storage, so nothing can be evicted,
and the results say so instead of claiming a cold read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

MEMORY_FILE_SYSTEMS = frozenset({"tmpfs", "ramfs", "devtmpfs"})


def eviction_supported(file_system: str | None) -> bool:
    """Whether cold reads can be made real here."""
    return hasattr(os, "posix_fadvise") and file_system not in MEMORY_FILE_SYSTEMS


def evict(paths: Iterable[Path]) -> None:
    """Write back, then drop from the page cache, every file in ``paths``."""
    for path in paths:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(descriptor)


def disk_usage(paths: Iterable[Path]) -> tuple[int, int]:
    """(apparent bytes, allocated bytes) of the files: what ``ls -l`` and ``du`` would say."""
    apparent = allocated = 0
    for path in paths:
        status = path.stat()
        apparent += status.st_size
        allocated += status.st_blocks * 512
    return apparent, allocated
