"""Writing in steps (prepare, data, seal) so a benchmark times only the data work, with
progress reported along the way."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from imgbench.core.backends import BACKENDS, open_backend, png_store
from imgbench.core.backends.base import MARKER_NAME, PROGRESS_STEPS, Backend
from imgbench.core.errors import StoreError

VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("png", {}),
    ("png", {"workers": 2}),
    ("lmdb", {}),
    ("hdf5", {}),
    ("raw", {}),
]
IDS = [f"{name}{'-' + str(opts) if opts else ''}" for name, opts in VARIANTS]
#: Backends that report progress during the work, not only when it is done.
REPORT_DURING = {"png", "lmdb", "raw"}


def small_batch(n: int, seed: int = 0) -> Any:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 6, 5, 3), dtype=np.uint8), np.arange(n, dtype=np.int64) - 3


def assert_reads_back(location: Path, name: str, images: Any, labels: Any) -> None:
    with open_backend(name, location) as reader:
        got_images, got_labels = reader.read_many()
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=IDS)
def test_a_written_store_is_readable_only_once_sealed(
    tmp_path: Path, name: str, options: dict[str, Any]
) -> None:
    images, labels = small_batch(30)
    location = tmp_path / "store"
    writer = open_backend(name, location, **options)
    writer.prepare()
    assert location.is_dir() and list(location.iterdir()) == []  # the probe is gone
    writer.write_many(images, labels)
    assert writer.files() and not (location / MARKER_NAME).exists()
    with pytest.raises(StoreError, match="incomplete store: never sealed"):
        writer.read_one(0)
    with pytest.raises(StoreError, match="incomplete store"):
        open_backend(name, location).read_many()
    writer.seal()
    writer.seal()  # sealing a sealed store changes nothing
    assert (location / MARKER_NAME).exists()
    assert_reads_back(location, name, images, labels)


@pytest.mark.parametrize("name", list(BACKENDS))
def test_an_append_session_is_finished_then_sealed(tmp_path: Path, name: str) -> None:
    images, labels = small_batch(5)
    location = tmp_path / "store"
    writer = open_backend(name, location)
    for i in range(5):
        writer.store_one(i, images[i], int(labels[i]))
    writer.finish()
    with pytest.raises(StoreError, match="incomplete store"):
        open_backend(name, location).read_many()
    with pytest.raises(StoreError, match="is written"):
        writer.store_one(5, images[0], 0)
    writer.seal()
    writer.close()
    assert_reads_back(location, name, images, labels)


@pytest.mark.parametrize("name", list(BACKENDS))
def test_write_many_prepares_a_fresh_folder_itself(tmp_path: Path, name: str) -> None:
    images, labels = small_batch(4)
    writer = open_backend(name, tmp_path / "a" / "store")
    writer.write_many(images, labels)
    writer.seal()
    assert_reads_back(tmp_path / "a" / "store", name, images, labels)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("mine")
    with pytest.raises(StoreError, match="not empty"):
        open_backend(name, tmp_path / "b").write_many(images, labels)
    assert (tmp_path / "b" / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("name", list(BACKENDS))
def test_steps_out_of_order_are_refused(tmp_path: Path, name: str) -> None:
    images, labels = small_batch(3)
    store = open_backend(name, tmp_path / "store")
    with pytest.raises(StoreError, match="nothing to seal"):
        store.seal()
    store.write_many(images, labels)
    with pytest.raises(StoreError, match="is written"):
        store.write_many(images, labels)
    appender = open_backend(name, tmp_path / "appended")
    appender.store_one(0, images[0], 0)
    with pytest.raises(StoreError, match="nothing to seal"):
        appender.seal()
    with pytest.raises(StoreError, match="one image at a time"):
        appender.write_many(images, labels)
    appender.close()
    assert_reads_back(tmp_path / "appended", name, images[:1], [0])


@pytest.mark.parametrize("name", list(BACKENDS))
def test_a_failed_seal_removes_the_partial_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    images, labels = small_batch(3)
    store = open_backend(name, tmp_path / "store")
    store.write_many(images, labels)

    def disk_full(*_: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(StoreError, match=r"No space left on device.*partial store was removed"):
        store.seal()
    assert store.files() == []
    assert list((tmp_path / "store").iterdir()) == []


@pytest.mark.parametrize("name", list(BACKENDS))
def test_a_failed_finish_removes_the_partial_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    images, _ = small_batch(2)
    store = open_backend(name, tmp_path / "store")
    store.store_one(0, images[0], 0)
    real_finish = type(store)._finish_append

    def finish_then_fail(self: Backend) -> None:
        real_finish(self)
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(type(store), "_finish_append", finish_then_fail)
    with pytest.raises(StoreError, match="Input/output error"):
        store.finish()
    assert store.files() == []
    with pytest.raises(StoreError, match="incomplete store"):
        open_backend(name, tmp_path / "store").read_many()


def assert_chunked(reports: list[int], total: int, during: bool) -> None:
    """Counts grow, end with the total, come a few dozen times at most, never per image."""
    assert reports[-1] == total
    assert reports == sorted(set(reports))
    assert len(reports) <= PROGRESS_STEPS + 1
    assert len(reports) > 1 if during else len(reports) >= 1


@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=IDS)
def test_progress_of_writes_and_reads_comes_in_chunks_and_ends_with_n(
    tmp_path: Path, name: str, options: dict[str, Any]
) -> None:
    images, labels = small_batch(500)
    during = name in REPORT_DURING
    written: list[int] = []
    store = open_backend(name, tmp_path / "store", **options)
    store.store_many(images, labels, progress=written.append)
    assert_chunked(written, 500, during)
    read: list[int] = []
    got, _ = store.read_many(progress=read.append)
    np.testing.assert_array_equal(got, images)
    assert_chunked(read, 500, during)
    picked: list[int] = []
    ids = np.arange(499, -1, -2)
    got, got_labels = store.read_many(ids=ids, progress=picked.append)
    np.testing.assert_array_equal(got, images[ids])
    np.testing.assert_array_equal(got_labels, labels[ids])
    assert_chunked(picked, 250, during and name != "raw")  # raw takes ids in one indexing
    store.close()


@pytest.mark.parametrize("name", list(BACKENDS))
def test_progress_of_a_varying_store_ends_with_n(tmp_path: Path, name: str) -> None:
    rng = np.random.default_rng(1)
    images = [rng.integers(0, 256, (1 + i % 4, 2 + i % 3, 3), dtype=np.uint8) for i in range(90)]
    reports: list[int] = []
    with open_backend(name, tmp_path / "store") as store:
        store.store_many(images, np.zeros(90, np.int64), progress=reports.append)
        assert_chunked(reports, 90, during=False)
        reports.clear()
        got, _ = store.read_many(progress=reports.append)
        assert_chunked(reports, 90, during=False)
    assert all(np.array_equal(a, b) for a, b in zip(got, images, strict=True))


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("durable", [True, False])
def test_png_write_many_syncs_the_batch_once_when_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int, durable: bool
) -> None:
    real_syncfs = png_store._libc_syncfs()
    if real_syncfs is None:
        pytest.skip("no syncfs here (the fallback is tested below)")
    synced: list[int] = []
    monkeypatch.setattr(
        png_store, "_libc_syncfs", lambda: lambda fd: (synced.append(fd), real_syncfs(fd))[1]
    )
    per_file: list[bool] = []
    real_encode = png_store._encode_one
    monkeypatch.setattr(
        png_store,
        "_encode_one",
        lambda path, image, level, durable: (
            per_file.append(durable),
            real_encode(path, image, level, durable),
        )[1],
    )
    images, labels = small_batch(20)
    store = open_backend("png", tmp_path / "store", durable=durable, workers=workers)
    store.write_many(images, labels)
    assert len(synced) == (1 if durable else 0)
    if workers == 1:  # forked workers encode in their own process, out of the spy's sight
        assert per_file == [False] * 20  # no fsync per file inside write_many


def test_png_falls_back_to_an_fsync_of_every_file_without_syncfs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(png_store, "_libc_syncfs", lambda: None)
    synced: list[str] = []
    monkeypatch.setattr(png_store, "sync_path", lambda path: synced.append(Path(path).name))
    images, labels = small_batch(20)
    store = open_backend("png", tmp_path / "store", durable=True)
    store.write_many(images, labels)
    assert sorted(synced) == sorted(path.name for path in store.files())
    synced.clear()
    open_backend("png", tmp_path / "quiet", durable=False).write_many(images, labels)
    assert synced == []
