"""Encodings (imgbench.core.codecs): round trips, reference decodes, names, configs."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import PIL.features
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from imgbench.core.codecs import (
    CODEC_IDS,
    Codec,
    OriginalCodec,
    codec_from_config,
    get_codec,
    max_abs_error,
    psnr,
)
from imgbench.core.image_folder import load_image_folder

#: Lossless codecs and the channel counts each holds (0 = grey (H, W)).
LOSSLESS = {
    "raw": (0, 1, 3, 4),
    "png": (0, 3, 4),
    "png0": (0, 3, 4),
    "png9": (0, 3, 4),
    "webp": (3, 4),
}
LOSSY = {"jpeg": (0, 3), "jpeg1": (0, 3), "jpeg90": (0, 3), "webp80": (3, 4), "webp1": (3,)}
ACCEPTED_NAMES = (
    ["raw", "original", "png", "jpeg", "webp"]
    + [f"png{n}" for n in range(10)]
    + [f"jpeg{n}" for n in range(1, 101)]
    + [f"webp{n}" for n in range(1, 101)]
)
BAD_NAMES = [
    "", "PNG", "jpg", "png10", "png06", "png-1", " png", "png ", "jpeg0", "jpeg101",
    "jpeg075", "webp0", "webp101", "raw1", "original2", "png+raw", "lmdb+png", "webp1.5",
]  # fmt: skip


@st.composite
def images(draw: st.DrawFn, channels: tuple[int, ...]) -> np.ndarray:
    """Random pixels, 1..48 x 1..48, with one of the given channel counts (0 = (H, W))."""
    height = draw(st.integers(1, 48))
    width = draw(st.integers(1, 48))
    count = draw(st.sampled_from(channels))
    shape = (height, width) if count == 0 else (height, width, count)
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def smooth(height: int = 48, width: int = 64, channels: int = 3) -> np.ndarray:
    """A photo-like image (gradients and a slow wave): what lossy codecs are made for."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    planes = [
        128 + 60 * np.sin(x / 9 + c) + 50 * np.cos(y / 7 - c) + 10 * (x - y) / width
        for c in range(max(channels, 1))
    ]
    image = np.clip(np.stack(planes, axis=-1), 0, 255).astype(np.uint8)
    return image[:, :, 0] if channels == 0 else image


