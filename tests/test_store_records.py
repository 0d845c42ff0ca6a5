"""Encoded records in the classic containers: lmdb+, hdf5+ and files+ an encoding store and
read back what their encoding gives, and refuse damaged or unfinished stores cleanly."""

from __future__ import annotations

import os
import re
import struct
import tempfile
from pathlib import Path
from typing import Any

import h5py
import lmdb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from imgbench.core.backends import check_options, open_backend
from imgbench.core.backends.base import MARKER_NAME
from imgbench.core.backends.files_store import FilesBackend
from imgbench.core.backends.hdf5_records import Hdf5RecordsBackend
from imgbench.core.backends.lmdb_records import LmdbRecordsBackend
from imgbench.core.backends.lmdb_store import record_key
from imgbench.core.codecs import decode_record, get_codec
from imgbench.core.errors import StoreError
from imgbench.core.image_folder import load_image_folder

#: Every store under test: files+png is the classic png store, lmdb+raw and hdf5+raw the
#: classic lmdb and hdf5, so those take png3 and raw elsewhere.
STORES = [
    f"{container}+{encoding}"
    for container in ("lmdb", "hdf5", "files")
    for encoding in ("png", "jpeg90", "webp")
]
STORES = [name.replace("files+png", "files+png3") for name in STORES] + ["files+raw"]
CONTAINERS = ("lmdb", "hdf5", "files")
CLASSES = {"lmdb": LmdbRecordsBackend, "hdf5": Hdf5RecordsBackend, "files": FilesBackend}


def encoding_of(name: str) -> str:
    return name.partition("+")[2]


def photo(rng: np.random.Generator, shape: tuple[int, ...]) -> Any:
    """A smooth image with some noise: what lossy codecs are made for."""
    h, w, c = shape
    ramp = np.add.outer(np.arange(h) * 7, np.arange(w) * 5)[:, :, None] + np.arange(c) * 40
    return ((ramp + rng.integers(0, 12, shape)) % 256).astype(np.uint8)


def expected(name: str, image: Any) -> Any:
    """What a store of this encoding gives back for ``image``: itself when lossless,
    else the decode of its encoding."""
    codec = get_codec(encoding_of(name))
    return image if codec.lossless else decode_record(codec, codec.encode(image))


def channel_counts(name: str) -> list[int]:
    return [3] if "webp" in name else [1, 3]  # WebP holds no grey


def assert_images(got: Any, want: list[Any]) -> None:
    assert len(got) == len(want)
    for actual, image in zip(got, want, strict=True):
        assert actual.dtype == np.uint8
        np.testing.assert_array_equal(actual, image)


@pytest.mark.parametrize("name", STORES)
def test_fixed_shapes_round_trip_grey_and_colour(tmp_path: Path, name: str) -> None:
    rng = np.random.default_rng(0)
    for channels in channel_counts(name):
        images = np.stack([photo(rng, (16, 12, channels)) for _ in range(9)])
        labels = rng.integers(-(2**40), 2**40, len(images))
        want = [expected(name, image) for image in images]
        store = open_backend(name, tmp_path / f"c{channels}")
        store.store_many(images, labels)
        got, got_labels = store.read_many()
        assert isinstance(got, np.ndarray) and got.shape == (9, 16, 12, channels)
        assert_images(got, want)
        np.testing.assert_array_equal(got_labels, labels)
        first, _ = store.read_many(n=4)
        assert_images(first, want[:4])
        ids = [8, 0, 3, 3, 5]  # unsorted, with a repeat: order is kept
        some, some_labels = store.read_many(ids=ids)
        assert_images(some, [want[i] for i in ids])
        np.testing.assert_array_equal(some_labels, labels[ids])
        image, label = store.read_one(6)
        np.testing.assert_array_equal(image, want[6])
        assert label == labels[6]
        store.close()
        assert store.files() and all(path.is_file() for path in store.files())


