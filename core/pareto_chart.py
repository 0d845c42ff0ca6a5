"""The trade-off in one chart: how fast each store feeds training against what it costs
on disk, one point per store, and the stores no other beats on both (the Pareto front).

Speed is epoch 1's images per second with the store's best loader worker count; a run
without epochs falls back to read many's images per second, and the note says so. Disk
is the allocated bytes per image of the largest store measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .chart_axes import value_axis
from .chart_disk import disk_per_image
from .chart_rows import backend_rank, medians
from .chart_types import Chart, Document, Series, no_data
from .chart_words import format_count
from .epoch_charts import best_epoch_rates

KEY = "pareto"
TITLE = "Speed against disk: the stores worth choosing"
FRONT_LABEL = "Pareto front (no store beats these on both)"


@dataclass(frozen=True)
class Point:
    """One store: its disk per image (bytes) and its throughput (images/s)."""

    name: str
    disk: float
    speed: float


def pareto_front(points: Sequence[Point]) -> list[Point]:
    """The points no other point beats on both counts (less or equal disk and more or
    equal speed, better in one), in order of disk. Equal points are all on the front."""

    def beaten(point: Point) -> bool:
        return any(
            other.disk <= point.disk
            and other.speed >= point.speed
            and (other.disk < point.disk or other.speed > point.speed)
            for other in points
        )

    return sorted((p for p in points if not beaten(p)), key=lambda p: (p.disk, -p.speed))


def pareto_points(doc: Document) -> tuple[list[Point], str]:
    """Each store with both figures, and the words for where the speed comes from."""
    disk = disk_per_image(doc)
    epochs = best_epoch_rates(doc)
    if epochs:
        speeds = {store: rate for store, (_, rate) in epochs.items()}
        workers = sorted({w for w, _ in epochs.values()})
        source = "speed: epoch 1 images/s with each store's best loader worker count" + (
            f" ({'/'.join(str(w) for w in workers)})" if len(workers) > 1 else ""
        )
    else:
        speeds = _read_many_rates(doc)
        source = "speed: read many images/s at the largest n (this run measured no epochs)"
    points = [
        Point(store, disk[store][1], speeds[store])
        for store in sorted(set(disk) & set(speeds), key=backend_rank)
        if disk[store][1] > 0 and speeds[store] > 0
    ]
    ns = {disk[p.name][0] for p in points}
    at = f"n = {format_count(next(iter(ns)))}" if len(ns) == 1 else "each store's largest n"
    return points, f"{source}; disk: allocated bytes per image at {at}"


def _lossy(doc: Document, store: str) -> bool:
    """Whether the run recorded ``store`` as lossy (its disk buys back less than the image)."""
    stores = doc.get("stores")
    record = stores.get(store) if isinstance(stores, Mapping) else None
    return isinstance(record, Mapping) and record.get("lossless") is False


def _read_many_rates(doc: Document) -> dict[str, float]:
    """Images per second of read many at each store's largest n."""
    return {
        store: points[-1][0] / points[-1][1]
        for store, points in medians(doc, "read_many").items()
        if points
    }


def pareto_chart(doc: Document, log: bool | None = None) -> Chart:
    """Throughput against disk per image, a named point per store, the front joined by
    a line. Each axis turns log when its values span more than 10x (``log`` None)."""
    points, source = pareto_points(doc)
    if not points:
        return no_data(KEY, TITLE, "store with both a speed (epoch or read many) and a disk size")
    x_axis = value_axis([p.disk for p in points], "bytes", log=log)
    y_axis = value_axis([p.speed for p in points], "rate", log=log)
    series = [
        Series(
            p.name,
            (x_axis.plot(p.disk),),
            (y_axis.plot(p.speed),),
            point_labels=(p.name,),
            style="points",
            in_legend=False,
        )
        for p in points
    ]
    front = pareto_front(points)
    series.append(
        Series(
            FRONT_LABEL,
            tuple(x_axis.plot(p.disk) for p in front),
            tuple(y_axis.plot(p.speed) for p in front),
            color_key="front",
            style="line",
        )
    )
    on_front = ", ".join(p.name for p in front)
    lossy = [p.name for p in points if _lossy(doc, p.name)]
    if lossy:
        source += f"; lossy (reads back other pixels): {', '.join(lossy)}"
    return Chart(
        key=KEY,
        title=TITLE,
        x_label="disk per image" + (" (log scale)" if x_axis.log else f" ({x_axis.unit})"),
        y_label="images/s" + (" (log scale)" if y_axis.log else ""),
        kind="line",
        series=tuple(series),
        x_ticks=x_axis.ticks,
        x_tick_labels=x_axis.labels,
        y_ticks=y_axis.ticks,
        y_tick_labels=y_axis.labels,
        log_y=y_axis.log,
        log_x=x_axis.log,
        note=f"up and to the left is better; on the front: {on_front}; {source}",
    )
