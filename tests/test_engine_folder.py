"""A folder of the user's own images, end to end: real files, a real child, real stores."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from cifar_fixtures import write_cifar10_folder
from imgbench.core import data_source, engine
from imgbench.core.engine import BenchmarkRun, check_can_start, data_kind, resolve_source
from imgbench.core.errors import DataError
from imgbench.core.events import DataLoading, DatasetLoaded, RunFinished
from imgbench.core.settings import RunSettings


def photo_folder(root: Path, per_class: int = 12, grey_every: int = 0) -> Path:
    """Two class folders of JPEG and PNG images of different sizes, plus a stray file."""
    rng = np.random.default_rng(7)
    for name in ("cats", "dogs"):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            height, width = int(rng.integers(8, 40)), int(rng.integers(8, 40))
            pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            image = Image.fromarray(pixels)
            if grey_every and i % grey_every == 0:
                image = image.convert("L")
            image.save(root / name / f"{i:03d}.{'png' if i % 2 else 'jpg'}")
    (root / "cats" / "notes.txt").write_text("not an image")
    return root


def settings_for(data: Path, workdir: Path, **changes: Any) -> RunSettings:
    values: dict[str, Any] = dict(
        data=str(data), count=24, cutoffs=(6, 24), repeats=1, warmup=0, k=4, workdir=str(workdir)
    )
    values.update(changes)
    return RunSettings(**values)


def run_to_end(settings: RunSettings) -> tuple[BenchmarkRun, list[Any]]:
    run = BenchmarkRun(settings)
    run.start()
    return run, list(run.events())


def test_a_folder_of_varying_sizes_is_measured_on_every_backend(tmp_path: Path) -> None:
    folder = photo_folder(tmp_path / "photos")
    work = tmp_path / "work"
    work.mkdir()
    run, events = run_to_end(settings_for(folder, work))
    assert isinstance(events[-1], RunFinished) and events[-1].status == "complete"
    assert run.state.errors == []
    loading = [e for e in events if isinstance(e, DataLoading)]
    assert loading and loading[-1].done == loading[-1].total == 24
    assert events.index(loading[-1]) < next(
        i for i, e in enumerate(events) if isinstance(e, DatasetLoaded)
    )
    dataset = run.state.dataset
    assert dataset is not None
    assert dataset["source"] == "folder" and dataset["shapes_vary"] is True
    assert dataset["shape"] is None and dataset["class_names"] == ["cats", "dogs"]
    assert dataset["shape_range"]["channels"] == [3]
    assert 8 <= dataset["shape_range"]["height"][0] <= dataset["shape_range"]["height"][1] < 40
    assert dataset["pixels"] * 3 == dataset["bytes"]
    assert dataset["details"]["files_skipped"] == 1
    assert any("notes.txt" in note for note in run.state.notes)
    rows = run.state.measurements
    assert Counter(row["backend"] for row in rows) == {"png": 12, "lmdb": 12, "hdf5": 12, "raw": 12}
    assert all(row["verified"] for row in rows)
    many = next(r for r in rows if r["experiment"] == "read_many" and r["n"] == 24)
    # Throughput counts every image at its own size.
    assert many["mb_per_s"] == pytest.approx(dataset["bytes"] / many["median_s"] / 1e6)
    assert list(work.iterdir()) == []


def test_resize_makes_one_shape_and_keep_grey_one_channel(tmp_path: Path) -> None:
    folder = photo_folder(tmp_path / "photos", grey_every=3)
    settings = settings_for(
        folder, tmp_path, backends=("hdf5", "raw"), resize=(16, 10), keep_grey=False
    )
    run, events = run_to_end(settings)
    assert events[-1].status == "complete", run.state.errors
    assert run.state.dataset is not None
    assert run.state.dataset["shape"] == [10, 16, 3] and not run.state.dataset["shapes_vary"]

    grey = settings_for(folder, tmp_path, backends=("lmdb",), keep_grey=True)
    run, events = run_to_end(grey)
    assert events[-1].status == "complete", run.state.errors
    assert run.state.dataset is not None
    assert run.state.dataset["shape_range"]["channels"] == [1, 3]


def test_a_folder_with_no_images_is_refused_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "a.txt").write_text("x")
    for folder in ("empty", "text"):
        with pytest.raises(DataError, match="no images"):
            check_can_start(settings_for(tmp_path / folder, tmp_path))


def test_a_folder_where_no_image_can_be_read_fails_the_run_with_the_names(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"\xff\xd8\xff not really")
    (folder / "b.png").write_bytes(b"")
    run, events = run_to_end(settings_for(folder, tmp_path))
    assert events[-1].status == "failed"
    [error] = run.state.errors
    assert error["task"] == engine.LOAD_TASK
    assert "a.jpg" in error["message"] and "b.png" in error["message"]
    assert run.state.measurements == []


def test_what_a_path_holds_is_told_apart(tmp_path: Path) -> None:
    cifar = write_cifar10_folder(tmp_path / "cifar", n_per_batch=4)
    assert data_kind(cifar) == "cifar10"
    with pytest.raises(DataError, match="point to that folder instead"):
        data_kind(tmp_path / "cifar")
    photo_folder(tmp_path / "photos")
    assert data_kind(tmp_path / "photos") == "folder"
    assert resolve_source(settings_for(tmp_path / "photos", tmp_path)) == (
        "folder",
        tmp_path / "photos",
    )
    # A CIFAR folder with a batch missing keeps CIFAR's own message about what is missing.
    (cifar / "data_batch_3").unlink()
    with pytest.raises(DataError, match="data_batch_3"):
        data_kind(cifar)


def test_too_little_memory_for_the_tiled_images_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = photo_folder(tmp_path / "photos")
    monkeypatch.setattr(data_source, "available_memory_bytes", lambda: 10_000)
    with pytest.raises(DataError, match="memory"):
        engine.load_dataset(settings_for(folder, tmp_path, count=1_000, cutoffs=(1_000,)))


def test_an_epoch_over_a_folder_of_varying_sizes_checks_every_image(tmp_path: Path) -> None:
    """Batches of differently sized images are lists of arrays, through every container."""
    folder = photo_folder(tmp_path / "photos")
    work = tmp_path / "work"
    work.mkdir()
    stores = ("png", "lmdb", "hdf5", "tar+png", "raw")
    settings = settings_for(
        folder, work, cutoffs=(24,), backends=stores, batch_size=5, loader_workers=(2,),
        experiments=("store_many", "epoch", "epoch_batched", "read_latency"), durable=False,
    )  # fmt: skip
    run, events = run_to_end(settings)
    assert isinstance(events[-1], RunFinished) and events[-1].status == "complete"
    assert run.state.errors == []
    rows = [r for r in run.state.measurements if r["experiment"].startswith("epoch")]
    assert {(r["backend"], r["experiment"], r["epoch"]) for r in rows} >= {
        (s, "epoch", e) for s in stores for e in (1, 2)
    }
    assert all(r["verified"] and r["n"] == 24 and r["workers"] == 2 for r in rows)
    assert all(r["mb_per_s"] > 0 for r in rows)
