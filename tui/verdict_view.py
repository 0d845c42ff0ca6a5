"""The Verdict tab: the answer the tool exists for, first on the results screen.

It shows :func:`imgbench.core.verdict.verdict_of` in words and a per-need table, and
lets the reader try another priority (``p``) without running again: the figures are the
same, only the rule that weighs them changes.
"""

from __future__ import annotations

from typing import Any

from textual.containers import VerticalScroll
from textual.widgets import Static

from imgbench.core.verdict import PRIORITIES, verdict_of

from .verdict_text import PRIORITY_WORDS, verdict_renderable


def next_priority(priority: str) -> str:
    """The priority after ``priority`` in :data:`PRIORITIES`, round again after the last."""
    index = PRIORITIES.index(priority) if priority in PRIORITIES else -1
    return PRIORITIES[(index + 1) % len(PRIORITIES)]


def priority_hint(priority: str) -> str:
    """The line under the verdict: the priority in use and how to change it."""
    words = PRIORITY_WORDS.get(priority, priority)
    return f"priority: {words} · p tries the next one · r saves a report to share"


class VerdictView(VerticalScroll):
    """The verdict of one results document, for the priority chosen (the run's own first)."""

    def __init__(self, document: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.document = document
        self.priority = verdict_of(document).priority

    def compose(self) -> Any:
        yield Static(self._verdict(), id="verdict-text")
        yield Static(priority_hint(self.priority), id="verdict-priority", markup=False)

    def cycle_priority(self) -> str:
        """Weigh the same figures by the next priority; returns it."""
        self.priority = next_priority(self.priority)
        self.query_one("#verdict-text", Static).update(self._verdict())
        self.query_one("#verdict-priority", Static).update(priority_hint(self.priority))
        return self.priority

    def _verdict(self) -> Any:
        return verdict_renderable(verdict_of(self.document, self.priority), heading=False)
