"""The command line as a person uses it: real processes, exit codes, files on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cifar_fixtures import write_cifar10_folder
from imgbench.core.results import load_document, save_document
from result_docs import make_document

TINY = ["--count", "30", "--cutoffs", "10,30", "--repeats", "1", "--warmup", "0", "-k", "5"]


def imgbench(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 180):
    return subprocess.run(
        [sys.executable, "-m", "imgbench.tui.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
    )


def assert_one_line_refusal(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


def test_run_on_synthetic_data_then_show_and_compare(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    result = imgbench(
        "run", "--data", "synthetic", *TINY, "--workdir", str(work), "-o", "a.json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "synthetic" in result.stderr and "saved to" in result.stderr
    assert "estimated time: about " in result.stderr  # said before the first task
    document = load_document(tmp_path / "a.json")
    assert document["status"] == "complete" and document["dataset"]["count"] == 30
    assert len(document["measurements"]) == 2 * 4 * 6
    assert all(m["verified"] for m in document["measurements"] if m["experiment"][:4] == "read")
    assert list(work.iterdir()) == []  # scratch removed
    assert "lmdb" in result.stdout  # the summary table

    shown = imgbench("show", "a.json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "read many" in shown.stdout and "hdf5" in shown.stdout
    assert imgbench("show", "a.json", "--log", cwd=tmp_path).returncode == 0

    second = imgbench(
        "run",
        "--data",
        "synthetic",
        *TINY,
        "--backends",
        "lmdb,raw",
        "--workdir",
        str(work),
        "-o",
        "b.json",
        cwd=tmp_path,
    )
    assert second.returncode == 0, second.stderr
    compared = imgbench("compare", "a.json", "b.json", cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    assert "lmdb" in compared.stdout and "raw" in compared.stdout


def test_run_on_a_cifar_folder(tmp_path: Path) -> None:
    folder = write_cifar10_folder(tmp_path / "data", n_per_batch=6)
    result = imgbench(
        "run",
        "--data",
        str(folder),
        "--backends",
        "hdf5,raw",
        *TINY,
        "--workdir",
        str(tmp_path),
        "-o",
        "c.json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    dataset = load_document(tmp_path / "c.json")["dataset"]
    assert dataset["source"] == "cifar10" and dataset["count"] == 30  # 5 x 6 tiled to 30
    assert dataset["path"] == str(folder)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "--data", "/no/such/cifar"], ["/no/such/cifar", "does not exist"]),
        (["run", "--backends", "png,zip"], ["zip", "the container must be one of"]),
        (["run", "--backends", "lmdb+gif"], ["unknown encoding 'gif'", "jpeg1..jpeg100"]),
        (["run", "--backends", "raw+png"], ["raw pixels only"]),
        (["run", "--cutoffs", "10,ten"], ["numbers separated by commas"]),
        (["run", "--count", "5", "--cutoffs", "10"], ["largest cutoff"]),
        (["run", "--workdir", "/no/such/dir"], ["work dir"]),
        (["run", "--cache", "hot"], ["invalid choice"]),
        (["show", "missing.json"], ["missing.json"]),
    ],
)
def test_bad_input_gets_one_line_and_exit_code_2(
    tmp_path: Path, args: list[str], words: list[str]
) -> None:
    assert_one_line_refusal(imgbench(*args, cwd=tmp_path), *words)


def test_unwritable_output_is_refused_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    work = tmp_path / "work"
    work.mkdir()
    result = imgbench(
        "run",
        "--data",
        "synthetic",
        *TINY,
        "--workdir",
        str(work),
        "-o",
        "file/r.json",
        cwd=tmp_path,
    )
    assert_one_line_refusal(result, "file")
    assert list(work.iterdir()) == []  # nothing was started


def test_corrupt_and_future_results_files_are_explained_and_untouched(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"schema": "imgbench.results/1", "measure')
    assert_one_line_refusal(imgbench("show", "corrupt.json", cwd=tmp_path), "corrupt.json")
    assert corrupt.read_text() == '{"schema": "imgbench.results/1", "measure'
    future = tmp_path / "future.json"
    future.write_text(json.dumps({"schema": "imgbench.results/9"}))
    assert_one_line_refusal(imgbench("show", "future.json", cwd=tmp_path), "newer")
    assert_one_line_refusal(
        imgbench("compare", "future.json", "corrupt.json", cwd=tmp_path), "future.json"
    )


def write_photos(folder: Path, count: int = 12) -> Path:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(3)
    folder.mkdir(parents=True)
    for i in range(count):
        size = (int(rng.integers(6, 30)), int(rng.integers(6, 30)), 3)
        Image.fromarray(rng.integers(0, 256, size, dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def test_run_on_a_folder_of_images_keeps_or_resizes_their_sizes(tmp_path: Path) -> None:
    photos = write_photos(tmp_path / "photos")
    (photos / "readme.txt").write_text("skip me")
    small = ["--count", "12", "--cutoffs", "4,12", "--repeats", "1", "--warmup", "0", "-k", "3"]
    kept = imgbench("run", "--data", str(photos), *small, "-o", "kept.json", cwd=tmp_path)
    assert kept.returncode == 0, kept.stderr
    assert "varying sizes" in kept.stderr and "readme.txt" in kept.stderr
    document = load_document(tmp_path / "kept.json")
    assert document["dataset"]["shapes_vary"] is True and document["dataset"]["count"] == 12
    assert all(m["verified"] for m in document["measurements"] if m["experiment"][:4] == "read")

    resized = imgbench(
        "run", "--data", str(photos), "--resize", "20x10", "--backends", "raw,hdf5", *small,
        "-o", "resized.json", cwd=tmp_path,
    )  # fmt: skip
    assert resized.returncode == 0, resized.stderr
    dataset = load_document(tmp_path / "resized.json")["dataset"]
    assert dataset["shape"] == [10, 20, 3] and dataset["details"]["resized_to"] == [20, 10]


def test_a_folder_without_images_or_a_bad_size_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "a.txt").write_text("x")
    refused = imgbench("run", "--data", str(tmp_path / "texts"), *TINY, cwd=tmp_path)
    assert_one_line_refusal(refused, "no images", "a.txt")
    for size in ("0x5", "axb", "20x"):
        bad = imgbench("run", "--data", "synthetic", "--resize", size, *TINY, cwd=tmp_path)
        assert_one_line_refusal(bad, "--resize")
    assert not list(tmp_path.glob("*.json"))


def test_a_folder_where_nothing_can_be_read_exits_2_and_names_the_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.jpg").write_bytes(b"\xff\xd8\xffnope")
    result = imgbench("run", "--data", str(broken), *TINY, "-o", "r.json", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "x.jpg" in result.stderr


@pytest.mark.parametrize(
    ("flag", "words"),
    [
        (["--repeats", "abc"], "expected a whole number, got 'abc'"),
        (["--cutoffs", ",,,"], "expected whole numbers separated by commas"),
        (["--png-compress-level", "10"], "a zlib level from 0 to 9"),
        (["--seed", "-1"], "must be at least 0"),
        (["--warmup", "-1"], "must be at least 0"),
        (["--budget", "0"], "seconds above 0"),
        (["--hdf5-chunk-rows", "10**12"], "expected a whole number"),
    ],
)
def test_a_malformed_number_is_one_plain_line(
    flag: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from imgbench.tui.cli import main

    with pytest.raises(SystemExit) as ended:
        main(["run", "--data", "synthetic", *flag])
    assert ended.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "_positive" not in lines[0]
    assert "<lambda>" not in lines[0] and "parse_" not in lines[0]


def test_the_parser_builds_without_loading_the_heavy_libraries() -> None:
    """``imgbench --help`` must answer at once: nothing heavy loads to build the parser."""
    check = (
        "import sys\n"
        "from imgbench.tui.cli import build_parser\n"
        "build_parser().format_help()\n"
        "heavy = ('numpy', 'h5py', 'plotext', 'textual', 'PIL', 'lmdb', 'jsonschema')\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"building the parser loads {result.stdout.strip()}"


def test_the_heavy_check_sees_a_heavy_import() -> None:
    """The check above can fail: importing the engine does load numpy."""
    check = "import sys, imgbench.core.engine; print('numpy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "True", result.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["show"], ["imgbench show:", "give a results file", "imgbench show imgbench-results"]),
        (["compare"], ["imgbench compare:", "two results files", "baseline first"]),
        (["compare", "a.json"], ["imgbench compare:", "imgbench compare before.json after"]),
        (["report"], ["imgbench report:", "give a results file"]),
        (["fetch"], ["imgbench fetch:", "cifar10 or cifar100"]),
    ],
)
def test_a_missing_file_says_what_to_type(
    args: list[str], words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from imgbench.tui.cli import main

    with pytest.raises(SystemExit) as ended:
        main(args)
    assert ended.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert "required" not in lines[0]
    for word in words:
        assert word in lines[0]


@pytest.mark.parametrize(
    ("command", "names"),
    [("show", ["FILE"]), ("report", ["FILE"]), ("compare", ["A", "B"])],
)
def test_positional_arguments_are_named_and_explained(command: str, names: list[str]) -> None:
    from imgbench.tui.cli import build_parser

    helps = _subcommands(build_parser())[command].format_help()
    positional = helps.split("positional arguments:")[1].split("options:")[0]
    explained = dict(
        line.split(maxsplit=1) for line in positional.strip().splitlines() if line.strip()
    )
    assert sorted(explained) == sorted(names)
    assert all(len(words) > 10 for words in explained.values()), explained
    assert "results file" in positional


def test_the_top_help_lists_every_command_with_its_purpose() -> None:
    from imgbench.tui.cli import COMMANDS, build_parser

    parser = build_parser()
    assert sorted(_subcommands(parser)) == sorted(COMMANDS)
    text = parser.format_help()
    for command in COMMANDS:
        line = next(line for line in text.splitlines() if line.strip().startswith(command + " "))
        assert len(line.split(maxsplit=1)[1]) > 10, line


def test_the_report_formats_match_the_report_writer() -> None:
    from imgbench.tui.cli import REPORT_FORMATS
    from imgbench.tui.report_files import FORMATS

    assert tuple(REPORT_FORMATS) == tuple(FORMATS)


def _subcommands(parser: Any) -> dict[str, Any]:
    import argparse

    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_compare_says_the_values_that_differ_not_what_was_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both runs loaded the synthetic set (one asked "auto", one "synthetic"): no data
    difference; the backend options that differ are named with both values."""
    from imgbench.tui.cli import main

    options = {"png": {"compress_level": 9}, "hdf5": {"gzip_level": 7}}
    a = make_document(settings={"data": "auto"})
    b = make_document(settings={"data": "synthetic", "backend_options": options})
    save_document(a, tmp_path / "a.json")
    save_document(b, tmp_path / "b.json")
    assert main(["compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "backend_options.png.compress_level: A default, B 9" in out
    assert "backend_options.hdf5.gzip_level: A 4 (default), B 7" in out
    assert "data:" not in out and "{…}" not in out


def test_the_quick_preset_fits_its_minute_to_a_folder_of_photos(tmp_path: Path) -> None:
    """Large images and no cutoffs given: the quick preset's counts are cut to keep its
    promise; the same flags with cutoffs given are kept as typed."""
    from PIL import Image

    from imgbench.core.settings import preset
    from imgbench.tui.cli import build_parser, pixel_bytes_before_loading, settings_from_args

    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        Image.new("RGB", (640, 480), (i, 50, 90)).save(photos / f"p{i}.jpg")
    settings = settings_from_args(build_parser().parse_args(["run", "--data", str(photos)]))
    assert pixel_bytes_before_loading(settings, look_in_folder=True) == 640 * 480 * 3
    assert pixel_bytes_before_loading(settings, look_in_folder=False) is None
    gone = settings_from_args(build_parser().parse_args(["run", "--data", str(tmp_path / "x")]))
    assert pixel_bytes_before_loading(gone, look_in_folder=True) is None  # the run says why
    assert max(preset("quick").cutoffs) == 1000  # what the fitting has to cut
