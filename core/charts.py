"""Chart and table data built once from a results document, for every front end.

The headless CLI draws these with plotext and the Textual app with textual-plotext;
both only translate a :class:`Chart` into calls, so the numbers, units and words a
person reads are decided here, once. Nothing in this module imports a UI library.

Axes carry round ticks (1-2-5 steps, :mod:`imgbench.core.ticks`) labelled in real units
("0.5 s", "20k", "3 kB"). A chart opens on log axes when its values span more than 10x
(``log=None``); ``log=True`` or ``False`` asks for one scale. Log scales are done here,
not by the plotting library: plotext 5 takes the log again on every redraw, so a log
chart carries ``log10`` values on linear axes and tick labels in real units ("1 ms",
"10 ms", ...). The x axis of every chart against n is ``log10(n)`` because cutoffs grow
tenfold; on a linear x four of five would touch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .results import MEASURED_EXPERIMENTS, experiment_key
from .ticks import log_ticks, nice_ticks, wants_log

ChartKind = Literal["line", "bar"]
#: "lines": a line through the points, a marker at each; "points": markers only;
#: "line": the line alone.
SeriesStyle = Literal["lines", "points", "line"]
#: What an axis measures, which decides its tick labels' units.
AxisKind = Literal["seconds", "rate", "bytes", "percent", "count"]
Document = Mapping[str, Any]

#: The order backends and experiments are shown in; unknown names follow, sorted.
BACKEND_ORDER = ("png", "lmdb", "hdf5", "raw")
EXPERIMENT_ORDER = MEASURED_EXPERIMENTS
EXPERIMENT_LABELS = {
    "open": "open",
    "store_single": "store single",
    "read_single": "read single",
    "store_many": "store many",
    "read_many": "read many",
    "read_random": "read random",
}
BASELINE = "raw"
#: Rows with their own figures and summary (the epoch loader and single-read latency):
#: several per (store, n), so the time summary of the other experiments leaves them out.
LOADER_EXPERIMENTS = ("epoch", "epoch_batched", "read_latency")
#: Ticks on a value axis at most: a tick every other row of an 80x24 terminal's chart.
MAX_TICKS = 6
MISSING = "—"

#: Columns of :func:`table_rows`; those in ``TABLE_NUMERIC_COLUMNS`` read best right-aligned.
TABLE_COLUMNS = (
    "backend",
    "experiment",
    "n",
    "k",
    "median",
    "min",
    "stdev",
    "images/s",
    "MB/s",
    "disk",
    "verified",
)
TABLE_NUMERIC_COLUMNS = frozenset(TABLE_COLUMNS[2:10])


@dataclass(frozen=True)
class Series:
    """One line, or one set of bars (one bar per category, in category order)."""

    label: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    #: Text to print beside each point or above each bar (its value in units, or a
    #: name); empty strings and an empty tuple print nothing.
    point_labels: tuple[str, ...] = ()
    #: The store whose colour the series takes ("" for its own label's).
    color_key: str = ""
    style: SeriesStyle = "lines"
    #: 0 for a run on its own or the first of two compared, 1 for the second: another
    #: marker and a dotted line, in the same colour.
    variant: int = 0
    #: False for series whose points carry their names (no legend entry needed).
    in_legend: bool = True


@dataclass(frozen=True)
class Reference:
    """A horizontal line across the chart at ``y`` (in the chart's plotted units)."""

    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    """Everything needed to draw one chart, already in the units a person reads.

    For ``bar`` the categories are ``x_tick_labels``, ``xs`` are
    their positions 0, 1, 2, ... and each series has one y per category. With
    ``log_y`` the ys are log10 values (for bars shifted so the lowest tick is 0, bars
    need a base) and only the tick labels are in real units; ``log_x`` likewise for x.
    Value axes always carry their ticks: round steps that cover every value, so the
    lowest and highest tick are the axis' limits.
    """

    key: str
    title: str
    x_label: str
    y_label: str
    kind: ChartKind
    series: tuple[Series, ...] = ()
    x_ticks: tuple[float, ...] = ()
    x_tick_labels: tuple[str, ...] = ()
    y_ticks: tuple[float, ...] = ()
    y_tick_labels: tuple[str, ...] = ()
    log_y: bool = False
    note: str = ""
    log_x: bool = False
    references: tuple[Reference, ...] = ()

    @property
    def empty(self) -> bool:
        """True when there is nothing to draw (the note says why)."""
        return not any(series.ys for series in self.series)

    @property
    def categories(self) -> tuple[str, ...]:
        """The bar categories (empty for line charts)."""
        return self.x_tick_labels if self.kind != "line" else ()

    @property
    def log(self) -> bool:
        """Whether either axis is on a log scale."""
        return self.log_y or self.log_x


@dataclass(frozen=True)
class Axis:
    """A value axis: where its ticks go, what they say, and how a value is plotted.

    Linear: a value is plotted as ``value / factor`` (in ``unit``). Log: as
    ``log10(value) - shift`` (bars rise from the lowest tick, so it is their 0).
    """

    ticks: tuple[float, ...]
    labels: tuple[str, ...]
    log: bool
    factor: float = 1.0
    unit: str = ""
    shift: float = 0.0

    def plot(self, value: float) -> float:
        """Where ``value`` (in real units: seconds, bytes, images/s) goes on the axis."""
        if self.log:
            return math.log10(value) - self.shift if value > 0 else 0.0
        return value / self.factor


@dataclass(frozen=True)
class Row:
    """One measurement of a results document, read defensively (partial runs exist)."""

    backend: str
    experiment: str
    n: int
    k: int | None
    median_s: float | None
    min_s: float | None
    stdev_s: float | None
    images_per_s: float | None
    mb_per_s: float | None
    bytes_apparent: int | None
    bytes_allocated: int | None
    verified: bool | None
    #: The experiment with its epoch and loader workers, for an epoch row ("epoch:1:2").
    key: str = ""


# -- formatting for people ----------------------------------------------------------------


def format_seconds(seconds: float | None) -> str:
    """A duration with three significant digits and a unit that suits it: "12.3 ms"."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return MISSING
    if seconds == 0:
        return "0 s"
    for unit_s, unit in ((1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms"), (1.0, "s")):
        if seconds < unit_s * 999.5:
            return f"{_three_digits(seconds / unit_s)} {unit}"
    if seconds < 3600 * 0.9995:
        return f"{_three_digits(seconds / 60)} min"
    return f"{_three_digits(seconds / 3600)} h"


def format_bytes(size: float | None) -> str:
    """A size in decimal units (1 kB = 1,000 B, as disks are sold): "1.23 GB"."""
    if size is None or not math.isfinite(size) or size < 0:
        return MISSING
    if size < 999.5:
        return f"{size:.0f} B"
    factor, unit = _byte_unit(size)
    return f"{_three_digits(size / factor)} {unit}"


def format_count(count: float | None) -> str:
    """A count as short as it stays exact enough: 10, 512, 1k, 12.3k, 100k, 1.5M."""
    if count is None or not math.isfinite(count) or count < 0:
        return MISSING
    for factor, suffix in ((1.0, ""), (1e3, "k"), (1e6, "M"), (1e9, "G")):
        scaled = count / factor
        if float(f"{scaled:.3g}") < 1000:
            return f"{scaled:.3g}{suffix}"
    return f"{count / 1e12:.3g}T"


def format_rate(value: float | None) -> str:
    """A throughput figure (images/s or MB/s) with three significant digits."""
    if value is None or not math.isfinite(value) or value < 0:
        return MISSING
    if value >= 999.5:
        return f"{value:,.0f}"
    return _three_digits(value)


def format_ratio(ratio: float | None) -> str:
    """A ratio of two medians: "0.52x", "3.10x"."""
    if ratio is None or not math.isfinite(ratio):
        return MISSING
    return f"{_three_digits(ratio)}x"


def experiment_label(experiment: str) -> str:
    """The words for an experiment's key ("store_many" -> "store many"; an epoch row's
    key "epoch:1:2" -> "epoch 1, 2 workers")."""
    name, _, detail = experiment.partition(":")
    words = EXPERIMENT_LABELS.get(name, name.replace("_", " "))
    epoch, _, workers = detail.partition(":")
    if epoch.isdigit() and workers.isdigit():
        words += f" {epoch}, {workers} worker{'' if workers == '1' else 's'}"
    return words


def seconds_decade_label(exponent: int) -> str:
    """The label of the tick at 10**exponent seconds: -3 -> "1 ms", 1 -> "10 s"."""
    if exponent >= 0:
        return f"{10**exponent:,} s"
    for unit_exponent, unit in ((-3, "ms"), (-6, "µs"), (-9, "ns")):
        if exponent >= unit_exponent:
            return f"{10 ** (exponent - unit_exponent)} {unit}"
    return f"1e{exponent} s"


def _three_digits(value: float) -> str:
    if value >= 99.95:
        return f"{value:.0f}"
    if value >= 9.995:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _byte_unit(size: float) -> tuple[float, str]:
    """The decimal unit that puts ``size`` between 1 and 1000."""
    chosen = (1.0, "B")
    for factor, unit in ((1e3, "kB"), (1e6, "MB"), (1e9, "GB"), (1e12, "TB")):
        if size >= factor * 0.9995:
            chosen = (factor, unit)
    return chosen


def _time_unit(largest_s: float) -> tuple[float, str]:
    """µs, ms or s: the unit that keeps the largest value of a chart readable."""
    if largest_s < 0.9995e-3:
        return 1e-6, "µs"
    if largest_s < 0.9995:
        return 1e-3, "ms"
    return 1.0, "s"


# -- axes -----------------------------------------------------------------------------------


def value_axis(
    values: Iterable[float],
    kind: AxisKind,
    *,
    log: bool | None = None,
    bars: bool = False,
    max_ticks: int = MAX_TICKS,
) -> Axis:
    """Round ticks that cover ``values`` (real units), labelled in units.

    ``log`` None chooses: log when the values span more than 10x. A linear axis starts
    at 0 (times, sizes and rates are never negative, and a bar's length is its value);
    a log axis of bars rises from its lowest tick.
    """
    positive = [value for value in values if value > 0 and math.isfinite(value)]
    if not positive:
        positive = [1.0]
    if log is None:
        log = wants_log(positive)
    if log:
        ticks = log_ticks(min(positive), max(positive), max_ticks)
        shift = math.log10(ticks[0]) if bars else 0.0
        return Axis(
            ticks=tuple(math.log10(tick) - shift for tick in ticks),
            labels=tuple(tick_label(tick, kind) for tick in ticks),
            log=True,
            shift=shift,
        )
    ticks = nice_ticks(0.0, max(positive), max_ticks)
    factor, unit = _axis_unit(kind, ticks[-1])
    return Axis(
        ticks=tuple(tick / factor for tick in ticks),
        labels=tuple(tick_label(tick, kind, factor=factor, unit=unit) for tick in ticks),
        log=False,
        factor=factor,
        unit=unit,
    )


def _axis_unit(kind: AxisKind, largest: float) -> tuple[float, str]:
    if kind == "seconds":
        return _time_unit(largest)
    if kind == "bytes":
        return _byte_unit(largest)
    return 1.0, ""


def tick_label(value: float, kind: AxisKind, *, factor: float = 0.0, unit: str = "") -> str:
    """A round tick value in real units: "0.5 s", "200 µs", "20k", "2.5 kB", "100%".

    ``factor`` and ``unit`` put every tick of a linear axis in one unit; without them
    (log axes) each tick takes the unit that suits it.
    """
    if value == 0:
        return "0"
    if kind in ("rate", "count"):
        return format_count(value)
    if kind == "percent":
        return f"{_plain(value)}%"
    if not factor:
        factor, unit = _time_unit_of(value) if kind == "seconds" else _byte_unit(value)
    return f"{_plain(value / factor)} {unit}"


def _time_unit_of(seconds: float) -> tuple[float, str]:
    """The unit a single time reads best in: 5e-4 -> µs ("500 µs"), 2e-3 -> ms."""
    for unit_s, unit in ((1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms")):
        if seconds < unit_s * 999.5:
            return unit_s, unit
    return 1.0, "s"


def _plain(value: float) -> str:
    """A round number as it is written: 2 -> "2", 0.5 -> "0.5", 2500 -> "2,500"."""
    rounded = round(value)
    if abs(value - rounded) <= 1e-9 * max(1.0, abs(value)):
        return f"{rounded:,}"
    return f"{value:.6f}".rstrip("0").rstrip(".")


# -- reading the document -----------------------------------------------------------------


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
    backend, experiment, n = entry.get("backend"), entry.get("experiment"), _int(entry.get("n"))
    if not isinstance(backend, str) or not isinstance(experiment, str) or n is None or n < 1:
        return None
    verified = entry.get("verified")
    return Row(
        backend=backend,
        experiment=experiment,
        n=n,
        k=_int(entry.get("k")),
        median_s=_number(entry.get("median_s")),
        min_s=_number(entry.get("min_s")),
        stdev_s=_number(entry.get("stdev_s")),
        images_per_s=_number(entry.get("images_per_s")),
        mb_per_s=_number(entry.get("mb_per_s")),
        bytes_apparent=_int(entry.get("bytes_apparent")),
        bytes_allocated=_int(entry.get("bytes_allocated")),
        verified=verified if isinstance(verified, bool) else None,
        key=experiment_key(entry),
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _int(value: Any) -> int | None:
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
    planned = _settings(doc).get("backends")
    names = [name for name in planned if isinstance(name, str)] if isinstance(planned, list) else []
    names += [row.backend for row in measurement_rows(doc)]
    return sorted(dict.fromkeys(names), key=backend_rank)


def _settings(doc: Document) -> Mapping[str, Any]:
    settings = doc.get("settings")
    return settings if isinstance(settings, Mapping) else {}


def _by_key(doc: Document, experiment: str) -> dict[tuple[str, int], Row]:
    """The rows of one experiment by (backend, n); of duplicates the first wins, as in results."""
    found: dict[tuple[str, int], Row] = {}
    for row in measurement_rows(doc):  # a stable sort: document order among equals
        if row.experiment == experiment:
            found.setdefault((row.backend, row.n), row)
    return found


def _medians(doc: Document, experiment: str) -> dict[str, list[tuple[int, float]]]:
    """(n, median seconds) per backend, n ascending, positive medians only."""
    found: dict[str, list[tuple[int, float]]] = {}
    for (backend, n), row in _by_key(doc, experiment).items():
        if row.median_s is not None and row.median_s > 0:
            found.setdefault(backend, []).append((n, row.median_s))
    return {backend: sorted(points) for backend, points in found.items()}


def _absent_note(doc: Document, present: Iterable[str], *, what: str = "no data for") -> str:
    missing = [name for name in backends_in(doc) if name not in set(present)]
    return f"{what} {', '.join(missing)}" if missing else ""


def _no_data(key: str, title: str, missing: str, kind: ChartKind = "line") -> Chart:
    """A chart with nothing to draw and a note that says what the run lacks."""
    note = f"no data: this run has no {missing}"
    return Chart(key=key, title=title, x_label="", y_label="", kind=kind, note=note)


def _dataset_shape(doc: Document) -> tuple[int, ...] | None:
    dataset = doc.get("dataset")
    shape = dataset.get("shape") if isinstance(dataset, Mapping) else None
    if not isinstance(shape, list) or not shape or not all(_int(side) for side in shape):
        return None
    return tuple(int(side) for side in shape)


# -- time against n -----------------------------------------------------------------------


def store_time_chart(
    doc: Document, experiment: str = "store_many", log: bool | None = None
) -> Chart:
    """How long storing n images takes, per backend (the classic study's first plot)."""
    title = f"Time to {experiment_label(experiment)} n images"
    return _time_vs_n(doc, experiment, title, key=f"time-{experiment}", log=log)


def read_time_chart(doc: Document, experiment: str = "read_many", log: bool | None = None) -> Chart:
    """How long reading n images back takes, per backend."""
    title = f"Time to {experiment_label(experiment)} n images"
    return _time_vs_n(doc, experiment, title, key=f"time-{experiment}", log=log)


def random_read_chart(doc: Document, log: bool | None = None) -> Chart:
    """Reading k random ids out of a store of n: what a shuffled epoch asks for."""
    k = _random_read_k(doc)
    title = "Time to read k random images of n" + (f" (k = {k})" if k else "")
    return _time_vs_n(doc, "read_random", title, key="time-read_random", log=log)


def _random_read_k(doc: Document) -> str:
    k = _int(_settings(doc).get("k"))
    if k is None:
        ks = [row.k for row in measurement_rows(doc) if row.experiment == "read_random" and row.k]
        k = max(ks) if ks else None
    return f"{k:,}, or n if smaller" if k is not None else ""


def _time_vs_n(doc: Document, experiment: str, title: str, *, key: str, log: bool | None) -> Chart:
    medians = _medians(doc, experiment)
    if not medians:
        return _no_data(key, title, f"{experiment_label(experiment)} measurements")
    x_ticks, x_labels = _n_ticks(sorted({n for points in medians.values() for n, _ in points}))
    seconds = [s for points in medians.values() for _, s in points]
    axis = value_axis(seconds, "seconds", log=log)
    notes = [_absent_note(doc, medians)]
    if not axis.log and wants_log(seconds):
        notes.append("a log scale shows the smaller times")
    return Chart(
        key=key,
        title=title,
        x_label="images, n (log scale)",
        y_label="median time (log scale)" if axis.log else f"median time ({axis.unit})",
        kind="line",
        series=_time_series(medians, axis.plot),
        x_ticks=x_ticks,
        x_tick_labels=x_labels,
        y_ticks=axis.ticks,
        y_tick_labels=axis.labels,
        log_y=axis.log,
        note="; ".join(note for note in notes if note),
    )


def _time_series(
    medians: Mapping[str, Sequence[tuple[int, float]]], scale: Callable[[float], float]
) -> tuple[Series, ...]:
    """One line per backend, in backend order: x = log10(n), y = scale(median seconds)."""
    series = (
        Series(backend, _log_n(points), tuple(scale(seconds) for _, seconds in points))
        for backend, points in medians.items()
    )
    return _in_backend_order(series)


def _log_n(points: Sequence[tuple[int, float]]) -> tuple[float, ...]:
    return tuple(math.log10(n) for n, _ in points)


def _n_ticks(ns: Sequence[int]) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """A tick at every cutoff measured, at log10(n), labelled "10", "1k", "100k"."""
    return tuple(math.log10(n) for n in ns), tuple(format_count(n) for n in ns)


def _in_backend_order(series: Iterable[Series]) -> tuple[Series, ...]:
    return tuple(sorted(series, key=lambda s: backend_rank(s.label)))


# -- bars -----------------------------------------------------------------------------------


def bar_chart(
    *,
    key: str,
    title: str,
    x_label: str,
    y_label: str,
    categories: Sequence[str],
    values: Mapping[str, Sequence[float | None]],
    kind: AxisKind,
    log: bool | None,
    note: str,
    references: Sequence[tuple[float, str]] = (),
) -> Chart:
    """Bars of ``values`` (real units, one sequence per series, one value per category;
    None where there is none), each labelled with its value so a bar too short to see
    still says what it is. ``references`` are (value, label) lines across the chart."""
    present = [v for vs in values.values() for v in vs if v is not None and v > 0]
    axis = value_axis([*present, *(value for value, _ in references)], kind, log=log, bars=True)
    positions = tuple(float(i) for i in range(len(categories)))
    series = tuple(
        Series(
            name,
            positions,
            tuple(axis.plot(v) if v else 0.0 for v in vs),
            point_labels=tuple(_value_words(v, kind, axis) for v in vs),
        )
        for name, vs in values.items()
    )
    unit = f" ({axis.unit})" if axis.unit and not axis.log else ""
    return Chart(
        key=key,
        title=title,
        x_label=x_label,
        y_label=f"{y_label} (log scale)" if axis.log else f"{y_label}{unit}",
        kind="bar",
        series=series,
        x_ticks=positions,
        x_tick_labels=tuple(categories),
        y_ticks=axis.ticks,
        y_tick_labels=axis.labels,
        log_y=axis.log,
        note=note,
        references=tuple(Reference(axis.plot(value), label) for value, label in references),
    )


def _value_words(value: float | None, kind: AxisKind, axis: Axis | None = None) -> str:
    """A bar's value as its label says it: "347 µs", "65.3k", "2.28 kB", "120%"; on a
    linear axis with a unit (its label says "(kB)") the number alone, "2.28", which
    fits above a narrow bar."""
    if value is None:
        return MISSING
    if axis is not None and not axis.log and axis.unit and value / axis.factor >= 0.01:
        return _three_digits(value / axis.factor)  # (a smaller one says its own unit)
    if kind == "seconds":
        return format_seconds(value)
    if kind == "bytes":
        return format_bytes(value)
    if kind == "percent":
        return f"{_three_digits(value)}%"
    return format_count(value)


# -- one image at a time ------------------------------------------------------------------


def single_image_chart(doc: Document, log: bool | None = None) -> Chart:
    """Time per image when storing or reading one at a time, bars per backend.

    Bars at the largest n each backend reached, because the per-image cost is what a
    data loader's ``__getitem__`` or a streaming writer pays, and it is flattest there.
    """
    key, title = "single-image", "Time per image, one image at a time"
    per_image = {e: _per_image_at_largest_n(doc, e) for e in ("store_single", "read_single")}
    backends = [b for b in backends_in(doc) if any(b in found for found in per_image.values())]
    if not backends:
        return _no_data(key, title, "one-by-one store or read measurements", kind="bar")
    names = {"store_single": "store one", "read_single": "read one"}
    values = {
        names[experiment]: [found[b][1] if b in found else None for b in backends]
        for experiment, found in per_image.items()
        if found
    }
    notes = [_absent_note(doc, backends)]
    notes += [f"no {experiment_label(e)} data" for e, found in per_image.items() if not found]
    return bar_chart(
        key=key,
        title=title,
        x_label="backend",
        y_label="median time per image",
        categories=[_category_with_n(b, per_image, backends) for b in backends],
        values=values,
        kind="seconds",
        log=log,
        note="; ".join(n for n in notes if n),
    )


def _per_image_at_largest_n(doc: Document, experiment: str) -> dict[str, tuple[int, float]]:
    """(largest n, median seconds / n) per backend."""
    return {
        backend: (points[-1][0], points[-1][1] / points[-1][0])
        for backend, points in _medians(doc, experiment).items()
    }


def _category_with_n(
    backend: str, per_image: Mapping[str, Mapping[str, tuple[int, float]]], backends: list[str]
) -> str:
    """The backend's name, plus its n when backends reached different cutoffs."""
    reached = {found[b][0] for found in per_image.values() for b in backends if b in found}
    if len(reached) <= 1:
        return backend
    own = max(found[backend][0] for found in per_image.values() if backend in found)
    return f"{backend} @{format_count(own)}"


# -- disk ---------------------------------------------------------------------------------


def _store_sizes(doc: Document, *, allocated: bool) -> dict[str, dict[int, int]]:
    """Bytes of the store holding n images, per backend and n: store_many, else store_single."""
    sizes: dict[str, dict[int, int]] = {}
    for experiment in ("store_single", "store_many"):  # store_many last, so it wins
        for (backend, n), row in _by_key(doc, experiment).items():
            size = row.bytes_allocated if allocated else row.bytes_apparent
            if size is None:
                size = row.bytes_apparent if allocated else row.bytes_allocated
            if size is not None:
                sizes.setdefault(backend, {})[n] = size
    return sizes


def disk_per_image(doc: Document) -> dict[str, tuple[int, float]]:
    """(largest n, allocated bytes / n) per backend: what a store costs per image on disk."""
    sizes = _store_sizes(doc, allocated=True)
    return {
        backend: (max(per_n), per_n[max(per_n)] / max(per_n)) for backend, per_n in sizes.items()
    }


def disk_usage_chart(doc: Document, log: bool | None = None) -> Chart:
    """Bytes per image in the largest store, apparent (the files' length, ``ls -l``) and
    allocated (the disk blocks they take, ``du``) side by side: the two can disagree on
    which store is smallest (one small file per image fills a whole block each)."""
    key, title = "disk-usage", "Disk per image: apparent and allocated bytes"
    apparent = _store_sizes(doc, allocated=False)
    allocated = _store_sizes(doc, allocated=True)
    if not apparent:
        return _no_data(key, title, "store sizes (disk usage not measured)", kind="bar")
    backends = [b for b in backends_in(doc) if b in apparent]
    largest = {b: max(apparent[b]) for b in backends}
    same_n = len(set(largest.values())) == 1
    labels = [b if same_n else f"{b} @{format_count(largest[b])}" for b in backends]
    values = {
        "apparent (ls -l)": [apparent[b][largest[b]] / largest[b] for b in backends],
        "allocated (du)": [allocated[b][largest[b]] / largest[b] for b in backends],
    }
    references: list[tuple[float, str]] = []
    notes = [f"at n = {next(iter(largest.values())):,}" if same_n else "at each store's largest n"]
    shape = _dataset_shape(doc)
    if shape is not None:
        pixels = float(math.prod(shape))
        references.append((pixels, f"pixels {format_bytes(pixels)}"))
        sides = "x".join(str(side) for side in shape)
        notes.append(f"pixels: {sides} = {math.prod(shape):,} B, the image uncompressed")
    source = source_bytes_per_image(doc)
    if source is not None:
        references.append((source, f"source {format_bytes(source)}"))
        notes.append(f"source: {source_words(doc)}, {format_bytes(source)} per image")
    notes += _block_notes(backends, values)
    notes.append(_absent_note(doc, backends))
    return bar_chart(
        key=key,
        title=title,
        x_label="backend",
        y_label="bytes per image",
        categories=labels,
        values=values,
        kind="bytes",
        log=log,
        note="; ".join(n for n in notes if n),
        references=references,
    )


def _block_notes(backends: Sequence[str], values: Mapping[str, Sequence[float]]) -> list[str]:
    """Say where allocated and apparent sizes part: whole disk blocks per small file."""
    apparent, allocated = values.values()
    grown = [
        f"{backend} {allocated[i] / apparent[i]:.1f}x"
        for i, backend in enumerate(backends)
        if apparent[i] and allocated[i] > 1.2 * apparent[i]
    ]
    if not grown:
        return []
    return [f"allocated above apparent ({', '.join(grown)}): each file takes whole disk blocks"]


def source_bytes_per_image(doc: Document) -> float | None:
    """The data's own files (the user's images, the CIFAR batches or archive) per image
    as loaded, before tiling: what a store's size is worth comparing with."""
    dataset = doc.get("dataset")
    if not isinstance(dataset, Mapping):
        return None
    details = dataset.get("details")
    if not isinstance(details, Mapping):
        return None
    total = _int(details.get("source_bytes"))
    count = _int(details.get("tiled_from")) or _int(dataset.get("count"))
    if total is None or total < 0 or count is None or count < 1:
        return None
    return total / count


def source_words(doc: Document) -> str:
    """What the source's bytes are, in a few words."""
    dataset = doc.get("dataset") or {}
    details = dataset.get("details") or {}
    if dataset.get("source") == "folder":
        return "your image files"
    return "the CIFAR archive" if details.get("archive") else "the CIFAR batch files"


# -- against the raw baseline -------------------------------------------------------------


def throughput_vs_raw_chart(
    doc: Document, experiment: str = "store_many", log: bool | None = None
) -> Chart:
    """Each backend's images per second as a share of raw .npy's (the baseline), against n."""
    key = f"vs-raw-{experiment}"
    title = f"{experiment_label(experiment).capitalize()}: images/s as % of raw .npy's"
    medians = {b: dict(points) for b, points in _medians(doc, experiment).items()}
    if not medians:
        return _no_data(key, title, f"{experiment_label(experiment)} measurements")
    baseline = medians.pop(BASELINE, {})
    if not baseline:
        note = f"no data: the raw baseline has no {experiment_label(experiment)} measurements"
        return Chart(key=key, title=title, x_label="", y_label="", kind="line", note=note)
    backends = [b for b in backends_in(doc) if b in medians]
    if not backends:
        note = "no data: only the raw baseline was measured"
        return Chart(key=key, title=title, x_label="", y_label="", kind="line", note=note)
    ns = sorted(baseline)
    shares = {
        b: [(n, _share(baseline[n], medians[b].get(n))) for n in ns if medians[b].get(n)]
        for b in backends
    }
    axis = value_axis(
        [100.0, *(share for points in shares.values() for _, share in points)],
        "percent",
        log=log,
    )
    series = tuple(
        Series(b, _log_n(points), tuple(axis.plot(share) for _, share in points))
        for b, points in shares.items()
        if points
    )
    x_ticks, x_labels = _n_ticks(ns)
    notes = ["raw .npy is the baseline (100%), not a limit; higher is faster"]
    notes += _above_baseline_note(shares, ns)
    gaps = [f"{b} n={format_count(n)}" for b in backends for n in ns if n not in medians[b]]
    if gaps:
        notes.append(f"missing: {', '.join(gaps)}")
    notes.append(_absent_note(doc, [*backends, BASELINE]))
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


# -- everything ---------------------------------------------------------------------------


def all_charts(doc: Document, log: bool | None = None) -> list[Chart]:
    """Every chart of a results document, in reading order. ``log`` None opens each chart
    on log axes when its values span more than 10x; True or False asks for one scale."""
    return [
        store_time_chart(doc, log=log),
        read_time_chart(doc, log=log),
        single_image_chart(doc, log=log),
        random_read_chart(doc, log=log),
        disk_usage_chart(doc, log=log),
        throughput_vs_raw_chart(doc, "store_many", log=log),
        throughput_vs_raw_chart(doc, "read_many", log=log),
        *_loader_charts(doc, log),
    ]


def _loader_charts(doc: Document, log: bool | None) -> list[Chart]:
    """The training read's charts and the trade-off chart (their modules draw on this
    one's helpers)."""
    from .epoch_charts import loader_charts
    from .pareto_chart import pareto_chart

    return [*loader_charts(doc, log=log), pareto_chart(doc, log=log)]


def table_rows(doc: Document) -> list[tuple[str, ...]]:
    """Every measurement as display-ready cells, in the order of ``TABLE_COLUMNS``."""
    return [_cells(row) for row in measurement_rows(doc)]


def _cells(row: Row) -> tuple[str, ...]:
    disk = row.bytes_allocated if row.bytes_allocated is not None else row.bytes_apparent
    return (
        row.backend,
        experiment_label(row.key or row.experiment),
        f"{row.n:,}",
        f"{row.k:,}" if row.k is not None else MISSING,
        format_seconds(row.median_s),
        format_seconds(row.min_s),
        format_seconds(row.stdev_s),
        format_rate(row.images_per_s),
        format_rate(row.mb_per_s),
        format_bytes(disk) if disk is not None else "",
        {True: "yes", False: "NO", None: ""}[row.verified],
    )


def largest_n_medians(
    doc: Document,
) -> tuple[list[str], dict[str, int], dict[tuple[str, str], Row]]:
    """For a summary: experiments present, the largest n of each, and its rows by backend.

    Returns (experiments in display order, largest n per experiment, row per
    (backend, experiment) at that n). A backend that did not reach it has no row.
    """
    rows = [r for r in measurement_rows(doc) if r.experiment not in LOADER_EXPERIMENTS]
    experiments = sorted({r.experiment for r in rows}, key=experiment_rank)
    largest = {e: max(r.n for r in rows if r.experiment == e) for e in experiments}
    at_largest = {(r.backend, r.experiment): r for r in rows if r.n == largest[r.experiment]}
    return experiments, largest, at_largest
