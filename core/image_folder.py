"""Your own images: a folder of PNG, JPEG, WebP, BMP or TIFF files as a :class:`Dataset`.

Two steps. :func:`scan_image_folder` lists the files and their labels without decoding
anything (fast enough for live validation); :func:`load_image_folder` decodes them.
Between the two, :func:`check_image_folder` finds the files the load will skip (headers,
and a decode of any file that does not end whole), so a front end says the run's count.

Layout
    A folder whose first-level sub-folders hold images is a classified folder: each such
    sub-folder is a class (sorted by name, label = index), searched recursively. Loose
    images at its top level are then skipped. Otherwise the folder's own top-level images
    are the data set, label 0, one class named after the folder. Files are images by
    suffix (case-insensitive); anything else, hidden entries (a leading ".") and folders
    that cannot be listed are skipped and reported. Orders are by name (code point), so
    every machine lists the same files alike.

Links and special files
    Symbolic links are followed, but each real folder is entered once and each real file
    (device and inode) taken once: a link back up, two links to one folder (a "diamond"
    of links can reach one file thousands of ways) or a hard link to a file already taken
    is skipped with what it repeats. Links that lead to themselves (ELOOP) or nowhere are
    skipped. A FIFO, device or socket is skipped and never opened: opening a FIFO blocks.
    Names in reasons and messages are escaped (a newline in a file name stays "\\n").

Decoding (Pillow)
    - The content must be PNG, JPEG, WebP, BMP or TIFF whatever the suffix says; Pillow's
      other formats are never tried (some start external programs).
    - EXIF orientation is applied, so photos come out the way a viewer shows them.
    - Multi-frame files (animated WebP, multi-page TIFF) give their first frame.
    - Colour becomes RGB. Alpha is dropped, not composited: colour channels are kept as
      stored. Palettes are expanded, CMYK and YCbCr converted by Pillow (no ICC profiles).
    - 16-bit grey is scaled to 8 bits (v / 257, rounded), not clipped as Pillow's own
      conversion does. 32-bit integer and float grey are taken as 16-bit when any value
      exceeds 255, else as 8-bit, and clipped to that range.
    - ``keep_grey=True`` keeps grey images (modes 1, L, LA, I;16, I, F) as one channel,
      (H, W, 1); colour images stay RGB.
    - ``resize=(W, H)`` resizes every image to exactly that size with Lanczos filtering
      (after orientation and colour conversion); without it sizes are kept as they are.
    - A file Pillow cannot read (truncated, corrupt, empty, another format, or over
      Pillow's decompression-bomb limit, ``Image.DecompressionBombError``) is skipped with
      its reason. Images between Pillow's warning and error limits load if memory allows
      (Pillow's warning is not shown: the memory check below replaces it).

Memory (checked before decoding)
    A 300-byte JPEG can declare 13,000 x 13,000 pixels. So every file's header is read
    first (PNG and JPEG by a few lines here, other formats by Pillow, which reads only the
    header), and from the declared sizes: a file whose decoding alone would need more
    memory than is available is skipped with the numbers; then, if the images kept plus
    what the decoders hold at once would not fit, the load is refused with the numbers.
    The decoders check each file's declared size again before decoding it.

Parallelism
    Pillow releases the GIL inside its decoders, but for small images about half the time
    is Python (header parsing, ``ImageFile.load``, ``tobytes``) that holds it. Measured on
    2 cores, 2 workers against 1: 2,000 256x256 JPEGs, threads 1.5x, forked processes
    1.85x; 10,000 JPEGs of 64-128 pixels, threads 0.8x, processes 1.7x. A process pool
    that pickles the pixels back (fork or spawn) gained at most 1.3x: copying the pixels
    costs as much as decoding them. So when the calling process runs a single thread (the
    benchmark's own child does), workers are forked and write the pixels straight into one
    memory file that this process maps as the data set's buffer: one copy, out of Pillow
    (:mod:`imgbench.core.decode_workers`).
    With other threads running, fork is unsafe, and threads decode instead. Either way,
    every worker has ended when :func:`load_image_folder` returns.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import math
import mmap
import multiprocessing
import os
import stat
import struct
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from .dataset import (
    Dataset,
    available_memory_bytes,
    format_size,
    open_regular,
    special_file_problem,
)
from .decode_workers import Outcome, decode_in_processes, write_all
from .errors import DataError
from .images import ImageBatch, ImageList
from .one_line import printable

IMAGE_SUFFIXES: Final = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"})
FORMAT_NAMES: Final = "PNG, JPEG, WebP, BMP, TIFF"

#: Progress callback: (images decoded or skipped so far, image files in total).
Progress = Callable[[int, int], None]
_Array = npt.NDArray[np.uint8]

_PILLOW_FORMATS: Final = ("PNG", "JPEG", "WEBP", "BMP", "TIFF")
_GREY_MODES: Final = frozenset({"1", "L", "LA", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})
_WIDE_GREY_MODES: Final = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N", "F"})
#: Exceptions Pillow raises for a file it cannot read; anything else is a bug and propagates.
_BAD_FILE_ERRORS: Final = (
    OSError,  # includes UnidentifiedImageError and truncated data
    SyntaxError,  # Pillow's plugins signal malformed headers this way
    ValueError,
    EOFError,
    struct.error,
    Image.DecompressionBombError,
)
_EXAMPLES: Final = 5
_NOT_OUR_FORMAT: Final = "not a PNG, JPEG, WebP, BMP or TIFF image"
_MAX_WORKERS: Final = 16
_MIN_PARALLEL: Final = 16  # below this many files, starting workers costs more than it saves
_CHUNK_MAX: Final = 64  # files per task: small enough for balance and frequent progress
_CHUNKS_PER_WORKER: Final = 8
_PROGRESS_SECONDS: Final = 0.1
#: Bytes read to find a PNG's or JPEG's size (a JPEG's frame header usually comes within
#: its first few kB; after a big EXIF block, Pillow finds it instead).
_HEAD_BYTES: Final = 1 << 14
#: Bytes per pixel Pillow holds a decoded image in (4 for the others, 3-band modes too),
#: and the 8-byte floats ``_wide_grey_to_8_bit`` makes three of for 16- and 32-bit grey.
_CORE_BYTES: Final = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
_WIDE_GREY_BYTES: Final = 24
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_PNG_MODES: Final = {0: "L", 2: "RGB", 3: "P", 4: "LA", 6: "RGBA"}
_JPEG_MODES: Final = {1: "L", 3: "RGB", 4: "CMYK"}
#: JPEG start-of-frame markers (not DHT C4, JPG C8, DAC CC), which hold the image size.
_JPEG_FRAMES: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


class Skipped(NamedTuple):
    """A file or folder left out, named relative to the scanned folder ("sub/" for folders),
    the name escaped for one-line messages (:func:`imgbench.core.one_line.printable`)."""

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass(frozen=True)
class FolderScan:
    """What a folder holds, found without decoding anything.

    ``files`` are the image files in data set order, ``labels`` their labels (indexes into
    ``class_names``); ``class_folders`` says whether the classes came from sub-folders.
    """

    path: Path
    files: tuple[Path, ...]
    labels: tuple[int, ...]
    class_names: tuple[str, ...]
    skipped: tuple[Skipped, ...]
    class_folders: bool

    @property
    def count(self) -> int:
        return len(self.files)

    def class_counts(self) -> tuple[int, ...]:
        """Images per class, in class order."""
        counts = np.bincount(
            np.asarray(self.labels, dtype=np.int64), minlength=len(self.class_names)
        )
        return tuple(int(n) for n in counts)


@dataclass(frozen=True)
class FolderLoad:
    """The loaded data set, the files it holds (in its order) and everything left out:
    the scan's skipped entries first, then files that could not be decoded."""

    dataset: Dataset
    files: tuple[Path, ...]
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True)
class _Options:
    """How every file is decoded."""

    resize: tuple[int, int] | None  # (width, height)
    keep_grey: bool
    memory: int | None = None  # bytes available when the load started (None: unknown)

    @property
    def fixed_shape(self) -> tuple[int, int, int] | None:
        """The (H, W, C) every image has, when known before decoding."""
        if self.resize is None or self.keep_grey:
            return None
        width, height = self.resize
        return (height, width, 3)


