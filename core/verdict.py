"""The verdict: for this data on this machine, which store to use and why.

From a results document, each need gets its best store and a ranking, and one store is
recommended under the user's priority. Everything here is numbers and codes; the words a
person reads are built in ``imgbench.tui.verdict_text``.

The needs and their figures (each at the largest n the most stores reached):

- read (training read): images/s of epoch 1 at the store's best loader worker count;
  without epoch rows, ``epoch_batched``, else ``read_many`` (the no_epoch caveat says so).
- random (random access): p99 seconds of one read (``read_latency``); without it, the
  median seconds per image of ``read_random``.
- write: images/s of ``store_many`` (else ``store_single``).
- disk: allocated bytes per image of the store (apparent bytes when allocated is unknown),
  and against the source's own files when their size is known.

Ties: two figures are a tie, not a win, when their 95% intervals overlap; figures without
an interval (p99 latency, disk bytes) tie within ``TIE_FACTOR`` (10%). A store's factor on
a need is how many times worse than the best it is; a store tied with the best counts 1.

The ranking rules (a store must have a figure for every need that has any to be ranked
first when some store has them all):

- balanced: the smallest weighted geometric mean of the factors on read (weight 2), disk
  (1) and write (1).
- read: the fastest training read; stores tied with it are split by the smaller disk, then
  the faster write.
- disk: the smallest disk among stores whose training read is within ``READ_SLACK`` (2x) of
  the fastest store that can be recommended; ties are split by the faster read.
- write: the fastest write among stores within 2x of that fastest read; ties split by read.
- any remaining tie goes to the classic order (png, lmdb, hdf5, then by name), and the
  stores the rules cannot tell apart are named as tied with the recommendation.
- raw (.npy) is the baseline: ranked on every need, never recommended unless it is the
  only store (one fixed-shape array in memory order is a limit, not a format to keep).
- random access is ranked and shown but weighs in no rule (a training run reads epochs).

The alternative is the best store (raw aside) of the first need the recommendation does
not win or tie: disk, then read (balanced and write); disk (read); read (disk).

Caveats (codes with data): incomplete (status, missing pairs, stores that stopped at a
smaller n), in_memory (reads came from memory), busy (figures measured on a busy machine),
ties (needs whose best is a tie), no_epoch (the training read is not from epochs),
few_stores (one store), lossy (the recommendation or alternative changes the pixels),
no_data (nothing to judge: no recommendation).

A ratio ``x_vs_y`` is store x's figure over store y's in the need's own unit: images/s for
read and write (above 1: x is faster), bytes for disk (above 1: x takes more).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .chart_disk import source_bytes_per_image
from .chart_rows import backend_rank
from .results_schema import PRIORITIES

__all__ = [
    "NEEDS",
    "PRIORITIES",
    "Alternative",
    "Caveat",
    "Figure",
    "Need",
    "Recommendation",
    "Standing",
    "Verdict",
    "tied",
    "verdict_of",
]

#: The needs, in the order they are shown.
NEEDS = ("read", "random", "write", "disk")
#: Where each need's figure comes from, in order of preference.
SOURCES: dict[str, tuple[str, ...]] = {
    "read": ("epoch", "epoch_batched", "read_many"),
    "random": ("read_latency", "read_random"),
    "write": ("store_many", "store_single"),
    "disk": ("store_many", "store_single"),
}
#: Needs whose figure is better when higher (images/s); the others are costs.
HIGHER_IS_BETTER = frozenset({"read", "write"})
#: Figures without a 95% interval tie within this factor.
TIE_FACTOR = 1.10
#: The disk and write priorities choose among stores at most this much slower to read.
READ_SLACK = 2.0
#: The balanced score's weights: the training read counts twice.
BALANCED_WEIGHTS: dict[str, float] = {"read": 2.0, "disk": 1.0, "write": 1.0}
#: The needs that settle a tie under each priority, most important first.
TIEBREAKS: dict[str, tuple[str, ...]] = {
    "balanced": ("read", "disk", "write"),
    "read": ("read", "disk", "write"),
    "disk": ("disk", "read", "write"),
    "write": ("write", "read", "disk"),
}
#: The need whose best store is the alternative, tried in order.
ALTERNATIVE_NEEDS: dict[str, tuple[str, ...]] = {
    "balanced": ("disk", "read"),
    "read": ("disk",),
    "disk": ("read",),
    "write": ("disk", "read"),
}
PNG, RAW = "png", "raw"
_LOSSY = re.compile(r"\+(jpeg\d*|webp\d+)$")


# -- what a verdict holds ------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One store's figure on one need, with its 95% interval when the row had one."""

    store: str
    value: float
    low: float | None = None
    high: float | None = None
    n: int = 0
    workers: int | None = None  # the loader workers of an epoch figure
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Standing:
    """A store's place on one need: its figure, how many times worse than the best it is
    (1 for the best), and whether it is within the noise of the best."""

    store: str
    figure: Figure
    factor: float
    tied_with_best: bool

    @property
    def counted_factor(self) -> float:
        """The factor the ranking rules use: a tie with the best counts as the best."""
        return 1.0 if self.tied_with_best else self.factor


