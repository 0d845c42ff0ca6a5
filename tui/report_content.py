"""What a shared report says, in the order it says it, whatever it is written as.

:func:`report_content` gathers it once from a results document: the verdict, the data
and the machine, the settings, the summary, every table and every warning, as plain
text and :class:`~.report_tables.PlainTable` s taken from the terminal's own views
(``imgbench show``), so the Markdown and HTML reports never disagree with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from imgbench.core.chart_types import Chart, Document
from imgbench.core.chart_words import format_bytes
from imgbench.core.verdict import verdict_of

from .comparison_text import short_value
from .document_text import charts_to_show
from .document_words import (
    created_text,
    describe_dataset,
    describe_environment,
    describe_settings,
)
from .epoch_summary import epoch_table
from .measurement_tables import (
    WarningGroup,
    measurement_table,
    render_summary,
    warning_groups,
)
from .report_tables import PlainTable, plain_table, printed, text_of
from .stores_table import stores_table
from .verdict_text import verdict_lines, verdict_table

__all__ = ["ReportContent", "report_content"]

#: Wide enough for every column of the measurements table.
TABLE_WIDTH = 200


@dataclass(frozen=True)
class ReportContent:
    """Everything a report shows. ``summary`` holds the summary tables, and the lines
    printed between them (the source's size for comparison); ``tables`` the rest."""

    title: str
    status: str
    source: str
    verdict: tuple[str, ...]
    verdict_table: PlainTable | None
    facts: tuple[tuple[str, str], ...]
    environment: tuple[tuple[str, str], ...]
    settings: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    errors: tuple[str, ...]
    summary: tuple[PlainTable | str, ...]
    tables: tuple[PlainTable, ...]
    warnings: tuple[WarningGroup, ...]
    charts: tuple[Chart, ...]


def report_content(
    doc: Document, *, source: str = "", priority: str | None = None
) -> ReportContent:
    """The report of ``doc`` (read from the file named ``source``), its verdict
    following ``priority`` (None: the one the run was made with)."""
    tool = _mapping(doc.get("tool"))
    name = f"{tool.get('name', 'imgbench')} {tool.get('version', '')}".strip()
    verdict = verdict_of(doc, priority=priority)
    table = verdict_table(verdict)
    summary = _summary(doc)
    return ReportContent(
        title=f"{name} results of {created_text(doc.get('created'))}",
        status=str(doc.get("status", "unknown")),
        source=source,
        verdict=tuple(verdict_lines(verdict)),
        verdict_table=plain_table(table) if verdict.needs else None,
        facts=(
            ("data", describe_dataset(_mapping(doc.get("dataset")))),
            ("machine", describe_environment(_mapping(doc.get("environment")))),
            ("settings", describe_settings(_mapping(doc.get("settings")))),
        ),
        environment=environment_rows(_mapping(doc.get("environment"))),
        settings=tuple(
            (str(key), short_value(value)) for key, value in _mapping(doc.get("settings")).items()
        ),
        notes=tuple(str(note) for note in _list(doc.get("notes"))),
        errors=tuple(_error_text(error) for error in _list(doc.get("errors"))),
        summary=summary,
        tables=_tables(doc, summary),
        warnings=tuple(warning_groups(doc)),
        charts=tuple(charts_to_show(doc, None)),
    )


def environment_rows(environment: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The machine, one fact a row: Python, OS, CPU, cores, memory, file system, then the
    version of every package and library the results depend on."""
    rows: list[tuple[str, str]] = []
    python = " ".join(
        str(environment[key]) for key in ("python_implementation", "python") if environment.get(key)
    )
    if python:
        rows.append(("Python", python))
    for key, label in (("os", "OS"), ("machine", "architecture"), ("cpu", "CPU")):
        if environment.get(key):
            rows.append((label, str(environment[key])))
    cores, usable = environment.get("cores"), environment.get("cores_available")
    if isinstance(cores, int):
        shown = str(cores) + (f" ({usable} usable)" if isinstance(usable, int) else "")
        rows.append(("cores", shown))
    if isinstance(environment.get("memory_bytes"), int):
        rows.append(("memory", format_bytes(environment["memory_bytes"])))
    if environment.get("workdir_filesystem"):
        rows.append(("work dir file system", str(environment["workdir_filesystem"])))
    for package, version in _mapping(environment.get("packages")).items():
        rows.append((str(package), str(version)))
    for key, value in environment.items():
        if key.startswith("lib") and isinstance(value, str):
            rows.append((key, value))
    return tuple(rows)


def _summary(doc: Document) -> tuple[PlainTable | str, ...]:
    shown: list[PlainTable | str] = []
    for item in printed(lambda console: render_summary(doc, console)):
        if isinstance(item, Table):
            shown.append(plain_table(item))
        elif text_of(item):
            shown.append(text_of(item))
    return tuple(shown)


def _tables(doc: Document, summary: tuple[PlainTable | str, ...]) -> tuple[PlainTable, ...]:
    """The stores and every measurement; the training read's too, unless the summary
    already holds it."""
    tables = [stores_table(doc), measurement_table(doc, width=TABLE_WIDTH)]
    loader = epoch_table(doc)
    summarized = {item.title for item in summary if isinstance(item, PlainTable)}
    if loader is not None and plain_table(loader).title not in summarized:
        tables.insert(0, loader)
    return tuple(plain_table(table) for table in tables if table is not None)


def _error_text(error: Any) -> str:
    error = _mapping(error)
    return f"{error.get('task', 'run')}: {error.get('message', '')}"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
