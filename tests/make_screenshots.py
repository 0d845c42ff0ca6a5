"""Screenshots of every screen for the README (and for looking at them).

    python tests/make_screenshots.py [OUT_DIR] [WIDTHxHEIGHT ...]

Runs a small real benchmark, then photographs setup, progress, each results tab, help
and a dialog. Not a test (pytest does not collect it).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from textual.widgets import TabbedContent

from imgbench.core.settings import CLASSIC_EXPERIMENTS, RunSettings, preset
from imgbench.tui.app import create_app
from imgbench.tui.progress_screen import ProgressScreen
from imgbench.tui.results_screen import ResultsScreen


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
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.5)
        app.save_screenshot(filename=f"setup-{suffix}.svg", path=str(out))
        app.start_run(settings, work / "results.json")
        for _ in range(200):
            await pilot.pause(0.1)
            screen = app.screen
            if isinstance(screen, ProgressScreen) and screen.query_one("#finished").row_count > 12:
                break
        app.save_screenshot(filename=f"progress-{suffix}.svg", path=str(out))
        while not isinstance(app.screen, ResultsScreen):
            await pilot.pause(0.2)
        await pilot.pause(0.5)
        for key, name in [("1", "store"), ("2", "read"), ("5", "disk"), ("7", "store-percent")]:
            await pilot.press(key)
            await pilot.pause(0.3)
            app.save_screenshot(filename=f"results-{name}-{suffix}.svg", path=str(out))
        await pilot.press("1", "l")
        await pilot.pause(0.3)
        app.save_screenshot(filename=f"results-store-log-{suffix}.svg", path=str(out))
        tabs = app.screen.query_one(TabbedContent)
        for tab, name in [
            ("tab-epoch-workers", "epoch-workers"),
            ("tab-read-latency", "read-latency"),
            ("tab-table", "table"),
            ("tab-epoch", "epoch"),
            ("tab-stores", "stores"),
        ]:
            tabs.active = tab
            await pilot.pause(0.3)
            app.save_screenshot(filename=f"results-{name}-{suffix}.svg", path=str(out))
        await pilot.press("f1")
        await pilot.pause(0.3)
        app.save_screenshot(filename=f"help-{suffix}.svg", path=str(out))


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "shots")
    out.mkdir(parents=True, exist_ok=True)
    sizes = [tuple(int(v) for v in arg.split("x")) for arg in sys.argv[2:]] or [(80, 24), (160, 48)]
    for width, height in sizes:
        asyncio.run(photograph(out, (width, height)))


if __name__ == "__main__":
    main()
