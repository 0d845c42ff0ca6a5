"""Fuzzed results files: whatever a field is changed into, the file is refused in one line or
it loads and every view of it renders (``show``, ``compare``).

A probe of type-mutated files found 90 of about 1,300 that crashed a view: ``n`` a
401-digit integer, ``environment.packages`` a string, a cutoff a string. Here every field
of a document that has every section (noise figures, pressure, sample starts, packages,
a varying-size data set, errors, notes) is changed, one at a time into each kind of value,
and then several at a time by hypothesis.
"""

from __future__ import annotations

import copy
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from imgbench.core.results import ResultsError, compare_documents, load_document
from imgbench.tui.comparison_text import render_comparison
from imgbench.tui.document_text import render_document
from imgbench.tui.document_words import render_header
from imgbench.tui.measurement_tables import render_summary
from result_docs import make_document, rebuilt, with_noise_fields

Path_ = tuple[str | int, ...]
DELETE = object()  # a mutation that removes the field


def full_document() -> dict[str, Any]:
    """A small valid document with every optional part present."""
    kept = {("png", "store_many"), ("lmdb", "read_random"), ("lmdb", "store_many")}
    doc = with_noise_fields(
        make_document(
            cutoffs=(10, 100),
            backends=("png", "lmdb"),
            experiments=("store_many", "read_random"),
            drop=lambda key: key[:2] not in kept or key == ("lmdb", "store_many", 10),
        )
    )
    doc["measurements"][0] = rebuilt(
        doc["measurements"][0],
        [0.1, 0.2],
        sample_starts=[1.7e9, 1.7e9 + 1],
        pressure={"source": "loadavg", "cpu_some_share": None, "load1": 9.0, "cores": 2},
        loops=3,
        cores=2,
    )
    doc["measurements"][1]["warnings"] = [
        {"code": "noisy", "ci_half_width_share": 0.3, "iqr_share": 0.4},
        {"code": "new_kind", "value": 3},
    ]
    doc["environment"].update(
        packages={"numpy": "1.26.4", "lmdb": None}, cores_available=4, liblmdb="0.9.31"
    )
    doc["dataset"].update(
        shape=None,
        shapes_vary=True,
        shape_range={"height": [20, 40], "width": [30, 60], "channels": [1, 3]},
        details={"tiled_from": 50, "files_skipped": 1},
        classes=10,
    )
    doc["settings"]["backend_options"] = {"png": {"compress_level": 6}}
    doc["errors"] = [{"task": "png store_many n=100", "message": "disk full", "detail": "..."}]
    doc["notes"] = ["a note"]
    return doc


BASE = full_document()


