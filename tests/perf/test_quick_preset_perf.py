"""The quick preset: under a minute, an ETA that holds, and no claims on noise (``-m perf``).

Two identical quick runs, one after the other, through the engine as the command line
drives it. Each must finish in under 60 s; the ETA shown once 10% of the run's time has
passed must be within 25% of the time that really remained; and ``compare`` of the two
must not call anything faster or slower.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from imgbench.core.engine import BenchmarkRun
from imgbench.core.events import Progress
from imgbench.core.results import compare_documents
from imgbench.core.settings import preset

pytestmark = pytest.mark.perf

LIMIT_S = 60.0
ETA_TOLERANCE = 0.25


def timed_run(workdir: Path) -> tuple[float, list[tuple[float, Progress]], dict[str, Any]]:
    run = BenchmarkRun(preset("quick", data="synthetic", workdir=str(workdir)))
    started = time.monotonic()
    run.start()
    seen = [(time.monotonic() - started, e) for e in run.events() if isinstance(e, Progress)]
    return time.monotonic() - started, seen, run.document()


def eta_error_at_tenth(total_s: float, seen: list[tuple[float, Progress]]) -> float:
    """|ETA - real remaining| / real remaining, for the first ETA shown after 10% of the run."""
    at, event = next((t, e) for t, e in seen if t >= total_s / 10 and e.eta_s is not None)
    remaining = total_s - at
    assert event.eta_s is not None
    return abs(event.eta_s - remaining) / remaining


def test_two_quick_runs_are_quick_keep_their_eta_and_claim_nothing(tmp_path: Path) -> None:
    runs = [timed_run(tmp_path) for _ in range(2)]
    for total_s, seen, document in runs:
        error = eta_error_at_tenth(total_s, seen)
        print(f"\nquick run {total_s:.1f} s; ETA at 10% off by {error:.0%}")
        assert document["status"] == "complete"
        assert total_s < LIMIT_S
        assert error <= ETA_TOLERANCE
    comparison = compare_documents(runs[0][2], runs[1][2])
    claims = [row for row in comparison.rows if row.verdict != "same"]
    for row in claims:
        print(f"claimed: {row.backend} {row.experiment} n={row.n} {row.ratio:.2f}x {row.verdict}")
    assert claims == []
