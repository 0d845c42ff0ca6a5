"""Run settings: presets, overrides, the JSON round trip and every refusal in words."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from imgbench.core.results import document_problems, load_document
from imgbench.core.settings import CLASSIC_CUTOFFS, PRESETS, RunSettings, preset, problems
from result_docs import make_document


def test_defaults_follow_the_classic_study() -> None:
    settings = RunSettings()
    assert settings.cutoffs == CLASSIC_CUTOFFS == (10, 100, 1_000, 10_000, 100_000)
    assert settings.repeats == 3 and settings.k == 1_000 and settings.durable
    assert settings.target_count == 100_000
    assert settings.k_for(10) == 10 and settings.k_for(100_000) == 1_000
    assert settings.images_per_sample("read_random", 100_000) == 1_000
    assert settings.images_per_sample("store_many", 100_000) == 100_000
    assert PRESETS["classic"].count == 100_000
    assert set(PRESETS["classic"].backends) == {"png", "lmdb", "hdf5", "raw"}


def test_round_trip_through_a_dict() -> None:
    settings = preset("quick", data="synthetic", backend_options={"png": {"workers": 2}})
    record = settings.to_dict()
    assert record["cutoffs"] == [10, 100, 1_000] and record["backends"][0] == "png"
    assert RunSettings.from_dict(record) == settings
    with pytest.raises(ValueError, match="unknown settings: colour"):
        RunSettings.from_dict({**record, "colour": "red"})


def test_preset_overrides_and_unknown_preset() -> None:
    assert preset("quick", repeats=9).repeats == 9
    with pytest.raises(ValueError, match="unknown preset 'fast'"):
        preset("fast")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"backends": ("png", "tiff")}, "unknown store 'tiff'"),
        ({"backends": ()}, "at least one store"),
        ({"experiments": ("read_fast",)}, "unknown experiment read_fast"),
        ({"cutoffs": (0, 10)}, "cutoffs must be whole numbers"),
        ({"count": 50, "cutoffs": (10, 100)}, "largest cutoff (100) is more than the count (50)"),
        ({"repeats": 0}, "repeats must be at least 1"),
        ({"k": 0}, "k must be at least 1"),
        ({"cache": "lukewarm"}, "cache must be warm or cold"),
        ({"backend_options": {"png": {"chunks": 3}}}, "unknown option chunks for png"),
        ({"experiments": ("disk_usage",)}, "disk usage is measured on the stores"),
        ({"cutoffs": ()}, "give at least one cutoff"),
        ({"seed": -1}, "the seed must be at least 0, not -1"),
        ({"repeats": "abc"}, "repeats must be a whole number, not 'abc'"),
        ({"backend_options": {"png": {"compress_level": 42}}}, "png compress_level must be"),
        ({"backend_options": {"hdf5": {"chunk_rows": 10**12}}}, "hdf5 chunk_rows must be at most"),
        ({"priority": "speed"}, "priority must be balanced, read, disk or write, not 'speed'"),
    ],
)
def test_problems_are_named(change: dict[str, object], words: str) -> None:
    found = problems(replace(RunSettings(), **change))  # type: ignore[arg-type]
    assert any(words in problem for problem in found), found


def test_good_settings_have_no_problems() -> None:
    for settings in PRESETS.values():
        assert problems(settings) == []


def test_the_priority_is_balanced_unless_chosen_and_travels_in_the_settings() -> None:
    assert RunSettings().priority == "balanced"
    chosen = replace(RunSettings(), priority="disk")
    assert chosen.to_dict()["priority"] == "disk"
    assert RunSettings.from_dict(chosen.to_dict()) == chosen
    assert problems(chosen) == []


def test_documents_without_a_priority_still_load(tmp_path: Path) -> None:
    old = make_document()
    assert "priority" not in old["settings"] and document_problems(old) == []
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    assert load_document(path)["settings"].get("priority") is None
    assert document_problems(make_document(settings={"priority": "read"})) == []
    wrong = document_problems(make_document(settings={"priority": "fast"}))
    assert wrong and "priority" in wrong[0] and "balanced, read, disk or write" in wrong[0]
