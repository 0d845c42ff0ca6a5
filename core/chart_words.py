"""Numbers in the words a person reads: "12.3 ms", "1.23 GB", "12.3k", "0.52x", and an
experiment's key as words ("store_many" -> "store many").

Every front end (the app, the CLI, the reports) prints numbers through these, so one
value reads the same everywhere.
"""

from __future__ import annotations

import math

from .chart_types import EXPERIMENT_LABELS, MISSING


def format_seconds(seconds: float | None) -> str:
    """A duration with three significant digits and a unit that suits it: "12.3 ms"."""
    if seconds is None or not _finite(seconds) or seconds < 0:
        return MISSING
    if seconds == 0:
        return "0 s"
    for unit_s, unit in ((1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms"), (1.0, "s")):
        if seconds < unit_s * 999.5:
            return f"{three_digits(seconds / unit_s)} {unit}"
    if seconds < 3600 * 0.9995:
        return f"{three_digits(seconds / 60)} min"
    return f"{three_digits(seconds / 3600)} h"


def format_bytes(size: float | None) -> str:
    """A size in decimal units (1 kB = 1,000 B, as disks are sold): "1.23 GB"."""
    if size is None or not _finite(size) or size < 0:
        return MISSING
    if size < 999.5:
        return f"{size:.0f} B"
    factor, unit = byte_unit(size)
    return f"{three_digits(size / factor)} {unit}"


def format_count(count: float | None) -> str:
    """A count as short as it stays exact enough: 10, 512, 1k, 12.3k, 100k, 1.5M."""
    if count is None or not _finite(count) or count < 0:
        return MISSING
    for factor, suffix in ((1.0, ""), (1e3, "k"), (1e6, "M"), (1e9, "G")):
        scaled = count / factor
        if float(f"{scaled:.3g}") < 1000:
            return f"{scaled:.3g}{suffix}"
    return f"{count / 1e12:.3g}T"


def format_rate(value: float | None) -> str:
    """A throughput figure (images/s or MB/s) with three significant digits."""
    if value is None or not _finite(value) or value < 0:
        return MISSING
    if value >= 999.5:
        return f"{value:,.0f}"
    return three_digits(value)


def format_ratio(ratio: float | None) -> str:
    """A ratio of two medians: "0.52x", "3.10x"."""
    if ratio is None or not _finite(ratio):
        return MISSING
    return f"{three_digits(ratio)}x"


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


def three_digits(value: float) -> str:
    if value >= 99.95:
        return f"{value:.0f}"
    if value >= 9.995:
        return f"{value:.1f}"
    return f"{value:.2f}"


def byte_unit(size: float) -> tuple[float, str]:
    """The decimal unit that puts ``size`` between 1 and 1000."""
    chosen = (1.0, "B")
    for factor, unit in ((1e3, "kB"), (1e6, "MB"), (1e9, "GB"), (1e12, "TB")):
        if size >= factor * 0.9995:
            chosen = (factor, unit)
    return chosen


def time_unit(largest_s: float) -> tuple[float, str]:
    """µs, ms or s: the unit that keeps the largest value of a chart readable."""
    if largest_s < 0.9995e-3:
        return 1e-6, "µs"
    if largest_s < 0.9995:
        return 1e-3, "ms"
    return 1.0, "s"


def time_unit_of(seconds: float) -> tuple[float, str]:
    """The unit a single time reads best in: 5e-4 -> µs ("500 µs"), 2e-3 -> ms."""
    for unit_s, unit in ((1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms")):
        if seconds < unit_s * 999.5:
            return unit_s, unit
    return 1.0, "s"


def plain_number(value: float) -> str:
    """A round number as it is written: 2 -> "2", 0.5 -> "0.5", 2500 -> "2,500"."""
    rounded = round(value)
    if abs(value - rounded) <= 1e-9 * max(1.0, abs(value)):
        return f"{rounded:,}"
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _finite(value: float) -> bool:
    """A number that can be shown: not inf or nan, and not an int past a float's range
    (a hand-edited results file can hold 10**400)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False
