"""The verdict in words: "use X, because …", the alternative, the caveats, and a table of
the best store per need.

:func:`imgbench.core.verdict.verdict_of` decides with numbers and codes; this module is
the one place they become sentences. It imports rich only (the headless CLI shows it too).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from imgbench.core.chart_words import format_bytes, format_count, format_rate, format_seconds
from imgbench.core.verdict import (
    PNG,
    PRIORITIES,
    READ_SLACK,
    Alternative,
    Caveat,
    Need,
    Recommendation,
    Verdict,
    tied,
)

from .encoding_words import encoding_words

__all__ = ["PRIORITY_WORDS", "store_title", "verdict_lines", "verdict_renderable", "verdict_table"]

#: Ratios within this share of 1 are said as "about the same".
SAME_SHARE = 0.10
#: How many stores with missing measurements an incomplete run names.
MISSING_STORES_SHOWN = 3
CONTAINER_TITLES = {
    "lmdb": "LMDB",
    "hdf5": "HDF5",
    "tar": "tar shards",
    "parquet": "Parquet",
    "zarr": "Zarr",
}
NEED_TITLES = {
    "read": "training read",
    "random": "random access",
    "write": "writing",
    "disk": "disk",
}
PRIORITY_RULES = {
    "balanced": "balanced: the training read counts twice, disk and writing once",
    "read": "read speed: the fastest training read, the smaller disk among ties",
    "disk": f"disk: the smallest disk among stores at most {READ_SLACK:g}x slower to read",
    "write": f"write speed: the fastest writer among stores at most {READ_SLACK:g}x slower to read",
}
LINE_STYLES = {"recommendation": "bold", "caveat": "yellow"}
READ_VERBS = {
    "epoch": "reads an epoch",
    "epoch_batched": "reads a batched epoch",
    "read_many": "reads its images in order",
}
READ_NOUNS = {"epoch": "epochs", "epoch_batched": "batched epochs", "read_many": "reads"}
SOURCE_WORDS = {
    "folder": "your image files",
    "cifar_archive": "the CIFAR archive",
    "cifar_batches": "the CIFAR batch files",
}
STATUS_LEADS = {
    "cancelled": "The run was cancelled",
    "failed": "The run failed",
    "interrupted": "The run was interrupted",
}
NO_DATA = {
    "not_a_document": "No verdict: this is not a results document.",
    "no_measurements": "No verdict: the results have no measurements yet.",
    "no_figures": "No verdict: no measurement has a usable figure.",
}
IN_MEMORY_WORDS = (
    "the reads came from memory: the stores fit in free memory and were cached; "
    "run with --cache cold to measure the disk"
)


# -- names ----------------------------------------------------------------------------------


#: The priorities as the form and the Verdict tab say them.
PRIORITY_WORDS = dict(
    zip(PRIORITIES, ("balanced", "read speed", "disk", "write speed"), strict=True)
)


def store_title(name: str) -> str:
    """A store as a person names it: "PNG files", "HDF5 (raw)", "LMDB (JPEG q90)"."""
    if name == PNG:
        return "PNG files"
    if name == "raw":
        return "raw .npy"
    container, _, encoding = name.partition("+")
    if container == "files":
        return f"{_encoding_title(encoding or 'png')} files"
    title = CONTAINER_TITLES.get(container, container)
    return f"{title} ({_encoding_title(encoding or 'raw')})"


def _encoding_title(encoding: str) -> str:
    """The encoding as the verdict names it: "raw" and "original" stay as they are."""
    return encoding if encoding in ("raw", "original") else encoding_words(encoding)


def _factor(value: float) -> str:
    """A factor as it is said: 1.1x, 2.7x, 14x, 208x."""
    return f"{value:.0f}x" if value >= 9.95 else f"{value:.1f}x"


def _and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# -- lines ----------------------------------------------------------------------------------


def verdict_lines(verdict: Verdict) -> list[str]:
    """The verdict in a few short lines of plain words: the store and why, how it was
    chosen, the alternative, then each caveat."""
    return [line for line, _ in _kinds_of_lines(verdict)]


def _kinds_of_lines(verdict: Verdict) -> list[tuple[str, str]]:
    """Each line with its kind: recommendation, rule, alternative or caveat."""
    chosen = verdict.recommendation
    lines: list[tuple[str, str]] = []
    if chosen is not None:
        lines.append((_recommendation_line(verdict, chosen), "recommendation"))
        if len(verdict.stores) > 1:
            lines.append((f"Priority {PRIORITY_RULES[verdict.priority]}.", "rule"))
        if verdict.alternative is not None:
            lines.append((_alternative_line(verdict, chosen, verdict.alternative), "alternative"))
    for caveat in verdict.caveats:
        line = _caveat_line(verdict, caveat)
        if line:
            lines.append((line, "caveat"))
    return lines


def _recommendation_line(verdict: Verdict, chosen: Recommendation) -> str:
    title = store_title(chosen.store)
    if chosen.tied_with:
        title += f" (or {_and([store_title(s) for s in chosen.tied_with])}: a tie)"
    reasons = [
        _read_reason(verdict, chosen),
        _write_reason(chosen),
        _disk_reason(verdict, chosen),
    ]
    said = [reason for reason in reasons if reason]
    return f"Use {title}: {'; '.join(said)}." if said else f"Use {title}."


def _read_reason(verdict: Verdict, chosen: Recommendation) -> str:
    read = verdict.need("read")
    if read is None or read.standing(chosen.store) is None:
        return ""
    parts = []
    if chosen.read_vs_png is not None:
        against = _speed_against(read, chosen.store, PNG, chosen.read_vs_png, "PNG files")
        parts.append(f"{against}{_workers_words(chosen)}")
    if chosen.read_vs_raw is not None:
        parts.append(_raw_baseline(read, chosen.store, chosen.read_vs_raw))
    if not parts:
        rate = read.value(chosen.store)
        parts.append(f"{format_rate(rate)} images/s{_workers_words(chosen)}")
    return f"{READ_VERBS.get(read.source, 'reads')} {', '.join(parts)}"


def _speed_against(need: Need, store: str, other: str, ratio: float, words: str) -> str:
    if abs(ratio - 1) <= SAME_SHARE:
        return f"as fast as {words}"
    if _tied(need, store, other):
        return f"within the noise of {words}"
    if ratio >= 1:
        return f"{_factor(ratio)} faster than {words}"
    return f"{_factor(1 / ratio)} slower than {words}"


def _tied(need: Need, a: str, b: str) -> bool:
    first, second = need.standing(a), need.standing(b)
    return first is not None and second is not None and tied(first.figure, second.figure)


def _workers_words(chosen: Recommendation) -> str:
    mine, png = chosen.read_workers, chosen.png_read_workers
    if mine is None:
        return ""
    words = f" with {_plural(mine, 'worker')}"
    return words if png in (None, mine) else f"{words} (PNG files: {png})"


def _raw_baseline(read: Need, store: str, ratio: float) -> str:
    if ratio >= 1 - SAME_SHARE:
        return "as fast as the raw baseline"
    if _tied(read, store, "raw"):
        return "within the noise of the raw baseline"
    return f"{_factor(1 / ratio)} from the raw baseline"


def _write_reason(chosen: Recommendation) -> str:
    ratio = chosen.write_vs_png
    if ratio is None:
        return ""
    if abs(ratio - 1) <= SAME_SHARE:
        return "writes as fast as PNG files"
    if ratio > 1:
        return f"writes {_factor(ratio)} faster than PNG files"
    return f"writes {_factor(1 / ratio)} slower than PNG files"


def _disk_reason(verdict: Verdict, chosen: Recommendation) -> str:
    parts = []
    if chosen.disk_vs_png is not None:
        parts.append(_disk_against(chosen.disk_vs_png, "PNG files"))
    if chosen.disk_vs_source is not None:
        parts.append(_disk_against(chosen.disk_vs_source, _source_words(verdict)))
    if not parts:
        return ""
    first, *rest = parts
    return f"takes {first}" + (f" and {rest[0]}" if rest else "")


def _disk_against(ratio: float, words: str) -> str:
    """ "2.6x the disk of PNG files", "25% less disk than PNG files"."""
    if abs(ratio - 1) <= SAME_SHARE:
        return f"about the disk of {words}"
    if ratio > 1:
        return f"{_factor(ratio)} the disk of {words}"
    return f"{(1 - ratio) * 100:.0f}% less disk than {words}"


def _source_words(verdict: Verdict) -> str:
    return SOURCE_WORDS.get(verdict.source_kind or "", "the source files")


def _alternative_line(verdict: Verdict, chosen: Recommendation, other: Alternative) -> str:
    """ "If disk matters more: tar shards (PNG), 1.2x the disk of the CIFAR archive, 3.0x
    slower epochs than HDF5 (raw)." The need that matters is said first."""
    disk = _alternative_disk(verdict, chosen, other)
    read = _alternative_read(verdict, chosen, other)
    parts = [disk, read] if other.matters == "disk" else [read, disk]
    said = "".join(f", {part}" for part in parts if part)
    matters = "disk" if other.matters == "disk" else "read speed"
    return f"If {matters} matters more: {store_title(other.store)}{said}."


