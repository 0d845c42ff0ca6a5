"""Tests for the built-in synthetic data set: deterministic, prefix-stable, photo-like."""

from __future__ import annotations

import colorsys
import io

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from imgbench.core import synthetic
from imgbench.core.synthetic import CLASS_NAMES, GENERATOR_VERSION, make_synthetic

# Real CIFAR-10 train images average about 2,260 bytes as PNG with Pillow's defaults; pure
# noise is about 3,100 and flat colour a few hundred.
PNG_MIN, PNG_MAX = 1_900, 2_700


def _mean_png_bytes(images: npt.NDArray[np.uint8]) -> float:
    sizes = []
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image).save(
            buffer, format="PNG"
        )
        sizes.append(buffer.tell())
    return float(np.mean(sizes))


def _adjacent_difference(images: npt.NDArray[np.uint8]) -> float:
    """Mean absolute difference between horizontally adjacent pixels."""
    as_int = images.astype(np.int16)
    return float(np.abs(np.diff(as_int, axis=2)).mean())


@pytest.fixture(scope="module")
def two_thousand() -> npt.NDArray[np.uint8]:
    images: npt.NDArray[np.uint8] = make_synthetic(2_000, seed=11).images
    return images


# --- identity -----------------------------------------------------------------------------


def test_same_seed_gives_the_same_data() -> None:
    first, second = make_synthetic(600, seed=3), make_synthetic(600, seed=3)
    np.testing.assert_array_equal(first.images, second.images)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert first.sha256 == second.sha256


def test_different_seeds_give_different_data() -> None:
    first, second = make_synthetic(300, seed=0), make_synthetic(300, seed=1)
    assert first.sha256 != second.sha256
    assert np.mean(first.images == second.images) < 0.2
    assert np.mean(first.labels == second.labels) < 0.3


@pytest.mark.parametrize("count", [1, 255, 256, 257, 1_000])
def test_a_smaller_set_is_a_prefix_of_a_larger_one(count: int) -> None:
    large = make_synthetic(3_000, seed=5)
    small = make_synthetic(count, seed=5)
    np.testing.assert_array_equal(small.images, large.images[:count])
    np.testing.assert_array_equal(small.labels, large.labels[:count])


def test_the_number_of_threads_does_not_change_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synthetic, "_worker_count", lambda blocks: 1)
    alone = make_synthetic(1_500, seed=7)
    monkeypatch.setattr(synthetic, "_worker_count", lambda blocks: min(3, blocks))
    together = make_synthetic(1_500, seed=7)
    np.testing.assert_array_equal(alone.images, together.images)
    np.testing.assert_array_equal(alone.labels, together.labels)


def test_prefix_stability_holds_for_other_sizes_too() -> None:
    large = make_synthetic(40, seed=2, size=(64, 48), channels=1)
    small = make_synthetic(13, seed=2, size=(64, 48), channels=1)
    np.testing.assert_array_equal(small.images, large.images[:13])


# --- form ---------------------------------------------------------------------------------


def test_numpy_integer_arguments_are_fine_and_recorded_as_plain_ints() -> None:
    count, seed, side = np.int64(3), np.uint32(4), np.int16(8)
    data = make_synthetic(count, seed=seed, size=[side, 8])  # type: ignore[arg-type,unused-ignore]
    assert data.images.shape == (3, 8, 8, 3)
    assert type(data.details["seed"]) is int
    assert data.details["size"] == [8, 8]


def test_form_of_the_default_set() -> None:
    data = make_synthetic(1_000, seed=9)
    assert data.images.shape == (1_000, 32, 32, 3)
    assert data.images.dtype == np.uint8
    assert data.images.flags.c_contiguous
    assert data.labels.shape == (1_000,)
    assert data.labels.dtype == np.int64
    assert data.shape == (32, 32, 3)
    assert data.source == "synthetic"
    assert data.path is None
    assert data.class_names == CLASS_NAMES
    assert len(CLASS_NAMES) == len(set(CLASS_NAMES)) == 10
    assert data.details == {
        "seed": 9,
        "size": [32, 32],
        "channels": 3,
        "generator_version": GENERATOR_VERSION,
    }


def test_labels_are_the_ten_classes_all_present() -> None:
    labels = make_synthetic(1_000, seed=4).labels
    assert labels.min() >= 0
    assert labels.max() <= 9
    counts = np.bincount(labels, minlength=10)
    assert (counts > 50).all(), counts


