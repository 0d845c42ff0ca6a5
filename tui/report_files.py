"""Where a report goes, and writing it without harming anything already there.

A report replaces an earlier imgbench report (of either format) or an empty file; any
other file only with ``force`` (the CLI's ``--force``). It never replaces the results
file it was made from, nor any imgbench results file, nor anything that is not a regular
file. The file is written beside its final name and renamed into place, so an
interrupted write leaves the old file whole.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from imgbench.core.chart_types import Document
from imgbench.core.errors import ImgbenchError
from imgbench.core.results import SCHEMA_NAME

from .report_figures import charts_available
from .report_html import HTML_MARK, html_report
from .report_markdown import MARKDOWN_MARK, markdown_report

__all__ = [
    "FORMATS",
    "ReportPathError",
    "check_report_path",
    "default_report_path",
    "format_for",
    "is_report",
    "report_text",
    "save_report_beside",
    "write_report",
]

FORMATS = ("md", "html")
SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}
#: How much of an existing file is read to tell what it is.
HEAD_BYTES = 4096
#: A JSON file up to this size is read whole to see whether it holds imgbench results.
JSON_BYTES = 64 * 2**20


class ReportPathError(ImgbenchError):
    """The report cannot or must not be written there; the message says why."""


def report_text(
    document: Document, fmt: str, *, source: str = "", priority: str | None = None
) -> str:
    """The report of ``document`` in ``fmt`` (md or html)."""
    write: Any = html_report if fmt == "html" else markdown_report
    text: str = write(document, source=source, priority=priority)
    return text


def save_report_beside(document: Document, results: Path, *, priority: str | None = None) -> Path:
    """Write the report beside its results file: HTML with charts, or Markdown when
    matplotlib is missing here (a page without its charts is no more than the Markdown).
    Returns where; raises ReportPathError when another kind of file is in the way."""
    fmt = "html" if charts_available() else "md"
    target = default_report_path(results, fmt)
    check_report_path(target, results=results)
    write_report(report_text(document, fmt, source=results.name, priority=priority), target)
    return target


def format_for(output: Path | None, asked: str | None) -> str:
    """The format asked for; else the one ``output``'s suffix names; else Markdown."""
    if asked is not None:
        return asked
    if output is not None:
        return SUFFIXES.get(output.suffix.lower(), "md")
    return "md"


def default_report_path(results: Path, fmt: str) -> Path:
    """``<results stem>-report.<html|md>`` beside the results file."""
    return results.with_name(f"{results.stem}-report.{fmt}")


def is_report(path: Path) -> bool:
    """Whether the regular file at ``path`` is a report imgbench wrote (either format)."""
    head = _head(path)
    return head is not None and (
        head.startswith(MARKDOWN_MARK.encode()) or HTML_MARK.encode() in head
    )


def check_report_path(path: Path, *, results: Path | None = None, force: bool = False) -> None:
    """Refuse, before anything is written, a place a report could not or should not go."""
    path = Path(path)
    if results is not None and _same_file(path, results):
        raise ReportPathError(path, "is the results file itself; give the report another name")
    if path.is_dir():
        raise ReportPathError(path, "is a folder; give a file name for the report")
    if path.exists() and not path.is_file():
        raise ReportPathError(path, "is not a regular file; give a file name for the report")
    folder = path.parent
    if not folder.is_dir():
        raise ReportPathError(path, f"the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ReportPathError(path, f"cannot write in the folder {folder} (permission denied)")
    if not path.exists():
        return
    head = _head(path)
    if head is None:
        raise ReportPathError(path, "exists and cannot be read to check what it is")
    if _is_results(path, head):
        raise ReportPathError(path, "is an imgbench results file; a report never replaces results")
    if not head.strip() or is_report(path) or force:
        return
    raise ReportPathError(
        path,
        "already exists and is not an imgbench report; choose another name "
        "(or --force replaces it)",
    )


def write_report(text: str, path: Path) -> None:
    """Write ``text`` to ``path`` through a temp file beside it and a rename."""
    path = Path(path)
    descriptor, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(temp, _mode_for(path))
        os.replace(temp, path)
    except BaseException as error:
        Path(temp).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ReportPathError(path, f"could not write: {error.strerror or error}") from error
        raise


def _mode_for(path: Path) -> int:
    """The existing file's permissions, else those a new file gets (0666 less the umask)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _head(path: Path) -> bytes | None:
    """The first bytes of a regular file (a FIFO or device is never opened)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        with path.open("rb") as handle:
            return handle.read(HEAD_BYTES)
    except OSError:
        return None


def _is_results(path: Path, head: bytes) -> bool:
    """Whether the file is JSON with imgbench's results schema (of any version)."""
    if not head.lstrip().startswith(b"{"):
        return False
    try:
        if path.stat().st_size > JSON_BYTES:
            return False  # larger than any results file imgbench reads
        document = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    schema = document.get("schema") if isinstance(document, dict) else None
    return isinstance(schema, str) and schema.startswith(f"{SCHEMA_NAME}/")


def _same_file(path: Path, other: Path) -> bool:
    try:
        return path.exists() and os.path.samefile(path, other)
    except OSError:
        return False
