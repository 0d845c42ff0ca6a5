"""Tests for the Dataset type, its identity (sha256) and tiling."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from imgbench.core.dataset import (
    Dataset,
    dataset_sha256,
    file_kind,
    format_size,
    open_regular,
    tile,
)
from imgbench.core.errors import DataError
from imgbench.core.one_line import printable

CLASSES = ("a", "b", "c")


def _images(n: int, shape: tuple[int, int, int] = (4, 5, 3)) -> npt.NDArray[np.uint8]:
    """Images whose every pixel says which image it is in, so tiling mistakes show."""
    values = np.arange(n * int(np.prod(shape)), dtype=np.int64) * 7 + 3
    return (values % 256).astype(np.uint8).reshape(n, *shape)


def _dataset(n: int = 5, **details: object) -> Dataset:
    return Dataset(
        images=_images(n),
        labels=np.arange(n, dtype=np.int64) % len(CLASSES),
        class_names=CLASSES,
        source="synthetic",
        path=None,
        details=dict(details),
    )


# --- sha256 -------------------------------------------------------------------------------


def test_sha256_is_images_bytes_then_labels_as_little_endian_int64() -> None:
    data = _dataset()
    expected = hashlib.sha256(
        data.images.tobytes() + data.labels.astype("<i8").tobytes()
    ).hexdigest()
    assert dataset_sha256(data.images, data.labels) == expected
    assert data.sha256 == expected


def test_sha256_of_a_known_tiny_set() -> None:
    images = np.zeros((1, 1, 1, 3), dtype=np.uint8)
    labels = np.array([1], dtype=np.int64)
    expected = hashlib.sha256(b"\x00\x00\x00" + b"\x01" + b"\x00" * 7).hexdigest()
    assert dataset_sha256(images, labels) == expected


def test_sha256_does_not_depend_on_label_dtype_or_memory_layout() -> None:
    data = _dataset()
    fortran_images = np.asfortranarray(data.images)
    big_endian_labels = data.labels.astype(">i4")
    assert dataset_sha256(fortran_images, big_endian_labels) == data.sha256


def test_sha256_changes_with_one_pixel_or_one_label() -> None:
    data = _dataset()
    pixel = data.images.copy()
    pixel[2, 1, 1, 0] ^= 1
    label = data.labels.copy()
    label[4] = (label[4] + 1) % len(CLASSES)
    hashes = {
        data.sha256,
        dataset_sha256(pixel, data.labels),
        dataset_sha256(data.images, label),
    }
    assert len(hashes) == 3


def test_sha256_covers_bytes_not_shape() -> None:
    """As defined, the same bytes in another image shape hash the same; the results record
    the shape next to the hash."""
    data = _dataset(4)
    reshaped = data.images.reshape(4, 5, 4, 3)
    assert dataset_sha256(reshaped, data.labels) == data.sha256


# --- tile ---------------------------------------------------------------------------------


def test_tile_doubles_like_the_classic_study() -> None:
    data = _dataset(5, seed=7)
    doubled = tile(data, 10)
    assert len(doubled) == 10
    np.testing.assert_array_equal(doubled.images[:5], data.images)
    np.testing.assert_array_equal(doubled.images[5:], data.images)
    np.testing.assert_array_equal(doubled.labels, np.concatenate([data.labels, data.labels]))
    assert doubled.details == {"seed": 7, "tiled_from": 5}
    assert doubled.class_names == data.class_names
    assert doubled.source == data.source
    assert doubled.images.flags.c_contiguous


def test_tile_to_a_count_that_is_not_a_multiple_wraps_around() -> None:
    data = _dataset(5)
    tiled = tile(data, 12)
    index = np.array([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1])
    np.testing.assert_array_equal(tiled.images, data.images[index])
    np.testing.assert_array_equal(tiled.labels, data.labels[index])


def test_tile_cuts_to_a_prefix() -> None:
    data = _dataset(5)
    cut = tile(data, 3)
    np.testing.assert_array_equal(cut.images, data.images[:3])
    np.testing.assert_array_equal(cut.labels, data.labels[:3])
    assert cut.sha256 == dataset_sha256(data.images[:3], data.labels[:3])


def test_tile_to_the_same_count_returns_the_data_set_unchanged() -> None:
    data = _dataset(5)
    assert tile(data, 5) is data


def test_tiled_copy_does_not_share_memory_with_the_original() -> None:
    data = _dataset(5)
    doubled = tile(data, 10)
    assert not np.shares_memory(doubled.images, data.images)


@pytest.mark.parametrize("count", [0, -1])
def test_tile_refuses_a_count_below_one(count: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        tile(_dataset(), count)


# --- validation ---------------------------------------------------------------------------


def test_shape_and_len() -> None:
    data = _dataset(5)
    assert len(data) == 5
    assert data.shape == (4, 5, 3)


@pytest.mark.parametrize(
    "images",
    [
        np.zeros((2, 4, 4), dtype=np.uint8),  # no channel axis
        np.zeros((2, 4, 4, 3), dtype=np.float32),
        np.zeros((2, 4, 4, 3), dtype=np.uint16),
    ],
    ids=["3-d", "float32", "uint16"],
)
def test_images_must_be_4d_uint8(images: npt.NDArray[np.generic]) -> None:
    with pytest.raises(ValueError, match=r"\(N,H,W,C\) uint8"):
        Dataset(images, np.zeros(2, dtype=np.int64), CLASSES, "synthetic")  # type: ignore[arg-type,unused-ignore]


def test_images_must_be_c_contiguous() -> None:
    images = np.zeros((2, 4, 4, 3), dtype=np.uint8)[:, :, ::2]
    with pytest.raises(ValueError, match="C-contiguous"):
        Dataset(images, np.zeros(2, dtype=np.int64), CLASSES, "synthetic")


@pytest.mark.parametrize(
    "labels",
    [
        np.zeros(3, dtype=np.int64),  # one too many
        np.zeros((2, 1), dtype=np.int64),
        np.zeros(2, dtype=np.int32),
        np.zeros(2, dtype=np.float64),
    ],
    ids=["too-many", "2-d", "int32", "float64"],
)
def test_labels_must_be_one_int64_per_image(labels: npt.NDArray[np.generic]) -> None:
    images = np.zeros((2, 4, 4, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"labels must be \(2,\) int64"):
        Dataset(images, labels, CLASSES, "synthetic")  # type: ignore[arg-type,unused-ignore]


def test_data_set_is_frozen() -> None:
    data = _dataset()
    with pytest.raises(AttributeError):
        data.source = "cifar10"  # type: ignore[misc,unused-ignore]


def test_an_empty_data_set_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one image"):
        Dataset(np.zeros((0, 4, 4, 3), dtype=np.uint8), np.zeros(0, np.int64), CLASSES, "synthetic")


def test_pixels_cannot_change_under_a_cached_hash() -> None:
    dataset = Dataset(np.zeros((2, 4, 4, 3), np.uint8), np.zeros(2, np.int64), CLASSES, "synthetic")
    before = dataset.sha256
    with pytest.raises(ValueError, match="read-only"):
        dataset.images[0, 0, 0, 0] = 1
    with pytest.raises(ValueError, match="read-only"):
        dataset.labels[0] = 1
    assert dataset.sha256 == before


# -- helpers for hostile input ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("plain name.png", "plain name.png"),
        ("two\nlines.png", "two\\nlines.png"),
        ("cr\r\ttab", "cr\\r\\ttab"),
        ("ansi\x1b[2Jclear", "ansi\\x1b[2Jclear"),
        ("caf\udce9.png", "caf\\xe9.png"),  # os.fsdecode(b"caf\xe9.png")
        ("bidi\u202eevil", "bidi\\u202eevil"),
        ("line\u2028separator", "line\\u2028separator"),
        ("écoute 猫 🐱.png", "écoute 猫 🐱.png"),
    ],
)
def test_printable_escapes_what_would_break_a_one_line_message(name: str, shown: str) -> None:
    assert printable(name) == shown
    assert printable(name).isprintable()
    printable(name).encode("utf-8")


def test_printable_shortens_huge_names_without_escaping_all_of_them() -> None:
    shown = printable("\n" * 10_000_000, limit=40)
    assert len(shown) <= 40 and "..." in shown and shown.isprintable()
    assert printable("a" * 100 + "z", limit=21) == "aaaaaaaaa...aaaaaaaaz"


@pytest.mark.parametrize(
    ("size", "words"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1_000, "1.00 kB"),
        (3_072_000_000, "3.07 GB"),
        (20e9, "20.0 GB"),
        (512e9, "512 GB"),
        (2.2e12, "2.20 TB"),
    ],
)
def test_format_size_uses_decimal_units_and_three_digits(size: float, words: str) -> None:
    assert format_size(size) == words


@pytest.mark.skipif(sys.platform != "linux", reason="FIFOs and /dev/null")
def test_open_regular_reads_files_and_refuses_everything_else_unopened(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_bytes(b"data")
    with open_regular(file) as handle:
        assert handle.read() == b"data"
    os.mkfifo(tmp_path / "fifo")  # opening it for reading would block: it is never opened
    for path, kind in [
        (tmp_path / "fifo", "a FIFO (named pipe)"),
        (Path("/dev/null"), "a character device"),
        (tmp_path, "a folder"),
    ]:
        with pytest.raises(DataError, match="never read") as error:
            open_regular(path)
        assert str(error.value) == f"{path}: is {kind}, not a regular file: refused, never read"
    with pytest.raises(FileNotFoundError):
        open_regular(tmp_path / "missing")
    assert file_kind(stat.S_IFSOCK) == "a socket"
    assert file_kind(stat.S_IFBLK) == "a block device"
