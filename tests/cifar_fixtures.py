"""Write CIFAR-10 / CIFAR-100 "python version" data exactly as the official files are.

The official batches were written by Python 2's cPickle (protocol 2) with numpy 1:
every string is a Python 2 ``str`` (opcodes SHORT_BINSTRING / BINSTRING, which load as
bytes with ``encoding="bytes"``) and arrays name ``numpy.core.multiarray._reconstruct``,
``numpy.ndarray`` and ``numpy.dtype``. Python 3's own pickler would instead write
``_codecs.encode`` calls for bytes and, under numpy 2, ``numpy._core.multiarray``; so
:class:`Py2Pickler` writes the Python 2 opcodes itself and lets the caller choose the
numpy module spelling.

Images are made from known arrays (:func:`cifar10_arrays`, :func:`cifar100_arrays`) so a
test can compare every decoded pixel with what was written.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import tarfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import numpy as np
import numpy.typing as npt

CLASSIC_NUMPY = "numpy.core.multiarray"  # what the official files (numpy 1) name
MODERN_NUMPY = "numpy._core.multiarray"  # what numpy 2 names

CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR100_FOLDER = "cifar-100-python"

CIFAR10_LABEL_NAMES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]
CIFAR100_FINE_LABEL_NAMES = [
    "apple",
    "aquarium_fish",
    "baby",
    "bear",
    "beaver",
    "bed",
    "bee",
    "beetle",
    "bicycle",
    "bottle",
    "bowl",
    "boy",
    "bridge",
    "bus",
    "butterfly",
    "camel",
    "can",
    "castle",
    "caterpillar",
    "cattle",
    "chair",
    "chimpanzee",
    "clock",
    "cloud",
    "cockroach",
    "couch",
    "crab",
    "crocodile",
    "cup",
    "dinosaur",
    "dolphin",
    "elephant",
    "flatfish",
    "forest",
    "fox",
    "girl",
    "hamster",
    "house",
    "kangaroo",
    "keyboard",
    "lamp",
    "lawn_mower",
    "leopard",
    "lion",
    "lizard",
    "lobster",
    "man",
    "maple_tree",
    "motorcycle",
    "mountain",
    "mouse",
    "mushroom",
    "oak_tree",
    "orange",
    "orchid",
    "otter",
    "palm_tree",
    "pear",
    "pickup_truck",
    "pine_tree",
    "plain",
    "plate",
    "poppy",
    "porcupine",
    "possum",
    "rabbit",
    "raccoon",
    "ray",
    "road",
    "rocket",
    "rose",
    "sea",
    "seal",
    "shark",
    "shrew",
    "skunk",
    "skyscraper",
    "snail",
    "snake",
    "spider",
    "squirrel",
    "streetcar",
    "sunflower",
    "sweet_pepper",
    "table",
    "tank",
    "telephone",
    "television",
    "tiger",
    "tractor",
    "train",
    "trout",
    "tulip",
    "turtle",
    "wardrobe",
    "whale",
    "willow_tree",
    "wolf",
    "woman",
    "worm",
]
CIFAR100_COARSE_LABEL_NAMES = [
    "aquatic_mammals",
    "fish",
    "flowers",
    "food_containers",
    "fruit_and_vegetables",
    "household_electrical_devices",
    "household_furniture",
    "insects",
    "large_carnivores",
    "large_man-made_outdoor_things",
    "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores",
    "medium_mammals",
    "non-insect_invertebrates",
    "people",
    "reptiles",
    "small_mammals",
    "trees",
    "vehicles_1",
    "vehicles_2",
]


class Arrays(NamedTuple):
    """Known images (N,32,32,3 uint8) and labels (N int64), as the loader should return them."""

    images: npt.NDArray[np.uint8]
    labels: npt.NDArray[np.int64]


# --------------------------------------------------------------------------- Python 2 pickles


class Py2Pickler(pickle._Pickler):  # the pure-Python pickler lets us choose the opcodes
    """Protocol-2 pickler that writes what Python 2's cPickle wrote for CIFAR."""

    dispatch: ClassVar[dict[type, Callable[..., None]]] = dict(pickle._Pickler.dispatch)
    write: Callable[[bytes], object]  # both set up by pickle._Pickler, missing from its stubs
    memoize: Callable[[object], None]

    def __init__(self, file: io.BufferedIOBase, numpy_module: str = CLASSIC_NUMPY) -> None:
        super().__init__(file, protocol=2)
        self.numpy_module = numpy_module

    def save_py2_str(self, obj: bytes | str) -> None:
        """bytes and str both become a Python 2 str (SHORT_BINSTRING / BINSTRING)."""
        data = obj.encode("latin-1") if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)))
            self.write(data)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str

    def save_global(self, obj: Any, name: str | None = None) -> None:
        """GLOBAL 'module\\nname', with numpy's multiarray module spelled as asked."""
        module = obj.__module__
        if module in (CLASSIC_NUMPY, MODERN_NUMPY):
            module = self.numpy_module
        self.write(pickle.GLOBAL + f"{module}\n{name or obj.__qualname__}\n".encode())
        self.memoize(obj)