@pytest.mark.parametrize("name", STORES)
def test_varying_shapes_come_back_as_a_list(tmp_path: Path, name: str) -> None:
    rng = np.random.default_rng(1)
    channels = channel_counts(name)[-1]
    images = [photo(rng, (8 + 3 * i, 20 - i, channels)) for i in range(6)]
    labels = np.arange(6) * 3
    store = open_backend(name, tmp_path / "store")
    store.store_many(images, labels)
    reader = open_backend(name, tmp_path / "store")
    got, got_labels = reader.read_many()
    assert isinstance(got, list)
    assert_images(got, [expected(name, image) for image in images])
    np.testing.assert_array_equal(got_labels, labels)
    some, _ = reader.read_many(ids=[4, 1])
    assert_images(some, [expected(name, images[i]) for i in (4, 1)])
    assert reader.read_one(5)[0].shape == images[5].shape
    reader.close()


@pytest.mark.parametrize("durable", [True, False])
@pytest.mark.parametrize("name", STORES)
def test_store_one_and_close_then_a_new_reader_reads_it(
    tmp_path: Path, name: str, durable: bool
) -> None:
    rng = np.random.default_rng(2)
    images = [photo(rng, (10, 10 + i % 3, 3)) for i in range(7)]
    with open_backend(name, tmp_path / "store", durable=durable, varying_shapes=True) as store:
        for i, image in enumerate(images):
            store.store_one(i, image, 100 + i)
    reader = open_backend(name, tmp_path / "store")
    got, labels = reader.read_many()
    assert_images(got, [expected(name, image) for image in images])
    assert labels.tolist() == [100 + i for i in range(7)]
    assert reader.read_one(3)[1] == 103
    reader.close()


@pytest.mark.parametrize("container", CONTAINERS)
def test_store_one_of_one_shape_reads_as_one_array(tmp_path: Path, container: str) -> None:
    name = f"{container}+jpeg90"
    images = np.stack([photo(np.random.default_rng(i), (12, 12, 3)) for i in range(5)])
    store = open_backend(name, tmp_path / "store")
    for i, image in enumerate(images):
        store.store_one(i, image, i)
    store.close()
    got, _ = store.read_many()
    assert isinstance(got, np.ndarray) and got.shape == (5, 12, 12, 3)
    assert_images(got, [expected(name, image) for image in images])


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two classes of real files, as Pillow writes them: JPEGs, a PNG and a grey PNG."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(3)
    for name in ("cats", "dogs"):
        (folder / name).mkdir()
    Image.fromarray(photo(rng, (20, 30, 3))).save(folder / "cats" / "a.jpg", quality=80)
    Image.fromarray(photo(rng, (17, 9, 3))).save(folder / "cats" / "B.JPEG")
    Image.fromarray(photo(rng, (12, 12, 3))).save(folder / "dogs" / "c.png")
    Image.fromarray(photo(rng, (8, 14, 1))[:, :, 0]).save(folder / "dogs" / "d.png")
    return folder


@pytest.mark.parametrize("container", CONTAINERS)
def test_original_encoding_decodes_what_the_folder_loader_loaded(
    tmp_path: Path, photo_folder: Path, container: str
) -> None:
    loaded = load_image_folder(photo_folder, workers=1)
    sources = [str(path) for path in loaded.files]
    name = f"{container}+original"
    store = open_backend(name, tmp_path / "store", source_files=sources)
    store.store_many(loaded.dataset.images, loaded.dataset.labels)
    reader = open_backend(name, tmp_path / "store", source_files=sources)
    got, labels = reader.read_many()
    assert_images(got, list(loaded.dataset.images))
    np.testing.assert_array_equal(labels, loaded.dataset.labels)
    np.testing.assert_array_equal(reader.read_one(1)[0], loaded.dataset.images[1])
    reader.close()
    if container == "files":  # each file keeps its source's own suffix, lower-cased
        suffixes = [path.suffix for path in reader.files() if path.name != "labels.csv"]
        assert suffixes == [Path(source).suffix.lower() for source in sources]


