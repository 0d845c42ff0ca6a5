"""Runs of container x encoding stores: every experiment works for each, lossy reads are
checked against a reference decode (a broken container is still caught), and the results
say what each store is made of, its codec's own cost and its quality."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from imgbench.core import engine
from imgbench.core.backends.encoded import EncodedBackend
from imgbench.core.events import MeasurementRecorded, StoreProfiled
from imgbench.core.results import load_document, save_document
from imgbench.core.settings import RunSettings
from imgbench.core.synthetic import make_synthetic


class Sink:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def put(self, event: Any) -> None:
        self.sent.append(event)


def tiny(tmp_path: Path, **changes: Any) -> RunSettings:
    values: dict[str, Any] = dict(
        data="synthetic",
        count=30,
        cutoffs=(5, 30),
        repeats=1,
        warmup=0,
        k=6,
        workdir=str(tmp_path),
        durable=False,
    )
    values.update(changes)
    return RunSettings(**values)


def run_in_process(settings: RunSettings, dataset: Any) -> tuple[Any, list[Any]]:
    sink = Sink()
    finished = engine.ChildRun(
        settings, dataset, Path(settings.workdir or ""), sink, threading.Event()
    ).run()
    return finished, sink.sent


def test_every_experiment_runs_for_new_stores_and_the_json_says_what_they_are(
    tmp_path: Path,
) -> None:
    stores = ("lmdb+jpeg90", "tar+png", "hdf5+png", "files+webp", "parquet+png", "zarr")
    run = engine.BenchmarkRun(tiny(tmp_path, backends=stores))
    run.start()
    list(run.events())
    document = run.document()
    assert document["status"] == "complete", document["errors"]
    rows = document["measurements"]
    assert {row["backend"] for row in rows} == set(stores)
    assert all(row["verified"] is True for row in rows)
    jpeg = document["stores"]["lmdb+jpeg90"]
    assert (jpeg["container"], jpeg["encoding"], jpeg["lossless"]) == ("lmdb", "jpeg90", False)
    assert jpeg["encoding_settings"] == {"id": "jpeg", "quality": 90}
    assert 15 < jpeg["psnr_db"] < 60 and 0 < jpeg["max_abs_error"] <= 255
    assert jpeg["encode_s_per_image"] > 0 and jpeg["decode_s_per_image"] > 0
    assert document["stores"]["tar+png"]["lossless"] is True
    assert "psnr_db" not in document["stores"]["tar+png"]
    row = next(r for r in rows if r["backend"] == "tar+png")
    assert (row["container"], row["encoding"]) == ("tar", "png")
    save_document(document, tmp_path / "r.json")
    assert load_document(tmp_path / "r.json")["stores"].keys() == set(stores)


def test_a_lossy_store_that_mangles_its_records_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reads are compared with a reference decode of the same bytes, not just "lossy, so
    anything goes": a container that flips a byte of every record fails the run."""
    real_decode = EncodedBackend.decode

    def mangled(self: EncodedBackend, record: Any) -> Any:
        image = np.array(real_decode(self, record))
        image[0, 0, 0] ^= 1
        return image

    monkeypatch.setattr(EncodedBackend, "decode", mangled)
    settings = tiny(
        tmp_path, backends=("lmdb+jpeg90", "lmdb"), experiments=("store_many", "read_many")
    )
    finished, sent = run_in_process(settings, make_synthetic(30))
    assert finished.status == "failed"
    verified = {
        e.measurement["backend"]: e.measurement["verified"]
        for e in sent
        if isinstance(e, MeasurementRecorded)
    }
    assert verified == {"lmdb+jpeg90": False, "lmdb": True}


def test_webp_on_grey_images_is_refused_with_the_reason(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(4):
        Image.fromarray(np.full((6, 5), 40 * i, np.uint8), "L").save(folder / f"{i}.png")
    from imgbench.core.image_folder import load_image_folder

    dataset = load_image_folder(folder, keep_grey=True).dataset
    settings = tiny(
        tmp_path, data=str(folder), keep_grey=True, backends=("files+webp",), count=4, cutoffs=(4,)
    )
    finished, sent = run_in_process(settings, dataset)
    assert finished.status == "failed"
    (error,) = finished.errors
    assert error["task"] == "files+webp"
    assert "files+webp cannot store this data" in error["message"] and "grey" in error["message"]
    assert not [e for e in sent if isinstance(e, MeasurementRecorded)]


def test_original_stores_the_users_files_and_reads_the_loaded_pixels(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    (folder / "cats").mkdir(parents=True)
    (folder / "dogs").mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        pixels = rng.integers(0, 256, (8 + i, 10, 3), dtype=np.uint8)
        kind, suffix = ("cats", "png") if i % 2 else ("dogs", "jpg")
        Image.fromarray(pixels).save(folder / kind / f"{i}.{suffix}")
    settings = tiny(
        tmp_path,
        data=str(folder),
        backends=("tar+original", "lmdb+original", "png"),
        count=6,
        cutoffs=(3, 6),
        k=2,
    )
    run = engine.BenchmarkRun(settings)
    run.start()
    events = list(run.events())
    document = run.document()
    assert document["status"] == "complete", document["errors"]
    assert all(row["verified"] is True for row in document["measurements"])
    original = document["stores"]["tar+original"]
    assert original["lossless"] is True and original["encoding"] == "original"
    files = sorted(folder.rglob("*.*"))
    assert document["dataset"]["details"]["source_bytes"] == sum(f.stat().st_size for f in files)
    profiled = [e for e in events if isinstance(e, StoreProfiled)]
    assert [e.store for e in profiled] == list(settings.backends)


def test_the_png_stores_level_option_is_the_level_recorded_and_profiled(tmp_path: Path) -> None:
    """``--png-compress-level 9`` writes level-9 files: the store's record says 9 (not the
    codec's default 6), and its codec cost is level 9's."""
    options = {"png": {"compress_level": 9}}
    run = engine.BenchmarkRun(
        tiny(tmp_path, backends=("png",), experiments=("store_many",), backend_options=options)
    )
    run.start()
    list(run.events())
    document = run.document()
    assert document["status"] == "complete", document["errors"]
    assert document["stores"]["png"]["encoding_settings"] == {"id": "png", "level": 9}
    assert all(row["encoding_settings"]["level"] == 9 for row in document["measurements"])