def dumps_py2(obj: object, numpy_module: str = CLASSIC_NUMPY) -> bytes:
    buffer = io.BytesIO()
    Py2Pickler(buffer, numpy_module).dump(obj)
    return buffer.getvalue()


def write_py2_pickle(path: Path, obj: object, numpy_module: str = CLASSIC_NUMPY) -> Path:
    path.write_bytes(dumps_py2(obj, numpy_module))
    return path


# --------------------------------------------------------------------------- known arrays


def images_to_rows(images: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """(N,32,32,3) -> (N,3072) rows: 1024 R, then 1024 G, then 1024 B, each row-major."""
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2).reshape(len(images), 3072))


def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def make_arrays(n: int, classes: int, seed: int, name: str) -> Arrays:
    """Deterministic images and labels for one batch file."""
    rng = _rng(seed, name)
    images = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, classes, size=n).astype(np.int64)
    return Arrays(images, labels)


def cifar10_arrays(
    n_per_batch: int = 20, batches: int = 5, seed: int = 0, *, include_test: bool = False
) -> Arrays:
    """What loading a :func:`write_cifar10_folder` copy with the same arguments must give."""
    names = [f"data_batch_{i}" for i in range(1, batches + 1)]
    names += ["test_batch"] if include_test else []
    return _joined([make_arrays(n_per_batch, 10, seed, name) for name in names])


def cifar100_arrays(
    n_train: int = 50, n_test: int = 20, seed: int = 0, *, include_test: bool = False
) -> Arrays:
    """What loading a :func:`write_cifar100_folder` copy with the same arguments must give."""
    parts = [make_arrays(n_train, 100, seed, "train")]
    parts += [make_arrays(n_test, 100, seed, "test")] if include_test else []
    return _joined(parts)


def _joined(parts: Sequence[Arrays]) -> Arrays:
    return Arrays(
        np.concatenate([part.images for part in parts]),
        np.concatenate([part.labels for part in parts]),
    )


# --------------------------------------------------------------------------- folders


def write_batch(
    path: Path,
    data: object,
    labels: object,
    *,
    labels_key: bytes = b"labels",
    batch_label: bytes = b"training batch 1 of 5",
    extra: dict[bytes, object] | None = None,
    numpy_module: str = CLASSIC_NUMPY,
) -> Path:
    """One batch file. ``data`` and ``labels`` are written as given, right or wrong."""
    count = len(labels) if isinstance(labels, (list, np.ndarray)) else 0
    batch: dict[bytes, object] = {
        b"batch_label": batch_label,
        labels_key: labels,
        b"data": data,
        b"filenames": [f"image_s_{i:06d}.png".encode() for i in range(count)],
        **(extra or {}),
    }
    return write_py2_pickle(path, batch, numpy_module)


