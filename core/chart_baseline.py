"""Each store's images per second as a share of raw .npy's, the baseline, against n
(the Store% and Read% charts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .chart_axes import value_axis
from .chart_rows import absent_note, backends_in, medians
from .chart_time import log_n, n_ticks
from .chart_types import BASELINE, Chart, Document, Reference, Series, no_data
from .chart_words import experiment_label, format_count


def throughput_vs_raw_chart(
    doc: Document, experiment: str = "store_many", log: bool | None = None
) -> Chart:
    """Each backend's images per second as a share of raw .npy's (the baseline), against n."""
    key = f"vs-raw-{experiment}"
    title = f"{experiment_label(experiment).capitalize()}: images/s as % of raw .npy's"
    per_store = {b: dict(points) for b, points in medians(doc, experiment).items()}
    if not per_store:
        return no_data(key, title, f"{experiment_label(experiment)} measurements")
    baseline = per_store.pop(BASELINE, {})
    if not baseline:
        note = f"no data: the raw baseline has no {experiment_label(experiment)} measurements"
        return Chart(key=key, title=title, x_label="", y_label="", kind="line", note=note)
    backends = [b for b in backends_in(doc) if b in per_store]
    if not backends:
        note = "no data: only the raw baseline was measured"
        return Chart(key=key, title=title, x_label="", y_label="", kind="line", note=note)
    ns = sorted(baseline)
    shares = {
        b: [(n, _share(baseline[n], per_store[b].get(n))) for n in ns if per_store[b].get(n)]
        for b in backends
    }
    axis = value_axis(
        [100.0, *(share for points in shares.values() for _, share in points)],
        "percent",
        log=log,
    )
    series = tuple(
        Series(b, log_n(points), tuple(axis.plot(share) for _, share in points))
        for b, points in shares.items()
        if points
    )
    x_ticks, x_labels = n_ticks(ns)
    notes = ["raw .npy is the baseline (100%), not a limit; higher is faster"]
    notes += _above_baseline_note(shares, ns)
    gaps = [f"{b} n={format_count(n)}" for b in backends for n in ns if n not in per_store[b]]
    if gaps:
        notes.append(f"missing: {', '.join(gaps)}")
    notes.append(absent_note(doc, [*backends, BASELINE]))
    return Chart(
        key=key,
        title=title,
        x_label="images, n (log scale)",
        y_label="% of raw's images/s" + (" (log scale)" if axis.log else ""),
        kind="line",
        series=series,
        x_ticks=x_ticks,
        x_tick_labels=x_labels,
        y_ticks=axis.ticks,
        y_tick_labels=axis.labels,
        log_y=axis.log,
        note="; ".join(n for n in notes if n),
        references=(Reference(axis.plot(100.0), "raw = 100%"),),
    )


def _above_baseline_note(
    shares: Mapping[str, Sequence[tuple[int, float]]], ns: Sequence[int]
) -> list[str]:
    """Name the stores that beat the baseline, and why that happens at small n."""
    above = {
        backend: [n for n, share in points if share > 100.0] for backend, points in shares.items()
    }
    above = {backend: found for backend, found in above.items() if found}
    if not above:
        return []
    where = ", ".join(
        f"{backend} at n = {', '.join(format_count(n) for n in found)}"
        for backend, found in above.items()
    )
    small = all(max(found) < ns[-1] for found in above.values()) and len(ns) > 1
    why = (
        ": at small n fixed costs (creating and opening files, a .npy header) outweigh "
        "the bytes; the cost per image shows at large n"
        if small
        else ": raw .npy is a plain file read or written whole, not the fastest possible"
    )
    return [f"above 100%: {where}{why}"]


def _share(baseline_s: float, backend_s: float | None) -> float:
    """Throughput relative to the baseline in percent: same images, so a ratio of times."""
    return 100.0 * baseline_s / backend_s if backend_s else 0.0
