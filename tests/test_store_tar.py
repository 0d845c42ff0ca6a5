"""The tar container: WebDataset shards plus an index, read back by imgbench, by tarfile
and by the webdataset package itself."""

from __future__ import annotations

import errno
import os
import re
import tarfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from imgbench.core.backends import check_options, open_backend
from imgbench.core.backends import tar_store as tar
from imgbench.core.backends.base import MARKER_NAME
from imgbench.core.backends.tar_store import TarBackend
from imgbench.core.codecs import get_codec
from imgbench.core.errors import StoreError
from imgbench.core.images import ImageList

#: Store names and the member extension of their records.
STORES = [("tar", "raw"), ("tar+png", "png"), ("tar+jpeg90", "jpg")]
SHAPES = [(16, 12, 3), (9, 7, 1)]


def random_batch(n: int, shape: tuple[int, ...] = (16, 12, 3), seed: int = 0) -> Any:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, *shape), dtype=np.uint8)
    labels = rng.integers(-(2**40), 2**40, n, dtype=np.int64)
    return images, labels


@pytest.fixture(params=["at once", "one by one"])
def write_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a chunk is written: headers built together (chunks of eight images or
    more), or one image at a time (store_one, and batches below 400, whose chunks are
    smaller)."""
    monkeypatch.setattr(tar, "FEW_IMAGES", 0 if request.param == "at once" else 2**62)
    return str(request.param)


def codec_of(name: str) -> Any:
    return get_codec(name.partition("+")[2] or "raw")


def expected_pixels(name: str, images: Any) -> Any:
    """What a store of ``name`` gives back: the images, or a lossy codec's own decode."""
    codec = codec_of(name)
    if codec.lossless:
        return images
    decoded = [codec.decode(codec.encode(image)) for image in images]
    return np.stack([d[:, :, np.newaxis] if d.ndim == 2 else d for d in decoded])


def shards(location: Path) -> list[Path]:
    return sorted(location.glob("shard-*.tar"))


def member_names(location: Path) -> list[str]:
    names = []
    for shard in shards(location):
        with tarfile.open(shard) as archive:
            names += archive.getnames()
    return names


@pytest.mark.parametrize("shape", SHAPES, ids=["colour", "grey"])
@pytest.mark.parametrize(("name", "extension"), STORES)
def test_store_many_round_trips_and_reads_by_id(
    tmp_path: Path, write_path: str, name: str, extension: str, shape: tuple[int, ...]
) -> None:
    images, labels = random_batch(30, shape)
    expected = expected_pixels(name, images)
    store = open_backend(name, tmp_path / "store", durable=False)
    store.store_many(images, labels)
    got, got_labels = store.read_many()
    assert isinstance(got, np.ndarray) and got.shape == (30, *shape)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got_labels, labels)
    ids = np.array([29, 3, 4, 5, 3, 0])  # unsorted, a run, a repeat
    got, got_labels = store.read_many(ids=ids)
    np.testing.assert_array_equal(got, expected[ids])
    np.testing.assert_array_equal(got_labels, labels[ids])
    image, label = store.read_one(17)
    np.testing.assert_array_equal(image, expected[17])
    assert label == labels[17]
    store.close()
    assert member_names(tmp_path / "store")[:4] == [
        f"000000000.{extension}",
        "000000000.cls",
        f"000000001.{extension}",
        "000000001.cls",
    ]


@pytest.mark.parametrize(("name", "extension"), STORES)
def test_store_one_appends_and_close_completes_the_store(
    tmp_path: Path, write_path: str, name: str, extension: str
) -> None:
    images, labels = random_batch(12, seed=1)
    with open_backend(name, tmp_path / "store", shard_bytes=10_000) as store:
        for i in range(len(images)):
            store.store_one(i, images[i], int(labels[i]))
    reader = open_backend(name, tmp_path / "store")
    got, got_labels = reader.read_many()
    np.testing.assert_array_equal(got, expected_pixels(name, images))
    np.testing.assert_array_equal(got_labels, labels)
    reader.close()
    assert len(shards(tmp_path / "store")) > 1


