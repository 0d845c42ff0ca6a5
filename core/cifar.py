"""Load CIFAR-10 / CIFAR-100 ("python version") from the folder or the downloaded .tar.gz.

The archive is read in memory, never extracted, and refused as a whole if any
member could escape its folder (absolute path, ``..``, links, devices). Batches are
unpickled with :mod:`imgbench.core.safe_pickle`, then checked for the shapes a CIFAR
batch has, so a wrong file fails with a message naming it instead of a traceback.

Nothing is opened that is not a regular file (a FIFO blocks, a device never ends), and
nothing big is made before its size is checked: the batch files' sizes against the memory
the load needs before any is unpickled, the images a batch claims against the bytes its
file holds, and the class names' count and length before any is decoded (a pickle can
refer to one big string thousands of times).
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Final, Literal

import numpy as np
import numpy.typing as npt

from .dataset import (
    Dataset,
    available_memory_bytes,
    format_size,
    open_regular,
    special_file_problem,
)
from .errors import DataError, UnsafeDataError
from .one_line import printable
from .safe_pickle import load_restricted

Kind = Literal["cifar10", "cifar100"]

SIDE: Final = 32
PIXELS: Final = SIDE * SIDE
ROW_BYTES: Final = 3 * PIXELS
#: Far above the largest real member (CIFAR-100 ``train``, about 155 MB); bounds a gzip bomb.
_MAX_MEMBER_BYTES: Final = 1 << 30
_MAX_LISTED: Final = 8
_GZIP_MAGIC: Final = b"\x1f\x8b"
#: Class names: far more than CIFAR-100's 100, far longer than any of its names.
_MAX_CLASSES: Final = 100_000
_MAX_NAME_BYTES: Final = 1_000
#: A meta file is read even to check a path (by the front end itself): the real ones
#: are a few hundred bytes to a few kB.
_MAX_META_BYTES: Final = 16_000_000
#: Far more than a CIFAR batch's 10,000; bounds ``num_cases_per_batch`` in messages.
_MAX_CASES_PER_BATCH: Final = 1 << 31


@dataclass(frozen=True)
class _Layout:
    """File names and pickle keys of one CIFAR variant."""

    kind: Kind
    title: str
    folder: str
    meta: str
    train: tuple[str, ...]
    test: str
    labels_key: bytes
    names_key: bytes
    official_train_images: int
    official_test_images: int

    @property
    def required(self) -> tuple[str, ...]:
        """Files a usable copy must have (the test batch is optional)."""
        return (self.meta, *self.train)

    def expected(self) -> str:
        """The required files, for messages."""
        train = self.train[0] if len(self.train) == 1 else f"{self.train[0]}..{self.train[-1]}"
        return f"{self.meta} and {train}"

    def loaded(self, name: str, include_test: bool) -> bool:
        """Whether :func:`load_cifar` reads this file."""
        return name in self.required or (include_test and name == self.test)


#: Which files of a layout to read from an archive while scanning it.
_Wanted = Callable[[_Layout, str], bool]


CIFAR10: Final = _Layout(
    kind="cifar10",
    title="CIFAR-10",
    folder="cifar-10-batches-py",
    meta="batches.meta",
    train=tuple(f"data_batch_{i}" for i in range(1, 6)),
    test="test_batch",
    labels_key=b"labels",
    names_key=b"label_names",
    official_train_images=50_000,
    official_test_images=10_000,
)
CIFAR100: Final = _Layout(
    kind="cifar100",
    title="CIFAR-100",
    folder="cifar-100-python",
    meta="meta",
    train=("train",),
    test="test",
    labels_key=b"fine_labels",
    names_key=b"fine_label_names",
    official_train_images=50_000,
    official_test_images=10_000,
)
_LAYOUT_BY_FOLDER: Final = {CIFAR10.folder: CIFAR10, CIFAR100.folder: CIFAR100}
_EXPECTED_ANYTHING: Final = (
    f"expected the {CIFAR10.folder} folder ({CIFAR10.expected()}) "
    f"or the {CIFAR100.folder} folder ({CIFAR100.expected()}), "
    "or the cifar-10-python.tar.gz / cifar-100-python.tar.gz archive"
)


@dataclass(frozen=True)
class CifarInfo:
    """What a CIFAR path holds, found without unpickling any data batch."""

    kind: Kind
    path: str
    archive: bool
    train_batches: tuple[str, ...]
    has_test: bool
    #: CIFAR-10: from ``batches.meta``; CIFAR-100: the official count (its meta records none).
    expected_images: int
    expected_test_images: int
    class_names: tuple[str, ...]


@dataclass(frozen=True)
class _Found:
    """A complete-enough CIFAR copy: its layout, the files present and how to open them."""

    layout: _Layout
    names: frozenset[str]
    base: Path  # files are named base / name in messages
    archive: bool
    opener: Callable[[str], IO[bytes]]

    def open(self, name: str) -> IO[bytes]:
        return self.opener(name)

    def unpickle(self, name: str, what: str, max_bytes: int | None = None) -> object:
        """Unpickle one file with the restricted unpickler."""
        return self.unpickle_sized(name, what, max_bytes)[0]

    def unpickle_sized(
        self, name: str, what: str, max_bytes: int | None = None
    ) -> tuple[object, int]:
        """Unpickle one file with the restricted unpickler (refused unread when it is larger
        than ``max_bytes``); also give the file's size."""
        with self.open(name) as stream:
            size = _stream_size(stream)
            if max_bytes is not None and size > max_bytes:
                raise DataError(
                    self.base / name,
                    f"refused: {what} is a few kB, this file is {format_size(size)} "
                    f"({size:,} bytes)",
                )
            return load_restricted(stream, self.base / name, what), size


