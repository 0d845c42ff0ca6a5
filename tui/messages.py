"""App-level messages: what the run's relay thread tells the UI."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class RunEventsArrived(Message):
    """A batch of engine events (one per poll, a few a second: never one per image)."""

    def __init__(self, events: list[Any]) -> None:
        self.events = events
        super().__init__()


class RunEnded(Message):
    """The run is over; ``document`` holds everything measured, whatever the status."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        super().__init__()
