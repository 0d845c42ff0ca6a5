"""Tests for the environment section: every key present, sane types, never an exception."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import pytest

from imgbench.core import environment
from imgbench.core.environment import PACKAGES, environment_info, file_system_type

KEYS = {
    "python",
    "os",
    "cpu",
    "cores",
    "memory_bytes",
    "packages",
    "liblmdb",
    "libhdf5",
    "workdir_filesystem",
}
MOUNTS = """\
/dev/vda / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
tmpfs /tmp tmpfs rw 0 0
/dev/vdb /data xfs rw 0 0
/dev/vdc /data/my\\040disk btrfs rw 0 0
overlay /data/stack overlay rw 0 0
tmpfs /data/stack tmpfs rw 0 0
"""


def _break_everything(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No /proc, no sysconf, no package metadata, no lmdb or h5py, no platform answers."""

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError("unavailable")

    monkeypatch.setattr(environment, "PROC_CPUINFO", tmp_path / "no-proc" / "cpuinfo")
    monkeypatch.setattr(environment, "PROC_MOUNTS", tmp_path / "no-proc" / "mounts")
    monkeypatch.setattr(environment.os, "sysconf", fail)
    monkeypatch.setattr(environment.os, "cpu_count", fail)
    monkeypatch.setattr(environment.importlib.metadata, "version", fail)
    monkeypatch.setattr(environment.platform, "processor", lambda: "")
    monkeypatch.setattr(environment.platform, "platform", fail)
    monkeypatch.setitem(sys.modules, "lmdb", None)  # import lmdb now raises ImportError
    monkeypatch.setitem(sys.modules, "h5py", None)


def test_all_keys_present(tmp_path: Path) -> None:
    info = environment_info(tmp_path)
    assert set(info) >= KEYS
    assert set(info["packages"]) == set(PACKAGES) == {"numpy", "Pillow", "lmdb", "h5py"}


def test_types_are_sane_here(tmp_path: Path) -> None:
    info = environment_info(tmp_path)
    assert info["python"] == platform.python_version()
    assert isinstance(info["os"], str) and info["os"]
    assert info["cores"] == os.cpu_count()
    assert info["memory_bytes"] is None or info["memory_bytes"] > 2**20
    assert info["packages"]["numpy"] == importlib.metadata.version("numpy")
    assert all(v is None or isinstance(v, str) for v in info["packages"].values())


def test_library_versions_look_like_versions(tmp_path: Path) -> None:
    info = environment_info(tmp_path)
    lmdb = pytest.importorskip("lmdb")
    h5py = pytest.importorskip("h5py")
    assert info["liblmdb"] == ".".join(map(str, lmdb.version()))
    assert info["liblmdb"].count(".") == 2
    assert info["libhdf5"] == h5py.version.hdf5_version


def test_info_is_plain_json(tmp_path: Path) -> None:
    info = environment_info(tmp_path)
    assert json.loads(json.dumps(info)) == info


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux only")
def test_linux_facts(tmp_path: Path) -> None:
    info = environment_info(tmp_path)
    assert isinstance(info["cpu"], str) and info["cpu"]
    assert isinstance(info["workdir_filesystem"], str) and info["workdir_filesystem"]


def test_never_raises_when_nothing_can_be_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_everything(monkeypatch, tmp_path)
    info = environment_info(tmp_path)
    assert set(info) >= KEYS
    for key in ("os", "cpu", "cores", "memory_bytes", "liblmdb", "libhdf5", "workdir_filesystem"):
        assert info[key] is None, key
    assert info["packages"] == dict.fromkeys(PACKAGES)


def test_missing_package_is_none(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_version = importlib.metadata.version

    def without_h5py(name: str) -> str:
        if name == "h5py":
            raise importlib.metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(environment.importlib.metadata, "version", without_h5py)
    packages = environment_info(tmp_path)["packages"]
    assert packages["h5py"] is None
    assert packages["numpy"] is not None


def test_cpu_model_from_cpuinfo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Test CPU 9000 @ 3.00GHz\nflags\t: x\n")
    monkeypatch.setattr(environment, "PROC_CPUINFO", cpuinfo)
    assert environment.cpu_model() == "Test CPU 9000 @ 3.00GHz"


def test_cpu_model_falls_back_to_platform(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nCPU part\t: 0xd0c\n")  # ARM: no "model name"
    monkeypatch.setattr(environment, "PROC_CPUINFO", cpuinfo)
    monkeypatch.setattr(environment.platform, "processor", lambda: "aarch64")
    assert environment.cpu_model() == "aarch64"


def test_memory_none_when_sysconf_has_no_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(environment.os, "sysconf", lambda name: -1)
    assert environment.memory_bytes() is None


def test_memory_is_pages_times_page_size(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"SC_PHYS_PAGES": 1000, "SC_PAGE_SIZE": 4096}
    monkeypatch.setattr(environment.os, "sysconf", answers.__getitem__)
    assert environment.memory_bytes() == 4_096_000


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/home/user/work", "ext4"),
        ("/", "ext4"),
        ("/tmp/scratch", "tmpfs"),
        ("/tmpfoo", "ext4"),  # a prefix of the name is not a mount point containing it
        ("/data", "xfs"),
        ("/data/x", "xfs"),
        ("/data/my disk/run", "btrfs"),  # mount points with spaces are escaped as \040
        ("/data/stack/a", "tmpfs"),  # the later of two mounts at one place hides the first
    ],
)
def test_file_system_is_the_longest_matching_mount(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, path: str, expected: str
) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(MOUNTS)
    monkeypatch.setattr(environment, "PROC_MOUNTS", mounts)
    monkeypatch.setattr(environment.os.path, "realpath", lambda p: str(p))
    assert file_system_type(Path(path)) == expected


def test_file_system_none_without_mounts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(environment, "PROC_MOUNTS", tmp_path / "absent")
    assert file_system_type(tmp_path) is None
