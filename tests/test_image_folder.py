"""A folder of the user's own images: scanning, decoding rules, errors, parallel loading."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from imgbench.core import decode_workers, image_folder
from imgbench.core.errors import DataError
from imgbench.core.image_folder import (
    check_image_folder,
    load_image_folder,
    scan_image_folder,
)
from imgbench.core.images import ImageList

RNG = np.random.default_rng(7)


def pixels(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    shape = (height, width, channels) if channels > 1 else (height, width)
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def save(path: Path, image: Image.Image | np.ndarray, **options: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    image.save(path, **options)
    return path


def rgb(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))


def images_of(batch: np.ndarray | ImageList) -> list[np.ndarray]:
    return list(batch)


@pytest.fixture
def no_extra_threads() -> Iterator[None]:
    before = threading.active_count()
    yield
    assert threading.active_count() == before
    assert multiprocessing.active_children() == []


# -- layout -------------------------------------------------------------------------------


def test_a_folder_without_class_folders_is_one_class_named_after_it(tmp_path: Path) -> None:
    folder = tmp_path / "holiday"
    for name in ("b.png", "a.png", "c.PNG"):
        save(folder / name, pixels(4, 5, seed=len(name)))
    (folder / "notes.txt").write_text("not an image")

    scan = scan_image_folder(folder)
    assert [file.name for file in scan.files] == ["a.png", "b.png", "c.PNG"]
    assert scan.labels == (0, 0, 0)
    assert scan.class_names == ("holiday",)
    assert not scan.class_folders
    assert [tuple(item) for item in scan.skipped] == [("notes.txt", "not an image file (.txt)")]

    loaded = load_image_folder(folder)
    assert loaded.dataset.labels.tolist() == [0, 0, 0]
    assert loaded.dataset.labels.dtype == np.int64
    assert loaded.dataset.source == "folder"
    assert loaded.dataset.path == str(folder)
    assert loaded.files == scan.files


def test_class_folders_are_sorted_searched_recursively_and_loose_files_skipped(
    tmp_path: Path,
) -> None:
    save(tmp_path / "zebra" / "1.png", pixels(3, 3, seed=1))
    save(tmp_path / "ant" / "deep" / "er" / "2.png", pixels(3, 3, seed=2))
    save(tmp_path / "ant" / "1.png", pixels(3, 3, seed=3))
    save(tmp_path / "ant" / "z.png", pixels(3, 3, seed=4))
    save(tmp_path / "loose.png", pixels(3, 3, seed=5))
    (tmp_path / "empty").mkdir()
    (tmp_path / "zebra" / "README").write_text("x")

    scan = scan_image_folder(tmp_path)
    assert scan.class_folders
    assert scan.class_names == ("ant", "zebra")
    relative = [file.relative_to(tmp_path).as_posix() for file in scan.files]
    assert relative == ["ant/1.png", "ant/deep/er/2.png", "ant/z.png", "zebra/1.png"]
    assert scan.labels == (0, 0, 0, 1)
    assert scan.class_counts() == (3, 1)
    assert scan.skipped == (
        ("empty/", "no images in it, so not a class"),
        ("loose.png", "outside any class folder"),
        ("zebra/README", "not an image file (no suffix)"),
    )

    loaded = load_image_folder(tmp_path)
    assert loaded.dataset.labels.tolist() == [0, 0, 0, 1]
    assert loaded.dataset.class_names == ("ant", "zebra")
    np.testing.assert_array_equal(loaded.dataset.images[1], pixels(3, 3, seed=2))


def test_hidden_entries_are_skipped_and_links_followed_without_looping(tmp_path: Path) -> None:
    save(tmp_path / "cats" / "a.png", pixels(2, 2))
    save(tmp_path / ".thumbnails" / "t.png", pixels(2, 2))
    save(tmp_path / "cats" / ".cache" / "c.png", pixels(2, 2))
    (tmp_path / "cats" / ".DS_Store").write_bytes(b"\0")
    (tmp_path / "cats" / "loop").symlink_to(tmp_path / "cats", target_is_directory=True)
    (tmp_path / "dogs").symlink_to(tmp_path / "cats", target_is_directory=True)
    (tmp_path / "cats" / "gone.png").symlink_to(tmp_path / "missing.png")

    scan = scan_image_folder(tmp_path)
    # "dogs" is "cats" by another name: each real folder is taken once, by its first name.
    assert scan.class_names == ("cats",)
    assert [file.relative_to(tmp_path).as_posix() for file in scan.files] == ["cats/a.png"]
    reasons = dict(scan.skipped)
    assert reasons[".thumbnails/"] == "hidden"
    assert reasons["cats/.DS_Store"] == "hidden"
    assert reasons["cats/.cache/"] == "hidden"
    assert reasons["cats/loop/"] == "link back to a folder above it, not followed"
    assert reasons["cats/gone.png"] == "broken link (its target does not exist)"
    assert reasons["dogs/"] == "same folder as cats/, already included"


def test_a_sub_folder_that_cannot_be_listed_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(tmp_path / "a" / "1.png", pixels(2, 2))
    save(tmp_path / "b" / "1.png", pixels(2, 2))
    real_scandir = os.scandir

    def scandir(path: object) -> object:
        if Path(str(path)) == tmp_path / "b":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    scan = scan_image_folder(tmp_path)
    assert scan.class_names == ("a",)
    assert dict(scan.skipped) == {"b/": "cannot be listed: Permission denied"}


# -- bad input ----------------------------------------------------------------------------


def test_a_missing_path_or_a_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist; expected a folder of images"):
        load_image_folder(tmp_path / "nowhere")
    file = save(tmp_path / "one.png", pixels(2, 2))
    with pytest.raises(DataError, match="is not a folder"):
        scan_image_folder(file)


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no images \(PNG, JPEG, WebP, BMP, TIFF\)") as error:
        load_image_folder(tmp_path)
    assert str(tmp_path) in str(error.value)
    assert "no other files either" in str(error.value)


def test_a_folder_of_other_files_is_refused_with_their_count(tmp_path: Path) -> None:
    for name in ("a.txt", "b.csv", "c.gif"):
        (tmp_path / name).write_text("-")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.pdf").write_text("-")
    listed = "found 4 other files: a.txt, b.csv, c.gif, sub/d.pdf"
    with pytest.raises(DataError, match=re.escape(listed)):
        scan_image_folder(tmp_path)


def test_a_folder_of_unreadable_images_is_refused_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"")
    (tmp_path / "b.png").write_bytes(b"this is text")
    with pytest.raises(DataError, match="none of the 2 image files could be read") as error:
        load_image_folder(tmp_path)
    message = str(error.value)
    assert "a.jpg: empty file (0 bytes)" in message
    assert "b.png: not a PNG, JPEG, WebP, BMP or TIFF image" in message


def test_bad_files_among_good_ones_are_skipped_with_their_reasons(tmp_path: Path) -> None:
    good = [pixels(6, 7, seed=i) for i in range(3)]
    for i, image in enumerate(good):
        save(tmp_path / f"{i}.png", image)
    whole = save(tmp_path / "photo.jpg", pixels(64, 64), quality=90).read_bytes()
    (tmp_path / "photo.jpg").write_bytes(whole[: len(whole) // 2])  # truncated
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "fake.png").write_bytes(b"GIF89a not really")
    (tmp_path / "readme.md").write_text("-")

    loaded = load_image_folder(tmp_path)
    assert len(loaded.dataset) == 3
    for got, expected in zip(loaded.dataset.images, good, strict=True):
        np.testing.assert_array_equal(got, expected)
    reasons = dict(loaded.skipped)
    assert reasons["readme.md"] == "not an image file (.md)"
    assert reasons["empty.jpg"] == "empty file (0 bytes)"
    assert reasons["fake.png"] == "not a PNG, JPEG, WebP, BMP or TIFF image"
    assert "truncated" in reasons["photo.jpg"]
    details = loaded.dataset.details
    assert details["files_skipped"] == 4
    assert details["files_unreadable"] == 3
    assert details["skipped_examples"][0] == "readme.md: not an image file (.md)"
    json.dumps(details)


def bad_and_good_files(folder: Path) -> None:
    """Three good images (one with bytes after its end), and files the load skips."""
    save(folder / "0.png", pixels(6, 7))
    save(folder / "1.webp", pixels(5, 4), lossless=True)
    tail = save(folder / "2.jpg", pixels(8, 8), quality=90)
    tail.write_bytes(tail.read_bytes() + b"camera trailer")  # whole, though not at its end
    whole = save(folder / "photo.jpg", pixels(64, 64), quality=90).read_bytes()
    (folder / "photo.jpg").write_bytes(whole[:-2])  # only its end marker cut off
    png = save(folder / "cut.png", pixels(30, 30)).read_bytes()
    (folder / "cut.png").write_bytes(png[: len(png) // 2])
    (folder / "empty.jpg").write_bytes(b"")


def test_the_check_finds_the_files_the_load_skips(tmp_path: Path) -> None:
    bad_and_good_files(tmp_path)
    check = check_image_folder(tmp_path)
    loaded = load_image_folder(tmp_path, workers=1)
    assert check is not None
    assert check.scan.count == 6
    assert check.count == len(loaded.dataset) == 3
    assert [item.name for item in check.unreadable] == ["cut.png", "empty.jpg", "photo.jpg"]
    assert dict(check.unreadable) == {
        name: reason for name, reason in loaded.skipped if name in dict(check.unreadable)
    }
    assert check.pixels == 6 * 7 + 5 * 4 + 8 * 8
    assert check.pixel_bytes() == round(3 * check.pixels / 3)
    assert check.pixel_bytes(resize=(10, 20)) == 600


def test_the_check_gives_up_when_told(tmp_path: Path) -> None:
    bad_and_good_files(tmp_path)
    assert check_image_folder(tmp_path, stop=lambda: True) is None


def test_an_image_over_pillows_bomb_limit_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(tmp_path / "small.png", pixels(4, 4))
    save(tmp_path / "big.png", pixels(40, 40))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 400)  # the error comes at twice this
    loaded = load_image_folder(tmp_path, workers=1)
    assert len(loaded.dataset) == 1
    assert dict(loaded.skipped)["big.png"].startswith("refused as a possible decompression bomb")


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    save(tmp_path / "a.png", pixels(2, 2))
    with pytest.raises(ValueError, match="resize must be"):
        load_image_folder(tmp_path, resize=(0, 3))
    with pytest.raises(ValueError, match="workers must be"):
        load_image_folder(tmp_path, workers=0)


# -- formats and colour -------------------------------------------------------------------


def test_every_format_loads_and_same_sizes_make_one_array(tmp_path: Path) -> None:
    image = pixels(12, 10)
    for suffix in (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"):
        save(tmp_path / f"image{suffix}", image)
    loaded = load_image_folder(tmp_path)
    images = loaded.dataset.images
    assert isinstance(images, np.ndarray)
    assert images.shape == (7, 12, 10, 3)
    assert images.flags.c_contiguous
    assert not loaded.skipped


@pytest.mark.parametrize(
    ("suffix", "options"),
    [(".png", {}), (".bmp", {}), (".tif", {}), (".webp", {"lossless": True})],
)
def test_lossless_formats_round_trip_exactly(
    tmp_path: Path, suffix: str, options: dict[str, object]
) -> None:
    image = pixels(9, 13, seed=3)
    save(tmp_path / f"a{suffix}", image, **options)
    np.testing.assert_array_equal(load_image_folder(tmp_path).dataset.images[0], image)


def test_colour_modes_become_rgb(tmp_path: Path) -> None:
    grey = pixels(5, 6, channels=1, seed=1)
    colour = pixels(5, 6, seed=2)
    alpha = pixels(5, 6, channels=1, seed=3)
    palette = Image.fromarray(colour).quantize(colors=16)
    rgba = Image.fromarray(np.dstack([colour, alpha]), "RGBA")
    cmyk = Image.fromarray(pixels(5, 6, channels=4, seed=4), "CMYK")
    wide = np.array([[0, 128, 257, 1000, 65535, 65407]] * 5, dtype=np.uint16)
    bits = Image.fromarray(grey > 127)
    cases = {
        "L.png": (Image.fromarray(grey), np.dstack([grey] * 3)),
        "LA.png": (Image.fromarray(np.dstack([grey, alpha]), "LA"), np.dstack([grey] * 3)),
        "P.png": (palette, rgb(palette)),
        "RGBA.png": (rgba, colour),
        "CMYK.tif": (cmyk, rgb(cmyk)),
        "I16.png": (Image.fromarray(wide), np.dstack([np.rint(wide / 257).astype(np.uint8)] * 3)),
        "1.png": (bits, np.dstack([np.where(grey > 127, 255, 0).astype(np.uint8)] * 3)),
    }
    for name, (image, _) in cases.items():
        save(tmp_path / name, image)
    loaded = load_image_folder(tmp_path)
    assert loaded.dataset.images.shape == (len(cases), 5, 6, 3)
    names = [file.name for file in loaded.files]
    for name, (_, expected) in cases.items():
        np.testing.assert_array_equal(loaded.dataset.images[names.index(name)], expected, name)


def test_keep_grey_keeps_grey_images_as_one_channel(tmp_path: Path) -> None:
    grey = pixels(4, 4, channels=1)
    wide = np.full((4, 4), 65535, dtype=np.uint16)
    save(tmp_path / "a_grey.png", grey)
    save(tmp_path / "b_wide.tif", wide)
    save(tmp_path / "c_colour.png", pixels(4, 4))
    images = load_image_folder(tmp_path, keep_grey=True).dataset.images
    assert isinstance(images, ImageList)
    assert images.shapes.tolist() == [[4, 4, 1], [4, 4, 1], [4, 4, 3]]
    np.testing.assert_array_equal(images[0][:, :, 0], grey)
    assert (images[1] == 255).all()

    only_grey = tmp_path / "only_grey"
    save(only_grey / "a.png", grey)
    array = load_image_folder(only_grey, keep_grey=True, resize=(3, 2)).dataset.images
    assert isinstance(array, np.ndarray)
    assert array.shape == (1, 2, 3, 1)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    image = pixels(2, 4, seed=5)
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: rotate 90 degrees clockwise to view
    save(tmp_path / "turned.png", image, exif=exif)
    loaded = load_image_folder(tmp_path).dataset.images[0]
    np.testing.assert_array_equal(loaded, np.rot90(image, k=-1))


def test_a_multi_frame_file_gives_its_first_frame(tmp_path: Path) -> None:
    frames = [Image.fromarray(pixels(3, 3, seed=i)) for i in range(3)]
    frames[0].save(tmp_path / "pages.tif", save_all=True, append_images=frames[1:])
    np.testing.assert_array_equal(
        load_image_folder(tmp_path).dataset.images[0], np.asarray(frames[0])
    )


# -- sizes --------------------------------------------------------------------------------


def test_varying_sizes_are_kept_in_an_image_list(tmp_path: Path) -> None:
    sizes = [(3, 5), (7, 2), (3, 5), (1, 1)]
    expected = [pixels(h, w, seed=i) for i, (h, w) in enumerate(sizes)]
    for i, image in enumerate(expected):
        save(tmp_path / f"{i}.png", image)
    dataset = load_image_folder(tmp_path).dataset
    assert dataset.varying_shapes
    assert isinstance(dataset.images, ImageList)
    assert dataset.images.shapes.tolist() == [[h, w, 3] for h, w in sizes]
    for got, want in zip(dataset.images, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_resize_takes_width_then_height(tmp_path: Path) -> None:
    for i, (h, w) in enumerate([(30, 40), (17, 9), (8, 8)]):
        save(tmp_path / f"{i}.jpg", pixels(h, w, seed=i))
    loaded = load_image_folder(tmp_path, resize=(20, 10))
    assert loaded.dataset.images.shape == (3, 10, 20, 3)
    assert loaded.dataset.details["resized_to"] == [20, 10]


# -- loading ------------------------------------------------------------------------------


def test_loading_twice_gives_the_same_data_set(tmp_path: Path) -> None:
    for i in range(4):
        save(tmp_path / f"{i}.jpg", pixels(5 + i, 6, seed=i))
    first = load_image_folder(tmp_path).dataset
    second = load_image_folder(tmp_path).dataset
    assert first.sha256 == second.sha256


def test_progress_starts_at_zero_ends_at_total_once_and_never_goes_back(tmp_path: Path) -> None:
    for i in range(30):
        save(tmp_path / f"{i:02}.png", pixels(3, 3, seed=i))
    calls: list[tuple[int, int]] = []
    caller = threading.get_ident()

    def progress(done: int, total: int) -> None:
        assert threading.get_ident() == caller
        calls.append((done, total))

    load_image_folder(tmp_path, workers=2, progress=progress)
    assert calls[0] == (0, 30)
    assert calls[-1] == (30, 30)
    assert calls.count((30, 30)) == 1
    done = [d for d, _ in calls]
    assert done == sorted(done)


def many_files(folder: Path, count: int = 40) -> list[np.ndarray]:
    """Files of varying sizes with two bad ones in the middle; returns the readable pixels."""
    expected = []
    for i in range(count):
        image = pixels(3 + i % 5, 4 + i % 3, seed=i)
        expected.append(image)
        save(folder / f"{i:03}.png", image)
    (folder / "013.png").write_bytes(b"broken")
    (folder / "027.jpg").write_bytes(b"")
    del expected[13]
    return expected


@pytest.fixture
def forked_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the loads that went through forked worker processes."""
    runs: list[int] = []
    real = image_folder._decode_in_processes

    def spy(*args: object, **kwargs: object) -> object:
        runs.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(image_folder, "_decode_in_processes", spy)
    return runs


