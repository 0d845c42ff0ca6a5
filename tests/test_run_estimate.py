"""The run's time said before it starts, and presets that keep the time they promise."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from imgbench.core.eta import EtaModel
from imgbench.core.run_estimate import (
    PRIOR_PIXEL_BYTES,
    estimated_seconds,
    fit_to_time,
    planned_samples,
    preset_for_data,
)
from imgbench.core.sampling import SamplingRule
from imgbench.core.settings import PRESET_PROMISE_S, PRESETS, RunSettings, preset

CIFAR = PRIOR_PIXEL_BYTES
PHOTO = 500 * 375 * 3  # a small camera photo: 183 times CIFAR's bytes


@given(
    repeats=st.integers(1, 8),
    cap=st.integers(1, 40),
    budget=st.floats(0.0, 3.0),
    timed=st.floats(1e-5, 2.0),
)
def test_the_samples_planned_are_those_the_sampling_rule_takes(
    repeats: int, cap: int, budget: float, timed: float
) -> None:
    settings = RunSettings(repeats=repeats, max_samples=cap, sample_budget_s=budget, warmup=0)
    rule = SamplingRule.of(settings)
    taken: list[float] = []
    while rule.wants_more(taken):
        taken.append(timed)
    assert planned_samples(settings, "read_many", 10, timed) == len(taken)


def test_one_task_costs_its_samples_at_the_etas_prior_plus_its_read_back() -> None:
    settings = RunSettings(
        backends=("png",), experiments=("store_single",), cutoffs=(100,), warmup=0
    )
    eta = EtaModel(size_scale=4.0)
    samples = planned_samples(
        settings, "store_single", 100, eta.timed_s("png", "store_single", 100)
    )
    expected = samples * eta.step_s("png", "store_single", 100) + eta.step_s(
        "png", "read_many", 100
    )
    assert estimated_seconds(settings, 4 * CIFAR) == expected


def test_bigger_images_more_cutoffs_and_repeats_take_longer() -> None:
    quick = preset("quick")
    small = estimated_seconds(quick, CIFAR, cores=2)
    assert estimated_seconds(quick, PHOTO, cores=2) > 5 * small
    assert estimated_seconds(preset("classic"), CIFAR, cores=2) > 10 * small
    assert estimated_seconds(replace(quick, repeats=9, max_samples=9), CIFAR, cores=2) > small
    assert estimated_seconds(replace(quick, durable=False), CIFAR, cores=2) < small


def test_the_quick_preset_keeps_its_promise_on_cifar_sized_images() -> None:
    seconds = estimated_seconds(preset("quick"), CIFAR, cores=2)
    assert 5 < seconds <= PRESET_PROMISE_S["quick"]
    assert preset_for_data("quick", CIFAR, cores=2) == preset("quick")


def test_the_quick_preset_shrinks_for_photos_and_keeps_its_promise() -> None:
    quick = preset("quick")
    assert estimated_seconds(quick, PHOTO, cores=2) > 2 * PRESET_PROMISE_S["quick"]
    fitted = preset_for_data("quick", PHOTO, cores=2)
    assert max(fitted.cutoffs) < max(quick.cutoffs)
    assert fitted.target_count == max(fitted.cutoffs)
    assert estimated_seconds(fitted, PHOTO, cores=2) <= PRESET_PROMISE_S["quick"]
    bigger = [n for n in (30, 100, 300, 1_000) if n > max(fitted.cutoffs)]
    if bigger:  # the largest plan that keeps the promise, not a needlessly small one
        top = bigger[0]
        cutoffs = (*(n for n in quick.cutoffs if n < top), top)
        one_more = replace(fitted, cutoffs=cutoffs, count=top)
        assert estimated_seconds(one_more, PHOTO, cores=2) > PRESET_PROMISE_S["quick"]
    assert replace(fitted, cutoffs=quick.cutoffs, count=quick.count) == quick


def test_presets_without_a_promise_are_never_changed() -> None:
    for name in PRESETS:
        if name not in PRESET_PROMISE_S:
            assert preset_for_data(name, PHOTO * 10) == preset(name)


def test_fitting_keeps_what_was_typed_beside_the_counts() -> None:
    """The CLI fits ``--preset quick --backends raw,png`` to the minute: only the cutoffs
    and count change, and a plan that already fits is returned as it is."""
    typed = preset("quick", backends=("raw", "png"), repeats=2)
    fitted = fit_to_time(typed, 60.0, PHOTO, cores=2)
    assert (fitted.backends, fitted.repeats) == (("raw", "png"), 2)
    assert max(fitted.cutoffs) < max(typed.cutoffs)
    assert fit_to_time(typed, 1e9, PHOTO, cores=2) is typed


def test_the_runs_own_eta_starts_from_the_same_scaled_priors() -> None:
    """The ETA a run shows at its start prices a photo as the estimate before F5 did."""
    from imgbench.core.runner import size_scale_of
    from imgbench.core.synthetic import make_synthetic

    assert size_scale_of(make_synthetic(6, seed=0, size=(32, 32))) == 1.0
    assert size_scale_of(make_synthetic(6, seed=0, size=(64, 128))) == 8.0


def test_a_photos_extra_bytes_cost_by_the_byte_and_the_fixed_part_stays() -> None:
    """A durable single store is mostly a sync a call: 300x the bytes is far less than
    300x the time, but PNG coding those bytes is much more than copying them."""
    cifar, photo = EtaModel(), EtaModel(size_scale=300.0)
    store = photo.timed_s("lmdb", "store_single", 1) - cifar.timed_s("lmdb", "store_single", 1)
    assert 0 < store < 10 * cifar.timed_s("lmdb", "store_single", 1)
    png, raw = (photo.timed_s(store, "store_many", 100) for store in ("png", "raw"))
    assert png > 10 * raw > 10 * 10 * cifar.timed_s("raw", "store_many", 100)
    assert EtaModel(size_scale=0.25).timed_s("raw", "read_many", 1000) < cifar.timed_s(
        "raw", "read_many", 1000
    )
