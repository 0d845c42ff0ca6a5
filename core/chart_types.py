"""The data a front end draws: a :class:`Chart` of :class:`Series`, its value :class:`Axis`,
and the :class:`Row` a measurement is read into, with the orders and words they share.

Built once in core for every front end (plotext in the CLI, textual-plotext in the app,
matplotlib in the HTML report), so the numbers a person reads are decided in one place.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .results import MEASURED_EXPERIMENTS

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


def no_data(key: str, title: str, missing: str, kind: ChartKind = "line") -> Chart:
    """A chart with nothing to draw and a note that says what the run lacks."""
    note = f"no data: this run has no {missing}"
    return Chart(key=key, title=title, x_label="", y_label="", kind=kind, note=note)
