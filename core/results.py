"""The results document: built, saved atomically, loaded with reasons, compared.

The JSON is a contract other tools read (``"schema": "imgbench.results/1"``). Saving goes
through a temp file and a rename so an interrupted save never leaves half a file where a
good one was, and a save that fails (disk full, permission denied) can go to a fallback
folder instead (:func:`save_document_safely`). Only an imgbench results file is ever
replaced, and only when asked (:func:`check_output_path`). Loading reads regular files
only, checks every field's type and range against a JSON Schema (:mod:`.results_schema`)
and says in one line what is wrong, so a corrupt, foreign or newer file is explained
instead of crashing a view. Comparing two files claims "faster" or "slower" only where
the samples differ beyond their noise (:func:`imgbench.core.stats.differ`); the ratio of
medians alone is no claim.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import stat
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from . import __version__
from .dataset import file_kind
from .errors import ImgbenchError
from .results_schema import (
    BACKEND_NAMES,
    CACHE_MODES,
    MEASURED_EXPERIMENTS,
    PRESSURE_SOURCES,
    RESULTS_SCHEMA,
    STATUSES,
)
from .stats import differ, measurement_warnings, summarize

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

SCHEMA_NAME = "imgbench.results"
SCHEMA_VERSION = 1
SCHEMA = f"{SCHEMA_NAME}/{SCHEMA_VERSION}"

__all__ = [
    "BACKEND_NAMES",
    "CACHE_MODES",
    "MAX_FILE_BYTES",
    "MEASURED_EXPERIMENTS",
    "PRESSURE_SOURCES",
    "RESULTS_SCHEMA",
    "SCHEMA",
    "STATUSES",
    "Comparison",
    "ComparisonRow",
    "OutputExistsError",
    "ResultsError",
    "build_document",
    "check_output_path",
    "compare_documents",
    "document_problems",
    "existing_output",
    "load_document",
    "measurement",
    "row_seed",
    "save_document",
    "save_document_safely",
]

MAX_PROBLEMS_SHOWN = 3
#: The largest file read as results. A long run with every backend writes a few MB; a
#: file of 64 MiB would already take about a GB of memory as Python objects.
MAX_FILE_BYTES = 64 * 2**20


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
    stores: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The whole results document; ``created`` defaults to now, always with a time zone.
    ``stores`` says what each store is made of (container, encoding, codec cost, quality)."""
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
        "stores": {name: dict(record) for name, record in (stores or {}).items()},
        "status": status,
        "errors": [dict(error) for error in errors],
        "notes": list(notes),
    }


# -- saving --------------------------------------------------------------------------------


def check_output_path(path: Path, *, force: bool = False, data_path: Path | None = None) -> None:
    """Refuse, before a run starts, a results path that could not or should not be written.

    Looks only (it reads an existing file to see what it is); creates and changes nothing.
    The save replaces the file by renaming a temp file over it, so what matters is writing
    in the folder. Never the data (``data_path``, or anything inside a data folder). An
    existing file is replaced only when it is an imgbench results file, and only with
    ``force``: without, :class:`OutputExistsError` says what it is (the CLI suggests
    ``--force``, the app asks). Anything else there (a user's notes, a corrupt file, a
    file of a newer imgbench) is refused even with ``force``.
    """
    path = Path(path)
    folder = path.parent
    if data_path is not None and _is_within(path, Path(data_path)):
        where = "is the data" if _is_within(Path(data_path), path) else "is inside the data"
        raise ResultsError(
            path, f"{where} ({data_path}); results never replace the data — choose another name"
        )
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
    if not path.exists():
        return
    found, replaceable = existing_output(path)
    if not replaceable:
        raise ResultsError(
            path,
            f"already exists and is {found}; imgbench will not replace it — choose another name",
        )
    if not force:
        raise OutputExistsError(path, f"already exists: {found}; --force replaces it", found)
    if not os.access(path, os.W_OK):
        raise ResultsError(path, "the file is read-only; choose another name or allow writing")


class OutputExistsError(ResultsError):
    """The output path holds an imgbench results file (or an empty file) that a run would
    replace: allowed only when asked for (the CLI's ``--force``; the app asks first).
    ``found`` says what the file is, e.g. "an imgbench results file from 2025-11-23T19:00"."""

    def __init__(self, path: Path | str | None, problem: str, found: str) -> None:
        super().__init__(path, problem)
        self.found = found


