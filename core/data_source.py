"""Which data a run uses, and loading it: the data side of the engine.

Resolving "auto" / "synthetic" / a path into a kind of source, loading it tiled to the
run's count, and describing the loaded set for the results document. Nothing here
times anything; the engine's child calls it once, before the plan starts.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .cifar import SIDE, inspect_cifar, load_cifar, looks_like_cifar_folder
from .dataset import Dataset, format_size, special_file_problem, tile
from .dataset import available_memory_bytes as _available_memory_bytes
from .discovery import discover_data
from .errors import DataError
from .image_folder import FORMAT_NAMES, IMAGE_SUFFIXES, load_image_folder, scan_image_folder
from .images import ImageBatch, ImageList
from .settings import RunSettings
from .synthetic import make_synthetic


def resolve_source(settings: RunSettings) -> tuple[str, Path | None]:
    """("synthetic", None), or (kind, path) after default discovery for "auto": kind is
    cifar10 / cifar100, or "folder" for a folder of the user's own images."""
    if settings.data == "synthetic":
        return "synthetic", None
    if settings.data == "auto":
        choice = discover_data()
        return choice.source, choice.path
    path = Path(settings.data)
    return data_kind(path), path


def data_kind(path: Path) -> str:
    """What a path holds; raises a DataError that names the problem when it is unusable.

    A folder without CIFAR file names is a folder of images, so a half-copied CIFAR folder
    still gets CIFAR's own message about what is missing. A FIFO, device or socket is
    refused without being opened (reading one blocks for ever, or never ends).
    """
    expected = (
        f"expected a folder of images ({FORMAT_NAMES}), a CIFAR folder "
        "(cifar-10-batches-py, cifar-100-python) or a CIFAR .tar.gz archive"
    )
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise DataError(path, f"does not exist; {expected}") from None
    except OSError as error:  # a link loop, a folder above that cannot be searched
        raise DataError(path, f"cannot be read: {error.strerror or error}") from None
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise DataError(path, f"{special_file_problem(mode)}; {expected}")
    if stat.S_ISDIR(mode) and not looks_like_cifar_folder(path):
        scan_image_folder(path)
        return "folder"
    if stat.S_ISREG(mode) and path.suffix.lower() in IMAGE_SUFFIXES:
        raise DataError(
            path,
            f"is a single image, not a data set; give the folder it is in "
            f"(--data {path.parent or '.'}) to measure every image there",
        )
    return inspect_cifar(path).kind


def bytes_per_image(settings: RunSettings) -> int | None:
    """One image's pixel bytes, when known before any pixel is loaded (None: a folder of
    images kept at their own sizes, known only once loaded)."""
    source, _ = resolve_source(settings)
    return pixel_bytes_for(source, settings)


def pixel_bytes_for(source: str, settings: RunSettings) -> int | None:
    """:func:`bytes_per_image` for a source already known: no disk, so a front end can
    call it on its event loop."""
    if source == "synthetic":
        height, width = settings.image_size
        return height * width * 3
    if source == "folder":
        if settings.resize is None:
            return None
        width, height = settings.resize
        return width * height * 3
    return SIDE * SIDE * 3


def load_dataset(
    settings: RunSettings, progress: Callable[[int, int], None] | None = None
) -> Dataset:
    """The run's data, tiled to its count; ``progress`` hears about a folder's loading."""
    source, path = resolve_source(settings)
    count = settings.target_count
    if source == "synthetic":
        return make_synthetic(count, seed=settings.seed, size=settings.image_size)
    assert path is not None
    if source == "folder":
        loaded = load_image_folder(
            path, resize=settings.resize, keep_grey=settings.keep_grey, progress=progress
        ).dataset
    else:
        loaded = load_cifar(path)
    check_memory(settings, loaded)
    return tile(loaded, count)


def check_memory(settings: RunSettings, dataset: Dataset) -> None:
    """Refuse a run whose images would not fit in memory, before tiling copies them: the
    tiled set plus the largest read result are held at once."""
    available = available_memory_bytes()
    if available is None:
        return
    mean = mean_pixel_bytes(dataset.images)
    needed = (settings.target_count + max(settings.cutoffs, default=0)) * mean
    if needed > available:
        fix = "lower the count and the cutoffs"
        fix += ", or resize the images" if dataset.source == "folder" else ""
        raise DataError(
            dataset.path,
            f"{settings.target_count:,} of these images need about {format_size(needed)} of "
            f"memory, {format_size(available)} is available: {fix}",
        )


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (what can be used without swapping); None elsewhere."""
    return _available_memory_bytes()


def mean_pixel_bytes(images: ImageBatch) -> int:
    """Bytes of one image, or their mean when sizes vary (rounded up)."""
    return -(-int(images.nbytes) // max(1, len(images)))


def dataset_record(dataset: Dataset) -> dict[str, Any]:
    """The results document's "dataset" section."""
    record: dict[str, Any] = {
        "source": dataset.source,
        "path": dataset.path,
        "count": len(dataset),
        "shape": list(dataset.shape) if dataset.shape is not None else None,
        "shapes_vary": dataset.varying_shapes,
        "pixels": dataset.pixel_count,
        "bytes": dataset.nbytes,
        "classes": len(dataset.class_names),
        "class_names": list(dataset.class_names),
        "sha256": dataset.sha256,
        "details": {k: v for k, v in dataset.details.items() if _is_json(v)},
    }
    if isinstance(dataset.images, ImageList):
        record["shape_range"] = shape_range(dataset.images)
    return record


def shape_range(images: ImageList) -> dict[str, list[int]]:
    """Smallest and largest height and width, and the channel counts that occur."""
    heights, widths, channels = images.shapes.T
    return {
        "height": [int(heights.min()), int(heights.max())],
        "width": [int(widths.min()), int(widths.max())],
        "channels": sorted({int(c) for c in channels.tolist()}),
    }


def skipped_files_note(details: Mapping[str, Any]) -> list[str]:
    """A folder's files that were not benchmarked, from a data set's details: said while
    the run starts and kept in the results' notes (empty for other data)."""
    count = details.get("files_skipped")
    if not isinstance(count, int) or count < 1:
        return []
    examples = details.get("skipped_examples")
    listed = "; ".join(str(e) for e in examples) if isinstance(examples, list) else ""
    more = "; ..." if isinstance(examples, list) and count > len(examples) else ""
    files = (
        "1 file in the image folder was"
        if count == 1
        else f"{count:,} files in the image folder were"
    )
    return [f"{files} skipped: {listed}{more}"]


def _is_json(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, list, type(None)))
