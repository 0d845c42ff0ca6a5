"""The in-memory data set every backend stores and every read is checked against.

Also the few helpers every data loader shares for hostile input: opening only regular
files (a FIFO or a device is never opened for reading), putting a file name into a
one-line message (escaped), and sizes and free memory in words.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np
import numpy.typing as npt

from .errors import DataError
from .images import ImageBatch, ImageList, images_sha256

Source = Literal["cifar10", "cifar100", "synthetic", "folder"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images, labels (N int64), class names and provenance.

    ``images`` is an (N,H,W,C) uint8 C-order array when every image has one shape, and an
    :class:`ImageList` when shapes vary (a folder of the user's own photos).
    ``source_files`` are a folder's image files, one per image (the ``original`` encoding
    stores their bytes); empty for other sources.
    """

    images: ImageBatch
    labels: npt.NDArray[np.int64]
    class_names: tuple[str, ...]
    source: Source
    path: str | None = None
    details: dict[str, object] = field(default_factory=dict)
    source_files: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.images, ImageList):
            self._check_labels()
            self.images.make_read_only()
            self.labels.flags.writeable = False
            return
        if self.images.ndim != 4 or self.images.dtype != np.uint8:
            raise ValueError(
                f"images must be (N,H,W,C) uint8, got {self.images.shape} {self.images.dtype}"
            )
        if not self.images.flags.c_contiguous:
            raise ValueError("images must be C-contiguous")
        self._check_labels()
        # Read-only, so the cached sha256 can never describe pixels that have since changed.
        self.images.flags.writeable = False
        self.labels.flags.writeable = False

    def _check_labels(self) -> None:
        if len(self.images) == 0:
            raise ValueError("a data set holds at least one image")
        if self.labels.shape != (len(self.images),) or self.labels.dtype != np.int64:
            expected = f"({len(self.images)},) int64"
            raise ValueError(
                f"labels must be {expected}, got {self.labels.shape} {self.labels.dtype}"
            )

    def __len__(self) -> int:
        return len(self.images)

    @property
    def varying_shapes(self) -> bool:
        return isinstance(self.images, ImageList)

    @property
    def shape(self) -> tuple[int, int, int] | None:
        """Shape of one image (H, W, C); None when the shapes vary."""
        if isinstance(self.images, ImageList):
            return None
        _, h, w, c = self.images.shape
        return (h, w, c)

    @property
    def pixel_count(self) -> int:
        """Pixels (H x W) over all images."""
        if isinstance(self.images, ImageList):
            return self.images.pixel_count
        n, h, w, _ = self.images.shape
        return int(n * h * w)

    @property
    def nbytes(self) -> int:
        return int(self.images.nbytes)

    @cached_property
    def sha256(self) -> str:
        """Identity of the data: two runs on the same pixels and labels share it."""
        return dataset_sha256(self.images, self.labels)


def dataset_sha256(images: ImageBatch, labels: npt.NDArray[np.integer]) -> str:
    """sha256 over images.tobytes() (C-order) followed by labels as little-endian int64;
    for varying shapes, the shapes as little-endian int64 come between the two."""
    return images_sha256(images, labels)


def tile(dataset: Dataset, count: int) -> Dataset:
    """Repeat (or cut) the data set to exactly ``count`` images (the classic study: 50k to 100k)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    n = len(dataset)
    if count == n:
        return dataset
    index = np.arange(count) % n
    details = {**dataset.details, "tiled_from": n}
    return Dataset(
        images=dataset.images[index],
        labels=dataset.labels[index],
        class_names=dataset.class_names,
        source=dataset.source,
        path=dataset.path,
        details=details,
        source_files=tuple(dataset.source_files[i] for i in index.tolist())
        if dataset.source_files
        else (),
    )


# -- sizes in messages --------------------------------------------------------------------


def format_size(size: float) -> str:
    """A byte count in decimal units, as disks and memory are sold: "3.07 GB", "512 B"."""
    if size < 1000:
        return f"{size:.0f} B"
    for unit in ("kB", "MB", "GB", "TB"):
        size /= 1000
        if size < 999.5 or unit == "TB":
            digits = 2 if size < 9.995 else 1 if size < 99.95 else 0
            return f"{size:.{digits}f} {unit}"
    raise AssertionError("unreachable")


# -- opening files that are files ---------------------------------------------------------


def file_kind(mode: int) -> str:
    """What a stat mode describes, for messages: "a FIFO (named pipe)", "a folder"..."""
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def special_file_problem(mode: int) -> str:
    """Why a FIFO, device or socket is refused (reading one can block for ever or never end)."""
    return f"is {file_kind(mode)}, not a regular file: refused, never read"


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a regular file for reading; anything else is refused before it is opened.

    The path is checked with ``os.stat`` first, then opened with ``O_NONBLOCK`` (so a FIFO
    swapped in meanwhile cannot block the open) and checked again on the descriptor.
    Raises DataError for a FIFO, device or socket, OSError when the file cannot be read.
    """
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise DataError(Path(path), special_file_problem(mode))
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise DataError(Path(path), special_file_problem(mode))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# -- memory -------------------------------------------------------------------------------


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (what can be used without swapping); None elsewhere."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None
