"""The results document: built, saved atomically, loaded with reasons, compared.

The JSON is a contract other tools read (``"schema": "imgbench.results/1"``). Saving goes
through a temp file and a rename so an interrupted save never leaves half a file where a
good one was. Loading checks everything a reader relies on and says exactly what is
wrong, so a corrupt, foreign or newer file is explained instead of crashing a view.
Comparing two files claims "faster" or "slower" only where the samples differ beyond
their noise (:func:`imgbench.core.stats.differ`); the ratio of medians alone is no claim.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import stat
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from . import __version__
from .errors import ImgbenchError
from .stats import differ, measurement_warnings, summarize

SCHEMA_NAME = "imgbench.results"
SCHEMA_VERSION = 1
SCHEMA = f"{SCHEMA_NAME}/{SCHEMA_VERSION}"

# The names version 1 of the schema allows; kept here so reading a file needs no backend.
BACKEND_NAMES = ("png", "lmdb", "hdf5", "raw")
MEASURED_EXPERIMENTS = (
    "store_single",
    "read_single",
    "store_many",
    "open",
    "read_many",
    "read_random",
)
STATUSES = ("complete", "cancelled", "failed")
CACHE_MODES = ("warm", "cold", "cold-unsupported")
MAX_PROBLEMS_SHOWN = 3


class ResultsError(ImgbenchError):
    """A results file cannot be written, read or understood; the message says why."""


# -- numbers -------------------------------------------------------------------------------


def measurement(
    backend: str,
    experiment: str,
    n: int,
    k: int,
    samples_s: Sequence[float],
    *,
    images: int,
    pixel_bytes: int,
    bytes_apparent: int | None = None,
    bytes_allocated: int | None = None,
    verified: bool | None = None,
    cache: str = "warm",
    sample_starts: Sequence[float] | None = None,
    pressure: Mapping[str, Any] | None = None,
    loops: int = 1,
    cores: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One row of "measurements"; throughput is taken at the median sample.

    ``images`` and ``pixel_bytes`` are what one sample moved. ``mb_per_s`` is in decimal
    megabytes (1 MB = 10**6 bytes) of raw pixels, not of the store's bytes on disk, so
    every backend is measured against the same amount of data. A median of zero (a clock
    too coarse for the work) gives ``None`` rather than an infinite throughput.

    ``samples_s`` are seconds per operation even when a fast one was timed ``loops`` times
    in a row. ``sample_starts`` are wall-clock times (``time.time()``) of each sample's
    start; ``pressure`` is :func:`imgbench.core.pressure.pressure_between`'s result and
    ``cores`` the machine's, both for the "busy" warning. ``extra`` fields are added as
    they are and may not replace one of the row's own.
    """
    if sample_starts is not None and len(sample_starts) != len(samples_s):
        raise ValueError(f"{len(sample_starts)} sample starts for {len(samples_s)} samples")
    stats = summarize(samples_s, seed=row_seed(backend, experiment, n, k))
    median = stats["median_s"]
    row: dict[str, Any] = {
        "backend": backend,
        "experiment": experiment,
        "n": int(n),
        "k": int(k),
        "samples_s": [float(value) for value in samples_s],
        **stats,
        "images_per_s": images / median if median > 0 else None,
        "mb_per_s": pixel_bytes / median / 1e6 if median > 0 else None,
        "bytes_apparent": _int_or_none(bytes_apparent),
        "bytes_allocated": _int_or_none(bytes_allocated),
        "verified": None if verified is None else bool(verified),
        "cache": cache,
        "loops": int(loops),
        "warnings": measurement_warnings(stats, pressure, cores, samples=len(samples_s)),
    }
    if sample_starts is not None:
        row["sample_starts"] = [float(value) for value in sample_starts]
    if pressure is not None:
        row["pressure"] = dict(pressure)
    clashes = sorted(set(extra or {}) & set(row))
    if clashes:
        raise ValueError(f"extra fields would replace the row's own: {', '.join(clashes)}")
    row.update(extra or {})
    return row


def row_seed(backend: str, experiment: str, n: int, k: int) -> int:
    """The bootstrap seed of a row: from its key, so a row's interval is the same in every
    run and process (``hash`` of a string is not)."""
    return zlib.crc32(f"{backend}|{experiment}|{n}|{k}".encode())


def _int_or_none(value: int | None) -> int | None:
    """Plain ints, so a numpy integer from a caller cannot make the document unsavable."""
    return None if value is None else int(value)