class _Decoded(NamedTuple):
    """Readable images in file order, and why each unreadable file (by index) failed."""

    images: ImageBatch | None
    failures: dict[int, str]


# -- scanning -----------------------------------------------------------------------------


def scan_image_folder(path: str | os.PathLike[str]) -> FolderScan:
    """List a folder's image files, labels and class names; decode nothing.

    Raises DataError when ``path`` is not a folder or holds no image files.
    """
    root = Path(path)
    _require_folder(root)
    walker = _Walker(root)
    loose, folders = walker.top_level()
    classes = [(name, images) for name, images in folders if images]
    if classes:
        for name, images in folders:
            if not images:
                walker.skip(f"{printable(name)}/", "no images in it, so not a class")
        for image in loose:
            walker.skip(walker.relative(image), "outside any class folder")
        return _classified_scan(root, classes, walker.skipped)
    loose = walker.loose_once_each()
    if not loose:
        raise DataError(root, _no_images_problem(walker.skipped))
    return FolderScan(
        path=root,
        files=tuple(loose),
        labels=(0,) * len(loose),
        class_names=(_folder_name(root),),
        skipped=_in_name_order(walker.skipped),
        class_folders=False,
    )


def _classified_scan(
    root: Path, classes: list[tuple[str, list[Path]]], skipped: list[Skipped]
) -> FolderScan:
    files = [image for _, images in classes for image in images]
    labels = [label for label, (_, images) in enumerate(classes) for _ in images]
    return FolderScan(
        path=root,
        files=tuple(files),
        labels=tuple(labels),
        class_names=tuple(name for name, _ in classes),
        skipped=_in_name_order(skipped),
        class_folders=True,
    )


def _require_folder(root: Path) -> None:
    expected = f"expected a folder of images ({FORMAT_NAMES}), optionally one sub-folder per class"
    try:
        status = root.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise DataError(root, f"does not exist; {expected}") from None
    except OSError as error:
        raise DataError(root, f"cannot be read: {_why(error)}") from None
    if not stat.S_ISDIR(status.st_mode):
        raise DataError(root, f"is not a folder; {expected}")


