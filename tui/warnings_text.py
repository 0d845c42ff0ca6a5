"""A measurement's warnings in words: what is wrong, why it happens, and what to do.

Core records warnings as codes and numbers (:func:`imgbench.core.stats.measurement_warnings`);
this module is the one place they become sentences. A file may come from another writer,
so a missing number or an unknown code is said plainly, never an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from imgbench.core.stats import FEW_SAMPLES, NOISY_HALF_INTERVAL, NOISY_IQR

__all__ = ["WarningWords", "format_share", "warning_text", "warning_words"]

UNKNOWN = "?"
NOISY_ADVICE = (
    "other work on the machine or too few samples; run again with more repeats on an idle machine"
)
BUSY_ADVICE = (
    "other programs (or too many loader workers) competed for the CPUs; close them and run again"
)


IN_MEMORY_ADVICE = (
    "the epoch read the page cache, not the disk; for the disk, use --cache cold "
    "(epoch 1 then starts evicted) or a store larger than the free memory"
)


class WarningWords(NamedTuple):
    """A warning in three parts, so a list of many can say the shared advice once."""

    title: str  # "noisy"
    seen: str  # what this measurement showed, with its numbers
    advice: str  # why it happens and what to do; the same for every warning of a kind


def warning_text(warning: Mapping[str, Any]) -> str:
    """One line: "title: what was seen — why; what to do"."""
    words = warning_words(warning)
    line = f"{words.title}: {words.seen}" if words.seen else words.title
    return f"{line} — {words.advice}" if words.advice else line


def warning_words(warning: Mapping[str, Any]) -> WarningWords:
    code = str(warning.get("code", "warning"))
    if code == "noisy":
        return WarningWords("noisy", _noisy_seen(warning), NOISY_ADVICE)
    if code == "busy":
        return WarningWords("busy", _busy_seen(warning), BUSY_ADVICE)
    if code == "few_samples":
        samples, at_least = warning.get("samples", UNKNOWN), warning.get("at_least", FEW_SAMPLES)
        seen = f"only {samples} timed sample{'' if samples == 1 else 's'}"
        advice = (
            "too few for the median and its interval to mean much; "
            f"run again with at least {at_least} repeats"
        )
        return WarningWords("few samples", seen, advice)
    if code == "in_memory":
        return WarningWords("in memory", _in_memory_seen(warning), IN_MEMORY_ADVICE)
    numbers = ", ".join(f"{key} {value}" for key, value in warning.items() if key != "code")
    return WarningWords(code, numbers, "")


def _in_memory_seen(warning: Mapping[str, Any]) -> str:
    size, held = warning.get("store_bytes"), warning.get("resident_bytes")
    free = warning.get("memory_available_bytes")
    words = f"the store ({_size(size)}) fits in the free memory ({_size(free)})"
    if isinstance(held, int) and isinstance(size, int) and size > 0:
        words += f" and the page cache held {format_share(held / size)} of it"
    return words


def _size(value: Any) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return UNKNOWN
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value} B"


def _noisy_seen(warning: Mapping[str, Any]) -> str:
    half, iqr = _number(warning.get("ci_half_width_share")), _number(warning.get("iqr_share"))
    seen = []
    if half is not None and (half > NOISY_HALF_INTERVAL or iqr is None):
        seen.append(f"the 95% interval is ±{format_share(half)} of the median")
    if iqr is not None and (iqr > NOISY_IQR or not seen):
        of = "of it" if seen else "of the median"
        seen.append(f"the middle half of the samples spans {format_share(iqr)} {of}")
    return " and ".join(seen) or "the samples disagree"


def _busy_seen(warning: Mapping[str, Any]) -> str:
    share, load1 = _number(warning.get("cpu_some_share")), _number(warning.get("load1"))
    if warning.get("source") == "psi" or share is not None:
        return f"tasks waited for a CPU during {format_share(share)} of the run"
    cores = warning.get("cores")
    on = f" on {cores} cores" if isinstance(cores, int) and not isinstance(cores, bool) else ""
    return f"the load average was {UNKNOWN if load1 is None else f'{load1:.1f}'}{on}"


def format_share(share: float | None) -> str:
    """A share as a percentage a person reads at a glance: "23%", "4%", "0.4%"."""
    if share is None or not math.isfinite(share):
        return UNKNOWN
    percent = share * 100
    return f"{percent:.1f}%" if 0 < percent < 0.95 else f"{percent:.0f}%"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None