def _alternative_disk(verdict: Verdict, chosen: Recommendation, other: Alternative) -> str:
    if other.matters == "disk" and other.disk_vs_source is not None:
        return _disk_against(other.disk_vs_source, _source_words(verdict))
    if other.disk_vs_recommended is not None:
        return _disk_against(other.disk_vs_recommended, store_title(chosen.store))
    return ""


def _alternative_read(verdict: Verdict, chosen: Recommendation, other: Alternative) -> str:
    ratio, read = other.read_vs_recommended, verdict.need("read")
    if ratio is None or read is None:
        return ""
    nouns, title = READ_NOUNS.get(read.source, "reads"), store_title(chosen.store)
    if abs(ratio - 1) <= SAME_SHARE:
        return f"{nouns} as fast as {title}"
    if _tied(read, other.store, chosen.store):
        return f"{nouns} within the noise of {title}"
    if ratio < 1:
        return f"{_factor(1 / ratio)} slower {nouns} than {title}"
    return f"{_factor(ratio)} faster {nouns} than {title}"


# -- caveats --------------------------------------------------------------------------------


def _caveat_line(verdict: Verdict, caveat: Caveat) -> str:
    """One caveat in words ("" for a code this version does not know)."""
    data = caveat.data
    if caveat.code == "no_data":
        return NO_DATA.get(str(data.get("reason")), NO_DATA["no_figures"])
    if caveat.code == "incomplete":
        return _incomplete_line(data)
    if caveat.code == "in_memory":
        return _in_memory_line(verdict, data)
    if caveat.code == "busy":
        figures = data.get("figures") or ()
        return (
            f"The machine was busy during some measurements ({_plural(len(figures), 'figure')} "
            "of this verdict): run again on an idle machine."
        )
    if caveat.code == "ties":
        return _ties_line(data.get("needs") or {})
    if caveat.code == "no_epoch":
        return _no_epoch_line(data.get("source"))
    if caveat.code == "few_stores":
        return "Only one store was measured: there is nothing to compare it with."
    if caveat.code == "lossy":
        return _lossy_line(data)
    return ""


