"""The report as Markdown that pastes into a GitHub issue or pull request.

GitHub-flavoured tables with numbers right-aligned (``---:``), the best of a column in
bold, headings for each part, nothing but text: it reads as well in a terminal as
rendered. The first line is an HTML comment (invisible once rendered) that tells
``imgbench report`` the file is a report it may replace.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import replace

from imgbench.core.chart_types import Document

from .report_content import ReportContent, report_content
from .report_tables import Cell, PlainTable

__all__ = ["MARKDOWN_MARK", "markdown_report", "markdown_table"]

#: The first line of every Markdown report: how a report is told from other files.
MARKDOWN_MARK = "<!-- imgbench report"
#: Characters Markdown would read as markup in a table cell or a line of text.
#: Longer tables are folded, so the verdict and the summary stay in view.
FOLD_ROWS = 20
SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def markdown_report(doc: Document, *, source: str = "", priority: str | None = None) -> str:
    """The whole report of ``doc`` (read from ``source``, a file name) as Markdown."""
    content = report_content(doc, source=source, priority=priority)
    return "\n".join(_lines(content)).rstrip() + "\n"


def _lines(content: ReportContent) -> Iterable[str]:
    from_file = f" from {content.source}" if content.source else ""
    yield f"{MARKDOWN_MARK}{_comment_safe(from_file)}: written by imgbench report -->"
    yield f"# {escape(content.title)}"
    yield ""
    yield f"Status: **{escape(content.status)}**"
    yield ""
    for note in content.notes:
        yield f"> **note:** {escape(note)}"
        yield ""
    for error in content.errors:
        yield f"> **error:** {escape(error)}"
        yield ""
    yield "## Verdict"
    yield ""
    yield from _verdict(content)
    yield "## What ran where"
    yield ""
    for label, value in content.facts:
        yield f"- **{escape(label)}**: {escape(value)}"
    yield ""
    if content.environment:
        yield from _folded(
            "The machine in full",
            PlainTable("", ("machine", "value"), (False, False), _pairs(content.environment)),
        )
    if content.settings:
        yield from _folded(
            "Every setting",
            PlainTable("", ("setting", "value"), (False, False), _pairs(content.settings)),
        )
    yield "## Summary"
    yield ""
    for item in content.summary:
        if isinstance(item, PlainTable):
            yield from markdown_table(item, level=3)
        else:
            yield escape(item)
            yield ""
    yield "## Tables"
    yield ""
    for table in content.tables:
        if len(table.rows) > FOLD_ROWS:
            yield from _folded(f"{table.title} ({len(table.rows)} rows)", replace(table, title=""))
        else:
            yield from markdown_table(table, level=3)
    yield from _warnings(content)
    yield "---"
    yield ""
    yield "Made with imgbench: `imgbench report RESULTS.json`; `--format html` draws the charts."


def _folded(summary: str, table: PlainTable) -> Iterable[str]:
    """A table folded under a line that opens it (GitHub renders ``<details>``)."""
    yield f"<details><summary>{html.escape(summary)}</summary>"
    yield ""
    yield from markdown_table(table)
    yield "</details>"
    yield ""


def _verdict(content: ReportContent) -> Iterable[str]:
    for line in content.verdict:
        if line.strip():
            yield escape(line.strip())
            yield ""
    if content.verdict_table is not None:
        yield from markdown_table(content.verdict_table)


def _warnings(content: ReportContent) -> Iterable[str]:
    """Each kind of warning with its advice, then what each measurement showed; folded
    when long, under a line that names the kinds."""
    if not content.warnings:
        return
    yield "## Warnings"
    yield ""
    lines = []
    for group in content.warnings:
        advice = f" — {escape(group.advice)}" if group.advice else ""
        lines.append(f"- **{escape(group.title)}**{advice}")
        for labels, seen in group.seen:
            lines.append(f"  - {escape(labels)}" + (f": {escape(seen)}" if seen else ""))
    kinds = ", ".join(group.title for group in content.warnings)
    folded = len(lines) > FOLD_ROWS
    if folded:
        yield f"<details><summary>{html.escape(f'Measurements marked ! in the tables: {kinds}')}"
        yield "</summary>"
    else:
        yield "Measurements marked ! in the tables:"
    yield ""
    yield from lines
    yield ""
    if folded:
        yield "</details>"
        yield ""


def markdown_table(table: PlainTable, *, level: int = 0) -> Iterable[str]:
    """A GFM table under its title (a heading of ``level``, or bold text at 0); numbers
    right-aligned, the best of a column in bold, the caption below in italics."""
    if table.title:
        title = escape(table.title.replace("in green", "in bold"))
        yield f"{'#' * level} {title}" if level else f"**{title}**"
        yield ""
    yield "| " + " | ".join(escape(header) or " " for header in table.headers) + " |"
    yield "|" + "|".join("---:" if numeric else ":---" for numeric in table.numeric) + "|"
    for row in table.rows:
        yield "| " + " | ".join(_cell(cell) for cell in row) + " |"
    yield ""
    if table.caption:
        yield f"_{escape(table.caption)}_"
        yield ""


def _cell(cell: Cell) -> str:
    text = escape(cell.text)
    return f"**{text}**" if (cell.strong or cell.alert) and text.strip() else text


def _pairs(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[Cell, ...], ...]:
    return tuple((Cell(key), Cell(value)) for key, value in pairs)


def escape(text: str) -> str:
    """``text`` with every character Markdown would read as markup escaped."""
    return SPECIAL.sub(r"\\\1", " ".join(text.split("\n")))


def _comment_safe(text: str) -> str:
    return text.replace("--", "- -")
