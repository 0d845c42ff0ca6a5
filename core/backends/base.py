"""The one interface every storage backend implements, and what they share.

A store lives in a folder of its own. It is written once, into a fresh folder, and only
then read. Ids are positions: image ``i`` is the ``i``-th image stored.

Writing is split into steps so that a benchmark can time the data work alone:
``prepare`` (the fresh folder and a write probe), then the data -- ``write_many`` for a
whole batch, or ``store_one`` per image and ``finish`` -- and last ``seal``, which writes
the completion marker. ``store_many`` (prepare, write_many, seal) and ``close`` (finish and
seal an append session) do it all for library users.

Durability is one rule for all backends, so no comparison pits a syncing store against
a lazy one: when a data step returns, its data has been handed to the operating system
(``durable=False``) or is on stable storage (``durable=True``: its files synced, and the
folder when it created a file).

A store is *complete* only once the marker is written after all its data; a store whose
writing failed (disk full, say) or was never sealed has none, and reading it is refused.

Reading starts with ``open_reader`` (implicit on the first read): the marker is checked
and the labels loaded once, and the files a read needs are opened, so ``read_one`` does
nothing but read.

Images of one shape are stored in each backend's uniform layout. Images whose shapes vary
(a folder of photos) get a layout that keeps every shape exactly: ``write_many`` chooses it
when given an :class:`ImageList` or a list of arrays, ``store_one`` when the backend was
opened with ``varying_shapes=True``. The marker records which layout a store has, and
``read_many`` of a varying store returns a list of arrays instead of one array.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt

from ..errors import StoreError
from ..images import ImageList

Images = npt.NDArray[np.uint8]
Labels = npt.NDArray[np.int64]
#: What read_many returns: one (N,H,W,C) array, or a list of (H,W,C) arrays when shapes vary.
ReadImages = npt.NDArray[np.uint8] | list[npt.NDArray[np.uint8]]
#: What store_many takes: an (N,H,W,C) array, an ImageList, or a sequence of (H,W,C) arrays.
StoreImages = npt.NDArray[np.uint8] | ImageList | Sequence[npt.NDArray[np.uint8]]

MARKER_NAME = "imgbench-store.json"
MARKER_FORMAT = 1
#: Long operations report progress about this many times, never once per image.
PROGRESS_STEPS = 50

State = Literal["new", "prepared", "appending", "written", "complete"]
#: Called with the number of images done so far.
Progress = Callable[[int], None]

#: Why a folder that is no longer fresh cannot take a new store, by state.
_NOT_FRESH = {
    "appending": "is being written one image at a time",
    "written": "is written",
    "complete": "is complete",
}


class Backend(ABC):
    """Stores and reads (image, label) pairs in one folder; subclasses own the format."""

    #: The store's name (a class attribute of the classic stores; an encoded store sets
    #: it per instance, as ``container+encoding``); the marker records it.
    name: str
    #: Exceptions of the underlying library that mean "the write or read failed".
    io_errors: ClassVar[tuple[type[BaseException], ...]] = (OSError,)

    def __init__(
        self, location: Path | str, *, durable: bool = True, varying_shapes: bool = False
    ) -> None:
        self.location = Path(location)
        self.durable = durable
        self.varying_shapes = varying_shapes
        self._state: State = "complete" if self.marker_path.exists() else "new"
        self._appended = 0
        self._written = 0
        self._image_shape: tuple[int, ...] | None = None
        #: Whether the store being written or read has the varying-shape layout.
        self._varying = varying_shapes
        #: Images in the store of the open reader; None while no reader is open.
        self._count: int | None = None
        #: The open reader's labels (read_one takes ``.item(i)``: a list would be faster
        #: per call, but building it costs 2-3 ms per 100,000 labels at every open).
        self._labels: Labels = np.empty(0, dtype=np.int64)

    # -- writing -----------------------------------------------------------------------

    def prepare(self) -> None:
        """Create the fresh folder and check it takes files: bookkeeping, not data work."""
        if self._state == "prepared":
            return
        if self._state != "new":
            raise StoreError(self.location, self._not_fresh())
        self._start_fresh_store()
        self._state = "prepared"

    def write_many(
        self, images: StoreImages, labels: Labels, progress: Progress | None = None
    ) -> None:
        """Write a whole batch (synced when durable) but no marker: ``seal`` completes it.

        The backend's ``_write_many`` gets an (N,H,W,C) array for the uniform layout or an
        :class:`ImageList` for the varying one. ``progress`` hears the images written so
        far, a few dozen times at most, last with N.
        """
        batch, labels = _checked_batch(images, labels)
        if self.varying_shapes and not isinstance(batch, ImageList):
            batch = ImageList.from_uniform(batch)
        self.prepare()
        self._varying = isinstance(batch, ImageList)
        try:
            self._write_many(batch, labels, _reporter(progress, len(batch)))
        except self.io_errors as error:
            raise self._failed_write(error) from error
        self._written = len(batch)
        self._state = "written"
        if progress is not None:
            progress(len(batch))

    def store_many(
        self, images: StoreImages, labels: Labels, progress: Progress | None = None
    ) -> None:
        """Write a whole batch into a fresh store and mark it complete."""
        self.write_many(images, labels, progress)
        self.seal()

    def store_one(self, image_id: int, image: Images, label: int) -> None:
        """Append one image; ``image_id`` must be the next position (0, 1, 2, ...)."""
        image = _checked_image(image)
        if self._state in ("written", "complete"):
            raise StoreError(self.location, self._not_fresh())
        if image_id != self._appended:
            raise ValueError(f"ids are positions: expected id {self._appended}, got {image_id}")
        if self._state != "appending":
            self.prepare()
            self._image_shape = image.shape
            self._state = "appending"
        elif image.shape != self._image_shape and not self.varying_shapes:
            raise ValueError(
                f"image shape {image.shape} differs from {self._image_shape} "
                "(open the store with varying_shapes=True to keep each shape)"
            )
        try:
            self._append(image_id, image, int(label))
        except self.io_errors as error:
            raise self._failed_write(error) from error
        self._appended += 1

    def finish(self) -> None:
        """End an append session: the writer closed, synced when durable; no marker."""
        if self._state != "appending":
            return
        try:
            self._finish_append()
        except self.io_errors as error:
            raise self._failed_write(error) from error
        self._written = self._appended
        self._state = "written"

    def seal(self) -> None:
        """Write the completion marker after the data: bookkeeping, not data work."""
        if self._state == "complete":
            return
        if self._state != "written":
            raise StoreError(
                self.location, "nothing to seal: write_many, or store_one and finish, first"
            )
        self._mark_complete(self._written)

    # -- reading -----------------------------------------------------------------------

    def open_reader(self) -> Backend:
        """Get reading ready once: the marker checked, the labels loaded, files opened."""
        if self._count is None:
            self._open()
        return self

    def read_one(self, image_id: int) -> tuple[Images, int]:
        """Read one image and its label by id (the image may be read-only)."""
        count = self._count
        if count is None:
            count = self._open()
        if not 0 <= image_id < count:
            raise IndexError(f"id {image_id} is not in the store (0..{count - 1})")
        try:
            return self._read_one(image_id)
        except self.io_errors as error:
            raise self._failed_read(error) from error

    def read_many(
        self,
        n: int | None = None,
        ids: Sequence[int] | npt.NDArray[np.integer] | None = None,
        progress: Progress | None = None,
    ) -> tuple[ReadImages, Labels]:
        """Read the first ``n`` images (all when both are None), or the given ``ids`` in order.

        Images come as one (N,H,W,C) array, or as a list of arrays from a varying store.
        ``progress`` hears the images read so far, a few dozen times at most, last with N.
        """
        count = self._count
        if count is None:
            count = self._open()
        if ids is not None:
            if n is not None:
                raise ValueError("give either n or ids, not both")
            id_array = np.asarray(ids, dtype=np.int64).reshape(-1)
            if id_array.size and (id_array.min() < 0 or id_array.max() >= count):
                raise IndexError(f"ids must lie in 0..{count - 1}")
            total = len(id_array)
            read = partial(self._read_ids, id_array)
        else:
            total = count if n is None else n
            if not 0 <= total <= count:
                raise IndexError(f"cannot read {total} images from a store of {count}")
            read = partial(self._read_first, total)
        try:
            result = read(_reporter(progress, total))
        except self.io_errors as error:
            raise self._failed_read(error) from error
        if progress is not None:
            progress(total)
        return result

    # -- housekeeping ------------------------------------------------------------------

    @abstractmethod
    def files(self) -> list[Path]:
        """The files that hold the store's data (what its disk usage is made of)."""

    def close(self) -> None:
        """Finish and seal an append session, and release every handle."""
        if self._state == "appending":
            self.finish()
            self.seal()
        self._release_reader()

    def __enter__(self) -> Backend:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self._close_quietly()

    @property
    def marker_path(self) -> Path:
        return self.location / MARKER_NAME

    # -- what each backend implements --------------------------------------------------

    @abstractmethod
    def _write_many(self, images: Images | ImageList, labels: Labels, report: Progress) -> None:
        """An (N,H,W,C) array: the uniform layout; an ImageList: the varying one. Synced
        when durable; ``report`` may be given counts as the writing goes on."""

    @abstractmethod
    def _append(self, image_id: int, image: Images, label: int) -> None: ...

    @abstractmethod
    def _finish_append(self) -> None:
        """Close the writer of an append session, synced when durable."""

    @abstractmethod
    def _open_reader(self) -> None:
        """Load the labels and open what reads need; ``self._varying`` is already set."""

    @abstractmethod
    def _read_one(self, image_id: int) -> tuple[Images, int]: ...

    @abstractmethod
    def _read_first(self, n: int, report: Progress) -> tuple[ReadImages, Labels]: ...

    @abstractmethod
    def _read_ids(
        self, ids: npt.NDArray[np.int64], report: Progress
    ) -> tuple[ReadImages, Labels]: ...

    @abstractmethod
    def _close_readers(self) -> None: ...

    @abstractmethod
    def _close_writers_quietly(self) -> None:
        """Release writer handles after a failure (without writing anything more)."""

    # -- shared machinery --------------------------------------------------------------

    def _release_reader(self) -> None:
        """Close the reader's handles and forget what it loaded."""
        self._close_readers()
        self._count = None
        self._labels = np.empty(0, dtype=np.int64)

    def _not_fresh(self) -> str:
        return f"the store {_NOT_FRESH.get(self._state, 'exists')}; write into a fresh folder"

    def _start_fresh_store(self) -> None:
        try:
            self.location.mkdir(parents=True, exist_ok=True)
            leftovers = [p.name for p in self.location.iterdir()]
        except OSError as error:
            reason = f"cannot create the store folder: {_reason(error)}"
            raise StoreError(self.location, reason) from error
        if leftovers:
            raise StoreError(self.location, "not empty; a store is written into a fresh folder")
        probe = self.location / ".imgbench-write-test"
        try:
            probe.touch()
            probe.unlink()
        except OSError as error:
            raise StoreError(self.location, f"cannot write here: {_reason(error)}") from error

    def _mark_complete(self, count: int) -> None:
        """Write the marker last: its presence means every image before it is stored."""
        record = {
            "format": MARKER_FORMAT,
            "backend": self.name,
            "count": count,
            "shapes": "varying" if self._varying else "fixed",
        }
        temporary = self.location / (MARKER_NAME + ".tmp")
        try:
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(record, handle)
                self._sync_file(handle)
            os.replace(temporary, self.marker_path)
            self._sync_folder()
        except OSError as error:
            raise self._failed_write(error) from error
        self._state = "complete"

    def _open(self) -> int:
        """Open the reader and return the store's image count."""
        count = self._marker_count()
        try:
            self._open_reader()
        except self.io_errors as error:
            with contextlib.suppress(Exception):  # the error being handled is the one to report
                self._release_reader()
            raise self._failed_read(error) from error
        self._count = count
        return count

    def _marker_count(self) -> int:
        """The image count the completion marker records (and the layout, into _varying)."""
        if self._state == "appending":
            raise StoreError(self.location, "still being written; close() it before reading")
        try:
            record = read_marker(self.marker_path)
        except FileNotFoundError:
            why = "never sealed" if self._state == "written" else "its writing never finished"
            raise StoreError(
                self.location, f"incomplete store: {why} (no completion marker)"
            ) from None
        except (OSError, ValueError) as error:
            raise StoreError(self.marker_path, f"unreadable completion marker: {error}") from error
        if record.get("backend") != self.name:
            raise StoreError(
                self.location, f"holds a {record.get('backend')} store, not {self.name}"
            )
        self._varying = record.get("shapes") == "varying"
        return int(record["count"])

    def _failed_read(self, error: BaseException) -> StoreError:
        return StoreError(self.location, f"read failed: {_reason(error)}")

    def _failed_write(self, error: BaseException) -> StoreError:
        """Remove what the failed write left behind and say why it failed."""
        self._close_quietly()
        for path in self.files():
            path.unlink(missing_ok=True)
        (self.location / (MARKER_NAME + ".tmp")).unlink(missing_ok=True)
        self._state = "new"
        self._appended = self._written = 0
        return StoreError(
            self.location, f"write failed: {_reason(error)}; the partial store was removed"
        )

    def _close_quietly(self) -> None:
        for close in (self._close_writers_quietly, self._release_reader):
            with contextlib.suppress(Exception):  # the error being handled is the one to report
                close()

    def _sync_file(self, handle: Any) -> None:
        """Flush Python's buffer to the OS; fsync too when durable."""
        handle.flush()
        if self.durable:
            os.fsync(handle.fileno())

    def _sync_folder(self) -> None:
        """Make new directory entries durable (a created file is lost without it)."""
        if self.durable:
            sync_path(self.location)


