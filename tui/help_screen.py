"""Every key of every screen, in one place (F1)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static


def key_rows(owners: list[tuple[str, Any]]) -> list[tuple[str, str, str]]:
    """(where, key, what) for every binding with a description, from the classes themselves."""
    merged: dict[tuple[str, str], list[str]] = {}
    for where, owner in owners:
        bindings: list[BindingType] = list(getattr(owner, "BINDINGS", []))
        for binding in bindings:
            if isinstance(binding, Binding) and binding.description:
                keys = ", ".join(_key_name(key) for key in binding.key.split(","))
                described = merged.setdefault((where, keys), [])
                if binding.description not in described:  # e.g. "Log" and "Linear" on l
                    described.append(binding.description)
    return [(where, keys, " / ".join(what)) for (where, keys), what in merged.items()]


def _key_name(key: str) -> str:
    return {"escape": "esc", "ctrl+q": "ctrl+q"}.get(key.strip(), key.strip())


class HelpScreen(ModalScreen[None]):
    """A table of the keys; esc or F1 closes it."""

    BINDINGS = [Binding("escape,f1,q", "close", "Close help", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 76; max-width: 100%; height: 90%; border: thick $accent;
        background: $surface; padding: 0 1; }
    HelpScreen DataTable { height: auto; }
    """

    def compose(self) -> ComposeResult:
        from .app import ImgbenchApp
        from .fetch_screen import FetchScreen
        from .progress_screen import ProgressScreen
        from .results_screen import ResultsScreen
        from .setup_screen import SetupScreen

        owners = [
            ("everywhere", ImgbenchApp),
            ("setup", SetupScreen),
            ("download", FetchScreen),
            ("progress", ProgressScreen),
            ("results", ResultsScreen),
        ]
        with VerticalScroll():
            yield Static("Keys (ctrl+p opens the command palette; esc closes this)")
            table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True)
            table.add_columns("screen", "key", "what it does")
            for row in key_rows(owners):
                table.add_row(*row)
            yield table

    def action_close(self) -> None:
        self.dismiss(None)