# -- the document --------------------------------------------------------------------------


def build_document(
    *,
    settings: dict[str, Any],
    dataset: dict[str, Any],
    environment: dict[str, Any],
    measurements: list[dict[str, Any]],
    status: str,
    errors: list[dict[str, Any]],
    notes: Iterable[str] = (),
    created: datetime | None = None,
) -> dict[str, Any]:
    """The whole results document; ``created`` defaults to now, always with a time zone."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
    moment = created or datetime.now(timezone.utc)
    moment = moment.astimezone()  # local time with its offset; a naive time is taken as local
    return {
        "schema": SCHEMA,
        "tool": {"name": "imgbench", "version": __version__},
        "created": moment.isoformat(timespec="seconds"),
        "environment": dict(environment),
        "dataset": dict(dataset),
        "settings": dict(settings),
        "measurements": [dict(row) for row in measurements],
        "status": status,
        "errors": [dict(error) for error in errors],
        "notes": list(notes),
    }


# -- saving --------------------------------------------------------------------------------


def check_output_path(path: Path) -> None:
    """Refuse, before a run starts, a results path that could not be written.

    Looks only; creates and changes nothing. The save replaces the file by renaming a
    temp file over it, so what matters is writing in the folder.
    """
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise ResultsError(path, "is a folder; give a file name for the results")
    if path.exists() and not path.is_file():
        raise ResultsError(path, "is not a regular file; give a file name for the results")
    if not folder.exists():
        raise ResultsError(path, f"the folder {folder} does not exist")
    if not folder.is_dir():
        raise ResultsError(path, f"{folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ResultsError(path, f"cannot write in the folder {folder} (permission denied)")
    if path.exists() and not os.access(path, os.W_OK):
        raise ResultsError(path, "the file is read-only; choose another name or allow writing")


def save_document(document: dict[str, Any], path: Path) -> None:
    """Write the document to ``path`` atomically: the old file stays whole until the new
    one is complete on disk. Raises ResultsError (after removing its temp file) on failure.
    """
    path = Path(path)
    temp = _create_temp_beside(path)
    try:
        with os.fdopen(temp.descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, ensure_ascii=False, allow_nan=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        _keep_mode_of(path, temp.path)
        os.replace(temp.path, path)
    except BaseException as error:
        temp.path.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ResultsError(path, f"could not save: {error.strerror or error}") from error
        if isinstance(error, (TypeError, ValueError)):  # not JSON: NaN, a numpy integer…
            raise ResultsError(path, f"could not save: {error}") from error
        raise
    _sync_folder(path.parent)


@dataclass(frozen=True)
class _Temp:
    path: Path
    descriptor: int


def _create_temp_beside(path: Path) -> _Temp:
    """A new, hidden temp file in the target's folder, so the rename stays on one disk.

    Created with mode 0o666 so the umask decides, as for any file a program writes.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        candidate = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return _Temp(candidate, os.open(candidate, flags, 0o666))
        except FileExistsError:
            continue
        except OSError as error:
            raise ResultsError(path, f"could not save: {error.strerror or error}") from error
    raise ResultsError(path, "could not save: no free temp file name in the folder")


