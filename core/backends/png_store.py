"""``png``: one PNG file per image (Pillow) and the labels in one CSV file.

With ``workers > 1`` the encoding and decoding run in that many processes, which
read and write the pixels through one shared-memory block instead of pickling them.

A durable ``write_many`` writes every file first and then makes them all durable at once
with one ``syncfs(2)`` of their file system, then an fsync of the folder. For 100,000
CIFAR images (ext4; /tmp and /work are the same file system here) the sync took 0.03-0.44 s
with syncfs and 2.7-4.8 s as an fsync of each file from 16 threads (medians of 3,
tests/perf/test_png_sync_perf.py); the fsync of each file as it was written, as before,
cost 33-46 s. Forked workers fsyncing their own files cost as much (32-46 s summed). (Here
the kernel had written most data back during the 20-90 s of writing; what is left, syncfs
flushes in one pass, the threads in 100,000 calls.) syncfs also flushes whatever other
processes left dirty on that file system, so on a machine where others write, that lands
in the timed write too; it reports write-back errors since Linux 5.8. Where there is no
syncfs, the threads fsync every file. ``store_one`` stays durable per call: it fsyncs its
file.
"""

from __future__ import annotations

import ctypes
import functools
import mmap
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from ..images import ImageList, offsets_of
from ..lifeline import worker_start
from .base import Backend, Images, Labels, Progress, ReadImages, progress_chunks, sync_path
from .option_words import is_whole, shown

LABELS_FILE = "labels.csv"
LABELS_HEADER = "id,label\n"
SHAPED_HEADER = "id,label,height,width,channels\n"
Shapes = npt.NDArray[np.int64]
#: Chunks per worker: enough to balance uneven decode times, few enough to stay cheap.
CHUNKS_PER_WORKER = 8
#: Threads that fsync a batch's files where there is no syncfs.
SYNC_THREADS = 16
#: The most worker processes per usable core: beyond a few, more only wait for each other.
WORKERS_PER_CORE = 4


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity on this platform
        return max(1, os.cpu_count() or 1)


def max_workers() -> int:
    """The most worker processes a png store may start on this machine."""
    return WORKERS_PER_CORE * usable_cores()


def check_options(options: Mapping[str, Any], **_context: Any) -> list[str]:
    """What is wrong with these png options, one short line each; empty when they are
    fine. Names png does not take are the registry's to refuse, not this function's."""
    found = []
    level = options.get("compress_level")
    if level is not None and not (is_whole(level) and 0 <= level <= 9):
        found.append(f"png compress_level must be a whole number from 0 to 9, not {shown(level)}")
    if "workers" in options:
        workers, most = options["workers"], max_workers()
        if not (is_whole(workers) and 1 <= workers <= most):
            cores = usable_cores()
            found.append(
                f"png workers must be a whole number from 1 to {most} ({WORKERS_PER_CORE} per "
                f"core, {cores} core{'s' if cores != 1 else ''} here), not {shown(workers)}"
            )
    return found


def image_name(image_id: int) -> str:
    """Zero-padded so that a sorted listing is numeric order."""
    return f"{image_id:010d}.png"


