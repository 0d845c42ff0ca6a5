"""Every backend stores and reads back exactly what it was given, under one interface."""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import lmdb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgbench.core.backends import BACKENDS, backend_options, open_backend
from imgbench.core.backends.base import MARKER_NAME
from imgbench.core.backends.lmdb_store import HEADER, MAGIC, record_key
from imgbench.core.errors import StoreError

#: Every backend, plus PNG with two worker processes (a different code path).
VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("png", {}),
    ("png", {"workers": 2}),
    ("lmdb", {}),
    ("hdf5", {}),
    ("raw", {}),
]
IDS = [f"{name}{'-' + str(opts) if opts else ''}" for name, opts in VARIANTS]


def random_batch(n: int, shape: tuple[int, ...] = (32, 32, 3), seed: int = 0) -> Any:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, *shape), dtype=np.uint8)
    labels = rng.integers(-(2**31), 2**31 + 1, n, dtype=np.int64)
    return images, labels


def assert_same(actual: tuple[Any, Any], images: Any, labels: Any) -> None:
    got_images, got_labels = actual
    assert got_images.dtype == np.uint8 and got_labels.dtype == np.int64
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=IDS)
def test_store_many_reads_back_first_n_ids_and_one(
    tmp_path: Path, name: str, options: dict[str, Any]
) -> None:
    images, labels = random_batch(120)
    store = open_backend(name, tmp_path / "store", **options)
    store.store_many(images, labels)
    assert_same(store.read_many(), images, labels)
    assert_same(store.read_many(n=17), images[:17], labels[:17])
    ids = np.array([5, 119, 0, 5, 64, 3])  # unsorted, with a repeat: order is kept
    assert_same(store.read_many(ids=ids), images[ids], labels[ids])
    image, label = store.read_one(42)
    np.testing.assert_array_equal(image, images[42])
    assert label == labels[42]
    store.close()
    assert store.files() and all(path.exists() for path in store.files())


@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=IDS)
def test_store_one_appends_and_a_new_reader_sees_it(
    tmp_path: Path, name: str, options: dict[str, Any]
) -> None:
    images, labels = random_batch(25, seed=1)
    with open_backend(name, tmp_path / "store", **options) as store:
        for i in range(len(images)):
            store.store_one(i, images[i], int(labels[i]))
    reader = open_backend(name, tmp_path / "store", **options)
    assert_same(reader.read_many(), images, labels)
    assert reader.read_one(24)[1] == labels[24]
    reader.close()


@pytest.mark.parametrize("name", list(BACKENDS))
def test_larger_and_grey_images_round_trip(tmp_path: Path, name: str) -> None:
    for shape in [(256, 256, 3), (64, 48, 1)]:
        images, labels = random_batch(3, shape, seed=len(shape))
        with open_backend(name, tmp_path / f"{name}-{shape[0]}") as store:
            store.store_many(images, labels)
            assert_same(store.read_many(), images, labels)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(sorted(BACKENDS)),
    count=st.integers(1, 6),
    height=st.integers(1, 40),
    width=st.integers(1, 40),
    channels=st.sampled_from([1, 3, 4]),
    seed=st.integers(0, 2**16),
    label_bound=st.sampled_from([10, 2**31, 2**62]),
    one_at_a_time=st.booleans(),
)
def test_round_trip_is_bit_exact_for_any_shape_and_label(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    count: int,
    height: int,
    width: int,
    channels: int,
    seed: int,
    label_bound: int,
    one_at_a_time: bool,
) -> None:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (count, height, width, channels), dtype=np.uint8)
    labels = rng.integers(-label_bound, label_bound + 1, count, dtype=np.int64)
    location = tmp_path_factory.mktemp(name) / "store"
    with open_backend(name, location) as store:
        if one_at_a_time:
            for i in range(count):
                store.store_one(i, images[i], int(labels[i]))
        else:
            store.store_many(images, labels)
    with open_backend(name, location) as store:
        assert_same(store.read_many(), images, labels)
        ids = rng.integers(0, count, 5)
        assert_same(store.read_many(ids=ids), images[ids], labels[ids])


@pytest.mark.parametrize("name", list(BACKENDS))
def test_store_refuses_a_folder_that_is_not_fresh(tmp_path: Path, name: str) -> None:
    images, labels = random_batch(3)
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "someone-elses-file.txt").write_text("keep me")
    with pytest.raises(StoreError, match="not empty"):
        open_backend(name, tmp_path / "store").store_many(images, labels)
    assert (tmp_path / "store" / "someone-elses-file.txt").read_text() == "keep me"

    store = open_backend(name, tmp_path / "second")
    store.store_many(images, labels)
    with pytest.raises(StoreError):
        store.store_many(images, labels)
    with pytest.raises(StoreError, match="complete"):
        store.store_one(0, images[0], 0)


