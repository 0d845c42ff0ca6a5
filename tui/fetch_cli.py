"""``imgbench fetch cifar10|cifar100``: download the official archive where the loader looks.

A progress bar while it downloads (on stderr, gone when it ends), then one line on stdout:
where the archive is and how ``imgbench run`` and the app find it. A failure is one line on
stderr and exit code 1; ctrl+c keeps what arrived, and running the command again resumes.
A file of the user's under the archive's name (or a link there) is never touched: the command
says what it is and to move it away or pass another ``--dir``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imgbench.core import discovery
from imgbench.core.fetch import (
    DOWNLOADS,
    MIRROR_VARIABLE,
    Download,
    FetchError,
    FetchResult,
    InTheWayError,
    default_mirror,
    fetch,
    how_far,
    part_path,
    shown,
)

from .exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK

if TYPE_CHECKING:
    from rich.progress import TaskID


def add_fetch_command(commands: Any) -> None:
    """Register ``fetch`` on the command line's subparsers."""
    parser = commands.add_parser(
        "fetch",
        help="download CIFAR-10 or CIFAR-100 (checked, resumable)",
        description="Download the official python-version archive, check its MD5 and keep "
        f"it in the data dir ({discovery.user_data_dir()}), where `imgbench run` and the "
        "app find it by default. An interrupted download resumes when run again.",
        missing=f"name the data set to download: {' or '.join(sorted(DOWNLOADS))}, "
        "e.g. imgbench fetch cifar10",
    )
    parser.add_argument("dataset", choices=sorted(DOWNLOADS), help="which data set")
    parser.add_argument(
        "--dir", type=Path, help="where to keep the archive (default: the data dir above)"
    )
    parser.add_argument(
        "--mirror",
        metavar="BASE_URL",
        help=f"fetch <BASE_URL>/<archive name> instead (default: ${MIRROR_VARIABLE} if set, "
        "else the official site)",
    )
    parser.set_defaults(handler=command_fetch)


def mirror_from(args: argparse.Namespace) -> str | None:
    """``--mirror``, else ``$IMGBENCH_MIRROR``, else None (the official site)."""
    if args.mirror is not None:
        mirror: str = args.mirror
        return mirror or None
    return default_mirror()


def command_fetch(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    download = DOWNLOADS[args.dataset]
    folder: Path = args.dir if args.dir is not None else discovery.user_data_dir()
    if folder.exists() and not folder.is_dir():
        print(f"imgbench: --dir {shown(folder)} is not a folder", file=sys.stderr)
        return EXIT_BAD_INPUT
    mirror = mirror_from(args)
    out = Console(highlight=False)
    where = f"{shown(download.url_from(mirror))} -> {shown(folder)}"
    out.print(f"{download.title}: {escape(where)}", soft_wrap=True)
    bar = ProgressBar(download)
    try:
        with bar.progress:
            result = fetch(download, folder, base_url=mirror, progress=bar.update)
    except KeyboardInterrupt:
        part = part_path(download, folder)
        print(
            f"imgbench: download interrupted at {how_far(bar.done, bar.total)}; what arrived "
            f"is kept in {shown(part)}: run the same command again to resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except InTheWayError as error:  # the user's own file: what to do, in this command's terms
        print(f"imgbench: {error}, or pass another --dir", file=sys.stderr)
        return EXIT_FAILED
    except (FetchError, OSError) as error:
        print(f"imgbench: {shown(error)}", file=sys.stderr)
        return EXIT_FAILED
    out.print(escape(describe_result(download, result)), soft_wrap=True)
    return EXIT_OK


class ProgressBar:
    """A rich bar that ``fetch`` reports into: bytes, speed, time left. Gone when done."""

    def __init__(self, download: Download) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task: TaskID = self.progress.add_task(download.filename, total=None)
        self.done: int = 0
        self.total: int | None = None

    def update(self, done: int, total: int | None) -> None:
        self.done, self.total = done, total
        self.progress.update(self.task, completed=done, total=total)


def describe_result(download: Download, result: FetchResult) -> str:
    """One line: where the archive is, and how the benchmark finds it."""
    size = f"{result.size / 1e6:,.1f} MB"
    if result.already_present:
        what = f"{download.title} was already in {shown(result.path)} ({size}, MD5 checked)"
    else:
        how = ", resumed" if result.resumed else ""
        what = f"{download.title} saved to {shown(result.path)} ({size}, MD5 checked{how})"
    if _same_folder(result.path.parent, discovery.user_data_dir()):
        return f"{what}. `imgbench run` and the app find it by default."
    data = shown(result.path)
    return f"{what}. Use it with `imgbench run --data {data}` (or the app's data field)."


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
