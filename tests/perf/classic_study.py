"""The classic study's own code, as its article publishes it, for a wall-time reference.

"Three ways of storing and accessing lots of images in Python" stores CIFAR-10 (doubled to
100,000 images) as PNG files with a CSV of labels, as pickled objects in LMDB (one write
transaction), and as two HDF5 datasets; it times each function once per cutoff with
``timeit(number=1)`` and reads nothing back to check it. These functions do the same work
in the same way (file names, the pickled record, map sizes, big-endian HDF5 types), so
the time they take is what the study itself costs on this machine.
"""

from __future__ import annotations

import csv
import pickle
from collections.abc import Callable
from pathlib import Path
from timeit import timeit
from typing import Any

import h5py
import lmdb
import numpy as np
from PIL import Image

CUTOFFS = (10, 100, 1_000, 10_000, 100_000)


class CIFAR_Image:
    """The study's LMDB record: the image's bytes, its shape and its label, pickled."""

    def __init__(self, image: np.ndarray, label: int) -> None:
        self.channels = image.shape[2]
        self.size = image.shape[:2]
        self.image = image.tobytes()
        self.label = label

    def get_image(self) -> np.ndarray:
        image = np.frombuffer(self.image, dtype=np.uint8)
        return image.reshape(*self.size, self.channels)