def _keep_mode_of(path: Path, temp: Path) -> None:
    """A replaced file keeps its permissions."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    os.chmod(temp, mode)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; skipped where folders cannot be opened or synced."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# -- loading -------------------------------------------------------------------------------


def load_document(path: Path) -> dict[str, Any]:
    """Read and check a results file; ResultsError says what is wrong. Only reads the file."""
    path = Path(path)
    document = _parse_json(path, _read_bytes(path))
    if not isinstance(document, dict):
        raise ResultsError(
            path, f"not an imgbench results file: the JSON is {_kind(document)}, not an object"
        )
    _check_schema(path, document.get("schema"))
    found = document_problems(document)
    if found:
        raise ResultsError(path, f"not a valid imgbench results file: {_first_few(found)}")
    document.setdefault("notes", [])
    return document


def _read_bytes(path: Path) -> bytes:
    if path.is_dir():
        raise ResultsError(path, "is a folder, not a results file")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ResultsError(path, "no such file") from None
    except PermissionError:
        raise ResultsError(path, "cannot read the file (permission denied)") from None
    except OSError as error:
        raise ResultsError(path, f"cannot read the file: {error.strerror or error}") from None


def _parse_json(path: Path, data: bytes) -> Any:
    if not data.strip():
        raise ResultsError(path, "the file is empty; it holds no results")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ResultsError(
            path,
            f"corrupt or not a results file: not UTF-8 text (bad byte at offset {error.start})",
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        if _ends_early(text, error):
            raise ResultsError(
                path, f"truncated: the JSON ends before the document does ({where})"
            ) from None
        raise ResultsError(path, f"corrupt: not valid JSON ({error.msg} at {where})") from None
    except (ValueError, RecursionError) as error:
        raise ResultsError(path, f"corrupt: not valid JSON ({error})") from None


def _ends_early(text: str, error: json.JSONDecodeError) -> bool:
    """Whether the JSON breaks off (a cut-short file) rather than going wrong midway."""
    if error.msg.startswith("Unterminated string"):  # the string ran into the end
        return True
    rest = text[error.pos :].strip()
    return any(word.startswith(rest) for word in ("true", "false", "null"))  # "" included


def _check_schema(path: Path, schema: Any) -> None:
    """Foreign files and files from a newer imgbench are refused with the reason."""
    if schema is None:
        raise ResultsError(path, "not an imgbench results file: it has no 'schema' field")
    if not isinstance(schema, str) or schema.partition("/")[0] != SCHEMA_NAME:
        raise ResultsError(path, f"not an imgbench results file: schema is {schema!r}")
    version_text = schema.partition("/")[2]
    if not version_text.isdigit():
        raise ResultsError(path, f"unreadable schema version in {schema!r}")
    version = int(version_text)
    if version > SCHEMA_VERSION:
        raise ResultsError(
            path,
            f"written by a newer imgbench ({schema}); this one reads version "
            f"{SCHEMA_VERSION} — upgrade imgbench",
        )
    if version < 1:
        raise ResultsError(path, f"unknown schema version in {schema!r}")


def _first_few(found: list[str]) -> str:
    shown = "; ".join(found[:MAX_PROBLEMS_SHOWN])
    hidden = len(found) - MAX_PROBLEMS_SHOWN
    return f"{shown} (and {hidden} more)" if hidden > 0 else shown


# -- structure checks ----------------------------------------------------------------------

Check = Callable[[Any], bool]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_seconds(value: Any) -> bool:
    return _is_number(value) and value >= 0


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_positive_count(value: Any) -> bool:
    return _is_count(value) and value >= 1


def _or_null(check: Check) -> Check:
    return lambda value: value is None or check(value)


def _is_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_samples(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_seconds(v) for v in value)


def _one_of(choices: tuple[str, ...]) -> Check:
    return lambda value: value in choices


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


def _is_list(value: Any) -> bool:
    return isinstance(value, list)


# field -> (check, what was expected, in words)
TOP_LEVEL: dict[str, tuple[Check, str]] = {
    "tool": (_is_dict, "an object"),
    "created": (_is_time, "an ISO-8601 time"),
    "environment": (_is_dict, "an object"),
    "dataset": (_is_dict, "an object"),
    "settings": (_is_dict, "an object"),
    "measurements": (_is_list, "a list"),
    "status": (_one_of(STATUSES), " or ".join(STATUSES)),
    "errors": (_is_list, "a list"),
}
MEASUREMENT_FIELDS: dict[str, tuple[Check, str]] = {
    "backend": (_one_of(BACKEND_NAMES), "one of " + ", ".join(BACKEND_NAMES)),
    "experiment": (_one_of(MEASURED_EXPERIMENTS), "one of " + ", ".join(MEASURED_EXPERIMENTS)),
    "n": (_is_positive_count, "a whole number of at least 1"),
    "k": (_is_count, "a whole number"),
    "samples_s": (_is_samples, "a non-empty list of seconds"),
    "min_s": (_is_seconds, "seconds (a number of at least 0)"),
    "median_s": (_is_seconds, "seconds (a number of at least 0)"),
    "mean_s": (_is_seconds, "seconds (a number of at least 0)"),
    "stdev_s": (_is_seconds, "seconds (a number of at least 0)"),
    "images_per_s": (_or_null(_is_seconds), "a number of at least 0 or null"),
    "mb_per_s": (_or_null(_is_seconds), "a number of at least 0 or null"),
    "bytes_apparent": (_or_null(_is_count), "a whole number or null"),
    "bytes_allocated": (_or_null(_is_count), "a whole number or null"),
    "verified": (_or_null(lambda value: isinstance(value, bool)), "true, false or null"),
    "cache": (_one_of(CACHE_MODES), "one of " + ", ".join(CACHE_MODES)),
}
PRESSURE_SOURCES = ("psi", "loadavg")


def _is_share(value: Any) -> bool:
    return _is_number(value) and 0 <= value <= 1


def _is_pressure(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("source") in PRESSURE_SOURCES
        and _or_null(_is_share)(value.get("cpu_some_share"))
        and _or_null(_is_seconds)(value.get("load1"))  # a load average: a number >= 0
        and _or_null(_is_positive_count)(value.get("cores"))
    )


def _is_warnings(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(warning, dict) and isinstance(warning.get("code"), str) for warning in value
    )


def _is_times(value: Any) -> bool:
    return isinstance(value, list) and all(_is_number(v) for v in value)


# Fields written since the noise figures came; files written before them lack them.
OPTIONAL_MEASUREMENT_FIELDS: dict[str, tuple[Check, str]] = {
    "q1_s": (_is_seconds, "seconds (a number of at least 0)"),
    "q3_s": (_is_seconds, "seconds (a number of at least 0)"),
    "ci_low_s": (_is_seconds, "seconds (a number of at least 0)"),
    "ci_high_s": (_is_seconds, "seconds (a number of at least 0)"),
    "warnings": (_is_warnings, "a list of objects with a code"),
    "loops": (_is_positive_count, "a whole number of at least 1"),
    "sample_starts": (_is_times, "a list of times (numbers)"),
    "pressure": (
        _is_pressure,
        "an object with source psi or loadavg, cpu_some_share 0..1, load1 and cores or null",
    ),
}


def document_problems(document: dict[str, Any]) -> list[str]:
    """Everything wrong with a document's structure, in words; empty when it is usable."""
    found = _field_problems(document, TOP_LEVEL, prefix="")
    tool = document.get("tool")
    if isinstance(tool, dict):
        found += [f"tool.{key} is missing" for key in ("name", "version") if key not in tool]
    notes = document.get("notes", [])
    if not (isinstance(notes, list) and all(isinstance(note, str) for note in notes)):
        found.append("notes is not a list of strings")
    for index, error in enumerate(_list(document.get("errors"))):
        if not (isinstance(error, dict) and {"task", "message"} <= error.keys()):
            found.append(f"errors[{index}] is not an object with task and message")
    for index, row in enumerate(_list(document.get("measurements"))):
        if not isinstance(row, dict):
            found.append(f"measurements[{index}] is {_kind(row)}, expected an object")
            continue
        found += _measurement_problems(row, prefix=f"measurements[{index}].")
    return found


