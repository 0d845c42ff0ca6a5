"""A results document's header in words: tool, time and status, then the data, the
settings and the machine each in one line.

The CLI prints these lines and the results screen and the reports reuse them, so a run
is described alike wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.text import Text

from imgbench.core.chart_types import Document
from imgbench.core.chart_words import format_bytes, format_count

__all__ = [
    "SHA_SHOWN",
    "created_text",
    "describe_dataset",
    "describe_environment",
    "describe_settings",
    "describe_size",
    "mapping",
    "render_header",
]

STATUS_STYLES = {
    "complete": "bold green",
    "cancelled": "bold yellow",
    "interrupted": "bold yellow",
    "failed": "bold red",
}
SHA_SHOWN = 12


def render_header(doc: Document, console: Console) -> None:
    """Tool, time and status; the data; the settings; the machine; notes and errors."""
    tool = mapping(doc.get("tool"))
    status = str(doc.get("status", "unknown"))
    title = Text.assemble(
        (f"{tool.get('name', 'imgbench')} {tool.get('version', '')}".strip(), "bold"),
        f" · results of {created_text(doc.get('created'))} · ",
        (status, STATUS_STYLES.get(status, "bold")),
    )
    console.print(title)
    console.print(_line("data", describe_dataset(mapping(doc.get("dataset")))))
    console.print(_line("settings", describe_settings(mapping(doc.get("settings")))))
    console.print(_line("machine", describe_environment(mapping(doc.get("environment")))))
    for note in _strings(doc.get("notes")):
        console.print(_line("note", note, style="yellow"))
    for error in doc.get("errors") or []:
        error = mapping(error)
        message = f"{error.get('task', 'run')}: {error.get('message', '')}"
        console.print(_line("error", message, style="red"))


def _line(label: str, value: str, style: str = "") -> Text:
    return Text.assemble((f"{label}: ", "dim"), (value, style))


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def describe_dataset(dataset: Mapping[str, Any]) -> str:
    """Source, size and identity of the data in one line, the sha256 shortened."""
    if not dataset:
        return "not recorded"
    parts = [str(dataset.get("source", "unknown source"))]
    if dataset.get("path"):
        parts[0] += f" at {dataset['path']}"
    parts.append(describe_size(dataset))
    sha = dataset.get("sha256")
    if isinstance(sha, str) and sha:
        parts.append(f"sha256 {sha[:SHA_SHOWN]}…")
    return " · ".join(parts)


def describe_size(dataset: Mapping[str, Any]) -> str:
    """ "1,000 images of 32x32x3", or "... of varying sizes (HxW ...)"."""
    count, shape = dataset.get("count"), dataset.get("shape")
    size = f"{count:,} images" if isinstance(count, int) else "images"
    if isinstance(shape, list) and shape:
        size += " of " + "x".join(str(side) for side in shape)
    elif dataset.get("shapes_vary"):
        size += " of varying sizes" + _size_range(mapping(dataset.get("shape_range")))
    tiled_from = mapping(dataset.get("details")).get("tiled_from")
    if isinstance(tiled_from, int) and isinstance(count, int) and tiled_from < count:
        size += f", {tiled_from:,} distinct repeated"
    return size


def _size_range(ranges: Mapping[str, Any]) -> str:
    """ " (HxW from 20x31 to 480x640)", from the recorded smallest and largest sides."""
    heights, widths = ranges.get("height"), ranges.get("width")
    if not (isinstance(heights, list) and isinstance(widths, list)):
        return ""
    if len(heights) != 2 or len(widths) != 2:
        return ""
    return f" (HxW {heights[0]}..{heights[1]} x {widths[0]}..{widths[1]})"


def describe_settings(settings: Mapping[str, Any]) -> str:
    """The settings that change the numbers, in one line."""
    if not settings:
        return "not recorded"
    parts = []
    if isinstance(settings.get("backends"), list):
        parts.append(", ".join(str(b) for b in settings["backends"]))
    if isinstance(settings.get("cutoffs"), list):
        parts.append("n = " + ", ".join(format_count(n) for n in settings["cutoffs"]))
    if isinstance(settings.get("repeats"), int):
        warmup = settings.get("warmup")
        parts.append(f"{settings['repeats']} repeats" + (f" + {warmup} warm-up" if warmup else ""))
    if isinstance(settings.get("k"), int):
        parts.append(f"k = {settings['k']:,}")
    if settings.get("cache"):
        parts.append(f"{settings['cache']} cache")
    if "durable" in settings:
        parts.append("durable (synced)" if settings["durable"] else "not synced")
    options = mapping(settings.get("backend_options"))
    for backend, values in options.items():
        shown = ", ".join(f"{key}={value}" for key, value in mapping(values).items())
        parts.append(f"{backend}: {shown}")
    return " · ".join(parts)


def describe_environment(environment: Mapping[str, Any]) -> str:
    """Python, OS, CPU, cores, memory and the work dir's file system, in one line."""
    parts = []
    if environment.get("python"):
        parts.append(f"Python {environment['python']}")
    for key in ("os", "cpu"):
        if environment.get(key):
            parts.append(str(environment[key]))
    cores, available = environment.get("cores"), environment.get("cores_available")
    if isinstance(cores, int):
        usable = (
            f" ({available} usable)" if isinstance(available, int) and available < cores else ""
        )
        parts.append(f"{cores} cores{usable}")
    if isinstance(environment.get("memory_bytes"), int):
        parts.append(f"{format_bytes(environment['memory_bytes'])} RAM")
    if environment.get("workdir_filesystem"):
        parts.append(f"work dir on {environment['workdir_filesystem']}")
    return " · ".join(parts) if parts else "not recorded"


def created_text(created: Any) -> str:
    """An ISO time stamp to the minute, as "2025-11-23 19:00 +00:00"; other text as it is."""
    if not isinstance(created, str) or "T" not in created:
        return str(created) if created else "an unknown time"
    day, _, clock = created.partition("T")
    offset = clock[8:].lstrip(".0123456789") if len(clock) > 8 else ""
    return f"{day} {clock[:5]} {offset}".strip()