# --------------------------------------------------------------------------- public API


def _source_bytes(found: _Found, path: Path, names: Sequence[str]) -> int | None:
    """What the data takes on disk as it came: the archive, or the batch files read."""
    try:
        if found.archive:
            return path.stat().st_size
        return sum((found.base / name).stat().st_size for name in names)
    except OSError:
        return None


def load_cifar(path: Path | str, *, include_test: bool = False) -> Dataset:
    """Load the train batches (and the test batch when asked) as one Dataset."""
    found = _locate(Path(path), wanted=lambda layout, name: layout.loaded(name, include_test))
    layout = found.layout
    meta = _read_meta(found)
    class_names = _class_names(meta, layout.names_key, found.base / layout.meta)
    names = list(layout.train)
    if include_test:
        _require(found, [layout.test], why="include_test asks for the test batch")
        names.append(layout.test)
    _check_memory_for_files(found, names)
    batches = [_read_batch(found, name, len(class_names)) for name in names]
    rows = [batch_rows for batch_rows, _ in batches]
    labels = [batch_labels for _, batch_labels in batches]
    test_count = len(labels[-1]) if include_test else 0
    _check_memory_for_images(found, sum(len(part) for part in rows))
    return Dataset(
        images=decode_rows(rows),
        labels=np.concatenate(labels),
        class_names=class_names,
        source=layout.kind,
        path=str(path),
        details={
            "batches": names,
            "archive": found.archive,
            "include_test": include_test,
            "train_images": sum(len(part) for part in labels) - test_count,
            "test_images": test_count,
            "source_bytes": _source_bytes(found, Path(path), names),
            **_meta_details(found, meta),
        },
    )


def inspect_cifar(path: Path | str) -> CifarInfo:
    """Check the layout and read only the small meta file: cheap enough for live validation.

    An archive still has to be decompressed once to list its members.
    """
    found = _locate(Path(path), wanted=lambda layout, name: name == layout.meta)
    layout = found.layout
    meta = _read_meta(found)
    class_names = _class_names(meta, layout.names_key, found.base / layout.meta)
    per_batch = _cases_per_batch(meta) if layout is CIFAR10 else 0
    has_test = layout.test in found.names
    if per_batch:
        train_images, test_images = per_batch * len(layout.train), per_batch
    else:
        train_images, test_images = layout.official_train_images, layout.official_test_images
    return CifarInfo(
        kind=layout.kind,
        path=str(path),
        archive=found.archive,
        train_batches=layout.train,
        has_test=has_test,
        expected_images=train_images,
        expected_test_images=test_images if has_test else 0,
        class_names=class_names,
    )