@dataclass(frozen=True)
class Need:
    """One need's ranking, best first, and which experiment measured it at which n."""

    name: str
    source: str
    n: int
    ranking: tuple[Standing, ...]

    @property
    def best(self) -> tuple[str, ...]:
        """The best store and every store tied with it."""
        return tuple(s.store for s in self.ranking if s.tied_with_best)

    @property
    def tie(self) -> bool:
        return len(self.best) > 1

    def standing(self, store: str) -> Standing | None:
        return next((s for s in self.ranking if s.store == store), None)

    def value(self, store: str) -> float | None:
        found = self.standing(store)
        return found.figure.value if found else None


@dataclass(frozen=True)
class Recommendation:
    """The store to use, the figures that justify it, and the stores the rules cannot tell
    apart from it."""

    store: str
    priority: str
    tied_with: tuple[str, ...] = ()
    read_vs_png: float | None = None
    read_vs_raw: float | None = None
    read_workers: int | None = None
    png_read_workers: int | None = None
    write_vs_png: float | None = None
    disk_vs_png: float | None = None
    disk_vs_source: float | None = None


@dataclass(frozen=True)
class Alternative:
    """The store that wins if ``matters`` (disk or read) counts more, against the
    recommendation and the source."""

    store: str
    matters: str
    read_vs_recommended: float | None = None
    disk_vs_recommended: float | None = None
    disk_vs_source: float | None = None


@dataclass(frozen=True)
class Caveat:
    """Why the verdict may not hold, as a code and its data (see :func:`verdict_of`)."""

    code: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """Everything the verdict says; ``recommendation`` is None when no store was measured."""

    priority: str
    stores: tuple[str, ...]
    needs: tuple[Need, ...]
    recommendation: Recommendation | None
    alternative: Alternative | None
    caveats: tuple[Caveat, ...]
    source_bytes_per_image: float | None = None
    #: What the source bytes are: "folder", "cifar_archive", "cifar_batches" or None.
    source_kind: str | None = None

    def need(self, name: str) -> Need | None:
        return next((need for need in self.needs if need.name == name), None)

    def caveat(self, code: str) -> Caveat | None:
        return next((caveat for caveat in self.caveats if caveat.code == code), None)


# -- the verdict ---------------------------------------------------------------------------