@pytest.mark.parametrize("one_at_a_time", [False, True])
@pytest.mark.parametrize("name", ["tar", "tar+png"])
def test_varying_shapes_come_back_as_a_list(
    tmp_path: Path, write_path: str, name: str, one_at_a_time: bool
) -> None:
    rng = np.random.default_rng(2)
    shapes = [(5, 7, 3), (12, 3, 1), (1, 1, 4), (20, 9, 3)]
    images = [rng.integers(0, 256, shape, dtype=np.uint8) for shape in shapes]
    labels = np.arange(len(images), dtype=np.int64) * 7
    location = tmp_path / "store"
    if one_at_a_time:
        with open_backend(name, location, varying_shapes=True) as store:
            for i, image in enumerate(images):
                store.store_one(i, image, int(labels[i]))
    else:
        open_backend(name, location).store_many(ImageList.from_arrays(images), labels)
    store = open_backend(name, location)
    got, got_labels = store.read_many()
    assert isinstance(got, list) and [g.shape for g in got] == shapes
    for actual, image in zip(got, images, strict=True):
        np.testing.assert_array_equal(actual, image)
    np.testing.assert_array_equal(got_labels, labels)
    got, _ = store.read_many(ids=[3, 1])
    np.testing.assert_array_equal(got[0], images[3])
    np.testing.assert_array_equal(store.read_one(2)[0], images[2])
    store.close()


def test_small_shards_are_each_a_plain_tar_archive_in_id_order(
    tmp_path: Path, write_path: str
) -> None:
    images, labels = random_batch(40)
    store = open_backend("tar", tmp_path / "store", shard_bytes=4 * 1024)
    store.store_many(images, labels)
    files = store.files()
    assert files == [*shards(tmp_path / "store"), tmp_path / "store" / tar.INDEX_FILE]
    assert len(files) > 5 and all(MARKER_NAME not in p.name for p in files)
    assert member_names(tmp_path / "store") == [
        f"{i:09d}.{extension}" for i in range(40) for extension in ("raw", "cls")
    ]
    with tarfile.open(shards(tmp_path / "store")[1]) as archive:
        member = archive.getmembers()[0]
        record = archive.extractfile(member).read()  # type: ignore[union-attr]
        assert member.isreg() and member.mode == 0o644
    first = int(member.name.split(".")[0])
    np.testing.assert_array_equal(get_codec("raw").decode(record), images[first])
    got, got_labels = store.read_many()
    np.testing.assert_array_equal(got, images)
    np.testing.assert_array_equal(got_labels, labels)
    store.close()


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    count=st.integers(1, 12),
    height=st.integers(1, 10),
    width=st.integers(1, 10),
    channels=st.sampled_from([1, 3, 4]),
    seed=st.integers(0, 2**16),
    shard_bytes=st.sampled_from([1, 3000, 10**8]),
    one_at_a_time=st.booleans(),
)
def test_round_trip_is_bit_exact_for_any_shape_label_and_shard_size(
    tmp_path_factory: pytest.TempPathFactory,
    write_path: str,
    count: int,
    height: int,
    width: int,
    channels: int,
    seed: int,
    shard_bytes: int,
    one_at_a_time: bool,
) -> None:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (count, height, width, channels), dtype=np.uint8)
    labels = rng.integers(-(2**62), 2**62, count, dtype=np.int64)
    location = tmp_path_factory.mktemp("tar") / "store"
    with open_backend("tar", location, shard_bytes=shard_bytes) as store:
        if one_at_a_time:
            for i in range(count):
                store.store_one(i, images[i], int(labels[i]))
        else:
            store.store_many(images, labels)
    with open_backend("tar", location) as store:
        got, got_labels = store.read_many()
        np.testing.assert_array_equal(got, images)
        np.testing.assert_array_equal(got_labels, labels)
        ids = rng.integers(0, count, 5)
        np.testing.assert_array_equal(store.read_many(ids=ids)[0], images[ids])


