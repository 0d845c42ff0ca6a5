"""Typed values read from text: one parser per kind of value, shared by the CLI's argparse
types and the setup form, so both accept the same spellings and refuse with the same words.

Each parser raises ``ValueError`` with a one-line reason a person can act on; the CLI
wraps it as ``argparse.ArgumentTypeError`` (``argument_type``), the form shows it beside
the field.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import TypeVar

from .paths import expand_path

T = TypeVar("T")

SYNTHETIC = "synthetic"


def parse_whole(text: str, minimum: int) -> int:
    """A whole number, with optional thousands separators: "100,000"."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not re.fullmatch(r"[-+]?\d+", cleaned):
        raise ValueError(f"expected a whole number, got {text.strip()!r}")
    value = int(cleaned)
    if value < minimum:
        raise ValueError(f"must be at least {minimum}")
    return value


def parse_positive(text: str) -> int:
    """A whole number of at least 1: counts, sizes, repeats."""
    return parse_whole(text, 1)


def parse_count(text: str) -> int | None:
    """Empty means "the largest cutoff", as RunSettings does."""
    return parse_whole(text, 1) if text.strip() else None


def parse_optional_whole(text: str, minimum: int, maximum: int | None = None) -> int | None:
    """Empty means the backend's own default."""
    if not text.strip():
        return None
    value = parse_whole(text, minimum)
    if maximum is not None and value > maximum:
        raise ValueError(f"must be at most {maximum}")
    return value


def parse_compress_level(text: str) -> int | None:
    """A zlib level 0-9; empty: Pillow's default."""
    try:
        return parse_optional_whole(text, 0, 9)
    except ValueError:
        raise ValueError("a zlib level from 0 to 9, or empty for Pillow's default") from None


def parse_numbers(text: str) -> tuple[int, ...]:
    """Whole numbers of at least 1, ascending and each once: "10,100,1000" (commas or
    spaces between them, so "100,000" is two numbers and refused for its 0)."""
    parts = [part.replace("_", "") for part in re.split(r"[,\s]+", text.strip()) if part]
    if not parts or not all(part.isdigit() for part in parts):
        raise ValueError("expected whole numbers separated by commas, e.g. 10,100,1000")
    values = sorted({int(part) for part in parts})
    if values[0] < 1:
        raise ValueError("every number must be at least 1 (write 100000, not 100,000)")
    return tuple(values)


def parse_default(default: int, text: str) -> int:
    """A whole number of at least 1; empty: the default."""
    return default if not text.strip() else parse_whole(text, minimum=1)


def parse_loader_workers(text: str) -> tuple[int, ...]:
    """Worker counts an epoch sweeps, "1,2,4"; empty: 1, 2 and every core."""
    if not text.strip():
        return ()
    try:
        return parse_numbers(text)
    except ValueError:
        raise ValueError("expected worker counts separated by commas, e.g. 1,2,4") from None


def parse_wxh(text: str) -> tuple[int, int]:
    """ "64x48" -> (width 64, height 48); one number is a square."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:[xX\u00d7*]\s*(\d+)\s*)?", text)
    if match is None:
        raise ValueError(f"expected width x height such as 64x64, got {text.strip()!r}")
    width = int(match.group(1))
    height = int(match.group(2) or width)
    if width < 1 or height < 1:
        raise ValueError("each side must be at least 1 pixel")
    return width, height


def parse_optional_wxh(text: str) -> tuple[int, int] | None:
    """Empty: images keep their own sizes; else (width, height)."""
    return parse_wxh(text) if text.strip() else None


def parse_data(text: str) -> str:
    """ "synthetic" or the path as the engine wants it (with ~ expanded)."""
    cleaned = text.strip()
    if not cleaned:
        raise ValueError(
            "type synthetic, or the path of a CIFAR folder or .tar.gz archive, "
            "or of a folder of images"
        )
    if cleaned.lower() == SYNTHETIC:
        return SYNTHETIC
    return str(expand_path(cleaned))


def parse_optional_path(text: str) -> str | None:
    """Empty means the default (the system temp dir for a work dir); ~ expanded."""
    return str(expand_path(text.strip())) if text.strip() else None


def argument_type(parse: Callable[[str], T], name: str | None = None) -> Callable[[str], T]:
    """``parse`` as an argparse ``type=``: its reason becomes argparse's message."""

    def read(text: str) -> T:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    read.__name__ = name or parse.__name__.removeprefix("parse_")
    return read