def one_line(error: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(error.value)
    assert message and "\n" not in message
    return message


# -- lossless: bit-exact against the source -------------------------------------------------


@pytest.mark.parametrize("name", sorted(LOSSLESS))
def test_lossless_round_trip_is_bit_exact(name: str) -> None:
    codec = get_codec(name)
    assert codec.lossless

    @settings(max_examples=40, deadline=None)
    @given(images(LOSSLESS[name]))
    def check(image: np.ndarray) -> None:
        decoded = codec.decode(codec.encode(image))
        assert decoded.dtype == np.uint8
        assert decoded.shape == image.shape
        assert np.array_equal(decoded, image)

    check()


def test_png_keeps_rgba_colour_under_transparent_alpha_and_webp_too() -> None:
    image = np.random.default_rng(1).integers(0, 256, size=(9, 7, 4), dtype=np.uint8)
    image[..., 3] = 0  # invisible pixels whose colour a lazy encoder would drop
    for name in ("png", "webp"):
        codec = get_codec(name)
        assert np.array_equal(codec.decode(codec.encode(image)), image), name


def test_one_channel_images_come_back_grey_from_pillow_codecs() -> None:
    image = np.random.default_rng(2).integers(0, 256, size=(5, 6, 1), dtype=np.uint8)
    codec = get_codec("png")
    assert np.array_equal(codec.decode(codec.encode(image)), image[:, :, 0])


def test_png_levels_change_the_bytes_not_the_pixels() -> None:
    image = smooth()
    sizes = {level: len(get_codec(f"png{level}").encode(image)) for level in (0, 9)}
    assert sizes[0] > sizes[9]
    assert get_codec("png").get_config()["level"] == 6


# -- lossy: reference decode, shape, quality ------------------------------------------------


@pytest.mark.parametrize("name", sorted(LOSSY))
def test_lossy_decode_keeps_the_layout_and_is_repeatable(name: str) -> None:
    codec = get_codec(name)
    assert not codec.lossless

    @settings(max_examples=25, deadline=None)
    @given(images(LOSSY[name]))
    def check(image: np.ndarray) -> None:
        data = codec.encode(image)
        reference = codec.decode(data)
        assert reference.dtype == np.uint8
        assert reference.shape == image.shape
        assert np.array_equal(codec.decode(bytes(data)), reference)

    check()


@pytest.mark.parametrize(
    ("name", "channels"),
    [("jpeg", 3), ("jpeg", 0), ("jpeg90", 3), ("jpeg100", 3), ("webp80", 3), ("webp", 3)],
)
def test_quality_on_smooth_images(name: str, channels: int) -> None:
    codec = get_codec(name)
    image = smooth(channels=channels)
    decoded = codec.decode(codec.encode(image))
    value = psnr(image, decoded)
    if codec.lossless:
        assert value == math.inf
        assert max_abs_error(image, decoded) == 0
    else:
        assert 20 < value < math.inf
        assert 0 < max_abs_error(image, decoded) < 256


def test_higher_jpeg_quality_is_closer_and_bigger() -> None:
    image = smooth()
    low, high = get_codec("jpeg10"), get_codec("jpeg95")
    low_data, high_data = low.encode(image), high.encode(image)
    assert len(low_data) < len(high_data)
    assert psnr(image, low.decode(low_data)) < psnr(image, high.decode(high_data))


def test_psnr_and_max_abs_error() -> None:
    image = smooth()
    assert psnr(image, image.copy()) == math.inf
    assert max_abs_error(image, image) == 0
    off = image.copy()
    off[image < 255] += 1
    off[image == 255] -= 1  # every value off by exactly one: MSE 1
    assert psnr(image, off) == pytest.approx(20 * math.log10(255))
    worst = image.copy()
    worst[0, 0, 0] = 255 - worst[0, 0, 0]
    assert max_abs_error(image, worst) == abs(255 - 2 * int(image[0, 0, 0]))
    assert max_abs_error(np.zeros((2, 2), np.uint8), np.full((2, 2), 200, np.uint8)) == 200
    assert max_abs_error(np.full((2, 2), 200, np.uint8), np.zeros((2, 2), np.uint8)) == 200
    with pytest.raises(ValueError, match="shapes differ"):
        psnr(image, image[:, :, 0])


# -- names and configs -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ACCEPTED_NAMES)
def test_every_accepted_name_parses_and_its_config_round_trips(name: str) -> None:
    codec = get_codec(name)
    assert isinstance(codec, Codec)
    assert codec.codec_id == name.rstrip("0123456789") or name == "original"
    config = codec.get_config()
    assert config["id"] == codec.codec_id
    again = codec_from_config(json.loads(json.dumps(config)))  # JSON-safe, and back
    assert again.get_config() == config
    assert again == codec and type(again) is type(codec)
    assert get_codec(codec.name) == codec  # the canonical name means the same codec


def test_default_settings_and_canonical_names() -> None:
    assert get_codec("jpeg").get_config() == {"id": "jpeg", "quality": 75}
    assert get_codec("jpeg75").name == "jpeg"
    assert get_codec("png6").name == "png"
    assert get_codec("webp").get_config() == {"id": "webp", "lossless": True, "quality": None}
    assert get_codec("webp80").get_config() == {"id": "webp", "lossless": False, "quality": 80}
    assert get_codec("raw").get_config() == {"id": "raw"}
    assert CODEC_IDS == ("raw", "png", "jpeg", "webp", "original")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_names_are_refused_in_one_line(name: str) -> None:
    with pytest.raises(ValueError) as error:
        get_codec(name)
    message = one_line(error)
    assert repr(name) in message
    assert "png0..png9" in message and "jpeg1..jpeg100" in message and "original" in message


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"id": "gif"}, "unknown codec id"),
        ({}, "unknown codec id"),
        ({"id": "png", "level": 10}, "level must be an integer from 0 to 9"),
        ({"id": "png", "level": True}, "level must be"),
        ({"id": "png", "levle": 3}, "unknown settings"),
        ({"id": "jpeg", "quality": 0}, "quality must be"),
        ({"id": "jpeg", "quality": 90.0}, "quality must be"),
        ({"id": "webp", "lossless": True, "quality": 80}, "contradicts"),
        ({"id": "webp", "lossless": False, "quality": None}, "contradicts"),
        ({"id": "raw", "level": 1}, "unknown settings"),
        ({"id": "original", "resize": [0, 4]}, "resize must be"),
        ({"id": "original", "keep_grey": "yes"}, "keep_grey must be"),
    ],
)
def test_bad_configs_are_refused_in_one_line(config: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError) as error:
        codec_from_config(config)
    assert words in one_line(error)