def _no_images_problem(skipped: Sequence[Skipped]) -> str:
    problem = f"no images ({FORMAT_NAMES}) in this folder or its sub-folders"
    others = [item.name for item in _in_name_order(skipped) if not item.name.endswith("/")]
    if not others:
        return f"{problem}; it holds no other files either"
    listed = ", ".join(others[:_EXAMPLES]) + (", ..." if len(others) > _EXAMPLES else "")
    return f"{problem}; found {_plural(len(others), 'other file')}: {listed}"


def _folder_name(root: Path) -> str:
    return root.name or root.resolve().name or str(root)


def _in_name_order(skipped: Sequence[Skipped]) -> tuple[Skipped, ...]:
    return tuple(sorted(skipped, key=lambda item: item.name.rstrip("/").split("/")))


class _Walker:
    """Walks a folder tree in name order, following links but entering each real folder
    once and taking each real file once, collecting image files and noting everything it
    leaves out. Iterative, so a deep tree cannot exhaust Python's recursion limit. Names
    are worked out only for what is left out (a relative path costs more than a stat)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.skipped: list[Skipped] = []
        self._folders: dict[tuple[int, int], str] = {}  # real folder -> path entered by
        self._files: dict[tuple[int, int], str] = {}  # real file -> path taken by
        self._loose: dict[str, tuple[int, int]] = {}  # top-level image path -> real file

    def relative(self, path: Path | str) -> str:
        """``path`` relative to the root, escaped for messages."""
        return printable(Path(path).relative_to(self.root).as_posix())

    def skip(self, name: str, reason: str) -> None:
        self.skipped.append(Skipped(name, reason))

    def top_level(self) -> tuple[list[Path], list[tuple[str, list[Path]]]]:
        """(the loose image files, (name, image files) of each readable sub-folder).

        Every sub-folder is claimed before any is walked, so a link inside one class to
        another class folder repeats that class (and is skipped) rather than taking it."""
        try:
            entries = _sorted_entries(self.root)
            root = _identity(self.root.stat())
        except OSError as error:
            raise DataError(self.root, f"cannot list the folder: {_why(error)}") from None
        self._folders[root] = str(self.root)
        loose: list[Path] = []
        claimed: list[tuple[os.DirEntry[str], tuple[int, int]]] = []
        for entry in entries:
            found = self._look_at(entry, root[0])
            if found is None:
                continue
            is_folder, identity = found
            if not is_folder:
                loose.append(Path(entry.path))
                self._loose[entry.path] = identity
            elif self._enter(entry.path, identity, (root,)):
                claimed.append((entry, identity))
        folders: list[tuple[str, list[Path]]] = []
        for entry, identity in claimed:
            images = self._images_in(entry.path, identity, root)
            if images is not None:
                folders.append((entry.name, images))
        return loose, folders

    def loose_once_each(self) -> list[Path]:
        """The loose image files, without those that repeat a real file taken before (noted
        as skipped)."""
        return [Path(path) for path, real in self._loose.items() if self._take(path, real)]

    def _images_in(
        self, folder: str, identity: tuple[int, int], root: tuple[int, int]
    ) -> list[Path] | None:
        """Image files under ``folder``, depth first in name order; None when it cannot be
        listed (noted as skipped)."""
        listing = self._listing(folder)
        if listing is None:
            return None
        found: list[Path] = []
        ancestors = [root, identity]
        stack: list[Iterator[os.DirEntry[str]]] = [iter(listing)]
        while stack:
            entry = next(stack[-1], None)
            if entry is None:
                stack.pop()
                ancestors.pop()
                continue
            looked = self._look_at(entry, ancestors[-1][0])
            if looked is None:
                continue
            is_folder, real = looked
            if not is_folder:
                if self._take(entry.path, real):
                    found.append(Path(entry.path))
            elif self._enter(entry.path, real, ancestors):
                inner = self._listing(entry.path)
                if inner is not None:
                    stack.append(iter(inner))
                    ancestors.append(real)
        return found

    def _listing(self, folder: str) -> list[os.DirEntry[str]] | None:
        try:
            return _sorted_entries(Path(folder))
        except OSError as error:
            self.skip(f"{self.relative(folder)}/", f"cannot be listed: {_why(error)}")
            return None

    def _look_at(self, entry: os.DirEntry[str], device: int) -> tuple[bool, tuple[int, int]] | None:
        """(is a folder, real identity) of a visible folder or image file; None, with the
        reason noted, for anything left out. ``device`` is the listed folder's: a plain
        file there is (device, inode) without a stat call (the listing says what it is)."""
        if entry.name.startswith("."):
            name = self.relative(entry.path)
            self.skip(f"{name}/" if _is_dir(entry) else name, "hidden")
            return None
        if entry.is_file(follow_symlinks=False):
            identity = (device, entry.inode())
        else:
            try:
                status = entry.stat()  # links followed
            except OSError as error:
                self.skip(self.relative(entry.path), _unreachable_reason(entry, error))
                return None
            if stat.S_ISDIR(status.st_mode):
                return True, (status.st_dev, status.st_ino)
            if not stat.S_ISREG(status.st_mode):
                self.skip(self.relative(entry.path), special_file_problem(status.st_mode))
                return None
            identity = (status.st_dev, status.st_ino)
        suffix = os.path.splitext(entry.name)[1]
        if suffix.lower() not in IMAGE_SUFFIXES:
            kind = printable(suffix) or "no suffix"
            self.skip(self.relative(entry.path), f"not an image file ({kind})")
            return None
        return False, identity

    def _enter(
        self, path: str, identity: tuple[int, int], ancestors: Sequence[tuple[int, int]]
    ) -> bool:
        """Whether to walk a sub-folder: not when it is a folder above it, or one already
        entered by another name (noted as skipped)."""
        if identity in ancestors:
            self.skip(f"{self.relative(path)}/", "link back to a folder above it, not followed")
            return False
        first = self._folders.setdefault(identity, path)
        if first != path:
            self.skip(
                f"{self.relative(path)}/",
                f"same folder as {self.relative(first)}/, already included",
            )
            return False
        return True

    def _take(self, path: str, identity: tuple[int, int]) -> bool:
        """Whether a file is the first name of its real file (else noted as skipped)."""
        first = self._files.setdefault(identity, path)
        if first != path:
            name, earlier = self.relative(path), self.relative(first)
            self.skip(name, f"same file as {earlier}, already included")
            return False
        return True


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a link loop
        return False


def _unreachable_reason(entry: os.DirEntry[str], error: OSError) -> str:
    """Why an entry whose target cannot be looked at is skipped."""
    try:
        is_link = entry.is_symlink()
    except OSError:
        is_link = False
    if is_link and error.errno == errno.ELOOP:
        return "link loop (links that lead back to themselves), not followed"
    if is_link and error.errno in (errno.ENOENT, errno.ENOTDIR):
        return "broken link (its target does not exist)"
    return f"cannot be read: {_why(error)}"


def _sorted_entries(folder: Path) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as listing:
        return sorted(listing, key=lambda entry: entry.name)


def _identity(status: os.stat_result) -> tuple[int, int]:
    return (status.st_dev, status.st_ino)


def _why(error: OSError) -> str:
    return error.strerror or str(error)


# -- checking what a load will keep ---------------------------------------------------------


@dataclass(frozen=True)
class FolderCheck:
    """A scan and the image files a load of it will skip (unreadable, or too big), found
    before the run so a front end can say the count the run will use. ``pixels`` is the
    declared pixels of the files it will keep."""

    scan: FolderScan
    unreadable: tuple[Skipped, ...]
    pixels: int

    @property
    def count(self) -> int:
        """Images the load will keep."""
        return self.scan.count - len(self.unreadable)

    def pixel_bytes(self, resize: tuple[int, int] | None = None) -> int | None:
        """Mean bytes of one loaded image (RGB), None when none will load."""
        if resize is not None:
            return resize[0] * resize[1] * 3
        return round(3 * self.pixels / self.count) if self.count else None


def check_image_folder(
    path: str | os.PathLike[str], stop: Callable[[], bool] | None = None
) -> FolderCheck | None:
    """Scan a folder and find the files its load will skip, by the load's own rules: each
    file's header is read, and a file whose end does not show it whole (a JPEG without
    its end marker, a PNG without IEND: a truncated download) is decoded to be sure.
    None when ``stop()`` says to give up. Raises DataError as :func:`scan_image_folder`."""
    scan = scan_image_folder(path)
    options = _Options(resize=None, keep_grey=False, memory=available_memory_bytes())
    unreadable: list[Skipped] = []
    pixels = 0
    with _quiet_bomb_warnings():
        for file in scan.files:
            if stop is not None and stop():
                return None
            found = _load_outcome(str(file), options)
            if isinstance(found, str):
                unreadable.append(Skipped(_relative_name(scan.path, file), printable(found, 300)))
            else:
                pixels += found
    return FolderCheck(scan, tuple(unreadable), pixels)


def _load_outcome(path: str, options: _Options) -> int | str:
    """The declared pixels of a file the load will keep, or why it will skip it."""
    header = _read_header(path)
    if isinstance(header, str):
        return header
    problem = _size_problem(header, options)
    if problem is not None:
        return problem
    if not _ends_whole(path):
        decoded = _decode_or_reason(path, options)
        if isinstance(decoded, str):
            return decoded
    return header.pixels


def _ends_whole(path: str) -> bool:
    """Whether the file ends as a whole PNG, JPEG or WebP does (Pillow refuses a JPEG cut
    anywhere before its end marker); False means "decode it to know"."""
    try:
        with open_regular(path) as file:
            head = file.read(16)
            size = file.seek(0, os.SEEK_END)
            file.seek(max(0, size - 16))
            tail = file.read(16)
    except (DataError, OSError):
        return False
    if head.startswith(b"\xff\xd8"):
        return tail.endswith(b"\xff\xd9")
    if head.startswith(_PNG_SIGNATURE):
        return tail.endswith(b"IEND\xaeB`\x82")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return int.from_bytes(head[4:8], "little") + 8 <= size
    return False


# -- loading ------------------------------------------------------------------------------


def load_image_folder(
    path: str | os.PathLike[str],
    *,
    resize: tuple[int, int] | Sequence[int] | None = None,
    keep_grey: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> FolderLoad:
    """Scan and decode a folder of images into a data set (source "folder").

    ``resize`` is (width, height). ``workers`` defaults to the usable cores (at most 16).
    ``progress(done, total)`` is called from this thread: (0, total) first, then at most
    about every 1% or 0.1 s, and (total, total) once at the end.
    Raises DataError when the folder holds no image or none of them can be read.
    """
    size = checked_size(resize)
    count = _checked_workers(workers)
    scan = scan_image_folder(path)
    options = _Options(resize=size, keep_grey=bool(keep_grey), memory=available_memory_bytes())
    tracker = _Tracker(progress, scan.count)
    with _quiet_bomb_warnings():
        headers = [_read_header(str(file)) for file in scan.files]
        failures = _too_big_alone(headers, options)
        _refuse_if_too_big_together(scan, headers, failures, options, count)
        tracker.advance(len(failures))
        todo = [i for i in range(scan.count) if i not in failures]
        decoded = _decode_all([scan.files[i] for i in todo], options, count, tracker)
    failures.update((todo[index], reason) for index, reason in decoded.failures.items())
    unreadable = [
        Skipped(_relative_name(scan.path, scan.files[index]), printable(reason, 300))
        for index, reason in sorted(failures.items())
    ]
    if decoded.images is None:
        raise DataError(scan.path, _none_readable_problem(scan.count, unreadable))
    kept = [i for i in range(scan.count) if i not in failures]
    skipped = (*scan.skipped, *unreadable)
    labels = np.asarray(scan.labels, dtype=np.int64)[kept]
    files = tuple(scan.files[i] for i in kept)
    details = _details(scan, options, skipped, len(unreadable))
    details["source_bytes"] = _total_size(files)
    dataset = Dataset(
        images=decoded.images,
        labels=labels,
        class_names=scan.class_names,
        source="folder",
        path=str(path),
        details=details,
        source_files=tuple(str(file) for file in files),
    )
    return FolderLoad(dataset=dataset, files=files, skipped=skipped)


def _total_size(files: Sequence[Path]) -> int | None:
    """The image files' own bytes: the size a store is compared with (None if one vanished)."""
    try:
        return sum(os.stat(file).st_size for file in files)
    except OSError:
        return None


