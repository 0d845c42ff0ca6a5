"""Every key of every screen, in one place (F1).

The rows come from the screens' own bindings, so the help cannot drift from the keys;
the keys read as a person types them (``]``, ``→``, ``ctrl+q``), not as Textual names
them (``right_square_bracket``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.keys import format_key
from textual.screen import ModalScreen
from textual.widgets import DataTable

from .app_footer import AppFooter
from .app_keys import QUIT, is_app_key
from .dialogs import words

Owners = Sequence[tuple[str, Any]]  # (where, the class whose BINDINGS are listed)

#: Names a person knows better than Textual's symbols for them.
KEY_WORDS = {"enter": "enter", "backspace": "backspace", "delete": "delete"}

#: Keys Textual itself gives every screen (not in any of our BINDINGS).
TEXTUAL_ROWS = [
    ("tab, shift+tab", "Next / previous field or list"),
    (App.COMMAND_PALETTE_BINDING, "Command palette: every action by name"),
]


def key_display(key: str) -> str:
    """``ctrl+q``, ``]``, ``→``, ``esc``: a bound key as it is typed."""
    *modifiers, name = key.strip().split("+")
    return "+".join([*modifiers, KEY_WORDS.get(name) or format_key(name)])


def binding_keys(binding: Binding) -> list[str]:
    """The keys of one binding as shown: its own ``key_display`` when it has one."""
    if binding.key_display:
        return [binding.key_display]
    return [key_display(key) for key in binding.key.split(",")]


def owner_rows(owner: Any) -> list[tuple[str, str]]:
    """(keys, what) for one class: the keys of one action together (``], →``), and the
    actions of one key together (``l``: "Log / Linear")."""
    by_action: dict[str, tuple[list[str], list[str]]] = {}
    for binding in getattr(owner, "BINDINGS", []):
        if not isinstance(binding, Binding) or is_app_key(binding):
            continue
        keys, what = by_action.setdefault(binding.action, ([], []))
        keys.extend(k for k in binding_keys(binding) if k not in keys)
        if binding.description and binding.description not in what:
            what.append(binding.description)
    by_keys: dict[str, list[str]] = {}
    for keys, what in by_action.values():
        if what:  # a binding without words is a second key of a described one, or hidden
            described = by_keys.setdefault(", ".join(keys), [])
            described.extend(w for w in what if w not in described)
    return [(keys, " / ".join(what)) for keys, what in by_keys.items()]


def key_rows(owners: Owners) -> list[tuple[str, str, str]]:
    """(where, key, what) for every described binding of every owner, in their order."""
    return [(where, keys, what) for where, owner in owners for keys, what in owner_rows(owner)]


def help_rows(owners: Owners) -> list[tuple[str, str, str]]:
    """The rows of the help: the owners' keys, and Textual's own with the first owner's
    ("everywhere"), as they work on every screen."""
    rows = key_rows(owners)
    if not owners:
        return rows
    first = owners[0][0]
    after = sum(1 for where, _, _ in rows if where == first)
    return [*rows[:after], *((first, keys, what) for keys, what in TEXTUAL_ROWS), *rows[after:]]


def screen_owners() -> Owners:
    """The app's screens, imported when asked (they import much; help is rarely opened)."""
    from .fetch_screen import FetchScreen
    from .progress_screen import ProgressScreen
    from .results_screen import ResultsScreen
    from .setup_screen import SetupScreen

    return [
        ("setup", SetupScreen),
        ("download", FetchScreen),
        ("progress", ProgressScreen),
        ("results", ResultsScreen),
    ]


class HelpTable(DataTable[str]):
    """The one scrolling part: home and end go to the first and last row, as in a list."""

    BINDINGS = [
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]


class HelpScreen(ModalScreen[None]):
    """A table of the keys; esc, F1 or q closes it.

    ``owners`` lists (where, class) pairs whose bindings are shown, the app's first;
    without it, the running app's class and its screens are used.
    """

    BINDINGS = [
        # f1 first: the footer shows a binding's first key
        Binding("f1,escape,q", "close", "Close help", id="help.close"),
        QUIT,
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 76; max-width: 100%; height: 90%; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1; }
    HelpScreen #help-keys { color: $text-muted; }
    HelpScreen HelpTable { height: 1fr; }
    """

    def __init__(self, owners: Owners | None = None) -> None:
        super().__init__()
        self.owners = owners

    def compose(self) -> ComposeResult:
        owners = self.owners or [("everywhere", type(self.app)), *screen_owners()]
        with Vertical():
            yield words(
                "Keys of every screen · ↑ ↓ pgup pgdn home end: scroll · esc: close",
                id="help-keys",
            )
            table = HelpTable(cursor_type="row", zebra_stripes=True)
            table.add_columns("screen", "key", "what it does")
            table.add_rows(help_rows(owners))
            yield table
        yield AppFooter()

    def on_mount(self) -> None:
        self.query_one(HelpTable).focus()

    def action_close(self) -> None:
        self.dismiss(None)