@pytest.mark.parametrize("name", list(BACKENDS))
def test_an_unfinished_append_is_not_readable_as_complete(tmp_path: Path, name: str) -> None:
    images, labels = random_batch(4)
    writer = open_backend(name, tmp_path / "store")
    for i in range(3):
        writer.store_one(i, images[i], int(labels[i]))
    with pytest.raises(StoreError, match="still being written"):
        writer.read_many()
    with pytest.raises(StoreError, match="incomplete store"):
        open_backend(name, tmp_path / "store").read_many()
    writer.close()
    assert_same(open_backend(name, tmp_path / "store").read_many(), images[:3], labels[:3])


@pytest.mark.parametrize("name", list(BACKENDS))
def test_bad_requests_are_refused_clearly(tmp_path: Path, name: str) -> None:
    images, labels = random_batch(5)
    store = open_backend(name, tmp_path / "store")
    with pytest.raises(ValueError, match="expected id 0"):
        store.store_one(3, images[0], 1)
    store.store_many(images, labels)
    with pytest.raises(IndexError):
        store.read_one(5)
    with pytest.raises(IndexError):
        store.read_many(n=6)
    with pytest.raises(IndexError):
        store.read_many(ids=[0, 5])
    with pytest.raises(ValueError, match="either n or ids"):
        store.read_many(n=1, ids=[0])
    with pytest.raises(ValueError, match="uint8"):
        open_backend(name, tmp_path / "other").store_many(images.astype(np.float32), labels)
    with pytest.raises(StoreError, match=f"holds a {name} store"):
        other = "raw" if name != "raw" else "lmdb"
        open_backend(other, tmp_path / "store").read_many()


def test_registry_names_and_options() -> None:
    assert sorted(BACKENDS) == ["hdf5", "lmdb", "png", "raw"]
    assert backend_options("png") == ("compress_level", "workers")
    assert backend_options("raw") == ()
    assert backend_options("hdf5") == ("chunk_rows", "compression", "gzip_level")
    with pytest.raises(ValueError, match="unknown store 'zip'"):
        open_backend("zip", "x")
    with pytest.raises(ValueError, match="unknown encoding 'gif'"):
        open_backend("lmdb+gif", "x")
    with pytest.raises(ValueError, match="unknown option chunk_rows for png"):
        open_backend("png", "x", chunk_rows=4)
    with pytest.raises(ValueError, match="compress_level"):
        open_backend("png", "x", compress_level=12)
    with pytest.raises(ValueError, match="compression"):
        open_backend("hdf5", "x", compression="zstd")


@pytest.mark.parametrize(
    ("options", "compression", "chunks"),
    [
        ({}, None, None),
        ({"compression": "gzip", "gzip_level": 9}, "gzip", (21, 32, 32, 3)),
        ({"compression": "lzf"}, "lzf", (21, 32, 32, 3)),
        ({"chunk_rows": 7}, None, (7, 32, 32, 3)),
    ],
)
def test_hdf5_layouts_round_trip(
    tmp_path: Path, options: dict[str, Any], compression: str | None, chunks: Any
) -> None:
    import h5py

    images, labels = random_batch(30)
    images[:, :16] = 0  # something to compress
    with open_backend("hdf5", tmp_path / "store", **options) as store:
        store.store_many(images, labels)
        assert_same(store.read_many(ids=[29, 0, 13]), images[[29, 0, 13]], labels[[29, 0, 13]])
    with h5py.File(tmp_path / "store" / "data.h5") as handle:
        assert handle["images"].compression == compression
        assert handle["images"].chunks == chunks


def test_png_compress_level_changes_the_files(tmp_path: Path) -> None:
    images, labels = random_batch(20)
    images[:, ::2] = 128  # compressible
    sizes = {}
    for level in (0, 9):
        with open_backend("png", tmp_path / str(level), compress_level=level) as store:
            store.store_many(images, labels)
            assert_same(store.read_many(), images, labels)
            sizes[level] = sum(path.stat().st_size for path in store.files())
    assert sizes[0] > sizes[9] * 1.3


def test_lmdb_map_grows_instead_of_failing(tmp_path: Path) -> None:
    images, labels = random_batch(300)  # about 1.2 MiB of records into a 64 KiB map
    with open_backend("lmdb", tmp_path / "many", map_size=64 * 1024) as store:
        store.store_many(images, labels)
        assert_same(store.read_many(), images, labels)
    with open_backend("lmdb", tmp_path / "one", map_size=64 * 1024) as store:
        for i in range(60):
            store.store_one(i, images[i], int(labels[i]))
    assert_same(open_backend("lmdb", tmp_path / "one").read_many(), images[:60], labels[:60])


