"""Paths a person types: ``~`` expanded, or the reason it cannot be, in words."""

from __future__ import annotations

from pathlib import Path


def expand_path(text: str) -> Path:
    """A typed path with ``~`` expanded; a ValueError in words when it cannot be (``~name``
    of a user who does not exist, no home folder known, a NUL character)."""
    if "\0" in text:
        raise ValueError("a path cannot hold a NUL character")
    path = Path(text)
    try:
        return path.expanduser()
    except RuntimeError:
        head = path.parts[0] if path.parts else text
        if head == "~":
            raise ValueError(
                "cannot tell which home folder ~ means here: type the whole path"
            ) from None
        raise ValueError(
            f"there is no user {head[1:]!r} here, so {head} means nothing: type the whole path"
        ) from None
