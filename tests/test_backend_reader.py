"""An open reader has done its bookkeeping once: read_one only reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import lmdb
import numpy as np
import pytest

from imgbench.core.backends import BACKENDS, base, open_backend
from imgbench.core.errors import StoreError

VARIANTS = [(name, varying) for name in sorted(BACKENDS) for varying in (False, True)]
IDS = [f"{name}{'-varying' if varying else ''}" for name, varying in VARIANTS]


def written_store(location: Path, name: str, varying: bool) -> tuple[list[Any], Any]:
    rng = np.random.default_rng(3)
    sides = [(4 + i % 3, 5 + i % 2) if varying else (4, 5) for i in range(40)]
    images = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in sides]
    labels = rng.integers(-(2**40), 2**40, 40, dtype=np.int64)
    with open_backend(name, location) as store:
        store.store_many(images if varying else np.stack(images), labels)
    return images, labels


@pytest.mark.parametrize(("name", "varying"), VARIANTS, ids=IDS)
def test_the_marker_is_read_once_per_reader(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    varying: bool,
) -> None:
    images, labels = written_store(tmp_path / "store", name, varying)
    reads: list[Path] = []
    real_read_marker = base.read_marker
    monkeypatch.setattr(
        base, "read_marker", lambda path: (reads.append(path), real_read_marker(path))[1]
    )
    reader = open_backend(name, tmp_path / "store")
    for image_id in [7, 0, 39, 7, *range(40)]:
        image, label = reader.read_one(image_id)
        np.testing.assert_array_equal(image, images[image_id])
        assert label == labels[image_id]
    reader.read_many(n=5)
    reader.read_many(ids=[3, 1])
    assert len(reads) == 1
    reader.close()
    reader.read_one(1)
    assert len(reads) == 2  # close() ends the reader; the next read opens a new one
    reader.close()


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_open_reader_is_idempotent_and_checks_the_store(tmp_path: Path, name: str) -> None:
    written_store(tmp_path / "store", name, varying=False)
    reader = open_backend(name, tmp_path / "store")
    assert reader.open_reader() is reader
    assert reader.open_reader() is reader
    reader.close()
    (tmp_path / "empty").mkdir()
    with pytest.raises(StoreError, match="incomplete store"):
        open_backend(name, tmp_path / "empty").open_reader()


@pytest.mark.parametrize(("name", "varying"), VARIANTS, ids=IDS)
def test_read_one_after_open_reader_opens_and_loads_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    varying: bool,
) -> None:
    images, labels = written_store(tmp_path / "store", name, varying)
    reader = open_backend(name, tmp_path / "store").open_reader()

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("read_one opened or loaded something the reader should hold")

    for module, function in [(lmdb, "open"), (h5py, "File"), (np, "load"), (Path, "read_text")]:
        monkeypatch.setattr(module, function, refuse)
    for image_id in (39, 0, 11):
        image, label = reader.read_one(image_id)
        np.testing.assert_array_equal(image, images[image_id])
        assert label == labels[image_id]
    monkeypatch.undo()
    reader.close()


@pytest.mark.parametrize("varying", [False, True])
def test_hdf5_read_one_takes_labels_from_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, varying: bool
) -> None:
    _, labels = written_store(tmp_path / "store", "hdf5", varying)
    reader = open_backend("hdf5", tmp_path / "store").open_reader()
    accessed: list[str] = []
    real_getitem = h5py.Dataset.__getitem__

    def spy(dataset: Any, key: Any, *args: Any) -> Any:
        accessed.append(dataset.name)
        return real_getitem(dataset, key, *args)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", spy)
    for image_id in range(40):
        assert reader.read_one(image_id)[1] == labels[image_id]
    assert accessed and "/labels" not in accessed
    reader.close()


@pytest.mark.parametrize(("name", "label_file"), [("png", "labels.csv"), ("raw", "labels.npy")])
def test_labels_are_held_by_the_open_reader(tmp_path: Path, name: str, label_file: str) -> None:
    """With the label file gone after opening, every label still reads right."""
    _, labels = written_store(tmp_path / "store", name, varying=False)
    reader = open_backend(name, tmp_path / "store").open_reader()
    (tmp_path / "store" / label_file).unlink()
    assert [reader.read_one(i)[1] for i in range(40)] == labels.tolist()
    np.testing.assert_array_equal(reader.read_many()[1], labels)
    reader.close()


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_read_many_labels_are_the_callers_to_change(tmp_path: Path, name: str) -> None:
    _, labels = written_store(tmp_path / "store", name, varying=False)
    with open_backend(name, tmp_path / "store") as reader:
        first = reader.read_many()[1]
        first[:] = 0
        np.testing.assert_array_equal(reader.read_many()[1], labels)
        assert reader.read_one(5)[1] == labels[5]
