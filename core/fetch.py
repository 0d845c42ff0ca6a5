"""Download the official CIFAR archives, resumably, and keep them only when their MD5 is right.

The archive goes where :func:`imgbench.core.discovery.discover_data` looks by default (the
user data dir), under the name it looks for. Bytes arrive in ``<name>.part``; only a
complete file with the right checksum is renamed to the final name (and synced, folder
included), so a crash or a dropped connection never leaves a half archive under the name
the loader trusts. A later call resumes the ``.part`` with an HTTP Range request.

Nothing imgbench did not create is touched: a file already under the final name is checked
and kept (verified: "already there"; anything else: refused, left as it is); a link or any
other non-regular file under either name is refused, never followed or replaced; and a body
longer than the archive's known size is stopped at that size (plus a small margin) and its
``.part`` removed, so a broken or hostile server cannot fill the disk.

Standard library only (urllib): no dependency, and nothing here touches a UI.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import stat
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from . import __version__, discovery
from .errors import ImgbenchError
from .one_line import one_line

CHUNK_BYTES: Final = 1 << 20
"""Read at most 1 MiB at a time (less when less has arrived); progress and cancel are
checked between chunks."""

SIZE_MARGIN: Final = 1 << 20
"""How far past the archive's known size a body may go before it is stopped (1 MiB)."""

MIRROR_VARIABLE: Final = "IMGBENCH_MIRROR"
"""An environment variable naming a mirror folder to download from instead."""

ProgressCallback = Callable[[int, int | None], None]
CancelCheck = Callable[[], bool]


@dataclass(frozen=True)
class Download:
    """One file to fetch: where it is, the name it is kept under, its MD5 and its size.

    ``size`` (bytes) bounds the download: a body longer than ``size + SIZE_MARGIN`` is
    stopped and thrown away.
    """

    name: str
    title: str
    url: str
    filename: str
    md5: str
    size: int

    @property
    def size_limit(self) -> int:
        """The most bytes a download of this file may bring."""
        return self.size + SIZE_MARGIN

    def url_from(self, base_url: str | None = None) -> str:
        """The official URL, or the same file in a mirror's folder (``base_url + filename``)."""
        if not base_url:
            return self.url
        return (base_url if base_url.endswith("/") else base_url + "/") + self.filename


def default_mirror() -> str | None:
    """``$IMGBENCH_MIRROR`` if set: a site without access to the official one sets it once."""
    return os.environ.get(MIRROR_VARIABLE) or None


def _official(source: discovery.ChoiceSource, title: str, md5: str, size: int) -> Download:
    """The authors' own copy, under the archive name discovery looks for (so it is found where
    it lands)."""
    name = next(c.name for c in discovery.CANDIDATES if c.source == source and c.kind == "archive")
    return Download(source, title, f"https://www.cs.toronto.edu/~kriz/{name}", name, md5, size)


#: The official "python version" archives.
DOWNLOADS: Final[dict[str, Download]] = {
    "cifar10": _official("cifar10", "CIFAR-10", "c58f30108f718f92721af3b95e74349a", 170498071),
    "cifar100": _official("cifar100", "CIFAR-100", "eb9058c3a382ffc7106e4002c42a8d85", 169001437),
}


@dataclass(frozen=True)
class FetchResult:
    """Where the verified archive is, and how it got there."""

    path: Path
    size: int
    already_present: bool = False
    resumed: bool = False
    attempts: int = 0


# -- errors -----------------------------------------------------------------------------------


class FetchError(ImgbenchError):
    """A download did not produce a verified archive; the message says what to do next.

    The message is one line: control characters in it (a newline in a file name) are escaped
    as ``repr`` would (``\\n``).
    """

    def __init__(self, path: Path | str | None, problem: str) -> None:
        super().__init__(path, shown(problem))
        self.args = (shown(self.args[0]),)


class InTheWayError(FetchError):
    """Something imgbench did not create holds a name it needs; it was left as it is."""


class ForeignArchiveError(InTheWayError):
    """A complete file under the archive's name is not the official archive; it was kept."""

    def __init__(self, path: Path, problem: str, expected: str, actual: str | None) -> None:
        self.expected, self.actual = expected, actual
        super().__init__(path, problem)


