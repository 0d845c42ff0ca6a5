"""The one interface every storage backend implements, and what they share.

A store lives in a folder of its own. It is written once, into a fresh folder, either
all at once (``store_many``) or one image per call (``store_one``, then ``close``), and
only then read. Ids are positions: image ``i`` is the ``i``-th image stored.

Durability is one rule for all backends, so no comparison pits a syncing store against
a lazy one: when a store call returns, its data has been handed to the operating system
(``durable=False``) or is on stable storage (``durable=True``: fsync of every file it
wrote and of the folder when it created a file).

A store is *complete* only once a small marker file is written after all its data; a
store whose writing failed (disk full, say) never gets one, and reading it is refused.

Images of one shape are stored in each backend's uniform layout. Images whose shapes vary
(a folder of photos) get a layout that keeps every shape exactly: ``store_many`` chooses it
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
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Literal, TypeVar

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

State = Literal["new", "appending", "complete"]
T = TypeVar("T")


class Backend(ABC):
    """Stores and reads (image, label) pairs in one folder; subclasses own the format."""

    name: ClassVar[str]
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
        self._image_shape: tuple[int, ...] | None = None
        #: Whether the store being written or read has the varying-shape layout.
        self._varying = varying_shapes

    # -- writing -----------------------------------------------------------------------

    def store_many(self, images: StoreImages, labels: Labels) -> None:
        """Write a whole batch into a fresh store, as one unit of work.

        The backend's ``_write_many`` gets an (N,H,W,C) array for the uniform layout or an
        :class:`ImageList` for the varying one.
        """
        batch, labels = _checked_batch(images, labels)
        if self.varying_shapes and not isinstance(batch, ImageList):
            batch = ImageList.from_uniform(batch)
        self._varying = isinstance(batch, ImageList)
        self._start_fresh_store()
        try:
            self._write_many(batch, labels)
        except self.io_errors as error:
            raise self._failed_write(error) from error
        self._mark_complete(len(batch))

    def store_one(self, image_id: int, image: Images, label: int) -> None:
        """Append one image; ``image_id`` must be the next position (0, 1, 2, ...)."""
        image = _checked_image(image)
        if self._state == "complete":
            raise StoreError(self.location, "the store is complete; write into a fresh folder")
        if image_id != self._appended:
            raise ValueError(f"ids are positions: expected id {self._appended}, got {image_id}")
        if self._state == "new":
            self._start_fresh_store()
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

    # -- reading -----------------------------------------------------------------------

    def read_one(self, image_id: int) -> tuple[Images, int]:
        """Read one image and its label by id."""
        count = self._readable_count()
        if not 0 <= image_id < count:
            raise IndexError(f"id {image_id} is not in the store (0..{count - 1})")
        return self._guarded_read(lambda: self._read_one(image_id))

    def read_many(
        self, n: int | None = None, ids: Sequence[int] | npt.NDArray[np.integer] | None = None
    ) -> tuple[ReadImages, Labels]:
        """Read the first ``n`` images (all when both are None), or the given ``ids`` in order.

        Images come as one (N,H,W,C) array, or as a list of arrays from a varying store.
        """
        count = self._readable_count()
        if ids is not None:
            if n is not None:
                raise ValueError("give either n or ids, not both")
            id_array = np.asarray(ids, dtype=np.int64).reshape(-1)
            if id_array.size and (id_array.min() < 0 or id_array.max() >= count):
                raise IndexError(f"ids must lie in 0..{count - 1}")
            return self._guarded_read(lambda: self._read_ids(id_array))
        wanted = count if n is None else n
        if not 0 <= wanted <= count:
            raise IndexError(f"cannot read {wanted} images from a store of {count}")
        return self._guarded_read(lambda: self._read_first(wanted))

    # -- housekeeping ------------------------------------------------------------------

    @abstractmethod
    def files(self) -> list[Path]:
        """The files that hold the store's data (what its disk usage is made of)."""

    def close(self) -> None:
        """Finish an append session (writing the completion marker) and release handles."""
        if self._state == "appending":
            try:
                self._finish_append()
            except self.io_errors as error:
                raise self._failed_write(error) from error
            self._mark_complete(self._appended)
        self._close_readers()

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
    def _write_many(self, images: Images | ImageList, labels: Labels) -> None:
        """An (N,H,W,C) array: the uniform layout; an ImageList: the varying one."""

    @abstractmethod
    def _append(self, image_id: int, image: Images, label: int) -> None: ...

    @abstractmethod
    def _finish_append(self) -> None:
        """Close the writer of an append session, synced when durable."""

    @abstractmethod
    def _read_one(self, image_id: int) -> tuple[Images, int]: ...

    @abstractmethod
    def _read_first(self, n: int) -> tuple[ReadImages, Labels]: ...

    @abstractmethod
    def _read_ids(self, ids: npt.NDArray[np.int64]) -> tuple[ReadImages, Labels]: ...

    @abstractmethod
    def _close_readers(self) -> None: ...

    @abstractmethod
    def _close_writers_quietly(self) -> None:
        """Release writer handles after a failure (without writing anything more)."""

    # -- shared machinery --------------------------------------------------------------

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

    def _readable_count(self) -> int:
        if self._state == "appending":
            raise StoreError(self.location, "still being written; close() it before reading")
        try:
            record = json.loads(self.marker_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StoreError(
                self.location, "incomplete store: its writing never finished (no completion marker)"
            ) from None
        except (OSError, ValueError) as error:
            raise StoreError(self.marker_path, f"unreadable completion marker: {error}") from error
        if record.get("backend") != self.name:
            raise StoreError(
                self.location, f"holds a {record.get('backend')} store, not {self.name}"
            )
        self._varying = record.get("shapes") == "varying"
        return int(record["count"])

    def _guarded_read(self, read: Callable[[], T]) -> T:
        try:
            return read()
        except self.io_errors as error:
            raise StoreError(self.location, f"read failed: {_reason(error)}") from error

    def _failed_write(self, error: BaseException) -> StoreError:
        """Remove what the failed write left behind and say why it failed."""
        self._close_quietly()
        for path in self.files():
            path.unlink(missing_ok=True)
        (self.location / (MARKER_NAME + ".tmp")).unlink(missing_ok=True)
        self._state = "new"
        self._appended = 0
        return StoreError(
            self.location, f"write failed: {_reason(error)}; the partial store was removed"
        )

    def _close_quietly(self) -> None:
        for close in (self._close_writers_quietly, self._close_readers):
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
