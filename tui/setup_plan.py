"""The presets and the plan in words: which preset a plan matches, what each promises,
and the summary line of a form that can run."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from imgbench.core.backends.names import INSTALL_LINE
from imgbench.core.engine import pixel_bytes_for, plan_tasks
from imgbench.core.run_estimate import preset_for_data
from imgbench.core.settings import (
    PRESET_PROMISE_S,
    PRESETS,
    RunSettings,
    preset,
    unavailable_stores,
)

from .estimate_words import estimate_words
from .value_parsers import SYNTHETIC

PRESET_KEYS = {
    "classic": "F2",
    "quick": "F3",
    "thorough": "F4",
    "formats": "F6",
    "training": "F7",
}
PRESET_TITLES = {
    "classic": "classic",
    "quick": "quick",
    "thorough": "thorough",
    "formats": "formats",
    "training": "training",
}
PRESET_PURPOSES = {
    "classic": "the original study's plan",
    "quick": "a first look in about a minute",
    "thorough": "more repeats: slower, steadier",
    "formats": "today's formats against the classic four",
    "training": "epochs through a loader with worker processes",
}
#: Settings that describe the data, the place and the user's priority rather than the
#: plan: presets keep them.
NOT_PLAN = ("data", "workdir", "seed", "image_size", "resize", "keep_grey", "priority")


def same_plan(first: RunSettings, second: RunSettings) -> bool:
    """Whether two settings measure the same things (the data and places may differ)."""

    def plan(settings: RunSettings) -> dict[str, Any]:
        record: dict[str, Any] = settings.to_dict()
        for name in NOT_PLAN:
            record.pop(name)
        return record

    return plan(first) == plan(second)


def preset_summary(name: str, chosen: RunSettings | None = None) -> str:
    """The preset's promise and its plan (``chosen``: as fitted to the data)."""
    chosen = chosen or preset(name)
    low, high = min(chosen.cutoffs), max(chosen.cutoffs)
    cutoffs = f"cutoffs {low:,}..{high:,}" if low != high else f"n = {high:,}"
    stores = f"{len(chosen.backends)} stores, " if len(chosen.backends) != 4 else ""
    return (
        f"{PRESET_TITLES[name]}: {PRESET_PURPOSES[name]}. {stores}{chosen.target_count:,} "
        f"images, {cutoffs}, {chosen.repeats} repeats, {chosen.cache} cache"
    )


def left_out_note(name: str) -> str:
    """The preset's stores left out because their library is missing here, in words."""
    left_out = unavailable_stores(PRESETS[name].backends)
    if not left_out:
        return ""
    return f"left out, their library is missing: {', '.join(left_out)} ({INSTALL_LINE})"


def promising_preset_of(settings: RunSettings) -> str:
    """The preset that promises a time whose plan this is, as it is or with its counts
    cut down for some data (so it can be fitted again to other data); "" when none."""
    for name in PRESET_PROMISE_S:
        whole = preset(name)
        restored = replace(settings, cutoffs=whole.cutoffs, count=whole.count)
        if same_plan(restored, whole) and max(settings.cutoffs) <= max(whole.cutoffs):
            return name
    return ""


def fitted_preset(name: str, pixel_bytes: int | None) -> RunSettings:
    """The preset as it fits this data: a promise of time kept for large images."""
    return preset(name) if pixel_bytes is None else preset_for_data(name, pixel_bytes)


def plan_pixel_bytes(
    settings: RunSettings, data_kind: str, folder_pixel_bytes: int | None
) -> int | None:
    """One image's bytes as the run will load them, once the data check knows them (a
    folder's from its files' declared sizes, or its resize)."""
    source = SYNTHETIC if settings.data == SYNTHETIC else data_kind
    if not source:
        return None
    known = pixel_bytes_for(source, settings)
    return known if known is not None else folder_pixel_bytes


def ready_summary(settings: RunSettings, pixel_bytes: int | None) -> str:
    """The summary line of a form that can run: the plan, its estimated time, the key."""
    tasks = len(plan_tasks(settings))
    plan = (
        f"Ready: {_count(tasks, 'timed task')} ({_count(len(settings.backends), 'store')}, "
        f"{_count(len(settings.cutoffs), 'cutoff')}), {settings.repeats} repeats each"
    )
    if pixel_bytes is None:
        return f"{plan}; the time is estimated once the data is checked. F5 runs it."
    return f"{plan}; {estimate_words(settings, pixel_bytes)}. F5 runs it."


def _count(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' if count != 1 else ''}"