def write_cifar10_folder(
    root: Path,
    n_per_batch: int = 20,
    batches: int = 5,
    with_test: bool = True,
    seed: int = 0,
    *,
    numpy_module: str = CLASSIC_NUMPY,
) -> Path:
    """``root/cifar-10-batches-py`` as in the official download; returns that folder."""
    folder = root / CIFAR10_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        b"num_cases_per_batch": n_per_batch,
        b"label_names": [name.encode() for name in CIFAR10_LABEL_NAMES],
        b"num_vis": 3072,
    }
    write_py2_pickle(folder / "batches.meta", meta, numpy_module)
    names = [f"data_batch_{i}" for i in range(1, batches + 1)]
    names += ["test_batch"] if with_test else []
    for index, name in enumerate(names, start=1):
        images, labels = make_arrays(n_per_batch, 10, seed, name)
        label = f"training batch {index} of 5" if name != "test_batch" else "testing batch 1 of 1"
        write_batch(
            folder / name,
            images_to_rows(images),
            labels.tolist(),
            batch_label=label.encode(),
            numpy_module=numpy_module,
        )
    (folder / "readme.html").write_text("<meta HTTP-EQUIV='REFRESH' content='0; url=...'>\n")
    return folder


def write_cifar100_folder(
    root: Path,
    n_train: int = 50,
    n_test: int = 20,
    with_test: bool = True,
    seed: int = 0,
    *,
    numpy_module: str = CLASSIC_NUMPY,
) -> Path:
    """``root/cifar-100-python`` with ``train``, ``test`` and ``meta``; returns that folder."""
    folder = root / CIFAR100_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        b"fine_label_names": [name.encode() for name in CIFAR100_FINE_LABEL_NAMES],
        b"coarse_label_names": [name.encode() for name in CIFAR100_COARSE_LABEL_NAMES],
    }
    write_py2_pickle(folder / "meta", meta, numpy_module)
    parts = [("train", n_train)] + ([("test", n_test)] if with_test else [])
    for name, count in parts:
        images, fine = make_arrays(count, 100, seed, name)
        write_batch(
            folder / name,
            images_to_rows(images),
            fine.tolist(),
            labels_key=b"fine_labels",
            batch_label=f"{'training' if name == 'train' else 'testing'} batch 1 of 1".encode(),
            extra={b"coarse_labels": (fine // 5).tolist()},
            numpy_module=numpy_module,
        )
    (folder / "file.txt~").write_text("")
    return folder


# --------------------------------------------------------------------------- archives


def write_archive(
    folder: Path,
    archive_path: Path,
    *,
    extra: Sequence[tuple[tarfile.TarInfo, bytes]] = (),
    extra_first: bool = False,
) -> Path:
    """A .tar.gz holding ``folder`` as its top folder, as the official download does.

    Files go in reverse name order (the official archive is not in batch order either).
    ``extra`` members (e.g. a symlink made with :func:`tar_member`) go last, or first.
    """

    def add_extra(tar: tarfile.TarFile) -> None:
        for info, data in extra:
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)

    with tarfile.open(archive_path, "w:gz") as tar:
        if extra_first:
            add_extra(tar)
        tar.add(folder, arcname=folder.name, recursive=False)
        for file in sorted(folder.iterdir(), reverse=True):
            tar.add(file, arcname=f"{folder.name}/{file.name}")
        if not extra_first:
            add_extra(tar)
    return archive_path


def tar_member(
    name: str, *, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = ""
) -> tuple[tarfile.TarInfo, bytes]:
    """A hand-made member for :func:`write_archive`: any name, symlink/hard link/device type."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data


# --------------------------------------------------------------------------- bad input


class RunsCommand:
    """Pickles as a call to ``os.system(command)``: loading it with plain pickle runs it."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (self.command,))


def global_call_pickle(module: str, name: str, argument: str) -> bytes:
    """Protocol-2 bytes that call ``module.name(argument)``, whatever that is, with no import
    needed to write them."""
    text = argument.encode()
    return (
        b"\x80\x02"
        + pickle.GLOBAL
        + f"{module}\n{name}\n".encode()
        + pickle.BINUNICODE
        + struct.pack("<I", len(text))
        + text
        + pickle.TUPLE1
        + pickle.REDUCE
        + pickle.STOP
    )


def truncate(path: Path, fraction: float = 0.5) -> Path:
    """Cut the file to ``fraction`` of its size, like an interrupted download or copy."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path
