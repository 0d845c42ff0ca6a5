"""How many samples a measurement takes, and in which order the backends take them.

Samples of one (experiment, n) run in rounds across the backends, the order rotated
each round (png lmdb hdf5 raw, then lmdb hdf5 raw png, ...), so drift of the machine
lands on every backend alike. Each measurement takes at least ``repeats`` timed samples
and, like hyperfine, keeps sampling while its timed total is under a budget, up to a
cap: fast operations get many samples, slow ones the minimum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from .settings import RunSettings

T = TypeVar("T")

#: An operation faster than this is timed in a loop of repetitions per sample.
LOOP_BELOW_S = 1e-3
#: The most repetitions one looped sample makes.
MAX_LOOPS = 1_000


def rotated(items: Sequence[T], round_index: int) -> list[T]:
    """The items, starting at position ``round_index`` (mod their count)."""
    if not items:
        return []
    start = round_index % len(items)
    return [*items[start:], *items[:start]]


@dataclass(frozen=True)
class SamplingRule:
    """When a measurement has enough samples."""

    repeats: int
    budget_s: float
    max_samples: int

    @classmethod
    def of(cls, settings: RunSettings) -> SamplingRule:
        cap = max(settings.max_samples, settings.repeats)
        return cls(settings.repeats, settings.sample_budget_s, cap)

    def wants_more(self, timed_s: Sequence[float]) -> bool:
        """``timed_s``: the timed seconds of each sample so far (all loops included)."""
        count = len(timed_s)
        if count < self.repeats:
            return True
        if count >= self.max_samples:
            return False
        return sum(timed_s) < self.budget_s

    def expected(self, typical_s: float) -> int:
        """Samples a measurement will take when each times ``typical_s`` (warm-ups aside):
        what :meth:`wants_more` comes to for samples that all cost the same."""
        wanted = max(self.repeats, math.ceil(self.budget_s / max(typical_s, 1e-6)))
        return min(self.max_samples, wanted)


def loops_for(seconds: float) -> int:
    """Repetitions that make a sample of an operation this fast last ~LOOP_BELOW_S."""
    if seconds >= LOOP_BELOW_S:
        return 1
    if seconds <= 0:
        return MAX_LOOPS
    return min(MAX_LOOPS, -(-int(LOOP_BELOW_S * 1e9) // max(1, int(seconds * 1e9))))