class Study:
    """The study's functions, writing under one folder."""

    def __init__(self, root: Path) -> None:
        self.disk_dir = root / "disk"
        self.lmdb_dir = root / "lmdb"
        self.hdf5_dir = root / "hdf5"
        for folder in (self.disk_dir, self.lmdb_dir, self.hdf5_dir):
            folder.mkdir(parents=True, exist_ok=True)

    # -- one image ----------------------------------------------------------------------

    def store_single_disk(self, image: np.ndarray, image_id: int, label: int) -> None:
        Image.fromarray(image).save(self.disk_dir / f"{image_id}.png")
        with open(self.disk_dir / f"{image_id}.csv", "w") as csvfile:
            writer = csv.writer(csvfile, delimiter=" ", quotechar="|", quoting=csv.QUOTE_MINIMAL)
            writer.writerow([label])

    def store_single_lmdb(self, image: np.ndarray, image_id: int, label: int) -> None:
        env = lmdb.open(str(self.lmdb_dir / "single_lmdb"), map_size=image.nbytes * 10)
        with env.begin(write=True) as txn:
            value = CIFAR_Image(image, label)
            txn.put(f"{image_id:08}".encode("ascii"), pickle.dumps(value))
        env.close()

    def store_single_hdf5(self, image: np.ndarray, image_id: int, label: int) -> None:
        file = h5py.File(self.hdf5_dir / f"{image_id}.h5", "w")
        file.create_dataset("image", np.shape(image), h5py.h5t.STD_U8BE, data=image)
        file.create_dataset("meta", np.shape(label), h5py.h5t.STD_U8BE, data=label)
        file.close()

    def read_single_disk(self, image_id: int) -> tuple[np.ndarray, int]:
        image = np.array(Image.open(self.disk_dir / f"{image_id}.png"))
        with open(self.disk_dir / f"{image_id}.csv") as csvfile:
            reader = csv.reader(csvfile, delimiter=" ", quotechar="|", quoting=csv.QUOTE_MINIMAL)
            label = int(next(reader)[0])
        return image, label

    def read_single_lmdb(self, image_id: int) -> tuple[np.ndarray, int]:
        env = lmdb.open(str(self.lmdb_dir / "single_lmdb"), readonly=True)
        with env.begin() as txn:
            record = pickle.loads(txn.get(f"{image_id:08}".encode("ascii")))
            image, label = record.get_image(), record.label
        env.close()
        return image, label

    def read_single_hdf5(self, image_id: int) -> tuple[np.ndarray, int]:
        file = h5py.File(self.hdf5_dir / f"{image_id}.h5", "r+")
        image = np.array(file["/image"]).astype("uint8")
        label = int(np.array(file["/meta"]).astype("uint8"))
        file.close()
        return image, label

    # -- many images --------------------------------------------------------------------

    def store_many_disk(self, images: np.ndarray, labels: np.ndarray) -> None:
        num_images = len(images)
        for i, image in enumerate(images):
            Image.fromarray(image).save(self.disk_dir / f"{i}.png")
        with open(self.disk_dir / f"{num_images}.csv", "w") as csvfile:
            writer = csv.writer(csvfile, delimiter=" ", quotechar="|", quoting=csv.QUOTE_MINIMAL)
            for label in labels:
                writer.writerow([label])

    def store_many_lmdb(self, images: np.ndarray, labels: np.ndarray) -> None:
        num_images = len(images)
        map_size = num_images * images[0].nbytes * 10
        env = lmdb.open(str(self.lmdb_dir / f"{num_images}_lmdb"), map_size=map_size)
        with env.begin(write=True) as txn:
            for i in range(num_images):
                value = CIFAR_Image(images[i], labels[i])
                txn.put(f"{i:08}".encode("ascii"), pickle.dumps(value))
        env.close()

    def store_many_hdf5(self, images: np.ndarray, labels: np.ndarray) -> None:
        num_images = len(images)
        file = h5py.File(self.hdf5_dir / f"{num_images}_many.h5", "w")
        file.create_dataset("images", np.shape(images), h5py.h5t.STD_U8BE, data=images)
        file.create_dataset("meta", np.shape(labels), h5py.h5t.STD_U8BE, data=labels)
        file.close()

    def read_many_disk(self, num_images: int) -> tuple[list[np.ndarray], list[int]]:
        images = [np.array(Image.open(self.disk_dir / f"{i}.png")) for i in range(num_images)]
        with open(self.disk_dir / f"{num_images}.csv") as csvfile:
            reader = csv.reader(csvfile, delimiter=" ", quotechar="|", quoting=csv.QUOTE_MINIMAL)
            labels = [int(row[0]) for row in reader]
        return images, labels

    def read_many_lmdb(self, num_images: int) -> tuple[list[np.ndarray], list[int]]:
        images, labels = [], []
        env = lmdb.open(str(self.lmdb_dir / f"{num_images}_lmdb"), readonly=True)
        with env.begin() as txn:
            for image_id in range(num_images):
                record = pickle.loads(txn.get(f"{image_id:08}".encode("ascii")))
                images.append(record.get_image())
                labels.append(record.label)
        env.close()
        return images, labels

    def read_many_hdf5(self, num_images: int) -> tuple[np.ndarray, np.ndarray]:
        file = h5py.File(self.hdf5_dir / f"{num_images}_many.h5", "r+")
        images = np.array(file["/images"]).astype("uint8")
        labels = np.array(file["/meta"]).astype("uint8")
        file.close()
        return images, labels


def run_study(root: Path, images: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Every timing the study makes, each function run once; returns the timings."""
    study = Study(root)
    timings: dict[str, Any] = {}
    methods = ("disk", "lmdb", "hdf5")
    for method in methods:
        store: Callable[..., None] = getattr(study, f"store_single_{method}")
        timings[f"store_single_{method}"] = timeit(
            lambda s=store: s(images[0], 0, labels[0]), number=1
        )
        read: Callable[[int], Any] = getattr(study, f"read_single_{method}")
        timings[f"read_single_{method}"] = timeit(lambda r=read: r(0), number=1)
    for cutoff in CUTOFFS:
        for method in methods:
            store = getattr(study, f"store_many_{method}")
            timings[f"store_many_{method}_{cutoff}"] = timeit(
                lambda s=store, c=cutoff: s(images[:c], labels[:c]), number=1
            )
    for cutoff in CUTOFFS:
        for method in methods:
            read = getattr(study, f"read_many_{method}")
            timings[f"read_many_{method}_{cutoff}"] = timeit(
                lambda r=read, c=cutoff: r(c), number=1
            )
    return timings
