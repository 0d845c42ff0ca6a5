"""The headless command line: ``imgbench run | show | compare | report | fetch``.

Exit codes: 0 success, 1 the run failed, 2 bad input (one line on stderr, no
traceback), 130 interrupted (ctrl+c cancels cleanly and keeps partial results).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only light modules here: ``imgbench --help`` and ``imgbench run --help`` answer before
# numpy, h5py, rich's progress bars, plotext or Textual load; each command imports what
# it needs when it runs.
from imgbench.core import __version__
from imgbench.core.backends.names import CONTAINERS, INSTALL_LINE, parse_store
from imgbench.core.codecs.names import ACCEPTED
from imgbench.core.errors import ImgbenchError
from imgbench.core.results_schema import PRIORITIES
from imgbench.core.settings import (
    EXPERIMENTS,
    PRESET_PROMISE_S,
    PRESETS,
    RunSettings,
    preset,
    unavailable_stores,
)

from .exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from .fetch_cli import add_fetch_command
from .source_words import SOURCE_NAMES
from .stopping import StopFlag
from .value_parsers import (
    argument_type,
    names_parser,
    parse_compress_level,
    parse_image_size,
    parse_loader_workers,
    parse_numbers,
    parse_positive,
    parse_seconds,
    parse_usable_stores,
    parse_whole,
    parse_wxh,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from imgbench.core.engine import BenchmarkRun

#: ``imgbench report --format``: the same as report_files.FORMATS (a test keeps them
#: equal), written here because report_files loads the charts.
REPORT_FORMATS = ("md", "html")


class BadInput(Exception):
    """A one-line reason to stop with exit code 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad flag gets one line on stderr (and exit code 2), not the usage;
    a missing argument gets ``missing``, the line that says what to type."""

    def __init__(self, *args: Any, missing: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.missing = missing

    def error(self, message: str) -> Any:
        if self.missing and message.startswith("the following arguments are required"):
            self.exit(EXIT_BAD_INPUT, f"{self.prog}: {self.missing}\n")
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
    from imgbench.core.results import load_document

    from .app import create_app

    if document_path is not None:
        load_document(document_path)  # a bad file is refused here, in one line
    app = create_app(document_path=document_path, settings=preset("quick"))
    app.run()
    return app.return_code or EXIT_OK


RESULTS_FILE_HELP = "a results file written by imgbench run"


def build_parser() -> argparse.ArgumentParser:
    """Every command and flag; builds from light modules only (see the imports)."""
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
        description="Show a results file: the verdict, a summary and every table.",
        missing="give a results file, e.g. imgbench show imgbench-results.json",
    )
    show.add_argument("file", type=Path, metavar="FILE", help=RESULTS_FILE_HELP)
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
    compare = commands.add_parser(
        "compare",
        help="ratios between two results files, and what differs between their runs",
        description="Compare two runs: B's median time over A's for every measurement both "
        "made, called faster or slower only beyond the noise, and the settings, data and "
        "machine that differ.",
        missing="give two results files, the baseline first, "
        "e.g. imgbench compare before.json after.json",
    )
    compare.add_argument("a", type=Path, metavar="A", help="the baseline run's results file")
    compare.add_argument("b", type=Path, metavar="B", help="the run compared with it")
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


POSITIVE = argument_type(parse_positive, "number")
NOT_NEGATIVE = argument_type(lambda text: parse_whole(text, 0), "number")


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
        type=argument_type(parse_wxh, "WxH"),
        metavar="WxH",
        help="resize every image of a folder to W x H pixels (default: keep each one's size)",
    )
    run.add_argument(
        "--image-size",
        type=argument_type(parse_image_size, "WxH"),
        metavar="WxH",
        help="the synthetic set's image size, W x H pixels (one number: a square) (default 32x32)",
    )
    run.add_argument(
        "--keep-grey",
        action="store_true",
        default=None,
        help="a folder's grey images stay one channel (default: everything becomes RGB)",
    )
    run.add_argument("--count", type=POSITIVE, help="images after tiling (default: largest cutoff)")
    run.add_argument(
        "--backends",
        "--stores",
        dest="backends",
        type=argument_type(parse_usable_stores, "stores"),
        metavar="STORES",
        help="comma list of stores, each a container or container+encoding: containers "
        f"{', '.join(CONTAINERS)}; encodings {ACCEPTED} "
        "(e.g. png,lmdb,lmdb+jpeg90,tar+png,parquet+png,zarr,raw)",
    )
    run.add_argument(
        "--experiments",
        type=argument_type(names_parser(EXPERIMENTS, "experiment")),
        help="comma list of " + ",".join(EXPERIMENTS),
    )
    run.add_argument(
        "--cutoffs", type=argument_type(parse_numbers), help="comma list, e.g. 10,100,1000"
    )
    run.add_argument(
        "--repeats", type=POSITIVE, help="timed samples per measurement, at least (default 3)"
    )
    run.add_argument(
        "--budget",
        type=argument_type(parse_seconds),
        dest="sample_budget_s",
        metavar="SECONDS",
        help="a fast measurement keeps sampling until its samples add up to this (default 0.5)",
    )
    run.add_argument(
        "--max-samples", type=POSITIVE, help="the most samples one measurement takes (default 30)"
    )
    run.add_argument(
        "--single-max-n",
        type=POSITIVE,
        help="store/read single images only at cutoffs up to this n (default 1000): "
        "their cost per image does not change with n",
    )
    run.add_argument(
        "--warmup",
        type=NOT_NEGATIVE,
        help="untimed samples first, for reads (and stores up to n=1000) (default 1)",
    )
    run.add_argument(
        "-k", type=POSITIVE, dest="k", help="random-read and latency-read size (capped at n)"
    )
    run.add_argument(
        "--batch-size", type=POSITIVE, help="images per batch of an epoch (default 64)"
    )
    run.add_argument(
        "--loader-workers",
        type=argument_type(parse_loader_workers),
        metavar="COUNTS",
        help="loader worker processes an epoch sweeps, e.g. 1,2,4 "
        "(default: 1, 2 and this machine's cores)",
    )
    run.add_argument(
        "--epochs", type=POSITIVE, help="epochs in a row per sample: 1 against 2 (default 2)"
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
    run.add_argument("--seed", type=NOT_NEGATIVE, help="seed of the synthetic set and random reads")
    run.add_argument("--png-workers", type=POSITIVE, help="PNG encode/decode processes")
    run.add_argument(
        "--png-compress-level",
        type=argument_type(parse_compress_level, "level"),
        help="PNG zlib level 0-9 (default: Pillow's, 6)",
    )
    run.add_argument("--hdf5-compression", choices=("none", "gzip", "lzf"))
    run.add_argument("--hdf5-chunk-rows", type=POSITIVE, help="images per HDF5 chunk")
    run.add_argument(
        "--tar-shard-bytes", type=POSITIVE, help="bytes per tar shard (default 100,000,000)"
    )
    run.add_argument(
        "--parquet-row-group-rows", type=POSITIVE, help="images per Parquet row group (1,000)"
    )
    run.add_argument(
        "--zarr-shard-images", type=POSITIVE, help="images per Zarr shard (default 1,000)"
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
        missing="give a results file, e.g. imgbench report imgbench-results.json",
    )
    report.add_argument("file", type=Path, metavar="FILE", help=RESULTS_FILE_HELP)
    report.add_argument(
        "--format",
        choices=REPORT_FORMATS,
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
            "image_size",
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
    from datetime import datetime

    from rich.console import Console
    from rich.markup import escape

    from imgbench.core.engine import LOAD_TASK, BenchmarkRun, cleaned_note
    from imgbench.core.results import check_output_path, save_document_safely
    from imgbench.core.run_estimate import fit_to_time

    from .estimate_words import estimate_words
    from .measurement_tables import render_summary
    from .saving import data_path_of, fallback_folders

    settings = settings_from_args(args)
    output = args.output or Path(f"imgbench-results-{datetime.now():%Y%m%d-%H%M%S}.json")
    check_output_path(output, force=args.force, data_path=data_path_of(settings))
    promise = PRESET_PROMISE_S.get(args.preset)
    fit = promise is not None and args.cutoffs is None and args.count is None
    pixel_bytes = pixel_bytes_before_loading(settings, look_in_folder=fit)
    if fit and promise is not None and pixel_bytes is not None:
        settings = fit_to_time(settings, promise, pixel_bytes)
    console = Console(stderr=True)
    run = BenchmarkRun(settings, output=output)
    stop = StopFlag().install()  # from here on, a signal stops the run and keeps its results
    run.start()
    for note in cleaned_note(run.cleaned):
        console.print(f"[yellow]{escape(note)}[/]")
    console.print(f"[bold]imgbench {__version__}[/] · data: {describe_data(settings)}")
    if pixel_bytes is not None:
        console.print(f"estimated time: {estimate_words(settings, pixel_bytes)}")
    if args.backends is None:
        left_out = unavailable_stores(PRESETS[args.preset].backends)
        if left_out:
            console.print(
                f"[yellow]Left out of the {args.preset} preset, their library is missing: "
                f"{', '.join(left_out)} ({escape(INSTALL_LINE)})[/]"
            )
    follow_with_progress(run, console, stop, estimate_once_loaded=pixel_bytes is None)
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


def pixel_bytes_before_loading(settings: RunSettings, *, look_in_folder: bool) -> int | None:
    """One image's bytes when known before the run loads its data: from the settings for
    the synthetic set and CIFAR, from the files' headers for a folder when asked (a preset
    that promises a time needs them). None when unknown, or when the data cannot be read
    (the run then says why, in its own words)."""
    from imgbench.core.data_source import pixel_bytes_for, resolve_source
    from imgbench.core.errors import ImgbenchError
    from imgbench.core.image_folder import check_image_folder

    try:
        source, path = resolve_source(settings)
        known = pixel_bytes_for(source, settings)
        if known is not None or source != "folder" or path is None or not look_in_folder:
            return known
        check = check_image_folder(path)
    except (ImgbenchError, OSError):
        return None
    return check.pixel_bytes() if check is not None else None


def loaded_pixel_bytes(dataset: dict[str, Any]) -> int | None:
    """One loaded image's mean bytes, from the results' dataset section."""
    count, size = dataset.get("count"), dataset.get("bytes")
    if isinstance(count, int) and isinstance(size, int) and count > 0:
        return size // count
    return None


def warning_counts(document: dict[str, Any]) -> dict[str, int]:
    """How many measurements carry each kind of warning."""
    counts: dict[str, int] = {}
    for row in document["measurements"]:
        for code in {w.get("code", "warning") for w in row.get("warnings") or []}:
            counts[code] = counts.get(code, 0) + 1
    return counts


def describe_data(settings: RunSettings) -> str:
    """Which data the run uses, always said out loud."""
    from imgbench.core.discovery import discover_data

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


def follow_with_progress(
    run: BenchmarkRun, console: Console, stop: StopFlag, *, estimate_once_loaded: bool = False
) -> None:
    """Show the run's progress until it ends; a stop signal (ctrl+c, hang-up, SIGTERM)
    cancels it, and the run's results say ``interrupted``. ``estimate_once_loaded``: the
    run's estimated time is said when its images are loaded (a folder's sizes are known
    only then)."""
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from imgbench.core.events import DatasetLoaded

    from .estimate_words import estimate_words

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
                if estimate_once_loaded and isinstance(event, DatasetLoaded):
                    estimate_once_loaded = False
                    pixel_bytes = loaded_pixel_bytes(event.dataset)
                    if pixel_bytes is not None:
                        words = estimate_words(run.settings, pixel_bytes)
                        progress.console.print(f"estimated time: {words}")


def show_event(event: Any, progress: Progress, bar: Any, task_count: int) -> None:
    """One bar for the whole run (time spent against time estimated); the current task beside it."""
    from rich.markup import escape

    from imgbench.core.engine import skipped_files_note
    from imgbench.core.events import (
        DataLoading,
        DatasetLoaded,
        RunFinished,
        TaskFailed,
        TaskStarted,
    )
    from imgbench.core.events import Progress as ProgressEvent

    from .document_words import describe_size

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
    from rich.console import Console
    from rich.markup import escape

    from imgbench.core.results import load_document

    from .document_text import render_document

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
    from imgbench.core.results import load_document

    from .report_files import (
        check_report_path,
        default_report_path,
        format_for,
        report_text,
        write_report,
    )

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
    from rich.console import Console

    from imgbench.core.results import compare_documents, load_document

    from .comparison_text import render_comparison

    first, second = load_document(args.a), load_document(args.b)
    comparison = compare_documents(first, second)
    render_comparison(first, second, comparison, Console(), names=(args.a.name, args.b.name))
    return EXIT_OK


# -- clean --------------------------------------------------------------------------------


def command_clean(args: argparse.Namespace) -> int:
    import tempfile

    from imgbench.core.engine import cleaned_note
    from imgbench.core.scratch import remove_stale_scratch, stale_scratch

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


if __name__ == "__main__":
    from .entry import main as entry_main

    sys.exit(entry_main())