class PngBackend(Backend):
    """One ``.png`` per image plus ``labels.csv``; options: compress level and workers.

    A varying-shape store lists each image's shape in the CSV as well, so a parallel read
    can size its result before any file is decoded.
    """

    name = "png"

    def __init__(
        self,
        location: Path | str,
        *,
        durable: bool = True,
        varying_shapes: bool = False,
        compress_level: int | None = None,
        workers: int = 1,
    ) -> None:
        super().__init__(location, durable=durable, varying_shapes=varying_shapes)
        found = check_options({"compress_level": compress_level, "workers": workers})
        if found:
            raise ValueError("; ".join(found))
        self._compress_level = compress_level
        self._workers = workers
        self._label_writer: IO[str] | None = None
        #: The open reader's image shapes, listed by the CSV of a varying-shape store.
        self._shapes: Shapes | None = None

    def files(self) -> list[Path]:
        if not self.location.is_dir():
            return []
        return sorted(p for p in self.location.iterdir() if p.suffix == ".png") + [
            p for p in [self.location / LABELS_FILE] if p.exists()
        ]

    # -- writing -----------------------------------------------------------------------

    def _write_many(self, images: Images | ImageList, labels: Labels, report: Progress) -> None:
        """Every file written first, then all synced at once when durable (see above)."""
        folder, level = str(self.location), self._compress_level
        if self._workers == 1:
            for start, stop in progress_chunks(len(images)):
                _encode_images(folder, images[start:stop], start, level)
                report(stop)
        elif _fork_is_safe():
            tasks = [(a, b, folder, level) for a, b in _chunks(len(images), self._workers)]
            _run_forked(self._workers, _encode_inherited_range, tasks, report, images=images)
        else:
            flat = images if isinstance(images, ImageList) else ImageList.from_uniform(images)
            with _SharedImages.copy_of(flat.data) as shared:
                tasks_by_name = [
                    (
                        _encode_shared_range,
                        shared.name,
                        *_chunk_layout(flat, a, b),
                        a,
                        folder,
                        level,
                    )
                    for a, b in _chunks(len(images), self._workers)
                ]
                with _pool(self._workers) as pool:
                    _count_finished(pool.imap_unordered(_call, tasks_by_name), report)
        shapes = images.shapes if isinstance(images, ImageList) else None
        with open(self.location / LABELS_FILE, "w", encoding="ascii") as handle:
            handle.write(_labels_csv(labels, shapes))
        if self.durable:
            sync_written_files(self.location, len(images))
        self._sync_folder()

    def _append(self, image_id: int, image: Images, label: int) -> None:
        if self._label_writer is None:
            self._label_writer = open(self.location / LABELS_FILE, "w", encoding="ascii")  # noqa: SIM115
            self._label_writer.write(SHAPED_HEADER if self._varying else LABELS_HEADER)
        _encode_one(self.location / image_name(image_id), image, self._compress_level, self.durable)
        shape = "".join(f",{side}" for side in image.shape) if self._varying else ""
        self._label_writer.write(f"{image_id},{label}{shape}\n")
        self._sync_file(self._label_writer)
        self._sync_folder()

    def _finish_append(self) -> None:
        if self._label_writer is not None:
            self._label_writer.close()
            self._label_writer = None

    def _close_writers_quietly(self) -> None:
        self._finish_append()

    # -- reading -----------------------------------------------------------------------

    def _open_reader(self) -> None:
        """The CSV is read once per reader; row i must be id i."""
        labels, self._shapes = _parse_labels_csv((self.location / LABELS_FILE).read_text("ascii"))
        if self._varying and self._shapes is None:
            raise OSError(0, f"{LABELS_FILE} of a varying-shape store lists no shapes")
        self._labels = labels

    def _read_one(self, image_id: int) -> tuple[Images, int]:
        return _decode(self.location / image_name(image_id)), self._labels.item(image_id)

    def _read_first(self, n: int, report: Progress) -> tuple[ReadImages, Labels]:
        return self._read_ids(np.arange(n, dtype=np.int64), report)

    def _read_ids(self, ids: npt.NDArray[np.int64], report: Progress) -> tuple[ReadImages, Labels]:
        labels = self._labels[ids]
        paths = [str(self.location / image_name(i)) for i in ids.tolist()]
        if self._shapes is not None:
            return self._read_varying(paths, self._shapes[ids], report), labels
        if len(ids) == 0:
            return np.empty((0, 0, 0, 0), dtype=np.uint8), labels
        first = _decode(Path(paths[0]))  # its shape sizes the result; it is not decoded again
        shape = (len(paths), *first.shape)
        if self._serial(len(paths)):
            images = np.empty(shape, dtype=np.uint8)
            images[0] = first
            for start, stop in progress_chunks(len(paths) - 1):
                _decode_into(images[1 + start : 1 + stop], paths[1 + start : 1 + stop])
                report(1 + stop)
            return images, labels
        shapes = np.tile(np.array(first.shape, dtype=np.int64), (len(paths), 1))
        return self._decode_parallel(paths, shapes, report, first).data.reshape(shape), labels

    def _read_varying(self, paths: list[str], shapes: Shapes, report: Progress) -> list[Images]:
        """Each image at the shape the CSV lists (a file that differs is an error)."""
        if not self._serial(len(paths)):
            return list(self._decode_parallel(paths, shapes, report))
        images: list[Images] = []
        for start, stop in progress_chunks(len(paths)):
            pairs = zip(paths[start:stop], shapes[start:stop].tolist(), strict=True)
            images.extend(_decode_as(Path(path), shape) for path, shape in pairs)
            report(stop)
        return images

    def _serial(self, count: int) -> bool:
        return self._workers == 1 or count < 2 * self._workers

    def _decode_parallel(
        self, paths: list[str], shapes: Shapes, report: Progress, first: Images | None = None
    ) -> ImageList:
        """Workers decode straight into one shared buffer that becomes the result."""
        offsets = offsets_of(shapes)
        total = int(offsets[-1])
        done = 0 if first is None else 1
        chunks = [(a + done, b + done) for a, b in _chunks(len(paths) - done, self._workers)]
        if _fork_is_safe():
            flat = np.frombuffer(mmap.mmap(-1, max(1, total)), dtype=np.uint8)[:total]
            out = ImageList(flat, shapes, offsets)
            target: Images | ImageList = out
            if first is not None:  # one shape: workers index a plain (N,H,W,C) view, cheaper
                target = flat.reshape(len(paths), *first.shape)
                target[0] = first
            tasks = [(a, paths[a:b]) for a, b in chunks]
            _run_forked(self._workers, _decode_inherited_range, tasks, report, done, out=target)
            return out
        with _SharedImages.empty(total) as shared:
            out = ImageList(shared.array, shapes, offsets)
            if first is not None:
                out[0][...] = first
            tasks_by_name = [
                (_decode_shared_range, shared.name, *_chunk_layout(out, a, b), paths[a:b])
                for a, b in chunks
            ]
            with _pool(self._workers) as pool:
                _count_finished(pool.imap_unordered(_call, tasks_by_name), report, done)
            return ImageList(shared.array.copy(), shapes, offsets)

    def _close_readers(self) -> None:
        self._shapes = None


