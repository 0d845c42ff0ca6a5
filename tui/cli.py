"""The headless command line: ``imgbench run | show | compare | report | fetch``.

Exit codes: 0 success, 1 the run failed, 2 bad input (one line on stderr, no
traceback), 130 interrupted (ctrl+c cancels cleanly and keeps partial results).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from imgbench.core import __version__
from imgbench.core.backends.names import CONTAINERS, INSTALL_LINE, missing_library, parse_store
from imgbench.core.codecs import ACCEPTED
from imgbench.core.discovery import discover_data
from imgbench.core.engine import LOAD_TASK, BenchmarkRun, cleaned_note, skipped_files_note
from imgbench.core.errors import ImgbenchError
from imgbench.core.events import DataLoading, DatasetLoaded, RunFinished, TaskFailed, TaskStarted
from imgbench.core.events import Progress as ProgressEvent
from imgbench.core.results import (
    check_output_path,
    compare_documents,
    load_document,
    save_document_safely,
)
from imgbench.core.scratch import remove_stale_scratch, stale_scratch
from imgbench.core.settings import (
    EXPERIMENTS,
    PRESETS,
    RunSettings,
    preset,
    unavailable_stores,
)
from imgbench.core.verdict import PRIORITIES

from .exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from .fetch_cli import add_fetch_command
from .report import (
    describe_size,
    render_comparison,
    render_document,
    render_summary,
)
from .report_files import (
    FORMATS,
    check_report_path,
    default_report_path,
    format_for,
    report_text,
    write_report,
)
from .saving import data_path_of, fallback_folders
from .source_words import SOURCE_NAMES
from .stopping import StopFlag


class BadInput(Exception):
    """A one-line reason to stop with exit code 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad flag gets one line on stderr (and exit code 2), not the usage."""

    def error(self, message: str) -> Any:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Console script entry point: no arguments or a results file open the app."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        if opens_the_app(arguments):
            return command_app(Path(arguments[0]) if arguments else None)
        args = parser.parse_args(arguments)
        result: int = args.handler(args)
    except (BadInput, ImgbenchError, ValueError) as error:
        print(f"imgbench: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return result


COMMANDS = ("run", "show", "compare", "report", "fetch", "clean")


def opens_the_app(arguments: list[str]) -> bool:
    """``imgbench`` alone, or ``imgbench FILE.json``."""
    if not arguments:
        return True
    return len(arguments) == 1 and arguments[0] not in COMMANDS and not arguments[0].startswith("-")


def command_app(document_path: Path | None) -> int:
    """The Textual app, on the quick preset (a first look takes seconds), or on a results file."""
    from .app import create_app

    if document_path is not None:
        load_document(document_path)  # a bad file is refused here, in one line
    app = create_app(document_path=document_path, settings=preset("quick"))
    app.run()
    return app.return_code or EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="imgbench",
        description="How should I store my images? PNG files, LMDB or HDF5, measured here. "
        "Without a command (or with a results file) it opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"imgbench {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_run(commands)
    show = commands.add_parser(
        "show",
        help="the verdict, a summary and every table of a results file (charts with --charts)",
    )
    show.add_argument("file", type=Path)
    show.add_argument("--charts", action="store_true", help="draw the charts too, after the tables")
    scale = show.add_mutually_exclusive_group()
    scale.add_argument(
        "--log",
        dest="log",
        action="store_true",
        default=None,
        help="charts, on log axes only (default: each on the scale that suits it, the "
        "store and read times on both)",
    )
    scale.add_argument(
        "--linear", dest="log", action="store_false", help="charts, on linear axes only"
    )
    _add_priority(show, "the verdict's priority (default: the run's own)")
    show.set_defaults(handler=command_show)
    _add_report(commands)
    compare = commands.add_parser("compare", help="ratios between two results files")
    compare.add_argument("a", type=Path)
    compare.add_argument("b", type=Path)
    compare.set_defaults(handler=command_compare)
    add_fetch_command(commands)
    clean = commands.add_parser(
        "clean",
        help="remove the scratch folders of runs that died without cleaning up",
        description="Remove the scratch folders (imgbench-*) of runs whose process is gone. "
        "Only folders with imgbench's owner file are touched; a live run's folder is kept.",
    )
    clean.add_argument(
        "--workdir", type=Path, help="the work dir the runs used (default: the temp dir)"
    )
    clean.set_defaults(handler=command_clean)
    return parser


def _add_run(commands: Any) -> None:
    run = commands.add_parser(
        "run",
        help="run the benchmark",
        description="Run the benchmark and save the results as JSON. Flags override the preset.",
    )
    run.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="classic",
        help="classic: the study (100,000 images, cutoffs 10..100,000); "
        "quick: under a minute; thorough: more repeats; formats: today's containers and "
        "encodings (tar, Parquet, Zarr, JPEG in LMDB...) on 10,000 images, with an epoch; "
        "training: epochs through a loader with 1, 2 and every core's workers and the "
        "latency of single reads (default: classic)",
    )
    run.add_argument(
        "--data",
        help="'synthetic', a CIFAR folder or .tar.gz archive, or a folder of your own images "
        "(PNG, JPEG, WebP, BMP, TIFF; one sub-folder per class if you like) "
        "(default: a CIFAR set found in . or the data dir, else synthetic)",
    )
    run.add_argument(
        "--resize",
        type=_size,
        metavar="WxH",
        help="resize every image of a folder to W x H pixels (default: keep each one's size)",
    )
    run.add_argument(
        "--keep-grey",
        action="store_true",
        default=None,
        help="a folder's grey images stay one channel (default: everything becomes RGB)",
    )
    run.add_argument(
        "--count", type=_positive, help="images after tiling (default: largest cutoff)"
    )
    run.add_argument(
        "--backends",
        "--stores",
        dest="backends",
        type=_stores,
        metavar="STORES",
        help="comma list of stores, each a container or container+encoding: containers "
        f"{', '.join(CONTAINERS)}; encodings {ACCEPTED} "
        "(e.g. png,lmdb,lmdb+jpeg90,tar+png,parquet+png,zarr,raw)",
    )
    run.add_argument(
        "--experiments", type=_names(EXPERIMENTS), help="comma list of " + ",".join(EXPERIMENTS)
    )
    run.add_argument("--cutoffs", type=_numbers, help="comma list, e.g. 10,100,1000")
    run.add_argument(
        "--repeats", type=_positive, help="timed samples per measurement, at least (default 3)"
    )
    run.add_argument(
        "--budget",
        type=float,
        dest="sample_budget_s",
        metavar="SECONDS",
        help="a fast measurement keeps sampling until its samples add up to this (default 0.5)",
    )
    run.add_argument(
        "--max-samples", type=_positive, help="the most samples one measurement takes (default 30)"
    )
    run.add_argument(
        "--single-max-n",
        type=_positive,
        help="store/read single images only at cutoffs up to this n (default 1000): "
        "their cost per image does not change with n",
    )
    run.add_argument(
        "--warmup",
        type=int,
        help="untimed samples first, for reads (and stores up to n=1000) (default 1)",
    )
    run.add_argument(
        "-k", type=_positive, dest="k", help="random-read and latency-read size (capped at n)"
    )
    run.add_argument(
        "--batch-size", type=_positive, help="images per batch of an epoch (default 64)"
    )
    run.add_argument(
        "--loader-workers",
        type=_numbers,
        metavar="COUNTS",
        help="loader worker processes an epoch sweeps, e.g. 1,2,4 "
        "(default: 1, 2 and this machine's cores)",
    )
    run.add_argument(
        "--epochs", type=_positive, help="epochs in a row per sample: 1 against 2 (default 2)"
    )
    run.add_argument("--cache", choices=("warm", "cold"), help="page cache before reads")
    run.add_argument(
        "--no-durable",
        dest="durable",
        action="store_false",
        default=None,
        help="nobody syncs to disk (default: every store syncs)",
    )
    run.add_argument("--workdir", type=Path, help="where the scratch folder goes (default: temp)")
    run.add_argument("--seed", type=int, help="seed of the synthetic set and random reads")
    run.add_argument("--png-workers", type=_positive, help="PNG encode/decode processes")
    run.add_argument("--png-compress-level", type=int, help="PNG zlib level 0-9")
    run.add_argument("--hdf5-compression", choices=("none", "gzip", "lzf"))
    run.add_argument("--hdf5-chunk-rows", type=_positive, help="images per HDF5 chunk")
    run.add_argument(
        "--tar-shard-bytes", type=_positive, help="bytes per tar shard (default 100,000,000)"
    )
    run.add_argument(
        "--parquet-row-group-rows", type=_positive, help="images per Parquet row group (1,000)"
    )
    run.add_argument(
        "--zarr-shard-images", type=_positive, help="images per Zarr shard (default 1,000)"
    )
    _add_priority(
        run,
        "what the verdict favours: balanced, read (the training read), disk or write "
        "(default: balanced)",
    )
    run.add_argument(
        "--output",
        "-o",
        type=Path,
        help="results file (default: imgbench-results-DATE-TIME.json here)",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="replace an earlier imgbench results file at --output (never any other file)",
    )
    run.set_defaults(handler=command_run)


def _add_priority(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--priority", choices=PRIORITIES, help=help_text)


def _add_report(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="a report to share: Markdown for an issue or PR, or one HTML file with charts",
        description="Write the verdict, the machine, the settings, a summary, every table and "
        "the warnings of a results file, as Markdown (pastes into a GitHub issue or pull "
        "request) or as one self-contained HTML file with charts (charts need matplotlib: "
        'pip install "imgbench[report]").',
    )
    report.add_argument("file", type=Path, help="a results file")
    report.add_argument(
        "--format",
        choices=FORMATS,
        help="md or html (default: from the suffix of --output, else md)",
    )
    report.add_argument(
        "--output",
        "-o",
        help="where to write it; - for standard output (default: standard output for md, "
        "RESULTS-report.html beside the results for html)",
    )
    report.add_argument(
        "--force",
        action="store_true",
        help="replace a file at --output that is not an imgbench report "
        "(an earlier report is replaced anyway; results files never are)",
    )
    _add_priority(report, "the verdict's priority (default: the run's own)")
    report.set_defaults(handler=command_report)


# -- run ----------------------------------------------------------------------------------


def settings_from_args(args: argparse.Namespace) -> RunSettings:
    """The preset, with every flag the user gave laid over it."""
    overrides = {
        key: getattr(args, key)
        for key in (
            "data",
            "count",
            "backends",
            "experiments",
            "cutoffs",
            "repeats",
            "warmup",
            "k",
            "cache",
            "durable",
            "seed",
            "resize",
            "keep_grey",
            "sample_budget_s",
            "max_samples",
            "single_max_n",
            "batch_size",
            "loader_workers",
            "epochs",
            "priority",
        )
        if getattr(args, key) is not None
    }
    if args.workdir is not None:
        overrides["workdir"] = str(args.workdir)
    settings = preset(args.preset, **overrides)
    if args.count is None and args.cutoffs:
        settings = replace(settings, count=max(args.cutoffs))
    options = {
        "png": {"workers": args.png_workers, "compress_level": args.png_compress_level},
        "hdf5": {"compression": args.hdf5_compression, "chunk_rows": args.hdf5_chunk_rows},
    }
    by_container = {
        "tar": {"shard_bytes": args.tar_shard_bytes},
        "parquet": {"row_group_rows": args.parquet_row_group_rows},
        "zarr": {"shard_images": args.zarr_shard_images},
    }
    for store in settings.backends:  # a container's option goes to each of its stores
        container = parse_store(store).container
        options.setdefault(store, {}).update(by_container.get(container, {}))
    given = {b: {k: v for k, v in o.items() if v is not None} for b, o in options.items()}
    return replace(settings, backend_options={b: o for b, o in given.items() if o})


def command_run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    output = args.output or Path(f"imgbench-results-{datetime.now():%Y%m%d-%H%M%S}.json")
    check_output_path(output, force=args.force, data_path=data_path_of(settings))
    console = Console(stderr=True)
    run = BenchmarkRun(settings, output=output)
    stop = StopFlag().install()  # from here on, a signal stops the run and keeps its results
    run.start()
    for note in cleaned_note(run.cleaned):
        console.print(f"[yellow]{escape(note)}[/]")
    console.print(f"[bold]imgbench {__version__}[/] · data: {describe_data(settings)}")
    if args.backends is None:
        left_out = unavailable_stores(PRESETS[args.preset].backends)
        if left_out:
            console.print(
                f"[yellow]Left out of the {args.preset} preset, their library is missing: "
                f"{', '.join(left_out)} ({escape(INSTALL_LINE)})[/]"
            )
    follow_with_progress(run, console, stop)
    document = run.document()
    failures: list[str] = []
    saved = save_document_safely(document, output, fallback_folders(settings), reasons=failures)
    render_summary(document, Console())
    warned = warning_counts(document)
    if warned:
        kinds = ", ".join(f"{count} {code}" for code, count in warned.items())
        console.print(
            f"[yellow]Warnings on some measurements ({kinds}): "
            f"imgbench show {escape(str(saved))} says which and why.[/]"
        )
    status = document["status"]
    for failure in failures:
        console.print(f"[red]{escape(failure)}[/]")
    console.print(f"Results ({status}) saved to [bold]{escape(str(saved))}[/]")
    for error in document["errors"]:
        console.print(f"[red]{error['task']}: {error['message']}[/]")
    if stop.raised:
        return stop.exit_code
    if any(error["task"] == LOAD_TASK for error in document["errors"]):
        return EXIT_BAD_INPUT  # the data could not be loaded: nothing was measured
    return EXIT_OK if status == "complete" and not document["errors"] else EXIT_FAILED


def warning_counts(document: dict[str, Any]) -> dict[str, int]:
    """How many measurements carry each kind of warning."""
    counts: dict[str, int] = {}
    for row in document["measurements"]:
        for code in {w.get("code", "warning") for w in row.get("warnings") or []}:
            counts[code] = counts.get(code, 0) + 1
    return counts


def describe_data(settings: RunSettings) -> str:
    """Which data the run uses, always said out loud."""
    if settings.data == "synthetic":
        h, w = settings.image_size
        return f"the built-in synthetic set ({h}x{w}x3)"
    if settings.data != "auto":
        return settings.data
    choice = discover_data()
    if choice.path is not None:
        return f"{SOURCE_NAMES.get(choice.source, choice.source)} found at {choice.path}"
    places = " or ".join(str(p) for p in choice.looked_in)
    return f"the built-in synthetic set (no CIFAR data in {places})"


def follow_with_progress(run: BenchmarkRun, console: Console, stop: StopFlag) -> None:
    """Show the run's progress until it ends; a stop signal (ctrl+c, hang-up, SIGTERM)
    cancels it, and the run's results say ``interrupted``."""
    columns = (
        BarColumn(bar_width=30),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("loading the data set…", total=None)
        while not run.finished:
            if stop.raised and not run.stopping:
                run.cancel("interrupted")
                progress.update(bar, description="[yellow]stopping… (what was measured is kept)[/]")
            for event in run.poll(0.2):
                show_event(event, progress, bar, len(run.state.tasks))


def show_event(event: Any, progress: Progress, bar: Any, task_count: int) -> None:
    """One bar for the whole run (time spent against time estimated); the current task beside it."""
    if isinstance(event, DataLoading):
        progress.update(
            bar,
            completed=event.done,
            total=event.total,
            description=f"loading images {event.done:,}/{event.total:,}",
        )
    elif isinstance(event, DatasetLoaded):
        progress.update(bar, completed=0, total=None, description="planning…")
        progress.console.print(f"data: {describe_size(event.dataset)}")
        for note in skipped_files_note(event.dataset.get("details", {})):
            progress.console.print(f"[yellow]{escape(note)}[/]")
    elif isinstance(event, TaskStarted):
        where = f"task {event.index + 1}/{task_count}"
        progress.update(bar, description=f"{where} · {event.task.label}")
    elif isinstance(event, ProgressEvent):
        progress.update(bar, completed=event.done, total=event.total)
    elif isinstance(event, TaskFailed):
        progress.update(bar, description=f"[red]failed: {event.task.label}[/]")
    elif isinstance(event, RunFinished):
        progress.update(bar, description=f"run {event.status}")


# -- show and compare ---------------------------------------------------------------------


def command_show(args: argparse.Namespace) -> int:
    document = load_document(args.file)
    charts = args.charts or args.log is not None  # --log or --linear asks for charts
    console = Console()
    render_document(document, console, log=args.log, charts=charts, priority=args.priority)
    if not charts:
        name = escape(str(args.file))
        console.print(
            f"[dim]Charts: imgbench show {name} --charts, or a page to share with them: "
            f"imgbench report {name} --format html[/]"
        )
    return EXIT_OK


def command_report(args: argparse.Namespace) -> int:
    """Write the report; a file is refused before anything is rendered or written."""
    results: Path = args.file
    to_stdout = args.output == "-"
    output = None if args.output is None or to_stdout else Path(args.output)
    fmt = format_for(output, args.format)
    if output is None and not to_stdout and fmt == "html":
        output = default_report_path(results, fmt)
    document = load_document(results)
    if output is not None:
        check_report_path(output, results=results, force=args.force)
    text = report_text(document, fmt, source=results.name, priority=args.priority)
    if output is None:
        sys.stdout.write(text)
        return EXIT_OK
    write_report(text, output)
    print(f"Report ({fmt}) written to {output}", file=sys.stderr)
    return EXIT_OK


def command_compare(args: argparse.Namespace) -> int:
    first, second = load_document(args.a), load_document(args.b)
    comparison = compare_documents(first, second)
    render_comparison(first, second, comparison, Console(), names=(args.a.name, args.b.name))
    return EXIT_OK


# -- clean --------------------------------------------------------------------------------


def command_clean(args: argparse.Namespace) -> int:
    workdir = args.workdir or Path(tempfile.gettempdir())
    if not workdir.is_dir():
        raise BadInput(f"{workdir}: no such folder")
    removed = remove_stale_scratch(workdir)
    left = stale_scratch(workdir)
    for note in cleaned_note(removed):
        print(note)
    if not removed:
        print(f"nothing to clean in {workdir}")
    for stale in left:
        print(f"could not remove {stale.path} (pid {stale.pid}); remove it by hand")
    return EXIT_FAILED if left else EXIT_OK


# -- argument types -------------------------------------------------------------------------


def _size(text: str) -> tuple[int, int]:
    """ "64x48" -> (64, 48): width then height, as the flag says."""
    parts = text.lower().replace("\u00d7", "x").split("x")
    if len(parts) != 2 or not all(part.strip().isdigit() for part in parts):
        raise argparse.ArgumentTypeError(f"expected WxH such as 64x64, got {text!r}")
    width, height = (int(part) for part in parts)
    if width < 1 or height < 1:
        raise argparse.ArgumentTypeError("each side must be at least 1 pixel")
    return width, height


def _positive(text: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _numbers(text: str) -> tuple[int, ...]:
    message = f"expected numbers separated by commas, got {text!r}"
    try:
        numbers = tuple(sorted({_positive(part) for part in text.split(",") if part.strip()}))
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(message) from None
    if not numbers:
        raise argparse.ArgumentTypeError(message)
    return numbers


def _stores(text: str) -> tuple[str, ...]:
    """Store names in their one spelling; a name that means nothing, or whose library is
    missing here, is refused with the reason (and the install line)."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("empty list; name at least one store, e.g. png,lmdb")
    stores: list[str] = []
    for name in names:
        try:
            store = parse_store(name)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        missing = missing_library(store.container)
        if missing:
            raise argparse.ArgumentTypeError(missing)
        if store.canonical not in stores:
            stores.append(store.canonical)
    return tuple(stores)


def _names(allowed: tuple[str, ...]) -> Any:
    def parse(text: str) -> tuple[str, ...]:
        names = tuple(part.strip() for part in text.split(",") if part.strip())
        unknown = [name for name in names if name not in allowed]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"unknown {', '.join(unknown) or 'empty list'}; choose from {', '.join(allowed)}"
            )
        return names

    return parse


if __name__ == "__main__":
    from .entry import main as entry_main

    sys.exit(entry_main())