def verdict_of(doc: Any, priority: str | None = None) -> Verdict:
    """The verdict of a results document. Never raises for a malformed document (what is
    missing becomes a caveat); an explicit priority that is not one of ``PRIORITIES`` is a
    ValueError, as it is a caller's mistake."""
    if priority is not None and priority not in PRIORITIES:
        raise ValueError(f"unknown priority {priority!r}; choose from {', '.join(PRIORITIES)}")
    document: Mapping[str, Any] = doc if isinstance(doc, Mapping) else {}
    chosen = priority or _priority_in(document)
    rows = _rows(document)
    needs = tuple(need for need in (_need(name, rows) for name in NEEDS) if need is not None)
    stores = tuple(sorted({s.store for n in needs for s in n.ranking}, key=backend_rank))
    source = _source_bytes(document)
    recommendation = _recommend(needs, stores, chosen, source)
    alternative = _alternative(needs, recommendation, source)
    caveats = _caveats(document, rows, needs, stores, recommendation, alternative)
    return Verdict(
        priority=chosen,
        stores=stores,
        needs=needs,
        recommendation=recommendation,
        alternative=alternative,
        caveats=caveats,
        source_bytes_per_image=source,
        source_kind=_source_kind(document) if source is not None else None,
    )


def _priority_in(doc: Mapping[str, Any]) -> str:
    settings = doc.get("settings")
    wanted = settings.get("priority") if isinstance(settings, Mapping) else None
    return wanted if isinstance(wanted, str) and wanted in PRIORITIES else PRIORITIES[0]


# -- reading rows --------------------------------------------------------------------------


