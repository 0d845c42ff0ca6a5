"""Tests for choosing the default data source."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from imgbench.core import discovery
from imgbench.core.discovery import CANDIDATES, DataChoice, discover_data, user_data_dir


def _folder(parent: Path, name: str) -> Path:
    path = parent / name
    path.mkdir(parents=True)
    return path


def _archive(parent: Path, name: str) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    path = parent / name
    path.write_bytes(b"not read by discovery")
    return path


@pytest.fixture
def here(tmp_path: Path) -> Path:
    return _folder(tmp_path, "here")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return _folder(tmp_path, "data")


def test_nothing_found_means_synthetic_and_says_where_it_looked(here: Path, data_dir: Path) -> None:
    choice = discover_data([here, data_dir])
    assert choice == DataChoice("synthetic", None, (here, data_dir))
    assert not choice.found


def test_cifar10_folder(here: Path) -> None:
    folder = _folder(here, "cifar-10-batches-py")
    choice = discover_data([here])
    assert choice == DataChoice("cifar10", folder, (here,), "folder")
    assert choice.found


def test_cifar10_archive(here: Path) -> None:
    archive = _archive(here, "cifar-10-python.tar.gz")
    assert discover_data([here]) == DataChoice("cifar10", archive, (here,), "archive")


def test_cifar100_folder_and_archive(here: Path, data_dir: Path) -> None:
    folder = _folder(here, "cifar-100-python")
    archive = _archive(data_dir, "cifar-100-python.tar.gz")
    assert discover_data([here]) == DataChoice("cifar100", folder, (here,), "folder")
    assert discover_data([data_dir]) == DataChoice("cifar100", archive, (data_dir,), "archive")


@pytest.mark.parametrize("preferred", range(len(CANDIDATES) - 1))
def test_each_candidate_beats_every_later_one_in_the_same_directory(
    here: Path, preferred: int
) -> None:
    for candidate in CANDIDATES[preferred:]:
        make = _folder if candidate.kind == "folder" else _archive
        make(here, candidate.name)
    choice = discover_data([here])
    assert choice.path == here / CANDIDATES[preferred].name
    assert choice.source == CANDIDATES[preferred].source


def test_the_preference_order_is_cifar10_before_cifar100_folder_before_archive() -> None:
    assert [(c.name, c.source, c.kind) for c in CANDIDATES] == [
        ("cifar-10-batches-py", "cifar10", "folder"),
        ("cifar-10-python.tar.gz", "cifar10", "archive"),
        ("cifar-100-python", "cifar100", "folder"),
        ("cifar-100-python.tar.gz", "cifar100", "archive"),
    ]


def test_an_earlier_directory_wins_even_with_a_less_preferred_candidate(
    here: Path, data_dir: Path
) -> None:
    archive = _archive(here, "cifar-100-python.tar.gz")
    _folder(data_dir, "cifar-10-batches-py")
    choice = discover_data([here, data_dir])
    assert choice == DataChoice("cifar100", archive, (here,), "archive")


def test_a_later_directory_is_used_when_the_first_has_nothing(here: Path, data_dir: Path) -> None:
    folder = _folder(data_dir, "cifar-10-batches-py")
    choice = discover_data([here, data_dir])
    assert choice == DataChoice("cifar10", folder, (here, data_dir), "folder")


def test_a_file_named_like_a_folder_or_a_folder_named_like_an_archive_is_ignored(
    here: Path,
) -> None:
    _archive(here, "cifar-10-batches-py")  # a file where a folder is expected
    _folder(here, "cifar-10-python.tar.gz")  # a folder where an archive is expected
    folder = _folder(here, "cifar-100-python")
    assert discover_data([here]).path == folder


def test_missing_search_directories_are_listed_but_harmless(tmp_path: Path) -> None:
    missing = tmp_path / "does-not-exist"
    not_a_dir = _archive(tmp_path, "plain-file")
    choice = discover_data([missing, not_a_dir])
    assert choice == DataChoice("synthetic", None, (missing, not_a_dir))


def test_the_same_directory_is_searched_once(here: Path) -> None:
    assert discover_data([here, here]).looked_in == (here,)


def test_string_directories_are_accepted(here: Path) -> None:
    folder = _folder(here, "cifar-10-batches-py")
    choice = discover_data([str(here)])  # type: ignore[list-item,unused-ignore]
    assert choice.path == folder
    assert isinstance(choice.looked_in[0], Path)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_links_to_a_folder_or_archive_count(here: Path, tmp_path: Path) -> None:
    real = _folder(tmp_path, "elsewhere/cifar-10-batches-py")
    (here / "cifar-10-batches-py").symlink_to(real, target_is_directory=True)
    assert discover_data([here]).source == "cifar10"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_dangling_link_is_ignored(here: Path) -> None:
    (here / "cifar-10-batches-py").symlink_to(here / "gone", target_is_directory=True)
    assert discover_data([here]).source == "synthetic"


def test_default_order_is_current_directory_then_user_data_dir(
    here: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(here)
    monkeypatch.setattr(discovery, "user_data_dir", lambda: data_dir)

    nothing = discover_data()
    assert nothing == DataChoice("synthetic", None, (here, data_dir))

    in_data_dir = _archive(data_dir, "cifar-10-python.tar.gz")
    assert discover_data() == DataChoice("cifar10", in_data_dir, (here, data_dir), "archive")

    in_cwd = _archive(here, "cifar-10-python.tar.gz")
    assert discover_data() == DataChoice("cifar10", in_cwd, (here,), "archive")

    folder_in_cwd = _folder(here, "cifar-10-batches-py")
    assert discover_data() == DataChoice("cifar10", folder_in_cwd, (here,), "folder")


def test_user_data_dir_follows_the_platform_convention() -> None:
    import platformdirs

    path = user_data_dir()
    assert path == Path(platformdirs.user_data_dir("imgbench"))
    assert path.name == "imgbench"


def test_discovery_loads_nothing(here: Path) -> None:
    """An empty or bogus candidate is still chosen: loading it is what reports problems."""
    archive = _archive(here, "cifar-10-python.tar.gz")
    assert discover_data([here]).path == archive


def test_a_fifo_or_a_link_loop_named_like_cifar_data_is_not_chosen(
    here: Path, data_dir: Path
) -> None:
    """Discovery only looks (stat): a FIFO is never opened, a link loop is no crash."""
    os.mkfifo(here / "cifar-10-python.tar.gz")
    (here / "cifar-10-batches-py").symlink_to("cifar-10-batches-py")
    (here / "cifar-100-python").symlink_to(here / "cifar-100-python.tar.gz")
    (here / "cifar-100-python.tar.gz").symlink_to(here / "cifar-100-python")
    choice = discover_data([here, data_dir])
    assert choice == DataChoice("synthetic", None, (here, data_dir))
    _archive(data_dir, "cifar-10-python.tar.gz")
    assert discover_data([here, data_dir]).path == data_dir / "cifar-10-python.tar.gz"
