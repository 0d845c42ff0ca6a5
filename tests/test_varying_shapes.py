"""Images of different sizes round-trip exactly through every backend, in every way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgbench.core.backends import BACKENDS, open_backend
from imgbench.core.backends.base import MARKER_NAME
from imgbench.core.images import ImageList, same_images

VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("png", {}),
    ("png", {"workers": 2}),
    ("lmdb", {}),
    ("hdf5", {}),
    ("hdf5", {"compression": "gzip"}),
    ("hdf5", {"chunk_rows": 3}),
    ("raw", {}),
]
IDS = [
    f"{name}{'-' + '-'.join(map(str, opts.values())) if opts else ''}" for name, opts in VARIANTS
]


def varying_images(count: int, seed: int = 0, channels: tuple[int, ...] = (3,)) -> list[Any]:
    rng = np.random.default_rng(seed)
    return [
        rng.integers(
            0,
            256,
            (int(rng.integers(1, 40)), int(rng.integers(1, 40)), int(rng.choice(channels))),
            dtype=np.uint8,
        )
        for _ in range(count)
    ]


def assert_images(got: Any, expected: list[Any]) -> None:
    assert isinstance(got, list), "a varying store reads back a list of arrays"
    assert [image.shape for image in got] == [image.shape for image in expected]
    assert all(image.dtype == np.uint8 for image in got)
    assert same_images(got, expected)


@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=IDS)
def test_store_many_of_a_list_reads_back_every_shape(
    tmp_path: Path, name: str, options: dict[str, Any]
) -> None:
    images = varying_images(40, seed=1, channels=(1, 3, 4))
    labels = np.arange(40, dtype=np.int64) * 7 - 100
    with open_backend(name, tmp_path / "store", **options) as store:
        store.store_many(images, labels)
    marker = json.loads((tmp_path / "store" / MARKER_NAME).read_text())
    assert marker["shapes"] == "varying"
    with open_backend(name, tmp_path / "store", **options) as store:
        got, got_labels = store.read_many()
        assert_images(got, images)
        np.testing.assert_array_equal(got_labels, labels)
        got, got_labels = store.read_many(n=9)
        assert_images(got, images[:9])
        ids = np.array([39, 0, 17, 17, 5])
        got, got_labels = store.read_many(ids=ids)
        assert_images(got, [images[i] for i in ids])
        np.testing.assert_array_equal(got_labels, labels[ids])
        image, label = store.read_one(23)
        np.testing.assert_array_equal(image, images[23])
        assert label == labels[23]
        got, got_labels = store.read_many(n=0)
        assert got == [] and len(got_labels) == 0


@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=IDS)
def test_store_one_with_varying_shapes_appends_each_shape(
    tmp_path: Path, name: str, options: dict[str, Any]
) -> None:
    images = varying_images(12, seed=2)
    with open_backend(name, tmp_path / "store", varying_shapes=True, **options) as store:
        for i, image in enumerate(images):
            store.store_one(i, image, i)
    with open_backend(name, tmp_path / "store", **options) as store:
        got, labels = store.read_many()
        assert_images(got, images)
        assert labels.tolist() == list(range(12))


@pytest.mark.parametrize("name", list(BACKENDS))
def test_store_one_without_varying_shapes_refuses_a_new_shape(tmp_path: Path, name: str) -> None:
    store = open_backend(name, tmp_path / "store")
    store.store_one(0, np.zeros((4, 4, 3), np.uint8), 0)
    with pytest.raises(ValueError, match="varying_shapes=True"):
        store.store_one(1, np.zeros((5, 4, 3), np.uint8), 0)
    store.close()


@pytest.mark.parametrize("name", list(BACKENDS))
def test_an_image_list_of_one_shape_still_uses_the_varying_layout(
    tmp_path: Path, name: str
) -> None:
    """The layout follows what was asked for, so a reader never guesses."""
    uniform = np.arange(2 * 3 * 4 * 3, dtype=np.uint8).reshape(2, 3, 4, 3)
    with open_backend(name, tmp_path / "a") as store:
        store.store_many(ImageList.from_arrays(uniform), np.zeros(2, np.int64))
        got, _ = store.read_many()
        assert isinstance(got, list) and same_images(got, list(uniform))
    with open_backend(name, tmp_path / "b", varying_shapes=True) as store:
        store.store_many(uniform, np.zeros(2, np.int64))
        got, _ = store.read_many()
        assert isinstance(got, list) and same_images(got, list(uniform))


def test_hdf5_varying_layout_is_flat_pixels_plus_shapes(tmp_path: Path) -> None:
    images = varying_images(5, seed=3)
    with open_backend("hdf5", tmp_path / "store") as store:
        store.store_many(images, np.zeros(5, np.int64))
    with h5py.File(tmp_path / "store" / "data.h5") as handle:
        assert handle["pixels"].shape == (sum(image.size for image in images),)
        assert handle["shapes"][...].tolist() == [list(image.shape) for image in images]


def test_png_parallel_read_refuses_a_file_whose_shape_differs_from_the_csv(
    tmp_path: Path,
) -> None:
    from imgbench.core.errors import StoreError

    images = varying_images(8, seed=4)
    with open_backend("png", tmp_path / "store", workers=2) as store:
        store.store_many(images, np.zeros(8, np.int64))
    csv = tmp_path / "store" / "labels.csv"
    rows = csv.read_text().splitlines()
    h, w = images[5].shape[:2]
    rows[6] = f"5,0,{h + 1},{w},3"
    csv.write_text("\n".join(rows) + "\n")
    with (
        open_backend("png", tmp_path / "store", workers=2) as store,
        pytest.raises(StoreError, match=r"0000000005\.png"),
    ):
        store.read_many()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(sorted(BACKENDS)),
    shapes=st.lists(
        st.tuples(st.integers(1, 24), st.integers(1, 24), st.sampled_from([1, 3, 4])),
        min_size=1,
        max_size=8,
    ),
    seed=st.integers(0, 2**16),
    one_at_a_time=st.booleans(),
)
def test_any_mix_of_shapes_round_trips_bit_exact(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    shapes: list[tuple[int, int, int]],
    seed: int,
    one_at_a_time: bool,
) -> None:
    rng = np.random.default_rng(seed)
    images = [rng.integers(0, 256, shape, dtype=np.uint8) for shape in shapes]
    labels = rng.integers(-(2**62), 2**62, len(images), dtype=np.int64)
    location = tmp_path_factory.mktemp(name) / "store"
    with open_backend(name, location, varying_shapes=True) as store:
        if one_at_a_time:
            for i, image in enumerate(images):
                store.store_one(i, image, int(labels[i]))
        else:
            store.store_many(ImageList.from_arrays(images), labels)
    with open_backend(name, location) as store:
        got, got_labels = store.read_many()
        assert_images(got, images)
        np.testing.assert_array_equal(got_labels, labels)
        ids = rng.integers(0, len(images), 5)
        got, got_labels = store.read_many(ids=ids)
        assert_images(got, [images[i] for i in ids])
        np.testing.assert_array_equal(got_labels, labels[ids])


def test_image_list_slices_are_views_and_id_lists_are_copies() -> None:
    images = ImageList.from_arrays(varying_images(6, seed=5))
    first = images[:3]
    assert np.shares_memory(first.data, images.data)
    assert len(first) == 3 and same_images(list(first), list(images)[:3])
    picked = images[np.array([4, 1])]
    assert not np.shares_memory(picked.data, images.data)
    assert same_images(list(picked), [images[4], images[1]])
    assert images.uniform_shape() is None
    assert images.pixel_count == sum(int(s[0] * s[1]) for s in images.shapes)