def test_webp_without_pillow_support_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(PIL.features, "check", lambda feature: feature != "webp")
    for make in (lambda: get_codec("webp"), lambda: get_codec("webp80")):
        with pytest.raises(ValueError) as error:
            make()
        assert "built without WebP" in one_line(error)
    assert get_codec("png").name == "png"


# -- what is refused -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((4, 4), dtype=np.float64),
        np.zeros((4, 4), dtype=np.uint16),
        np.zeros((4, 4, 2), dtype=np.uint8),
        np.zeros((2, 4, 4, 3), dtype=np.uint8),
        np.zeros((4,), dtype=np.uint8),
        np.zeros((0, 4, 3), dtype=np.uint8),
        [[1, 2], [3, 4]],
    ],
    ids=["float", "uint16", "two-channels", "4d", "1d", "empty", "list"],
)
@pytest.mark.parametrize("name", ["raw", "png", "jpeg", "webp", "webp80"])
def test_unusable_images_are_refused_in_one_line(name: str, image: object) -> None:
    with pytest.raises(ValueError) as error:
        get_codec(name).encode(image)  # type: ignore[arg-type]
    assert "expected a" in one_line(error)


@pytest.mark.parametrize(
    ("name", "shape", "words"),
    [("jpeg", (4, 4, 4), "not RGBA"), ("webp", (4, 4), "not grey"), ("webp80", (4, 4, 1), "grey")],
)
def test_layouts_a_format_cannot_hold_are_refused(
    name: str, shape: tuple[int, ...], words: str
) -> None:
    with pytest.raises(ValueError) as error:
        get_codec(name).encode(np.zeros(shape, dtype=np.uint8))
    assert words in one_line(error)


@pytest.mark.parametrize(
    ("cut", "words"),
    [
        (lambda d: d[:-1], "truncated: 87 bytes, expected 88"),
        (lambda d: d + b"\0", "padded: 89 bytes, expected 88"),
        (lambda d: d[:8], "truncated inside its header"),
        (lambda d: d[:2], "truncated: no header"),
        (lambda d: b"", "truncated: no header"),
        (lambda d: (5).to_bytes(4, "little") + d[4:], "5 dimensions"),
    ],
    ids=["one-short", "one-over", "half-header", "no-header", "empty", "bad-ndim"],
)
def test_raw_refuses_truncated_or_padded_records(cut: object, words: str) -> None:
    codec = get_codec("raw")
    data = codec.encode(np.zeros((4, 6, 3), dtype=np.uint8))  # 16-byte header + 72
    assert len(data) == 88
    with pytest.raises(ValueError) as error:
        codec.decode(cut(data))  # type: ignore[operator]
    assert words in one_line(error)


