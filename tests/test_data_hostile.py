"""Hostile data: FIFOs and devices, link loops and diamonds, names with control characters,
decompression bombs, and CIFAR pickles that claim far more memory than their file holds.

Every call that could hang or exhaust memory without its fix runs in a forked child with
a time limit and, where memory is at stake, a cap on the child's address space: a
regression fails the test instead of hanging the suite or filling the machine's memory.
"""

from __future__ import annotations

import io
import itertools
import multiprocessing
import os
import resource
import struct
import sys
import tarfile
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest
from PIL import Image

from cifar_fixtures import (
    CIFAR10_FOLDER,
    dumps_py2,
    write_archive,
    write_batch,
    write_cifar10_folder,
    write_py2_pickle,
)
from imgbench.core import cifar, data_source, image_folder, safe_pickle
from imgbench.core.cifar import inspect_cifar, load_cifar
from imgbench.core.data_source import data_kind, load_dataset, skipped_files_note
from imgbench.core.dataset import open_regular
from imgbench.core.image_folder import load_image_folder, scan_image_folder
from imgbench.core.settings import RunSettings

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="FIFOs, /proc and fork")

GB = 1_000_000_000
BIG = 13_000  # the side the probe's bombs declare


# -- running what could hang or eat memory ------------------------------------------------


class Outcome(NamedTuple):
    """How a bounded call ended: "returned" with its value, or "raised" with the error."""

    ended: str
    error: str = ""
    message: str = ""
    value: Any = None


def bounded(
    call: Callable[[], object], *, seconds: float = 60, memory: int | None = None
) -> Outcome:
    """Run ``call`` in a forked child; fail the test if it takes longer than ``seconds``.
    ``memory`` caps how many bytes of address space the child may add to what it has."""
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)

    def child() -> None:
        if memory is not None:
            limit = _address_space() + memory
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            value = call()
        except BaseException as error:  # reported to the parent as it is
            writer.send(Outcome("raised", type(error).__name__, str(error)))
        else:
            writer.send(Outcome("returned", value=value))

    process = context.Process(target=child)  # not a daemon: it may fork decoders itself
    process.start()
    writer.close()
    try:
        if not reader.poll(seconds):
            pytest.fail(f"still running after {seconds} s: it hangs (a FIFO opened?)")
        try:
            return reader.recv()
        except EOFError:
            pytest.fail(f"the child died (exit code {process.exitcode}) without an answer")
    finally:
        process.kill()
        process.join()


def _address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmSize")


def refused(outcome: Outcome, *words: str) -> str:
    """The one-line message of a DataError (or a subclass) that holds every word."""
    assert outcome.ended == "raised", f"not refused: returned {outcome.value!r:.200}"
    assert outcome.error in {"DataError", "UnsafeDataError"}, outcome
    message = outcome.message
    assert "\n" not in message and "\r" not in message, message
    message.encode("utf-8")  # printable on any terminal
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return message


