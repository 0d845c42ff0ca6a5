"""CIFAR loader: exact decoding, folder == archive, and every bad input from the design table."""

from __future__ import annotations

import pickle
import pickletools
import random
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from cifar_fixtures import (
    CIFAR10_LABEL_NAMES,
    CIFAR100_COARSE_LABEL_NAMES,
    CIFAR100_FINE_LABEL_NAMES,
    CLASSIC_NUMPY,
    MODERN_NUMPY,
    RunsCommand,
    cifar10_arrays,
    cifar100_arrays,
    dumps_py2,
    global_call_pickle,
    images_to_rows,
    make_arrays,
    tar_member,
    truncate,
    write_archive,
    write_batch,
    write_cifar10_folder,
    write_cifar100_folder,
)
from imgbench.core import cifar
from imgbench.core.cifar import CifarInfo, decode_rows, inspect_cifar, load_cifar
from imgbench.core.dataset import dataset_sha256
from imgbench.core.errors import DataError, UnsafeDataError

N = 20  # images per CIFAR-10 batch in these tests: small, so the file runs in seconds


@pytest.fixture
def cifar10(tmp_path: Path) -> Path:
    return write_cifar10_folder(tmp_path / "data", n_per_batch=N)


@pytest.fixture
def cifar100(tmp_path: Path) -> Path:
    return write_cifar100_folder(tmp_path / "data", n_train=30, n_test=10)


def raises_clearly(
    error: type[DataError], call: object, *words: str
) -> pytest.ExceptionInfo[DataError]:
    """Call and check the error is one line holding every word (file names and the problem)."""
    assert callable(call)
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return info


def tree(root: Path) -> set[Path]:
    return set(root.rglob("*"))


# --------------------------------------------------------------------------- decoding


def test_folder_loads_the_exact_pixels_labels_and_names(cifar10: Path) -> None:
    dataset = load_cifar(cifar10)
    expected = cifar10_arrays(N)
    assert dataset.images.shape == (5 * N, 32, 32, 3)
    assert dataset.images.dtype == np.uint8 and dataset.images.flags.c_contiguous
    np.testing.assert_array_equal(dataset.images, expected.images)
    np.testing.assert_array_equal(dataset.labels, expected.labels)
    assert dataset.labels.dtype == np.int64
    assert dataset.class_names == tuple(CIFAR10_LABEL_NAMES)
    assert dataset.source == "cifar10"
    assert dataset.path == str(cifar10)
    assert dataset.details["batches"] == [f"data_batch_{i}" for i in range(1, 6)]
    assert dataset.details["archive"] is False
    assert dataset.details["train_images"] == 5 * N
    assert dataset.details["test_images"] == 0


def test_row_layout_is_1024_red_then_green_then_blue_row_major(cifar10: Path) -> None:
    y, x = np.mgrid[0:32, 0:32]
    red, green, blue = y, x, (7 * y + x) % 256
    row = np.concatenate([red.ravel(), green.ravel(), blue.ravel()]).astype(np.uint8)
    write_batch(cifar10 / "data_batch_1", row[None, :], [3])
    image = load_cifar(cifar10).images[0]
    assert image[0, 1].tolist() == [0, 1, 1]
    assert image[1, 0].tolist() == [1, 0, 7]
    assert image[31, 30].tolist() == [31, 30, (7 * 31 + 30) % 256]
    np.testing.assert_array_equal(image[..., 2], (7 * y + x) % 256)


def test_decode_rows_matches_the_reference_transpose() -> None:
    rng = np.random.default_rng(1)
    batches = [rng.integers(0, 256, (n, 3072), dtype=np.uint8) for n in (5, 0, 3)]
    reference = np.concatenate(batches).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    decoded = decode_rows(batches)
    assert decoded.flags.c_contiguous and decoded.shape == (8, 32, 32, 3)
    np.testing.assert_array_equal(decoded, reference)


