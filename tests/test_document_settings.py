"""A results file's settings back as RunSettings, for "n New run": nothing refused."""

from __future__ import annotations

from typing import Any

import pytest

from imgbench.core.document_settings import settings_from_document
from imgbench.core.settings import PRESETS, RunSettings
from result_docs import make_document


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_a_runs_own_settings_come_back_unchanged(name: str) -> None:
    chosen = PRESETS[name]
    assert settings_from_document({"settings": chosen.to_dict()}) == chosen


def test_a_test_documents_settings_are_read_with_their_types() -> None:
    settings = settings_from_document(make_document(cutoffs=(10, 100), backends=("png", "raw")))
    assert settings.cutoffs == (10, 100) and settings.backends == ("png", "raw")
    assert settings.image_size == (32, 32) and settings.data == "synthetic"
    assert "disk_usage" in settings.experiments


def test_unknown_keys_are_dropped_and_misfits_keep_their_defaults() -> None:
    defaults = RunSettings()
    record: dict[str, Any] = {
        "colour": "red",  # unknown: another version's
        "cutoffs": [10, "100"],  # not all whole numbers
        "cache": "lukewarm",  # not a cache mode
        "repeats": True,  # a bool is no count
        "image_size": [8, 8, 3],  # one side too many
        "resize": [64, 48],
        "count": None,
        "sample_budget_s": 2,  # a whole number of seconds is a float
        "backend_options": {"png": {"compress_level": 1}},
        "workdir": 5,
    }
    settings = settings_from_document({"settings": record})
    assert settings.cutoffs == defaults.cutoffs and settings.cache == defaults.cache
    assert settings.repeats == defaults.repeats and settings.image_size == defaults.image_size
    assert settings.workdir == defaults.workdir
    assert settings.resize == (64, 48) and settings.count is None
    assert settings.sample_budget_s == 2.0 and isinstance(settings.sample_budget_s, float)
    assert settings.backend_options == {"png": {"compress_level": 1}}


@pytest.mark.parametrize("document", [{}, {"settings": None}, {"settings": [1, 2]}])
def test_a_document_without_settings_gives_the_defaults(document: dict[str, Any]) -> None:
    assert settings_from_document(document) == RunSettings()