def existing_output(path: Path) -> tuple[str, bool]:
    """What the existing file at ``path`` is, in words, and whether a run may replace it
    (given ``--force``): an imgbench results file of this or an older schema, or an empty
    file. Reads a regular file only, and at most ``MAX_FILE_BYTES`` of it."""
    path = Path(path)
    try:
        data = _read_bytes(path)
    except ResultsError as error:
        return f"a file imgbench cannot read to check what it is ({error.problem})", False
    if not data:
        return "an empty file", True
    try:
        document = _parse_json(path, data)
    except ResultsError:
        return "not an imgbench results file (not JSON)", False
    schema = document.get("schema") if isinstance(document, dict) else None
    if not isinstance(schema, str) or not schema.startswith(f"{SCHEMA_NAME}/"):
        return "not an imgbench results file", False
    version = _schema_version(schema)
    if version is None or version < 1:
        return f"not an imgbench results file (schema {_short(schema)})", False
    if version > SCHEMA_VERSION:
        return f"a results file of a newer schema ({_short(schema)})", False
    created = document.get("created")
    found = "an imgbench results file"
    if isinstance(created, str) and created:
        found += f" from {_short(created)}"
    if not document_problems(document):
        count = len(document["measurements"])
        found += f" ({document['status']}, {count:,} measurement{'' if count == 1 else 's'})"
    return found, True


def _is_within(path: Path, container: Path) -> bool:
    """Whether ``path`` is ``container`` or lies inside it, links resolved."""
    try:
        target, outer = path.resolve(), container.resolve()
    except (OSError, RuntimeError):  # a symlink loop: compare the paths as written
        target, outer = Path(os.path.abspath(path)), Path(os.path.abspath(container))
    return target == outer or outer in target.parents


def save_document(document: dict[str, Any], path: Path, *, durable: bool = True) -> None:
    """Write the document to ``path`` atomically: the old file stays whole until the new
    one is complete. Raises ResultsError (after removing its temp file) on failure.

    Text that UTF-8 cannot encode (file names that are not UTF-8 reach notes, errors and
    the data's path as lone surrogates) is escaped: ``\\xff`` for a byte of such a name.
    ``durable`` syncs the file and its folder, so a power cut cannot lose it; without,
    the save survives the program being killed but not the machine going down.
    """
    path = Path(path)
    document = _escaped(document)
    temp = _create_temp_beside(path)
    try:
        with os.fdopen(temp.descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, ensure_ascii=False, allow_nan=False)
            handle.write("\n")
            handle.flush()
            if durable:
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
    if durable:
        _sync_folder(path.parent)


def save_document_safely(
    document: dict[str, Any],
    path: Path,
    fallback_dirs: Sequence[Path],
    *,
    reasons: list[str] | None = None,
) -> Path:
    """Save to ``path``; when that fails (disk full, permission denied…), to the first of
    ``fallback_dirs`` that works, under the same file name or a fresh one if it is taken
    (nothing is replaced there). Returns where the document was saved; the caller says
    so when it is not ``path``. ``reasons`` collects why each failed attempt failed.

    A fallback folder that does not exist is created. Raises ResultsError, naming every
    place tried, only when no place could take the document.
    """
    path = Path(path)
    failures: list[str] = []
    try:
        save_document(document, path)
        return path
    except ResultsError as error:
        failures.append(str(error))
        first = error.problem
    tried = []
    for folder in map(Path, fallback_dirs):
        tried.append(str(folder))
        try:
            folder.mkdir(parents=True, exist_ok=True)
            target = _free_path(folder, path.name or "imgbench-results.json")
            save_document(document, target)
        except ResultsError as error:
            failures.append(str(error))
            continue
        except OSError as error:
            failures.append(f"{folder}: {error.strerror or error}")
            continue
        if reasons is not None:
            reasons.extend(failures)
        return target
    if reasons is not None:
        reasons.extend(failures)
    elsewhere = f"; nor in {', '.join(tried)}" if tried else ""
    raise ResultsError(path, f"{first}{elsewhere}")