def _measurement_problems(row: dict[str, Any], prefix: str) -> list[str]:
    found = _field_problems(row, MEASUREMENT_FIELDS, prefix)
    present = {key: check for key, check in OPTIONAL_MEASUREMENT_FIELDS.items() if key in row}
    found += _field_problems(row, present, prefix)
    starts, samples = row.get("sample_starts"), row.get("samples_s")
    if isinstance(starts, list) and isinstance(samples, list) and len(starts) != len(samples):
        found.append(f"{prefix}sample_starts has {len(starts)} times for {len(samples)} samples")
    return found


def _field_problems(
    record: dict[str, Any], fields: dict[str, tuple[Check, str]], prefix: str
) -> list[str]:
    found = []
    for key, (check, expected) in fields.items():
        if key not in record:
            found.append(f"{prefix}{key} is missing")
        elif not check(record[key]):
            found.append(f"{prefix}{key} is {_show(record[key])}, expected {expected}")
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(value: Any) -> str:
    names = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


# -- comparing -----------------------------------------------------------------------------

RowKey = tuple[str, str, int]  # (backend, experiment, n)
ENVIRONMENT_FIELDS = ("python", "os", "cpu", "cores", "memory_bytes", "workdir_filesystem")
ENVIRONMENT_LIBRARIES = ("liblmdb", "libhdf5")
IGNORED_SETTINGS = frozenset({"workdir"})  # where the scratch lived does not change the data
#: What may be said of B against A: a difference only where the samples show one.
Verdict = Literal["faster", "slower", "same"]


@dataclass(frozen=True)
class ComparisonRow:
    """One (backend, experiment, n) measured in both files.

    ``ratio`` is ``median_b / median_a``: above 1 means B took longer than A, below 1 that
    B was quicker; None when A's median is 0. ``verdict`` is what may be claimed about B:
    "faster" or "slower" only where the samples differ beyond their noise
    (:func:`imgbench.core.stats.differ`), else "same", whatever the ratio.
    """

    backend: str
    experiment: str
    n: int
    median_a: float
    median_b: float
    ratio: float | None
    verdict: Verdict


