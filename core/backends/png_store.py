"""``png``: one PNG file per image (Pillow) and the labels in one CSV file.

With ``workers > 1`` the encoding and decoding run in that many processes, which
read and write the pixels through one shared-memory block instead of pickling them.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from .base import Backend, Images, Labels

LABELS_FILE = "labels.csv"
LABELS_HEADER = "id,label\n"
#: Chunks per worker: enough to balance uneven decode times, few enough to stay cheap.
CHUNKS_PER_WORKER = 8


def image_name(image_id: int) -> str:
    """Zero-padded so that a sorted listing is numeric order."""
    return f"{image_id:010d}.png"


class PngBackend(Backend):
    """One ``.png`` per image plus ``labels.csv``; options: compress level and workers."""

    name = "png"

    def __init__(
        self,
        location: Path | str,
        *,
        durable: bool = True,
        compress_level: int | None = None,
        workers: int = 1,
    ) -> None:
        super().__init__(location, durable=durable)
        if compress_level is not None and not 0 <= compress_level <= 9:
            raise ValueError("compress_level must be 0..9 (None: Pillow's default)")
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._compress_level = compress_level
        self._workers = workers
        self._label_writer: IO[str] | None = None
        self._labels: Labels | None = None

    def files(self) -> list[Path]:
        if not self.location.is_dir():
            return []
        return sorted(p for p in self.location.iterdir() if p.suffix == ".png") + [
            p for p in [self.location / LABELS_FILE] if p.exists()
        ]

    # -- writing -----------------------------------------------------------------------

    def _write_many(self, images: Images, labels: Labels) -> None:
        folder = str(self.location)
        level, durable = self._compress_level, self.durable
        if self._workers == 1:
            _encode_range(folder, images, 0, len(images), level, durable)
        elif _fork_is_safe():
            tasks = [(a, b, folder, level, durable) for a, b in _chunks(len(images), self._workers)]
            _run_forked(self._workers, _encode_inherited_range, tasks, images=images)
        else:
            with _SharedImages.copy_of(images) as shared:
                tasks_by_name = [
                    (shared.name, images.shape, a, b, folder, level, durable)
                    for a, b in _chunks(len(images), self._workers)
                ]
                with _pool(self._workers) as pool:
                    pool.starmap(_encode_shared_range, tasks_by_name)
        with open(self.location / LABELS_FILE, "w", encoding="ascii") as handle:
            handle.write(LABELS_HEADER)
            handle.writelines(f"{i},{label}\n" for i, label in enumerate(labels.tolist()))
            self._sync_file(handle)
        self._sync_folder()

    def _append(self, image_id: int, image: Images, label: int) -> None:
        if self._label_writer is None:
            self._label_writer = open(self.location / LABELS_FILE, "w", encoding="ascii")  # noqa: SIM115
            self._label_writer.write(LABELS_HEADER)
        _encode_one(self.location / image_name(image_id), image, self._compress_level, self.durable)
        self._label_writer.write(f"{image_id},{label}\n")
        self._sync_file(self._label_writer)
        self._sync_folder()

    def _finish_append(self) -> None:
        if self._label_writer is not None:
            self._label_writer.close()
            self._label_writer = None

    def _close_writers_quietly(self) -> None:
        self._finish_append()

    # -- reading -----------------------------------------------------------------------

    def _label_table(self) -> Labels:
        """The CSV is read once per reader; row i must be id i."""
        if self._labels is None:
            text = (self.location / LABELS_FILE).read_text(encoding="ascii")
            if not text.startswith(LABELS_HEADER):
                raise OSError(0, f"{LABELS_FILE} does not start with {LABELS_HEADER.strip()!r}")
            body = text[len(LABELS_HEADER) :].replace(",", " ").split()
            table = np.array(body, dtype=np.int64).reshape(-1, 2)
            if not np.array_equal(table[:, 0], np.arange(len(table))):
                raise OSError(0, f"{LABELS_FILE} does not list ids 0..N-1 in order")
            self._labels = np.ascontiguousarray(table[:, 1])
        return self._labels

    def _read_one(self, image_id: int) -> tuple[Images, int]:
        label = int(self._label_table()[image_id])
        return _decode(self.location / image_name(image_id)), label

    def _read_first(self, n: int) -> tuple[Images, Labels]:
        return self._read_ids(np.arange(n, dtype=np.int64))

    def _read_ids(self, ids: npt.NDArray[np.int64]) -> tuple[Images, Labels]:
        labels = self._label_table()[ids]
        if len(ids) == 0:
            return np.empty((0, 0, 0, 0), dtype=np.uint8), labels
        paths = [str(self.location / image_name(i)) for i in ids.tolist()]
        first = _decode(Path(paths[0]))  # its shape sizes the result; it is not decoded again
        shape = (len(paths), *first.shape)
        if self._workers == 1 or len(paths) < 2 * self._workers:
            images = np.empty(shape, dtype=np.uint8)
            images[0] = first
            _decode_into(images, paths[1:], 1)
            return images, labels
        rest = [(a + 1, b + 1) for a, b in _chunks(len(paths) - 1, self._workers)]
        if _fork_is_safe():
            # Workers write straight into an anonymous shared mapping that becomes the result.
            images = np.frombuffer(mmap.mmap(-1, int(np.prod(shape))), dtype=np.uint8)
            images = images.reshape(shape)
            images[0] = first
            tasks = [(a, paths[a:b]) for a, b in rest]
            _run_forked(self._workers, _decode_inherited_range, tasks, out=images)
            return images, labels
        with _SharedImages.empty(shape) as shared:
            shared.array[0] = first
            tasks_by_name = [(shared.name, shape, a, paths[a:b]) for a, b in rest]
            with _pool(self._workers) as pool:
                pool.starmap(_decode_shared_range, tasks_by_name)
            return shared.array.copy(), labels

    def _close_readers(self) -> None:
        self._labels = None


# -- the work itself, shared by the parent and the worker processes ---------------------


def _encode_one(path: Path, image: Images, compress_level: int | None, durable: bool) -> None:
    options = {} if compress_level is None else {"compress_level": compress_level}
    with open(path, "wb") as handle:
        Image.fromarray(_as_pillow_array(image)).save(handle, format="PNG", **options)
        handle.flush()
        if durable:
            os.fsync(handle.fileno())


def _encode_range(
    folder: str, images: Images, start: int, stop: int, compress_level: int | None, durable: bool
) -> None:
    for i in range(start, stop):
        _encode_one(Path(folder) / image_name(i), images[i], compress_level, durable)


def _decode(path: Path) -> Images:
    with Image.open(path) as image:
        if image.format != "PNG":
            raise OSError(0, f"{path.name} is not a PNG file")
        pixels = np.asarray(image)
    return pixels.reshape(*pixels.shape[:2], -1) if pixels.ndim == 2 else pixels


def _decode_into(out: Images, paths: Sequence[str], start: int) -> None:
    expected = out.shape[1:]
    for offset, path in enumerate(paths):
        pixels = _decode(Path(path))
        if pixels.shape != expected:
            raise OSError(0, f"{Path(path).name} is {pixels.shape}, the store holds {expected}")
        out[start + offset] = pixels


def _as_pillow_array(image: Images) -> Images:
    """Pillow wants (H,W) for one channel; (H,W,3) and (H,W,4) as they are."""
    channels = image.shape[2]
    if channels == 1:
        return image[:, :, 0]
    if channels in (3, 4):
        return image
    raise ValueError(f"PNG holds 1, 3 or 4 channels, not {channels}")


def _encode_shared_range(
    name: str,
    shape: tuple[int, ...],
    start: int,
    stop: int,
    folder: str,
    compress_level: int | None,
    durable: bool,
) -> None:
    with _SharedImages.attach(name, shape) as shared:
        _encode_range(folder, shared.array, start, stop, compress_level, durable)


def _decode_shared_range(name: str, shape: tuple[int, ...], start: int, paths: list[str]) -> None:
    with _SharedImages.attach(name, shape) as shared:
        _decode_into(shared.array, paths, start)


def _chunks(count: int, workers: int) -> Iterator[tuple[int, int]]:
    pieces = min(count, workers * CHUNKS_PER_WORKER)
    edges = np.linspace(0, count, pieces + 1).astype(int)
    return zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True)


#: What forked workers inherit instead of receiving it pickled; set just before forking.
_INHERITED: dict[str, Any] = {}


def _fork_is_safe() -> bool:
    """fork is the cheapest start (workers inherit the arrays), but only safe while this
    process runs a single thread -- true in the benchmark's own child process."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _run_forked(
    workers: int, function: Any, tasks: list[tuple[Any, ...]], **inherited: Any
) -> None:
    _INHERITED.update(inherited)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pool.starmap(function, tasks)
    finally:
        _INHERITED.clear()