def _free_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/stem-2.suffix`` and so on when that is taken."""
    candidate = folder / name
    stem, suffix = os.path.splitext(name)
    for index in range(2, 1_000):
        if not os.path.lexists(candidate):
            return candidate
        candidate = folder / f"{stem}-{index}{suffix}"
    return folder / f"{stem}-{secrets.token_hex(4)}{suffix}"


def _escaped(value: Any) -> Any:
    """``value`` with every string and key one UTF-8 can encode; the same object where
    nothing needed escaping."""
    if isinstance(value, str):
        return _printable(value)
    if isinstance(value, dict):
        pairs = [(_escaped(key), _escaped(item)) for key, item in value.items()]
        same = all(
            new[0] is old[0] and new[1] is old[1]
            for new, old in zip(pairs, value.items(), strict=True)
        )
        return value if same else dict(pairs)
    if isinstance(value, (list, tuple)):
        items = [_escaped(item) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def _printable(text: str) -> str:
    r"""``text`` if UTF-8 can encode it; else with its lone surrogates escaped: the bytes
    of a non-UTF-8 file name (decoded with "surrogateescape") as ``\xff``, any other
    surrogate as ``\udc00``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


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
    """Read and check a results file; ResultsError says what is wrong. Only reads the file,
    and only a regular one of at most ``MAX_FILE_BYTES``."""
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
    """The file's bytes. Looks before it opens: a FIFO or a device is never opened (it
    could block for ever or never end), nor a file too large to be results."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ResultsError(path, "no such file") from None
    except PermissionError:
        raise ResultsError(path, "cannot read the file (permission denied)") from None
    except OSError as error:
        raise ResultsError(path, f"cannot read the file: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ResultsError(path, "is a folder, not a results file")
    _check_regular(path, info)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except PermissionError:
        raise ResultsError(path, "cannot read the file (permission denied)") from None
    except OSError as error:
        raise ResultsError(path, f"cannot read the file: {error.strerror or error}") from None
    with os.fdopen(descriptor, "rb") as handle:
        _check_regular(path, os.fstat(descriptor))  # the same file that was looked at
        try:
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise ResultsError(path, f"cannot read the file: {error.strerror or error}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ResultsError(path, _too_large(None))
    return data


def _check_regular(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ResultsError(
            path, f"is {file_kind(info.st_mode)}, not a results file; refused without reading"
        )
    if info.st_size > MAX_FILE_BYTES:
        raise ResultsError(path, _too_large(info.st_size))


def _too_large(size: int | None) -> str:
    """Why a file is not read: its size (None: it grew past the limit while being read)."""
    limit = f"at most {MAX_FILE_BYTES / 2**20:,.0f} MiB"
    if size is None:
        return f"grew past {MAX_FILE_BYTES:,} bytes while being read; a results file is {limit}"
    return (
        f"is {size / 2**20:,.1f} MiB ({size:,} bytes), too large for a results file "
        f"({limit}); refused without reading"
    )


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
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        if _ends_early(text, error):
            raise ResultsError(
                path, f"truncated: the JSON ends before the document does ({where})"
            ) from None
        raise ResultsError(path, f"corrupt: not valid JSON ({error.msg} at {where})") from None
    except RecursionError:
        raise ResultsError(path, "corrupt: not valid JSON (nested too deeply)") from None
    except ValueError as error:
        reason = str(error)
        if "digits" in reason:  # Python refuses to read integers of over 4,300 digits
            reason = "a number with thousands of digits"
        raise ResultsError(path, f"corrupt: not valid JSON ({_short(reason, 80)})") from None
    if _LONE_SURROGATE.search(text):  # "\udcff" in the JSON: text no terminal can print
        try:
            document = _escaped(document)
        except RecursionError:
            raise ResultsError(path, "corrupt: not valid JSON (nested too deeply)") from None
    return document


#: A JSON escape of a surrogate code point (one that pairs with no other is not text).
_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _refuse_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (Python reads them; imgbench never writes them)."""
    raise ValueError(f"{name} is not a number JSON allows")


def _ends_early(text: str, error: json.JSONDecodeError) -> bool:
    """Whether the JSON breaks off (a cut-short file) rather than going wrong midway."""
    if error.msg.startswith("Unterminated string"):  # the string ran into the end
        return True
    rest = text[error.pos :].strip()
    return any(word.startswith(rest) for word in ("true", "false", "null"))  # "" included


def _schema_version(schema: str) -> int | None:
    """The version of "imgbench.results/N"; None when N is not a plain number."""
    version_text = schema.partition("/")[2]
    if not (version_text.isascii() and version_text.isdigit()) or len(version_text) > 9:
        return None
    return int(version_text)


def _check_schema(path: Path, schema: Any) -> None:
    """Foreign files and files from a newer imgbench are refused with the reason."""
    if schema is None:
        raise ResultsError(path, "not an imgbench results file: it has no 'schema' field")
    if not isinstance(schema, str) or schema.partition("/")[0] != SCHEMA_NAME:
        raise ResultsError(
            path, f"not an imgbench results file: schema is {_short(repr(schema), 60)}"
        )
    version = _schema_version(schema)
    if version is None:
        raise ResultsError(path, f"unreadable schema version in {_short(repr(schema), 60)}")
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