def _rows(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The measurement rows with a store name, an experiment and an n; others are skipped."""
    rows = doc.get("measurements")
    found = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, Mapping):
            continue
        store, experiment, n = row.get("backend"), row.get("experiment"), row.get("n")
        if isinstance(store, str) and isinstance(experiment, str) and _at_least_one(n):
            found.append(row)
    return found


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _at_least_one(value: Any) -> bool:
    return _whole(value) and bool(value >= 1)


def _positive(value: Any) -> float | None:
    """A finite number above 0, else None (a file may hold anything)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number > 0 else None


def _codes(row: Mapping[str, Any]) -> tuple[str, ...]:
    warnings = row.get("warnings")
    if not isinstance(warnings, list):
        return ()
    return tuple(
        w["code"] for w in warnings if isinstance(w, Mapping) and isinstance(w.get("code"), str)
    )


def _rate_figure(row: Mapping[str, Any]) -> Figure | None:
    """Images per second, its interval from the median's (a rate is images over seconds)."""
    median = _positive(row.get("median_s"))
    images = _positive(row.get("k")) or float(row["n"])
    rate = _positive(row.get("images_per_s")) or (images / median if median else None)
    if rate is None:
        return None
    low_s, high_s = _interval_s(row)
    low = high = None
    if median is not None and low_s is not None and high_s is not None:
        low, high = rate * median / high_s, rate * median / low_s
    return Figure(
        store=row["backend"],
        value=rate,
        low=low,
        high=high,
        n=row["n"],
        workers=row["workers"] if _whole(row.get("workers")) else None,
        warnings=_codes(row),
    )


def _interval_s(row: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """The row's 95% interval of the median, or (None, None) when it has none."""
    low, high = _positive(row.get("ci_low_s")), _positive(row.get("ci_high_s"))
    return (low, high) if low is not None and high is not None and low <= high else (None, None)


def _latency_figure(row: Mapping[str, Any]) -> Figure | None:
    """The p99 of single reads (no interval: a percentile of one sample of reads)."""
    latency = row.get("latency_s")
    p99 = _positive(latency.get("p99")) if isinstance(latency, Mapping) else None
    if p99 is None:
        return None
    return Figure(row["backend"], p99, n=row["n"], warnings=_codes(row))


def _per_image_figure(row: Mapping[str, Any]) -> Figure | None:
    """Median seconds per image of k random reads, with the median's interval."""
    median, images = _positive(row.get("median_s")), _positive(row.get("k"))
    if median is None or images is None:
        return None
    low, high = _interval_s(row)
    return Figure(
        row["backend"],
        median / images,
        low / images if low is not None else None,
        high / images if high is not None else None,
        n=row["n"],
        warnings=_codes(row),
    )


def _disk_figure(row: Mapping[str, Any]) -> Figure | None:
    """Bytes per image on disk: allocated, else apparent."""
    size = _positive(row.get("bytes_allocated")) or _positive(row.get("bytes_apparent"))
    if size is None:
        return None
    return Figure(row["backend"], size / row["n"], n=row["n"])


def _figure_of(need: str, source: str) -> Callable[[Mapping[str, Any]], Figure | None]:
    if need == "disk":
        return _disk_figure
    if source == "read_latency":
        return _latency_figure
    if source == "read_random":
        return _per_image_figure
    return _rate_figure


# -- ranking one need ----------------------------------------------------------------------


def _need(name: str, rows: Sequence[Mapping[str, Any]]) -> Need | None:
    """The need measured by its first source that has figures, at the n most stores reached."""
    for source in SOURCES[name]:
        by_n = _figures_by_n(name, source, rows)
        if by_n:
            n = max(by_n, key=lambda size: (len(by_n[size]), size))
            return Need(name, source, n, _ranking(name, by_n[n].values()))
    return None


def _figures_by_n(
    need: str, source: str, rows: Sequence[Mapping[str, Any]]
) -> dict[int, dict[str, Figure]]:
    """Each store's figure per n; of an epoch, epoch 1 at the store's best worker count."""
    figure_of = _figure_of(need, source)
    found: dict[int, dict[str, Figure]] = {}
    for row in rows:
        if row["experiment"] != source or not _first_epoch(row):
            continue
        figure = figure_of(row)
        if figure is None:
            continue
        per_store = found.setdefault(figure.n, {})
        if figure.store not in per_store or _better(need, figure, per_store[figure.store]):
            per_store[figure.store] = figure
    return found


def _first_epoch(row: Mapping[str, Any]) -> bool:
    """Epoch 1 of an epoch row (the one a training run pays first); any other row."""
    return not row["experiment"].startswith("epoch") or row.get("epoch", 1) == 1


def _better(need: str, a: Figure, b: Figure) -> bool:
    return a.value > b.value if need in HIGHER_IS_BETTER else a.value < b.value


def _ranking(need: str, figures: Iterable[Figure]) -> tuple[Standing, ...]:
    higher = need in HIGHER_IS_BETTER
    ordered = sorted(
        figures, key=lambda f: (-f.value if higher else f.value, backend_rank(f.store))
    )
    best = ordered[0]
    return tuple(
        Standing(
            store=figure.store,
            figure=figure,
            factor=best.value / figure.value if higher else figure.value / best.value,
            tied_with_best=tied(best, figure),
        )
        for figure in ordered
    )


def tied(a: Figure, b: Figure) -> bool:
    """Whether two figures are within the noise: their 95% intervals overlap, or, for
    figures without intervals, they are within ``TIE_FACTOR`` of each other."""
    if a.low is not None and a.high is not None and b.low is not None and b.high is not None:
        return a.low <= b.high and b.low <= a.high
    small, large = sorted((a.value, b.value))
    return large <= small * TIE_FACTOR


# -- the recommendation --------------------------------------------------------------------


def _recommend(
    needs: Sequence[Need], stores: Sequence[str], priority: str, source: float | None
) -> Recommendation | None:
    if not stores:
        return None
    candidates = _candidates(needs, stores)
    fastest = min(_factor_or_worst(needs, "read", store) for store in candidates)
    keys = {store: _rule_key(needs, store, priority, fastest) for store in candidates}
    winner = min(keys, key=lambda store: (keys[store], backend_rank(store)))
    tied_with = tuple(
        s
        for s in sorted(keys, key=backend_rank)
        if s != winner and _same_key(keys[s], keys[winner])
    )
    return _justified(needs, winner, priority, tied_with, source)


def _candidates(needs: Sequence[Need], stores: Sequence[str]) -> list[str]:
    """Stores with a figure on every need; when none has them all, those with a training
    read; when none has that, every store. Never raw when there is another: it is the
    baseline (one fixed-shape array) the others are measured against."""
    stores = [s for s in stores if s != RAW] or list(stores)
    complete = [s for s in stores if all(need.standing(s) for need in needs)]
    reading = [s for s in stores if _factor(needs, "read", s) is not None]
    return complete or reading or stores


def _factor(needs: Sequence[Need], name: str, store: str) -> float | None:
    """The counted factor of a store on a need; None when the need or the figure is missing."""
    need = next((n for n in needs if n.name == name), None)
    standing = need.standing(store) if need else None
    return standing.counted_factor if standing else None


def _factor_or_worst(needs: Sequence[Need], name: str, store: str) -> float:
    """A missing figure counts as the need's worst (1 when the need has no figures)."""
    found = _factor(needs, name, store)
    if found is not None:
        return found
    need = next((n for n in needs if n.name == name), None)
    return max((s.factor for s in need.ranking), default=1.0) if need else 1.0


def _rule_key(
    needs: Sequence[Need], store: str, priority: str, fastest: float
) -> tuple[float, ...]:
    """What the priority's rule sorts by (smaller first). ``fastest`` is the read factor of
    the fastest store that can be recommended: the disk and write rules keep to stores
    within ``READ_SLACK`` of it."""
    factors = {name: _factor_or_worst(needs, name, store) for name in BALANCED_WEIGHTS}
    tiebreaks = tuple(factors[name] for name in TIEBREAKS[priority])
    if priority == "balanced":
        return (_balanced_score(factors), *tiebreaks)
    if priority in ("disk", "write"):
        too_slow = 0.0 if factors["read"] <= READ_SLACK * fastest else 1.0
        return (too_slow, *tiebreaks)
    return tiebreaks


def _balanced_score(factors: Mapping[str, float]) -> float:
    """The weighted geometric mean of the factors (1 is the best on every need)."""
    total = sum(BALANCED_WEIGHTS.values())
    logs = sum(weight * math.log(factors[name]) for name, weight in BALANCED_WEIGHTS.items())
    return math.exp(logs / total)


def _same_key(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return all(math.isclose(x, y, rel_tol=1e-9) for x, y in zip(a, b, strict=True))


def _justified(
    needs: Sequence[Need],
    store: str,
    priority: str,
    tied_with: tuple[str, ...],
    source: float | None,
) -> Recommendation:
    """The recommendation with its figures against PNG files, raw and the source."""
    read, write, disk = (_need_named(needs, name) for name in ("read", "write", "disk"))
    return Recommendation(
        store=store,
        priority=priority,
        tied_with=tied_with,
        read_vs_png=_ratio(read, store, PNG),
        read_vs_raw=_ratio(read, store, RAW),
        read_workers=_workers(read, store),
        png_read_workers=_workers(read, PNG) if store != PNG else None,
        write_vs_png=_ratio(write, store, PNG),
        disk_vs_png=_ratio(disk, store, PNG),
        disk_vs_source=_over(disk.value(store) if disk else None, source),
    )


def _need_named(needs: Sequence[Need], name: str) -> Need | None:
    return next((need for need in needs if need.name == name), None)


def _ratio(need: Need | None, store: str, other: str) -> float | None:
    """store's figure over other's; None when either is missing or they are the same store."""
    if need is None or store == other:
        return None
    return _over(need.value(store), need.value(other))


def _over(top: float | None, bottom: float | None) -> float | None:
    return top / bottom if top is not None and bottom else None


def _workers(need: Need | None, store: str) -> int | None:
    standing = need.standing(store) if need else None
    return standing.figure.workers if standing else None


# -- the alternative -----------------------------------------------------------------------


def _alternative(
    needs: Sequence[Need], chosen: Recommendation | None, source: float | None
) -> Alternative | None:
    """The best store (raw aside) of the first need in ``ALTERNATIVE_NEEDS`` that the
    recommendation does not already win or tie."""
    if chosen is None:
        return None
    for name in ALTERNATIVE_NEEDS[chosen.priority]:
        need = _need_named(needs, name)
        if need is None or chosen.store in need.best:
            continue
        store = next((s.store for s in need.ranking if s.store != RAW), chosen.store)
        if store == chosen.store or store in chosen.tied_with:
            continue
        read, disk = _need_named(needs, "read"), _need_named(needs, "disk")
        return Alternative(
            store=store,
            matters=name,
            read_vs_recommended=_ratio(read, store, chosen.store),
            disk_vs_recommended=_ratio(disk, store, chosen.store),
            disk_vs_source=_over(disk.value(store) if disk else None, source),
        )
    return None


# -- the source ----------------------------------------------------------------------------


def _source_bytes(doc: Mapping[str, Any]) -> float | None:
    try:
        found = source_bytes_per_image(doc)
    except (TypeError, AttributeError, ValueError):  # a malformed dataset record
        return None
    return _positive(found)


def _source_kind(doc: Mapping[str, Any]) -> str:
    dataset = doc.get("dataset")
    dataset = dataset if isinstance(dataset, Mapping) else {}
    details = dataset.get("details")
    details = details if isinstance(details, Mapping) else {}
    if dataset.get("source") == "folder":
        return "folder"
    return "cifar_archive" if details.get("archive") else "cifar_batches"


# -- caveats -------------------------------------------------------------------------------


def _caveats(
    doc: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    needs: Sequence[Need],
    stores: Sequence[str],
    chosen: Recommendation | None,
    alternative: Alternative | None,
) -> tuple[Caveat, ...]:
    """Each caveat that applies, in the order they are told."""
    found = [
        _no_data(doc, rows, stores),
        _incomplete(doc, rows, needs),
        _in_memory(doc, needs),
        _busy(needs),
        _ties(needs),
        _no_epoch(needs, stores),
        _few_stores(stores),
        _lossy(doc, chosen, alternative),
    ]
    return tuple(caveat for caveat in found if caveat is not None)


def _no_data(
    doc: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], stores: Sequence[str]
) -> Caveat | None:
    """no_data: nothing to judge; ``reason`` is not_a_document, no_measurements or
    no_figures (rows, but none with a usable figure)."""
    if stores:
        return None
    if not doc:
        return Caveat("no_data", {"reason": "not_a_document"})
    return Caveat("no_data", {"reason": "no_figures" if rows else "no_measurements"})


def _incomplete(
    doc: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], needs: Sequence[Need]
) -> Caveat | None:
    """incomplete: the run did not finish, or planned (store, experiment) pairs have no row,
    or stores stopped at a smaller n than others. Data: status, missing ((store, experiment),
    ...), short ((store, experiment, largest n it reached, largest n of any store), ...),
    compared_at (the n of each need's figures), errors (how many)."""
    status = doc.get("status")
    status = status if isinstance(status, str) else "unknown"
    missing, short = _missing_pairs(doc, rows), _short_pairs(rows)
    if status in ("complete", "unknown") and not missing and not short:
        return None
    errors = doc.get("errors")
    return Caveat(
        "incomplete",
        {
            "status": status,
            "missing": missing,
            "short": short,
            "compared_at": tuple(sorted({need.n for need in needs})),
            "errors": len(errors) if isinstance(errors, list) else 0,
        },
    )


def _short_pairs(rows: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, str, int, int], ...]:
    """(store, experiment) pairs whose largest n is below another store's largest n."""
    reached: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["backend"], row["experiment"])
        reached[key] = max(reached.get(key, 0), row["n"])
    largest: dict[str, int] = {}
    for (_, experiment), n in reached.items():
        largest[experiment] = max(largest.get(experiment, 0), n)
    return tuple(
        (store, experiment, n, largest[experiment])
        for (store, experiment), n in sorted(reached.items(), key=lambda i: backend_rank(i[0][0]))
        if n < largest[experiment]
    )