@pytest.mark.parametrize(("name", "extension"), STORES)
def test_webdataset_reads_the_shards_as_they_are(
    tmp_path: Path, write_path: str, name: str, extension: str
) -> None:
    webdataset = pytest.importorskip("webdataset")
    images, labels = random_batch(25, seed=3)
    location = tmp_path / "store"
    open_backend(name, location, shard_bytes=20_000).store_many(images, labels)
    assert len(shards(location)) > 1
    codec = codec_of(name)
    expected = expected_pixels(name, images)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # webdataset leaves shards open
        urls = [str(path) for path in shards(location)]
        samples = list(webdataset.WebDataset(urls, shardshuffle=False, empty_check=False))
    assert [sample["__key__"] for sample in samples] == [f"{i:09d}" for i in range(25)]
    for i, sample in enumerate(samples):
        assert set(sample) - {"__key__", "__url__", "__local_path__"} == {extension, "cls"}
        assert int(sample["cls"]) == labels[i]
        decoded = codec.decode(sample[extension])
        np.testing.assert_array_equal(decoded.reshape(expected[i].shape), expected[i])


def test_original_keeps_each_files_bytes_under_its_own_suffix(tmp_path: Path) -> None:
    images, labels = random_batch(3, (6, 5, 3), seed=4)
    paths = [tmp_path / "a.PNG", tmp_path / "b.png", tmp_path / "no-suffix"]
    for path, image in zip(paths, images, strict=True):
        Image.fromarray(image).save(path, format="PNG")
    location = tmp_path / "store"
    store = open_backend("tar+original", location, source_files=paths)
    store.store_many(images, labels)
    np.testing.assert_array_equal(store.read_many()[0], images)
    store.close()
    assert member_names(location)[::2] == ["000000000.png", "000000001.png", "000000002.img"]
    with tarfile.open(shards(location)[0]) as archive:
        stored = archive.extractfile("000000002.img").read()  # type: ignore[union-attr]
    assert stored == paths[2].read_bytes()


def test_source_extension_never_breaks_a_sample() -> None:
    assert tar.source_extension("x/photo.JPEG") == b"jpeg"
    for odd in ["x/label.cls", "x/a.tar.gz.", "x/no-suffix", "x/é.jpé", "x/a.b-c"]:
        assert tar.source_extension(odd) == b"img", odd


def test_headers_are_byte_for_byte_what_tarfile_writes() -> None:
    ids = range(999_999_998, 1_000_000_002)  # nine digits and ten
    names = [b"%09d.webp" % i for i in ids]
    sizes = np.array([0, 1, 3088, tar.MAX_MEMBER_BYTES], dtype=np.int64)
    built = tar.headers(1_700_000_000, tar.numbered_names(ids, b"webp"), sizes)
    for row, name, size in zip(built, names, sizes.tolist(), strict=True):
        info = tarfile.TarInfo(name.decode())
        info.size, info.mtime = size, 1_700_000_000
        expected = info.tobuf(tarfile.USTAR_FORMAT)
        assert row.tobytes() == expected
        assert tar.one_header(1_700_000_000, name, size) == expected
    np.testing.assert_array_equal(
        tar.numbered_names(range(5, 7), b"raw"),
        tar.name_fields([b"000000005.raw", b"000000006.raw"]),
    )


def test_an_incomplete_store_is_refused(tmp_path: Path) -> None:
    images, labels = random_batch(3)
    writer = open_backend("tar", tmp_path / "store")
    for i in range(3):
        writer.store_one(i, images[i], int(labels[i]))
    with pytest.raises(StoreError, match="incomplete store"):
        open_backend("tar", tmp_path / "store").read_many()
    writer.finish()  # data and index written, never sealed: still no marker
    with pytest.raises(StoreError, match="incomplete store"):
        open_backend("tar", tmp_path / "store").read_one(0)


def complete_store(location: Path, n: int = 10) -> Any:
    images, labels = random_batch(n)
    open_backend("tar", location, shard_bytes=8_000).store_many(images, labels)
    return images