def checked_size(resize: tuple[int, int] | Sequence[int] | None) -> tuple[int, int] | None:
    """A resize target as (width, height), or None; a ValueError in words otherwise."""
    if resize is None:
        return None
    sides = tuple(resize)
    if len(sides) != 2 or not all(_is_int(side) and side >= 1 for side in sides):
        raise ValueError(f"resize must be (width, height), both at least 1, got {resize!r}")
    return (int(sides[0]), int(sides[1]))


def _checked_workers(workers: int | None) -> int:
    if workers is None:
        return min(_MAX_WORKERS, _usable_cores())
    if not _is_int(workers) or workers < 1:
        raise ValueError(f"workers must be an integer of at least 1, got {workers!r}")
    return int(workers)


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _relative_name(root: Path, file: Path) -> str:
    return printable(file.relative_to(root).as_posix())


def _none_readable_problem(count: int, unreadable: Sequence[Skipped]) -> str:
    examples = "; ".join(str(item) for item in unreadable[:_EXAMPLES])
    more = "; ..." if len(unreadable) > _EXAMPLES else ""
    return f"none of the {_plural(count, 'image file')} could be read: {examples}{more}"


def _details(
    scan: FolderScan, options: _Options, skipped: Sequence[Skipped], unreadable: int
) -> dict[str, object]:
    return {
        "image_files": scan.count,
        "class_folders": scan.class_folders,
        "files_skipped": len(skipped),
        "files_unreadable": unreadable,
        "skipped_examples": [str(item) for item in skipped[:_EXAMPLES]],
        "resized_to": list(options.resize) if options.resize else None,
        "keep_grey": options.keep_grey,
    }


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


