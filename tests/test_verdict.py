"""The verdict: the best store per need, ties called ties, one recommendation under the
user's priority, and caveats for runs that cannot be trusted as they are."""

from __future__ import annotations

import copy
import json
import math
import random
from collections.abc import Iterable
from typing import Any

import pytest
from rich.console import Console

from imgbench.core.results import document_problems
from imgbench.core.verdict import PRIORITIES, Verdict, verdict_of
from imgbench.tui.verdict_text import (
    store_title,
    verdict_lines,
    verdict_renderable,
    verdict_table,
)
from result_docs import cancelled_document, make_document

N = 2_000
#: Images/s of epoch 1 at each store's best worker count, its write rate and its bytes per
#: image: raw is the limit, lmdb the fastest format, hdf5 the smallest, png the slowest.
READ = {"png": 5_000.0, "lmdb": 60_000.0, "hdf5": 40_000.0, "raw": 90_000.0}
WRITE = {"png": 4_000.0, "lmdb": 190_000.0, "hdf5": 700_000.0, "raw": 700_000.0}
DISK = {"png": 4_100, "lmdb": 4_130, "hdf5": 3_080, "raw": 3_080}
P99 = {"png": 3e-4, "lmdb": 5e-6, "hdf5": 2e-5, "raw": 3e-6}
#: A steady measurement: the 95% interval of the median is ±2%.
STEADY = 0.02


def row(
    store: str,
    experiment: str,
    rate: float,
    *,
    n: int = N,
    spread: float = STEADY,
    warnings: Iterable[str] = (),
    **extra: Any,
) -> dict[str, Any]:
    """A measurement row moving n images at ``rate`` images/s, its interval ±spread."""
    median = n / rate
    return {
        "backend": store,
        "experiment": experiment,
        "n": n,
        "k": n,
        "samples_s": [median],
        "min_s": median,
        "median_s": median,
        "mean_s": median,
        "stdev_s": 0.0,
        "ci_low_s": median * (1 - spread),
        "ci_high_s": median * (1 + spread),
        "images_per_s": rate,
        "mb_per_s": rate * 3_072 / 1e6,
        "bytes_apparent": None,
        "bytes_allocated": None,
        "verified": True,
        "cache": "warm",
        "warnings": [{"code": code} for code in warnings],
        **extra,
    }


