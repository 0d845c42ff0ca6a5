"""Downloading an archive: against a local server, never the real one.

A small CIFAR-10 archive is served from 127.0.0.1; a ``Download`` with its MD5 stands in
for the official one, and the official entries are used only where their checksum is
meant to fail (the served file is not the real archive).
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from cifar_fixtures import cifar10_arrays
from imgbench.core import discovery, fetch
from imgbench.core.cifar import load_cifar
from imgbench.core.errors import ImgbenchError
from imgbench.core.fetch import (
    DOWNLOADS,
    SIZE_MARGIN,
    ChecksumError,
    Download,
    DownloadInterrupted,
    FetchCancelled,
    FetchError,
    ForeignArchiveError,
    InTheWayError,
    OfflineError,
    ServerError,
    TooLargeError,
    shown,
)

if TYPE_CHECKING:
    from fetch_server import FileServer

pytest_plugins = ["fetch_server"]  # the local server: fixtures archive, server, download
NAME = DOWNLOADS["cifar10"].filename


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "data"  # missing: fetch creates it


def free_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def only_archive(dest: Path) -> list[str]:
    return sorted(path.name for path in dest.iterdir())


def one_line(error: BaseException) -> str:
    message = str(error)
    assert "\n" not in message and "\r" not in message, message
    return message


# -- the registry ---------------------------------------------------------------------------


def test_downloads_use_the_names_discovery_looks_for() -> None:
    archives = {c.source: c.name for c in discovery.CANDIDATES if c.kind == "archive"}
    assert {name: d.filename for name, d in DOWNLOADS.items()} == archives
    assert DOWNLOADS["cifar10"].md5 == "c58f30108f718f92721af3b95e74349a"
    assert DOWNLOADS["cifar100"].md5 == "eb9058c3a382ffc7106e4002c42a8d85"
    assert DOWNLOADS["cifar10"].size == 170498071
    assert DOWNLOADS["cifar100"].size == 169001437
    assert DOWNLOADS["cifar10"].size_limit == 170498071 + SIZE_MARGIN
    assert SIZE_MARGIN <= 1 << 20
    for entry in DOWNLOADS.values():
        assert entry.url.startswith("https://") and entry.url.endswith("/" + entry.filename)


def test_a_mirror_replaces_the_folder_of_the_url() -> None:
    entry = DOWNLOADS["cifar100"]
    assert entry.url_from(None) == entry.url
    folder = "http://mirror.example/cifar/"
    assert entry.url_from(folder) == folder + entry.filename
    assert entry.url_from(folder.rstrip("/")) == folder + entry.filename


# -- success --------------------------------------------------------------------------------


def test_a_download_lands_verified_where_discovery_finds_it(
    server: FileServer, download: Download, dest: Path, archive: bytes
) -> None:
    seen: list[tuple[int, int | None]] = []
    result = fetch.fetch(download, dest, progress=lambda done, total: seen.append((done, total)))
    assert result.path == dest / NAME and result.path.read_bytes() == archive
    assert result.size == len(archive) and not result.already_present and not result.resumed
    assert only_archive(dest) == [NAME]  # no .part left
    assert seen[-1] == (len(archive), len(archive)) and seen[0][0] == 0
    assert server.ranges == [None]
    choice = discovery.discover_data([dest])
    assert choice.source == "cifar10" and choice.path == result.path
    data = load_cifar(result.path)
    expected = cifar10_arrays(n_per_batch=20)
    assert np.array_equal(data.images, expected.images)
    assert np.array_equal(data.labels, expected.labels)


def test_the_default_folder_is_the_user_data_dir(
    server: FileServer, download: Download, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "user" / "share" / "imgbench"
    monkeypatch.setattr(discovery, "user_data_dir", lambda: data_dir)
    assert fetch.fetch(download).path == data_dir / NAME


def test_a_mirror_base_url_is_used_instead_of_the_official_folder(
    server: FileServer, archive: bytes, dest: Path
) -> None:
    entry = replace(DOWNLOADS["cifar10"], md5=hashlib.md5(archive).hexdigest())
    assert fetch.fetch(entry, dest, base_url=server.url.rstrip("/")).path.read_bytes() == archive
    assert [request["path"] for request in server.requests] == ["/" + NAME]


def test_an_archive_already_there_is_not_downloaded_again(
    server: FileServer, download: Download, dest: Path, archive: bytes
) -> None:
    dest.mkdir()
    (dest / NAME).write_bytes(archive)
    result = fetch.fetch(download, dest)
    assert result.already_present and result.path == dest / NAME
    assert server.requests == []


@pytest.mark.parametrize("theirs", [b"not the archive", "same size"])
def test_a_users_file_under_the_archive_name_is_kept_and_explained(
    server: FileServer, download: Download, dest: Path, archive: bytes, theirs: bytes | str
) -> None:
    """Not deleted, not moved, not downloaded over: refused, saying what it is and what to do."""
    mine = theirs if isinstance(theirs, bytes) else bytes(len(archive))  # same size, not it
    dest.mkdir()
    (dest / NAME).write_bytes(mine)
    with pytest.raises(ForeignArchiveError) as caught:
        fetch.fetch(download, dest)
    message = one_line(caught.value)
    assert message.startswith(f"{dest / NAME}: this is not the official CIFAR-10 archive")
    assert f"{len(mine):,} bytes, MD5 {hashlib.md5(mine).hexdigest()}" in message
    assert download.md5 in message and message.endswith("left as it is: move it away")
    assert caught.value.actual == hashlib.md5(mine).hexdigest()
    assert isinstance(caught.value, InTheWayError)
    assert (dest / NAME).read_bytes() == mine and only_archive(dest) == [NAME]
    assert server.requests == []


def test_a_users_file_larger_than_the_archive_can_be_is_not_read_through(
    server: FileServer, download: Download, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest.mkdir()
    with open(dest / NAME, "wb") as big:
        big.truncate(download.size_limit + 1)  # sparse: takes no room

    def no_md5(path: Path) -> str:
        raise AssertionError(f"{path} was read")

    monkeypatch.setattr(fetch, "_md5_of", no_md5)
    with pytest.raises(ForeignArchiveError, match=f"{download.size_limit + 1:,} bytes;"):
        fetch.fetch(download, dest)
    assert (dest / NAME).stat().st_size == download.size_limit + 1 and server.requests == []


@pytest.mark.parametrize("target", ["the archive", "junk", "nothing"])
def test_a_link_under_the_archive_name_is_neither_followed_nor_replaced(
    server: FileServer, download: Download, dest: Path, tmp_path: Path, archive: bytes, target: str
) -> None:
    pointed = tmp_path / "elsewhere.tar.gz"
    if target != "nothing":
        pointed.write_bytes(archive if target == "the archive" else b"junk")
    dest.mkdir()
    (dest / NAME).symlink_to(pointed)
    with pytest.raises(InTheWayError) as caught:
        fetch.fetch(download, dest)
    assert "is a symbolic link" in one_line(caught.value) and "move it away" in str(caught.value)
    assert (dest / NAME).is_symlink() and os.readlink(dest / NAME) == str(pointed)
    if target == "nothing":
        assert not pointed.exists()
    else:
        assert pointed.read_bytes() == (archive if target == "the archive" else b"junk")
    assert only_archive(dest) == [NAME] and server.requests == []


def test_something_appearing_under_the_name_during_the_download_is_not_replaced(
    server: FileServer, download: Download, dest: Path, archive: bytes
) -> None:
    def user_drops_a_file(done: int, total: int | None) -> None:
        if done == total:
            (dest / NAME).write_bytes(b"the user's own")

    with pytest.raises(FetchError) as caught:
        fetch.fetch(download, dest, progress=user_drops_a_file)
    message = one_line(caught.value)
    assert "appeared" in message and f"kept in {NAME}.part" in message
    assert (dest / NAME).read_bytes() == b"the user's own"
    assert (dest / (NAME + ".part")).read_bytes() == archive  # verified, kept for next time
    (dest / NAME).unlink()  # moved away: the next run finishes without downloading again
    result = fetch.fetch(download, dest)
    assert result.path.read_bytes() == archive and only_archive(dest) == [NAME]
    assert server.ranges[-1] == f"bytes={len(archive)}-"


# -- what is in the way of the .part --------------------------------------------------------


@pytest.mark.parametrize("target_exists", [True, False])
def test_a_part_that_is_a_link_is_refused_and_its_target_untouched(
    server: FileServer, download: Download, dest: Path, tmp_path: Path, target_exists: bool
) -> None:
    victim = tmp_path / "notes.txt"
    if target_exists:
        victim.write_bytes(b"precious")
    dest.mkdir()
    (dest / (NAME + ".part")).symlink_to(victim)
    with pytest.raises(InTheWayError) as caught:
        fetch.fetch(download, dest)
    message = one_line(caught.value)
    assert message.startswith(f"{dest / (NAME + '.part')}: is a symbolic link")
    assert victim.read_bytes() == b"precious" if target_exists else not victim.exists()
    assert (dest / (NAME + ".part")).is_symlink() and server.requests == []


def test_a_part_made_a_link_after_the_check_is_still_not_written_through(
    server: FileServer,
    download: Download,
    dest: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The checks before the request pass (a race); opening the part must not follow it."""
    victim = tmp_path / "notes.txt"
    victim.write_bytes(b"precious")
    dest.mkdir()
    (dest / (NAME + ".part")).symlink_to(victim)
    monkeypatch.setattr(fetch, "_part_size", lambda part: 0)
    with pytest.raises(InTheWayError, match="is a symbolic link"):
        fetch.fetch(download, dest)
    assert victim.read_bytes() == b"precious"