def test_lmdb_records_are_header_plus_raw_pixels_with_numeric_keys(tmp_path: Path) -> None:
    images, labels = random_batch(12, (5, 7, 3))
    with open_backend("lmdb", tmp_path / "store") as store:
        store.store_many(images, labels)
    env = lmdb.open(str(tmp_path / "store"), readonly=True, lock=False)
    with env.begin() as txn:
        keys, values = zip(*txn.cursor(), strict=True)
    env.close()
    assert list(keys) == [record_key(i) for i in range(12)] == sorted(keys)
    assert record_key(10) > record_key(9)  # numeric order as bytes
    magic, version, dtype, _, h, w, c, label = HEADER.unpack_from(values[10])
    assert (magic, version, dtype, h, w, c, label) == (MAGIC, 1, 1, 5, 7, 3, labels[10])
    assert values[10][HEADER.size :] == images[10].tobytes()
    assert b"\x80\x04" not in values[10][:2] and not values[10].startswith(b"\x80")  # no pickle
    assert struct.calcsize("<4sBBHIIIq") == HEADER.size == 28


@pytest.mark.parametrize("name", ["png", "hdf5", "raw"])
@pytest.mark.parametrize("durable", [True, False])
def test_durable_flag_decides_whether_files_are_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, durable: bool
) -> None:
    calls: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real_fsync(fd))[1])
    images, labels = random_batch(4)
    with open_backend(name, tmp_path / "many", durable=durable) as store:
        store.store_many(images, labels)
    many_calls = len(calls)
    with open_backend(name, tmp_path / "one", durable=durable) as store:
        for i in range(4):
            store.store_one(i, images[i], int(labels[i]))
    if durable:
        assert many_calls >= 2  # data and the folder entry, at least
        assert len(calls) - many_calls >= 4  # every store_one call syncs
    else:
        assert calls == []


@pytest.mark.parametrize("durable", [True, False])
def test_lmdb_follows_the_durable_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durable: bool
) -> None:
    opened: list[dict[str, Any]] = []
    real_open = lmdb.open
    monkeypatch.setattr(
        lmdb, "open", lambda path, **kw: (opened.append(kw), real_open(path, **kw))[1]
    )
    images, labels = random_batch(2)
    with open_backend("lmdb", tmp_path / "store", durable=durable) as store:
        store.store_many(images, labels)
    writer_flags = opened[0]
    assert writer_flags["sync"] is durable and writer_flags["metasync"] is durable


@pytest.mark.parametrize("name", list(BACKENDS))
def test_marker_is_written_last_and_not_counted_as_data(tmp_path: Path, name: str) -> None:
    images, labels = random_batch(3)
    with open_backend(name, tmp_path / "store") as store:
        store.store_many(images, labels)
        assert (tmp_path / "store" / MARKER_NAME).exists()
        assert all(path.name != MARKER_NAME for path in store.files())


def test_png_workers_also_work_when_fork_is_unsafe(tmp_path: Path) -> None:
    """A second thread makes fork unsafe: the workers then use forkserver/spawn and
    named shared memory, and must give the same bytes."""
    import threading

    from imgbench.core.backends import png_store

    release = threading.Event()
    waiter = threading.Thread(target=release.wait)
    waiter.start()
    try:
        assert not png_store._fork_is_safe()
        images, labels = random_batch(40)
        with open_backend("png", tmp_path / "store", workers=2) as store:
            store.store_many(images, labels)
            assert_same(store.read_many(), images, labels)
        varying = [images[i, : i % 7 + 1, : i % 5 + 2] for i in range(40)]
        with open_backend("png", tmp_path / "varying", workers=2) as store:
            store.store_many(varying, labels)
            got, got_labels = store.read_many()
            assert got_labels.tolist() == labels.tolist()
            assert [a.shape for a in got] == [a.shape for a in varying]
            assert all(np.array_equal(a, b) for a, b in zip(got, varying, strict=True))
    finally:
        release.set()
        waiter.join()
    assert png_store._fork_is_safe()


def test_png_decodes_each_image_once_per_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing is decoded twice inside a timed read (the first image sizes the result)."""
    from imgbench.core.backends import png_store

    images, labels = random_batch(7)
    with open_backend("png", tmp_path / "store") as store:
        store.store_many(images, labels)
    decoded: list[Path] = []
    real_decode = png_store._decode
    monkeypatch.setattr(
        png_store, "_decode", lambda path: (decoded.append(path), real_decode(path))[1]
    )
    with open_backend("png", tmp_path / "store") as store:
        assert_same(store.read_many(), images, labels)
    assert len(decoded) == 7
