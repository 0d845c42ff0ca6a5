"""The stores of a run: what each is made of, what its codec costs alone, how lossy it is.

So a reader sees how much of a store's read is the container and how much the decode
(the codec timed on its own), and what a lossy encoding gave up (PSNR, max error).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table

from imgbench.core.chart_disk import source_bytes_per_image, source_words
from imgbench.core.chart_rows import backend_rank
from imgbench.core.chart_types import Document
from imgbench.core.chart_words import format_bytes, format_seconds


def store_records(doc: Document) -> dict[str, Mapping[str, Any]]:
    """The document's "stores" section (empty for files written before it existed)."""
    stores = doc.get("stores")
    if not isinstance(stores, Mapping):
        return {}
    return {str(name): record for name, record in stores.items() if isinstance(record, Mapping)}


#: Columns the full table needs; narrower, the store's name alone says what it is made of.
WIDE_STORES = 100


class FittingTable(Table):
    """A table that, given less width than it needs, drops its frame and closes up its
    padding rather than cut a header or a number short (rich would shrink the columns)."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        needed = Measurement.get(console, options.update(width=10_000), self).maximum
        if needed <= options.max_width:
            yield from super().__rich_console__(console, options)
            return
        tight = copy.copy(self)
        tight.box = box.SIMPLE_HEAD
        tight.show_edge = False
        tight.pad_edge = False
        tight.collapse_padding = True
        yield from Table.__rich_console__(tight, console, options)


def quality_text(record: Mapping[str, Any], *, compact: bool = False) -> str:
    """ "lossless", or the PSNR and largest error of a lossy encoding."""
    if record.get("lossless", True):
        return "lossless"
    psnr = record.get("psnr_db")
    worst = record.get("max_abs_error")
    shown = "identical" if psnr is None else f"{psnr:.1f} dB" + ("" if compact else " PSNR")
    if not isinstance(worst, int):
        return shown
    return f"{shown}, ±{worst}" if compact else f"{shown}, max ±{worst}"


def stores_table(doc: Document, *, compact: bool = False) -> Table | None:
    """One row per store; None when the document has no "stores" section. ``compact``
    (under :data:`WIDE_STORES` columns) leaves out the container and encoding columns,
    which the store's name already spells."""
    records = store_records(doc)
    if not records:
        return None
    table = FittingTable(
        title="Stores (the codec timed alone, per image)"
        if compact
        else "Stores: container x encoding (the codec timed on its own, per image)",
        title_justify="left",
        header_style="bold",
    )
    table.add_column("store", no_wrap=True)
    if not compact:
        table.add_column("container", no_wrap=True)
        table.add_column("encoding", no_wrap=True)
    table.add_column("quality", no_wrap=True)
    for heading in ("record", "encode", "decode"):
        table.add_column(heading, justify="right", no_wrap=True)
    for name in sorted(records, key=backend_rank):
        record = records[name]
        made_of = [str(record.get("container", "?")), str(record.get("encoding", "?"))]
        table.add_row(
            name,
            *([] if compact else made_of),
            quality_text(record, compact=compact),
            _bytes(record.get("record_bytes_per_image")),
            format_seconds(_seconds(record.get("encode_s_per_image"))),
            format_seconds(_seconds(record.get("decode_s_per_image"))),
        )
    source = source_bytes_per_image(doc)
    if source is not None:
        table.caption = f"{source_words(doc)}: {format_bytes(source)} per image"
        table.caption_justify = "left"
    return table


def _bytes(value: Any) -> str:
    return format_bytes(value) if isinstance(value, (int, float)) else "-"


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None
