"""A run's estimated time in words, the same in the setup form and the CLI's first lines."""

from __future__ import annotations

from imgbench.core.run_estimate import estimated_seconds
from imgbench.core.settings import RunSettings

#: Past this, the estimate comes with advice to measure less.
LONG_RUN_S = 3600.0


def duration_words(seconds: float) -> str:
    """ "about 40 s", "about 3 min", "about 5 h": as rough as an estimate is."""
    if seconds < 90:
        return f"about {max(5, round(seconds / 5) * 5):.0f} s"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60):.0f} min"
    return f"about {seconds / 3600:.1f} h".replace(".0 h", " h")


def estimate_words(settings: RunSettings, pixel_bytes: int) -> str:
    """ "about 50 s", with advice when the run would take more than an hour."""
    seconds = estimated_seconds(settings, pixel_bytes)
    advice = " - consider fewer cutoffs or stores" if seconds > LONG_RUN_S else ""
    return f"{duration_words(seconds)}{advice}"