def document_problems(document: Mapping[str, Any]) -> list[str]:
    """Everything wrong with a document's structure, one short line each, the place first:
    ``measurements[3].n is a 401-digit number, expected a whole number from 1 to 10**12``.
    Empty when the document is usable. The checks are :data:`RESULTS_SCHEMA`'s (JSON
    Schema, Draft 2020-12), plus one it cannot say: as many sample starts as samples."""
    found: list[str] = []
    said_missing: set[tuple[tuple[str | int, ...], str]] = set()
    for error in _validator().iter_errors(document):
        found.append(_problem_line(error, said_missing))
    found += _sample_start_problems(document)
    return found


@functools.cache
def _validator() -> Validator:
    """The schema's validator, built on first use (jsonschema takes a while to import).

    "integer" means a JSON integer, as Python reads it: not 10.0 (which JSON Schema
    would take) and not true. The "imgbench-time" format is an ISO-8601 time.
    """
    from jsonschema import Draft202012Validator, FormatChecker, validators

    def is_integer(_checker: Any, instance: Any) -> bool:
        return isinstance(instance, int) and not isinstance(instance, bool)

    type_checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", is_integer)
    checker_class = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, type_checker=type_checker
    )
    formats = FormatChecker(formats=())
    formats.checks("imgbench-time")(_is_time)
    validator: Validator = checker_class(RESULTS_SCHEMA, format_checker=formats)
    return validator


def _is_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # a format says nothing of other types; "type" does
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _problem_line(
    error: ValidationError, said_missing: set[tuple[tuple[str | int, ...], str]]
) -> str:
    place = tuple(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, Mapping):
        required: list[str] = list(error.validator_value)  # type: ignore[arg-type]
        missing = [key for key in required if key not in error.instance]
        for key in missing:
            if (place, key) not in said_missing:
                said_missing.add((place, key))
                return f"{_where((*place, key))} is missing"
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    expected = schema.get("description") or _short(error.message, 80)
    return f"{_where(place)} is {_show(error.instance)}, expected {expected}"


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _where(place: Iterable[str | int]) -> str:
    """A JSON path as written in Python: ``measurements[3].n``, ``packages["a b"]``."""
    where = ""
    for part in place:
        if isinstance(part, int):
            where += f"[{part}]"
        elif _NAME.fullmatch(part):
            where += f".{part}" if where else part
        else:
            where += f"[{_show(part)}]"
    return where or "the document"


def _sample_start_problems(document: Mapping[str, Any]) -> list[str]:
    rows = document.get("measurements") if isinstance(document, Mapping) else None
    found = []
    for index, row in enumerate(rows if isinstance(rows, list) else []):
        if not isinstance(row, Mapping):
            continue
        starts, samples = row.get("sample_starts"), row.get("samples_s")
        if isinstance(starts, list) and isinstance(samples, list) and len(starts) != len(samples):
            found.append(
                f"measurements[{index}].sample_starts has {len(starts)} times "
                f"for {len(samples)} samples"
            )
    return found