def decode_rows(batches: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.uint8]:
    """(N, 3072) planar rows (1024 R, 1024 G, 1024 B) -> (N, 32, 32, 3) C-order images.

    Same result as ``np.concatenate(batches).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)``
    made contiguous, but each colour plane is copied straight into its interleaved slot of one
    preallocated array: a single copy, about twice as fast as numpy's generic 4-D transpose.
    """
    total = sum(len(rows) for rows in batches)
    out = np.empty((total, PIXELS, 3), dtype=np.uint8)
    start = 0
    for rows in batches:
        stop = start + len(rows)
        planes = rows.reshape(len(rows), 3, PIXELS)
        for channel in range(3):
            out[start:stop, :, channel] = planes[:, channel]
        start = stop
    return out.reshape(total, SIDE, SIDE, 3)


# --------------------------------------------------------------------------- locating files


def looks_like_cifar_folder(folder: Path) -> bool:
    """Whether a folder holds a CIFAR file name or a CIFAR folder (so its problems are CIFAR
    problems, and CIFAR's messages say what is missing or where to point instead)."""
    try:
        files, folders = _list_folder(folder)
    except DataError:
        return False
    has_cifar_folder = any(name in _LAYOUT_BY_FOLDER for name in folders)
    return has_cifar_folder or _layout_from_files(files) is not None


def _locate(path: Path, *, wanted: _Wanted) -> _Found:
    """Find the CIFAR files at ``path`` (folder or archive) and check none is missing."""
    mode = _mode_of(path)
    if stat.S_ISDIR(mode):
        found = _find_in_folder(path)
    elif stat.S_ISREG(mode):
        found = _find_in_archive(path, wanted=wanted)
    else:
        raise DataError(path, f"{special_file_problem(mode)}; {_EXPECTED_ANYTHING}")
    _require(found, found.layout.required, why=f"a {found.layout.title} copy needs them")
    if not found.archive:
        _refuse_special_files(found)
    return found


def _mode_of(path: Path) -> int:
    """The stat mode of what ``path`` names, links followed; DataError when there is none."""
    try:
        return os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise DataError(path, f"does not exist; {_EXPECTED_ANYTHING}") from None
    except OSError as exc:
        raise DataError(path, f"cannot be read: {exc.strerror or exc}") from None


def _refuse_special_files(found: _Found) -> None:
    """Refuse a FIFO, device or socket named like a CIFAR file before anything opens it."""
    layout = found.layout
    for name in (*layout.required, layout.test):
        if name in found.names:
            file = found.base / name
            mode = _mode_of(file)
            if not stat.S_ISREG(mode):
                raise DataError(file, special_file_problem(mode))


def _find_in_folder(folder: Path) -> _Found:
    files, folders = _list_folder(folder)
    layout = _layout_from_files(files)
    if layout is None:
        raise DataError(folder, _no_cifar_here(files, folders))
    return _Found(
        layout=layout,
        names=frozenset(files),
        base=folder,
        archive=False,
        opener=lambda name: _open_file(folder / name),
    )


def _list_folder(folder: Path) -> tuple[list[str], list[str]]:
    """Names of the files and of the sub-folders in ``folder`` (anything that is not a
    folder counts as a file: a link loop or a FIFO is reported when it is needed)."""
    try:
        with os.scandir(folder) as entries:
            listing = [(entry.name, _is_folder(entry)) for entry in entries]
    except OSError as exc:
        raise DataError(folder, f"cannot list the folder: {exc.strerror or exc}") from None
    files = sorted(name for name, is_dir in listing if not is_dir)
    folders = sorted(name for name, is_dir in listing if is_dir)
    return files, folders


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a link loop (ELOOP), a vanished entry
        return False


def _layout_from_files(files: Iterable[str]) -> _Layout | None:
    """CIFAR-10 if any of its file names is present, else CIFAR-100 likewise, else None."""
    names = set(files)
    if names & {CIFAR10.meta, CIFAR10.test, *CIFAR10.train} or any(
        name.startswith("data_batch_") for name in names
    ):
        return CIFAR10
    if names & {CIFAR100.meta, *CIFAR100.train}:
        return CIFAR100
    return None


def _no_cifar_here(files: Sequence[str], folders: Sequence[str]) -> str:
    """Explain a folder with no CIFAR files, pointing at a CIFAR sub-folder when there is one."""
    inner = [name for name in folders if name in _LAYOUT_BY_FOLDER]
    if inner:
        return f"no CIFAR files here, but it holds {inner[0]}/: point to that folder instead"
    if not files and not folders:
        return f"empty folder; {_EXPECTED_ANYTHING}"
    return f"no CIFAR files here; {_EXPECTED_ANYTHING}; found {_list_names([*files, *folders])}"