SMALL_IMAGES = st.lists(
    st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**31)), min_size=1, max_size=4
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=SMALL_IMAGES, container=st.sampled_from(CONTAINERS), grey=st.booleans())
def test_lossless_records_round_trip_any_small_image(
    sizes: list[tuple[int, int, int]], container: str, grey: bool
) -> None:
    encoding = "png" if grey else "webp"
    name = f"{container}+{encoding}".replace("files+png", "files+png3")
    images = [
        np.random.default_rng(seed).integers(0, 256, (h, w, 1 if grey else 3), dtype=np.uint8)
        for h, w, seed in sizes
    ]
    labels = np.array([seed - 2**30 for _, _, seed in sizes])
    with tempfile.TemporaryDirectory() as folder:
        store = open_backend(name, Path(folder) / "store")
        store.store_many(images, labels)
        got, got_labels = store.read_many()
        assert_images(got, images)
        np.testing.assert_array_equal(got_labels, labels)
        store.close()


@pytest.mark.parametrize("container", CONTAINERS)
def test_an_unsealed_store_is_refused(tmp_path: Path, container: str) -> None:
    images = np.zeros((3, 4, 4, 3), dtype=np.uint8)
    open_backend(f"{container}+jpeg90", tmp_path / "store").write_many(images, np.arange(3))
    with pytest.raises(StoreError, match="incomplete store"):
        open_backend(f"{container}+jpeg90", tmp_path / "store").read_one(0)


def stored(tmp_path: Path, name: str, count: int = 6) -> tuple[Path, Any]:
    rng = np.random.default_rng(4)
    images = np.stack([photo(rng, (10, 10, 3)) for _ in range(count)])
    open_backend(name, tmp_path / "store").store_many(images, np.arange(count))
    return tmp_path / "store", images


def assert_refused(name: str, location: Path, image_id: int = 2) -> None:
    """Both a fresh read_one and a fresh read_many fail with a one-line StoreError."""
    for read in ("one", "many"):
        store = open_backend(name, location)
        with pytest.raises(StoreError) as caught:
            if read == "one":
                store.read_one(image_id)
            else:
                store.read_many()
        assert "\n" not in str(caught.value)
        store.close()


def test_lmdb_record_layout_is_label_then_the_encoding(tmp_path: Path) -> None:
    location, images = stored(tmp_path, "lmdb+png")
    codec = get_codec("png")
    with lmdb.open(str(location), readonly=True, lock=False) as env, env.begin() as txn:
        value = txn.get(record_key(4))
    assert struct.unpack("<q", value[:8]) == (4,)
    assert value[8:] == codec.encode(images[4])


@pytest.mark.parametrize("damage", ["garbage", "short", "missing"])
def test_a_damaged_lmdb_record_is_a_store_error(tmp_path: Path, damage: str) -> None:
    location, _ = stored(tmp_path, "lmdb+jpeg90")
    with lmdb.open(str(location)) as env, env.begin(write=True) as txn:
        if damage == "garbage":
            txn.put(record_key(2), struct.pack("<q", 2) + b"not a jpeg")
        elif damage == "short":
            txn.put(record_key(2), b"\x01")
        else:
            txn.delete(record_key(2))
    assert_refused("lmdb+jpeg90", location)


def test_a_truncated_lmdb_file_is_refused_not_a_crash(tmp_path: Path) -> None:
    location, _ = stored(tmp_path, "lmdb+png", count=40)
    data = location / "data.mdb"
    os.truncate(data, data.stat().st_size // 2)
    assert_refused("lmdb+png", location)


def test_hdf5_record_layout_is_variable_length_bytes(tmp_path: Path) -> None:
    location, images = stored(tmp_path, "hdf5+webp")
    with h5py.File(location / "images.h5", "r") as handle:
        assert h5py.check_vlen_dtype(handle["records"].dtype) == np.uint8
        assert handle["records"][3].tobytes() == get_codec("webp").encode(images[3])
        assert handle["labels"][...].tolist() == list(range(6))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "fewer labels"])
