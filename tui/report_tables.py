"""The terminal's rich tables as plain data, for the reports written to files.

The Markdown and HTML reports show the very tables ``imgbench show`` prints (same
columns, same numbers, same words): this module reads a :class:`rich.table.Table`
back into a :class:`PlainTable` of strings, with the alignment of each column and the
emphasis of each cell (the fastest in bold, a failed check as an alert), so each
writer only decides the markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from io import StringIO
from typing import Any

from rich.console import Console, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

__all__ = ["Cell", "PlainTable", "plain_table", "printed", "text_of"]


@dataclass(frozen=True)
class Cell:
    """One cell's text; ``strong`` for what the terminal shows in bold (the best of a
    column), ``alert`` for what it shows in red (a failed check)."""

    text: str
    strong: bool = False
    alert: bool = False


@dataclass(frozen=True)
class PlainTable:
    """A table as text: headings, which columns hold numbers (right-aligned), rows."""

    title: str
    headers: tuple[str, ...]
    numeric: tuple[bool, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""
    #: Indexes of rows after which the terminal draws a rule (a new backend starts).
    sections: frozenset[int] = field(default_factory=frozenset)


def plain_table(table: Table) -> PlainTable:
    """The table's title, headings, rows and caption as text; a heading's line breaks
    become spaces ("epoch 1\\n2 workers" -> "epoch 1 2 workers")."""
    columns = table.columns
    cells = [[_cell(cell) for cell in column.cells] for column in columns]
    count = max((len(column) for column in cells), default=0)
    rows = tuple(
        tuple(column[index] if index < len(column) else Cell("") for column in cells)
        for index in range(count)
    )
    sections = frozenset(index for index, row in enumerate(table.rows) if row.end_section)
    return PlainTable(
        title=_plain(table.title),
        headers=tuple(" ".join(_plain(column.header).split()) for column in columns),
        numeric=tuple(column.justify == "right" for column in columns),
        rows=rows,
        caption=" ".join(_plain(table.caption).split()),
        sections=sections,
    )


def printed(render: Callable[[Console], Any]) -> list[RenderableType]:
    """What ``render(console)`` prints, as the objects it passes to ``console.print``
    (tables stay tables), so a report reuses a terminal view without its drawing."""
    collector = _Collector(file=StringIO(), width=200)
    render(collector)
    return collector.items


def text_of(item: RenderableType) -> str:
    """The words of a printed string (rich markup removed) or ``Text``."""
    return _plain(item) if isinstance(item, (str, Text)) else ""


class _Collector(Console):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.items: list[RenderableType] = []

    def print(self, *objects: Any, **options: Any) -> None:
        self.items.extend(objects)


def _cell(value: Any) -> Cell:
    if isinstance(value, Text):
        style = _style_words(value.style)
        return Cell(value.plain, strong="bold" in style, alert="red" in style)
    return Cell(_plain(value))


def _style_words(style: str | Style) -> set[str]:
    return set(str(style).split())


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Text):
        return value.plain
    if isinstance(value, str):
        return Text.from_markup(value).plain
    return str(value)