def _open_file(file: Path) -> IO[bytes]:
    """Open a regular file; a FIFO or device is refused, never opened for reading."""
    try:
        return open_regular(file)
    except OSError as exc:
        raise DataError(file, f"cannot read: {exc.strerror or exc}") from None


def _stream_size(stream: IO[bytes]) -> int:
    """Bytes in an opened file or an in-memory member."""
    if isinstance(stream, io.BytesIO):
        return len(stream.getbuffer())
    return os.fstat(stream.fileno()).st_size


def _require(found: _Found, names: Iterable[str], *, why: str) -> None:
    """Raise naming what is missing, what was expected and what is there."""
    missing = [name for name in names if name not in found.names]
    if missing:
        layout = found.layout
        raise DataError(
            found.base,
            f"incomplete {layout.title} data: missing {', '.join(missing)} ({why}); "
            f"expected {layout.expected()}; found {_list_names(sorted(found.names))}",
        )


def _list_names(names: Sequence[str]) -> str:
    if not names:
        return "nothing"
    shown = ", ".join(printable(name) for name in names[:_MAX_LISTED])
    more = len(names) - _MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown


# --------------------------------------------------------------------------- archives


def _find_in_archive(archive: Path, *, wanted: _Wanted) -> _Found:
    """Scan the whole archive (refusing unsafe members) and keep the wanted files in memory."""
    listing, contents = _scan_archive(archive, wanted=wanted)
    tops = [top for top in listing if top in _LAYOUT_BY_FOLDER]
    if len(tops) != 1:
        which = "both" if tops else "neither"
        raise DataError(
            archive,
            f"expected one top folder, {CIFAR10.folder}/ or {CIFAR100.folder}/, inside the "
            f"archive, but it holds {which}; found {_list_names(sorted(listing))}",
        )
    top = tops[0]
    layout = _LAYOUT_BY_FOLDER[top]
    return _Found(
        layout=layout,
        names=frozenset(listing[top]),
        base=archive / top,
        archive=True,
        opener=lambda name: io.BytesIO(contents.pop(name)),
    )


def _scan_archive(
    archive: Path, *, wanted: _Wanted
) -> tuple[dict[str, set[str]], dict[str, bytes]]:
    """List files per top folder and read the wanted ones, in one streaming pass."""
    listing: dict[str, set[str]] = {}
    contents: dict[str, bytes] = {}
    raw = _open_file(archive)
    try:
        with raw:
            stream = _tar_bytes(raw)
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    _refuse_unsafe(archive, member)
                    parts = _member_parts(member.name)
                    if member.isdir() or not parts:
                        continue
                    top, rest = parts[0], "/".join(parts[1:])
                    listing.setdefault(top, set()).add(rest or top)
                    layout = _LAYOUT_BY_FOLDER.get(top)
                    if layout is not None and wanted(layout, rest):
                        contents[rest] = _read_member(archive, tar, member)
            _read_to_the_end(stream)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise DataError(archive, f"corrupt or truncated archive: {detail}") from None
    return listing, contents


def _tar_bytes(raw: IO[bytes]) -> gzip.GzipFile | IO[bytes]:
    """The uncompressed tar stream. gzip is undone by the gzip module, which checks the
    end-of-stream marker and CRC; tarfile's own gzip reader would take a download cut at a
    member boundary for a shorter, valid archive."""
    magic = raw.read(2)
    raw.seek(0)
    return gzip.GzipFile(fileobj=raw, mode="rb") if magic == _GZIP_MAGIC else raw


def _read_to_the_end(stream: gzip.GzipFile | IO[bytes]) -> None:
    """Read the padding after the tar end marker so gzip verifies its trailer."""
    while stream.read(1 << 20):
        pass


def _member_parts(name: str) -> list[str]:
    return [part for part in PurePosixPath(name).parts if part not in ("", ".")]


def _refuse_unsafe(archive: Path, member: tarfile.TarInfo) -> None:
    """Refuse the whole archive if a member could point or write outside its folder."""
    problem = _unsafe_reason(member)
    if problem is not None:
        raise UnsafeDataError(
            archive,
            f"refused: member {_member_name(member)} {problem}; a CIFAR archive holds only "
            "plain files "
            "in one folder, so nothing in this archive is read",
        )