@pytest.mark.parametrize("name", ["png", "jpeg", "webp", "webp80", "original"])
def test_bytes_of_another_kind_are_refused_in_one_line(name: str) -> None:
    other = get_codec("raw").encode(np.zeros((4, 4, 3), dtype=np.uint8))
    if name != "original":  # original reads any of the folder loader's formats
        foreign = get_codec("jpeg" if name.startswith("png") else "png")
        other = foreign.encode(np.zeros((4, 4, 3), dtype=np.uint8))
    for data in (other, b"", b"\x89PNG\r\n\x1a\n truncated"):
        with pytest.raises(ValueError) as error:
            get_codec(name).decode(data)
        assert "cannot decode" in one_line(error)


# -- original: a folder's file bytes decode to what the folder loader gives ------------------


def save(path: Path, image: Image.Image, **options: object) -> None:
    image.save(path, **options)


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("own-images")
    rng = np.random.default_rng(3)
    colour = smooth(23, 31)
    save(folder / "a-colour.png", Image.fromarray(colour))
    save(folder / "b-colour.jpg", Image.fromarray(colour), quality=80)
    save(folder / "c-grey.png", Image.fromarray(smooth(17, 12, channels=0)))
    save(folder / "d-grey.jpg", Image.fromarray(smooth(20, 26, channels=0)))
    rgba = rng.integers(0, 256, size=(11, 13, 4), dtype=np.uint8)
    save(folder / "e-rgba.png", Image.fromarray(rgba))
    wide = rng.integers(0, 65536, size=(9, 10), dtype=np.uint16)
    save(folder / "f-grey16.png", Image.fromarray(wide))
    rotated = Image.fromarray(smooth(16, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to view": loaded as 40 x 16
    save(folder / "g-exif.jpg", rotated, exif=exif.tobytes())
    save(folder / "h-palette.png", Image.fromarray(colour).convert("P"))
    return folder


@pytest.mark.parametrize(
    ("keep_grey", "resize"), [(False, None), (True, None), (False, (20, 14)), (True, (9, 30))]
)
def test_original_decodes_to_what_the_folder_loader_gives(
    image_folder: Path, keep_grey: bool, resize: tuple[int, int] | None
) -> None:
    load = load_image_folder(image_folder, keep_grey=keep_grey, resize=resize, workers=1)
    assert len(load.files) == 8 and not load.skipped
    codec = codec_from_config({"id": "original", "keep_grey": keep_grey, "resize": resize})
    assert codec.lossless
    shapes = set()
    for index, path in enumerate(load.files):
        data = path.read_bytes()
        assert codec.encode_file(data) == data  # type: ignore[attr-defined]
        decoded = codec.decode(data)
        expected = np.asarray(load.dataset.images[index])
        assert decoded.dtype == np.uint8
        assert decoded.shape == expected.shape, path.name
        assert np.array_equal(decoded, expected), path.name
        shapes.add(decoded.shape)
    if resize is None:
        assert (40, 16, 3) in shapes  # EXIF orientation applied, as the loader does
        assert ((17, 12, 1) in shapes) is keep_grey


def test_original_cannot_encode_pixels_and_keeps_its_settings() -> None:
    codec = OriginalCodec(keep_grey=True, resize=(8, 6))
    with pytest.raises(TypeError, match="encode_file"):
        codec.encode(np.zeros((4, 4, 3), dtype=np.uint8))
    config = codec.get_config()
    assert config == {"id": "original", "keep_grey": True, "resize": [8, 6]}
    assert codec_from_config(json.loads(json.dumps(config))) == codec
    assert get_codec("original").get_config() == {
        "id": "original",
        "keep_grey": False,
        "resize": None,
    }


def test_original_bytes_are_a_real_image_file() -> None:
    buffer = io.BytesIO()
    Image.fromarray(smooth()).save(buffer, format="PNG")
    assert np.array_equal(get_codec("original").decode(buffer.getvalue()), smooth())