def test_include_test_appends_the_test_batch(cifar10: Path) -> None:
    dataset = load_cifar(cifar10, include_test=True)
    test = make_arrays(N, 10, 0, "test_batch")
    assert len(dataset) == 6 * N
    np.testing.assert_array_equal(dataset.images[-N:], test.images)
    np.testing.assert_array_equal(dataset.labels[-N:], test.labels)
    assert dataset.details["batches"][-1] == "test_batch"
    assert dataset.details["test_images"] == N
    assert dataset.sha256 == dataset_sha256(*cifar10_arrays(N, include_test=True))


@pytest.mark.parametrize("spelling", [CLASSIC_NUMPY, MODERN_NUMPY])
def test_both_numpy_module_spellings_load(tmp_path: Path, spelling: str) -> None:
    folder = write_cifar10_folder(tmp_path, n_per_batch=4, numpy_module=spelling)
    assert spelling.encode() in (folder / "data_batch_1").read_bytes()
    assert load_cifar(folder).sha256 == dataset_sha256(*cifar10_arrays(4))


def test_fixture_batches_use_only_what_the_official_py2_files_use(cifar10: Path) -> None:
    ops = list(pickletools.genops((cifar10 / "data_batch_1").read_bytes()))
    globals_named = {str(arg) for op, arg, _ in ops if op.name == "GLOBAL"}
    assert globals_named == {"numpy.core.multiarray _reconstruct", "numpy ndarray", "numpy dtype"}
    assert ops[0][0].name == "PROTO" and ops[0][1] == 2
    assert not {op.name for op, _, _ in ops} & {"BINUNICODE", "SHORT_BINBYTES", "BINBYTES"}
    loaded = pickle.loads((cifar10 / "data_batch_1").read_bytes(), encoding="bytes")
    assert set(loaded) == {b"batch_label", b"labels", b"data", b"filenames"}
    assert loaded[b"data"].shape == (N, 3072) and loaded[b"data"].dtype == np.uint8
    meta = pickle.loads((cifar10 / "batches.meta").read_bytes(), encoding="bytes")
    assert meta == {
        b"num_cases_per_batch": N,
        b"label_names": [name.encode() for name in CIFAR10_LABEL_NAMES],
        b"num_vis": 3072,
    }


def test_python3_pickles_with_bytes_keys_also_load(cifar10: Path) -> None:
    images, labels = make_arrays(N, 10, 0, "data_batch_2")
    batch = {b"data": images_to_rows(images), b"labels": labels.tolist()}
    (cifar10 / "data_batch_2").write_bytes(pickle.dumps(batch, protocol=4))
    assert load_cifar(cifar10).sha256 == dataset_sha256(*cifar10_arrays(N))


def test_cifar100_uses_fine_labels_and_names(cifar100: Path) -> None:
    dataset = load_cifar(cifar100, include_test=True)
    expected = cifar100_arrays(30, 10, include_test=True)
    np.testing.assert_array_equal(dataset.images, expected.images)
    np.testing.assert_array_equal(dataset.labels, expected.labels)
    assert dataset.labels.max() > 19  # fine (0..99), not coarse (0..19)
    assert dataset.class_names == tuple(CIFAR100_FINE_LABEL_NAMES)
    assert len(dataset.class_names) == 100
    assert dataset.details["coarse_class_names"] == CIFAR100_COARSE_LABEL_NAMES
    assert dataset.details["batches"] == ["train", "test"]
    assert dataset.source == "cifar100"


