"""How busy the CPUs were while a measurement ran, so a slow number can say why.

Linux's pressure stall information (``/proc/pressure/cpu``) counts the microseconds in
which at least one runnable task waited for a CPU: the share of a run's wall time spent
so is a direct measure of contention. Where it is missing (older kernels, other systems)
the 1-minute load average is the fallback. Reading either is cheap and never raises:
failing to describe the machine must never cost a measurement.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PSI_CPU = Path("/proc/pressure/cpu")


@dataclass(frozen=True)
class PressureReading:
    """One look at the machine: when (monotonic seconds), PSI "some" total, load average."""

    monotonic_s: float
    cpu_some_total_us: int | None
    load1: float | None


def read_pressure(psi_path: Path = PSI_CPU) -> PressureReading:
    """Now, the PSI "some" total in µs (None without PSI) and the 1-minute load average."""
    return PressureReading(time.monotonic(), _psi_some_total(psi_path), _load1())


def _psi_some_total(path: Path) -> int | None:
    """The ``total=`` of the "some" line: "some avg10=0.00 avg60=0.00 avg300=0.00 total=123"."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0] != "some":
            continue
        for field in fields[1:]:
            name, _, value = field.partition("=")
            if name == "total" and value.isdigit():
                return int(value)
    return None


def _load1() -> float | None:
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):  # AttributeError: no getloadavg on this system
        return None


def pressure_between(
    start: PressureReading, end: PressureReading, cores: int | None
) -> dict[str, Any]:
    """CPU pressure over ``start``..``end``, as a measurement row's ``pressure``.

    ``cpu_some_share`` is stalled µs over elapsed µs (0..1) when both readings have PSI;
    ``load1`` is the load average at the end (it already averages the last minute);
    ``cores`` is kept so the load average can be judged against the machine it ran on.
    """
    elapsed_us = (end.monotonic_s - start.monotonic_s) * 1e6
    share = None
    if start.cpu_some_total_us is not None and end.cpu_some_total_us is not None and elapsed_us > 0:
        stalled = end.cpu_some_total_us - start.cpu_some_total_us
        share = min(max(stalled / elapsed_us, 0.0), 1.0)
    return {
        "source": "psi" if share is not None else "loadavg",
        "cpu_some_share": share,
        "load1": end.load1,
        "cores": cores,
    }
