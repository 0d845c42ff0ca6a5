"""A results document's measurements read defensively into :class:`Row` s (partial runs,
files from other writers), in display order, with the lookups every chart shares.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .chart_types import BACKEND_ORDER, EXPERIMENT_ORDER, Document, Row
from .results import experiment_key


def measurement_rows(doc: Document) -> list[Row]:
    """Every usable measurement, in display order; malformed entries are skipped."""
    raw_rows = doc.get("measurements")
    if not isinstance(raw_rows, list):
        return []
    rows = [row for row in (_parse_row(entry) for entry in raw_rows) if row is not None]
    return sorted(rows, key=_row_order)


def _parse_row(entry: Any) -> Row | None:
    if not isinstance(entry, Mapping):
        return None
    backend, experiment, n = (
        entry.get("backend"),
        entry.get("experiment"),
        int_or_none(entry.get("n")),
    )
    if not isinstance(backend, str) or not isinstance(experiment, str) or n is None or n < 1:
        return None
    verified = entry.get("verified")
    return Row(
        backend=backend,
        experiment=experiment,
        n=n,
        k=int_or_none(entry.get("k")),
        median_s=number_or_none(entry.get("median_s")),
        min_s=number_or_none(entry.get("min_s")),
        stdev_s=number_or_none(entry.get("stdev_s")),
        images_per_s=number_or_none(entry.get("images_per_s")),
        mb_per_s=number_or_none(entry.get("mb_per_s")),
        bytes_apparent=int_or_none(entry.get("bytes_apparent")),
        bytes_allocated=int_or_none(entry.get("bytes_allocated")),
        verified=verified if isinstance(verified, bool) else None,
        key=experiment_key(entry),
    )


def number_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _rank(name: str, order: Sequence[str]) -> tuple[int, str]:
    return (order.index(name), "") if name in order else (len(order), name)


def backend_rank(backend: str) -> tuple[int, str]:
    """Sort key: png, lmdb, hdf5, raw, then any other backend by name."""
    return _rank(backend, BACKEND_ORDER)


def experiment_rank(experiment: str) -> tuple[int, str]:
    """Sort key: stores before reads, one by one before many, random reads last."""
    return _rank(experiment, EXPERIMENT_ORDER)


def _row_order(row: Row) -> tuple[tuple[int, str], tuple[int, str], int]:
    return (backend_rank(row.backend), experiment_rank(row.experiment), row.n)


def backends_in(doc: Document) -> list[str]:
    """The backends of the run: those it was set up with, then any others it measured."""
    planned = settings_of(doc).get("backends")
    names = [name for name in planned if isinstance(name, str)] if isinstance(planned, list) else []
    names += [row.backend for row in measurement_rows(doc)]
    return sorted(dict.fromkeys(names), key=backend_rank)


def settings_of(doc: Document) -> Mapping[str, Any]:
    settings = doc.get("settings")
    return settings if isinstance(settings, Mapping) else {}


def rows_by_key(doc: Document, experiment: str) -> dict[tuple[str, int], Row]:
    """The rows of one experiment by (backend, n); of duplicates the first wins, as in results."""
    found: dict[tuple[str, int], Row] = {}
    for row in measurement_rows(doc):  # a stable sort: document order among equals
        if row.experiment == experiment:
            found.setdefault((row.backend, row.n), row)
    return found


def medians(doc: Document, experiment: str) -> dict[str, list[tuple[int, float]]]:
    """(n, median seconds) per backend, n ascending, positive medians only."""
    found: dict[str, list[tuple[int, float]]] = {}
    for (backend, n), row in rows_by_key(doc, experiment).items():
        if row.median_s is not None and row.median_s > 0:
            found.setdefault(backend, []).append((n, row.median_s))
    return {backend: sorted(points) for backend, points in found.items()}


def absent_note(doc: Document, present: Iterable[str], *, what: str = "no data for") -> str:
    missing = [name for name in backends_in(doc) if name not in set(present)]
    return f"{what} {', '.join(missing)}" if missing else ""


def dataset_shape(doc: Document) -> tuple[int, ...] | None:
    dataset = doc.get("dataset")
    shape = dataset.get("shape") if isinstance(dataset, Mapping) else None
    if not isinstance(shape, list) or not shape or not all(int_or_none(side) for side in shape):
        return None
    return tuple(int(side) for side in shape)