def _missing_pairs(
    doc: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
) -> tuple[tuple[str, str], ...]:
    settings = doc.get("settings")
    settings = settings if isinstance(settings, Mapping) else {}
    stores, experiments = settings.get("backends"), settings.get("experiments")
    if not isinstance(stores, list) or not isinstance(experiments, list):
        return ()
    measured = {(row["backend"], row["experiment"]) for row in rows}
    timed = [e for e in experiments if isinstance(e, str) and e != "disk_usage"]
    return tuple(
        (store, experiment)
        for store in sorted((s for s in stores if isinstance(s, str)), key=backend_rank)
        for experiment in timed
        if (store, experiment) not in measured
    )


def _in_memory(doc: Mapping[str, Any], needs: Sequence[Need]) -> Caveat | None:
    """in_memory: reads that came from memory. A read figure whose row says so (an epoch
    row, which looked at the page cache), or, for rows that did not look, under a warm
    cache, a store smaller than the machine's memory. Data: stores, cache."""
    cache = _cache_mode(doc)
    memory = _machine_memory(doc)
    disk = _need_named(needs, "disk")
    held = set()
    for need in needs:
        if need.name not in ("read", "random"):
            continue
        looked = need.source.startswith("epoch")
        for standing in need.ranking:
            per_image = disk.value(standing.store) if disk else None
            size = per_image * standing.figure.n if per_image is not None else None
            fits = memory is not None and size is not None and size <= memory
            guessed = not looked and cache == "warm" and fits
            if "in_memory" in standing.figure.warnings or guessed:
                held.add(standing.store)
    if not held:
        return None
    return Caveat("in_memory", {"stores": tuple(sorted(held, key=backend_rank)), "cache": cache})