class TooLargeError(FetchError):
    """The server sent (or announced) more than the archive's size; the ``.part`` was removed."""


class OfflineError(FetchError):
    """The server could not be reached at all: nothing was received."""


class ServerError(FetchError):
    """The server answered with an HTTP error status."""


class ChecksumError(FetchError):
    """The complete file had the wrong MD5; it was removed."""

    def __init__(self, path: Path, expected: str, actual: str) -> None:
        self.expected, self.actual = expected, actual
        problem = f"checksum wrong: MD5 {actual}, expected {expected}; the file was removed"
        super().__init__(path, problem)


class DownloadInterrupted(FetchError):
    """The connection kept dropping; the ``.part`` file is kept for a resume."""

    def __init__(self, problem: str, done: int, total: int | None) -> None:
        self.done, self.total = done, total
        super().__init__(None, problem)


class FetchCancelled(FetchError):
    """``cancelled()`` said stop; the ``.part`` file is kept for a resume."""

    def __init__(self, part: Path, done: int, total: int | None) -> None:
        self.done, self.total = done, total
        problem = f"download cancelled at {how_far(done, total)}; run it again to resume"
        super().__init__(part, problem)


class _Dropped(Exception):
    """The connection ended before the whole body arrived: worth a retry with Range."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _RestartNeeded(Exception):
    """The ``.part`` cannot be continued (a 206 for another range): start from zero."""


# -- the download -----------------------------------------------------------------------------


@dataclass
class _Transfer:
    """What one call to :func:`fetch` is doing: the names, and how far it got."""

    download: Download
    url: str
    folder: Path
    part: Path
    progress: ProgressCallback | None
    cancelled: CancelCheck | None
    timeout_s: float
    done: int = 0
    total: int | None = None
    received_any: bool = False
    resumed: bool = False
    attempts: int = 0


def fetch(
    download: Download,
    dest_dir: Path | str | None = None,
    *,
    base_url: str | None = None,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
    timeout_s: float = 30.0,
    retries: int = 2,
    retry_delay_s: float = 1.0,
) -> FetchResult:
    """Make sure ``dest_dir/<filename>`` holds the archive with the right MD5, downloading it
    (or the rest of it) if needed.

    ``progress(done, total)`` is called after every chunk (total ``None`` when the server
    does not say); ``cancelled()`` is checked between chunks. Raises a :class:`FetchError`
    whose message is one line a person can act on.
    """
    folder = _make_folder(Path(dest_dir) if dest_dir is not None else discovery.user_data_dir())
    final = folder / download.filename
    if _is_present(final):
        return FetchResult(final, _check_present(final, download), already_present=True)
    job = _Transfer(
        download,
        download.url_from(base_url),
        folder,
        part_path(download, folder),
        progress,
        cancelled,
        timeout_s,
    )
    _part_size(job.part)  # refuse a link or anything else in the way before any request
    range_refused = _download_with_retries(job, retries, retry_delay_s)
    digest = _md5_of(job.part)
    if range_refused and digest == download.md5:
        job.resumed = True
    elif range_refused:
        job.part.unlink()  # the server said the .part was complete, and it is not: once more
        _download_with_retries(job, retries, retry_delay_s)
        digest = _md5_of(job.part)
    if digest != download.md5:
        job.part.unlink()
        raise ChecksumError(final, download.md5, digest)
    _commit(job.part, final)
    size = final.stat().st_size
    return FetchResult(final, size, resumed=job.resumed, attempts=job.attempts)


def _make_folder(folder: Path) -> Path:
    """The destination folder, created if missing (a bad one is said in words)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FetchError(folder, f"cannot create the folder: {_reason(error)}") from None
    return folder


def _is_present(final: Path) -> bool:
    """True for a regular file; anything else under that name (a link, a folder, a FIFO) is in
    the way, not ours: refused, never followed, read or replaced."""
    info = _lstat(final)
    if info is None:
        return False
    if stat.S_ISREG(info.st_mode):
        return True
    if stat.S_ISLNK(info.st_mode):
        problem = "is a symbolic link; imgbench neither follows nor replaces it: move it away"
    else:
        problem = f"{_kind(info.st_mode)} is in the way of the archive; move it away"
    raise InTheWayError(final, problem)


