"""Text fit for a one-line message: a file name may hold a newline, an escape sequence,
bytes that are not UTF-8, or a megabyte of characters."""

from __future__ import annotations

import unicodedata
from typing import Final

#: Unicode categories that must not reach a one-line message as they are: control
#: characters (newline, escape...), lone surrogates (bytes of a file name that is not
#: UTF-8), line and paragraph separators, and format characters (bidirectional overrides).
_UNPRINTABLE: Final = frozenset({"Cc", "Cs", "Zl", "Zp", "Cf"})
#: Names longer than this are shortened in messages (a pickle may hold a 1 MB "name").
NAME_LIMIT: Final = 120


def one_line(text: object) -> str:
    """``text`` with control characters escaped as Python writes them (``\\n``, ``\\x1b``)
    and bytes of a non-UTF-8 file name as ``\\xe9``; never shortened."""
    value = str(text)
    return value if value.isprintable() else "".join(_escaped(char) for char in value)


def printable(text: object, limit: int = NAME_LIMIT) -> str:
    """:func:`one_line`, shortened to about ``limit`` characters with "..." in the middle
    (without escaping the whole of a huge one)."""
    value = str(text)
    if len(value) <= limit:
        return one_line(value)
    half = max(1, (limit - 3) // 2)
    head, tail = one_line(value[:half]), one_line(value[-half:])
    return f"{head[:half]}...{tail[-half:]}"


def _escaped(char: str) -> str:
    if unicodedata.category(char) not in _UNPRINTABLE:
        return char
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte
        return f"\\x{code - 0xDC00:02x}"
    return char.encode("unicode_escape").decode("ascii")