def _unsafe_reason(member: tarfile.TarInfo) -> str | None:
    name = member.name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[0].isalpha() and name[1] == ":"):
        return "has an absolute path"
    if ".." in name.split("/"):
        return "has '..' in its path"
    if member.issym():
        return f"is a symbolic link (to {printable(repr(member.linkname))})"
    if member.islnk():
        return f"is a hard link (to {printable(repr(member.linkname))})"
    if not (member.isfile() or member.isdir()):
        return "is a device, pipe or other special file"
    return None


def _read_member(archive: Path, tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    name = _member_name(member)
    if member.size > _MAX_MEMBER_BYTES:
        raise DataError(
            archive,
            f"refused: member {name} is {member.size:,} bytes, far more than any CIFAR file",
        )
    available = available_memory_bytes()
    if available is not None and member.size > available:
        raise DataError(
            archive,
            f"refused: member {name} is {format_size(member.size)}, and reading it needs that "
            f"much memory; {format_size(available)} is available",
        )
    stream = tar.extractfile(member)
    if stream is None:  # only regular files reach here; keeps mypy and the impossible honest
        raise DataError(archive, f"cannot read member {name}")
    data = stream.read()
    if len(data) != member.size:
        raise DataError(archive, f"corrupt or truncated archive: member {name} is short")
    return data


def _member_name(member: tarfile.TarInfo) -> str:
    return printable(repr(member.name))


# --------------------------------------------------------------------------- meta and batches


def _read_meta(found: _Found) -> dict[bytes, object]:
    """The unpickled meta file (small: class names and, for CIFAR-10, the batch size)."""
    layout = found.layout
    file = found.base / layout.meta
    meta = found.unpickle(layout.meta, "a CIFAR meta file", max_bytes=_MAX_META_BYTES)
    return _as_dict(meta, file, layout.names_key)


def _meta_details(found: _Found, meta: dict[bytes, object]) -> dict[str, object]:
    """CIFAR-100's coarse class names, kept in the Dataset details (labels are the fine ones)."""
    if found.layout is CIFAR100 and b"coarse_label_names" in meta:
        file = found.base / found.layout.meta
        return {"coarse_class_names": list(_class_names(meta, b"coarse_label_names", file))}
    return {}


def _cases_per_batch(meta: dict[bytes, object]) -> int:
    """CIFAR-10's ``num_cases_per_batch``, 0 when absent or not a plausible positive int."""
    value = meta.get(b"num_cases_per_batch")
    if isinstance(value, int) and 0 < value <= _MAX_CASES_PER_BATCH:
        return value
    return 0


def _class_names(meta: dict[bytes, object], key: bytes, file: Path) -> tuple[str, ...]:
    """The class names under ``key``, their count and sizes checked before any is decoded:
    the list may hold thousands of references to one huge string, small in the file and in
    memory until each reference is decoded into a copy of its own."""
    value = meta[key]
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, (bytes, str)) for item in value)
    ):
        raise DataError(file, f"wrong contents: expected {key!r} as a list of class names")
    longest = max(len(item) for item in value)
    if len(value) > _MAX_CLASSES or longest > _MAX_NAME_BYTES:
        total = sum(len(item) for item in value)
        raise DataError(
            file,
            f"wrong contents: {key!r} holds {len(value):,} class names of up to {longest:,} "
            f"characters ({format_size(total)} in all, once each is copied); class names are "
            f"at most {_MAX_CLASSES:,}, of at most {_MAX_NAME_BYTES:,} characters",
        )
    try:
        names = tuple(item.decode() if isinstance(item, bytes) else item for item in value)
        for name in names:
            name.encode()  # a str from the pickle may hold lone surrogates
    except UnicodeError:
        raise DataError(file, f"wrong contents: {key!r} holds names that are not text") from None
    return names