@dataclass(frozen=True)
class Comparison:
    """How result file B differs from result file A."""

    rows: tuple[ComparisonRow, ...]
    only_in_a: tuple[RowKey, ...]
    only_in_b: tuple[RowKey, ...]
    same_data: bool  # both name the same data set sha256
    settings_differences: tuple[tuple[str, Any, Any], ...]  # (key, value in A, value in B)
    environment_differences: tuple[tuple[str, Any, Any], ...]


def compare_documents(a: dict[str, Any], b: dict[str, Any]) -> Comparison:
    """Ratios of median times per (backend, experiment, n), verdicts, and what else differs."""
    rows_a, rows_b = _rows_by_key(a), _rows_by_key(b)
    rows = tuple(
        _compare_row(key, row, rows_b[key]) for key, row in rows_a.items() if key in rows_b
    )
    sha_a = a.get("dataset", {}).get("sha256")
    return Comparison(
        rows=rows,
        only_in_a=tuple(key for key in rows_a if key not in rows_b),
        only_in_b=tuple(key for key in rows_b if key not in rows_a),
        same_data=sha_a is not None and sha_a == b.get("dataset", {}).get("sha256"),
        settings_differences=_differences(
            a.get("settings", {}), b.get("settings", {}), ignore=IGNORED_SETTINGS
        ),
        environment_differences=_differences(_key_environment(a), _key_environment(b)),
    )


def _rows_by_key(document: dict[str, Any]) -> dict[RowKey, dict[str, Any]]:
    """Measurements by (backend, experiment, n), in the document's order; first one wins."""
    found: dict[RowKey, dict[str, Any]] = {}
    for row in document.get("measurements", []):
        found.setdefault((row["backend"], row["experiment"], row["n"]), row)
    return found


#: Two runs of the same plan on one machine differ by up to this factor in a row (drift of a
#: shared machine between runs, which no run's own samples can see), so only a larger ratio
#: can be a difference. Measured on a 2-core VM, identical quick runs one after the other:
#: up to 1.8x for operations under 10 ms (each process lays out its memory and caches
#: anew) and 1.96x for a 26 ms durable PNG store (the virtual disk's fsync latency drifts).
RUN_TO_RUN_FACTOR = 2.0
#: A measurement with one of these warnings is too unsteady to support a claim.
UNSTEADY = frozenset({"noisy", "busy", "few_samples"})


def _compare_row(key: RowKey, row_a: dict[str, Any], row_b: dict[str, Any]) -> ComparisonRow:
    median_a, median_b = float(row_a["median_s"]), float(row_b["median_s"])
    ratio = median_b / median_a if median_a > 0 else None
    verdict: Verdict = "same"
    claimable = _steady(row_a) and _steady(row_b) and _beyond_run_to_run(ratio)
    if claimable and differ(row_a["samples_s"], row_b["samples_s"]):
        verdict = "faster" if median_b < median_a else "slower"
    return ComparisonRow(*key, median_a=median_a, median_b=median_b, ratio=ratio, verdict=verdict)


def _steady(row: dict[str, Any]) -> bool:
    warnings = row.get("warnings") or []
    return not any(isinstance(w, dict) and w.get("code") in UNSTEADY for w in warnings)


def _beyond_run_to_run(ratio: float | None) -> bool:
    return ratio is not None and ratio > 0 and max(ratio, 1 / ratio) >= RUN_TO_RUN_FACTOR


def _key_environment(document: dict[str, Any]) -> dict[str, Any]:
    """The environment facts that change timings, packages flattened to "packages.NAME"."""
    environment = document.get("environment", {})
    facts = {key: environment.get(key) for key in ENVIRONMENT_FIELDS + ENVIRONMENT_LIBRARIES}
    packages = environment.get("packages") or {}
    facts.update({f"packages.{name}": version for name, version in packages.items()})
    return facts


def _differences(
    a: dict[str, Any], b: dict[str, Any], ignore: frozenset[str] = frozenset()
) -> tuple[tuple[str, Any, Any], ...]:
    """(key, value in a, value in b) for every key whose values differ; missing is None."""
    keys = [key for key in dict.fromkeys([*a, *b]) if key not in ignore]
    return tuple((key, a.get(key), b.get(key)) for key in keys if a.get(key) != b.get(key))
