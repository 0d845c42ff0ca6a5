"""Synthetic results documents for tests: complete, partial, cancelled, a few backends.

Timings follow a simple model (a fixed overhead plus a cost per image) so tests can
compute what a chart or a table must show with :func:`expected_median`.
"""

from __future__ import annotations

import copy
import math
import statistics
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from imgbench.core.results import measurement

ALL_BACKENDS = ("png", "lmdb", "hdf5", "raw")
ALL_EXPERIMENTS = ("store_single", "read_single", "store_many", "read_many", "read_random")
CLASSIC_CUTOFFS = (10, 100, 1_000, 10_000, 100_000)
SHAPE = (32, 32, 3)

#: Seconds per image, by (backend, experiment); the overhead is added once per sample.
PER_IMAGE_S = {
    "png": {"store_single": 3e-4, "read_single": 1.2e-4, "store_many": 2.5e-4, "read_many": 1e-4},
    "lmdb": {"store_single": 2e-3, "read_single": 1e-5, "store_many": 8e-6, "read_many": 6e-6},
    "hdf5": {"store_single": 5e-5, "read_single": 4e-5, "store_many": 4e-6, "read_many": 3e-6},
    "raw": {"store_single": 2e-6, "read_single": 2e-6, "store_many": 1e-6, "read_many": 1e-6},
}
OVERHEAD_S = 2e-4
#: Each row's samples, as shares of its median: a steady run, five samples within ±5%.
SAMPLE_SHARES = (0.97, 0.99, 1.0, 1.02, 1.05)
#: File bytes per image on disk (apparent size) and per-store overhead.
BYTES_PER_IMAGE = {"png": 2_300, "lmdb": 3_150, "hdf5": 3_072, "raw": 3_072}
STORE_OVERHEAD_BYTES = {"png": 0, "lmdb": 8_192, "hdf5": 4_000, "raw": 128}

Key = tuple[str, str, int]


def expected_median(backend: str, experiment: str, n: int, k: int = 1_000) -> float:
    """The median seconds :func:`make_document` records for this measurement."""
    per_image = PER_IMAGE_S[backend]
    if experiment == "read_random":
        return OVERHEAD_S + min(k, n) * per_image["read_single"] * 1.5
    return OVERHEAD_S + n * per_image[experiment]


def expected_sizes(backend: str, n: int) -> tuple[int, int]:
    """(apparent, allocated) bytes of a store of n images."""
    apparent = n * BYTES_PER_IMAGE[backend] + STORE_OVERHEAD_BYTES[backend]
    if backend == "png":  # one file per image, each rounded up to a 4 KiB block
        return apparent, n * 4_096
    return apparent, math.ceil(apparent / 4_096) * 4_096


def make_measurement(
    backend: str, experiment: str, n: int, *, k: int = 1_000, with_sizes: bool = True
) -> dict[str, Any]:
    """One row with the fields the engine wrote before the noise figures came (no interval,
    quartiles, warnings, loops or pressure); :func:`with_noise_fields` adds them."""
    median = expected_median(backend, experiment, n, k)
    images = min(k, n) if experiment == "read_random" else n
    is_store = experiment.startswith("store")
    apparent, allocated = expected_sizes(backend, n) if is_store and with_sizes else (None, None)
    samples = [median * share for share in SAMPLE_SHARES]
    return {
        "backend": backend,
        "experiment": experiment,
        "n": n,
        "k": images,
        "samples_s": samples,
        "min_s": min(samples),
        "median_s": median,
        "mean_s": statistics.fmean(samples),
        "stdev_s": statistics.stdev(samples),
        "images_per_s": images / median,
        "mb_per_s": images * math.prod(SHAPE) / 1e6 / median,
        "bytes_apparent": apparent,
        "bytes_allocated": allocated,
        "verified": None if is_store else True,
        "cache": "warm",
    }