def png(path: Path, height: int = 6, width: int = 5, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(path)
    return path


# -- FIFOs, devices and sockets -----------------------------------------------------------


@pytest.mark.parametrize("what", ["fifo", "/dev/zero"])
def test_a_fifo_or_a_device_given_as_data_is_refused_and_never_read(
    tmp_path: Path, what: str
) -> None:
    if what == "fifo":
        path = tmp_path / "cifar-10-python.tar.gz"
        os.mkfifo(path)
        kind = "a FIFO (named pipe)"
    else:
        path = Path(what)
        if not path.exists():
            pytest.skip("no /dev/zero")
        kind = "a character device"
    for call in (data_kind, inspect_cifar, load_cifar):
        refused(bounded(lambda call=call: call(path), seconds=20), str(path), kind, "never read")


def test_a_fifo_named_like_a_cifar_batch_is_refused_and_never_read(tmp_path: Path) -> None:
    folder = write_cifar10_folder(tmp_path, n_per_batch=2)
    (folder / "data_batch_2").unlink()
    os.mkfifo(folder / "data_batch_2")
    for call in (load_cifar, inspect_cifar, data_kind):
        refused(
            bounded(lambda call=call: call(folder), seconds=20),
            "data_batch_2",
            "a FIFO (named pipe), not a regular file",
        )
    (folder / "batches.meta").unlink()
    os.mkfifo(folder / "batches.meta")
    refused(bounded(lambda: inspect_cifar(folder), seconds=20), "batches.meta", "FIFO")


def test_a_fifo_among_a_folders_images_is_skipped_and_never_opened(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    png(folder / "a.png")
    png(folder / "b.png", seed=1)
    os.mkfifo(folder / "c.png")
    outcome = bounded(lambda: load_image_folder(folder), seconds=20)
    assert outcome.ended == "returned", outcome
    assert len(outcome.value.dataset) == 2
    assert dict(outcome.value.skipped)["c.png"] == (
        "is a FIFO (named pipe), not a regular file: refused, never read"
    )


def test_a_fifo_put_in_place_of_an_image_after_the_scan_is_never_opened(tmp_path: Path) -> None:
    """The scan is not enough: the file can be swapped for a FIFO before it is decoded."""
    fifo = tmp_path / "swapped.png"
    os.mkfifo(fifo)
    options = image_folder._Options(resize=None, keep_grey=False)
    header = bounded(lambda: image_folder._read_header(str(fifo)), seconds=20)
    decoded = bounded(lambda: image_folder._decode_or_reason(str(fifo), options), seconds=20)
    for outcome in (header, decoded):
        assert outcome == Outcome(
            "returned", value="is a FIFO (named pipe), not a regular file: refused, never read"
        )
    reading = bounded(lambda: open_regular(fifo), seconds=20)
    refused(reading, "FIFO", "never read")


# -- links --------------------------------------------------------------------------------


def test_links_that_point_at_each_other_are_skipped_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    png(folder / "cats" / "a.png")
    for where in (folder, folder / "cats"):
        (where / "ping").symlink_to("pong")
        (where / "pong").symlink_to("ping")
    (folder / "cats" / "self.png").symlink_to("self.png")

    scan = scan_image_folder(folder)
    assert scan.class_names == ("cats",)
    assert [file.name for file in scan.files] == ["a.png"]
    loop = "link loop (links that lead back to themselves), not followed"
    reasons = dict(scan.skipped)
    for name in ("ping", "pong", "cats/ping", "cats/pong", "cats/self.png"):
        assert reasons[name] == loop
    assert len(load_image_folder(folder).dataset) == 1
    # A loop given as the data itself, and in a folder without classes, is no crash either.
    flat = tmp_path / "flat"
    png(flat / "one.png")
    (flat / "x.png").symlink_to("y.png")
    (flat / "y.png").symlink_to("x.png")
    assert dict(scan_image_folder(flat).skipped)["x.png"] == loop
    refused(bounded(lambda: data_kind(flat / "x.png")), "x.png", "Too many levels")


def test_a_diamond_of_links_gives_each_real_file_and_folder_once(tmp_path: Path) -> None:
    """16 levels, each with two links to the next: 65,536 paths to one image."""
    levels = [tmp_path / "levels" / f"d{depth:02d}" for depth in range(17)]
    for level in levels:
        level.mkdir(parents=True)
    for here, below in itertools.pairwise(levels):
        (here / "a").symlink_to(below, target_is_directory=True)
        (here / "b").symlink_to(below, target_is_directory=True)
    png(levels[-1] / "image.png")
    os.link(levels[-1] / "image.png", levels[-1] / "same.png")  # a hard link: the same file

    outcome = bounded(lambda: load_image_folder(levels[0]), seconds=60)
    assert outcome.ended == "returned", outcome
    loaded = outcome.value
    assert len(loaded.dataset) == 1
    assert loaded.dataset.class_names == ("a",)
    reasons = dict(loaded.skipped)
    assert reasons["b/"] == "same folder as a/, already included"
    assert reasons["a/b/"] == "same folder as a/a/, already included"
    deepest = "/".join(["a"] * 16)
    assert reasons[f"{deepest}/same.png"] == f"same file as {deepest}/image.png, already included"
    assert len(loaded.skipped) == 17


def test_a_very_deep_folder_does_not_exhaust_the_recursion_limit(tmp_path: Path) -> None:
    """600 levels: two frames each were 1,200 nested calls, over Python's limit of 1,000
    (one frame each, as pytest's own clean-up of tmp_path takes, stays under it)."""
    path = tmp_path / "deep" / "class"
    path.mkdir(parents=True)
    for _ in range(600):
        path /= "d"
        path.mkdir()
    png(path / "bottom.png")
    scan = scan_image_folder(tmp_path / "deep")
    assert [file.name for file in scan.files] == ["bottom.png"]


# -- names that would break one-line messages ---------------------------------------------


def test_names_with_newlines_and_control_characters_stay_on_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    png(folder / "good.png")
    for name in ("bad\nname.png", "red\x1b[31m.png", "rtl\u202egnp.png"):
        (folder / name).write_bytes(b"not an image")
    (folder / "notes\r\n.txt").write_text("-")
    os.mkfifo(os.path.join(os.fsencode(folder), b"caf\xe9.png"))  # not UTF-8

    loaded = load_image_folder(folder)
    names = sorted(item.name for item in loaded.skipped)
    assert names == [
        "bad\\nname.png",
        "caf\\xe9.png",
        "notes\\r\\n.txt",
        "red\\x1b[31m.png",
        "rtl\\u202egnp.png",
    ]
    examples = loaded.dataset.details["skipped_examples"]
    notes = skipped_files_note(loaded.dataset.details)
    for text in [*examples, *notes, *(str(item) for item in loaded.skipped)]:
        assert text.isprintable(), text
        text.encode("utf-8")
    # When nothing can be read, the refusal lists the names, still on one line.
    (folder / "good.png").unlink()
    message = refused(bounded(lambda: load_image_folder(folder)), "bad\\nname.png")
    assert message.isprintable()


def test_names_with_newlines_stay_on_one_line_in_cifar_messages(tmp_path: Path) -> None:
    folder = tmp_path / "nothing"
    folder.mkdir()
    (folder / "evil\nname").write_text("-")
    refused(bounded(lambda: load_cifar(folder)), "evil\\nname")
    archive = tmp_path / "odd.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("top\nfolder/file")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    refused(bounded(lambda: load_cifar(archive)), "top\\nfolder")


# -- decompression bombs ------------------------------------------------------------------


def bomb_jpeg(side: int = BIG) -> bytes:
    """A few hundred bytes of JPEG whose frame header declares side x side pixels."""
    buffer = io.BytesIO()
    Image.new("L", (8, 8), 128).save(buffer, "JPEG", quality=50)
    data = bytearray(buffer.getvalue())
    frame = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, frame + 5, side, side)
    return bytes(data)


def bomb_png(side: int = BIG) -> bytes:
    """About 100 bytes of PNG whose header declares side x side RGB pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(64)))
        + chunk(b"IEND", b"")
    )


def test_a_tiny_jpeg_declaring_13000_squared_is_skipped_with_the_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "photos"
    png(folder / "fine.png")
    (folder / "bomb.jpg").write_bytes(bomb_jpeg())
    assert len(bomb_jpeg()) < 700
    monkeypatch.setattr(image_folder, "available_memory_bytes", lambda: 1 * GB)

    outcome = bounded(lambda: load_image_folder(folder, workers=1), memory=2 * GB)
    assert outcome.ended == "returned", outcome
    assert len(outcome.value.dataset) == 1
    reason = dict(outcome.value.skipped)["bomb.jpg"]
    assert reason == (
        "too big for memory: it declares 13,000 x 13,000 pixels (169.0 million), and "
        "decoding it needs about 1.86 GB of memory; 1.00 GB is available"
    )


def test_six_tiny_pngs_declaring_13000_squared_refuse_the_load_with_the_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "photos"
    for i in range(6):
        (folder / f"{i}.png").parent.mkdir(parents=True, exist_ok=True)
        (folder / f"{i}.png").write_bytes(bomb_png())
    monkeypatch.setattr(image_folder, "available_memory_bytes", lambda: int(2.5 * GB))

    message = refused(
        bounded(lambda: load_image_folder(folder), memory=2 * GB),
        "too big for memory: the 6 images declare 1,014.0 million pixels",
        "needs about 4.90 GB of memory (3.04 GB for the images, 1.86 GB to decode them)",
        "2.50 GB is available",
        "Largest: 0.png (13,000 x 13,000), 1.png (13,000 x 13,000)",
    )
    assert message.startswith(str(folder))
    # Resized, the images kept are small, and one decoding at a time fits.
    loaded = bounded(lambda: load_image_folder(folder, resize=(32, 32)), memory=3 * GB)
    assert loaded.ended == "raised" and "could be read" in loaded.message  # truncated data


def test_pillows_decompression_bomb_warning_never_escapes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    png(tmp_path / "between.png", 25, 25)  # 625 pixels: over the warning, under the error
    png(tmp_path / "over.png", 30, 30)  # 900 pixels: over the error limit
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 400)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as ``python -W error`` makes every warning
        loaded = load_image_folder(tmp_path, workers=1)
    assert len(loaded.dataset) == 1
    assert dict(loaded.skipped)["over.png"] == (
        "refused as a possible decompression bomb: it declares 30 x 30 pixels (900), "
        "more than twice Pillow's limit of 400"
    )


@pytest.mark.parametrize(
    ("mode", "suffix", "options"),
    [
        ("RGB", ".png", {}),
        ("RGBA", ".png", {}),
        ("L", ".png", {}),
        ("1", ".png", {}),
        ("P", ".png", {}),
        ("LA", ".png", {}),
        ("I;16", ".png", {}),
        ("RGB", ".jpg", {}),
        ("RGB", ".jpg", {"progressive": True}),
        ("L", ".jpg", {}),
        ("CMYK", ".jpg", {}),
        ("RGB", ".jpg", {"exif": Image.Exif(), "icc_profile": b"\0" * 70_000}),
        ("RGB", ".webp", {}),
        ("RGB", ".bmp", {}),
        ("RGB", ".tif", {}),
    ],
)
def test_declared_sizes_are_what_pillow_reads(
    tmp_path: Path, mode: str, suffix: str, options: dict[str, Any]
) -> None:
    path = tmp_path / f"image{suffix}"
    Image.new(mode, (37, 23)).save(path, **options)
    header = image_folder._read_header(str(path))
    with Image.open(path) as image:
        assert header == image_folder._Header(image.width, image.height, image.mode)


# -- CIFAR pickles that claim more than they hold -----------------------------------------


class Reduces:
    """Pickles as ``function(*arguments)``, then ``state`` given to its result."""

    def __init__(self, function: object, arguments: tuple[object, ...], state: object = None):
        self.function, self.arguments, self.state = function, arguments, state

    def __reduce__(self) -> tuple[object, ...]:
        if self.state is None:
            return (self.function, self.arguments)
        return (self.function, self.arguments, self.state)


RECONSTRUCT = np.empty(0).__reduce__()[0]


def zero_strides(shape: tuple[int, ...], dtype: str) -> Reduces:
    """``numpy.ndarray(shape, dtype, buffer, 0, strides)``: one item's bytes, zero strides."""
    itemsize = np.dtype(dtype).itemsize
    buffer = bytes(itemsize * shape[-1]) if len(shape) > 1 else bytes(itemsize)
    strides = (0, itemsize) if len(shape) > 1 else (0,)
    return Reduces(np.ndarray, (shape, np.dtype(dtype), buffer, 0, strides))


def batch_of(data: object, labels: object) -> dict[bytes, object]:
    return {b"batch_label": b"training batch 1 of 5", b"data": data, b"labels": labels}


def test_a_batch_claiming_a_million_images_with_zero_strides_is_refused(tmp_path: Path) -> None:
    folder = write_cifar10_folder(tmp_path, n_per_batch=2)
    batch = batch_of(zero_strides((1_000_000, 3072), "u1"), zero_strides((1_000_000,), "<i8"))
    (folder / "data_batch_1").write_bytes(dumps_py2(batch))
    assert (folder / "data_batch_1").stat().st_size < 4_000
    refused(
        bounded(lambda: load_cifar(folder), memory=int(1.5 * GB)),
        "data_batch_1",
        "refused: the pickle asks for a 1,000,000 x 3,072 array over a 3,072-byte buffer "
        "(numpy.ndarray called directly)",
    )


def test_a_claim_the_file_cannot_hold_is_refused_before_anything_copies_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second line of defence, should an array ever come out of the unpickler
    claiming more than its file holds."""
    monkeypatch.setitem(safe_pickle.ALLOWED_GLOBALS, ("numpy", "ndarray"), np.ndarray)
    folder = write_cifar10_folder(tmp_path, n_per_batch=2)
    batch = batch_of(zero_strides((1_000_000, 3072), "u1"), zero_strides((1_000_000,), "<i8"))
    size = len(dumps_py2(batch))
    (folder / "data_batch_1").write_bytes(dumps_py2(batch))
    refused(
        bounded(lambda: load_cifar(folder), memory=int(1.5 * GB)),
        "data_batch_1",
        f"corrupt: claims 1,000,000 images (3.07 GB of pixels) but the file is only "
        f"{size / 1000:.2f} kB ({size:,} bytes)",
    )


def test_an_uninitialised_array_of_a_million_images_is_refused(tmp_path: Path) -> None:
    folder = write_cifar10_folder(tmp_path, n_per_batch=2)
    claim = Reduces(RECONSTRUCT, (np.ndarray, (1_000_000, 3072), b"B"))
    labels = Reduces(RECONSTRUCT, (np.ndarray, (1_000_000,), b"<i8"))
    (folder / "data_batch_1").write_bytes(dumps_py2(batch_of(claim, labels)))
    refused(
        bounded(lambda: load_cifar(folder), memory=int(1.5 * GB)),
        "data_batch_1",
        "refused: the pickle asks for an uninitialised 1,000,000 x 3,072 array",
    )


def test_an_object_array_allocated_while_unpickling_is_refused(tmp_path: Path) -> None:
    folder = write_cifar10_folder(tmp_path, n_per_batch=2)
    state = (1, (1_000_000_000,), np.dtype(object), False, [])
    data = Reduces(RECONSTRUCT, (np.ndarray, (0,), b"b"), state)
    (folder / "data_batch_1").write_bytes(dumps_py2(batch_of(data, [0, 1])))
    refused(
        bounded(lambda: load_cifar(folder), memory=int(1.5 * GB)),
        "data_batch_1",
        "refused: the pickle asks for an array of dtype object, not of numbers",
    )


def test_a_meta_file_with_20000_references_to_one_megabyte_is_refused(tmp_path: Path) -> None:
    folder = write_cifar10_folder(tmp_path, n_per_batch=2)
    name = b"x" * 1_000_000
    meta = {b"num_cases_per_batch": 2, b"label_names": [name] * 20_000, b"num_vis": 3072}
    write_py2_pickle(folder / "batches.meta", meta)
    assert (folder / "batches.meta").stat().st_size < 1_200_000  # references, not copies
    words = (
        "batches.meta",
        "holds 20,000 class names of up to 1,000,000 characters (20.0 GB in all",
    )
    for call in (inspect_cifar, load_cifar, data_kind):  # data_kind runs in the CLI itself
        refused(bounded(lambda call=call: call(folder), memory=int(1.5 * GB)), *words)


def test_labels_that_nest_a_big_list_many_times_are_refused_before_numpy_copies_them(
    tmp_path: Path,
) -> None:
    folder = write_cifar10_folder(tmp_path, n_per_batch=2)
    inner = list(range(100_000))
    rows = np.zeros((2, 3072), dtype=np.uint8)
    write_batch(folder / "data_batch_1", rows, [inner, inner])
    refused(
        bounded(lambda: load_cifar(folder), memory=int(1.5 * GB)),
        "data_batch_1",
        "wrong shapes: expected labels as a list of 2 ints",
    )


def test_batches_that_do_not_fit_in_memory_are_refused_before_unpickling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_cifar10_folder(tmp_path, n_per_batch=20)
    monkeypatch.setattr(cifar, "available_memory_bytes", lambda: 200_000)
    refused(
        bounded(lambda: load_cifar(folder)),
        str(folder),
        "the 5 batch files hold",
        "of memory, 200 kB is available",
    )
    archive = write_archive(folder, tmp_path / "cifar-10-python.tar.gz")
    refused(
        bounded(lambda: load_cifar(archive)),
        CIFAR10_FOLDER,
        "100 images need 307 kB of memory to decode, 200 kB is available",
    )
    monkeypatch.setattr(cifar, "available_memory_bytes", lambda: 10_000)
    refused(bounded(lambda: load_cifar(archive)), "refused: member", "10.0 kB is available")


def test_cifar_tiled_beyond_memory_is_refused_before_tiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_cifar10_folder(tmp_path, n_per_batch=2)
    monkeypatch.setattr(data_source, "available_memory_bytes", lambda: 1_000_000)
    settings = RunSettings(
        data=str(folder), count=1_000, cutoffs=(10, 1_000), repeats=1, workdir=str(tmp_path)
    )
    refused(
        bounded(lambda: load_dataset(settings)),
        "1,000 of these images need about 6.14 MB of memory, 1.00 MB is available",
    )


def test_files_too_big_for_memory_are_refused_before_they_are_read(tmp_path: Path) -> None:
    """Sparse files: terabytes on paper, nothing on disk."""
    folder = write_cifar10_folder(tmp_path, n_per_batch=2)
    with open(folder / "data_batch_3", "r+b") as batch:
        batch.truncate(1 << 40)
    refused(
        bounded(lambda: load_cifar(folder), memory=GB),
        "the 5 batch files hold 1.10 TB; loading them needs about 2.20 TB of memory",
    )
    with open(folder / "batches.meta", "r+b") as meta:
        meta.truncate(1 << 31)
    for call in (inspect_cifar, data_kind):
        refused(
            bounded(lambda call=call: call(folder), memory=GB),
            "batches.meta: refused: a CIFAR meta file is a few kB, this file is 2.15 GB",
        )


def test_a_single_image_is_not_a_data_set_and_its_folder_is_suggested(tmp_path: Path) -> None:
    photo = tmp_path / "holiday" / "photo.JPG"
    png(photo)  # the suffix decides, whatever the bytes
    message = refused(bounded(lambda: data_kind(photo)), "photo.JPG", "single image")
    assert f"--data {photo.parent}" in message