def test_a_truncated_shard_is_refused_when_opened(tmp_path: Path) -> None:
    complete_store(tmp_path / "store")
    shard = shards(tmp_path / "store")[1]
    os.truncate(shard, 1000)
    with pytest.raises(StoreError, match=f"read failed: {shard.name} ends before image"):
        open_backend("tar", tmp_path / "store").read_one(0)


def test_a_shard_truncated_under_an_open_reader_fails_the_read(tmp_path: Path) -> None:
    images = complete_store(tmp_path / "store")
    store = open_backend("tar", tmp_path / "store").open_reader()
    os.truncate(shards(tmp_path / "store")[-1], 600)
    np.testing.assert_array_equal(store.read_one(0)[0], images[0])
    with pytest.raises(StoreError, match="ends inside image 9"):
        store.read_one(9)
    first_cut = "shard-000002.tar ends inside image 8's record"
    with pytest.raises(StoreError, match=re.escape(first_cut)):
        store.read_many()
    store.close()


@pytest.mark.parametrize("damage", ["missing shard", "missing index", "garbled index"])
def test_missing_or_garbled_files_give_a_store_error(tmp_path: Path, damage: str) -> None:
    complete_store(tmp_path / "store")
    index = tmp_path / "store" / tar.INDEX_FILE
    if damage == "missing shard":
        shards(tmp_path / "store")[0].unlink()
    elif damage == "missing index":
        index.unlink()
    else:
        index.write_bytes(index.read_bytes()[:100])
    with pytest.raises(StoreError, match="read failed"):
        open_backend("tar", tmp_path / "store").read_many()


def test_a_failed_write_leaves_no_shard_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_path: str
) -> None:
    images, labels = random_batch(40)
    calls = {"n": 0}

    def until_full(write: Any) -> Any:
        def fail_third(descriptor: int, data: Any) -> int:
            calls["n"] += 1
            if calls["n"] > 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written: int = write(descriptor, data)
            return written

        return fail_third

    monkeypatch.setattr(os, "writev", until_full(os.writev))
    monkeypatch.setattr(os, "write", until_full(os.write))
    store = open_backend("tar", tmp_path / "store", shard_bytes=4 * 1024)
    with pytest.raises(StoreError, match="No space left on device; the partial store was"):
        store.write_many(images, labels)
    assert list((tmp_path / "store").iterdir()) == []


@pytest.mark.parametrize("durable", [True, False])
def test_durable_syncs_every_shard_the_index_and_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durable: bool
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        synced.append(os.path.basename(os.readlink(f"/proc/self/fd/{descriptor}")))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    images, labels = random_batch(12)
    location = tmp_path / "many"
    open_backend("tar", location, durable=durable, shard_bytes=8_000).store_many(images, labels)
    if not durable:
        assert synced == []
        return
    names = {path.name for path in shards(location)} | {tar.INDEX_FILE, "many"}
    assert names <= set(synced)
    synced.clear()
    with open_backend("tar", tmp_path / "one", durable=True) as store:
        for i in range(4):
            store.store_one(i, images[i], int(labels[i]))
            assert synced.count("shard-000000.tar") == i + 1  # each call is durable


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "big", None])
def test_bad_shard_bytes_are_refused_in_one_line(tmp_path: Path, bad: Any) -> None:
    shown = {0: "0", -5: "-5", 2.5: "2.5", True: "True", "big": "'big'", None: "None"}[bad]
    line = f"tar shard_bytes must be a whole number of bytes of at least 1, not {shown}"
    assert check_options("tar+png", {"shard_bytes": bad}) == [line]
    assert TarBackend.check_options({"shard_bytes": bad}) == [line]
    with pytest.raises(ValueError, match=f"^{re.escape(line)}$"):
        open_backend("tar", tmp_path / "store", shard_bytes=bad)
    with pytest.raises(ValueError, match=f"^{re.escape(line)}$"):
        TarBackend(tmp_path / "store", shard_bytes=bad)
    assert check_options("tar", {"shard_bytes": 1}) == check_options("tar", {}) == []
