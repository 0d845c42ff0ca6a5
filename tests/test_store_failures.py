"""A store that fails mid-write says why, cleans up, and is never taken for complete."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imgbench.core.backends import BACKENDS, open_backend, png_store
from imgbench.core.backends.base import MARKER_NAME
from imgbench.core.errors import StoreError

#: Runs in a child process: a 1 MiB file-size limit makes every write past it fail inside
#: the C libraries too (LMDB, HDF5), which is what a full disk looks like to a backend.
FULL_DISK_SCRIPT = """
import json, resource, signal, sys
import numpy as np
from imgbench.core.backends import open_backend
from imgbench.core.errors import StoreError

name, mode, location = sys.argv[1:4]
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, resource.RLIM_INFINITY))
images = np.random.default_rng(0).integers(0, 256, (800, 32, 32, 3), dtype=np.uint8)
labels = np.arange(800, dtype=np.int64)
store = open_backend(name, location)
try:
    if mode == "many":
        store.store_many(images, labels)
    else:
        for i in range(800):
            store.store_one(i, images[i], int(labels[i]))
        store.close()
except StoreError as error:
    print(json.dumps({"error": str(error)}))
else:
    print(json.dumps({"error": None}))
"""


@pytest.mark.parametrize("mode", ["many", "one"])
@pytest.mark.parametrize("name", ["lmdb", "hdf5", "raw"])
def test_disk_full_leaves_no_store_claimed_complete(tmp_path: Path, name: str, mode: str) -> None:
    location = tmp_path / "store"
    result = subprocess.run(
        [sys.executable, "-c", FULL_DISK_SCRIPT, name, mode, str(location)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    message = json.loads(result.stdout.strip().splitlines()[-1])["error"]
    assert message is not None, "the write should have failed past the size limit"
    assert str(location) in message and "write failed" in message
    assert "File too large" in message or "Input/output error" in message
    assert "\n" not in message
    assert not (location / MARKER_NAME).exists()
    store = open_backend(name, location)
    assert store.files() == []  # the partial data was removed
    with pytest.raises(StoreError, match="incomplete store"):
        store.read_many()


@pytest.mark.parametrize("mode", ["many", "one"])
def test_png_disk_full_mid_batch_leaves_nothing_claimed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    real_encode = png_store._encode_one
    written: list[Path] = []

    def encode_until_full(path: Path, *args: object) -> None:
        if len(written) == 30:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        written.append(path)
        real_encode(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(png_store, "_encode_one", encode_until_full)
    images = np.zeros((50, 32, 32, 3), dtype=np.uint8)
    location = tmp_path / "store"
    store = open_backend("png", location)
    with pytest.raises(StoreError, match="No space left on device") as caught:
        if mode == "many":
            store.store_many(images, np.zeros(50, dtype=np.int64))
        else:
            for i in range(50):
                store.store_one(i, images[i], 0)
    assert str(location) in str(caught.value)
    assert written and not any(path.exists() for path in written)
    assert not (location / MARKER_NAME).exists()
    with pytest.raises(StoreError, match="incomplete store"):
        open_backend("png", location).read_many()


@pytest.mark.parametrize("name", list(BACKENDS))
def test_unwritable_location_is_refused_before_writing(tmp_path: Path, name: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    images = np.zeros((2, 4, 4, 3), dtype=np.uint8)
    with pytest.raises(StoreError, match="cannot create the store folder") as caught:
        open_backend(name, blocker / "store").store_many(images, np.zeros(2, dtype=np.int64))
    assert str(blocker / "store") in str(caught.value)
    assert blocker.read_text() == "not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through file permissions")
@pytest.mark.parametrize("name", list(BACKENDS))
def test_read_only_folder_is_refused(tmp_path: Path, name: str) -> None:
    location = tmp_path / "store"
    location.mkdir()
    location.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="cannot write here"):
            open_backend(name, location).store_one(0, np.zeros((4, 4, 3), np.uint8), 0)
    finally:
        location.chmod(0o700)


def test_read_only_file_system_is_refused(tmp_path: Path) -> None:
    """/proc is read-only for new files even for root: a real EACCES/ENOENT-free refusal."""
    location = Path("/proc/imgbench-store-test")
    with pytest.raises(StoreError) as caught:
        open_backend("raw", location).store_many(
            np.zeros((1, 2, 2, 1), dtype=np.uint8), np.zeros(1, dtype=np.int64)
        )
    assert str(location) in str(caught.value)
    assert not location.exists()
