"""The Table tab: every measurement in a table, and below it the warnings of the row
under the cursor, in words (tooltips do not reach a terminal over SSH)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import JustifyMethod
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Static

from imgbench.core.chart_table import TABLE_COLUMNS, TABLE_NUMERIC_COLUMNS
from imgbench.core.chart_types import Document

from .measurement_tables import (
    COMPACT_COLUMNS,
    WARNING_MARK,
    TableLine,
    styled_cell,
    table_lines,
)
from .warnings_text import warning_text


class RowWarnings(Static):
    """The warnings of the measurement under the table's cursor (hidden when none has any)."""

    DEFAULT_CSS = """
    RowWarnings {
        height: auto;
        max-height: 6;
        padding: 0 1;
        border-top: solid $warning;
    }
    """


class MeasurementsView(Vertical):
    """Every column when wide; when compact (below ``measurement_tables.WIDE_TABLE`` columns) no k,
    min or stdev. A ``!`` after the backend marks a measurement with warnings."""

    DEFAULT_CSS = """
    MeasurementsView { height: 1fr; }
    MeasurementsView > DataTable { height: 1fr; }
    """

    def __init__(self, document: Document, *, compact: bool, id: str | None = None) -> None:
        super().__init__(id=id)
        self.document = document
        self.compact = compact
        self.lines: list[TableLine] = table_lines(document)

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(id="measurements", cursor_type="row", zebra_stripes=True)
        self._fill(table)
        yield table
        box = RowWarnings(row_warnings_content(self.lines, 0), id="row-warnings")
        box.display = any(line.warnings for line in self.lines)
        yield box

    def set_compact(self, compact: bool) -> None:
        """Refill the table for another width class; nothing to do when it is the same."""
        if compact == self.compact:
            return
        self.compact = compact
        table: DataTable[Text] = self.query_one("#measurements", DataTable)
        self._fill(table)
        self._show_row_warnings(table.cursor_row)

    def _fill(self, table: DataTable[Text]) -> None:
        shown = COMPACT_COLUMNS if self.compact else TABLE_COLUMNS
        table.clear(columns=True)
        for column in shown:
            justify: JustifyMethod = "right" if column in TABLE_NUMERIC_COLUMNS else "left"
            table.add_column(Text(column, justify=justify), key=column)
        for line in self.lines:
            values = line.shown(shown, compact=self.compact)
            table.add_row(
                *(measurement_cell(v, c, line) for v, c in zip(values, shown, strict=True))
            )
        if not self.lines:
            table.add_row(Text("no measurements"), *[Text("")] * (len(shown) - 1))

    def _show_row_warnings(self, index: int) -> None:
        for box in self.query("#row-warnings").results(RowWarnings):
            box.display = any(line.warnings for line in self.lines)
            box.update(row_warnings_content(self.lines, index))

    @on(DataTable.RowHighlighted, "#measurements")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_row_warnings(event.cursor_row)


def measurement_cell(value: str, column: str, line: TableLine) -> Text:
    cell = styled_cell(value, column, line)
    cell.justify = "right" if column in TABLE_NUMERIC_COLUMNS else "left"
    return cell


def row_warnings_content(lines: Sequence[TableLine], index: int) -> Content:
    """Below the table: the warnings of the measurement under the cursor, in words, or
    where to find them. Works without tooltips (none over SSH) and at 80x24."""
    if 0 <= index < len(lines) and lines[index].warnings:
        line = lines[index]
        words = [
            Content.assemble((f"{line.label}: ", "bold"), warning_text(w)) for w in line.warnings
        ]
        return Content("\n").join(words)
    marked = sum(1 for line in lines if line.warnings)
    many = "measurement carries" if marked == 1 else "measurements carry"
    return Content.assemble(
        (f"{marked} {many} warnings, marked {WARNING_MARK} after the backend", "$warning"),
        ": move the cursor to one to read why and what to do",
    )
