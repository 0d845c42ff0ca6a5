"""The table of a run's stores: one line per store at 80 columns, every figure in it."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console

from imgbench.tui.stores_table import WIDE_STORES, stores_table
from result_docs import make_document

STORES: dict[str, Any] = {
    "png": {
        "container": "files",
        "encoding": "png",
        "encoding_settings": {"id": "png", "level": 6},
        "lossless": True,
        "encode_s_per_image": 0.00013,
        "decode_s_per_image": 0.0000567,
        "record_bytes_per_image": 2280.9,
        "cost_images": 200,
    },
    "lmdb+jpeg90": {
        "container": "lmdb",
        "encoding": "jpeg90",
        "encoding_settings": {"id": "jpeg", "quality": 90},
        "lossless": False,
        "psnr_db": 28.51,
        "max_abs_error": 107,
        "encode_s_per_image": 0.0000416,
        "decode_s_per_image": 0.0000616,
        "record_bytes_per_image": 1061.3,
        "cost_images": 200,
    },
    "parquet+png": {
        "container": "parquet",
        "encoding": "png",
        "encoding_settings": {"id": "png", "level": 6},
        "lossless": True,
        "encode_s_per_image": 0.000121,
        "decode_s_per_image": 0.0000526,
        "record_bytes_per_image": 2280.9,
        "cost_images": 200,
    },
}


def shown(width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    table = stores_table({**make_document(), "stores": STORES}, compact=width < WIDE_STORES)
    assert table is not None
    console.print(table)
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [80, 120])
def test_each_store_is_one_line_with_every_figure(width: int) -> None:
    lines = shown(width)
    for name, words in [
        ("png ", ["lossless", "2.28 kB", "130 µs", "56.7 µs"]),
        ("lmdb+jpeg90", ["28.5 dB", "107", "1.06 kB", "41.6 µs", "61.6 µs"]),
        ("parquet+png", ["lossless", "121 µs"]),
    ]:
        line = next(line for line in lines if line.lstrip("│| ").startswith(name))
        assert all(word in line for word in words), (line, words)
        assert len(line) <= width
    heading = next(line for line in lines if "store" in line and "quality" in line)
    assert ("container" in heading) == (width >= WIDE_STORES)


def test_files_without_stores_have_no_table() -> None:
    assert stores_table(make_document()) is None


def test_a_table_short_of_width_drops_its_frame_rather_than_cut_a_number() -> None:
    doc = make_document()
    doc["stores"] = STORES
    for width in (60, 80):
        console = Console(width=width, record=True)
        console.print(stores_table(doc, compact=True))
        text = console.export_text()
        assert "…" not in text
        assert "28.5 dB" in text  # lmdb+jpeg90's quality, whole
        lines = [line for line in text.splitlines() if "µs" in line]
        ends = {len(line.rstrip()) for line in lines}
        assert len(ends) == 1, lines  # the decode column's numbers end in one column
    console = Console(width=120, record=True)
    console.print(stores_table(doc))
    assert "┃" in console.export_text()  # room enough: the framed table