def remove_store(location: Path) -> None:
    """Delete a store folder and all in it, fast; a symlink in it is removed, never followed.

    An unlink mostly waits for the file system to free the file's blocks, and threads
    overlap those waits: a folder of 100,000 PNG files went in 2.9-6.6 s with 64 threads,
    against 10.6-19.0 s with ``shutil.rmtree`` and 9.2-12.3 s with ``rm -rf`` (ext4, medians
    of 3 in three runs; tests/perf/test_store_removal_perf.py); nothing is left for a later
    sync to do. A ``location`` that is a symlink is refused.
    """
    try:
        descriptor = os.open(location, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return
    try:
        _empty_folder(descriptor)
    finally:
        os.close(descriptor)
    os.rmdir(location)


#: Threads that unlink a large folder's files (4: 5.0 s, 16: 3.4-3.7 s, 64: 2.9 s, 256:
#: 3.7 s for 100,000), and from how many files they pay (100 files: 11 ms in one thread,
#: 14 ms in 64; 1,000: 100 ms against 71 ms).
REMOVE_THREADS = 64
THREADED_REMOVAL_FROM = 1_000


def _empty_folder(descriptor: int) -> None:
    with os.scandir(descriptor) as entries:
        listed = sorted((e.inode(), e.is_dir(follow_symlinks=False), e.name) for e in entries)
    files = [name for _, is_folder, name in listed if not is_folder]
    if len(files) < THREADED_REMOVAL_FROM:
        _unlink_each(descriptor, files)
    else:
        step = -(-len(files) // REMOVE_THREADS)
        with ThreadPoolExecutor(REMOVE_THREADS) as pool:
            pieces = [files[start : start + step] for start in range(0, len(files), step)]
            for _ in pool.map(partial(_unlink_each, descriptor), pieces):
                pass  # re-raises the first error
    for _, is_folder, name in listed:
        if is_folder:
            inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=descriptor)
            try:
                _empty_folder(inner)
            finally:
                os.close(inner)
            os.rmdir(name, dir_fd=descriptor)


def _unlink_each(descriptor: int, names: list[str]) -> None:
    for name in names:
        os.unlink(name, dir_fd=descriptor)


def read_marker(path: Path) -> dict[str, Any]:
    """The completion marker's record (a reader reads it once, when it opens)."""
    record = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    return record


def progress_chunks(total: int) -> list[tuple[int, int]]:
    """(start, stop) ranges covering 0..total in at most PROGRESS_STEPS pieces."""
    step = max(1, -(-total // PROGRESS_STEPS))
    return [(start, min(start + step, total)) for start in range(0, total, step)]


def ignore_progress(done: int) -> None:
    """The reporter when nobody listens."""


def _reporter(progress: Progress | None, total: int) -> Progress:
    """Pass on counts that grow and stay below ``total``; the caller reports ``total`` last,
    once the work (and its sync) is done. A retried step never makes progress go back."""
    if progress is None:
        return ignore_progress
    reported = 0

    def report(done: int) -> None:
        nonlocal reported
        if reported < done < total:
            reported = done
            progress(done)

    return report


def sync_path(path: Path) -> None:
    """fsync a file or a folder by path."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _reason(error: BaseException) -> str:
    """One line that says what went wrong, whichever library raised it."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = str(error)
    library_message = re.search(r"error message = '([^']+)'", text)  # HDF5 quotes strerror
    if library_message:
        return library_message.group(1)
    return text.splitlines()[0] if text else type(error).__name__


def _checked_image(image: Images) -> Images:
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3:
        raise ValueError(f"an image is (H,W,C) uint8, got {array.shape} {array.dtype}")
    return np.ascontiguousarray(array)


def _checked_batch(images: StoreImages, labels: Labels) -> tuple[Images | ImageList, Labels]:
    """An (N,H,W,C) array stays one; anything else becomes an ImageList (varying layout)."""
    image_array: Images | ImageList
    if isinstance(images, np.ndarray):
        if images.dtype != np.uint8 or images.ndim != 4:
            raise ValueError(f"images are (N,H,W,C) uint8, got {images.shape} {images.dtype}")
        image_array = np.ascontiguousarray(images)
    elif isinstance(images, ImageList):
        image_array = images
    else:
        image_array = ImageList.from_arrays(images)
    label_array = np.asarray(labels)
    if label_array.shape != (len(image_array),) or not np.issubdtype(label_array.dtype, np.integer):
        raise ValueError(f"labels are ({len(image_array)},) integers, got {label_array.shape}")
    if len(image_array) == 0:
        raise ValueError("a store holds at least one image")
    return image_array, label_array.astype(np.int64, copy=False)


def image_bytes(shape: Sequence[int]) -> int:
    """Bytes of one uint8 image of this shape."""
    return int(np.prod(shape))