def _encode_inherited_range(
    start: int, stop: int, folder: str, compress_level: int | None, durable: bool
) -> None:
    _encode_range(folder, _INHERITED["images"], start, stop, compress_level, durable)


def _decode_inherited_range(start: int, paths: list[str]) -> None:
    _decode_into(_INHERITED["out"], paths, start)


def _pool(workers: int) -> Any:
    """The fallback pool when fork is unsafe: forkserver where there is one, else spawn.
    Those workers reach the pixels through named shared memory."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn").Pool(
        workers
    )


class _SharedImages:
    """A uint8 array in shared memory; the creator unlinks it, attachers only close."""

    def __init__(self, memory: SharedMemory, shape: tuple[int, ...], owner: bool) -> None:
        self._memory = memory
        self._owner = owner
        self.array: Images = np.ndarray(shape, dtype=np.uint8, buffer=memory.buf)

    @property
    def name(self) -> str:
        return self._memory.name

    @classmethod
    def empty(cls, shape: tuple[int, ...]) -> _SharedImages:
        size = max(1, int(np.prod(shape)))
        return cls(SharedMemory(create=True, size=size), shape, owner=True)

    @classmethod
    def copy_of(cls, images: Images) -> _SharedImages:
        shared = cls.empty(images.shape)
        shared.array[...] = images
        return shared

    @classmethod
    def attach(cls, name: str, shape: tuple[int, ...]) -> _SharedImages:
        # Workers share the creator's resource tracker (fork, forkserver and spawn alike),
        # so a plain attach is right: registering a name twice is harmless there.
        return cls(SharedMemory(name=name), shape, owner=False)

    def __enter__(self) -> _SharedImages:
        return self

    def __exit__(self, *_: object) -> None:
        del self.array
        self._memory.close()
        if self._owner:
            self._memory.unlink()
