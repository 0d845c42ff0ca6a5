"""remove_store deletes a store folder, and nothing a symlink in it points to."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from imgbench.core.backends import BACKENDS, base, open_backend
from imgbench.core.backends.base import remove_store


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_a_written_store_is_removed_entirely(tmp_path: Path, name: str) -> None:
    location = tmp_path / "store"
    with open_backend(name, location) as store:
        store.store_many(np.zeros((30, 4, 4, 3), np.uint8), np.zeros(30, np.int64))
    remove_store(location)
    assert not location.exists() and list(tmp_path.iterdir()) == []


def test_nested_folders_go_but_symlinked_targets_stay(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep")
    location = tmp_path / "store"
    (location / "a" / "b").mkdir(parents=True)
    (location / "a" / "b" / "deep.bin").write_bytes(b"x")
    (location / "file.png").write_bytes(b"y")
    (location / "link-to-folder").symlink_to(outside, target_is_directory=True)
    (location / "a" / "link-to-file").symlink_to(outside / "precious.txt")
    (location / "dangling").symlink_to(tmp_path / "nowhere")
    remove_store(location)
    assert not location.exists()
    assert (outside / "precious.txt").read_text() == "keep"


def test_a_location_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "data.bin").write_bytes(b"z")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    with pytest.raises(OSError):
        remove_store(link)
    assert (real / "data.bin").exists() and link.is_symlink()


def test_a_missing_location_is_already_removed(tmp_path: Path) -> None:
    remove_store(tmp_path / "never-written")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(NotADirectoryError):
        remove_store(tmp_path / "a-file")
    assert (tmp_path / "a-file").exists()


def test_a_large_folder_is_emptied_by_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "THREADED_REMOVAL_FROM", 10)
    threads: set[str] = set()
    real_unlink_each = base._unlink_each

    def spy(descriptor: int, names: list[str]) -> None:
        threads.add(threading.current_thread().name)
        real_unlink_each(descriptor, names)

    monkeypatch.setattr(base, "_unlink_each", spy)
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    location = tmp_path / "store"
    location.mkdir()
    for i in range(300):
        (location / f"{i:010d}.png").write_bytes(b"p" * i)
    (location / "link").symlink_to(outside)
    remove_store(location)
    assert not location.exists() and outside.read_text() == "keep"
    assert threading.current_thread().name not in threads and len(threads) > 1
