"""Options are checked before the run, in words, by the backends' own checks (issue 10).

Every case the issue lists (``--png-compress-level 42``, ``--seed -1``, ``--cutoffs ,,,``,
``--count 50000000``, ``--png-workers 1000``, ``--hdf5-chunk-rows 10**12``) is refused by
``problems()`` before any process starts, and a backend's constructor refuses what the
pre-run check refuses, in the same words.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from imgbench.core import data_source
from imgbench.core.backends import check_options, open_backend
from imgbench.core.backends.hdf5_store import Hdf5Backend
from imgbench.core.backends.png_store import PngBackend, max_workers
from imgbench.core.engine import SettingsError, check_can_start
from imgbench.core.settings import PRESETS, RunSettings, located_problems, problems
from imgbench.tui.cli import build_parser, settings_from_args

GB = 1_000_000_000


@pytest.fixture
def memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """8 GB available, on any machine."""
    monkeypatch.setattr(data_source, "available_memory_bytes", lambda: 8 * GB)


def synthetic(**changes: Any) -> RunSettings:
    return replace(PRESETS["classic"], data="synthetic", **changes)


def only(found: list[str]) -> str:
    assert len(found) == 1, found
    return found[0]


# -- each case of the issue, as problems() words it ----------------------------------------------


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        (
            {"backend_options": {"png": {"compress_level": 42}}},
            "backend_options.png.compress_level",
            "png compress_level must be a whole number from 0 to 9, not 42",
        ),
        ({"seed": -1}, "seed", "the seed must be at least 0, not -1"),
        ({"cutoffs": ()}, "cutoffs", "give at least one cutoff"),
        ({"cutoffs": (), "count": None}, "cutoffs", "give at least one cutoff"),
        (
            {"backend_options": {"hdf5": {"chunk_rows": 10**12}}},
            "backend_options.hdf5.chunk_rows",
            "hdf5 chunk_rows must be at most the largest cutoff (100,000), not 1,000,000,000,000",
        ),
        (
            {"backend_options": {"hdf5": {"compression": "zstd"}}},
            "backend_options.hdf5.compression",
            "hdf5 compression must be one of none, gzip, lzf, not 'zstd'",
        ),
        (
            {"backend_options": {"hdf5": {"gzip_level": 10}}},
            "backend_options.hdf5.gzip_level",
            "hdf5 gzip_level must be a whole number from 0 to 9, not 10",
        ),
        (
            {"backend_options": {"lmdb": {"map_size": 2**50}}},
            "backend_options.lmdb.map_size",
            "lmdb map_size must be a whole number of bytes from 1 to 64 TiB",
        ),
    ],
)
def test_each_bad_option_is_one_line_at_its_place(
    change: dict[str, Any], where: str, words: str
) -> None:
    found = located_problems(synthetic(**change))
    assert len(found) == 1, found
    assert found[0].where == where
    assert words in found[0].text
    assert "\n" not in found[0].text


def test_png_workers_are_bounded_by_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    assert problems(synthetic(backend_options={"png": {"workers": max_workers()}})) == []
    too_many = synthetic(backend_options={"png": {"workers": max_workers() + 1}})
    assert "png workers must be a whole number from 1 to" in only(problems(too_many))
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})
    found = only(problems(synthetic(backend_options={"png": {"workers": 1000}})))
    assert (
        found
        == "png workers must be a whole number from 1 to 8 (4 per core, 2 cores here), not 1,000"
    )


def test_hdf5_chunks_fit_the_largest_store_and_hdf5s_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(data_source, "available_memory_bytes", lambda: 1_000 * GB)
    assert problems(synthetic(backend_options={"hdf5": {"chunk_rows": 100_000}})) == []
    more = synthetic(backend_options={"hdf5": {"chunk_rows": 100_001}})
    assert "at most the largest cutoff (100,000), not 100,001" in only(problems(more))
    big_images = synthetic(  # 12 MB each: 400 of them are more than a chunk may hold
        count=1_000, cutoffs=(10, 1_000), image_size=(2000, 2000)
    )
    assert problems(replace(big_images, backend_options={"hdf5": {"chunk_rows": 357}})) == []
    found = only(problems(replace(big_images, backend_options={"hdf5": {"chunk_rows": 400}})))
    assert "hdf5 chunk_rows must be at most 357 for these images, not 400" in found
    assert "under 4 GiB" in found


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (
            {"png": {"compress_level": "3"}},
            "png compress_level must be a whole number from 0 to 9, not '3'",
        ),
        ({"png": {"compress_level": 3.0}}, "not 3.0"),
        ({"png": {"workers": True}}, "png workers must be a whole number"),
        ({"png": {"workers": "2"}}, "png workers must be a whole number"),
        (
            {"hdf5": {"chunk_rows": 1.5}},
            "hdf5 chunk_rows must be a whole number of at least 1, not 1.5",
        ),
        (
            {"hdf5": {"compression": None}},
            "hdf5 compression must be one of none, gzip, lzf, not None",
        ),
        ({"png": 3}, "the options for png must be names with values"),
        ({"tiff": {}}, "options given for unknown store tiff"),
        ({"png": {"chunks": 3, "workers": 0}}, "unknown option chunks for png (it takes:"),
    ],
)
def test_option_values_of_the_wrong_type_are_refused(options: dict[str, Any], words: str) -> None:
    found = problems(synthetic(backend_options=options))
    assert any(words in line for line in found), found


def test_an_unknown_option_does_not_hide_a_bad_known_one() -> None:
    found = problems(synthetic(backend_options={"png": {"chunks": 3, "workers": 0}}))
    assert len(found) == 2 and "not 0" in found[1], found


def test_settings_of_the_wrong_type_are_problems_not_crashes() -> None:
    odd = synthetic(
        repeats="abc",  # type: ignore[arg-type]
        seed=1.5,  # type: ignore[arg-type]
        count="many",  # type: ignore[arg-type]
        cutoffs=("10",),  # type: ignore[arg-type]
        sample_budget_s=float("nan"),
        durable="yes",  # type: ignore[arg-type]
        image_size=(64, "x"),  # type: ignore[arg-type]
        backends=("png", 3),  # type: ignore[arg-type]
        backend_options=[],  # type: ignore[arg-type]
    )
    found = problems(odd)
    for words in (
        "repeats must be a whole number, not 'abc'",
        "the seed must be a whole number, not 1.5",
        "count must be a whole number, not 'many'",
        "cutoffs must be whole numbers of at least 1",
        "the sample budget must be 0 seconds or more",
        "durable must be true or false",
        "image size must be at least 1x1",
        "backends must be a list of store names",
        "backend options must be given per backend",
    ):
        assert any(words in line for line in found), (words, found)


def test_empty_cutoffs_leave_a_target_count_to_check() -> None:
    settings = synthetic(cutoffs=(), count=None)
    assert settings.target_count == 0
    assert only(problems(settings)).startswith("give at least one cutoff")


# -- memory: the images must fit before the child makes them -------------------------------------


def test_a_count_that_cannot_fit_in_memory_is_refused_with_the_numbers(memory: None) -> None:
    found = only(problems(synthetic(count=50_000_000)))
    # (50,000,000 + the largest read, 100,000) x 32x32x3 bytes
    assert found == (
        "50,000,000 images need about 154 GB of memory and 8.00 GB is available: lower the count"
    )
    where = located_problems(synthetic(count=50_000_000))[0].where
    assert where == "count"
    assert problems(synthetic(count=2_000_000)) == []  # 6.4 GB fits in 8
    bigger = synthetic(count=2_000_000, image_size=(64, 64))  # 4 x the bytes
    assert "2,000,000 images need about 25.8 GB" in only(problems(bigger))


def test_memory_is_checked_for_auto_and_when_the_caller_knows_the_image_size(
    memory: None,
) -> None:
    auto = replace(synthetic(count=50_000_000), data="auto")  # CIFAR or synthetic: 3,072 B
    assert "154 GB of memory" in only(problems(auto))
    folder = replace(auto, data="/some/images")  # sized once loaded: checked by the child
    assert problems(folder) == []
    assert "154 GB of memory" in only(problems(folder, bytes_per_image=3_072))
    by_cutoffs = synthetic(count=None, cutoffs=(10, 5_000_000))
    located = located_problems(by_cutoffs)
    assert [p.where for p in located] == ["cutoffs"]
    assert "lower the cutoffs" in located[0].text


def test_no_memory_figure_means_no_memory_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data_source, "available_memory_bytes", lambda: None)
    assert problems(synthetic(count=50_000_000)) == []


# -- one source of truth: the backends refuse what the check refuses ----------------------------


def test_constructors_refuse_in_the_words_of_the_check(tmp_path: Path) -> None:
    for options in ({"compress_level": 42}, {"workers": max_workers() + 1}, {"workers": "2"}):
        words = "; ".join(check_options("png", options))
        assert words
        with pytest.raises(ValueError) as refused:
            PngBackend(tmp_path, **options)
        assert str(refused.value) == words
    with pytest.raises(ValueError, match="hdf5 chunk_rows must be a whole number of at least 1"):
        Hdf5Backend(tmp_path, chunk_rows=0)
    with pytest.raises(ValueError, match="hdf5 compression must be one of"):
        Hdf5Backend(tmp_path, compression="zstd")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lmdb map_size must be"):
        open_backend("lmdb", tmp_path, map_size=-1)
    assert check_options("png", {"compress_level": None, "workers": 1}) == []
    assert check_options("raw", {}) == []


# -- the command line: refused before anything runs ----------------------------------------------


def cli_settings(*flags: str, workdir: Path) -> RunSettings:
    args = build_parser().parse_args(
        ["run", "--data", "synthetic", "--workdir", str(workdir), *flags]
    )
    return settings_from_args(args)


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (("--png-workers", "1000"), "png workers must be a whole number from 1 to"),
        (("--hdf5-chunk-rows", str(10**12)), "hdf5 chunk_rows must be at most the largest cutoff"),
        (("--count", "50000000"), "50,000,000 images need about 154 GB of memory"),
    ],
)
def test_the_cli_cases_are_refused_before_the_run(
    flags: tuple[str, ...], words: str, tmp_path: Path, memory: None
) -> None:
    with pytest.raises(SettingsError) as refused:
        check_can_start(cli_settings(*flags, workdir=tmp_path))
    assert words in str(refused.value)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_the_cli_says_it_in_one_line_and_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            *(sys.executable, "-m", "imgbench.tui.cli", "run", "--data", "synthetic"),
            *("--workdir", str(tmp_path), "-o", str(tmp_path / "out.json")),
            *("--png-workers", "1000"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    # the level and the seed are refused still earlier, by the flag's type (test_cli.py)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("imgbench: png workers must be a whole")
    assert lines[0].endswith("not 1,000")
    assert list(tmp_path.iterdir()) == []
