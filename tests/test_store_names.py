"""Store names (container x encoding), their checks, and a missing library's refusal."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from imgbench.core.backends import open_backend, store_class
from imgbench.core.backends.names import (
    CONTAINERS,
    INSTALL_LINE,
    canonical_name,
    missing_library,
    parse_store,
)
from imgbench.core.results_schema import STORE_NAME_PATTERN
from imgbench.core.settings import FORMATS_STORES, RunSettings, preset, problems


@pytest.mark.parametrize(
    ("name", "container", "encoding", "canonical"),
    [
        ("png", "files", "png", "png"),
        ("files", "files", "png", "png"),
        ("files+png", "files", "png", "png"),
        ("files+png3", "files", "png3", "files+png3"),
        ("lmdb", "lmdb", "raw", "lmdb"),
        ("lmdb+raw", "lmdb", "raw", "lmdb"),
        ("lmdb+jpeg90", "lmdb", "jpeg90", "lmdb+jpeg90"),
        ("hdf5+webp", "hdf5", "webp", "hdf5+webp"),
        ("raw", "raw", "raw", "raw"),
        ("tar", "tar", "raw", "tar"),
        ("tar+png", "tar", "png", "tar+png"),
        ("parquet+original", "parquet", "original", "parquet+original"),
        ("zarr", "zarr", "raw", "zarr"),
        ("tar+jpeg", "tar", "jpeg", "tar+jpeg"),
    ],
)
def test_store_names_mean_a_container_and_an_encoding(
    name: str, container: str, encoding: str, canonical: str
) -> None:
    store = parse_store(name)
    assert (store.container, store.encoding) == (container, encoding)
    assert canonical_name(name) == canonical
    assert canonical_name(canonical) == canonical  # the one spelling is a fixed point
    assert parse_store(canonical) == store


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("zip", "the container must be one of"),
        ("lmdb+gif", "unknown encoding 'gif'"),
        ("lmdb+", "names no encoding"),
        ("raw+png", "raw pixels only"),
        ("", "container or container+encoding"),
        ("jpeg90", "the container must be one of"),
    ],
)
def test_a_bad_store_name_is_refused_in_one_line(name: str, words: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_store(name)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_every_container_and_encoding_name_fits_the_results_schema() -> None:
    import re

    for container in CONTAINERS:
        for encoding in ("raw", "png", "png0", "jpeg90", "jpeg100", "webp", "webp80", "original"):
            if container == "raw" and encoding != "raw":
                continue
            assert re.match(STORE_NAME_PATTERN, canonical_name(f"{container}+{encoding}"))


def test_a_missing_library_is_told_with_the_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name)
    )
    assert INSTALL_LINE in missing_library("parquet")
    assert missing_library("lmdb") == ""
    with pytest.raises(ValueError, match="pip install"):
        store_class("parquet+png")
    found = problems(RunSettings(data="synthetic", backends=("png", "parquet+png")))
    assert any("parquet needs pyarrow" in line and INSTALL_LINE in line for line in found)
    # a preset leaves such stores out instead of failing
    assert "parquet+png" not in preset("formats").backends
    assert "parquet+png" in FORMATS_STORES


def test_the_cli_refuses_a_store_whose_library_is_missing(tmp_path: Path) -> None:
    hide = "import sys; sys.modules['pyarrow'] = None; from imgbench.tui.cli import main; "
    result = subprocess.run(
        [sys.executable, "-c", hide + "sys.exit(main())", "run", "--backends", "png,parquet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "parquet needs pyarrow" in result.stderr and INSTALL_LINE in result.stderr
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize(
    ("backends", "words"),
    [
        (("tar+raw",), "store tar+raw is written tar"),
        (("png", "png"), "named twice"),
        (("lmdb+original",), "image folder's own files"),
        ((), "at least one store"),
    ],
)
def test_settings_name_each_store_once_in_its_one_spelling(
    backends: tuple[str, ...], words: str
) -> None:
    found = problems(RunSettings(data="synthetic", backends=backends))
    assert any(words in line for line in found), found


def test_the_formats_preset_compares_todays_choices_with_the_classic_ones() -> None:
    settings = preset("formats")
    assert {"png", "lmdb", "hdf5", "raw"} <= set(settings.backends)
    assert {"tar+png", "lmdb+jpeg90"} <= set(settings.backends)
    assert problems(replace(settings, data="synthetic")) == []


def test_an_original_store_needs_the_files_it_stores(tmp_path: Path) -> None:
    """Storing needs the folder's files; opening (to read) does not."""
    original = open_backend("lmdb+original", tmp_path / "s", durable=False)
    with pytest.raises(Exception, match="own files"):
        original.store_many(np.zeros((2, 4, 4, 3), np.uint8), np.arange(2))
    images = np.zeros((2, 4, 4, 3), np.uint8)
    store = open_backend("lmdb+png", tmp_path / "t", durable=False)
    store.store_many(images, np.arange(2))
    assert store.name == "lmdb+png"
