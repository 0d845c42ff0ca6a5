"""The page cache's share of a store: resident bytes by page, before and after eviction."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from imgbench.core.cache import evict, eviction_supported
from imgbench.core.environment import file_system_type
from imgbench.core.page_cache import memory_available_bytes, resident_bytes


def test_a_file_just_written_is_resident_and_gone_after_eviction(tmp_path: Path) -> None:
    if not eviction_supported(file_system_type(tmp_path)):
        pytest.skip("a memory file system: nothing can be evicted")
    files = [tmp_path / "a", tmp_path / "b", tmp_path / "empty"]
    files[0].write_bytes(os.urandom(1 << 20))
    files[1].write_bytes(os.urandom(5000))
    files[2].write_bytes(b"")
    measured = resident_bytes(files)
    assert measured is not None
    assert measured == ((1 << 20) + 5000, (1 << 20) + 5000)
    evict(files)
    assert resident_bytes(files) == (0, (1 << 20) + 5000)
    files[1].read_bytes()
    assert resident_bytes(files) == (5000, (1 << 20) + 5000)


def test_available_memory_is_read_from_the_kernel() -> None:
    available = memory_available_bytes()
    assert available is None or available > 0
