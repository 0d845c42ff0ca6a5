"""Waiting for an app under Textual's pilot to get somewhere, with a deadline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


async def wait_for(pilot: Any, condition: Callable[[], object], seconds: float = 60) -> None:
    """Pause in small steps until ``condition()`` holds; fail after ``seconds``."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app never got there")
