"""Tests for the results document: numbers, building, atomic saving, checked loading, comparing."""

from __future__ import annotations

import errno
import json
import os
import stat
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import imgbench.core
from imgbench.core import results
from imgbench.core.errors import ImgbenchError
from imgbench.core.results import (
    MAX_FILE_BYTES,
    RESULTS_SCHEMA,
    SCHEMA,
    STATUSES,
    Comparison,
    ComparisonRow,
    OutputExistsError,
    ResultsError,
    build_document,
    check_output_path,
    compare_documents,
    document_problems,
    load_document,
    measurement,
    save_document,
    save_document_safely,
)
from result_docs import make_document, rebuilt, with_noise_fields

CREATED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _row(
    backend: str = "lmdb", experiment: str = "read_many", n: int = 100, **kw: Any
) -> dict[str, Any]:
    samples = kw.pop("samples", [0.2, 0.1, 0.3])
    row: dict[str, Any] = measurement(
        backend, experiment, n, n, samples, images=n, pixel_bytes=n * 3072, **kw
    )
    return row


def _document(**overrides: Any) -> dict[str, Any]:
    parts: dict[str, Any] = {
        "settings": {"data": "synthetic", "repeats": 3, "cutoffs": [10, 100], "workdir": "/a"},
        "dataset": {
            "source": "synthetic",
            "path": None,
            "count": 100,
            "shape": [32, 32, 3],
            "classes": 10,
            "sha256": "ab" * 32,
        },
        "environment": {"python": "3.11.7", "cpu": "CPU A", "os": "Linux", "packages": {}},
        "measurements": [
            _row("png", "store_many", 10, bytes_apparent=1000, bytes_allocated=4096),
            _row("lmdb", "read_many", 100, verified=True),
        ],
        "status": "complete",
        "errors": [],
        "notes": ["a note"],
        "created": CREATED,
    }
    parts.update(overrides)
    document: dict[str, Any] = build_document(**parts)
    return document


def _save(folder: Path, document: dict[str, Any]) -> Path:
    path = folder / "out.json"
    save_document(document, path)
    return path


def _write(path: Path, content: str | bytes | Any) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


def _load_error(path: Path) -> str:
    """Load a bad file, check the message names it and the file is untouched; the reason."""
    before = path.read_bytes()
    modified = path.stat().st_mtime_ns
    with pytest.raises(ResultsError) as caught:
        load_document(path)
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == modified
    assert str(caught.value).startswith(f"{path}: ")
    assert caught.value.path == path
    reason: str = caught.value.problem  # the reason alone: the path holds the test's name
    return reason


# --- measurement ---------------------------------------------------------------------------


def test_measurement_throughput_uses_the_median() -> None:
    row = measurement(
        "hdf5", "read_random", 1000, 50, [0.5, 0.25, 2.0], images=50, pixel_bytes=50 * 3072
    )
    assert row["median_s"] == 0.5
    assert row["images_per_s"] == pytest.approx(100.0)
    assert row["mb_per_s"] == pytest.approx(50 * 3072 / 0.5 / 1e6)  # decimal megabytes
    assert (row["n"], row["k"]) == (1000, 50)
    assert row["samples_s"] == [0.5, 0.25, 2.0]
    assert row["verified"] is None and row["bytes_apparent"] is None
    assert row["cache"] == "warm"


def test_measurement_zero_median_gives_no_throughput() -> None:
    row = measurement("raw", "read_single", 1, 1, [0.0], images=1, pixel_bytes=3072)
    assert row["images_per_s"] is None
    assert row["mb_per_s"] is None


def test_measurement_keeps_bytes_verified_and_cache() -> None:
    row = _row(bytes_apparent=10, bytes_allocated=4096, verified=False, cache="cold-unsupported")
    assert (row["bytes_apparent"], row["bytes_allocated"]) == (10, 4096)
    assert row["verified"] is False
    assert row["cache"] == "cold-unsupported"


def test_measurement_has_the_noise_figures() -> None:
    row = _row(samples=[0.2, 0.1, 0.3, 0.25, 0.15])
    assert row["median_s"] == 0.2
    assert row["q1_s"] == pytest.approx(0.15) and row["q3_s"] == pytest.approx(0.25)
    assert row["min_s"] <= row["ci_low_s"] <= 0.2 <= row["ci_high_s"] <= 0.3
    assert row["loops"] == 1
    assert [w["code"] for w in row["warnings"]] == ["noisy"]  # ±50%: a very wide interval


def test_measurement_interval_is_the_same_in_every_run() -> None:
    samples = [0.1 + 0.01 * (i % 7) for i in range(30)]
    assert _row(samples=samples) == _row(samples=samples)
    other_key = _row("png", samples=samples)
    assert (other_key["ci_low_s"], other_key["ci_high_s"]) != (None, None)


def test_measurement_keeps_starts_pressure_loops_and_extra_fields() -> None:
    pressure = {"source": "psi", "cpu_some_share": 0.3, "load1": 2.0, "cores": 4}
    row = _row(
        samples=[0.1, 0.1, 0.1],
        sample_starts=[1700000000.0, 1700000000.5, 1700000001.0],
        pressure=pressure,
        loops=64,
        cores=4,
        extra={"ids_seed": [0, 100, 1], "order": "rotated"},
    )
    assert row["sample_starts"] == [1700000000.0, 1700000000.5, 1700000001.0]
    assert row["pressure"] == pressure and row["pressure"] is not pressure
    assert row["loops"] == 64
    assert (row["ids_seed"], row["order"]) == ([0, 100, 1], "rotated")
    assert row["warnings"] == [{"code": "busy", "source": "psi", "cpu_some_share": 0.3}]


def test_measurement_without_starts_or_pressure_leaves_them_out() -> None:
    row = _row()
    assert "sample_starts" not in row and "pressure" not in row


def test_measurement_warns_of_a_busy_machine_by_load_average_and_of_few_samples() -> None:
    pressure = {"source": "loadavg", "cpu_some_share": None, "load1": 6.0, "cores": None}
    row = _row(samples=[0.1, 0.1], pressure=pressure, cores=2)
    assert [w["code"] for w in row["warnings"]] == ["busy", "few_samples"]


