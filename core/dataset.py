"""The in-memory data set every backend stores and every read is checked against."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import numpy.typing as npt

Source = Literal["cifar10", "cifar100", "synthetic", "folder"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images (N,H,W,C uint8, C-order), labels (N int64), class names and provenance."""

    images: npt.NDArray[np.uint8]
    labels: npt.NDArray[np.int64]
    class_names: tuple[str, ...]
    source: Source
    path: str | None = None
    details: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.images.ndim != 4 or self.images.dtype != np.uint8:
            raise ValueError(
                f"images must be (N,H,W,C) uint8, got {self.images.shape} {self.images.dtype}"
            )
        if len(self.images) == 0:
            raise ValueError("a data set holds at least one image")
        if not self.images.flags.c_contiguous:
            raise ValueError("images must be C-contiguous")
        if self.labels.shape != (len(self.images),) or self.labels.dtype != np.int64:
            expected = f"({len(self.images)},) int64"
            raise ValueError(
                f"labels must be {expected}, got {self.labels.shape} {self.labels.dtype}"
            )
        # Read-only, so the cached sha256 can never describe pixels that have since changed.
        self.images.flags.writeable = False
        self.labels.flags.writeable = False

    def __len__(self) -> int:
        return len(self.images)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Shape of one image (H, W, C)."""
        _, h, w, c = self.images.shape
        return (h, w, c)

    @cached_property
    def sha256(self) -> str:
        """Identity of the data: two runs on the same pixels and labels share it."""
        return dataset_sha256(self.images, self.labels)


def dataset_sha256(images: npt.NDArray[np.uint8], labels: npt.NDArray[np.integer]) -> str:
    """sha256 over images.tobytes() (C-order) followed by labels as little-endian int64."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(images).data.cast("B"))
    digest.update(np.ascontiguousarray(labels, dtype="<i8").tobytes())
    return digest.hexdigest()


def tile(dataset: Dataset, count: int) -> Dataset:
    """Repeat (or cut) the data set to exactly ``count`` images (the classic study: 50k to 100k)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    n = len(dataset)
    if count == n:
        return dataset
    index = np.arange(count) % n
    details = {**dataset.details, "tiled_from": n}
    return Dataset(
        images=dataset.images[index],
        labels=dataset.labels[index],
        class_names=dataset.class_names,
        source=dataset.source,
        path=dataset.path,
        details=details,
    )
