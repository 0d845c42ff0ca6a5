"""The zarr container: sharded zarr v3 arrays, read back exactly (or as their codec decodes)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgbench.core.backends import check_options, open_backend, zarr_store
from imgbench.core.backends.base import MARKER_NAME
from imgbench.core.codecs import get_codec
from imgbench.core.errors import StoreError
from imgbench.core.images import ImageList

NAMES = ["zarr", "zarr+png", "zarr+jpeg90"]


def batch(n: int, shape: tuple[int, ...], seed: int = 0) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, *shape), dtype=np.uint8)
    return images, rng.integers(-(2**40), 2**40, n, dtype=np.int64)


def expected(name: str, images: Any) -> list[Any]:
    """What the store gives back: each image through its codec, (H, W, C)."""
    codec = get_codec(name.partition("+")[2] or "raw")
    return [codec.decode(codec.encode(image)).reshape(image.shape) for image in images]


def open_group(location: Path) -> zarr.Group:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # variable-length bytes have no v3 spec yet
        return zarr.open_group(location, mode="r")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(6, 5, 3), (7, 4, 1)], ids=["colour", "grey"])
def test_fixed_shapes_round_trip_across_shards(
    tmp_path: Path, name: str, shape: tuple[int, ...]
) -> None:
    images, labels = batch(11, shape)
    want = np.stack(expected(name, images))
    store = open_backend(name, tmp_path / "s", shard_images=4)
    store.store_many(images, labels)
    reader = open_backend(name, tmp_path / "s", shard_images=4)
    got, got_labels = reader.read_many()
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_labels, labels)
    assert isinstance(got, np.ndarray) and got.shape == (11, *shape)
    first, first_labels = reader.read_many(n=5)
    np.testing.assert_array_equal(first, want[:5])
    np.testing.assert_array_equal(first_labels, labels[:5])
    ids = np.array([10, 0, 5, 5, 3, 9])  # across shards, unsorted, a repeat: order kept
    picked, picked_labels = reader.read_many(ids=ids)
    np.testing.assert_array_equal(picked, want[ids])
    np.testing.assert_array_equal(picked_labels, labels[ids])
    for image_id in (3, 4, 10, 0):
        image, label = reader.read_one(image_id)
        np.testing.assert_array_equal(image, want[image_id])
        assert label == labels[image_id]
    reader.close()
    files = reader.files()
    assert files and all(path.is_file() for path in files)
    assert tmp_path / "s" / MARKER_NAME not in files


def test_raw_images_are_one_sharded_array_that_zarr_reads(tmp_path: Path) -> None:
    images, labels = batch(10, (4, 3, 3))
    open_backend("zarr", tmp_path / "s", shard_images=4).store_many(images, labels)
    group = open_group(tmp_path / "s")
    array = group[zarr_store.IMAGES]
    assert isinstance(array, zarr.Array)
    assert array.chunks == (4, 4, 3, 3) and array.shards == (4, 4, 3, 3)
    assert array.compressors == ()
    np.testing.assert_array_equal(array[...], images)
    np.testing.assert_array_equal(group[zarr_store.LABELS][...], labels)  # type: ignore[index]
    shard_files = [p for p in (tmp_path / "s" / "images").rglob("*") if p.is_file()]
    assert len(shard_files) == 3 + 1  # three shards and the array's zarr.json


def test_encoded_images_are_a_sharded_array_of_records(tmp_path: Path) -> None:
    images, labels = batch(5, (4, 3, 3))
    open_backend("zarr+png", tmp_path / "s", shard_images=2).store_many(images, labels)
    records = open_group(tmp_path / "s")[zarr_store.RECORDS]
    assert isinstance(records, zarr.Array)
    assert records.shape == (5,) and records.chunks == (1,) and records.shards == (2,)
    assert records[0:5].tolist() == [get_codec("png").encode(image) for image in images]


@pytest.mark.parametrize("name", NAMES)
def test_varying_shapes_come_back_as_a_list(tmp_path: Path, name: str) -> None:
    rng = np.random.default_rng(3)
    shapes = [(5, 4, 3), (9, 2, 3), (3, 3, 1), (8, 8, 3), (1, 1, 1)]
    images = [rng.integers(0, 256, shape, dtype=np.uint8) for shape in shapes]
    images[4][...] = 0  # its raw record ends in a NUL byte, which must survive
    labels = np.arange(len(images), dtype=np.int64) * 7
    want = expected(name, images)
    with open_backend(name, tmp_path / "s", shard_images=2) as store:
        store.store_many(ImageList.from_arrays(images), labels)
    reader = open_backend(name, tmp_path / "s")
    got, got_labels = reader.read_many()
    assert isinstance(got, list) and len(got) == len(images)
    for image, wanted in zip(got, want, strict=True):
        np.testing.assert_array_equal(image, wanted)
    np.testing.assert_array_equal(got_labels, labels)
    picked, _ = reader.read_many(ids=[4, 1, 1, 0])
    for image, image_id in zip(picked, [4, 1, 1, 0], strict=True):
        np.testing.assert_array_equal(image, want[image_id])
    for image_id in (3, 4):
        np.testing.assert_array_equal(reader.read_one(image_id)[0], want[image_id])
    reader.close()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("varying", [False, True])
def test_store_one_then_close_is_read_back(tmp_path: Path, name: str, varying: bool) -> None:
    images, labels = batch(9, (4, 6, 3), seed=2)
    with open_backend(name, tmp_path / "s", varying_shapes=varying, shard_images=4) as store:
        for image_id, image in enumerate(images):
            store.store_one(image_id, image, int(labels[image_id]))
    reader = open_backend(name, tmp_path / "s")
    got, got_labels = reader.read_many()
    want = expected(name, images)
    assert isinstance(got, list) == varying
    for image, wanted in zip(got, want, strict=True):
        np.testing.assert_array_equal(image, wanted)
    np.testing.assert_array_equal(got_labels, labels)
    np.testing.assert_array_equal(reader.read_one(8)[0], want[8])
    reader.close()


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(["zarr", "zarr+png"]),
    count=st.integers(1, 7),
    height=st.integers(1, 9),
    width=st.integers(1, 9),
    channels=st.sampled_from([1, 3]),
    shard=st.integers(1, 4),
    seed=st.integers(0, 2**16),
    one_at_a_time=st.booleans(),
)
def test_round_trip_is_exact_for_any_small_batch(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    count: int,
    height: int,
    width: int,
    channels: int,
    shard: int,
    seed: int,
    one_at_a_time: bool,
) -> None:
    images, labels = batch(count, (height, width, channels), seed)
    location = tmp_path_factory.mktemp("zarr") / "s"
    with open_backend(name, location, durable=False, shard_images=shard) as store:
        if one_at_a_time:
            for image_id, image in enumerate(images):
                store.store_one(image_id, image, int(labels[image_id]))
        else:
            store.store_many(images, labels)
    reader = open_backend(name, location)
    got, got_labels = reader.read_many()
    np.testing.assert_array_equal(got, images)
    np.testing.assert_array_equal(got_labels, labels)
    ids = np.random.default_rng(seed).integers(0, count, 5)
    np.testing.assert_array_equal(reader.read_many(ids=ids)[0], images[ids])
    reader.close()


@pytest.mark.parametrize("name", ["zarr", "zarr+png"])
def test_empty_ids_read_nothing(tmp_path: Path, name: str) -> None:
    images, labels = batch(3, (2, 2, 3))
    store = open_backend(name, tmp_path / "s")
    store.store_many(images, labels)
    got, got_labels = store.read_many(ids=[])
    assert len(got) == 0 and len(got_labels) == 0


def test_a_store_without_its_marker_is_refused(tmp_path: Path) -> None:
    images, labels = batch(3, (2, 2, 3))
    store = open_backend("zarr", tmp_path / "s")
    store.write_many(images, labels)  # no seal: no completion marker
    with pytest.raises(StoreError, match="incomplete store"):
        open_backend("zarr", tmp_path / "s").read_many()


def shard_file(location: Path, array: str, index: int) -> Path:
    folder = location / array / "c" / str(index)
    return folder if folder.is_file() else folder / "0" / "0" / "0"


@pytest.mark.parametrize("name", ["zarr", "zarr+png"])
@pytest.mark.parametrize("damage", ["lost shard", "truncated shard", "lost labels", "count"])
def test_a_damaged_store_is_a_store_error(tmp_path: Path, name: str, damage: str) -> None:
    images, labels = batch(10, (6, 5, 3))
    location = tmp_path / "s"
    open_backend(name, location, shard_images=4).store_many(images, labels)
    array = zarr_store.IMAGES if name == "zarr" else zarr_store.RECORDS
    shard = shard_file(location, array, 1)
    if damage == "lost shard":
        shard.unlink()
    elif damage == "truncated shard":
        shard.write_bytes(shard.read_bytes()[:-10])
    elif damage == "lost labels":
        (location / zarr_store.LABELS / "c" / "0").unlink()
    else:  # the marker promises more images than the arrays hold
        marker = location / MARKER_NAME
        marker.write_text(marker.read_text().replace('"count": 10', '"count": 11'))
    with pytest.raises(StoreError, match="read failed"):
        open_backend(name, location).read_many()


def test_a_damaged_png_record_is_a_store_error(tmp_path: Path) -> None:
    images, labels = batch(4, (6, 5, 3))
    open_backend("zarr+png", tmp_path / "s", shard_images=4).store_many(images, labels)
    shard = shard_file(tmp_path / "s", zarr_store.RECORDS, 0)
    data = shard.read_bytes()
    start = data.index(b"IDAT")  # inside the first PNG record
    shard.write_bytes(data[:start] + b"\xff" * 16 + data[start + 16 :])
    with pytest.raises(StoreError, match="read failed"):
        open_backend("zarr+png", tmp_path / "s").read_one(0)


@pytest.mark.parametrize("shard", [0, -3, 2.5, True, "9", 10**7])
def test_bad_shard_images_are_refused_in_one_line(tmp_path: Path, shard: Any) -> None:
    found = check_options("zarr+png", {"shard_images": shard})
    assert len(found) == 1 and "shard_images" in found[0] and "\n" not in found[0]
    with pytest.raises(ValueError, match="shard_images") as raised:
        open_backend("zarr", tmp_path / "s", shard_images=shard)
    assert "\n" not in str(raised.value)
    assert check_options("zarr", {"shard_images": 500}) == []
    assert "unknown option" in check_options("zarr", {"row_group_rows": 5})[0]


@pytest.mark.parametrize("durable", [True, False])
def test_durable_writes_sync_every_file_and_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durable: bool
) -> None:
    synced: list[str] = []
    real_fsync, real_open = os.fsync, os.open
    opened: dict[int, str] = {}

    def spy_open(path: Any, *args: Any, **kwargs: Any) -> int:
        descriptor = real_open(path, *args, **kwargs)
        opened[descriptor] = os.fspath(path)
        return descriptor

    def spy_fsync(descriptor: int) -> None:
        synced.append(opened.get(descriptor, "?"))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr(os, "fsync", spy_fsync)
    images, labels = batch(5, (3, 3, 3))
    store = open_backend("zarr", tmp_path / "s", durable=durable, shard_images=2)
    store.prepare()
    store.write_many(images, labels)
    if not durable:
        assert synced == []
        return
    everything = {str(p) for p in (tmp_path / "s").rglob("*")} | {str(tmp_path / "s")}
    assert everything <= set(synced)


def test_a_failed_write_leaves_no_data_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = zarr_store._Writer._write

    def fail_after_first(self: Any, count: int) -> None:
        if self.written:
            raise OSError(28, "No space left on device")
        real(self, count)

    monkeypatch.setattr(zarr_store._Writer, "_write", fail_after_first)
    images, labels = batch(10, (3, 3, 3))
    store = open_backend("zarr+png", tmp_path / "s", shard_images=4)
    with pytest.raises(StoreError, match="No space left"):
        store.store_many(images, labels)
    assert store.files() == []
