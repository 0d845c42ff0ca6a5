"""Disk per image: apparent and allocated bytes of each store, beside the pixels'
and the source files' own size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .chart_bars import bar_chart
from .chart_rows import absent_note, backends_in, dataset_shape, int_or_none, rows_by_key
from .chart_types import Chart, Document, no_data
from .chart_words import format_bytes, format_count


def _store_sizes(doc: Document, *, allocated: bool) -> dict[str, dict[int, int]]:
    """Bytes of the store holding n images, per backend and n: store_many, else store_single."""
    sizes: dict[str, dict[int, int]] = {}
    for experiment in ("store_single", "store_many"):  # store_many last, so it wins
        for (backend, n), row in rows_by_key(doc, experiment).items():
            size = row.bytes_allocated if allocated else row.bytes_apparent
            if size is None:
                size = row.bytes_apparent if allocated else row.bytes_allocated
            if size is not None:
                sizes.setdefault(backend, {})[n] = size
    return sizes


def disk_per_image(doc: Document) -> dict[str, tuple[int, float]]:
    """(largest n, allocated bytes / n) per backend: what a store costs per image on disk."""
    sizes = _store_sizes(doc, allocated=True)
    return {
        backend: (max(per_n), per_n[max(per_n)] / max(per_n)) for backend, per_n in sizes.items()
    }


def disk_usage_chart(doc: Document, log: bool | None = None) -> Chart:
    """Bytes per image in the largest store, apparent (the files' length, ``ls -l``) and
    allocated (the disk blocks they take, ``du``) side by side: the two can disagree on
    which store is smallest (one small file per image fills a whole block each)."""
    key, title = "disk-usage", "Disk per image: apparent and allocated bytes"
    apparent = _store_sizes(doc, allocated=False)
    allocated = _store_sizes(doc, allocated=True)
    if not apparent:
        return no_data(key, title, "store sizes (disk usage not measured)", kind="bar")
    backends = [b for b in backends_in(doc) if b in apparent]
    largest = {b: max(apparent[b]) for b in backends}
    same_n = len(set(largest.values())) == 1
    labels = [b if same_n else f"{b} @{format_count(largest[b])}" for b in backends]
    values = {
        "apparent (ls -l)": [apparent[b][largest[b]] / largest[b] for b in backends],
        "allocated (du)": [allocated[b][largest[b]] / largest[b] for b in backends],
    }
    references: list[tuple[float, str]] = []
    notes = [f"at n = {next(iter(largest.values())):,}" if same_n else "at each store's largest n"]
    shape = dataset_shape(doc)
    if shape is not None:
        pixels = float(math.prod(shape))
        references.append((pixels, f"pixels {format_bytes(pixels)}"))
        sides = "x".join(str(side) for side in shape)
        notes.append(f"pixels: {sides} = {math.prod(shape):,} B, the image uncompressed")
    source = source_bytes_per_image(doc)
    if source is not None:
        references.append((source, f"source {format_bytes(source)}"))
        notes.append(f"source: {source_words(doc)}, {format_bytes(source)} per image")
    notes += _block_notes(backends, values)
    notes.append(absent_note(doc, backends))
    return bar_chart(
        key=key,
        title=title,
        x_label="backend",
        y_label="bytes per image",
        categories=labels,
        values=values,
        kind="bytes",
        log=log,
        note="; ".join(n for n in notes if n),
        references=references,
    )


def _block_notes(backends: Sequence[str], values: Mapping[str, Sequence[float]]) -> list[str]:
    """Say where allocated and apparent sizes part: whole disk blocks per small file."""
    apparent, allocated = values.values()
    grown = [
        f"{backend} {allocated[i] / apparent[i]:.1f}x"
        for i, backend in enumerate(backends)
        if apparent[i] and allocated[i] > 1.2 * apparent[i]
    ]
    if not grown:
        return []
    return [f"allocated above apparent ({', '.join(grown)}): each file takes whole disk blocks"]


def source_bytes_per_image(doc: Document) -> float | None:
    """The data's own files (the user's images, the CIFAR batches or archive) per image
    as loaded, before tiling: what a store's size is worth comparing with."""
    dataset = doc.get("dataset")
    if not isinstance(dataset, Mapping):
        return None
    details = dataset.get("details")
    if not isinstance(details, Mapping):
        return None
    total = int_or_none(details.get("source_bytes"))
    count = int_or_none(details.get("tiled_from")) or int_or_none(dataset.get("count"))
    if total is None or total < 0 or count is None or count < 1:
        return None
    return total / count


def source_words(doc: Document) -> str:
    """What the source's bytes are, in a few words."""
    dataset = doc.get("dataset") or {}
    details = dataset.get("details") or {}
    if dataset.get("source") == "folder":
        return "your image files"
    return "the CIFAR archive" if details.get("archive") else "the CIFAR batch files"