def test_a_damaged_hdf5_store_is_a_store_error(tmp_path: Path, damage: str) -> None:
    location, _ = stored(tmp_path, "hdf5+png")
    path = location / "images.h5"
    if damage == "truncated":
        os.truncate(path, path.stat().st_size // 2)
    else:
        with h5py.File(path, "r+") as handle:
            if damage == "garbage":
                handle["records"][2] = np.frombuffer(b"not a png", dtype=np.uint8)
            else:
                del handle["labels"]
                handle["labels"] = np.arange(3)
    assert_refused("hdf5+png", location)


def test_files_layout_is_one_file_per_image_and_a_labels_csv(tmp_path: Path) -> None:
    location, images = stored(tmp_path, "files+jpeg90", count=3)
    names = sorted(path.name for path in location.iterdir())
    assert names == [
        "0000000000.jpg",
        "0000000001.jpg",
        "0000000002.jpg",
        MARKER_NAME,
        "labels.csv",
    ]
    assert (location / "labels.csv").read_text() == "id,label\n0,0\n1,1\n2,2\n"
    assert (location / "0000000001.jpg").read_bytes() == get_codec("jpeg90").encode(images[1])


@pytest.mark.parametrize("damage", ["truncated", "missing", "fewer labels"])
def test_a_damaged_file_store_is_a_store_error(tmp_path: Path, damage: str) -> None:
    location, _ = stored(tmp_path, "files+webp")
    record = location / "0000000002.webp"
    if damage == "truncated":
        os.truncate(record, record.stat().st_size // 2)
    elif damage == "missing":
        record.unlink()
    else:
        (location / "labels.csv").write_text("id,label\n0,0\n1,1\n")
    assert_refused("files+webp", location)


@pytest.mark.parametrize("container", CONTAINERS)
def test_a_failed_write_leaves_no_data_files(tmp_path: Path, container: str) -> None:
    """Grey images cannot be WebP: the write fails in one line and removes what it wrote."""
    images = np.zeros((3, 4, 4, 3), dtype=np.uint8)
    store = open_backend(f"{container}+webp", tmp_path / "store")
    with pytest.raises(StoreError, match="write failed: webp") as caught:
        store.store_many([*images, np.zeros((4, 4, 1), dtype=np.uint8)], np.arange(4))
    assert "\n" not in str(caught.value)
    assert store.files() == []
    assert not any(path.name != ".imgbench-write-test" for path in (tmp_path / "store").iterdir())


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("lmdb+png", {"map_size": -1}, "lmdb map_size must be a whole number of bytes"),
        ("lmdb+jpeg90", {"map_size": 2**50}, "from 1 to 64 TiB"),
        ("hdf5+png", {"chunk_rows": 8}, "unknown option chunk_rows for hdf5+png"),
        ("files+webp", {"workers": 2}, "unknown option workers for files+webp"),
    ],
)
def test_bad_options_are_refused_in_one_line(
    tmp_path: Path, name: str, options: dict[str, Any], message: str
) -> None:
    problems = check_options(name, options)
    assert len(problems) == 1 and message in problems[0] and "\n" not in problems[0]
    with pytest.raises(ValueError, match=re.escape(message)):
        open_backend(name, tmp_path / "store", **options)


def test_lmdb_map_size_is_checked_by_the_class_too_and_grows_when_short(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="map_size"):
        LmdbRecordsBackend(tmp_path / "bad", encoding="png", map_size=0)
    rng = np.random.default_rng(5)
    images = [photo(rng, (4, 4, 3)) for _ in range(30)] + [
        rng.integers(0, 256, (90, 90, 3), dtype=np.uint8) for _ in range(20)
    ]  # small records first size the map; the large ones outgrow it mid-batch
    store = open_backend("lmdb+png", tmp_path / "store", map_size=64 * 1024)
    store.store_many(images, np.arange(50))
    got, _ = store.read_many()
    assert_images(got, images)
    store.close()