@pytest.mark.parametrize("kind", ["cifar10", "cifar100"])
@pytest.mark.parametrize("include_test", [False, True])
def test_archive_gives_the_same_dataset_as_the_folder(
    tmp_path: Path, kind: str, include_test: bool
) -> None:
    if kind == "cifar10":
        folder = write_cifar10_folder(tmp_path, n_per_batch=N)
    else:
        folder = write_cifar100_folder(tmp_path, n_train=30, n_test=10)
    archive = write_archive(folder, tmp_path / f"{kind}.tar.gz")
    before = tree(tmp_path)
    from_folder = load_cifar(folder, include_test=include_test)
    from_archive = load_cifar(archive, include_test=include_test)
    assert from_archive.sha256 == from_folder.sha256
    assert from_archive.class_names == from_folder.class_names
    assert from_archive.source == kind
    assert from_archive.details["archive"] is True
    assert from_archive.path == str(archive)
    assert tree(tmp_path) == before  # nothing extracted


def test_inspect_folder_and_archive(cifar10: Path, tmp_path: Path) -> None:
    archive = write_archive(cifar10, tmp_path / "cifar-10-python.tar.gz")
    expected = CifarInfo(
        kind="cifar10",
        path=str(cifar10),
        archive=False,
        train_batches=tuple(f"data_batch_{i}" for i in range(1, 6)),
        has_test=True,
        expected_images=5 * N,
        expected_test_images=N,
        class_names=tuple(CIFAR10_LABEL_NAMES),
    )
    assert inspect_cifar(cifar10) == expected
    from_archive = inspect_cifar(str(archive))
    assert from_archive.archive is True and from_archive.path == str(archive)
    assert from_archive.expected_images == 5 * N and from_archive.has_test


def test_inspect_without_test_batch_and_cifar100(tmp_path: Path) -> None:
    no_test = inspect_cifar(write_cifar10_folder(tmp_path / "a", n_per_batch=3, with_test=False))
    assert (no_test.has_test, no_test.expected_images, no_test.expected_test_images) == (
        False,
        15,
        0,
    )
    info = inspect_cifar(write_cifar100_folder(tmp_path / "b", n_train=5, n_test=5))
    assert info.kind == "cifar100" and info.train_batches == ("train",) and info.has_test
    assert info.expected_images == 50_000  # the official count: CIFAR-100's meta records none
    assert info.class_names == tuple(CIFAR100_FINE_LABEL_NAMES)