@pytest.mark.parametrize(
    ("size", "channels"),
    [((64, 64), 3), ((256, 256), 3), ((32, 32), 1), ((24, 40), 3), ((1, 1), 3), ((7, 5), 1)],
)
def test_other_sizes_and_grey(size: tuple[int, int], channels: int) -> None:
    data = make_synthetic(6, seed=1, size=size, channels=channels)
    assert data.images.shape == (6, *size, channels)
    assert data.images.dtype == np.uint8
    assert data.images.flags.c_contiguous
    assert data.details["size"] == list(size)
    assert data.details["channels"] == channels


# --- looks like photos --------------------------------------------------------------------


def test_png_size_is_like_real_cifar_images(two_thousand: npt.NDArray[np.uint8]) -> None:
    mean = _mean_png_bytes(two_thousand)
    assert PNG_MIN <= mean <= PNG_MAX, f"mean PNG size {mean:.0f} bytes"


def test_neighbouring_pixels_are_alike_unlike_noise(two_thousand: npt.NDArray[np.uint8]) -> None:
    noise = np.random.default_rng(0).integers(0, 256, size=(200, 32, 32, 3), dtype=np.uint8)
    assert _adjacent_difference(noise) > 80  # about 85 for uniform noise
    assert _adjacent_difference(two_thousand) < 20


def test_images_are_not_flat_and_rarely_clipped(two_thousand: npt.NDArray[np.uint8]) -> None:
    per_image_spread = two_thousand.reshape(len(two_thousand), -1).std(axis=1)
    assert per_image_spread.min() > 10
    clipped = np.mean((two_thousand == 0) | (two_thousand == 255))
    assert clipped < 0.05


def test_the_class_shows_in_the_colour_at_the_centre() -> None:
    """Labels mean something: the object's hue (class k: k * 36 degrees) predicts the label."""
    data = make_synthetic(1_000, seed=8)
    centre = data.images[:, 14:18, 14:18].reshape(len(data), -1, 3).mean(axis=1) / 255.0
    hues = np.array([colorsys.rgb_to_hsv(*rgb)[0] for rgb in centre])
    predicted = np.round(hues * 10).astype(np.int64) % 10
    accuracy = np.mean(predicted == data.labels)
    assert accuracy > 0.6, accuracy  # chance is 0.1


@pytest.mark.parametrize(("size", "channels"), [((256, 256), 3), ((64, 64), 1)])
def test_larger_images_are_smooth_with_texture(size: tuple[int, int], channels: int) -> None:
    images = make_synthetic(4, seed=6, size=size, channels=channels).images
    assert _adjacent_difference(images) < 20
    assert images.reshape(4, -1).std(axis=1).min() > 10


def test_grey_images_show_the_object() -> None:
    """The background is kept well lighter or darker than the object, so shapes show."""
    images = make_synthetic(200, seed=3, channels=1).images[..., 0].astype(np.float64)
    centre = images[:, 13:19, 13:19].mean(axis=(1, 2))
    border = np.concatenate([images[:, :2].reshape(200, -1), images[:, -2:].reshape(200, -1)], 1)
    contrast = np.abs(centre - border.mean(axis=1))
    assert np.median(contrast) > 25


# --- arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, -5, 1.5, True])
def test_count_must_be_a_positive_integer(count: object) -> None:
    with pytest.raises(ValueError, match="count must be an integer of at least 1"):
        make_synthetic(count)  # type: ignore[arg-type,unused-ignore]


@pytest.mark.parametrize("seed", [-1, 2.0, None])
def test_seed_must_be_a_non_negative_integer(seed: object) -> None:
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        make_synthetic(1, seed=seed)  # type: ignore[arg-type,unused-ignore]


@pytest.mark.parametrize("size", [(0, 32), (32, -1), (32,), (32, 32, 3), (32.0, 32), 32, "ab"])
def test_size_must_be_two_positive_integers(size: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"size must be \(height, width\)"):
        make_synthetic(1, size=size)  # type: ignore[arg-type,unused-ignore]


@pytest.mark.parametrize("channels", [0, 2, 4, 3.0])
def test_channels_must_be_one_or_three(channels: object) -> None:
    with pytest.raises(ValueError, match=r"channels must be 1 \(grey\) or 3 \(RGB\)"):
        make_synthetic(1, channels=channels)  # type: ignore[arg-type,unused-ignore]
