"""Help (F1) at 80x24: one scrolling table that the keys scroll, keys as people type them."""

from __future__ import annotations

from typing import Any

from test_dialogs import SIZE, Host, save_shot, screen_text
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

from imgbench.tui.app import ImgbenchApp
from imgbench.tui.help_screen import (
    HelpScreen,
    HelpTable,
    help_rows,
    key_display,
    key_rows,
    owner_rows,
    screen_owners,
)

OWNERS = [("everywhere", ImgbenchApp), *screen_owners()]


class Keys(Screen[None]):
    """Bindings shaped like the app's: two keys for one action, one key for two actions."""

    BINDINGS = [
        Binding("right_square_bracket", "next_tab", "Next tab"),
        Binding("right", "next_tab", ""),
        Binding("l", "scale('log')", "Log"),
        Binding("l", "scale('linear')", "Linear"),
        Binding("x", "hidden", ""),
        Binding("1", "tab(0)", "Tab by number", key_display="1-9"),
    ]


def test_keys_read_as_typed() -> None:
    shown = [key_display(key) for key in ("right_square_bracket", "left", "escape", "ctrl+q")]
    assert shown == ["]", "←", "esc", "ctrl+q"]
    assert owner_rows(Keys) == [
        ("], →", "Next tab"),
        ("l", "Log / Linear"),
        ("1-9", "Tab by number"),
    ]


def test_every_screen_is_listed_with_the_arrows_and_textuals_own_keys() -> None:
    rows = help_rows(OWNERS)
    text = "\n".join(" | ".join(row) for row in rows)
    assert "square_bracket" not in text and "escape" not in text
    assert ("results", "], →", "Next tab") in rows and ("results", "[, ←", "Previous tab") in rows
    assert rows[2][:2] == ("everywhere", "tab, shift+tab")  # after the app's own keys
    assert rows[3][:2] == ("everywhere", "ctrl+p") and "palette" in rows[3][2]
    assert rows == [*key_rows(OWNERS)[:2], rows[2], rows[3], *key_rows(OWNERS)[2:]]


def scrollers(screen: Screen[Any]) -> list[Widget]:
    return [
        w for w in screen.query("*") if w.show_vertical_scrollbar or w.show_horizontal_scrollbar
    ]


async def test_help_scrolls_with_the_keys_at_80x24() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        app.show(HelpScreen(OWNERS))
        await pilot.pause()
        table = app.screen.query_one(HelpTable)
        assert table.has_focus
        assert scrollers(app.screen) == [table] and not table.show_horizontal_scrollbar
        last = help_rows(OWNERS)[-1][2]
        assert last not in screen_text(app)  # 80x24 cannot show every row at once
        save_shot(app, "help-80x24")

        await pilot.press("pagedown")
        assert table.scroll_y > 0
        await pilot.press("home")
        assert table.scroll_y == 0 and table.cursor_row == 0
        await pilot.press("end")
        await pilot.pause()
        assert last in screen_text(app) and table.cursor_row == table.row_count - 1
        await pilot.press("up", "home", *["down"] * table.row_count)
        await pilot.pause()
        assert last in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()

        app.show(HelpScreen())  # no owners given: the app's own class and its screens
        await pilot.pause()
        fallback = help_rows([("everywhere", Host), *screen_owners()])
        assert app.screen.query_one(HelpTable).row_count == len(fallback)
        await pilot.press("f1")
        await pilot.pause()
    assert app.answers == [None, None]