def _read_batch(
    found: _Found, name: str, class_count: int
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """Unpickle one batch and return its checked (N, 3072) rows and N labels."""
    file = found.base / name
    labels_key = found.layout.labels_key
    value, size = found.unpickle_sized(name, f"a {found.layout.title} batch")
    batch = _as_dict(value, file, b"data", labels_key)
    rows = _checked_rows(batch[b"data"], file, size)
    labels = _checked_labels(batch[labels_key], len(rows), class_count, file)
    return rows, labels


def _check_memory_for_files(found: _Found, names: Sequence[str]) -> None:
    """Before unpickling: the batches in memory, then their images decoded beside them,
    need about twice the batch files' size. (An archive's members are already in memory.)"""
    available = available_memory_bytes()
    if found.archive or available is None:
        return
    sizes = [_file_size(found.base / name) for name in names]
    needed = 2 * sum(sizes)
    if needed > available:
        raise DataError(
            found.base,
            f"the {len(names)} batch files hold {format_size(sum(sizes))}; loading them needs "
            f"about {format_size(needed)} of memory, {format_size(available)} is available",
        )


def _check_memory_for_images(found: _Found, count: int) -> None:
    """Before decoding: the decoded images must fit beside the batches already read."""
    available = available_memory_bytes()
    needed = count * ROW_BYTES
    if available is not None and needed > available:
        raise DataError(
            found.base,
            f"{count:,} images need {format_size(needed)} of memory to decode, "
            f"{format_size(available)} is available",
        )


def _file_size(file: Path) -> int:
    try:
        return os.stat(file).st_size
    except OSError as exc:
        raise DataError(file, f"cannot be read: {exc.strerror or exc}") from None


def _as_dict(value: object, file: Path, *keys: bytes) -> dict[bytes, object]:
    """The unpickled dict with byte-string keys (str keys from Python 3 pickles are encoded)."""
    if not isinstance(value, dict):
        raise DataError(file, f"wrong contents: expected a dict, found {_describe(value)}")
    normal = {
        key.encode("utf-8", "surrogatepass") if isinstance(key, str) else key: item
        for key, item in value.items()
    }
    missing = [key for key in keys if key not in normal]
    if missing:
        found_keys = _list_names([repr(key) for key in normal])
        raise DataError(
            file,
            f"wrong contents: missing key {', '.join(map(repr, missing))}; found {found_keys}",
        )
    return normal


def _checked_rows(data: object, file: Path, file_size: int) -> npt.NDArray[np.uint8]:
    """The (N, 3072) uint8 rows, N checked against the bytes the file holds before anything
    copies them (an array can claim far more than its buffer, with zero strides)."""
    if (
        not isinstance(data, np.ndarray)
        or data.dtype != np.uint8
        or data.ndim != 2
        or data.shape[1] != ROW_BYTES
    ):
        raise DataError(
            file,
            f"wrong shapes: expected data as an (N, {ROW_BYTES}) uint8 array, "
            f"found {_describe(data)}",
        )
    claimed = len(data) * ROW_BYTES
    if claimed > file_size:
        raise DataError(
            file,
            f"corrupt: claims {len(data):,} images ({format_size(claimed)} of pixels) but the "
            f"file is only {format_size(file_size)} ({file_size:,} bytes), and a batch's pixels "
            "are in its file",
        )
    return np.asarray(data)


def _checked_labels(
    value: object, count: int, class_count: int, file: Path
) -> npt.NDArray[np.int64]:
    length = _length(value)
    if length is not None and length != count:  # said before anything is copied
        raise DataError(
            file,
            f"wrong shapes: expected {count} labels (one per image of data), found {length}",
        )
    labels = _as_int_array(value)
    if labels is None:
        raise DataError(
            file,
            f"wrong shapes: expected labels as a list of {count} ints, found {_describe(value)}",
        )
    if len(labels) != count:
        raise DataError(
            file,
            f"wrong shapes: expected {count} labels (one per image of data), found {len(labels)}",
        )
    if count and (labels.min() < 0 or labels.max() >= class_count):
        raise DataError(
            file,
            f"wrong labels: expected values 0..{class_count - 1} for {class_count} classes, "
            f"found {labels.min()}..{labels.max()}",
        )
    return labels


def _length(value: object) -> int | None:
    """Items in a list or a 1-D array, without converting anything; else None."""
    if isinstance(value, list) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return len(value)
    return None


def _as_int_array(value: object) -> npt.NDArray[np.int64] | None:
    """A 1-D int64 array from a list or array of ints; None when it is anything else (a
    list of lists is refused before numpy would copy every nested list)."""
    if not isinstance(value, (list, np.ndarray)):
        return None
    if isinstance(value, list) and not all(type(item) is int for item in value):
        return None
    try:
        array = np.asarray(value)
    except (ValueError, OverflowError):
        return None
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        return None
    return array.astype(np.int64, copy=False)


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"