# -- durability of a batch ---------------------------------------------------------------


def sync_written_files(folder: Path, count: int) -> None:
    """Put the ``count`` images and the labels file of a batch on stable storage at once."""
    if not sync_file_system(folder):
        sync_files([folder / image_name(i) for i in range(count)] + [folder / LABELS_FILE])


def sync_file_system(folder: Path) -> bool:
    """syncfs(2) of the file system holding ``folder``; False where there is no syncfs."""
    syncfs = _libc_syncfs()
    if syncfs is None:
        return False
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        if syncfs(descriptor) != 0:
            number = ctypes.get_errno()
            raise OSError(number, os.strerror(number), str(folder))
    finally:
        os.close(descriptor)
    return True


@functools.cache
def _libc_syncfs() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    syncfs.argtypes = [ctypes.c_int]
    syncfs.restype = ctypes.c_int
    return syncfs


def sync_files(paths: Sequence[Path]) -> None:
    """fsync every file from SYNC_THREADS threads, so that their waits for the disk
    overlap (fsync releases the GIL)."""
    with ThreadPoolExecutor(SYNC_THREADS) as pool:
        for _ in pool.map(_sync_each, [paths[i::SYNC_THREADS] for i in range(SYNC_THREADS)]):
            pass


def _sync_each(paths: Sequence[Path]) -> None:
    for path in paths:
        sync_path(path)


# -- the labels file ----------------------------------------------------------------------


def _labels_csv(labels: Labels, shapes: Shapes | None) -> str:
    """``id,label`` per image, plus ``height,width,channels`` in a varying-shape store."""
    if shapes is None:
        rows = (f"{i},{label}\n" for i, label in enumerate(labels.tolist()))
        return LABELS_HEADER + "".join(rows)
    rows = (
        f"{i},{label},{h},{w},{c}\n"
        for i, (label, (h, w, c)) in enumerate(zip(labels.tolist(), shapes.tolist(), strict=True))
    )
    return SHAPED_HEADER + "".join(rows)


def _parse_labels_csv(text: str) -> tuple[Labels, Shapes | None]:
    """Labels, and shapes when the CSV lists them; ids must run 0..N-1 in order."""
    if text.startswith(SHAPED_HEADER):
        header, columns = SHAPED_HEADER, 5
    elif text.startswith(LABELS_HEADER):
        header, columns = LABELS_HEADER, 2
    else:
        raise OSError(0, f"{LABELS_FILE} does not start with {LABELS_HEADER.strip()!r}")
    body = text[len(header) :].replace(",", " ").split()
    if len(body) % columns:
        raise OSError(0, f"{LABELS_FILE} has a row with a missing value")
    table = np.array(body, dtype=np.int64).reshape(-1, columns)
    if not np.array_equal(table[:, 0], np.arange(len(table))):
        raise OSError(0, f"{LABELS_FILE} does not list ids 0..N-1 in order")
    labels = np.ascontiguousarray(table[:, 1])
    return labels, (np.ascontiguousarray(table[:, 2:]) if columns == 5 else None)


# -- the work itself, shared by the parent and the worker processes ---------------------


def _encode_one(path: Path, image: Images, compress_level: int | None, durable: bool) -> None:
    options = {} if compress_level is None else {"compress_level": compress_level}
    with open(path, "wb") as handle:
        Image.fromarray(_as_pillow_array(image)).save(handle, format="PNG", **options)
        handle.flush()
        if durable:
            os.fsync(handle.fileno())


def _encode_images(
    folder: str, images: Images | ImageList, first_id: int, compress_level: int | None
) -> int:
    """Image j of ``images`` becomes file ``first_id + j``, not yet synced; returns how many."""
    for offset, image in enumerate(images):
        _encode_one(Path(folder) / image_name(first_id + offset), image, compress_level, False)
    return len(images)


def _decode(path: Path) -> Images:
    with Image.open(path) as image:
        if image.format != "PNG":
            raise OSError(0, f"{path.name} is not a PNG file")
        pixels = np.asarray(image)
    return pixels.reshape(*pixels.shape[:2], -1) if pixels.ndim == 2 else pixels