class _Tracker:
    """Calls progress from the loading thread: (0, total), then after at least 1% more or
    0.1 s, and (total, total) exactly once at the end."""

    def __init__(self, callback: Progress | None, total: int) -> None:
        self._callback = callback
        self.total = total
        self._done = 0
        self._reported = 0
        self._reported_at = time.monotonic()
        if callback is not None:
            callback(0, total)

    def advance(self, count: int) -> None:
        self._done += count
        if self._callback is None or self._done >= self.total:
            return
        now = time.monotonic()
        step = self._done - self._reported
        if step * 100 >= self.total or (step > 0 and now - self._reported_at >= _PROGRESS_SECONDS):
            self._callback(self._done, self.total)
            self._reported, self._reported_at = self._done, now

    def finish(self) -> None:
        if self._callback is not None:
            self._callback(self.total, self.total)


# -- declared sizes and memory, before decoding ---------------------------------------------


class _Header(NamedTuple):
    """What a file's header declares: its size and Pillow's mode (or the nearest one)."""

    width: int
    height: int
    mode: str

    @property
    def pixels(self) -> int:
        return self.width * self.height


class _TooBig(Exception):
    """A file declares more pixels than memory (or Pillow's bomb limit) allows; the message
    is the reason it is skipped."""


@contextlib.contextmanager
def _quiet_bomb_warnings() -> Iterator[None]:
    """No DecompressionBombWarning: the memory checks here replace it. Forked decoders
    inherit the filter; decoding threads share it while the loading thread waits."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


def _read_header(path: str) -> _Header | str:
    """The size and mode a file declares, from its header alone, or why it cannot be read."""
    try:
        with open_regular(path) as file:
            header = _quick_header(file.read(_HEAD_BYTES))
            if header is None:
                file.seek(0)
                with Image.open(file, formats=_formats()) as image:
                    header = _Header(image.width, image.height, image.mode)
    except DataError as error:  # a FIFO, device or socket put there since the scan
        return error.problem
    except _BAD_FILE_ERRORS as error:
        return _unreadable_reason(path, error)
    return header


def _quick_header(head: bytes) -> _Header | None:
    """A PNG's or JPEG's declared size from its first bytes (Pillow takes a few times as
    long, which would make the check a tenth of a small photo's load); None otherwise."""
    if head.startswith(_PNG_SIGNATURE) and head[12:16] == b"IHDR" and len(head) >= 26:
        width, height, depth, colour = struct.unpack(">IIBB", head[16:26])
        mode = _PNG_MODES.get(colour)
        if mode == "L" and depth in (1, 16):
            mode = "1" if depth == 1 else "I;16"
        return _Header(width, height, mode) if mode and width and height else None
    if head.startswith(b"\xff\xd8"):
        return _jpeg_header(head)
    return None


def _jpeg_header(head: bytes) -> _Header | None:
    """Walk the JPEG markers to the start of frame; None if it is not within ``head``."""
    at = 2
    while at + 4 <= len(head):
        if head[at] != 0xFF:
            return None
        marker = head[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            at += 2
            continue
        length = int.from_bytes(head[at + 2 : at + 4], "big")
        if marker in _JPEG_FRAMES:
            if at + 10 > len(head):
                return None
            height, width = struct.unpack(">HH", head[at + 5 : at + 9])
            mode = _JPEG_MODES.get(head[at + 9])
            return _Header(width, height, mode) if mode and width and height else None
        if length < 2:
            return None
        at += 2 + length
    return None


def _memory_for(header: _Header, options: _Options) -> tuple[int, int]:
    """(bytes the decoded image keeps, bytes its decoding holds at its peak): Pillow's image,
    one full-size copy (colour conversion or orientation), the pixels handed over, and for
    16- and 32-bit grey the floating-point arrays that scale it to 8 bits."""
    grey = options.keep_grey and header.mode in _GREY_MODES
    channels = 1 if grey else 3
    if options.resize is not None:
        kept = options.resize[0] * options.resize[1] * channels
    else:
        kept = header.pixels * channels
    decoded = _CORE_BYTES.get(header.mode, 4)
    converted = 1 if grey else 4
    peak = header.pixels * (decoded + max(decoded, converted)) + kept
    if header.mode in _WIDE_GREY_MODES:
        peak += header.pixels * _WIDE_GREY_BYTES
    return kept, peak


def _declared(header: _Header) -> str:
    return f"{header.width:,} x {header.height:,} pixels ({_millions(header.pixels)})"


def _millions(pixels: int) -> str:
    return f"{pixels / 1e6:,.1f} million" if pixels >= 100_000 else f"{pixels:,}"


def _size_problem(header: _Header, options: _Options) -> str | None:
    """Why a file with this header is not decoded at all, or None."""
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and header.pixels > 2 * limit:
        return (
            f"refused as a possible decompression bomb: it declares {_declared(header)}, "
            f"more than twice Pillow's limit of {limit:,}"
        )
    kept, peak = _memory_for(header, options)
    if options.memory is not None and kept + peak > options.memory:
        return (
            f"too big for memory: it declares {_declared(header)}, and decoding it needs "
            f"about {format_size(kept + peak)} of memory; {format_size(options.memory)} is "
            "available"
        )
    return None


def _too_big_alone(headers: Sequence[_Header | str], options: _Options) -> dict[int, str]:
    """Files to skip before decoding, by index: unreadable headers, and files whose own
    decoding cannot fit in memory (or that Pillow would refuse as bombs)."""
    failures: dict[int, str] = {}
    for index, header in enumerate(headers):
        problem = header if isinstance(header, str) else _size_problem(header, options)
        if problem is not None:
            failures[index] = problem
    return failures


def _refuse_if_too_big_together(
    scan: FolderScan,
    headers: Sequence[_Header | str],
    failures: dict[int, str],
    options: _Options,
    workers: int,
) -> None:
    """Refuse the load when the images to decode, plus what the decoders hold at once
    (the largest decodings, one per decoder), need more memory than is available."""
    if options.memory is None:
        return
    todo = [
        (index, header)
        for index, header in enumerate(headers)
        if index not in failures and isinstance(header, _Header)
    ]
    if not todo:
        return
    needs = [_memory_for(header, options) for _, header in todo]
    kept = sum(keep for keep, _ in needs)
    decoders = 1 if len(todo) < _MIN_PARALLEL else min(workers, len(todo))
    decoding = sum(heapq.nlargest(decoders, (peak for _, peak in needs)))
    if kept + decoding <= options.memory:
        return
    pixels = sum(header.pixels for _, header in todo)
    largest = heapq.nlargest(3, todo, key=lambda item: item[1].pixels)
    names = ", ".join(
        f"{_relative_name(scan.path, scan.files[index])} ({header.width:,} x {header.height:,})"
        for index, header in largest
    )
    raise DataError(
        scan.path,
        f"too big for memory: the {_plural(len(todo), 'image')} declare {_millions(pixels)} "
        f"pixels, and loading them needs about {format_size(kept + decoding)} of memory "
        f"({format_size(kept)} for the images, {format_size(decoding)} to decode them); "
        f"{format_size(options.memory)} is available. Largest: {names}. Resize the images "
        "or load fewer",
    )


# -- decoding one file --------------------------------------------------------------------


class _DecodedImage(NamedTuple):
    """One decoded image: its (H, W, C) and its bytes in that C-order layout."""

    shape: tuple[int, int, int]
    data: bytes


def _decode_or_reason(path: str, options: _Options) -> _DecodedImage | str:
    """The file decoded by the module's rules, or why Pillow could not read it."""
    try:
        return _decode(path, options)
    except (DataError, _TooBig) as error:
        return error.problem if isinstance(error, DataError) else str(error)
    except _BAD_FILE_ERRORS as error:
        return _unreadable_reason(path, error)


def _decode(path: str, options: _Options) -> _DecodedImage:
    """The file's first frame, upright, as L or RGB, resized when asked. Only a regular
    file is opened, and its declared size is checked before any pixel is decoded."""
    with open_regular(path) as file, Image.open(file, formats=_formats()) as opened:
        problem = _size_problem(_Header(opened.width, opened.height, opened.mode), options)
        if problem is not None:
            raise _TooBig(problem)
        return _DecodedImage(*upright_pixels(opened, options.keep_grey, options.resize))


def upright_pixels(
    opened: Image.Image, keep_grey: bool, resize: tuple[int, int] | None
) -> tuple[tuple[int, int, int], bytes]:
    """(shape, pixel bytes) of an opened image as the loader gives it: first frame,
    upright (EXIF orientation), L with ``keep_grey`` or else RGB, resized (Lanczos) when
    asked. The ``original`` encoding decodes stored file bytes through this too."""
    opened.load()
    ImageOps.exif_transpose(opened, in_place=True)
    image = _normalised_mode(opened, keep_grey)
    if resize is not None and image.size != resize:
        image = image.resize(resize, Image.Resampling.LANCZOS)
    return _shape_of(image), image.tobytes()


def image_formats() -> tuple[str, ...]:
    """The formats the loader opens (as far as this Pillow build has them)."""
    return _formats()


@lru_cache(maxsize=1)
def _formats() -> tuple[str, ...]:
    """The formats to try, as far as this Pillow build has them (WebP is optional)."""
    Image.init()
    return tuple(name for name in _PILLOW_FORMATS if name in Image.OPEN)


def _normalised_mode(image: Image.Image, keep_grey: bool) -> Image.Image:
    mode = image.mode
    if mode in _WIDE_GREY_MODES:
        image = _wide_grey_to_8_bit(image)
    if keep_grey and mode in _GREY_MODES:
        return image if image.mode == "L" else image.convert("L")
    return image if image.mode == "RGB" else image.convert("RGB")


def _wide_grey_to_8_bit(image: Image.Image) -> Image.Image:
    """16-bit grey scaled to 8 bits (v / 257, rounded); 32-bit integer or float grey as
    16-bit when any value exceeds 255, else as 8-bit; clipped either way."""
    values = np.asarray(image)
    wide = image.mode.startswith("I;16") or float(values.max()) > 255.0
    scaled = values / 257.0 if wide else values.astype(np.float64)
    return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8))


