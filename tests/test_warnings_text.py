"""Warnings in words: one line each, with what was seen, why, and what to do."""

from __future__ import annotations

from typing import Any

import pytest

from imgbench.core.stats import WARNING_CODES, measurement_warnings, summarize
from imgbench.tui.warnings_text import format_share, warning_text, warning_words


def test_noisy_names_the_interval_its_cause_and_the_fix() -> None:
    text = warning_text({"code": "noisy", "ci_half_width_share": 0.234, "iqr_share": 0.1})
    assert text == (
        "noisy: the 95% interval is ±23% of the median — other work on the machine or too "
        "few samples; run again with more repeats on an idle machine"
    )


def test_noisy_names_a_wide_iqr_when_that_is_what_is_wrong() -> None:
    text = warning_text({"code": "noisy", "ci_half_width_share": 0.04, "iqr_share": 0.31})
    assert text.startswith("noisy: the middle half of the samples spans 31% of the median — ")
    both = warning_text({"code": "noisy", "ci_half_width_share": 0.2, "iqr_share": 0.5})
    assert both.startswith(
        "noisy: the 95% interval is ±20% of the median and the middle half of the samples "
        "spans 50% of it — "
    )


def test_the_words_come_in_parts_that_make_the_line() -> None:
    warning = {"code": "busy", "source": "psi", "cpu_some_share": 0.2}
    title, seen, advice = warning_words(warning)
    assert warning_text(warning) == f"{title}: {seen} — {advice}"
    other = warning_words({"code": "busy", "source": "psi", "cpu_some_share": 0.6})
    assert other.advice == advice and other.seen != seen  # the advice is shared by its kind


def test_busy_from_psi_and_from_the_load_average() -> None:
    psi = warning_text({"code": "busy", "source": "psi", "cpu_some_share": 0.15})
    assert psi.startswith("busy: tasks waited for a CPU during 15% of the run — ")
    assert "run again" in psi
    load = warning_text({"code": "busy", "source": "loadavg", "load1": 9.25, "cores": 8})
    assert load.startswith("busy: the load average was 9.2 on 8 cores — ")


def test_few_samples_says_how_many_and_how_many_to_take() -> None:
    assert warning_text({"code": "few_samples", "samples": 1, "at_least": 3}) == (
        "few samples: only 1 timed sample — too few for the median and its interval to mean "
        "much; run again with at least 3 repeats"
    )
    assert "only 2 timed samples" in warning_text({"code": "few_samples", "samples": 2})


def test_every_code_core_writes_has_its_own_words() -> None:
    pressure = {"source": "psi", "cpu_some_share": 0.5, "load1": 1.0}
    warnings = measurement_warnings(summarize([1.0, 3.0]), pressure, 8, samples=2)
    assert sorted(w["code"] for w in warnings) == sorted(WARNING_CODES)
    for warning in warnings:
        text = warning_text(warning)
        assert "\n" not in text and " — " in text and "; " in text
        assert "?" not in text  # every number core records is shown


@pytest.mark.parametrize(
    "warning",
    [
        {"code": "noisy"},
        {"code": "noisy", "ci_half_width_share": "wide", "iqr_share": None},
        {"code": "busy"},
        {"code": "busy", "source": "loadavg", "load1": True},
        {"code": "few_samples"},
        {},
    ],
)
def test_a_foreign_or_damaged_warning_is_still_said(warning: dict[str, Any]) -> None:
    text = warning_text(warning)
    assert text and "\n" not in text


def test_an_unknown_code_shows_its_numbers() -> None:
    assert warning_text({"code": "thermal", "celsius": 96}) == "thermal: celsius 96"
    assert warning_text({"code": "thermal"}) == "thermal"


@pytest.mark.parametrize(
    ("share", "text"),
    [(0.2345, "23%"), (0.04, "4%"), (0.004, "0.4%"), (0.0, "0%"), (1.5, "150%"), (None, "?")],
)
def test_shares_read_at_a_glance(share: float | None, text: str) -> None:
    assert format_share(share) == text
