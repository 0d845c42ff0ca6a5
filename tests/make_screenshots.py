"""Screenshots of every screen for the README (and for looking at them).

    python tests/make_screenshots.py [OUT_DIR] [WIDTHxHEIGHT ...]

Runs a small real benchmark twice, then photographs setup, progress, every results tab,
the two runs compared, help and a dialog. Not a test (pytest does not collect it).

The SVGs keep their spaces (``xml:space="preserve"``): without it some renderers
(rsvg-convert) drop the spaces at the start of a text run, and right-aligned numbers
would look left-aligned in the PNG though the terminal shows them right-aligned.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import TabbedContent

from imgbench.core.results import load_document
from imgbench.core.settings import CLASSIC_EXPERIMENTS, RunSettings, preset
from imgbench.tui.app import create_app
from imgbench.tui.progress_screen import ProgressScreen
from imgbench.tui.results_screen import COMPARE_TAB, ResultsScreen


def keep_spaces(svg: Path) -> None:
    """Mark the SVG's text as preformatted, as a terminal's text is."""
    text = svg.read_text(encoding="utf-8")
    if 'xml:space="preserve"' not in text:
        svg.write_text(text.replace("<svg ", '<svg xml:space="preserve" ', 1), encoding="utf-8")


async def wait_for_results(pilot: Pilot[Any], path: Path) -> ResultsScreen:
    app = pilot.app
    while not (isinstance(app.screen, ResultsScreen) and app.screen.path == path):
        await pilot.pause(0.2)
    await pilot.pause(0.5)
    return app.screen


#: File names of the tabs the README shows (tui/screenshots/ holds them without the size).
NAMES = {
    "tab-time-store_many": "store",
    "tab-time-read_many": "read",
    "tab-disk-usage": "disk",
    "tab-vs-raw-store_many": "store-percent",
}


async def every_tab(pilot: Pilot[Any], screen: ResultsScreen, shoot: Any, prefix: str) -> None:
    tabs = screen.query_one(TabbedContent)
    for pane in list(screen.pane_ids):
        tabs.active = pane
        await pilot.pause(0.3)
        shoot(f"{prefix}-{NAMES.get(pane, pane.removeprefix('tab-'))}")


async def photograph(out: Path, size: tuple[int, int]) -> None:
    suffix = f"{size[0]}x{size[1]}"
    work = Path(tempfile.mkdtemp(prefix="imgbench-shots-"))
    settings = RunSettings(
        data="synthetic",
        count=2_000,
        cutoffs=(10, 100, 1_000, 2_000),
        repeats=2,
        k=100,
        backends=("png", "lmdb", "lmdb+jpeg90", "tar+png", "parquet+png", "zarr", "raw"),
        experiments=(*CLASSIC_EXPERIMENTS, "epoch", "read_latency"),
        loader_workers=(1, 2),
        workdir=str(work),
    )
    app = create_app(settings=preset("quick", data="synthetic"))
    written: list[Path] = []

    def shoot(name: str) -> None:
        filename = f"{name}-{suffix}.svg"
        app.save_screenshot(filename=filename, path=str(out))
        written.append(out / filename)

    first, second = work / "results.json", work / "again.json"
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.5)
        shoot("setup")
        app.start_run(settings, first)
        for _ in range(200):
            await pilot.pause(0.1)
            screen = app.screen
            if isinstance(screen, ProgressScreen) and screen.query_one("#finished").row_count > 12:
                break
        shoot("progress")
        screen = await wait_for_results(pilot, first)
        await every_tab(pilot, screen, shoot, "results")
        await pilot.press("1")
        await pilot.pause(0.3)
        scale = "log" if screen.log_scale else "linear"
        shoot(f"results-store-{scale}")  # the store chart as it opens (log past 10x) ...
        await pilot.press("l")
        await pilot.pause(0.3)
        shoot(f"results-store-{'linear' if scale == 'log' else 'log'}")  # ... and switched

        app.start_run(settings, second)  # the same plan again: a comparison of two runs
        await wait_for_results(pilot, second)
        app.show_results(load_document(first), first, (load_document(second), second))
        await pilot.pause(0.5)
        compared = app.screen
        assert isinstance(compared, ResultsScreen)
        tabs = compared.query_one(TabbedContent)
        for pane in (COMPARE_TAB, "tab-time-store_many", "tab-time-read_many", "tab-epoch-workers"):
            tabs.active = pane
            await pilot.pause(0.3)
            shoot(f"compare-{pane.removeprefix('tab-')}")
        await pilot.press("f1")
        await pilot.pause(0.3)
        shoot("help")
    for svg in written:
        keep_spaces(svg)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "shots")
    out.mkdir(parents=True, exist_ok=True)
    sizes = [tuple(int(v) for v in arg.split("x")) for arg in sys.argv[2:]] or [(80, 24), (160, 48)]
    for width, height in sizes:
        asyncio.run(photograph(out, (width, height)))


if __name__ == "__main__":
    main()
