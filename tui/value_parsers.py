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

from imgbench.core.backends.names import missing_library, parse_store

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
        raise ValueError(f"must be at least {minimum}, not {value:,}")
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
        raise ValueError(f"a zlib level from 0 to 9, not {text.strip()!r}") from None


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


def parse_seconds(text: str) -> float:
    """A time in seconds above 0: "0.5", "2" (a sampling budget)."""
    cleaned = text.strip().replace("_", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(
            f"expected a number of seconds such as 0.5, got {text.strip()!r}"
        ) from None
    if not 0 < value < float("inf"):
        raise ValueError(f"must be a number of seconds above 0, got {text.strip()}")
    return value


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


def parse_image_size(text: str) -> tuple[int, int]:
    """Width x height typed, as RunSettings.image_size keeps it: (height, width)."""
    width, height = parse_wxh(text)
    return height, width


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


def parse_stores(text: str) -> tuple[str, ...]:
    """A typed list of stores (commas or spaces between them), each in its one spelling and
    named once; ValueError naming the first that means nothing. Empty means no store."""
    stores: list[str] = []
    for part in re.split(r"[,\s]+", text.strip()):
        if part:
            name = parse_store(part).canonical
            if name not in stores:
                stores.append(name)
    return tuple(stores)


def parse_usable_stores(text: str) -> tuple[str, ...]:
    """:func:`parse_stores`, at least one, and each one's library installed here (else the
    reason, with the install line): what a run can be given."""
    stores = parse_stores(text)
    if not stores:
        raise ValueError("no store named; name at least one, e.g. png,lmdb")
    for store in stores:
        missing = missing_library(parse_store(store).container)
        if missing:
            raise ValueError(missing)
    return stores


def names_parser(allowed: tuple[str, ...], noun: str) -> Callable[[str], tuple[str, ...]]:
    """A parser of a typed list of ``allowed`` names (commas or spaces between them), each
    kept once in the order typed; ValueError naming the unknown ones and the choices."""

    def parse(text: str) -> tuple[str, ...]:
        names = tuple(dict.fromkeys(part for part in re.split(r"[,\s]+", text.strip()) if part))
        unknown = [name for name in names if name not in allowed]
        if unknown or not names:
            what = f"unknown {noun} {', '.join(unknown)}" if unknown else f"no {noun} named"
            raise ValueError(f"{what}; choose from {', '.join(allowed)}")
        return names

    parse.__name__ = f"parse_{noun.replace(' ', '_')}s"
    return parse


def argument_type(parse: Callable[[str], T], name: str | None = None) -> Callable[[str], T]:
    """``parse`` as an argparse ``type=``: its reason becomes argparse's message."""

    def read(text: str) -> T:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    read.__name__ = name or parse.__name__.removeprefix("parse_")
    return read
