"""The parquet container: one row per image, read back exactly (or as its codec decodes)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgbench.core.backends import check_options, open_backend, parquet_store
from imgbench.core.backends.base import MARKER_NAME
from imgbench.core.codecs import get_codec
from imgbench.core.errors import StoreError
from imgbench.core.images import ImageList

NAMES = ["parquet", "parquet+png", "parquet+jpeg90"]


def batch(n: int, shape: tuple[int, ...], seed: int = 0) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, *shape), dtype=np.uint8)
    return images, rng.integers(-(2**40), 2**40, n, dtype=np.int64)


def expected(name: str, images: Any) -> list[Any]:
    """What the store gives back: each image through its codec, (H, W, C)."""
    codec = get_codec(name.partition("+")[2] or "raw")
    return [codec.decode(codec.encode(image)).reshape(image.shape) for image in images]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(6, 5, 3), (7, 4, 1)], ids=["colour", "grey"])
def test_fixed_shapes_round_trip_across_row_groups(
    tmp_path: Path, name: str, shape: tuple[int, ...]
) -> None:
    images, labels = batch(11, shape)
    want = np.stack(expected(name, images))
    store = open_backend(name, tmp_path / "s", row_group_rows=4)
    store.store_many(images, labels)
    reader = open_backend(name, tmp_path / "s", row_group_rows=4)
    got, got_labels = reader.read_many()
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_labels, labels)
    assert isinstance(got, np.ndarray) and got.shape == (11, *shape)
    first, first_labels = reader.read_many(n=5)
    np.testing.assert_array_equal(first, want[:5])
    np.testing.assert_array_equal(first_labels, labels[:5])
    ids = np.array([10, 0, 5, 5, 3, 9])  # across groups, unsorted, a repeat: order kept
    picked, picked_labels = reader.read_many(ids=ids)
    np.testing.assert_array_equal(picked, want[ids])
    np.testing.assert_array_equal(picked_labels, labels[ids])
    for image_id in (3, 4, 4, 10, 0):
        image, label = reader.read_one(image_id)
        np.testing.assert_array_equal(image, want[image_id])
        assert label == labels[image_id]
    reader.close()
    assert reader.files() == [tmp_path / "s" / parquet_store.IMAGES_FILE]
    assert pq.ParquetFile(reader.files()[0]).metadata.num_row_groups == 3


@pytest.mark.parametrize("name", NAMES)
def test_varying_shapes_come_back_as_a_list(tmp_path: Path, name: str) -> None:
    rng = np.random.default_rng(3)
    shapes = [(5, 4, 3), (9, 2, 3), (3, 3, 1), (8, 8, 3), (1, 1, 1)]
    images = [rng.integers(0, 256, shape, dtype=np.uint8) for shape in shapes]
    labels = np.arange(len(images), dtype=np.int64) * 7
    want = expected(name, images)
    with open_backend(name, tmp_path / "s", row_group_rows=2) as store:
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
    np.testing.assert_array_equal(reader.read_one(3)[0], want[3])
    reader.close()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("varying", [False, True])
def test_store_one_then_close_is_read_back(tmp_path: Path, name: str, varying: bool) -> None:
    images, labels = batch(9, (4, 6, 3), seed=2)
    with open_backend(name, tmp_path / "s", varying_shapes=varying, row_group_rows=4) as store:
        for image_id, image in enumerate(images):
            store.store_one(image_id, image, int(labels[image_id]))
    reader = open_backend(name, tmp_path / "s")
    got, got_labels = reader.read_many()
    want = expected(name, images)
    assert isinstance(got, list) == varying
    for image, wanted in zip(got, want, strict=True):
        np.testing.assert_array_equal(image, wanted)
    np.testing.assert_array_equal(got_labels, labels)
    assert pq.ParquetFile(reader.files()[0]).metadata.num_row_groups == 3
    reader.close()


def test_raw_rows_are_the_raw_codecs_records_and_the_columns_hold_label_and_shape(
    tmp_path: Path,
) -> None:
    images, labels = batch(7, (3, 5, 4))
    open_backend("parquet", tmp_path / "s", row_group_rows=3).store_many(images, labels)
    table = pq.read_table(tmp_path / "s" / parquet_store.IMAGES_FILE)
    codec = get_codec("raw")
    assert table.column("image").to_pylist() == [codec.encode(image) for image in images]
    assert table.column("label").to_pylist() == labels.tolist()
    assert table.column("height").to_pylist() == [3] * 7
    assert (table.column("width").to_pylist(), table.column("channels").to_pylist()) == (
        [5] * 7,
        [4] * 7,
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(["parquet", "parquet+png"]),
    count=st.integers(1, 7),
    height=st.integers(1, 9),
    width=st.integers(1, 9),
    channels=st.sampled_from([1, 3]),
    rows=st.integers(1, 4),
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
    rows: int,
    seed: int,
    one_at_a_time: bool,
) -> None:
    images, labels = batch(count, (height, width, channels), seed)
    location = tmp_path_factory.mktemp("parquet") / "s"
    with open_backend(name, location, durable=False, row_group_rows=rows) as store:
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


def test_empty_ids_read_nothing(tmp_path: Path) -> None:
    images, labels = batch(3, (2, 2, 3))
    store = open_backend("parquet", tmp_path / "s")
    store.store_many(images, labels)
    got, got_labels = store.read_many(ids=[])
    assert len(got) == 0 and len(got_labels) == 0


def test_a_store_without_its_marker_is_refused(tmp_path: Path) -> None:
    images, labels = batch(3, (2, 2, 3))
    store = open_backend("parquet", tmp_path / "s")
    store.write_many(images, labels)  # no seal: no completion marker
    with pytest.raises(StoreError, match="incomplete store"):
        open_backend("parquet", tmp_path / "s").read_many()


@pytest.mark.parametrize("damage", ["truncated", "footer", "zeroed", "count"])
def test_a_damaged_store_is_a_store_error(tmp_path: Path, damage: str) -> None:
    images, labels = batch(40, (6, 5, 3))
    open_backend("parquet", tmp_path / "s", row_group_rows=16).store_many(images, labels)
    path = tmp_path / "s" / parquet_store.IMAGES_FILE
    data = bytearray(path.read_bytes())
    third = len(data) // 3
    if damage == "truncated":
        del data[len(data) // 2 :]
    elif damage == "footer":
        data[-8:] = bytes(8)
    elif damage == "zeroed":
        data[third : 2 * third] = bytes(third)
    else:  # the marker promises more images than the file holds
        marker = tmp_path / "s" / MARKER_NAME
        marker.write_text(marker.read_text().replace('"count": 40', '"count": 41'))
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="read failed"):
        open_backend("parquet", tmp_path / "s").read_many()


def test_a_damaged_png_record_is_a_store_error(tmp_path: Path) -> None:
    images, labels = batch(4, (6, 5, 3))
    open_backend("parquet+png", tmp_path / "s").store_many(images, labels)
    path = tmp_path / "s" / parquet_store.IMAGES_FILE
    data = path.read_bytes()
    start = data.index(b"IDAT")  # inside the first PNG record
    path.write_bytes(data[:start] + b"\xff" * 16 + data[start + 16 :])
    with pytest.raises(StoreError, match="read failed"):
        open_backend("parquet+png", tmp_path / "s").read_one(0)


@pytest.mark.parametrize("rows", [0, -3, 2.5, True, "9", 2**40])
def test_bad_row_group_rows_are_refused_in_one_line(tmp_path: Path, rows: Any) -> None:
    found = check_options("parquet+png", {"row_group_rows": rows})
    assert len(found) == 1 and "row_group_rows" in found[0] and "\n" not in found[0]
    with pytest.raises(ValueError, match="row_group_rows") as raised:
        open_backend("parquet", tmp_path / "s", row_group_rows=rows)
    assert "\n" not in str(raised.value)
    assert check_options("parquet", {"row_group_rows": 500}) == []
    assert "unknown option" in check_options("parquet", {"shard_images": 5})[0]


@pytest.mark.parametrize("durable", [True, False])
def test_durable_writes_sync_the_file_and_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durable: bool
) -> None:
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    images, labels = batch(5, (3, 3, 3))
    store = open_backend("parquet", tmp_path / "s", durable=durable)
    store.prepare()
    store.write_many(images, labels)
    assert len(synced) >= 2 if durable else synced == []


def test_a_failed_write_leaves_no_data_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    real = parquet_store._Writer.write_group

    def fail_second(self: Any, *args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError(28, "No space left on device")
        real(self, *args)

    monkeypatch.setattr(parquet_store._Writer, "write_group", fail_second)
    images, labels = batch(10, (3, 3, 3))
    store = open_backend("parquet", tmp_path / "s", row_group_rows=4)
    with pytest.raises(StoreError, match="No space left"):
        store.store_many(images, labels)
    assert store.files() == [] and list((tmp_path / "s").iterdir()) == []
