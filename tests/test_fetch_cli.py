"""``imgbench fetch`` in-process, against the local server: exit codes and what it says."""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from imgbench.core import discovery
from imgbench.core.fetch import DOWNLOADS, MIRROR_VARIABLE
from imgbench.tui import cli, fetch_cli

if TYPE_CHECKING:
    from fetch_server import FileServer

pytest_plugins = ["fetch_server"]  # the local server: fixtures archive, server, download
NAME = DOWNLOADS["cifar10"].filename


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A download folder, and a data dir of our own (never the user's)."""
    monkeypatch.setattr(discovery, "user_data_dir", lambda: tmp_path / "user-data")
    monkeypatch.delenv(MIRROR_VARIABLE, raising=False)
    return tmp_path / "downloads"


@pytest.fixture
def served_md5(monkeypatch: pytest.MonkeyPatch, archive: bytes) -> None:
    """The registry's CIFAR-10 entry with the served file's MD5 and size (it is not the real
    one)."""
    md5 = hashlib.md5(archive).hexdigest()
    entry = replace(DOWNLOADS["cifar10"], md5=md5, size=len(archive))
    monkeypatch.setitem(DOWNLOADS, "cifar10", entry)


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_wrong_checksum_exits_1_and_leaves_nothing(
    server: FileServer, place: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["fetch", "cifar10", "--mirror", server.url, "--dir", str(place)])
    line = one_line(capsys.readouterr().err)
    assert code == cli.EXIT_FAILED == 1
    assert "checksum wrong" in line and "removed" in line
    assert DOWNLOADS["cifar10"].md5 in line
    assert list(place.iterdir()) == []


def test_no_network_says_what_to_download_by_hand(
    place: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mirror = f"http://127.0.0.1:{free_port()}/"
    code = cli.main(["fetch", "cifar10", "--mirror", mirror, "--dir", str(place)])
    line = one_line(capsys.readouterr().err)
    assert code == 1
    assert line.startswith("imgbench: cannot reach 127.0.0.1:")
    assert f"download {mirror}{NAME} by hand and put it in {place}" in line


def test_an_unknown_data_set_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["fetch", "cifar11"])
    assert stopped.value.code == 2
    line = one_line(capsys.readouterr().err)
    assert "cifar11" in line and "cifar10" in line


def test_a_server_error_exits_1(
    server: FileServer, place: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.mode = "error500"
    assert cli.main(["fetch", "cifar10", "--mirror", server.url, "--dir", str(place)]) == 1
    assert "500" in one_line(capsys.readouterr().err)


@pytest.mark.usefixtures("served_md5")
def test_a_download_into_another_folder_says_how_to_use_it(
    server: FileServer, place: Path, archive: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["fetch", "cifar10", "--mirror", server.url, "--dir", str(place)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert (place / NAME).read_bytes() == archive
    assert f"--data {place / NAME}" in out.out and "saved to" in out.out
    assert out.err.strip() == ""  # the bar is gone


@pytest.mark.usefixtures("served_md5")
def test_the_default_folder_is_found_by_run_and_the_mirror_can_come_from_env(
    server: FileServer,
    place: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(MIRROR_VARIABLE, server.url)
    assert cli.main(["fetch", "cifar10"]) == 0
    out = capsys.readouterr().out
    assert "find it by default" in out
    assert discovery.discover_data([discovery.user_data_dir()]).path == (
        discovery.user_data_dir() / NAME
    )
    assert cli.main(["fetch", "cifar10"]) == 0  # again: nothing to download
    assert "already" in capsys.readouterr().out and len(server.requests) == 1


@pytest.mark.usefixtures("served_md5")
def test_ctrl_c_keeps_the_part_and_says_run_again(
    server: FileServer,
    place: Path,
    archive: bytes,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server.mode = "trickle"
    real_fetch = fetch_cli.fetch

    def interrupted_fetch(*args: Any, progress: Any, **kwargs: Any) -> Any:
        def ctrl_c_after_some_bytes(done: int, total: int | None) -> None:
            progress(done, total)
            if done > 0:
                raise KeyboardInterrupt

        return real_fetch(*args, progress=ctrl_c_after_some_bytes, **kwargs)

    monkeypatch.setattr(fetch_cli, "fetch", interrupted_fetch)
    code = cli.main(["fetch", "cifar10", "--mirror", server.url, "--dir", str(place)])
    line = one_line(capsys.readouterr().err)
    assert code == 130
    assert "interrupted" in line and "run the same command again to resume" in line
    part = place / (NAME + ".part")
    assert [p.name for p in place.iterdir()] == [part.name] and part.stat().st_size > 0

    monkeypatch.setattr(fetch_cli, "fetch", real_fetch)
    server.mode = "ok"
    assert cli.main(["fetch", "cifar10", "--mirror", server.url, "--dir", str(place)]) == 0
    assert "resumed" in capsys.readouterr().out
    assert (place / NAME).read_bytes() == archive


def test_a_file_in_place_of_the_folder_is_bad_input(
    place: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    place.parent.mkdir(parents=True, exist_ok=True)
    place.write_text("not a folder")
    assert cli.main(["fetch", "cifar100", "--dir", str(place)]) == 2
    assert "not a folder" in one_line(capsys.readouterr().err)


@pytest.mark.usefixtures("served_md5")
def test_a_users_file_under_the_archive_name_is_kept_and_exits_1(
    server: FileServer, place: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    place.mkdir(parents=True)
    (place / NAME).write_bytes(b"my own notes")
    code = cli.main(["fetch", "cifar10", "--mirror", server.url, "--dir", str(place)])
    line = one_line(capsys.readouterr().err)
    assert code == 1
    assert line.startswith(f"imgbench: {place / NAME}: this is not the official CIFAR-10 archive")
    assert hashlib.md5(b"my own notes").hexdigest() in line
    assert line.endswith("left as it is: move it away, or pass another --dir")
    assert (place / NAME).read_bytes() == b"my own notes" and server.requests == []


@pytest.mark.usefixtures("served_md5")
def test_a_link_as_the_part_is_refused_and_exits_1(
    server: FileServer, place: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "notes.txt"
    victim.write_bytes(b"precious")
    place.mkdir(parents=True)
    (place / (NAME + ".part")).symlink_to(victim)
    code = cli.main(["fetch", "cifar10", "--mirror", server.url, "--dir", str(place)])
    line = one_line(capsys.readouterr().err)
    assert code == 1 and "is a symbolic link" in line and line.endswith("pass another --dir")
    assert victim.read_bytes() == b"precious"


@pytest.mark.usefixtures("served_md5")
def test_an_endless_body_exits_1_and_leaves_nothing(
    server: FileServer, place: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.mode = "endless"
    code = cli.main(["fetch", "cifar10", "--mirror", server.url, "--dir", str(place)])
    line = one_line(capsys.readouterr().err)
    assert code == 1 and "the server sent more than the archive's size" in line
    assert list(place.iterdir()) == []


@pytest.mark.usefixtures("served_md5")
def test_a_folder_name_with_a_newline_is_shown_escaped(
    server: FileServer, place: Path, archive: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = place / os.fsdecode(b"new\nline\xff")
    code = cli.main(["fetch", "cifar10", "--mirror", server.url, "--dir", str(folder)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert (folder / NAME).read_bytes() == archive
    lines = out.out.strip().splitlines()
    assert len(lines) == 2 and all("new\\nline\\xff" in line for line in lines), lines
