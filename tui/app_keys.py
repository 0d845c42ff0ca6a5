"""The app's own keys, bound again on the screens that hide them.

A modal screen (help, the download) answers and shows only its own bindings, so ctrl+q
and F1 would do nothing there and be missing from its footer. Such a screen lists these
in its BINDINGS; they call the app's actions, and the help table, which lists them once
under "everywhere", leaves them out of the screen's own rows.
"""

from __future__ import annotations

from textual.binding import Binding

QUIT = Binding("ctrl+q", "app.quit", "Quit", id="modal.quit")
HELP = Binding("f1", "app.help", "Help", id="modal.help")


def is_app_key(binding: Binding) -> bool:
    """Whether a screen's binding is the app's own key bound again (listed once)."""
    return binding.action.startswith("app.")
