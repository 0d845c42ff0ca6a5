"""The results never replace what imgbench did not write, and are never lost on saving."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import pytest
from test_cli import assert_one_line_refusal, imgbench

import imgbench.core.engine as engine
import imgbench.core.results as results
from imgbench.core.results import ResultsError, load_document, save_document
from imgbench.tui.cli import main
from result_docs import make_document

TINY = ["--count", "20", "--cutoffs", "10,20", "--repeats", "1", "--backends", "raw"]


def run_into(tmp_path: Path, output: Path, *extra: str) -> Any:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return imgbench(
        "run", "--data", "synthetic", *TINY, "--workdir", str(work), "-o", str(output), *extra,
        cwd=tmp_path,
    )  # fmt: skip


def test_a_users_file_is_never_replaced_not_even_with_force(tmp_path: Path) -> None:
    notes = tmp_path / "notes.json"
    notes.write_text("my notes\n")
    for extra in ((), ("--force",)):
        assert_one_line_refusal(run_into(tmp_path, notes, *extra), "not an imgbench results file")
        assert notes.read_text() == "my notes\n"


def test_an_earlier_results_file_is_replaced_only_with_force(tmp_path: Path) -> None:
    earlier = tmp_path / "earlier.json"
    save_document(make_document(), earlier)
    before = earlier.read_bytes()
    assert_one_line_refusal(run_into(tmp_path, earlier), "--force")
    assert earlier.read_bytes() == before
    done = run_into(tmp_path, earlier, "--force")
    assert done.returncode == 0, done.stderr
    assert load_document(earlier)["dataset"]["count"] == 20


def test_the_data_itself_is_refused_as_output(tmp_path: Path) -> None:
    from cifar_fixtures import write_archive, write_cifar10_folder

    archive = write_archive(write_cifar10_folder(tmp_path / "src"), tmp_path / "c.tar.gz")
    before = archive.read_bytes()
    done = imgbench(
        "run", "--data", str(archive), *TINY, "-o", str(archive), "--force", cwd=tmp_path
    )
    assert_one_line_refusal(done, "data")
    assert archive.read_bytes() == before


def test_a_failed_save_goes_to_a_fallback_folder_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The disk of the results file fills up as the run ends: the run is kept elsewhere."""
    output = tmp_path / "out" / "r.json"
    output.parent.mkdir()
    real_save = results.save_document

    def full_disk(document: dict[str, Any], path: Path, **kwargs: Any) -> None:
        if Path(path).parent == output.parent:
            raise ResultsError(path, f"could not save: {errno.errorcode[errno.ENOSPC]}")
        real_save(document, path, **kwargs)

    monkeypatch.setattr(results, "save_document", full_disk)
    monkeypatch.setattr(engine, "save_document", full_disk)  # the saves as the run goes
    work = tmp_path / "work"
    work.mkdir()
    args = ["run", "--data", "synthetic", *TINY, "--workdir", str(work), "-o", str(output)]
    assert main(args) == 0
    err = capsys.readouterr().err
    saved = work / "r.json"
    assert "ENOSPC" in err and str(saved) in err.replace("\n", "")
    assert json.loads(saved.read_text())["status"] == "complete"
    assert not output.exists()
