"""Tests for the results document: numbers, building, atomic saving, checked loading, comparing."""

from __future__ import annotations

import errno
import json
import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import imgbench.core
from imgbench.core import results
from imgbench.core.errors import ImgbenchError
from imgbench.core.results import (
    SCHEMA,
    Comparison,
    ComparisonRow,
    ResultsError,
    build_document,
    check_output_path,
    compare_documents,
    load_document,
    measurement,
    save_document,
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


def test_check_output_path_accepts_an_existing_file_and_leaves_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "old.json", OLD)
    check_output_path(path)
    assert path.read_text(encoding="utf-8") == OLD


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
    assert 'status is "done", expected complete or cancelled or failed' in message


def test_load_bad_measurement_types_are_named(tmp_path: Path) -> None:
    document = _document()
    document["measurements"][1]["n"] = "ten"
    document["measurements"][1]["backend"] = "zip"
    document["measurements"][0]["samples_s"] = [0.1, "slow"]
    message = _load_error(_write(tmp_path / "r.json", document))
    assert 'measurements[0].samples_s is [0.1, "slow"]' in message
    assert 'measurements[1].backend is "zip", expected one of png, lmdb, hdf5, raw' in message
    assert 'measurements[1].n is "ten", expected a whole number' in message


def test_load_measurement_missing_field_and_not_an_object(tmp_path: Path) -> None:
    document = _document()
    del document["measurements"][0]["median_s"]
    document["measurements"].append("row")
    message = _load_error(_write(tmp_path / "r.json", document))
    assert "measurements[0].median_s is missing" in message
    assert "measurements[2] is a string, expected an object" in message


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
        ("ci_low_s", -1.0, "seconds"),
        ("q3_s", "slow", "seconds"),
        ("warnings", {"code": "noisy"}, "a list of objects with a code"),
        ("warnings", [{"ci": 0.3}], "a list of objects with a code"),
        ("loops", 0, "a whole number of at least 1"),
        ("sample_starts", [1.0, "later", 3.0, 4.0, 5.0], "a list of times"),
        ("pressure", {"source": "guess"}, "source psi or loadavg"),
        ("pressure", {"source": "psi", "cpu_some_share": 1.5}, "cpu_some_share 0..1"),
    ],
)
def test_load_checks_the_noise_figures_when_present(
    tmp_path: Path, field: str, value: Any, expected: str
) -> None:
    document = with_noise_fields(make_document())
    document["measurements"][1][field] = value
    message = _load_error(_write(tmp_path / "r.json", document))
    assert f"measurements[1].{field} is " in message and expected in message


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


def test_a_noisy_row_supports_no_claim() -> None:
    a, b = _steady_png_run(8, 1.0), _steady_png_run(9, 3.0)
    for row in b["measurements"]:
        row["warnings"] = [{"code": "noisy", "ci_half_width_share": 0.3, "iqr_share": 0.4}]
    assert _verdicts(a, b) == {"same": len(a["measurements"])}
