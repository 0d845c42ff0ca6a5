"""A run in words: the results screen's header (status, data set, file, the first notes)
and its Run tab (everything about each run, in full)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from textual.content import Content

from imgbench.core.chart_types import Document

from .document_words import (
    created_text,
    describe_dataset,
    describe_environment,
    describe_settings,
)

STATUS_STYLES = {
    "complete": "bold $success",
    "cancelled": "bold $warning",
    "interrupted": "bold $warning",
    "failed": "bold $error",
}
#: Lines for notes and errors in the header at most; the Run tab lists them all.
HEADER_MESSAGES = 2
#: (document, its file or None) for each run shown: one, or A and B.
Side = tuple[Document, Path | None]


def header_content(document: Document, path: Path | None) -> Content:
    """Status, data set and date; the file; then the notes and errors that fit."""
    lines = [
        Content.assemble(
            status_content(document.get("status")),
            f" · {dataset_text(document)} · {created_text(document.get('created'))}",
        ),
        Content.assemble(("file: ", "dim"), file_text(path)),
    ]
    messages = messages_of(document)
    if len(messages) <= HEADER_MESSAGES:
        lines += [message_content(kind, text) for kind, text in messages]
    else:
        shown = HEADER_MESSAGES - 1
        lines += [message_content(kind, text) for kind, text in messages[:shown]]
        more = f"… {len(messages) - shown} more notes and errors in the Run tab"
        lines.append(Content.assemble((more, "dim")))
    return Content("\n").join(lines)


def run_details(sides: list[Side]) -> Content:
    """Everything about each run, in full: the header only has room for one line each."""
    prefixes = ["A ", "B "] if len(sides) > 1 else [""]
    lines: list[Content] = []
    for prefix, (document, path) in zip(prefixes, sides, strict=False):
        lines += details_of(prefix, document, path)
        lines.append(Content(""))
    return Content("\n").join(lines[:-1])


def details_of(prefix: str, doc: Document, path: Path | None) -> list[Content]:
    def line(label: str, value: str | Content) -> Content:
        return Content.assemble((f"{prefix}{label}: ", "bold"), value)

    lines = [
        line("status", status_content(doc.get("status"))),
        line("made", created_text(doc.get("created"))),
        line("file", str(path) if path is not None else "not saved"),
        line("data", describe_dataset(mapping(doc.get("dataset")))),
        line("settings", describe_settings(mapping(doc.get("settings")))),
        line("machine", describe_environment(mapping(doc.get("environment")))),
    ]
    lines += [message_content(kind, text) for kind, text in messages_of(doc)]
    return lines


def status_content(status: Any) -> Content:
    text = str(status) if status else "unknown status"
    return Content.assemble((text, STATUS_STYLES.get(text, "bold")))


def dataset_text(document: Document) -> str:
    """Source, count and image shape: "synthetic · 1,000 images of 32x32x3"."""
    dataset = mapping(document.get("dataset"))
    if not dataset:
        return "data set not recorded"
    count, shape = dataset.get("count"), dataset.get("shape")
    size = f"{count:,} images" if isinstance(count, int) else "images"
    if isinstance(shape, list) and shape:
        size += " of " + "x".join(str(side) for side in shape)
    return f"{dataset.get('source', 'unknown source')} · {size}"


def file_text(path: Path | None) -> str:
    """The file name first, then its folder, so a long folder never hides the name."""
    if path is None:
        return "not saved (s saves it)"
    return f"{path.name} in {path.parent}"


def messages_of(document: Document) -> list[tuple[str, str]]:
    """("error" or "note", text) for every error and note; errors first, they matter more."""
    found = []
    errors = document.get("errors")
    for error in errors if isinstance(errors, list) else []:
        error = mapping(error)
        found.append(("error", f"{error.get('task', 'run')}: {error.get('message', '')}"))
    notes = document.get("notes")
    found += [("note", str(note)) for note in notes] if isinstance(notes, list) else []
    return found


def message_content(kind: str, text: str) -> Content:
    style = "$error" if kind == "error" else "$warning"
    return Content.assemble((f"{kind}: ", "dim"), (text, style))


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