def _cache_mode(doc: Mapping[str, Any]) -> str:
    settings = doc.get("settings")
    cache = settings.get("cache") if isinstance(settings, Mapping) else None
    return cache if isinstance(cache, str) else "unknown"


def _machine_memory(doc: Mapping[str, Any]) -> float | None:
    environment = doc.get("environment")
    memory = environment.get("memory_bytes") if isinstance(environment, Mapping) else None
    return _positive(memory)


def _busy(needs: Sequence[Need]) -> Caveat | None:
    """busy: figures measured while the machine was busy. Data: figures ((need, store), ...)."""
    busy = tuple(
        (need.name, s.store) for need in needs for s in need.ranking if "busy" in s.figure.warnings
    )
    return Caveat("busy", {"figures": busy}) if busy else None


def _ties(needs: Sequence[Need]) -> Caveat | None:
    """ties: needs whose best store is tied within the noise. Data: needs {need: stores}."""
    tied_needs = {need.name: need.best for need in needs if need.tie}
    return Caveat("ties", {"needs": tied_needs}) if tied_needs else None


def _no_epoch(needs: Sequence[Need], stores: Sequence[str]) -> Caveat | None:
    """no_epoch: the training read is not from epoch rows. Data: source (None: no figure)."""
    read = _need_named(needs, "read")
    if (read is not None and read.source == "epoch") or not stores:
        return None
    return Caveat("no_epoch", {"source": read.source if read else None})


def _few_stores(stores: Sequence[str]) -> Caveat | None:
    """few_stores: only one store measured, nothing to compare it with. Data: stores."""
    return Caveat("few_stores", {"stores": tuple(stores)}) if len(stores) == 1 else None


def _lossy(
    doc: Mapping[str, Any], chosen: Recommendation | None, alternative: Alternative | None
) -> Caveat | None:
    """lossy: the recommendation or the alternative changes the pixels. Data: stores, and
    psnr_db {store: decibels} where the document records it."""
    named = [s.store for s in (chosen, alternative) if s is not None]
    described = doc.get("stores")
    described = described if isinstance(described, Mapping) else {}
    lossy, psnr = [], {}
    for store in named:
        about = described.get(store)
        about = about if isinstance(about, Mapping) else {}
        lossless = about.get("lossless")
        if lossless is False or (lossless is None and _LOSSY.search(store)):
            lossy.append(store)
            if _positive(about.get("psnr_db")) is not None:
                psnr[store] = float(about["psnr_db"])
    return Caveat("lossy", {"stores": tuple(lossy), "psnr_db": psnr}) if lossy else None