def test_inspect_never_unpickles_data_batches(cifar10: Path, tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    (cifar10 / "data_batch_1").write_bytes(pickle.dumps(RunsCommand(f"touch {marker}"), 2))
    assert inspect_cifar(cifar10).expected_images == 5 * N
    raises_clearly(UnsafeDataError, lambda: load_cifar(cifar10), "data_batch_1", "refused")
    assert not marker.exists()


def test_loading_never_imports_the_deprecated_numpy_core(cifar10: Path) -> None:
    script = (
        "import sys; from imgbench.core.cifar import load_cifar; "
        f"load_cifar({str(cifar10)!r}); "
        "print(sorted(m for m in sys.modules if m.startswith('numpy.core')))"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------- missing / layout


def test_missing_path_says_what_was_expected(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    for call in (lambda: load_cifar(missing), lambda: inspect_cifar(missing)):
        raises_clearly(
            DataError,
            call,
            str(missing),
            "does not exist",
            "cifar-10-batches-py",
            "cifar-100-python",
            "cifar-10-python.tar.gz",
        )


def test_empty_folder(tmp_path: Path) -> None:
    raises_clearly(
        DataError, lambda: load_cifar(tmp_path), str(tmp_path), "empty folder", "data_batch_1"
    )


def test_folder_of_unrelated_files_lists_what_it_found(tmp_path: Path) -> None:
    (tmp_path / "cat.png").write_bytes(b"png")
    (tmp_path / "notes.txt").write_text("hi")
    raises_clearly(
        DataError,
        lambda: load_cifar(tmp_path),
        str(tmp_path),
        "no CIFAR files",
        "batches.meta",
        "cat.png, notes.txt",
    )


def test_parent_folder_points_to_the_cifar_folder_inside(cifar10: Path) -> None:
    parent = cifar10.parent
    raises_clearly(DataError, lambda: load_cifar(parent), str(parent), "holds cifar-10-batches-py/")


def test_three_of_five_batches_lists_missing_and_found(tmp_path: Path) -> None:
    folder = write_cifar10_folder(tmp_path, n_per_batch=2, batches=3, with_test=False)
    for call in (lambda: load_cifar(folder), lambda: inspect_cifar(folder)):
        raises_clearly(
            DataError,
            call,
            str(folder),
            "incomplete CIFAR-10",
            "missing data_batch_4, data_batch_5",
            "found batches.meta, data_batch_1, data_batch_2, data_batch_3",
        )


def test_missing_meta(cifar100: Path) -> None:
    (cifar100 / "meta").unlink()
    raises_clearly(DataError, lambda: load_cifar(cifar100), "missing meta", "found file.txt~")


def test_include_test_without_test_batch(tmp_path: Path) -> None:
    folder = write_cifar10_folder(tmp_path, n_per_batch=2, with_test=False)
    assert len(load_cifar(folder)) == 10
    raises_clearly(DataError, lambda: load_cifar(folder, include_test=True), "missing test_batch")


def test_archive_without_cifar_folder_or_with_missing_batches(tmp_path: Path) -> None:
    other = tmp_path / "photos"
    other.mkdir()
    (other / "a.png").write_bytes(b"x")
    archive = write_archive(other, tmp_path / "photos.tar.gz")
    raises_clearly(
        DataError, lambda: load_cifar(archive), str(archive), "holds neither", "found photos"
    )
    folder = write_cifar10_folder(tmp_path / "d", n_per_batch=2)
    (folder / "data_batch_2").unlink()
    archive = write_archive(folder, tmp_path / "cifar-10-python.tar.gz")
    raises_clearly(
        DataError,
        lambda: load_cifar(archive),
        f"{archive}/cifar-10-batches-py",
        "missing data_batch_2",
    )


# --------------------------------------------------------------------------- truncated / corrupt


def test_truncated_batch_names_the_file(cifar10: Path) -> None:
    truncate(cifar10 / "data_batch_3")
    raises_clearly(
        DataError, lambda: load_cifar(cifar10), str(cifar10 / "data_batch_3"), "truncated"
    )


def test_truncated_batch_inside_an_archive_names_archive_and_member(
    cifar10: Path, tmp_path: Path
) -> None:
    truncate(cifar10 / "data_batch_2", 0.3)
    archive = write_archive(cifar10, tmp_path / "cifar-10-python.tar.gz")
    raises_clearly(
        DataError,
        lambda: load_cifar(archive),
        f"{archive}/cifar-10-batches-py/data_batch_2",
        "truncated",
    )


def test_garbage_batch_is_corrupt(cifar10: Path) -> None:
    (cifar10 / "data_batch_4").write_bytes(random.Random(4).randbytes(5000))
    info = raises_clearly(DataError, lambda: load_cifar(cifar10), "data_batch_4", "corrupt")
    assert not isinstance(info.value, UnsafeDataError)


@pytest.mark.parametrize("damage", ["random bytes", "cut in half", "empty"])
def test_corrupt_archive_names_it(cifar10: Path, tmp_path: Path, damage: str) -> None:
    archive = write_archive(cifar10, tmp_path / "cifar-10-python.tar.gz")
    if damage == "random bytes":
        archive.write_bytes(random.Random(0).randbytes(len(archive.read_bytes())))
    elif damage == "cut in half":
        truncate(archive)
    else:
        archive.write_bytes(b"")
    for call in (lambda: load_cifar(archive), lambda: inspect_cifar(archive)):
        raises_clearly(DataError, call, str(archive), "corrupt or truncated archive")


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_archive_cut_anywhere_is_reported_not_taken_for_a_shorter_one(
    tmp_path: Path, fraction: float
) -> None:
    # With 200 images per batch a cut at 0.5 lands on a member boundary, where tarfile's own
    # gzip reader would silently see a valid archive holding fewer files.
    folder = write_cifar10_folder(tmp_path, n_per_batch=200)
    archive = truncate(write_archive(folder, tmp_path / "cifar-10-python.tar.gz"), fraction)
    for call in (lambda: load_cifar(archive), lambda: inspect_cifar(archive)):
        raises_clearly(DataError, call, str(archive), "corrupt or truncated archive")


# --------------------------------------------------------------------------- pickles that run code


def test_pickle_running_a_shell_command_is_refused_and_never_runs(
    cifar10: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "MARKER"
    payload = {b"labels": [0], b"data": RunsCommand(f"touch {marker}")}
    (cifar10 / "data_batch_2").write_bytes(dumps_py2(payload))
    info = raises_clearly(
        UnsafeDataError,
        lambda: load_cifar(cifar10),
        str(cifar10 / "data_batch_2"),
        "refused: the pickle asks for posix.system",
    )
    assert isinstance(info.value, DataError)
    assert not marker.exists()
    # Control: the same bytes do run the command under a plain unpickler.
    control = tmp_path / "CONTROL"
    pickle.loads(pickle.dumps(RunsCommand(f"touch {control}"), protocol=2))
    assert control.exists()


@pytest.mark.parametrize("protocol", [0, 4, 5])
def test_every_pickle_protocol_is_refused(cifar10: Path, tmp_path: Path, protocol: int) -> None:
    marker = tmp_path / "MARKER"
    (cifar10 / "data_batch_1").write_bytes(
        pickle.dumps(RunsCommand(f"touch {marker}"), protocol=protocol)
    )
    raises_clearly(UnsafeDataError, lambda: load_cifar(cifar10), "posix.system")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("builtins", "eval"),
        ("builtins", "exec"),
        ("builtins", "getattr"),
        ("__builtin__", "eval"),
        ("os", "system"),
        ("subprocess", "check_call"),
        ("numpy.testing._private.utils", "runstring"),
        ("numpy", "load"),
        ("_codecs", "encode"),
        ("copyreg", "_reconstructor"),
        ("pickle", "loads"),
    ],
)
def test_any_other_global_is_refused_before_it_runs(
    cifar10: Path, tmp_path: Path, module: str, name: str
) -> None:
    marker = tmp_path / "MARKER"
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    (cifar10 / "data_batch_5").write_bytes(global_call_pickle(module, name, code))
    raises_clearly(
        UnsafeDataError,
        lambda: load_cifar(cifar10),
        str(cifar10 / "data_batch_5"),
        f"asks for {module}.{name}, which a CIFAR-10 batch never contains",
    )
    assert not marker.exists()


def test_unsafe_meta_file_is_refused(cifar10: Path, tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    code = f"open({str(marker)!r}, 'w')"
    (cifar10 / "batches.meta").write_bytes(global_call_pickle("builtins", "eval", code))
    for call in (lambda: load_cifar(cifar10), lambda: inspect_cifar(cifar10)):
        raises_clearly(UnsafeDataError, call, "batches.meta", "builtins.eval")
    assert not marker.exists()


# --------------------------------------------------------------------------- wrong shapes


ROWS = images_to_rows(make_arrays(4, 10, 9, "x").images)


@pytest.mark.parametrize(
    ("data", "labels", "words"),
    [
        (np.zeros((4, 1000), np.uint8), [0] * 4, ["wrong shapes", "(N, 3072) uint8", "(4, 1000)"]),
        (ROWS.astype(np.float32), [0] * 4, ["wrong shapes", "float32"]),
        (ROWS.astype(np.int16), [0] * 4, ["wrong shapes", "int16"]),
        (ROWS.ravel(), [0] * 4, ["wrong shapes", "(12288,)"]),
        (ROWS.tolist(), [0] * 4, ["wrong shapes", "a list of 4 items"]),
        (ROWS, [0] * 3, ["wrong shapes", "expected 4 labels", "found 3"]),
        (ROWS, [0, 1, 2, 10], ["wrong labels", "0..9 for 10 classes", "found 0..10"]),
        (ROWS, [0, -1, 2, 3], ["wrong labels", "found -1..3"]),
        (ROWS, [0.5, 1.0, 2.0, 3.0], ["wrong shapes", "labels as a list of 4 ints"]),
        (ROWS, [b"cat"] * 4, ["wrong shapes", "labels as a list of 4 ints"]),
        (ROWS, "0123", ["wrong shapes", "found a bytes"]),
    ],
)
def test_wrong_shapes_say_what_was_expected(
    cifar10: Path, data: object, labels: object, words: list[str]
) -> None:
    write_batch(cifar10 / "data_batch_3", data, labels)
    info = raises_clearly(
        DataError, lambda: load_cifar(cifar10), str(cifar10 / "data_batch_3"), *words
    )
    assert not isinstance(info.value, UnsafeDataError)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ([1, 2, 3], ["expected a dict", "found a list"]),
        ({b"data": ROWS}, ["missing key b'labels'", "found b'data'"]),
    ],
)
def test_batch_that_is_not_a_cifar_dict(cifar10: Path, content: object, words: list[str]) -> None:
    (cifar10 / "data_batch_1").write_bytes(dumps_py2(content))
    raises_clearly(DataError, lambda: load_cifar(cifar10), "data_batch_1", *words)


def test_cifar100_with_coarse_labels_only(cifar100: Path) -> None:
    write_batch(cifar100 / "train", ROWS, [0] * 4, labels_key=b"coarse_labels")
    raises_clearly(DataError, lambda: load_cifar(cifar100), "train", "missing key b'fine_labels'")


# --------------------------------------------------------------------------- unsafe archives


UNSAFE_MEMBERS = {
    "absolute path": (tar_member("/tmp/imgbench-evil", data=b"x"), "absolute path"),
    "dot-dot": (tar_member("cifar-10-batches-py/../../evil", data=b"x"), "'..'"),
    "symlink": (
        tar_member("cifar-10-batches-py/data_batch_1", kind=tarfile.SYMTYPE, link="/etc/passwd"),
        "symbolic link",
    ),
    "hard link": (
        tar_member(
            "cifar-10-batches-py/data_batch_9",
            kind=tarfile.LNKTYPE,
            link="cifar-10-batches-py/data_batch_2",
        ),
        "hard link",
    ),
    "fifo": (tar_member("cifar-10-batches-py/pipe", kind=tarfile.FIFOTYPE), "special file"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE_MEMBERS))
@pytest.mark.parametrize("first", [True, False])
def test_archive_with_an_unsafe_member_is_refused_whole(
    cifar10: Path, tmp_path: Path, case: str, first: bool
) -> None:
    member, reason = UNSAFE_MEMBERS[case]
    if case == "symlink":
        (cifar10 / "data_batch_1").unlink()  # the link stands in for a real batch
    archive = write_archive(
        cifar10, tmp_path / "cifar-10-python.tar.gz", extra=[member], extra_first=first
    )
    before = tree(tmp_path)
    for call in (lambda: load_cifar(archive), lambda: inspect_cifar(archive)):
        raises_clearly(UnsafeDataError, call, str(archive), member[0].name, reason, "refused")
    assert tree(tmp_path) == before  # nothing extracted
    assert not Path("/tmp/imgbench-evil").exists()


def test_oversized_archive_member_is_refused(
    cifar10: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = write_archive(cifar10, tmp_path / "cifar-10-python.tar.gz")
    monkeypatch.setattr(cifar, "_MAX_MEMBER_BYTES", 1000)
    raises_clearly(DataError, lambda: load_cifar(archive), str(archive), "far more than any")


def test_a_copied_folder_with_extra_files_still_loads(cifar10: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(cifar10, copy)
    (copy / "notes.txt").write_text("mine")
    (copy / "sub").mkdir()
    assert load_cifar(copy).sha256 == load_cifar(cifar10).sha256
