"""Every screen's footer at 80x24: each key shown fits, says what it does, Help (F1) is
there, and the keys every screen shares look the same on each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup

from imgbench.core.fetch import DOWNLOADS
from imgbench.core.results import save_document
from imgbench.core.settings import RunSettings
from imgbench.tui.app import create_app
from imgbench.tui.fetch_screen import FetchScreen
from imgbench.tui.help_screen import HelpScreen
from imgbench.tui.progress_screen import ProgressScreen
from pilot_waits import wait_for
from result_docs import make_document

WIDTH, HEIGHT = 80, 24
#: Keys of the app itself, on every screen's footer (the help screen's F1 closes it).
SHARED_KEYS = ("ctrl+q",)


def footer_problems(app: App[Any]) -> tuple[list[str], dict[str, tuple[str, str]], bool | None]:
    """(what is wrong, the shared keys as shown, whether the footer is compact)."""
    footers = list(app.screen.query(Footer))
    if len(footers) != 1:
        return [f"{len(footers)} footers, expected 1"], {}, None
    footer = footers[0]
    problems, shared, keys = [], {}, list(footer.query(FooterKey))
    for key in keys:
        name = key.key_display or key.key
        if key.region.width == 0 or key.region.right > app.size.width:
            problems.append(f"{name} is outside the {app.size.width} columns ({key.region})")
        hidden_by = [other for other in keys if other is not key and overlap(key, other)]
        if hidden_by:
            problems.append(f"{name} and {hidden_by[0].key_display} overlap")
        if not (key.description or group_label(key)):
            problems.append(f"{name} has no label")
        if key.key in SHARED_KEYS:
            shared[key.key] = (key.key_display, key.description)
    if not any(key.key == "f1" and key.region.width for key in keys):
        problems.append("F1 (help) is not shown")
    return problems, shared, footer.compact


def overlap(one: FooterKey, other: FooterKey) -> bool:
    """Whether two keys share a cell (the palette key docks right, over what runs long)."""
    return one.region.overlaps(other.region)


def group_label(key: FooterKey) -> str:
    """The words after a group of keys (the setup's presets share one label)."""
    group = key.parent
    if not isinstance(group, KeyGroup) or group.parent is None:
        return ""
    siblings = list(group.parent.children)
    after = siblings[siblings.index(group) + 1 :]
    return str(after[0].render()) if after and isinstance(after[0], FooterLabel) else ""


async def test_every_footer_fits_80_columns_with_every_key_labelled(tmp_path: Path) -> None:
    results = tmp_path / "r.json"
    save_document(make_document(), results)
    app = create_app()
    found: dict[str, tuple[list[str], dict[str, tuple[str, str]], bool | None]] = {}
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        found["setup"] = footer_problems(app)
        app.push_screen(ProgressScreen(RunSettings(), tmp_path / "out.json"))
        await pilot.pause()
        found["progress"] = footer_problems(app)
        app.pop_screen()
        app.open_results(results)
        await pilot.pause()
        found["results"] = footer_problems(app)
        await pilot.press("f1")
        await pilot.pause()
        found["help"] = footer_problems(app)
        await pilot.press("escape")
        fetch = FetchScreen(DOWNLOADS["cifar10"], tmp_path / "data", "http://127.0.0.1:9")
        app.push_screen(fetch)  # a closed port: the download fails at once
        await pilot.pause()
        await wait_for(pilot, lambda: "try again" in str(fetch.query_one("#fetch-hint").render()))
        found["download"] = footer_problems(app)
        await pilot.press("f1")  # a modal screen answers the app's keys too
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
    problems = [f"{screen}: {problem}" for screen, (ps, _, _) in found.items() for problem in ps]
    shown = {screen: shared for screen, (_, shared, _) in found.items()}
    for key in SHARED_KEYS:
        looks = {screen: keys.get(key) for screen, keys in shown.items()}
        if len(set(looks.values())) != 1:
            problems.append(f"{key} is shown differently: {looks}")
    compact = {screen: found_compact for screen, (_, _, found_compact) in found.items()}
    if len(set(compact.values())) != 1:
        problems.append(f"footers drawn differently (compact): {compact}")
    assert not problems, "\n".join(problems)
