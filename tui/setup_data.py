"""What the data field holds, in words: the synthetic set, CIFAR, or a folder of images,
checked on the disk (off the event loop) the way the run will read it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from imgbench.core.cifar import CifarInfo, inspect_cifar, looks_like_cifar_folder
from imgbench.core.discovery import DataChoice
from imgbench.core.errors import ImgbenchError
from imgbench.core.image_folder import FolderCheck, Skipped, check_image_folder

from .source_words import SOURCE_NAMES
from .value_parsers import SYNTHETIC, parse_data

FOLDER = "folder"
#: How many skipped file names the data line shows.
SKIPPED_SHOWN = 3


@dataclass(frozen=True)
class DataVerdict:
    """The result of checking one text typed in the data field."""

    text: str
    summary: str = ""
    problem: str = ""
    kind: str = ""  # synthetic, cifar10, cifar100 or folder, once known
    #: A folder's mean bytes per image as it is loaded without resizing (None: not a folder).
    folder_pixel_bytes: int | None = None


def describe_cifar(info: CifarInfo) -> str:
    """ "CIFAR-10, 5 train batches, 50,000 images": what a person checks at a glance."""
    batches = len(info.train_batches)
    words = [
        SOURCE_NAMES.get(info.kind, info.kind),
        f"{batches} train batch{'es' if batches != 1 else ''}",
        f"{info.expected_images:,} images",
    ]
    if info.has_test:
        words.append("and a test batch")
    found = ", ".join(words)
    return f"{found} (archive, read without extracting)" if info.archive else found


def describe_folder(check: FolderCheck) -> str:
    """ "image folder: 1,234 images in 10 classes; 1 unreadable file skipped: a.jpg; 2
    other files skipped: a.txt, …": the count is the one the run will use."""
    scan = check.scan
    count, classes = check.count, len(scan.class_names)
    words = f"image folder: {count:,} image{'s' if count != 1 else ''}"
    if scan.class_folders:
        words += f" in {classes} class{'es' if classes != 1 else ''} (one sub-folder each)"
    else:
        words += ", no class sub-folders (label 0)"
    if check.unreadable:
        words += f"; {_skipped_words(check.unreadable, 'unreadable')}"
    if scan.skipped:
        words += f"; {_skipped_words(scan.skipped, 'other')}"
    return words


def _skipped_words(skipped: tuple[Skipped, ...], kind: str) -> str:
    """ "2 other files skipped: a.txt, b.txt" (the first few names)."""
    names = ", ".join(item.name for item in skipped[:SKIPPED_SHOWN])
    more = ", …" if len(skipped) > SKIPPED_SHOWN else ""
    noun = "file" if len(skipped) == 1 else "files"
    return f"{len(skipped):,} {kind} {noun} skipped: {names}{more}"


def data_verdict(text: str, stop: Callable[[], bool] | None = None) -> DataVerdict:
    """Check what the data field holds. Inspects the disk: call it off the event loop;
    ``stop()`` true gives up on a folder half checked (a newer text is being checked)."""
    try:
        data = parse_data(text)
        if data == SYNTHETIC:
            summary = "built-in synthetic set: 10 classes, photo-like"
            return DataVerdict(text, summary=summary, kind=SYNTHETIC)
        path = Path(data)
        if path.is_dir() and not looks_like_cifar_folder(path):
            check = check_image_folder(path, stop)
            if check is None:
                return DataVerdict(text, problem="the check was stopped")
            summary, pixel_bytes = describe_folder(check), check.pixel_bytes()
            return DataVerdict(text, summary, kind=FOLDER, folder_pixel_bytes=pixel_bytes)
        info = inspect_cifar(data)
        return DataVerdict(text, summary=describe_cifar(info), kind=info.kind)
    except (ValueError, ImgbenchError, OSError) as error:
        return DataVerdict(text, problem=str(error))


def short_path(path: Path) -> str:
    """ "." for the current directory and "~" for home: shorter lines at 80 columns."""
    if path == Path.cwd():
        return "."
    try:
        return f"~/{path.relative_to(Path.home())}"
    except ValueError:
        return str(path)


def explain_choice(choice: DataChoice) -> str:
    """Why the data field starts with what it holds."""
    if choice.path is not None:
        title = SOURCE_NAMES.get(choice.source, choice.source)
        return f"default: {title} found at {short_path(choice.path)}"
    places = " or ".join(short_path(p) for p in choice.looked_in)
    return f"default: no CIFAR data in {places}: using the built-in synthetic set"
