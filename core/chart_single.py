"""The time per image when storing or reading one image at a time, bars per store."""

from __future__ import annotations

from collections.abc import Mapping

from .chart_bars import bar_chart
from .chart_rows import absent_note, backends_in, medians
from .chart_types import Chart, Document, no_data
from .chart_words import experiment_label, format_count


def single_image_chart(doc: Document, log: bool | None = None) -> Chart:
    """Time per image when storing or reading one at a time, bars per backend.

    Bars at the largest n each backend reached, because the per-image cost is what a
    data loader's ``__getitem__`` or a streaming writer pays, and it is flattest there.
    """
    key, title = "single-image", "Time per image, one image at a time"
    per_image = {e: _per_image_at_largest_n(doc, e) for e in ("store_single", "read_single")}
    backends = [b for b in backends_in(doc) if any(b in found for found in per_image.values())]
    if not backends:
        return no_data(key, title, "one-by-one store or read measurements", kind="bar")
    names = {"store_single": "store one", "read_single": "read one"}
    values = {
        names[experiment]: [found[b][1] if b in found else None for b in backends]
        for experiment, found in per_image.items()
        if found
    }
    notes = [absent_note(doc, backends)]
    notes += [f"no {experiment_label(e)} data" for e, found in per_image.items() if not found]
    return bar_chart(
        key=key,
        title=title,
        x_label="backend",
        y_label="median time per image",
        categories=[_category_with_n(b, per_image, backends) for b in backends],
        values=values,
        kind="seconds",
        log=log,
        note="; ".join(n for n in notes if n),
    )


def _per_image_at_largest_n(doc: Document, experiment: str) -> dict[str, tuple[int, float]]:
    """(largest n, median seconds / n) per backend."""
    return {
        backend: (points[-1][0], points[-1][1] / points[-1][0])
        for backend, points in medians(doc, experiment).items()
    }


def _category_with_n(
    backend: str, per_image: Mapping[str, Mapping[str, tuple[int, float]]], backends: list[str]
) -> str:
    """The backend's name, plus its n when backends reached different cutoffs."""
    reached = {found[b][0] for found in per_image.values() for b in backends if b in found}
    if len(reached) <= 1:
        return backend
    own = max(found[backend][0] for found in per_image.values() if backend in found)
    return f"{backend} @{format_count(own)}"
