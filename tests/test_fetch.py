"""Downloading an archive: against a local server, never the real one.

A small CIFAR-10 archive is served from 127.0.0.1; a ``Download`` with its MD5 stands in
for the official one, and the official entries are used only where their checksum is
meant to fail (the served file is not the real archive).
"""

from __future__ import annotations

import hashlib
import socket
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
    ChecksumError,
    Download,
    DownloadInterrupted,
    FetchCancelled,
    OfflineError,
    ServerError,
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


# -- the registry ---------------------------------------------------------------------------


def test_downloads_use_the_names_discovery_looks_for() -> None:
    archives = {c.source: c.name for c in discovery.CANDIDATES if c.kind == "archive"}
    assert {name: d.filename for name, d in DOWNLOADS.items()} == archives
    assert DOWNLOADS["cifar10"].md5 == "c58f30108f718f92721af3b95e74349a"
    assert DOWNLOADS["cifar100"].md5 == "eb9058c3a382ffc7106e4002c42a8d85"
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


def test_a_wrong_copy_already_there_is_replaced(
    server: FileServer, download: Download, dest: Path, archive: bytes
) -> None:
    dest.mkdir()
    (dest / NAME).write_bytes(b"not the archive")
    result = fetch.fetch(download, dest)
    assert result.replaced_bad_copy and not result.already_present
    assert (dest / NAME).read_bytes() == archive


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