def _decode_as(path: Path, shape: Sequence[int]) -> Images:
    pixels = _decode(path)
    if pixels.shape != tuple(shape):
        raise OSError(0, f"{path.name} is {pixels.shape}, the store lists {tuple(shape)}")
    return pixels


def _decode_into(out: Images | ImageList, paths: Sequence[str]) -> int:
    """Decode path j into ``out[j]``, which must already have that image's shape."""
    for offset, path in enumerate(paths):
        target = out[offset]
        target[...] = _decode_as(Path(path), target.shape)
    return len(paths)


def _as_pillow_array(image: Images) -> Images:
    """Pillow wants (H,W) for one channel; (H,W,3) and (H,W,4) as they are."""
    channels = image.shape[2]
    if channels == 1:
        return image[:, :, 0]
    if channels in (3, 4):
        return image
    raise ValueError(f"PNG holds 1, 3 or 4 channels, not {channels}")


def _chunk_layout(images: ImageList, start: int, stop: int) -> tuple[int, Shapes, int, int]:
    """What a worker needs to find images start..stop in shared memory."""
    offsets = images.offsets
    return images.nbytes, images.shapes[start:stop], int(offsets[start]), int(offsets[stop])


def _shared_chunk(
    shared: _SharedImages, shapes: Shapes, data_start: int, data_stop: int
) -> ImageList:
    return ImageList(shared.array[data_start:data_stop], shapes)


def _encode_shared_range(
    name: str,
    size: int,
    shapes: Shapes,
    data_start: int,
    data_stop: int,
    first_id: int,
    folder: str,
    compress_level: int | None,
) -> int:
    with _SharedImages.attach(name, size) as shared:
        chunk = _shared_chunk(shared, shapes, data_start, data_stop)
        return _encode_images(folder, chunk, first_id, compress_level)


def _decode_shared_range(
    name: str, size: int, shapes: Shapes, data_start: int, data_stop: int, paths: list[str]
) -> int:
    with _SharedImages.attach(name, size) as shared:
        return _decode_into(_shared_chunk(shared, shapes, data_start, data_stop), paths)


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
    workers: int,
    function: Callable[..., int],
    tasks: list[tuple[Any, ...]],
    report: Progress,
    done: int = 0,
    **inherited: Any,
) -> None:
    _INHERITED.update(inherited)
    try:
        with multiprocessing.get_context("fork").Pool(workers, worker_start) as pool:
            finished = pool.imap_unordered(_call, [(function, *task) for task in tasks])
            _count_finished(finished, report, done)
    finally:
        _INHERITED.clear()


def _call(task: tuple[Any, ...]) -> int:
    """Run one worker task, ``(function, *arguments)``; returns the images it handled."""
    function, *arguments = task
    result: int = function(*arguments)
    return result


def _count_finished(counts: Iterable[int], report: Progress, done: int = 0) -> None:
    """Report the running total as each worker chunk finishes (and re-raise its error)."""
    for count in counts:
        done += count
        report(done)


def _encode_inherited_range(start: int, stop: int, folder: str, compress_level: int | None) -> int:
    images = _INHERITED["images"][start:stop]
    return _encode_images(folder, images, start, compress_level)


def _decode_inherited_range(start: int, paths: list[str]) -> int:
    return _decode_into(_INHERITED["out"][start : start + len(paths)], paths)


def _pool(workers: int) -> Any:
    """The fallback pool when fork is unsafe: forkserver where there is one, else spawn.
    Those workers reach the pixels through named shared memory."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return context.Pool(workers, worker_start)


class _SharedImages:
    """A flat uint8 buffer in shared memory; the creator unlinks it, attachers only close."""

    def __init__(self, memory: SharedMemory, size: int, owner: bool) -> None:
        self._memory = memory
        self._owner = owner
        self.array: Images = np.ndarray((size,), dtype=np.uint8, buffer=memory.buf)

    @property
    def name(self) -> str:
        return self._memory.name

    @classmethod
    def empty(cls, size: int) -> _SharedImages:
        return cls(SharedMemory(create=True, size=max(1, size)), size, owner=True)

    @classmethod
    def copy_of(cls, data: Images) -> _SharedImages:
        shared = cls.empty(data.size)
        shared.array[...] = data
        return shared

    @classmethod
    def attach(cls, name: str, size: int) -> _SharedImages:
        # Workers share the creator's resource tracker (fork, forkserver and spawn alike),
        # so a plain attach is right: registering a name twice is harmless there.
        return cls(SharedMemory(name=name), size, owner=False)

    def __enter__(self) -> _SharedImages:
        return self

    def __exit__(self, *_: object) -> None:
        del self.array
        self._memory.close()
        if self._owner:
            self._memory.unlink()
