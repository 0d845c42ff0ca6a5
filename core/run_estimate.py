"""How long a run will take, said before it starts, and presets that keep their promise.

The estimate walks the same plan the runner takes and prices each sample with the ETA's
priors (:mod:`.eta`), so the number before the start and the run's first ETA come from
one cost table. The priors were measured on CIFAR's 32x32x3 images; a larger image costs
about as many times more as it has pixel bytes (encoding, copying and checking are all
linear in the bytes), so they are scaled by that ratio.
"""

from __future__ import annotations

import os
from dataclasses import replace

from .eta import PRIOR_PIXEL_BYTES, EtaModel
from .plan import plan_tasks
from .sampling import SamplingRule
from .settings import PRESET_PROMISE_S, STORE_EXPERIMENTS, RunSettings, preset

#: Largest cutoffs a preset that promises a time may shrink to, largest first: each is a
#: third or so of the one before (n from 1,000 down to 10).
SHRUNK_TOPS = (1_000, 300, 100, 30, 10)


def estimated_seconds(settings: RunSettings, pixel_bytes: int, cores: int | None = None) -> float:
    """Seconds the run's planned samples should take (data loading aside), before any
    was measured. ``pixel_bytes``: one image's bytes (their mean when sizes vary)."""
    cores = cores or os.cpu_count() or 1
    eta = EtaModel(durable=settings.durable, size_scale=pixel_bytes / PRIOR_PIXEL_BYTES)
    tasks = plan_tasks(settings, cores)
    planned = {(task.backend, task.experiment, task.n) for task in tasks}
    seconds = 0.0
    for task in tasks:
        units = settings.images_per_sample(task.experiment, task.n)
        timed = eta.timed_s(task.backend, task.experiment, units)
        samples = planned_samples(settings, task.experiment, task.n, timed)
        seconds += samples * eta.step_s(task.backend, task.experiment, units)
        read_back = task.experiment in STORE_EXPERIMENTS and not (
            task.experiment == "store_many" and (task.backend, "read_many", task.n) in planned
        )
        if read_back:  # every store is read back and checked, once
            seconds += eta.step_s(task.backend, "read_many", task.n)
    return seconds


def planned_samples(settings: RunSettings, experiment: str, n: int, timed_s: float) -> int:
    """Samples a measurement takes when each times ``timed_s``: its warm-ups, then at
    least ``repeats``, more while the timed total stays under the budget, at most the cap
    (the rule of :class:`.sampling.SamplingRule`)."""
    return settings.warmups_for(experiment, n) + SamplingRule.of(settings).expected(timed_s)


def preset_for_data(name: str, pixel_bytes: int, cores: int | None = None) -> RunSettings:
    """The preset, with its cutoffs (and count) cut down when this data's images would
    take it past the time it promises (``PRESET_PROMISE_S``); presets without a promise,
    or whose estimate keeps it, are returned as they are."""
    chosen = preset(name)
    promise = PRESET_PROMISE_S.get(name)
    return chosen if promise is None else fit_to_time(chosen, promise, pixel_bytes, cores)


def fit_to_time(
    settings: RunSettings, seconds: float, pixel_bytes: int, cores: int | None = None
) -> RunSettings:
    """The settings with their largest cutoff (and the count) cut down, a step at a time,
    until the estimate fits ``seconds``; as they are when it already does. The smallest
    step is kept even when it does not fit: the run still says its estimate."""
    if estimated_seconds(settings, pixel_bytes, cores) <= seconds:
        return settings
    smaller = settings
    for top in (t for t in SHRUNK_TOPS if t < max(settings.cutoffs)):
        cutoffs = (*sorted(n for n in set(settings.cutoffs) if n < top), top)
        smaller = replace(settings, cutoffs=cutoffs, count=top)
        if estimated_seconds(smaller, pixel_bytes, cores) <= seconds:
            break
    return smaller