def _check_present(final: Path, download: Download) -> int:
    """The size of the official archive already under the final name; anything else there is
    the user's and stays as it is (refused, saying what it is and what to do).

    Its MD5 is read unless it is larger than the archive can be (a 10 GB file is not read
    through only to say it is not a 170 MB archive).
    """
    size = _lstat_size(final)
    actual = _md5_of(final) if size <= download.size_limit else None
    if size == download.size and actual == download.md5:
        return size
    found = f"{size:,} bytes" + (f", MD5 {actual}" if actual is not None else "")
    problem = (
        f"this is not the official {download.title} archive ({found}; the archive is "
        f"{download.size:,} bytes, MD5 {download.md5}); it was left as it is: move it away"
    )
    raise ForeignArchiveError(final, problem, download.md5, actual)


def _lstat(path: Path) -> os.stat_result | None:
    """``lstat``, None when nothing is there (a link is described, never followed)."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise FetchError(path, f"cannot look at it: {_reason(error)}") from None


def _lstat_size(path: Path) -> int:
    info = _lstat(path)
    return info.st_size if info is not None else 0


def _kind(mode: int) -> str:
    """``a folder``, ``a FIFO``, …: what a non-regular file is, in words."""
    kinds = (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    )
    return next((word for test, word in kinds if test(mode)), "something that is not a file")


def part_path(download: Download, folder: Path) -> Path:
    """Where the bytes of ``download`` arrive until it is whole and checked."""
    return folder / (download.filename + ".part")


def kept_bytes(download: Download, folder: Path) -> int:
    """What a stopped download kept: the next :func:`fetch` resumes from there when it is
    not 0 (a link or other file in the way counts 0; fetch itself says why)."""
    try:
        info = _lstat(part_path(download, folder))
    except FetchError:
        return 0
    return info.st_size if info is not None and stat.S_ISREG(info.st_mode) else 0


def _part_size(part: Path) -> int:
    """How much a ``.part`` holds (0 when there is none); a link, a non-regular file or a file
    with other names (hard links) is not ours to write: refused before anything is sent."""
    info = _lstat(part)
    if info is None:
        return 0
    _refuse_unless_ours(part, info)
    return info.st_size


def _refuse_unless_ours(part: Path, info: os.stat_result) -> None:
    if stat.S_ISLNK(info.st_mode):
        problem = (
            "is a symbolic link; imgbench never writes through a link: remove it (what it "
            "points to is not touched)"
        )
    elif not stat.S_ISREG(info.st_mode):
        problem = f"is {_kind(info.st_mode)}, not a download imgbench started: move it away"
    elif info.st_nlink > 1:
        problem = (
            "has other names (hard links), so writing it would change another file: move it away"
        )
    else:
        return
    raise InTheWayError(part, problem)


_NO_FOLLOW: Final = os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def _open_regular(path: Path, flags: int, *, ours: bool) -> int:
    """``os.open`` that never follows a link at ``path`` and never blocks on a FIFO; the file
    opened must be regular (and, when ``ours``, have no other names)."""
    try:
        fd = os.open(path, flags | _NO_FOLLOW, 0o644)
    except OSError:
        info = _lstat(path)  # ELOOP (a link), ENXIO (a FIFO nobody reads), …: say what it is
        if info is not None and not stat.S_ISREG(info.st_mode):
            _refuse_unless_ours(path, info)
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (ours and info.st_nlink > 1):
            _refuse_unless_ours(path, info)
        os.set_blocking(fd, True)  # O_NONBLOCK was only for the open
    except BaseException:
        os.close(fd)
        raise
    return fd


def _download_with_retries(job: _Transfer, retries: int, retry_delay_s: float) -> bool:
    """Fill ``job.part`` completely, resuming after a drop up to ``retries`` times.

    Returns True when the server refused the resume range (416): the ``.part`` may be
    complete already, and the caller verifies it.
    """
    for attempt in range(retries + 1):
        _check_cancelled(job)
        job.attempts += 1
        try:
            return _attempt(job)
        except _RestartNeeded:
            job.part.unlink(missing_ok=True)
            reason = "the server sent another range than asked"
        except _Dropped as drop:
            reason = drop.reason
        if attempt == retries:
            break
        _pause(job, retry_delay_s * (attempt + 1))
    tries = f"{retries + 1} attempt{'s' if retries else ''}"
    raise DownloadInterrupted(
        f"connection dropped at {how_far(job.done, job.total)} after {tries} ({reason}); "
        f"the part is kept in {job.part}: run the same download again to resume",
        job.done,
        job.total,
    )


def _pause(job: _Transfer, seconds: float) -> None:
    """Wait before a retry, still answering a cancel promptly."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        _check_cancelled(job)
        time.sleep(min(left, 0.1))