def paths(value: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every place in a document, containers and leaves, the root left out."""
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


ALL_PATHS = list(paths(BASE))


def _stands_for_its_kind(path: Path_) -> bool:
    """The first item of a list stands for the rest; of the rows, the first two (the one
    with sample starts and pressure, the one with warnings)."""
    for index, part in enumerate(path):
        if isinstance(part, int) and part >= (2 if path[:index] == ("measurements",) else 1):
            return False
    return True


KINDS_OF_PATHS = [path for path in ALL_PATHS if _stands_for_its_kind(path)]
TYPE_MUTATIONS: list[Any] = [
    10**401,
    -1,
    0,
    1.5,
    "x",
    "",
    [],
    [1, "a"],
    {},
    {"a": 1},
    None,
    True,
    DELETE,
]


def mutated(doc: dict[str, Any], changes: list[tuple[Path_, Any]]) -> dict[str, Any]:
    """A copy of ``doc`` with each (path, value) set in turn; a path a change before has
    taken away is skipped."""
    changed = copy.deepcopy(doc)
    for path, value in changes:
        parent: Any = changed
        try:
            for part in path[:-1]:
                parent = parent[part]
            if value is DELETE:
                del parent[path[-1]]
            else:
                parent[path[-1]] = copy.deepcopy(value)
        except (KeyError, IndexError, TypeError):
            continue
    return changed


def where(path: Path_) -> str:
    """The path as results' messages write it."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def write(folder: Path, doc: Any) -> Path:
    path = folder / "fuzzed.json"
    path.write_text(json.dumps(doc), encoding="utf-8")  # NaN and Infinity as Python writes them
    return path


def render_everything(doc: dict[str, Any]) -> str:
    """What ``imgbench show`` and ``imgbench compare`` print, both ways round."""
    console = Console(file=io.StringIO(), width=100)
    render_document(doc, console)
    render_summary(doc, console)
    for a, b in ((BASE, doc), (doc, BASE)):
        render_comparison(a, b, compare_documents(a, b), console)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(output, str)
    return output


def check(folder: Path, doc: Any, *, render: bool = True) -> str | None:
    """Refused in one line (the reason returned), or loaded and rendered (None)."""
    path = write(folder, doc)
    try:
        loaded = load_document(path)
    except ResultsError as error:
        message = str(error)
        assert "\n" not in message and message.startswith(f"{path}: ")
        assert len(message) < len(str(path)) + 500
        problem: str = error.problem
        return problem
    if render:
        render_everything(loaded)
    return None


def test_the_base_document_loads_and_renders(tmp_path: Path) -> None:
    assert check(tmp_path, BASE) is None
    assert len(KINDS_OF_PATHS) > 120


def test_every_field_changed_into_every_kind_of_value(tmp_path: Path) -> None:
    """One change at a time: refused naming the place changed, or loaded. The changes that
    load are then rendered together, as many at once as touch different places (a render
    each would take most of a minute); a batch that fails is rendered change by change to name the
    culprit."""
    accepted = []
    for path in KINDS_OF_PATHS:
        for value in TYPE_MUTATIONS:
            problem = check(tmp_path, mutated(BASE, [(path, value)]), render=False)
            if problem is None:
                accepted.append((path, value))
            elif path == ("schema",):
                assert "schema" in problem
            else:  # a list one item short is the list's problem
                place = path[:-1] if value is DELETE and isinstance(path[-1], int) else path
                starts = f"{where(path[:2])}.sample_starts has"  # as many times as samples
                assert where(place) in problem or starts in problem, (path, value, problem)
    assert len(accepted) > 250
    batches = in_batches(accepted)
    assert len(batches) < 30
    for batch in batches:
        render_batch(tmp_path, batch)


def in_batches(changes: list[tuple[Path_, Any]]) -> list[list[tuple[Path_, Any]]]:
    """The changes in groups that touch different places (no path inside another, no two
    items of one list, whose indices a deletion would shift)."""
    batches: list[list[tuple[Path_, Any]]] = []
    for change in changes:
        for batch in batches:
            if not any(_overlap(change[0], other) for other, _ in batch):
                batch.append(change)
                break
        else:
            batches.append([change])
    return batches


def _overlap(a: Path_, b: Path_) -> bool:
    shorter = min(len(a), len(b))
    if a[:shorter] == b[:shorter]:
        return True
    return a[:-1] == b[:-1] and isinstance(a[-1], int)


def render_batch(folder: Path, batch: list[tuple[Path_, Any]]) -> None:
    """Load and render the batch's changes together; one by one if they do not load
    together or the render fails (so a failure names its change)."""
    try:
        problem = check(folder, mutated(BASE, batch))
    except Exception:
        problem = "failed"
    if problem is not None:
        for change in batch:
            try:
                check(folder, mutated(BASE, [change]))
            except Exception as error:
                raise AssertionError(f"changing {where(change[0])} to {change[1]!r}") from error


#: Changes that crashed show, compare or the app before loading checked types and ranges
#: (the first three are the issue's), and two that loaded but made no sense.
PROBE_CASES: list[tuple[Path_, Any, str]] = [
    (("measurements", 3, "n"), 10**401, "measurements[3].n is a 402-digit number"),
    (("environment", "packages"), "numpy", 'environment.packages is "numpy"'),
    (("settings", "cutoffs", 1), "100", 'settings.cutoffs[1] is "100"'),
    (("measurements", 1, "warnings", 0, "iqr_share"), 10**401, "warnings[0].iqr_share"),
    (("dataset", "count"), 10**401, "dataset.count is a 402-digit number"),
    (("environment", "memory_bytes"), 10**401, "environment.memory_bytes is a 402-digit"),
    (("measurements", 0, "median_s"), 10**401, "measurements[0].median_s is a 402-digit"),
    (("settings", "k"), "1000", 'settings.k is "1000"'),
    (("dataset", "shape_range", "height"), "20..40", "dataset.shape_range.height"),
]


@pytest.mark.parametrize(
    ("path", "value", "said"), PROBE_CASES, ids=[where(case[0]) for case in PROBE_CASES]
)
def test_the_crashes_the_probe_found_are_refused_in_one_line(
    tmp_path: Path, path: Path_, value: Any, said: str
) -> None:
    problem = check(tmp_path, mutated(BASE, [(path, value)]))
    assert problem is not None and said in problem


def test_an_interrupted_run_renders_as_one(tmp_path: Path) -> None:
    doc = mutated(BASE, [(("status",), "interrupted")])
    assert check(tmp_path, doc) is None
    console = Console(file=io.StringIO(), width=100, force_terminal=True, color_system="standard")
    render_header(doc, console)
    header = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b[1;33minterrupted" in header  # bold yellow, like a cancelled run
    compared = render_everything(doc)
    assert "(interrupted run: partial results)" in compared


# -- several changes at a time -------------------------------------------------------------------

EDGES = st.sampled_from(
    [10**12, 10**12 + 1, 10**18, 10**21, 2**63, 1e9, 1e9 + 1, -0.0, 5e-324, 1e-300, 1.7e308]
)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**420), max_value=10**420),
    st.floats(),  # NaN and infinities too: json writes them, the loader refuses them
    EDGES,
    st.text(max_size=12),  # lone surrogates included
    st.lists(st.integers() | st.text(max_size=3) | st.none(), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers() | st.text(max_size=3), max_size=3),
    st.just(DELETE),
)


def retyped(value: Any) -> Any:
    """The same content as another JSON type: 10 -> "10", "x" -> ["x"], {..} -> "{..}"."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return [value]
    return json.dumps(value)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(st.sampled_from(ALL_PATHS), VALUES | st.just("retype")), min_size=1, max_size=4
    )
)
def test_several_changes_are_refused_or_render(
    tmp_path: Path, changes: list[tuple[Path_, Any]]
) -> None:
    resolved = []
    for path, value in changes:
        if isinstance(value, str) and value == "retype":
            original: Any = BASE
            for part in path:
                original = original[part]
            value = retyped(original)
        resolved.append((path, value))
    check(tmp_path, mutated(BASE, resolved))


@settings(max_examples=40, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(10**30), 10**30))
def test_any_number_in_the_timings_is_refused_or_renders(seconds: float, count: int) -> None:
    """The numbers views divide, log and format: a value either fits or is refused."""
    from imgbench.core.results import document_problems

    doc = mutated(
        BASE,
        [
            (("measurements", 2, "median_s"), seconds),
            (("measurements", 2, "samples_s", 0), seconds),
            (("measurements", 2, "n"), count),
            (("measurements", 2, "bytes_allocated"), count),
        ],
    )
    if not document_problems(doc):
        assert math.isfinite(seconds) and 1 <= count <= 10**12
        render_everything(doc)