def _incomplete_line(data: Mapping[str, Any]) -> str:
    status = str(data.get("status"))
    errors = data.get("errors") if isinstance(data.get("errors"), int) else 0
    lead = STATUS_LEADS.get(status) or (
        "Some stores failed" if errors else "Some measurements are missing"
    )
    said = [_missing_words(data.get("missing") or ()), _short_words(data)]
    found = "; ".join(words for words in said if words)
    return f"{lead}: {found}." if found else f"{lead}: the verdict rests on what was measured."


def _short_words(data: Mapping[str, Any]) -> str:
    """ "png, hdf5 and raw stopped before n = 1,000 (compared at n = 100)"."""
    stopped: dict[int, list[str]] = {}
    for store, _, _, largest in data.get("short") or ():
        if store not in stopped.setdefault(largest, []):
            stopped[largest].append(store)
    said = [f"{_and(stores)} stopped before n = {n:,}" for n, stores in sorted(stopped.items())]
    compared = data.get("compared_at") or ()
    if said and compared:
        said[-1] += f" (compared at n = {', '.join(f'{n:,}' for n in compared)})"
    return "; ".join(said)


def _missing_words(pairs: Iterable[Sequence[str]]) -> str:
    """ "lmdb epoch and read_latency are missing; raw is missing epoch"."""
    by_store: dict[str, list[str]] = {}
    for store, experiment in pairs:
        by_store.setdefault(store, []).append(experiment)
    said = [
        f"{store} {_and(experiments)} {'is' if len(experiments) == 1 else 'are'} missing"
        for store, experiments in list(by_store.items())[:MISSING_STORES_SHOWN]
    ]
    more = len(by_store) - MISSING_STORES_SHOWN
    if more > 0:
        said.append(f"and {_plural(more, 'more store')}")
    return "; ".join(said)