def store_rows(
    store: str,
    *,
    read: float | None = None,
    spread: float = STEADY,
    warnings: Iterable[str] = (),
    skip: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """A store's rows: store_many with its size, epochs 1 and 2 with 1 and 2 workers (the
    best is 2 workers, epoch 1) and read_latency."""
    rate, codes, skipped = read or READ[store], list(warnings), set(skip)
    rows = []
    if "store_many" not in skipped:
        size = DISK[store] * N
        rows.append(
            row(
                store,
                "store_many",
                WRITE[store],
                bytes_apparent=size,
                bytes_allocated=size,
                verified=None,
            )
        )
    if "epoch" not in skipped:
        for workers, share in ((1, 0.6), (2, 1.0)):
            for epoch, epoch_share in ((1, 1.0), (2, 1.3)):
                figure = rate * share * epoch_share
                rows.append(
                    row(
                        store,
                        "epoch",
                        figure,
                        spread=spread,
                        warnings=codes,
                        workers=workers,
                        epoch=epoch,
                    )
                )
    if "read_latency" not in skipped:
        p99 = P99[store]
        rows.append(
            row(
                store,
                "read_latency",
                1 / p99,
                k=1_000,
                warnings=codes,
                latency_s={"p50": p99 / 3, "p99": p99},
            )
        )
    return rows


def document(
    stores: Iterable[str] = ("png", "lmdb", "hdf5", "raw"),
    *,
    rows: list[dict[str, Any]] | None = None,
    status: str = "complete",
    **settings: Any,
) -> dict[str, Any]:
    """A results document (schema-valid) holding ``rows``, or every store's own rows."""
    chosen = tuple(stores)
    doc = make_document(
        experiments=("store_many",),
        cutoffs=(N,),
        status=status,
        settings={
            "backends": list(chosen),
            "experiments": ["store_many", "disk_usage", "epoch", "read_latency"],
            "loader_workers": [1, 2],
            "cache": "cold",
            **settings,
        },
    )
    doc["measurements"] = rows if rows is not None else [r for s in chosen for r in store_rows(s)]
    return doc


def table_line(text: str, need: str) -> str:
    """The table's row of a need in rendered text."""
    return next(line for line in text.splitlines() if line.strip().startswith(need + "  "))


def codes(verdict: Verdict) -> set[str]:
    return {caveat.code for caveat in verdict.caveats}


def rendered(verdict: Verdict, width: int = 80) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(verdict_renderable(verdict))
    return console.export_text()


# -- a clear winner ----------------------------------------------------------------------


def test_a_clear_winner_on_every_need_and_its_reasons() -> None:
    doc = document()
    assert document_problems(doc) == []
    verdict = verdict_of(doc)
    best = {need.name: need.best for need in verdict.needs}
    assert best == {
        "read": ("raw",),
        "random": ("raw",),
        "write": ("hdf5", "raw"),
        "disk": ("hdf5", "raw"),
    }
    read = verdict.need("read")
    assert read is not None and read.source == "epoch" and read.n == N
    assert read.standing("lmdb").figure.workers == 2
    assert read.value("lmdb") == pytest.approx(READ["lmdb"])  # epoch 1, not the faster epoch 2
    # balanced: hdf5 is 2.25x slower to read than raw, but the smallest and fastest writer
    chosen = verdict.recommendation
    assert chosen is not None and chosen.store == "hdf5" and chosen.priority == "balanced"
    assert chosen.read_vs_png == pytest.approx(8.0)
    assert chosen.read_vs_raw == pytest.approx(40 / 90)
    assert chosen.read_workers == 2 and chosen.png_read_workers == 2
    assert chosen.disk_vs_png == pytest.approx(3_080 / 4_100)
    assert chosen.disk_vs_source is None  # synthetic data has no files of its own
    alternative = verdict.alternative
    assert alternative is not None and (alternative.store, alternative.matters) == ("lmdb", "read")
    assert alternative.read_vs_recommended == pytest.approx(1.5)
    assert codes(verdict) == {"ties"}  # hdf5 and raw write and take the disk alike
    lines = verdict_lines(verdict)
    assert lines[0].startswith("Use HDF5 (raw): reads an epoch 8.0x faster than PNG files with 2")
    assert "2.2x from the raw baseline" in lines[0]
    assert "25% less disk than PNG files" in lines[0]
    assert (
        "If read speed matters more: LMDB (raw), 1.5x faster epochs than HDF5 (raw), "
        "1.3x the disk of HDF5 (raw)." in lines
    )


def test_the_table_fits_80_columns_with_four_stores_and_long_names() -> None:
    names = {"png": "png", "lmdb": "lmdb+jpeg90", "hdf5": "parquet+png", "raw": "raw"}
    rows = []
    for store, name in names.items():
        for entry in store_rows(store):
            rows.append({**entry, "backend": name})
    verdict = verdict_of(document(names.values(), rows=rows))
    text = rendered(verdict)
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    table = verdict_table(verdict)
    assert [column.header for column in table.columns][:2] == ["need", "best"]
    assert table.row_count == 4
    assert "lmdb+jpeg90" in text and "parquet+png" in text


# -- ties ----------------------------------------------------------------------------------


def test_figures_within_the_noise_are_a_tie_not_a_win() -> None:
    rows = [
        *store_rows("png"),
        *store_rows("lmdb", read=50_000, spread=0.3),  # wide intervals that overlap
        *store_rows("hdf5", read=45_000, spread=0.3),
    ]
    verdict = verdict_of(document(("png", "lmdb", "hdf5"), rows=rows))
    read = verdict.need("read")
    assert read is not None and read.tie and read.best == ("lmdb", "hdf5")
    ties = verdict.caveat("ties")
    assert ties is not None and ties.data["needs"]["read"] == ("lmdb", "hdf5")
    assert "training read (lmdb, hdf5)" in " ".join(verdict_lines(verdict))
    assert table_line(rendered(verdict), "training read").split()[-1] == "tie"
    # a tie on read lets the smaller disk decide, whatever the medians say
    chosen = verdict_of(document(("png", "lmdb", "hdf5"), rows=rows), "read").recommendation
    assert chosen is not None and chosen.store == "hdf5"


def test_the_same_medians_with_narrow_intervals_are_a_win() -> None:
    rows = [*store_rows("lmdb", read=50_000), *store_rows("hdf5", read=45_000)]
    read = verdict_of(document(("lmdb", "hdf5"), rows=rows)).need("read")
    assert read is not None and read.best == ("lmdb",) and not read.tie


def test_figures_without_intervals_tie_within_ten_percent() -> None:
    rows = [*store_rows("lmdb"), *store_rows("hdf5")]
    for entry in rows:
        if entry["experiment"] == "read_latency":
            entry["latency_s"]["p99"] = 1.05e-5 if entry["backend"] == "lmdb" else 1e-5
    random_access = verdict_of(document(("lmdb", "hdf5"), rows=rows)).need("random")
    assert random_access is not None and random_access.best == ("hdf5", "lmdb")


# -- priorities ----------------------------------------------------------------------------


def test_priorities_change_the_answer() -> None:
    doc = document()
    picked = {priority: verdict_of(doc, priority).recommendation for priority in PRIORITIES}
    stores = {priority: chosen.store for priority, chosen in picked.items() if chosen}
    assert stores == {"balanced": "hdf5", "read": "lmdb", "disk": "hdf5", "write": "hdf5"}
    read = verdict_of(doc, "read")
    assert read.alternative is not None and read.alternative.matters == "disk"
    assert read.alternative.store == "hdf5"
    assert any(line.startswith("If disk matters more: HDF5 (raw)") for line in verdict_lines(read))
    assert any("Priority read speed" in line for line in verdict_lines(read))


def test_the_disk_priority_keeps_to_stores_at_most_2x_slower_to_read() -> None:
    # hdf5 reads 2.5x slower than lmdb now: the disk priority passes it over
    rows = [*store_rows("png"), *store_rows("lmdb"), *store_rows("hdf5", read=24_000)]
    verdict = verdict_of(document(("png", "lmdb", "hdf5"), rows=rows), "disk")
    assert verdict.recommendation is not None and verdict.recommendation.store == "lmdb"


def test_the_priority_comes_from_the_document_settings() -> None:
    assert verdict_of(document(priority="read")).priority == "read"
    assert verdict_of(document(priority="speed")).priority == "balanced"
    assert verdict_of(document()).priority == "balanced"
    with pytest.raises(ValueError, match="unknown priority 'fast'; choose from balanced"):
        verdict_of(document(), "fast")


# -- runs that cannot be trusted as they are -----------------------------------------------


def test_a_cancelled_run_says_what_is_missing() -> None:
    rows = [
        *store_rows("png"),
        *store_rows("lmdb", skip=("epoch", "read_latency")),
        *store_rows("hdf5"),
    ]
    verdict = verdict_of(document(("png", "lmdb", "hdf5"), rows=rows, status="cancelled"))
    incomplete = verdict.caveat("incomplete")
    assert incomplete is not None
    assert incomplete.data["status"] == "cancelled"
    assert incomplete.data["missing"] == (("lmdb", "epoch"), ("lmdb", "read_latency"))
    assert "The run was cancelled: lmdb epoch and read_latency are missing." in verdict_lines(
        verdict
    )
    # lmdb has no training read: a store with every figure is recommended
    assert verdict.recommendation is not None and verdict.recommendation.store == "hdf5"


def test_a_failed_store_in_a_complete_run_is_said() -> None:
    doc = document(("png", "lmdb", "hdf5"), rows=[*store_rows("png"), *store_rows("hdf5")])
    doc["errors"] = [{"task": "lmdb store_many n=2000", "message": "map full"}]
    verdict = verdict_of(doc)
    line = next(line for line in verdict_lines(verdict) if line.startswith("Some stores failed"))
    assert "lmdb store_many, epoch and read_latency are missing" in line


def test_a_warm_run_that_fits_in_memory_says_the_reads_came_from_memory() -> None:
    rows = [
        r for s in ("png", "lmdb", "hdf5") for r in store_rows(s, warnings=("in_memory", "busy"))
    ]
    doc = document(("png", "lmdb", "hdf5"), rows=rows, cache="warm")
    doc["environment"]["memory_bytes"] = 1_000  # the warnings alone say it
    verdict = verdict_of(doc)
    held = verdict.caveat("in_memory")
    assert held is not None and held.data["stores"] == ("png", "lmdb", "hdf5")
    words = " ".join(verdict_lines(verdict))
    assert "The reads came from memory" in words and "--cache cold" in words
    assert "The machine was busy during some measurements" in words


def test_a_warm_run_without_page_cache_figures_is_judged_by_the_machine_memory() -> None:
    warm = make_document(cutoffs=(10, 100, 1_000))  # 32 GB of memory, stores of a few MB
    verdict = verdict_of(warm)
    assert verdict.caveat("in_memory") is not None
    cold = copy.deepcopy(warm)
    cold["settings"]["cache"] = "cold"
    assert verdict_of(cold).caveat("in_memory") is None


def test_without_epoch_rows_read_many_stands_in_and_says_so() -> None:
    verdict = verdict_of(make_document(cutoffs=(10, 100, 1_000)))
    read = verdict.need("read")
    assert read is not None and (read.source, read.n) == ("read_many", 1_000)
    random_access = verdict.need("random")
    assert random_access is not None and random_access.source == "read_random"
    assert verdict.caveat("no_epoch") is not None
    assert verdict.recommendation is not None and verdict.recommendation.store == "hdf5"
    lines = verdict_lines(verdict)
    assert lines[0].startswith("Use HDF5 (raw): reads its images in order")
    assert any(
        line.startswith("No epochs were measured: the training read is read_many") for line in lines
    )


def test_one_store_is_recommended_and_said_to_be_alone() -> None:
    verdict = verdict_of(document(("lmdb",)))
    assert verdict.recommendation is not None and verdict.recommendation.store == "lmdb"
    assert verdict.recommendation.read_vs_png is None and verdict.alternative is None
    assert "few_stores" in codes(verdict) and "ties" not in codes(verdict)
    lines = verdict_lines(verdict)
    assert lines[0].startswith("Use LMDB (raw): reads an epoch 60,000 images/s with 2 workers")
    assert "Only one store was measured" in lines[-1]
    assert rendered(verdict)


def test_raw_alone_is_recommended_but_never_over_a_format() -> None:
    assert verdict_of(document(("raw",))).recommendation.store == "raw"
    two = verdict_of(document(("png", "raw")))
    assert two.recommendation is not None and two.recommendation.store == "png"


def test_without_png_the_factors_against_it_are_left_out() -> None:
    verdict = verdict_of(document(("lmdb", "hdf5", "raw")))
    chosen = verdict.recommendation
    assert chosen is not None and chosen.read_vs_png is None and chosen.disk_vs_png is None
    assert "PNG" not in verdict_lines(verdict)[0]
    assert "from the raw baseline" in verdict_lines(verdict)[0]


def test_the_source_size_is_compared_when_known() -> None:
    doc = document()
    doc["dataset"].update(source="folder", details={"source_bytes": 1_000 * N})
    verdict = verdict_of(doc, "read")
    assert verdict.recommendation is not None
    assert verdict.recommendation.disk_vs_source == pytest.approx(4.13)
    assert "4.1x the disk of your image files" in verdict_lines(verdict)[0]
    assert "3.1x the disk of your image files" in verdict_lines(verdict)[2]


def test_a_lossy_recommendation_is_said() -> None:
    rows = [{**r, "backend": "lmdb+jpeg90"} for r in store_rows("lmdb")] + store_rows("png")
    doc = document(("png", "lmdb+jpeg90"), rows=rows)
    doc["stores"] = {
        "lmdb+jpeg90": {
            "container": "lmdb",
            "encoding": "jpeg90",
            "lossless": False,
            "psnr_db": 38.2,
        }
    }
    verdict = verdict_of(doc)
    lossy = verdict.caveat("lossy")
    assert lossy is not None and lossy.data["stores"] == ("lmdb+jpeg90",)
    assert "lmdb+jpeg90 (PSNR 38 dB) changes the pixels" in " ".join(verdict_lines(verdict))


def test_store_titles() -> None:
    assert [
        store_title(s) for s in ("png", "raw", "hdf5", "tar+png", "lmdb+jpeg90", "files+webp")
    ] == [
        "PNG files",
        "raw .npy",
        "HDF5 (raw)",
        "tar shards (PNG)",
        "LMDB (JPEG q90)",
        "lossless WebP files",
    ]


# -- bad input never raises ----------------------------------------------------------------


GARBAGE: list[Any] = [
    None,
    [],
    "results",
    {},
    {"measurements": "many"},
    {
        "measurements": [
            None,
            1,
            "x",
            {},
            {"backend": "png"},
            {"backend": 3, "experiment": "epoch", "n": 1},
        ]
    },
    {"measurements": [{"backend": "png", "experiment": "epoch", "n": True, "images_per_s": 1}]},
    {"settings": [], "dataset": "x", "environment": 7, "status": 3, "errors": "e", "stores": []},
    {"settings": {"backends": "png", "experiments": [1, None]}, "status": "cancelled"},
]


@pytest.mark.parametrize("doc", GARBAGE)
def test_garbage_gives_a_verdict_without_a_recommendation(doc: Any) -> None:
    verdict = verdict_of(doc)
    assert verdict.recommendation is None and verdict.needs == ()
    assert "no_data" in codes(verdict)
    lines = verdict_lines(verdict)
    assert lines[0].startswith("No verdict:")
    assert rendered(verdict)


def odd_values() -> list[Any]:
    return [None, -1, 0, math.nan, math.inf, True, "7", [], {}, {"p99": "x"}, 10**30]


def test_odd_values_in_any_field_never_raise() -> None:
    base = document()
    base["dataset"]["details"] = {"source_bytes": 10**6, "tiled_from": 100, "archive": True}
    chooser = random.Random(13)
    for _ in range(400):
        doc = copy.deepcopy(base)
        for _ in range(chooser.randint(1, 6)):
            rows = doc.get("measurements")
            parts = [
                doc.get("settings"),
                doc.get("dataset"),
                *(rows if isinstance(rows, list) else []),
            ]
            target = chooser.choice(
                [doc, *(part for part in parts if isinstance(part, dict) and part)]
            )
            key = chooser.choice(sorted(target))
            if chooser.random() < 0.3:
                del target[key]
            else:
                target[key] = chooser.choice(odd_values())
        verdict = verdict_of(doc)
        json.dumps([verdict_lines(verdict)])
        assert rendered(verdict)


def test_every_need_missing_one_by_one() -> None:
    for experiment in ("store_many", "epoch", "read_latency"):
        doc = document()
        doc["measurements"] = [r for r in doc["measurements"] if r["experiment"] != experiment]
        verdict = verdict_of(doc)
        assert verdict.recommendation is not None
        assert rendered(verdict)


def test_stores_that_stopped_early_are_named_and_compared_where_all_were() -> None:
    verdict = verdict_of(cancelled_document())
    incomplete = verdict.caveat("incomplete")
    assert incomplete is not None and incomplete.data["compared_at"] == (100,)
    assert {need.n for need in verdict.needs} == {100}
    line = "The run was cancelled: hdf5 and raw stopped before n = 1,000 (compared at n = 100)."
    assert line in verdict_lines(verdict)