def test_measurement_refuses_starts_that_do_not_match_the_samples() -> None:
    with pytest.raises(ValueError, match="2 sample starts for 3 samples"):
        _row(sample_starts=[1.0, 2.0])


def test_measurement_refuses_extra_fields_that_replace_its_own() -> None:
    with pytest.raises(ValueError, match="median_s, warnings"):
        _row(extra={"warnings": [], "median_s": 0.0, "order": 1})


def test_measurement_of_opening_a_reader_is_a_valid_row(tmp_path: Path) -> None:
    row = _row("lmdb", "open", 100, verified=True)
    path = _save(tmp_path, _document(measurements=[row]))
    assert load_document(path)["measurements"][0]["experiment"] == "open"


def test_measurement_turns_numpy_integers_into_plain_ones(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    row = _row(n=int(np.int64(10)), bytes_apparent=np.int64(5), bytes_allocated=np.int64(8))
    assert type(row["bytes_apparent"]) is int and type(row["bytes_allocated"]) is int
    save_document(_document(measurements=[row]), tmp_path / "r.json")


# --- build ----------------------------------------------------------------------------------


def test_build_document_has_the_contract_fields() -> None:
    document = _document()
    assert document["schema"] == SCHEMA == "imgbench.results/1"
    assert document["tool"] == {"name": "imgbench", "version": imgbench.core.__version__}
    assert datetime.fromisoformat(document["created"]) == CREATED
    assert document["status"] == "complete"
    assert document["notes"] == ["a note"]
    assert set(document) >= {
        "environment",
        "dataset",
        "settings",
        "measurements",
        "errors",
    }


def test_build_document_created_defaults_to_now_with_a_time_zone() -> None:
    document = _document(created=None)
    created = datetime.fromisoformat(document["created"])
    assert created.tzinfo is not None
    assert abs(datetime.now(timezone.utc) - created) < timedelta(minutes=1)


def test_build_document_gives_naive_times_a_time_zone() -> None:
    created = datetime.fromisoformat(_document(created=datetime(2024, 1, 1, 12))["created"])
    assert created.tzinfo is not None


def test_build_document_refuses_unknown_status() -> None:
    with pytest.raises(ValueError, match="unknown status"):
        _document(status="done")


# --- save and load round trip --------------------------------------------------------------


def test_round_trip(tmp_path: Path) -> None:
    document = _document()
    path = tmp_path / "results.json"
    save_document(document, path)
    assert load_document(path) == document
    assert list(tmp_path.iterdir()) == [path]


def test_round_trip_of_a_cancelled_run_with_errors(tmp_path: Path) -> None:
    document = _document(
        status="cancelled",
        errors=[{"task": "png store_many n=10", "message": "disk full"}],
        dataset={},
        measurements=[],
    )
    path = _save(tmp_path, document)
    assert load_document(path) == document


def test_save_replaces_an_existing_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.json", "old")
    save_document(_document(status="failed"), path)
    assert load_document(path)["status"] == "failed"


def test_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.json", "old")
    path.chmod(0o640)
    save_document(_document(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_saved_file_is_indented_json_ending_in_a_newline(tmp_path: Path) -> None:
    path = _save(tmp_path, _document())
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert '\n  "schema": "imgbench.results/1"' in text


# --- atomic save ------------------------------------------------------------------------------


OLD = '{"old": "content that must survive"}'


def test_interrupted_write_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "r.json", OLD)
    real_dumps = json.dumps

    def dump_half_then_fail(document: Any, handle: Any, **kwargs: Any) -> None:
        text = real_dumps(document, **kwargs)
        handle.write(text[: len(text) // 2])
        handle.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(results.json, "dump", dump_half_then_fail)
    with pytest.raises(ResultsError) as caught:
        save_document(_document(), path)
    assert "No space left on device" in caught.value.problem
    assert caught.value.path == path
    assert path.read_text(encoding="utf-8") == OLD
    assert list(tmp_path.iterdir()) == [path]


def test_keyboard_interrupt_mid_write_is_reraised_and_cleaned_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "r.json", OLD)

    def interrupted(document: Any, handle: Any, **kwargs: Any) -> None:
        handle.write('{"schema": "imgbench.res')
        raise KeyboardInterrupt

    monkeypatch.setattr(results.json, "dump", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_document(_document(), path)
    assert path.read_text(encoding="utf-8") == OLD
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_failure_at_fsync_or_rename_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    path = _write(tmp_path / "r.json", OLD)

    def fail(*args: Any) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(results.os, step, fail)
    with pytest.raises(ResultsError) as caught:
        save_document(_document(), path)
    assert "could not save: Input/output error" in caught.value.problem
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == OLD
    assert list(tmp_path.iterdir()) == [path]


def test_unsaveable_values_are_refused_without_a_trace(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.json", OLD)
    document = _document()
    document["measurements"][0]["median_s"] = float("nan")
    with pytest.raises(ResultsError) as caught:
        save_document(document, path)
    assert "could not save" in caught.value.problem
    assert path.read_text(encoding="utf-8") == OLD
    assert list(tmp_path.iterdir()) == [path]


def test_save_into_a_missing_folder_is_a_results_error(tmp_path: Path) -> None:
    with pytest.raises(ResultsError) as caught:
        save_document(_document(), tmp_path / "missing" / "r.json")
    assert "could not save" in caught.value.problem


def test_results_error_is_an_imgbench_error() -> None:
    assert issubclass(ResultsError, ImgbenchError)


# --- check_output_path -----------------------------------------------------------------------


def test_check_output_path_accepts_a_new_file_and_creates_nothing(tmp_path: Path) -> None:
    check_output_path(tmp_path / "new.json")
    assert list(tmp_path.iterdir()) == []


def test_check_output_path_with_force_accepts_a_results_file_and_leaves_it(
    tmp_path: Path,
) -> None:
    path = _save(tmp_path, _document())
    before = path.read_bytes()
    check_output_path(path, force=True)
    assert path.read_bytes() == before


def test_check_output_path_refuses_a_missing_folder(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "r.json"
    with pytest.raises(ResultsError) as caught:
        check_output_path(path)
    assert "does not exist" in caught.value.problem
    assert str(tmp_path / "nowhere") in str(caught.value)
    assert not (tmp_path / "nowhere").exists()


def test_check_output_path_refuses_a_parent_that_is_a_file(tmp_path: Path) -> None:
    parent = _write(tmp_path / "plain", "x")
    with pytest.raises(ResultsError) as caught:
        check_output_path(parent / "r.json")
    assert "is not a folder" in caught.value.problem
    assert parent.read_text(encoding="utf-8") == "x"


def test_check_output_path_refuses_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "results.json"
    folder.mkdir()
    with pytest.raises(ResultsError) as caught:
        check_output_path(folder)
    assert "is a folder" in caught.value.problem
    assert caught.value.path == folder
    assert list(folder.iterdir()) == []


def test_check_output_path_refuses_a_device(tmp_path: Path) -> None:
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null here")
    with pytest.raises(ResultsError) as caught:
        check_output_path(Path("/dev/null"))
    assert "not a regular file" in caught.value.problem


@pytest.mark.skipif(IS_ROOT, reason="root writes regardless of permission bits")
def test_check_output_path_refuses_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ResultsError) as caught:
            check_output_path(folder / "r.json")
        assert "permission denied" in caught.value.problem
    finally:
        folder.chmod(0o700)


# --- load: bad files ---------------------------------------------------------------------------


def test_load_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    with pytest.raises(ResultsError) as caught:
        load_document(path)
    assert "no such file" in caught.value.problem
    assert str(path) in str(caught.value)
    assert not path.exists()


def test_load_folder(tmp_path: Path) -> None:
    with pytest.raises(ResultsError) as caught:
        load_document(tmp_path)
    assert "is a folder" in caught.value.problem


@pytest.mark.parametrize(
    "cut_after",
    ['"created": "20', '"created"', '"status": ', '"verified": tr', '"verified": null', '"n": 1'],
)
def test_load_truncated_json(tmp_path: Path, cut_after: str) -> None:
    full = json.dumps(_document(), indent=2)
    path = _write(tmp_path / "r.json", full[: full.index(cut_after) + len(cut_after)])
    message = _load_error(path)
    assert message.startswith("truncated")
    assert "line " in message and "column " in message


def test_load_half_a_file_is_truncated(tmp_path: Path) -> None:
    full = json.dumps(_document(), indent=2)
    path = _write(tmp_path / "r.json", full[: len(full) // 2])
    assert _load_error(path).startswith("truncated")


def test_load_corrupt_json_names_the_position(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.json", '{"schema": "imgbench.results/1",\n "status" "complete"}')
    message = _load_error(path)
    assert message.startswith("corrupt: not valid JSON (Expecting ':' delimiter")
    assert "line 2 column" in message


def test_load_random_bytes(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.json", bytes(range(256)) * 4)
    message = _load_error(path)
    assert "corrupt" in message


def test_load_empty_file(tmp_path: Path) -> None:
    assert "empty" in _load_error(_write(tmp_path / "r.json", b""))


def test_load_json_that_is_not_an_object(tmp_path: Path) -> None:
    message = _load_error(_write(tmp_path / "r.json", [1, 2, 3]))
    assert "not an imgbench results file" in message
    assert "a list, not an object" in message


def test_load_without_schema(tmp_path: Path) -> None:
    document = _document()
    del document["schema"]
    message = _load_error(_write(tmp_path / "r.json", document))
    assert "not an imgbench results file" in message and "'schema'" in message


@pytest.mark.parametrize("schema", ["otherbench.results/1", 7])
def test_load_other_schema(tmp_path: Path, schema: Any) -> None:
    document = _document()
    document["schema"] = schema
    message = _load_error(_write(tmp_path / "r.json", document))
    assert f"not an imgbench results file: schema is {schema!r}" in message


def test_load_newer_version_says_upgrade(tmp_path: Path) -> None:
    document = _document()
    document["schema"] = "imgbench.results/2"
    message = _load_error(_write(tmp_path / "r.json", document))
    assert "written by a newer imgbench (imgbench.results/2)" in message
    assert "reads version 1" in message
    assert "upgrade imgbench" in message


@pytest.mark.parametrize("schema", ["imgbench.results/x", "imgbench.results", "imgbench.results/0"])
def test_load_unreadable_version(tmp_path: Path, schema: str) -> None:
    document = _document()
    document["schema"] = schema
    assert "schema version" in _load_error(_write(tmp_path / "r.json", document))


def test_load_missing_keys_are_named(tmp_path: Path) -> None:
    document = _document()
    del document["measurements"]
    del document["status"]
    message = _load_error(_write(tmp_path / "r.json", document))
    assert "not a valid imgbench results file" in message
    assert "measurements is missing" in message
    assert "status is missing" in message


def test_load_unknown_status(tmp_path: Path) -> None:
    document = _document()
    document["status"] = "done"
    message = _load_error(_write(tmp_path / "r.json", document))
    assert 'status is "done", expected complete, cancelled, interrupted or failed' in message


def test_load_bad_measurement_types_are_named(tmp_path: Path) -> None:
    document = _document()
    document["measurements"][1]["n"] = "ten"
    document["measurements"][1]["backend"] = "zip"
    document["measurements"][0]["samples_s"] = [0.1, "slow"]
    message = _load_error(_write(tmp_path / "r.json", document))
    assert 'measurements[0].samples_s[1] is "slow", expected seconds' in message
    assert 'measurements[1].backend is "zip", expected a store name' in message
    assert 'measurements[1].n is "ten", expected a whole number from 1 to 10**12' in message


def test_load_measurement_missing_field_and_not_an_object(tmp_path: Path) -> None:
    document = _document()
    del document["measurements"][0]["median_s"]
    document["measurements"].append("row")
    message = _load_error(_write(tmp_path / "r.json", document))
    assert "measurements[0].median_s is missing" in message
    assert 'measurements[2] is "row", expected an object' in message


def test_load_rejects_booleans_as_numbers_and_unknown_experiment_and_cache(tmp_path: Path) -> None:
    document = _document()
    row = document["measurements"][0]
    row["k"] = True
    row["experiment"] = "disk_usage"
    row["cache"] = "hot"
    message = _load_error(_write(tmp_path / "r.json", document))
    assert "measurements[0].k is true" in message
    assert 'measurements[0].experiment is "disk_usage"' in message
    assert 'measurements[0].cache is "hot"' in message


def test_load_names_only_the_first_few_problems(tmp_path: Path) -> None:
    document = _document()
    for key in ("tool", "environment", "dataset", "settings", "errors"):
        document[key] = 5
    message = _load_error(_write(tmp_path / "r.json", document))
    assert "tool is 5, expected an object" in message
    assert "(and 2 more)" in message
    assert "errors" not in message


def test_load_accepts_extra_fields_and_a_missing_notes(tmp_path: Path) -> None:
    document = _document()
    document["by_another_tool"] = {"x": 1}
    document["measurements"][0]["gpu"] = "none"
    del document["notes"]
    loaded = load_document(_write(tmp_path / "r.json", document))
    assert loaded["by_another_tool"] == {"x": 1}
    assert loaded["measurements"][0]["gpu"] == "none"
    assert loaded["notes"] == []


def test_load_reads_files_written_before_the_noise_figures(tmp_path: Path) -> None:
    old = make_document()
    assert "ci_low_s" not in old["measurements"][0] and "warnings" not in old["measurements"][0]
    assert load_document(_write(tmp_path / "r.json", old)) == old


def test_load_round_trips_the_noise_figures(tmp_path: Path) -> None:
    pressure = {"source": "loadavg", "cpu_some_share": None, "load1": 0.7, "cores": 8}
    document = with_noise_fields(make_document())
    document["measurements"][0] = rebuilt(
        document["measurements"][0],
        [0.1, 0.2],
        sample_starts=[1.0, 2.0],
        pressure=pressure,
        loops=3,
        extra={"order": {"kind": "permutation", "seed": [0, 10, 1]}},
    )
    path = _save(tmp_path, document)
    assert load_document(path) == document


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("ci_low_s", -1.0, "ci_low_s is -1.0, expected seconds"),
        ("q3_s", "slow", 'q3_s is "slow", expected seconds'),
        ("warnings", {"code": "noisy"}, 'warnings is {"code": "noisy"}, expected a list of'),
        ("warnings", [{"ci": 0.3}], "warnings[0].code is missing"),
        ("loops", 0, "loops is 0, expected a whole number from 1 to 10**12"),
        ("sample_starts", [1.0, "later", 3.0, 4.0, 5.0], 'sample_starts[1] is "later"'),
        ("pressure", {"source": "guess"}, 'pressure.source is "guess", expected psi or loadavg'),
        (
            "pressure",
            {"source": "psi", "cpu_some_share": 1.5},
            "pressure.cpu_some_share is 1.5, expected a share from 0 to 1",
        ),
    ],
)
def test_load_checks_the_noise_figures_when_present(
    tmp_path: Path, field: str, value: Any, expected: str
) -> None:
    document = with_noise_fields(make_document())
    document["measurements"][1][field] = value
    message = _load_error(_write(tmp_path / "r.json", document))
    assert f"measurements[1].{expected}" in message


def test_load_refuses_sample_starts_that_do_not_match_the_samples(tmp_path: Path) -> None:
    document = with_noise_fields(make_document())
    document["measurements"][0]["sample_starts"] = [1.0, 2.0]
    message = _load_error(_write(tmp_path / "r.json", document))
    assert "measurements[0].sample_starts has 2 times for 5 samples" in message


def test_load_accepts_a_z_suffixed_time(tmp_path: Path) -> None:
    document = _document()
    document["created"] = "2024-05-06T07:08:09Z"
    assert load_document(_write(tmp_path / "r.json", document))["created"].endswith("Z")


# --- compare ---------------------------------------------------------------------------------


def _timed(backend: str, experiment: str, n: int, seconds: float) -> dict[str, Any]:
    row: dict[str, Any] = measurement(backend, experiment, n, n, [seconds], images=n, pixel_bytes=n)
    return row


def test_compare_ratios_are_b_over_a() -> None:
    a = _document(
        measurements=[_timed("png", "store_many", 10, 2.0), _timed("lmdb", "read_many", 10, 1.0)]
    )
    b = _document(
        measurements=[_timed("lmdb", "read_many", 10, 0.5), _timed("png", "store_many", 10, 3.0)]
    )
    comparison = compare_documents(a, b)
    assert isinstance(comparison, Comparison)
    # one sample a side shows no spread: the ratios stand, no difference is claimed
    assert comparison.rows == (
        ComparisonRow(
            "png", "store_many", 10, median_a=2.0, median_b=3.0, ratio=1.5, verdict="same"
        ),
        ComparisonRow(
            "lmdb", "read_many", 10, median_a=1.0, median_b=0.5, ratio=0.5, verdict="same"
        ),
    )
    assert comparison.only_in_a == () and comparison.only_in_b == ()


def test_compare_lists_rows_only_in_one_side() -> None:
    a = _document(
        measurements=[_timed("png", "store_many", 10, 1.0), _timed("png", "store_many", 100, 1.0)]
    )
    b = _document(
        measurements=[_timed("png", "store_many", 10, 1.0), _timed("hdf5", "read_many", 10, 1.0)]
    )
    comparison = compare_documents(a, b)
    assert [(r.backend, r.n) for r in comparison.rows] == [("png", 10)]
    assert comparison.only_in_a == (("png", "store_many", 100),)
    assert comparison.only_in_b == (("hdf5", "read_many", 10),)


def test_compare_zero_median_in_a_has_no_ratio() -> None:
    a = _document(measurements=[_timed("raw", "read_single", 1, 0.0)])
    b = _document(measurements=[_timed("raw", "read_single", 1, 0.1)])
    assert compare_documents(a, b).rows[0].ratio is None


def test_compare_same_data() -> None:
    a = _document()
    assert compare_documents(a, _document()).same_data is True
    other = _document(dataset={**a["dataset"], "sha256": "cd" * 32})
    assert compare_documents(a, other).same_data is False
    assert compare_documents(_document(dataset={}), _document(dataset={})).same_data is False


def test_compare_settings_differences_ignore_workdir() -> None:
    a = _document(settings={"repeats": 3, "cache": "warm", "workdir": "/a", "k": 5})
    b = _document(settings={"repeats": 7, "cache": "warm", "workdir": "/b", "seed": 1})
    assert compare_documents(a, b).settings_differences == (
        ("repeats", 3, 7),
        ("k", 5, None),
        ("seed", None, 1),
    )


_SETTINGS = {"data": "synthetic", "repeats": 3, "cutoffs": [10, 100], "workdir": "/a"}


def test_compare_data_is_what_was_loaded_not_what_was_asked() -> None:
    """ "auto" that found no CIFAR data loaded the synthetic set, as "synthetic" did."""
    asked_auto = _document(settings={"data": "auto", "repeats": 3})
    asked_synthetic = _document(settings={"data": "synthetic", "repeats": 3})
    assert compare_documents(asked_auto, asked_synthetic).settings_differences == ()

    folder = "/data/cifar-10-batches-py"
    cifar = {**asked_auto["dataset"], "source": "cifar10", "path": folder, "sha256": "cd" * 32}
    found = _document(settings={"data": "auto", "repeats": 3}, dataset=cifar)
    assert compare_documents(asked_synthetic, found).settings_differences == (
        ("data", "synthetic", folder),
    )


def test_compare_data_without_a_loaded_data_set_falls_back_to_the_setting() -> None:
    failed = _document(settings={**_SETTINGS, "data": "/gone"}, dataset={})
    assert compare_documents(_document(), failed).settings_differences == (
        ("data", "synthetic", "/gone"),
        ("count", 100, None),
    )


def test_compare_count_is_the_images_the_run_had() -> None:
    """A count left to the largest cutoff and the same count given are the same count."""
    given = _document(settings={**_SETTINGS, "count": 100})
    assert compare_documents(_document(), given).settings_differences == ()
    more = _document(dataset={**given["dataset"], "count": 1_000, "sha256": "cd" * 32})
    assert compare_documents(given, more).settings_differences == (("count", 100, 1_000),)


def test_compare_names_each_differing_backend_option_with_both_values() -> None:
    plain = _document(settings={"data": "synthetic", "backend_options": {}})
    tuned = _document(
        settings={
            "data": "synthetic",
            "backend_options": {"png": {"compress_level": 9}, "hdf5": {"gzip_level": 7}},
        }
    )
    comparison = compare_documents(plain, tuned)
    assert comparison.settings_differences == (
        ("backend_options.png.compress_level", None, 9),
        ("backend_options.hdf5.gzip_level", None, 7),
    )
    assert comparison.defaults == {
        "backend_options.png.compress_level": None,  # Pillow's own default
        "backend_options.hdf5.gzip_level": 4,
    }
    same = compare_documents(tuned, _document(settings=tuned["settings"]))
    assert same.settings_differences == () and same.defaults == {}


def test_compare_an_option_of_an_unknown_store_has_no_default() -> None:
    a = _document(settings={**_SETTINGS, "backend_options": {"zip": {"level": 1}}})
    comparison = compare_documents(a, _document())
    assert comparison.settings_differences == (("backend_options.zip.level", 1, None),)
    assert comparison.defaults == {}


def test_compare_environment_differences() -> None:
    a = _document(
        environment={"cpu": "A", "os": "Linux", "packages": {"numpy": "1.26", "lmdb": "1.4"}}
    )
    b = _document(
        environment={
            "cpu": "B",
            "os": "Linux",
            "workdir_filesystem": "tmpfs",
            "packages": {"numpy": "2.0", "lmdb": "1.4"},
        }
    )
    differences = compare_documents(a, b).environment_differences
    assert ("cpu", "A", "B") in differences
    assert ("workdir_filesystem", None, "tmpfs") in differences
    assert ("packages.numpy", "1.26", "2.0") in differences
    assert not any(key in ("os", "packages.lmdb") for key, _, _ in differences)


def test_compare_identical_documents_has_no_differences() -> None:
    comparison = compare_documents(_document(), _document())
    assert comparison.settings_differences == ()
    assert comparison.environment_differences == ()
    assert all(row.ratio == 1.0 for row in comparison.rows)
    assert len(comparison.rows) == 2


def _verdicts(a: dict[str, Any], b: dict[str, Any]) -> dict[str, int]:
    verdicts = [row.verdict for row in compare_documents(a, b).rows]
    return {verdict: verdicts.count(verdict) for verdict in set(verdicts)}


def test_compare_a_document_with_itself_claims_no_difference() -> None:
    document = with_noise_fields(make_document())
    assert _verdicts(document, document) == {"same": len(document["measurements"])}


def test_compare_runs_of_one_noisy_distribution_claims_no_difference() -> None:
    """Two runs of the same thing on a noisy machine: medians differ, nothing is claimed.

    Each row has 2 to 12 samples with a spread of about ±25%. Per row a false claim has a
    chance of about 1% (tests/test_stats.py checks the rate), so the seed is fixed.
    """
    rng = np.random.default_rng(2025)

    def noisy(row: dict[str, Any]) -> list[float]:
        size = int(rng.integers(2, 13))
        return (row["median_s"] * rng.lognormal(0, 0.25, size)).tolist()

    a, b = with_noise_fields(make_document(), noisy), with_noise_fields(make_document(), noisy)
    comparison = compare_documents(a, b)
    ratios = [row.ratio for row in comparison.rows if row.ratio is not None]
    assert max(ratios) / min(ratios) > 2  # the medians alone would tell a story
    assert _verdicts(a, b) == {"same": len(a["measurements"])}


def _steady_png_run(seed: int, scale: float, spread: float = 0.02, count: int = 8) -> Any:
    """A png-only document whose samples sit tightly around ``scale`` x the made-up median."""
    rng = np.random.default_rng(seed)

    def samples(row: Any) -> Any:
        low, high = 1 - spread, 1 + spread
        return (row["median_s"] * scale * rng.uniform(low, high, count)).tolist()

    return with_noise_fields(make_document(backends=("png",)), samples)


def test_compare_clearly_separated_samples_gets_the_direction_right() -> None:
    a = _steady_png_run(3, 1.0)
    slower, faster = _steady_png_run(4, 2.5), _steady_png_run(5, 0.4)
    assert _verdicts(a, slower) == {"slower": len(a["measurements"])}
    assert _verdicts(a, faster) == {"faster": len(a["measurements"])}
    assert all(row.ratio and row.ratio > 2 for row in compare_documents(a, slower).rows)


def test_a_difference_within_what_two_runs_differ_by_is_no_claim() -> None:
    """1.3x apart with tight samples: real within each run, but two runs of one plan on
    one machine differ by that much, so compare claims nothing."""
    a = _steady_png_run(6, 1.0, spread=0.01, count=12)
    b = _steady_png_run(7, 1.3, spread=0.01, count=12)
    assert _verdicts(a, b) == {"same": len(a["measurements"])}


def test_a_ratio_just_past_run_to_run_drift_whose_intervals_reach_back_is_no_claim() -> None:
    """2.05x apart in the medians, but with ±15% samples the intervals' near ends are
    under 2x apart: as likely drift as a difference (seen between two quick runs)."""
    a = _steady_png_run(10, 1.0, spread=0.15, count=12)
    b = _steady_png_run(11, 2.05, spread=0.15, count=12)
    ratios = [row.ratio for row in compare_documents(a, b).rows if row.ratio]
    assert sum(ratio >= 2.0 for ratio in ratios) >= len(ratios) // 2  # past 2x, the medians
    assert _verdicts(a, b) == {"same": len(a["measurements"])}


def test_a_noisy_row_supports_no_claim() -> None:
    a, b = _steady_png_run(8, 1.0), _steady_png_run(9, 3.0)
    for row in b["measurements"]:
        row["warnings"] = [{"code": "noisy", "ci_half_width_share": 0.3, "iqr_share": 0.4}]
    assert _verdicts(a, b) == {"same": len(a["measurements"])}


# --- status "interrupted" ---------------------------------------------------------------------


def test_a_run_ended_by_a_signal_is_saved_and_loaded_as_interrupted(tmp_path: Path) -> None:
    assert "interrupted" in STATUSES
    document = _document(status="interrupted", notes=["stopped by SIGHUP"])
    path = _save(tmp_path, document)
    assert load_document(path)["status"] == "interrupted"


# --- the schema: every field's type and range ---------------------------------------------------


def test_the_schema_is_valid_draft_2020_12() -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(RESULTS_SCHEMA)
    assert RESULTS_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_what_imgbench_writes_passes_the_schema(tmp_path: Path) -> None:
    """The real producers of each section, not hand-made dicts: the schema must fit them."""
    from imgbench.core.data_source import dataset_record
    from imgbench.core.dataset import Dataset
    from imgbench.core.environment import environment_info
    from imgbench.core.images import ImageList
    from imgbench.core.settings import PRESETS
    from imgbench.core.synthetic import make_synthetic

    varying = Dataset(
        images=ImageList.from_arrays([np.zeros((4, 5, 3), np.uint8), np.ones((6, 2), np.uint8)]),
        labels=np.array([0, 1], dtype=np.int64),
        class_names=("a", "b"),
        source="folder",
        path=str(tmp_path),
        details={"files_skipped": 1, "skipped_examples": ["x.txt"]},
    )
    pressure = {"source": "psi", "cpu_some_share": 0.4, "load1": 3.0, "cores": 2}
    rows = [
        _row(samples=[0.1, 0.2, 0.4], sample_starts=[1e9, 1e9 + 1, 1e9 + 2], pressure=pressure),
        _row("raw", "read_single", 10, samples=[0.0]),  # no throughput, few samples
    ]
    for dataset in (make_synthetic(20), varying):
        for settings in PRESETS.values():
            document = build_document(
                settings=settings.to_dict(),
                dataset=dataset_record(dataset),
                environment=environment_info(tmp_path),
                measurements=rows,
                status="interrupted",
                errors=[{"task": "run", "message": "boom", "detail": "Traceback..."}],
                notes=["a note"],
            )
            assert document_problems(document) == []


def test_a_401_digit_n_is_refused_in_one_line(tmp_path: Path) -> None:
    document = _document()
    document["measurements"][1]["n"] = 10**401
    message = _load_error(_write(tmp_path / "r.json", document))
    assert message == (
        "not a valid imgbench results file: measurements[1].n is a 402-digit number, "
        "expected a whole number from 1 to 10**12"
    )


@pytest.mark.parametrize(
    ("section", "key", "value", "said"),
    [
        ("environment", "packages", "numpy 1.26", 'environment.packages is "numpy 1.26"'),
        ("environment", "packages", {"numpy": 2}, "environment.packages.numpy is 2"),
        ("environment", "cores", 10**13, "environment.cores is 10000000000000"),
        ("settings", "cutoffs", [10, "100"], 'settings.cutoffs[1] is "100"'),
        ("settings", "cutoffs", [10, 0], "settings.cutoffs[1] is 0"),
        ("settings", "k", 10.0, "settings.k is 10.0, expected a whole number"),
        ("settings", "backend_options", {"png": 5}, "settings.backend_options.png is 5"),
        ("dataset", "count", -1, "dataset.count is -1"),
        ("dataset", "shape", [32, "32", 3], 'dataset.shape[1] is "32"'),
        ("dataset", "sha256", ["ab"], 'dataset.sha256 is ["ab"]'),
    ],
)
def test_each_section_is_checked(
    tmp_path: Path, section: str, key: str, value: Any, said: str
) -> None:
    document = _document()
    document[section][key] = value
    message = _load_error(_write(tmp_path / "r.json", document))
    assert said in message
    assert "\n" not in message


def test_a_measurement_beyond_its_range_is_refused(tmp_path: Path) -> None:
    document = _document()
    row = document["measurements"][0]
    row["median_s"] = 1e300
    row["bytes_allocated"] = -4096
    row["samples_s"] = []
    message = _load_error(_write(tmp_path / "r.json", document))
    assert "measurements[0].samples_s is [], expected a non-empty list of seconds" in message
    assert "measurements[0].median_s is 1e+300, expected seconds" in message
    assert "measurements[0].bytes_allocated is -4096" in message


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_not_a_number_is_not_json(tmp_path: Path, constant: str) -> None:
    text = json.dumps(_document(), indent=2).replace('"min_s": 0.1', f'"min_s": {constant}', 1)
    assert constant in text
    message = _load_error(_write(tmp_path / "r.json", text))
    assert message == f"corrupt: not valid JSON ({constant} is not a number JSON allows)"


def test_an_integer_of_thousands_of_digits_is_corrupt(tmp_path: Path) -> None:
    text = json.dumps(_document()).replace('"n": 100', '"n": 1' + "0" * 5000, 1)
    message = _load_error(_write(tmp_path / "r.json", text))
    assert message == "corrupt: not valid JSON (a number with thousands of digits)"


@pytest.mark.parametrize("version", ["9" * 5000, "\u00b2", "1" * 10])
def test_an_odd_schema_version_is_unreadable(tmp_path: Path, version: str) -> None:
    document = _document()
    document["schema"] = f"imgbench.results/{version}"
    message = _load_error(_write(tmp_path / "r.json", document))
    assert message.startswith("unreadable schema version in 'imgbench.results/")
    assert len(message) < 120


def test_the_created_time_must_be_iso_8601(tmp_path: Path) -> None:
    document = _document()
    document["created"] = "yesterday at noon"
    message = _load_error(_write(tmp_path / "r.json", document))
    assert 'created is "yesterday at noon", expected an ISO-8601 time' in message


def test_a_problem_line_is_short_and_escapes_what_it_shows(tmp_path: Path) -> None:
    document = _document()
    document["status"] = "line one\nline two " + "x" * 500
    document["environment"]["packages"] = {"odd name\n": 5}
    message = _load_error(_write(tmp_path / "r.json", document))
    assert "\n" not in message
    assert 'status is "line one\\nline two xxxxx' in message
    assert "xxx..., expected complete, cancelled" in message
    assert 'environment.packages["odd name\\n"] is 5' in message


def test_document_problems_of_something_that_is_not_an_object() -> None:
    not_an_object: Any = [1, 2]
    assert document_problems(not_an_object) == ["the document is [1, 2], expected an object"]


def test_text_that_is_not_unicode_in_a_file_is_escaped_when_loaded(tmp_path: Path) -> None:
    """A lone surrogate ("\\udce9" in the JSON) is no character a terminal can print."""
    document = _document(notes=["skipped caf\udce9.png", "odd \ud800"])
    path = _write(tmp_path / "r.json", json.dumps(document))  # ensure_ascii: \\udce9 escapes
    loaded = load_document(path)
    assert loaded["notes"] == ["skipped caf\\xe9.png", "odd \\ud800"]
    "".join(loaded["notes"]).encode("utf-8")


# --- files that are not regular files, or too large ----------------------------------------------


def _load_in_a_thread(path: Path) -> BaseException | None:
    """load_document's error, within seconds: a regression fails instead of hanging (a
    blocked open of a FIFO is released by opening its other end)."""
    outcome: list[BaseException | None] = []

    def load() -> None:
        try:
            load_document(path)
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        descriptor = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.close(descriptor)
        thread.join(10)
        pytest.fail(f"load_document({path}) blocked reading it")
    return outcome[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("through_a_link", [False, True])
def test_a_fifo_is_refused_without_being_opened(tmp_path: Path, through_a_link: bool) -> None:
    fifo = tmp_path / "results.json"
    os.mkfifo(fifo)
    path = fifo
    if through_a_link:
        path = tmp_path / "link.json"
        path.symlink_to(fifo)
    error = _load_in_a_thread(path)
    assert isinstance(error, ResultsError)
    assert error.problem == "is a FIFO (named pipe), not a results file; refused without reading"


def test_a_device_is_refused_without_being_read() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    error = _load_in_a_thread(Path("/dev/zero"))
    assert isinstance(error, ResultsError)
    assert "is a character device, not a results file" in error.problem


def test_a_file_too_large_for_results_is_refused_with_the_numbers(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:  # sparse: takes no disk
        handle.truncate(2**30)
    with pytest.raises(ResultsError) as caught:
        load_document(path)
    assert caught.value.problem == (
        "is 1,024.0 MiB (1,073,741,824 bytes), too large for a results file "
        f"(at most {MAX_FILE_BYTES // 2**20} MiB); refused without reading"
    )


# --- overwrite protection -----------------------------------------------------------------------


def _refused(path: Path, **options: Any) -> ResultsError:
    """check_output_path's refusal; the file is left as it was."""
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(ResultsError) as caught:
        check_output_path(path, **options)
    if before is not None:
        assert path.read_bytes() == before
    assert "\n" not in str(caught.value)
    return caught.value


def test_an_existing_results_file_is_replaced_only_with_force(tmp_path: Path) -> None:
    path = _save(tmp_path, _document())
    error = _refused(path)
    assert isinstance(error, OutputExistsError)
    assert error.found == (
        "an imgbench results file from 2024-05-06T07:08:09+00:00 (complete, 2 measurements)"
    )
    assert error.problem == f"already exists: {error.found}; --force replaces it"
    check_output_path(path, force=True)


def test_a_results_file_that_no_longer_validates_may_still_be_replaced(tmp_path: Path) -> None:
    document = _document()
    document["measurements"][0]["n"] = "ten"
    path = _write(tmp_path / "r.json", document)
    error = _refused(path)
    assert isinstance(error, OutputExistsError)
    assert error.found == "an imgbench results file from 2024-05-06T07:08:09+00:00"
    check_output_path(path, force=True)


def test_an_empty_file_is_replaced_only_with_force(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.json", b"")  # e.g. made by mktemp
    assert isinstance(_refused(path), OutputExistsError)
    check_output_path(path, force=True)


@pytest.mark.parametrize(
    ("content", "found"),
    [
        ("my notes on storage\n", "not an imgbench results file (not JSON)"),
        ('{"schema": "imgbench.results/1", "measure', "not an imgbench results file (not JSON)"),
        ({"title": "someone else's JSON"}, "not an imgbench results file"),
        ([1, 2, 3], "not an imgbench results file"),
        ({"schema": "imgbench.results/2"}, "a results file of a newer schema (imgbench.results/2)"),
        (
            {"schema": "imgbench.results/x"},
            "not an imgbench results file (schema imgbench.results/x)",
        ),
    ],
)
@pytest.mark.parametrize("force", [False, True])
def test_a_file_that_is_not_imgbench_results_is_never_replaced(
    tmp_path: Path, content: Any, found: str, force: bool
) -> None:
    path = _write(tmp_path / "r.json", content)
    error = _refused(path, force=force)
    assert not isinstance(error, OutputExistsError)
    assert error.problem == (
        f"already exists and is {found}; imgbench will not replace it — choose another name"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_as_output_is_refused_without_being_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "r.json"
    os.mkfifo(fifo)
    assert "not a regular file" in _refused(fifo, force=True).problem


@pytest.mark.parametrize("force", [False, True])
def test_the_data_is_never_the_output(tmp_path: Path, force: bool) -> None:
    archive = _write(tmp_path / "cifar-10-python.tar.gz", b"\x1f\x8b not really")
    error = _refused(archive, force=force, data_path=archive)
    assert error.problem == (
        f"is the data ({archive}); results never replace the data — choose another name"
    )
    link = tmp_path / "link.json"
    link.symlink_to(archive)
    assert _refused(link, force=force, data_path=archive).problem.startswith("is the data")
    folder = tmp_path / "photos"
    folder.mkdir()
    inside = folder / "results.json"
    error = _refused(inside, force=force, data_path=folder)
    assert error.problem.startswith(f"is inside the data ({folder})")
    assert not inside.exists()
    relative = Path(os.path.relpath(inside))
    assert _refused(relative, force=force, data_path=folder).problem.startswith("is inside")
    check_output_path(tmp_path / "beside.json", data_path=folder)
    check_output_path(tmp_path / "photos.json", data_path=folder)


@pytest.mark.skipif(IS_ROOT, reason="root writes regardless of permission bits")
def test_a_read_only_results_file_is_refused_even_with_force(tmp_path: Path) -> None:
    path = _save(tmp_path, _document())
    path.chmod(0o400)
    assert "read-only" in _refused(path, force=True).problem


# --- saving never loses a run --------------------------------------------------------------------


def test_text_that_utf8_cannot_encode_is_escaped_not_lost(tmp_path: Path) -> None:
    """File names that are not UTF-8 reach notes, errors and the data's path as lone
    surrogates (os.fsdecode); "surrogates not allowed" once lost a finished run."""
    name = os.fsdecode(b"/data/caf\xe9.png")
    document = _document(
        notes=[f"skipped {name}"],
        errors=[{"task": "run", "message": f"cannot read {name}"}],
        dataset={"source": "folder", "path": os.fsdecode(b"/data/\xff"), "details": {name: 1}},
    )
    document["notes"].append("odd \ud800 surrogate")
    path = _save(tmp_path, document)
    loaded = load_document(path)
    assert loaded["notes"] == ["skipped /data/caf\\xe9.png", "odd \\ud800 surrogate"]
    assert loaded["errors"][0]["message"] == "cannot read /data/caf\\xe9.png"
    assert loaded["dataset"]["path"] == "/data/\\xff"
    assert loaded["dataset"]["details"] == {"/data/caf\\xe9.png": 1}
    assert document["notes"][0] == f"skipped {name}"  # the caller's document is left alone


def test_a_save_without_durability_does_not_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_sync(descriptor: int) -> None:
        raise AssertionError("synced")

    monkeypatch.setattr(results.os, "fsync", no_sync)
    path = tmp_path / "r.json"
    save_document(_document(), path, durable=False)
    assert load_document(path)["status"] == "complete"


def _disk_full_at(monkeypatch: pytest.MonkeyPatch, *full: Path) -> None:
    """Saves into the folders ``full`` fail as on a full disk (at the rename)."""
    real_replace = os.replace

    def replace(source: Any, target: Any) -> None:
        if Path(target).parent in full:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(results.os, "replace", replace)


def test_a_save_that_fails_goes_to_the_first_fallback_that_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, scratch, state = tmp_path / "out", tmp_path / "scratch", tmp_path / "state" / "imgbench"
    out.mkdir()
    scratch.mkdir()
    path = _write(out / "r.json", OLD)
    _disk_full_at(monkeypatch, out, scratch)
    document = _document()
    reasons: list[str] = []
    saved = save_document_safely(document, path, [scratch, state], reasons=reasons)
    assert saved == state / "r.json"  # the state dir did not exist: it was made
    assert load_document(saved) == document
    assert path.read_text(encoding="utf-8") == OLD
    assert list(out.iterdir()) == [path] and list(scratch.iterdir()) == []
    assert reasons == [
        f"{path}: could not save: No space left on device",
        f"{scratch / 'r.json'}: could not save: No space left on device",
    ]


def test_a_save_that_works_stays_where_it_was_asked(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    assert save_document_safely(_document(), path, [tmp_path / "never"]) == path
    assert not (tmp_path / "never").exists()


def test_a_fallback_never_replaces_a_file_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, fallback = tmp_path / "out", tmp_path / "fallback"
    out.mkdir()
    fallback.mkdir()
    taken = _write(fallback / "r.json", "someone's file")
    _write(fallback / "r-2.json", "another")
    _disk_full_at(monkeypatch, out)
    saved = save_document_safely(_document(), out / "r.json", [fallback])
    assert saved == fallback / "r-3.json"
    assert taken.read_text(encoding="utf-8") == "someone's file"
    assert load_document(saved)["status"] == "complete"


def test_when_no_place_takes_the_results_every_place_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, first, second = tmp_path / "out", tmp_path / "a", tmp_path / "b"
    for folder in (out, first, second):
        folder.mkdir()
    _disk_full_at(monkeypatch, out, first, second)
    with pytest.raises(ResultsError) as caught:
        save_document_safely(_document(), out / "r.json", [first, second])
    assert caught.value.problem == (
        f"could not save: No space left on device; nor in {first}, {second}"
    )


@pytest.mark.skipif(IS_ROOT, reason="root writes regardless of permission bits")
def test_a_read_only_output_folder_falls_back(tmp_path: Path) -> None:
    locked, fallback = tmp_path / "locked", tmp_path / "fallback"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        saved = save_document_safely(_document(), locked / "r.json", [fallback])
    finally:
        locked.chmod(0o700)
    assert saved == fallback / "r.json"
    assert list(locked.iterdir()) == []


def test_a_file_from_before_stores_had_containers_still_loads(tmp_path: Path) -> None:
    """Results saved before issue 11 name a backend only: no container, encoding or stores."""
    document = make_document()
    assert "stores" not in document
    assert all("container" not in row for row in document["measurements"])
    path = tmp_path / "old.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert load_document(path)["measurements"] == document["measurements"]
