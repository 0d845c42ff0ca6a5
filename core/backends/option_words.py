"""How a backend option's bad value is quoted in a one-line message."""

from __future__ import annotations

from typing import Any


def is_whole(value: Any) -> bool:
    """An int that is not a bool (JSON and argparse give both)."""
    return isinstance(value, int) and not isinstance(value, bool)


def shown(value: Any) -> str:
    """A value as a message quotes it: numbers with separators, anything else short."""
    if is_whole(value):
        return f"{value:,}"
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."