def _shape_of(image: Image.Image) -> tuple[int, int, int]:
    width, height = image.size
    return (height, width, 1 if image.mode == "L" else 3)


def _unreadable_reason(path: str, error: BaseException) -> str:
    """Why a file could not be read, in a few words and without its full path."""
    if isinstance(error, Image.DecompressionBombError):
        return f"refused as a possible decompression bomb: {error}"
    if isinstance(error, UnidentifiedImageError):
        return "empty file (0 bytes)" if _is_empty(path) else _NOT_OUR_FORMAT
    if isinstance(error, OSError) and error.strerror:
        return f"cannot be read: {error.strerror}"
    return f"cannot be decoded: {error}"


def _is_empty(path: str) -> bool:
    try:
        return os.path.getsize(path) == 0
    except OSError:
        return False


# -- decoding many files ------------------------------------------------------------------
#
# Whoever decodes, the pixels go into one memory file (memfd; elsewhere an unlinked
# temporary file) at their final place: image i at i * image bytes when every image has a
# shape known in advance, else right after the readable images before it. The file is then
# mapped as the data set's buffer, so the pixels are copied once, from Pillow into it.


def _decode_all(
    files: Sequence[Path], options: _Options, workers: int, tracker: _Tracker
) -> _Decoded:
    """Decode every file, here, in forked processes or in threads (see the module
    docstring for why), and report progress as files are done."""
    paths = [str(file) for file in files]
    workers = min(workers, len(_chunks(len(paths), workers)))
    with _PixelFile(options.fixed_shape, len(paths)) as pixels:
        if workers == 1 or len(paths) < _MIN_PARALLEL:
            outcomes = _decode_here(paths, options, pixels, tracker)
        elif _can_fork():
            outcomes = _decode_in_processes(paths, options, workers, pixels, tracker)
        else:
            outcomes = _decode_in_threads(paths, options, workers, pixels, tracker)
        decoded = pixels.result(outcomes)
    tracker.finish()
    return decoded