def _attempt(job: _Transfer) -> bool:
    """One request: resume from the ``.part``'s size if it has one. True on a 416."""
    offset = _part_size(job.part)
    response = _open(job, offset)
    if response is None:
        return True
    try:
        with response:
            append = _resumes(response, job, offset)
            job.resumed = job.resumed or append
            job.done = offset if append else 0
            _check_announced_size(job)
            _stream(response, job, append=append)
    except TooLargeError:
        job.part.unlink(missing_ok=True)  # not the archive: nothing of it is worth keeping
        raise
    if job.total is not None and job.done < job.total:
        raise _Dropped("the server closed the connection early")
    return False


def _open(job: _Transfer, offset: int) -> http.client.HTTPResponse | None:
    """Send the request; None when the server says the resume range is past the end (416)."""
    headers = {"User-Agent": f"imgbench/{__version__}", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(job.url, headers=headers)
    try:
        response: http.client.HTTPResponse = urllib.request.urlopen(request, timeout=job.timeout_s)
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 416 and offset:
            job.done = offset
            return None
        problem = f"{job.url}: the server answered {error.code} {error.reason}"
        raise ServerError(None, problem) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = _reason(error.reason if isinstance(error, urllib.error.URLError) else error)
        if not job.received_any:
            raise _offline(job, reason) from None
        raise _Dropped(f"cannot reconnect: {reason}") from None
    if (response.status or 200) not in (200, 206):  # no status: a file:// mirror
        response.close()
        raise ServerError(None, f"{job.url}: the server answered {response.status}")
    return response


def _offline(job: _Transfer, reason: str) -> OfflineError:
    """The one line a person without network needs: what to fetch by hand, and where to."""
    host = urllib.parse.urlsplit(job.url).netloc or job.url
    problem = f"cannot reach {host} ({reason}): download {job.url} by hand and put it in"
    return OfflineError(None, f"{problem} {job.folder}")


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def _resumes(response: http.client.HTTPResponse, job: _Transfer, offset: int) -> bool:
    """True to append: a 206 for exactly the asked range. A 200 means start from zero."""
    if (response.status or 200) == 200:
        job.total = _int_or_none(response.headers.get("Content-Length"))
        return False
    match = _CONTENT_RANGE.fullmatch((response.headers.get("Content-Range") or "").strip())
    if match is None or int(match.group(1)) != offset:
        raise _RestartNeeded
    job.total = None if match.group(3) == "*" else int(match.group(3))
    return True


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().isdigit() else None


def _check_announced_size(job: _Transfer) -> None:
    """A server announcing a file longer than the archive can be is refused before a byte is
    written (a 206's total counts what the ``.part`` already holds)."""
    limit = job.download.size_limit
    if job.total is not None and job.total > limit:
        raise TooLargeError(
            None,
            f"{job.url}: the server says the file is {job.total:,} bytes, more than the "
            f"archive's size ({job.download.size:,} bytes); nothing of it was kept: "
            "check the URL or the mirror",
        )


def _stream(response: http.client.HTTPResponse, job: _Transfer, *, append: bool) -> None:
    """Copy the body into the ``.part`` as it arrives; a drop keeps what arrived.

    ``read1`` returns what the socket has rather than waiting for a full chunk, so progress
    and cancel keep up on a slow line. The ``.part`` is opened without following a link and
    must be a regular file of its own; the body stops at the archive's size (plus a margin),
    or at the announced length when that is smaller.
    """
    limit = job.download.size_limit
    if job.total is not None:
        limit = min(limit, job.total)
    try:
        fd = _open_regular(job.part, os.O_WRONLY | os.O_CREAT | os.O_APPEND, ours=True)
        with open(fd, "ab") as out:
            if not append:
                os.ftruncate(fd, 0)  # only now: truncating is writing, and this file is ours
            _report(job)
            while True:
                _check_cancelled(job)
                try:
                    chunk = response.read1(CHUNK_BYTES)  # what has arrived, up to 1 MiB
                except (OSError, http.client.HTTPException) as error:  # reset, timeout, short
                    raise _Dropped(_reason(error)) from None
                if not chunk:
                    return
                if job.done + len(chunk) > limit:
                    raise _too_much(job, limit)
                out.write(chunk)
                job.done += len(chunk)
                job.received_any = True
                _report(job)
    except OSError as error:  # opening or writing the .part: disk full, permissions
        raise FetchError(job.part, f"cannot write: {_reason(error)}") from None


def _too_much(job: _Transfer, limit: int) -> TooLargeError:
    return TooLargeError(
        None,
        f"{job.url}: the server sent more than the archive's size ({job.download.size:,} "
        f"bytes) and was stopped at {limit:,} bytes; the part was removed: check the URL or "
        "the mirror",
    )


def _report(job: _Transfer) -> None:
    if job.progress is not None:
        job.progress(job.done, job.total)


def _check_cancelled(job: _Transfer) -> None:
    if job.cancelled is not None and job.cancelled():
        raise FetchCancelled(job.part, job.done, job.total)


def _md5_of(path: Path) -> str:
    """MD5 of the whole file, streamed (the archives are 170 MB)."""
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with open(_open_regular(path, os.O_RDONLY, ours=False), "rb") as file:
            while chunk := file.read(CHUNK_BYTES):
                digest.update(chunk)
    except OSError as error:
        raise FetchError(path, f"cannot read it to check it: {_reason(error)}") from None
    return digest.hexdigest()


def _commit(part: Path, final: Path) -> None:
    """Sync the verified bytes, give them the final name, sync the folder: the archive
    survives a crash, and the final name never holds a partial file.

    Whatever appeared under the final name during the download is not replaced: the
    verified bytes stay in the ``.part`` (the next run finds it complete) and that is said.
    """
    try:
        fd = _open_regular(part, os.O_RDONLY, ours=False)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _rename_without_replacing(part, final)
        folder = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except OSError as error:
        raise FetchError(final, f"cannot keep the verified download: {_reason(error)}") from None


def _rename_without_replacing(part: Path, final: Path) -> None:
    """``part`` becomes ``final`` only if nothing is there: a hard link then an unlink (atomic:
    ``link`` fails on an existing name), or a checked rename where links are not supported."""
    try:
        os.link(part, final, follow_symlinks=False)
    except FileExistsError:
        raise _appeared(part, final) from None
    except OSError:  # no hard links on this file system (FAT, some network ones)
        if os.path.lexists(final):
            raise _appeared(part, final) from None
        os.replace(part, final)
        return
    os.unlink(part)


def _appeared(part: Path, final: Path) -> FetchError:
    return FetchError(
        final,
        "something appeared under this name during the download and was left as it is; the "
        f"verified download is kept in {part.name}: move it away and run the download again",
    )


# -- words ------------------------------------------------------------------------------------


def shown(text: object) -> str:
    """``text`` on one line (a newline in a file name becomes ``\\n``)."""
    return one_line(text)


def _reason(error: object) -> str:
    """``Connection refused`` rather than ``[Errno 111] Connection refused``."""
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(error, http.client.IncompleteRead):
        return "the connection closed early"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def how_far(done: int, total: int | None) -> str:
    """``1.2 MB of 2.4 MB (50%)``, or just ``1.2 MB`` when the size is unknown."""
    if not total:
        return _megabytes(done)
    return f"{_megabytes(done)} of {_megabytes(total)} ({done * 100 // total}%)"


def _megabytes(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count:,} bytes"