def _in_memory_line(verdict: Verdict, data: Mapping[str, Any]) -> str:
    stores = tuple(data.get("stores") or ())
    if data.get("cache") not in ("warm", "unknown", None):
        return (
            "The reads came from memory although the cache was to be cold: this system "
            "could not evict the stores, so the figures are memory's, not the disk's."
        )
    every = set(stores) >= set(verdict.stores)
    line = IN_MEMORY_WORDS[0].upper() + IN_MEMORY_WORDS[1:]
    if not every:
        line = line.replace("the stores fit", f"the stores ({', '.join(stores)}) fit", 1)
    return f"{line}."


def _ties_line(needs: Mapping[str, Sequence[str]]) -> str:
    said = [
        f"{NEED_TITLES.get(need, need)} ({', '.join(stores)})" for need, stores in needs.items()
    ]
    return f"Ties within the noise, not wins: {'; '.join(said)}."


def _no_epoch_line(source: Any) -> str:
    if source is None:
        return "No read was measured: the verdict rests on writing and disk alone."
    words = "every image in order, one process" if source == "read_many" else str(source)
    return (
        f"No epochs were measured: the training read is {source} ({words}); "
        "add the epoch experiment to see a data loader's read."
    )


def _lossy_line(data: Mapping[str, Any]) -> str:
    psnr = data.get("psnr_db") or {}
    said = [
        f"{store} (PSNR {psnr[store]:.0f} dB)" if store in psnr else str(store)
        for store in data.get("stores") or ()
    ]
    verb = "changes" if len(said) == 1 else "change"
    return f"{_and(said)} {verb} the pixels: lossy, not an exact copy of the images."


# -- the table ------------------------------------------------------------------------------


def verdict_table(verdict: Verdict) -> Table:
    """The best store per need, its figure, the runner-up and how far behind (or "tie")."""
    table = Table(
        box=box.SIMPLE_HEAD, show_edge=False, header_style="bold", pad_edge=False, padding=(0, 1)
    )
    table.add_column("need", no_wrap=True)
    table.add_column("best", no_wrap=True, style="bold")
    table.add_column("figure", no_wrap=True)
    table.add_column("runner-up", no_wrap=True)
    table.add_column("behind", no_wrap=True)
    for need in verdict.needs:
        table.add_row(*_need_cells(verdict, need))
    return table


def _need_cells(verdict: Verdict, need: Need) -> tuple[str | Text, ...]:
    best = need.ranking[0]
    runner = need.ranking[1] if len(need.ranking) > 1 else None
    behind: str | Text = ""
    if runner is not None:
        tied_count = len(need.best)
        if runner.tied_with_best:
            behind = Text("tie" if tied_count == 2 else f"tie ({tied_count})", style="yellow")
        else:
            behind = _behind_words(need, runner.factor)
    return (
        NEED_TITLES.get(need.name, need.name),
        best.store,
        _figure_words(verdict, need, best.store),
        runner.store if runner else "—",
        behind,
    )


def _behind_words(need: Need, factor: float) -> str:
    if need.name in ("read", "write"):
        return f"{_factor(factor)} slower"
    if need.name == "disk":
        return f"{_factor(factor)} larger"
    return f"{_factor(factor)} longer"


def _figure_words(verdict: Verdict, need: Need, store: str) -> str:
    standing = need.standing(store)
    if standing is None:
        return "—"
    figure = standing.figure
    if need.name in ("read", "write"):
        words = f"{format_count(figure.value)} img/s"
        if figure.workers is not None:
            words += f", {_plural(figure.workers, 'worker')}"
        return words
    if need.name == "random":
        if need.source == "read_latency":
            return f"p99 {format_seconds(figure.value)}"
        return f"{format_seconds(figure.value)}/img"
    words = f"{format_bytes(figure.value)}/img"
    source = verdict.source_bytes_per_image
    if source:
        words += f", {_factor(figure.value / source)} src"
    return words


# -- for a terminal -------------------------------------------------------------------------


def verdict_renderable(verdict: Verdict, *, heading: bool = True) -> Group:
    """The verdict for a terminal: the recommendation in bold, the rest plain, caveats in
    yellow, then the per-need table (when any need was measured). ``heading=False`` where
    a tab title already says "Verdict"."""
    parts: list[Any] = [Text("Verdict", style="bold underline")] if heading else []
    for line, kind in _kinds_of_lines(verdict):
        parts.append(Text(line, style=LINE_STYLES.get(kind, "")))
    if verdict.needs:
        parts.append(verdict_table(verdict))
    return Group(*parts)