def make_document(
    *,
    backends: Sequence[str] = ALL_BACKENDS,
    experiments: Sequence[str] = ALL_EXPERIMENTS,
    cutoffs: Sequence[int] = (10, 100, 1_000),
    k: int = 1_000,
    status: str = "complete",
    drop: Collection[Key] | Callable[[Key], bool] = (),
    with_sizes: bool = True,
    errors: Iterable[dict[str, str]] = (),
    notes: Iterable[str] = (),
    sha256: str = "ab12" * 16,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A results document; ``drop`` leaves out rows, as a cancelled or failed run would."""
    dropped = drop if callable(drop) else (lambda key: key in drop)
    measurements = [
        make_measurement(backend, experiment, n, k=k, with_sizes=with_sizes)
        for n in cutoffs
        for backend in backends
        for experiment in experiments
        if not dropped((backend, experiment, n))
    ]
    run_settings = {
        "data": "synthetic",
        "count": max(cutoffs),
        "backends": list(backends),
        "experiments": [*experiments, *(["disk_usage"] if with_sizes else [])],
        "cutoffs": list(cutoffs),
        "repeats": 3,
        "warmup": 1,
        "k": k,
        "cache": "warm",
        "durable": True,
        "backend_options": {},
        "workdir": None,
        "seed": 0,
        "image_size": [32, 32],
    }
    run_settings.update(settings or {})
    return {
        "schema": "imgbench.results/1",
        "tool": {"name": "imgbench", "version": "0.1.0"},
        "created": "2025-11-23T19:00:00+00:00",
        "status": status,
        "dataset": {
            "source": "synthetic",
            "path": None,
            "count": max(cutoffs),
            "shape": list(SHAPE),
            "classes": [f"class {i}" for i in range(10)],
            "sha256": sha256,
        },
        "settings": run_settings,
        "environment": {
            "python": "3.11.9",
            "os": "Linux 6.8.0",
            "cpu": "AMD EPYC 7B13",
            "cores": 8,
            "memory_bytes": 32 * 10**9,
            "workdir_filesystem": "ext4",
        },
        "measurements": measurements,
        "errors": list(errors),
        "notes": list(notes),
    }


def cancelled_document() -> dict[str, Any]:
    """A run cancelled during n = 1,000: hdf5 and raw never got there, png stopped early."""

    def not_reached(key: Key) -> bool:
        backend, experiment, n = key
        if n < 1_000:
            return False
        return backend in ("hdf5", "raw") or experiment in ("read_many", "read_random")

    return make_document(
        status="cancelled", drop=not_reached, notes=["cancelled by the user"], errors=[]
    )


def with_changes(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``doc`` with top-level keys replaced."""
    changed = copy.deepcopy(doc)
    changed.update(changes)
    return changed


def with_times_scaled(doc: dict[str, Any], factors: dict[str, float]) -> dict[str, Any]:
    """A copy of ``doc`` whose timings of each named backend are multiplied by its factor."""
    changed = copy.deepcopy(doc)
    for row in changed["measurements"]:
        factor = factors.get(row["backend"], 1.0)
        for key in ("min_s", "median_s", "mean_s", "stdev_s"):
            row[key] *= factor
        row["samples_s"] = [sample * factor for sample in row["samples_s"]]
        row["images_per_s"] /= factor
        row["mb_per_s"] /= factor
    return changed


def rebuilt(row: dict[str, Any], samples: Sequence[float], **options: Any) -> dict[str, Any]:
    """``row`` as :func:`imgbench.core.results.measurement` writes it today, with ``samples``.

    ``options`` are measurement's own (``pressure``, ``cores``, ``loops``...)."""
    return measurement(
        row["backend"],
        row["experiment"],
        row["n"],
        row["k"],
        samples,
        images=row["k"],
        pixel_bytes=row["k"] * math.prod(SHAPE),
        bytes_apparent=row["bytes_apparent"],
        bytes_allocated=row["bytes_allocated"],
        verified=row["verified"],
        cache=row["cache"],
        **options,
    )


def with_noise_fields(
    doc: dict[str, Any], draw: Callable[[dict[str, Any]], Sequence[float]] | None = None
) -> dict[str, Any]:
    """A copy of ``doc`` whose rows carry today's fields; ``draw`` gives a row new samples."""
    changed = copy.deepcopy(doc)
    changed["measurements"] = [
        rebuilt(row, draw(row) if draw else row["samples_s"], cores=8)
        for row in changed["measurements"]
    ]
    return changed


def epoch_rows(
    store: str,
    images_per_s: Callable[[int, int], float],
    *,
    n: int = 1_000,
    workers: Sequence[int] = (1, 2),
    **fields: Callable[[int], float] | float,
) -> list[dict[str, Any]]:
    """Epoch 1 and 2 rows of ``store`` for each worker count: ``images_per_s(workers,
    epoch)``; each other field a value, or a function of the worker count."""
    return [
        {
            "backend": store,
            "experiment": "epoch",
            "n": n,
            "workers": count,
            "epoch": epoch,
            "images_per_s": images_per_s(count, epoch),
            **{name: value(count) if callable(value) else value for name, value in fields.items()},
        }
        for count in workers
        for epoch in (1, 2)
    ]