@pytest.mark.usefixtures("no_extra_threads")
def test_worker_processes_give_the_serial_result_and_are_gone_after(
    tmp_path: Path, forked_runs: list[int]
) -> None:
    expected = many_files(tmp_path)
    serial = load_image_folder(tmp_path, workers=1)
    forked = load_image_folder(tmp_path, workers=2)
    assert forked_runs == [1]
    assert forked.dataset.sha256 == serial.dataset.sha256
    assert forked.skipped == serial.skipped
    for got, want in zip(forked.dataset.images, expected, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.usefixtures("no_extra_threads")
def test_worker_processes_fill_a_resized_array_without_the_bad_files(
    tmp_path: Path, forked_runs: list[int]
) -> None:
    expected = [
        np.asarray(Image.fromarray(image).resize((5, 4), Image.Resampling.LANCZOS))
        for image in many_files(tmp_path)
    ]
    serial = load_image_folder(tmp_path, workers=1, resize=(5, 4))
    forked = load_image_folder(tmp_path, workers=2, resize=(5, 4))
    assert forked_runs == [1]
    np.testing.assert_array_equal(forked.dataset.images, np.stack(expected))
    assert forked.dataset.sha256 == serial.dataset.sha256


@pytest.mark.usefixtures("no_extra_threads")
def test_a_worker_process_that_dies_is_an_error_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_files(tmp_path)
    monkeypatch.setattr(decode_workers._Worker, "decode", lambda *_: os._exit(3))
    with pytest.raises(RuntimeError, match="ended unexpectedly"):
        load_image_folder(tmp_path, workers=2)


@pytest.mark.usefixtures("no_extra_threads")
def test_a_bug_in_a_worker_process_is_raised_with_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_files(tmp_path)

    def broken(*_: object) -> None:
        raise KeyError("a bug, not a bad file")

    monkeypatch.setattr(image_folder, "_decode_or_reason", broken)
    with pytest.raises(RuntimeError, match=r"(?s)failed:.*KeyError: 'a bug, not a bad file'"):
        load_image_folder(tmp_path, workers=2)


def test_threads_decode_when_other_threads_make_forking_unsafe(tmp_path: Path) -> None:
    many_files(tmp_path)
    serial = load_image_folder(tmp_path, workers=1).dataset.sha256
    release = threading.Event()
    bystander = threading.Thread(target=release.wait)
    bystander.start()
    try:
        before = threading.active_count()
        assert not image_folder._can_fork()
        threaded = load_image_folder(tmp_path, workers=2).dataset.sha256
        assert threading.active_count() == before
    finally:
        release.set()
        bystander.join()
    assert threaded == serial


@settings(max_examples=15, deadline=None)
@given(
    sizes=st.lists(
        st.tuples(st.integers(1, 12), st.integers(1, 12), st.sampled_from([1, 3, 4])),
        min_size=1,
        max_size=6,
    ),
    seed=st.integers(0, 2**16),
)
def test_random_sizes_round_trip_through_png_files(
    sizes: list[tuple[int, int, int]], seed: int
) -> None:
    images = [pixels(h, w, c, seed=seed + i) for i, (h, w, c) in enumerate(sizes)]
    with tempfile.TemporaryDirectory() as folder:
        for i, image in enumerate(images):
            save(Path(folder) / f"{i:02}.png", image)
        loaded = load_image_folder(folder, keep_grey=True)
    for got, image in zip(images_of(loaded.dataset.images), images, strict=True):
        expected = image[:, :, :3] if image.ndim == 3 else image[:, :, np.newaxis]
        np.testing.assert_array_equal(got, expected)