def _chunks(count: int, workers: int) -> list[tuple[int, int]]:
    """(start, stop) of the tasks: about 8 per worker, at most 64 files each."""
    length = max(1, min(_CHUNK_MAX, math.ceil(count / (workers * _CHUNKS_PER_WORKER))))
    return [(start, min(start + length, count)) for start in range(0, count, length)]


def _can_fork() -> bool:
    """Forking is only safe while no other thread runs; workers share a memfd (Linux)."""
    return (
        hasattr(os, "memfd_create")
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


class _PixelFile:
    """The memory file the pixels are written into, and the images it holds at the end."""

    def __init__(self, shape: tuple[int, int, int] | None, count: int) -> None:
        self.shape = shape
        self.image_bytes = None if shape is None else math.prod(shape)
        self.fd = _memory_file()
        self._end = 0  # where the next image goes when written in file order
        if self.image_bytes is not None:
            os.ftruncate(self.fd, count * self.image_bytes)

    def __enter__(self) -> _PixelFile:
        return self

    def __exit__(self, *_: object) -> None:
        os.close(self.fd)  # a mapping made by result() stays valid

    def place(self, index: int, data: bytes) -> None:
        """Write the next readable image, in file order (``index`` counts every file)."""
        if self.image_bytes is not None:
            write_all(self.fd, data, index * self.image_bytes)
        else:
            write_all(self.fd, data, self._end)
            self._end += len(data)

    def result(self, outcomes: Sequence[Outcome]) -> _Decoded:
        """The readable images, mapped from the file, and the reasons for the others."""
        failures = {i: outcome for i, outcome in enumerate(outcomes) if isinstance(outcome, str)}
        shapes = [outcome for outcome in outcomes if not isinstance(outcome, str)]
        if not shapes:
            return _Decoded(None, failures)
        if self.shape is None:
            os.ftruncate(self.fd, sum(math.prod(shape) for shape in shapes))
        flat = np.frombuffer(mmap.mmap(self.fd, os.fstat(self.fd).st_size), dtype=np.uint8)
        if self.shape is not None:
            return _Decoded(_without(flat.reshape(-1, *self.shape), failures), failures)
        return _Decoded(_batch(ImageList(flat, np.asarray(shapes, dtype=np.int64))), failures)


def _memory_file() -> int:
    """A descriptor of an empty file that lives in memory and has no name."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("imgbench-images", os.MFD_CLOEXEC)
    fd, name = tempfile.mkstemp(prefix="imgbench-images-")
    os.unlink(name)
    return fd


def _without(block: _Array, failures: dict[int, str]) -> _Array:
    """The block with the failed images' slots closed up, moved in place (no new array)."""
    if not failures:
        return block
    kept = [i for i in range(len(block)) if i not in failures]
    for position, index in enumerate(kept):
        if position != index:
            block[position] = block[index]
    return block[: len(kept)]


def _batch(images: ImageList) -> ImageBatch:
    """A 4-D array (a view, no copy) when every image has one shape, else the list."""
    return images.to_array() if images.uniform_shape() is not None else images


def _decode_here(
    paths: Sequence[str], options: _Options, pixels: _PixelFile, tracker: _Tracker
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for index, path in enumerate(paths):
        outcomes.append(_placed(index, _decode_or_reason(path, options), pixels))
        tracker.advance(1)
    return outcomes


def _placed(index: int, image: _DecodedImage | str, pixels: _PixelFile) -> Outcome:
    if isinstance(image, str):
        return image
    pixels.place(index, image.data)
    return image.shape


def _decode_in_threads(
    paths: Sequence[str], options: _Options, workers: int, pixels: _PixelFile, tracker: _Tracker
) -> list[Outcome]:
    """Threads decode chunks; this thread writes them in file order and reports progress."""
    outcomes: list[Outcome] = []
    pool = ThreadPoolExecutor(workers, thread_name_prefix="imgbench-folder")
    try:
        tasks: list[tuple[int, Future[list[_DecodedImage | str]]]] = [
            (start, pool.submit(_decode_chunk, paths[start:stop], options))
            for start, stop in _chunks(len(paths), workers)
        ]
        for start, task in tasks:
            images = task.result()
            outcomes.extend(_placed(start + i, image, pixels) for i, image in enumerate(images))
            tracker.advance(len(images))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return outcomes


def _decode_chunk(paths: Sequence[str], options: _Options) -> list[_DecodedImage | str]:
    return [_decode_or_reason(path, options) for path in paths]


def _decode_in_processes(
    paths: Sequence[str], options: _Options, workers: int, pixels: _PixelFile, tracker: _Tracker
) -> list[Outcome]:
    """Forked workers decode chunks and write the pixels into the memory file."""
    chunks = _chunks(len(paths), workers)

    def decode(path: str) -> _DecodedImage | str:
        return _decode_or_reason(path, options)

    return decode_in_processes(
        paths, decode, workers, chunks, pixels.fd, pixels.image_bytes, tracker.advance
    )
