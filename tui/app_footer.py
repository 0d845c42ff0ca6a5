"""The footer every screen shows: the same keys, drawn the same way, fitting 80 columns.

Below ``WIDE_FOOTER`` columns the keys drop their padding (Textual's compact footer), so
a screen's keys, Quit and Help fit an 80-column terminal; wider, they breathe.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Footer

#: Below this many columns the footer drops its padding, so every key fits in 80.
WIDE_FOOTER = 100


class AppFooter(Footer):
    """Textual's footer, compact below ``WIDE_FOOTER`` columns, on every screen."""

    def on_mount(self) -> None:
        self.compact = self.app.size.width < WIDE_FOOTER

    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < WIDE_FOOTER