def test_a_part_with_another_name_is_not_written(
    server: FileServer, download: Download, dest: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "notes.txt"
    victim.write_bytes(b"precious")
    dest.mkdir()
    os.link(victim, dest / (NAME + ".part"))
    with pytest.raises(InTheWayError, match="hard links"):
        fetch.fetch(download, dest)
    assert victim.read_bytes() == b"precious" and server.requests == []


def test_a_part_that_is_a_fifo_is_refused_without_hanging(
    server: FileServer, download: Download, dest: Path
) -> None:
    dest.mkdir()
    part = dest / (NAME + ".part")
    os.mkfifo(part)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fetch.fetch(download, dest)
        except BaseException as error:  # handed to the test's thread
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # blocked opening the FIFO: let it go, then fail
        os.close(os.open(part, os.O_RDONLY | os.O_NONBLOCK))
        pytest.fail("fetch hung on a FIFO .part")
    assert len(errors) == 1 and isinstance(errors[0], InTheWayError)
    assert "is a FIFO" in one_line(errors[0]) and server.requests == []


# -- a server that sends too much -----------------------------------------------------------


def test_an_endless_body_is_stopped_at_the_archive_size_and_removed(
    server: FileServer, download: Download, dest: Path, archive: bytes
) -> None:
    server.mode = "endless"  # no Content-Length: the archive, then junk until we hang up
    seen: list[int] = []
    with pytest.raises(TooLargeError) as caught:
        fetch.fetch(download, dest, progress=lambda done, _: seen.append(done), retry_delay_s=0)
    message = one_line(caught.value)
    assert "the server sent more than the archive's size" in message
    assert f"{len(archive):,} bytes" in message and "the part was removed" in message
    assert max(seen) <= download.size_limit == len(archive) + SIZE_MARGIN
    assert only_archive(dest) == [] and len(server.requests) == 1  # no retry either


def test_a_body_announced_longer_than_the_archive_is_refused_before_a_byte_is_kept(
    server: FileServer, download: Download, dest: Path, archive: bytes
) -> None:
    server.mode = "too_long"
    server.too_long_by = SIZE_MARGIN + 1
    seen: list[int] = []
    with pytest.raises(TooLargeError) as caught:
        fetch.fetch(download, dest, progress=lambda done, _: seen.append(done))
    message = one_line(caught.value)
    assert f"the server says the file is {len(archive) + SIZE_MARGIN + 1:,} bytes" in message
    assert seen == [] and only_archive(dest) == []


def test_a_resume_announcing_more_than_the_archive_removes_the_part(
    server: FileServer,
    download: Download,
    dest: Path,
    archive: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dest.mkdir()
    (dest / (NAME + ".part")).write_bytes(archive[:1000])
    monkeypatch.setattr(fetch, "SIZE_MARGIN", 0)
    small = replace(download, size=2000)  # the 206's total (the whole archive) is too much
    with pytest.raises(TooLargeError, match="says the file is"):
        fetch.fetch(small, dest)
    assert server.ranges == ["bytes=1000-"] and only_archive(dest) == []


def test_a_margin_past_the_size_is_allowed(
    server: FileServer, download: Download, dest: Path, archive: bytes
) -> None:
    """The size bounds the body; the MD5 still decides (here: right)."""
    result = fetch.fetch(replace(download, size=len(archive) - 1000), dest)
    assert result.path.read_bytes() == archive


# -- words ----------------------------------------------------------------------------------


def test_file_names_in_messages_stay_on_one_line(
    server: FileServer, download: Download, tmp_path: Path
) -> None:
    dest = tmp_path / os.fsdecode(b"da\nta\xff")  # a newline, and a byte that is not UTF-8
    dest.mkdir()
    (dest / NAME).write_bytes(b"theirs")
    with pytest.raises(ForeignArchiveError) as caught:
        fetch.fetch(download, dest)
    message = one_line(caught.value)
    assert f"{tmp_path}/da\\nta\\xff/{NAME}: this is not" in message
    message.encode("utf-8")  # printable anywhere: no surrogates left


def test_shown_escapes_like_repr() -> None:
    assert shown("plain name.tar.gz") == "plain name.tar.gz"
    assert shown("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert shown("bell\x07") == "bell\\x07"
    assert shown(os.fsdecode(b"x\xfe")) == "x\\xfe"
    assert shown(Path("/tmp/é")) == "/tmp/é"


# -- checksum -------------------------------------------------------------------------------


def test_a_wrong_checksum_removes_the_file_and_says_so(
    server: FileServer, download: Download, dest: Path, archive: bytes
) -> None:
    wrong = replace(download, md5="0" * 32)
    with pytest.raises(ChecksumError) as caught:
        fetch.fetch(wrong, dest)
    message = str(caught.value)
    assert "checksum wrong" in message and "removed" in message
    assert "0" * 32 in message and hashlib.md5(archive).hexdigest() in message
    assert "\n" not in message and isinstance(caught.value, ImgbenchError)
    assert only_archive(dest) == []


# -- interruptions --------------------------------------------------------------------------


def test_a_connection_dropped_half_way_resumes_by_itself(
    server: FileServer, download: Download, dest: Path, archive: bytes
) -> None:
    server.mode = "drop_once"
    result = fetch.fetch(download, dest, retry_delay_s=0)
    assert result.path.read_bytes() == archive and result.resumed and result.attempts == 2
    assert server.ranges == [None, f"bytes={len(archive) // 2}-"]
    assert only_archive(dest) == [NAME]


def test_a_connection_that_keeps_dropping_keeps_the_part_and_resumes_next_time(
    server: FileServer, download: Download, dest: Path, archive: bytes
) -> None:
    server.mode = "drop_always"
    with pytest.raises(DownloadInterrupted) as caught:
        fetch.fetch(download, dest, retries=2, retry_delay_s=0)
    message = str(caught.value)
    assert "\n" not in message and "after 3 attempts" in message
    assert "%" in message and "again to resume" in message
    part = dest / (NAME + ".part")
    assert only_archive(dest) == [part.name]
    assert 0 < part.stat().st_size == caught.value.done < len(archive)
    assert len(server.ranges) == 3 and all(r and r.startswith("bytes=") for r in server.ranges[1:])

    server.mode = "ok"
    result = fetch.fetch(download, dest)
    assert result.resumed and result.path.read_bytes() == archive
    assert server.ranges[-1] == f"bytes={caught.value.done}-"
    assert only_archive(dest) == [NAME]


def test_a_server_that_ignores_range_makes_the_download_start_over(
    server: FileServer, download: Download, dest: Path, archive: bytes
) -> None:
    dest.mkdir()
    (dest / (NAME + ".part")).write_bytes(archive[:1000])
    server.mode = "ignore_range"
    result = fetch.fetch(download, dest)
    assert server.ranges == ["bytes=1000-"]  # asked; got a 200 with everything
    assert result.path.read_bytes() == archive and not result.resumed


def test_a_part_that_is_already_complete_is_verified_and_kept(
    server: FileServer, download: Download, dest: Path, archive: bytes
) -> None:
    dest.mkdir()
    (dest / (NAME + ".part")).write_bytes(archive)  # 416: nothing left to send
    result = fetch.fetch(download, dest)
    assert result.path.read_bytes() == archive and server.ranges == [f"bytes={len(archive)}-"]


def test_a_part_too_long_to_resume_is_downloaded_again(
    server: FileServer, download: Download, dest: Path, archive: bytes
) -> None:
    dest.mkdir()
    (dest / (NAME + ".part")).write_bytes(archive + b"junk")  # 416, wrong MD5: start over
    result = fetch.fetch(download, dest)
    assert result.path.read_bytes() == archive
    assert server.ranges == [f"bytes={len(archive) + 4}-", None]


def test_cancel_keeps_the_part_for_later(
    server: FileServer, download: Download, dest: Path, archive: bytes
) -> None:
    server.mode = "trickle"
    seen: list[int] = []
    with pytest.raises(FetchCancelled) as caught:
        fetch.fetch(
            download,
            dest,
            progress=lambda done, _: seen.append(done),
            cancelled=lambda: len(seen) > 2,
        )
    part = dest / (NAME + ".part")
    assert only_archive(dest) == [part.name]
    assert 0 < part.stat().st_size == caught.value.done < len(archive)
    assert "cancelled" in str(caught.value)
    server.mode = "ok"
    assert fetch.fetch(download, dest).path.read_bytes() == archive


# -- errors ---------------------------------------------------------------------------------


def test_a_server_error_names_the_status_and_leaves_nothing(
    server: FileServer, download: Download, dest: Path
) -> None:
    server.mode = "error500"
    with pytest.raises(ServerError) as caught:
        fetch.fetch(download, dest)
    assert "500" in str(caught.value) and download.url in str(caught.value)
    assert only_archive(dest) == []


def test_a_missing_file_is_a_404(server: FileServer, download: Download, dest: Path) -> None:
    with pytest.raises(ServerError, match="404"):
        fetch.fetch(replace(download, url=server.url + "nothing-here.tar.gz"), dest)


def test_no_network_says_what_to_download_by_hand_and_where(download: Download, dest: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/{NAME}"
    with pytest.raises(OfflineError) as caught:
        fetch.fetch(replace(download, url=url), dest, timeout_s=5)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("cannot reach 127.0.0.1:")
    assert f"download {url} by hand and put it in {dest}" in message
    assert only_archive(dest) == []


def test_a_server_that_stalls_mid_body_times_out_as_a_drop(
    server: FileServer, download: Download, dest: Path, archive: bytes
) -> None:
    server.mode, server.trickle_pause_s = "trickle", 1.0
    with pytest.raises(DownloadInterrupted, match="timed out") as caught:
        fetch.fetch(download, dest, timeout_s=0.2, retries=0)
    assert "after 1 attempt " in str(caught.value)
    assert (dest / (NAME + ".part")).stat().st_size == caught.value.done > 0
