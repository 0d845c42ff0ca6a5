"""Performance target: a CIFAR-10 folder of 50,000 train images loads in under 0.5 s (warm)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

from cifar_fixtures import cifar10_arrays, write_cifar10_folder
from imgbench.core.cifar import load_cifar
from imgbench.core.dataset import dataset_sha256

PER_BATCH = 10_000
TARGET_SECONDS = 0.5


@pytest.fixture(scope="module")
def full_cifar10(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder: Path = write_cifar10_folder(tmp_path_factory.mktemp("cifar"), n_per_batch=PER_BATCH)
    return folder


@pytest.mark.perf
def test_loading_50000_images_takes_under_half_a_second(full_cifar10: Path) -> None:
    warm = load_cifar(full_cifar10)
    assert warm.images.shape == (5 * PER_BATCH, 32, 32, 3)
    assert warm.sha256 == dataset_sha256(*cifar10_arrays(PER_BATCH))
    del warm
    seconds = []
    for _ in range(5):
        start = time.perf_counter()
        load_cifar(full_cifar10)
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    print(f"\nload_cifar, 50,000 images: median {median:.3f} s, min {min(seconds):.3f} s")
    assert median < TARGET_SECONDS