def _show(value: Any) -> str:
    """A value in at most 40 characters, on one line."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return f"a {len(str(abs(value))):,}-digit number"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return _short(text)


def _short(value: Any, chars: int = 40) -> str:
    """``value`` as text (repr for anything but a str) cut to ``chars``, printable."""
    text = _printable(value if isinstance(value, str) else repr(value))
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    return text if len(text) <= chars else text[: chars - 3] + "..."


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
    #: (key, value in A, value in B), on what each run used: the data it loaded, the count
    #: it reached, each backend option on its own key ("backend_options.png.compress_level")
    #: with None where the run left it to its default
    settings_differences: tuple[tuple[str, Any, Any], ...]
    environment_differences: tuple[tuple[str, Any, Any], ...]
    #: the value a differing backend option has when a run does not give it (None: the
    #: library's own default), for the keys in ``settings_differences`` it is known for
    defaults: Mapping[str, Any] = field(default_factory=dict)


def compare_documents(a: dict[str, Any], b: dict[str, Any]) -> Comparison:
    """Ratios of median times per (backend, experiment, n), verdicts, and what else differs."""
    rows_a, rows_b = _rows_by_key(a), _rows_by_key(b)
    rows = tuple(
        _compare_row(key, row, rows_b[key]) for key, row in rows_a.items() if key in rows_b
    )
    sha_a = a.get("dataset", {}).get("sha256")
    settings = _differences(used_settings(a), used_settings(b), ignore=IGNORED_SETTINGS)
    return Comparison(
        rows=rows,
        only_in_a=tuple(key for key in rows_a if key not in rows_b),
        only_in_b=tuple(key for key in rows_b if key not in rows_a),
        same_data=sha_a is not None and sha_a == b.get("dataset", {}).get("sha256"),
        settings_differences=settings,
        environment_differences=_differences(_key_environment(a), _key_environment(b)),
        defaults=_option_defaults(key for key, _, _ in settings),
    )


#: The prefix of a backend option's key among the settings compared.
OPTION_KEY = "backend_options"


def used_settings(document: Mapping[str, Any]) -> dict[str, Any]:
    """A run's settings as it used them: "data" is the data it loaded (the source, or the
    path it came from) rather than what was asked ("auto" that found nothing is the
    synthetic set), "count" the images it had, and each backend option is a key of its own
    so a difference names the option and both values."""
    settings = dict(_mapping(document.get("settings")))
    dataset = _mapping(document.get("dataset"))
    if dataset.get("source"):
        settings["data"] = dataset.get("path") or dataset["source"]
    if isinstance(dataset.get("count"), int):
        settings["count"] = dataset["count"]
    options = settings.pop(OPTION_KEY, None)
    for store, given in _mapping(options).items():
        for option, value in _mapping(given).items():
            settings[f"{OPTION_KEY}.{store}.{option}"] = value
    return settings


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _option_defaults(keys: Iterable[str]) -> dict[str, Any]:
    """The value of each backend option key when a run leaves it out (its constructor's
    default; None is the library's own), for the stores whose class can be loaded here."""
    from .backends import option_defaults  # the backends load h5py, lmdb...: only to compare

    found: dict[str, Any] = {}
    for key in keys:
        prefix, _, rest = key.partition(".")
        store, _, option = rest.rpartition(".")
        if prefix != OPTION_KEY or not store:
            continue
        defaults = option_defaults(store)
        if option in defaults:
            found[key] = defaults[option]
    return found


def _rows_by_key(document: dict[str, Any]) -> dict[RowKey, dict[str, Any]]:
    """Measurements by (backend, experiment, n), in the document's order; first one wins."""
    found: dict[RowKey, dict[str, Any]] = {}
    for row in document.get("measurements", []):
        found.setdefault((row["backend"], experiment_key(row), row["n"]), row)
    return found


def experiment_key(row: Mapping[str, Any]) -> str:
    """What a row measured, as one key: its experiment, and for an epoch row which epoch
    with how many loader workers ("epoch:1:2" is epoch 1 with 2 workers), so that the
    rows of one (store, n) stay apart."""
    experiment = str(row.get("experiment"))
    epoch, workers = row.get("epoch"), row.get("workers")
    if isinstance(epoch, int) and isinstance(workers, int):
        return f"{experiment}:{epoch}:{workers}"
    return experiment


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
    claimable = _steady(row_a) and _steady(row_b) and _beyond_run_to_run(row_a, row_b)
    if claimable and differ(row_a["samples_s"], row_b["samples_s"]):
        verdict = "faster" if median_b < median_a else "slower"
    return ComparisonRow(*key, median_a=median_a, median_b=median_b, ratio=ratio, verdict=verdict)


def _steady(row: dict[str, Any]) -> bool:
    warnings = row.get("warnings") or []
    return not any(isinstance(w, dict) and w.get("code") in UNSTEADY for w in warnings)


def _beyond_run_to_run(row_a: dict[str, Any], row_b: dict[str, Any]) -> bool:
    """Whether even the near ends of the two intervals are ``RUN_TO_RUN_FACTOR`` apart
    (the medians, where a row has no interval): a ratio just past the factor whose
    intervals reach back inside it is drift, not a difference."""
    slow, fast = (row_b, row_a) if row_b["median_s"] > row_a["median_s"] else (row_a, row_b)
    low = float(_or_median(slow, "ci_low_s"))
    high = float(_or_median(fast, "ci_high_s"))
    return low > 0 and high > 0 and low / high >= RUN_TO_RUN_FACTOR


def _or_median(row: dict[str, Any], key: str) -> Any:
    value = row.get(key)
    return row["median_s"] if value is None else value


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
