"""Images of different shapes, held the way a varying-shape store holds them.

A folder of real photos rarely has one size. ``ImageList`` keeps N images of any
(H, W, C) in one flat uint8 buffer with their shapes and start offsets, so handing
them to a backend or slicing off the first n costs no copy -- the same footing a
uniform (N,H,W,C) array gives the classic study. Indexing with an int gives an
image (a view); with a slice, a view of those images; with an array of ids, a copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeAlias, overload

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]


class ImageList(Sequence[Image]):
    """N uint8 images of shapes (H_i, W_i, C_i), one flat buffer, shapes and offsets."""

    __slots__ = ("data", "offsets", "shapes")

    def __init__(
        self,
        data: npt.NDArray[np.uint8],
        shapes: npt.NDArray[np.int64],
        offsets: npt.NDArray[np.int64] | None = None,
    ) -> None:
        shapes = np.asarray(shapes, dtype=np.int64).reshape(-1, 3)
        if (shapes < 1).any():
            raise ValueError("every side of an image is at least 1")
        offsets = offsets_of(shapes) if offsets is None else np.asarray(offsets, dtype=np.int64)
        data = np.asarray(data)
        if data.dtype != np.uint8 or data.ndim != 1:
            raise ValueError(f"data is a flat uint8 array, got {data.shape} {data.dtype}")
        if offsets.shape != (len(shapes) + 1,) or int(offsets[-1] - offsets[0]) != data.size:
            raise ValueError("offsets do not match the shapes and the data")
        self.data = data
        self.shapes = shapes
        self.offsets = offsets - offsets[0]

    @classmethod
    def from_arrays(cls, images: Iterable[npt.ArrayLike]) -> ImageList:
        """Copy (H,W,C) uint8 arrays into one list (a 2-D array counts as one channel)."""
        arrays = [_as_image(image) for image in images]
        shapes = np.array([a.shape for a in arrays], dtype=np.int64).reshape(-1, 3)
        data = (
            np.concatenate([a.reshape(-1) for a in arrays])
            if arrays
            else np.empty(0, dtype=np.uint8)
        )
        return cls(data, shapes)

    @classmethod
    def from_uniform(cls, images: npt.NDArray[np.uint8]) -> ImageList:
        """An (N,H,W,C) array as a list, without copying its pixels."""
        n, *shape = images.shape
        return cls(images.reshape(-1), np.tile(np.array(shape, dtype=np.int64), (n, 1)))

    def __len__(self) -> int:
        return len(self.shapes)

    @overload
    def __getitem__(self, index: int) -> Image: ...

    @overload
    def __getitem__(self, index: slice | npt.NDArray[np.integer] | Sequence[int]) -> ImageList: ...

    def __getitem__(self, index: Any) -> Image | ImageList:
        if isinstance(index, (int, np.integer)):
            return self._image(int(index))
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                stop = max(start, stop)
                data = self.data[self.offsets[start] : self.offsets[stop]]
                return ImageList(data, self.shapes[start:stop], self.offsets[start : stop + 1])
            index = np.arange(start, stop, step)
        return self._take(np.asarray(index, dtype=np.int64).reshape(-1))

    def __iter__(self) -> Iterator[Image]:
        for i in range(len(self)):
            yield self._image(i)

    @property
    def nbytes(self) -> int:
        return int(self.data.size)

    @property
    def pixel_count(self) -> int:
        """Pixels (H x W) over all images, whatever their channels."""
        return int(np.sum(self.shapes[:, 0] * self.shapes[:, 1]))

    def uniform_shape(self) -> tuple[int, int, int] | None:
        """The one shape every image has, or None when they differ (or the list is empty)."""
        if len(self) == 0 or not (self.shapes == self.shapes[0]).all():
            return None
        h, w, c = (int(side) for side in self.shapes[0])
        return (h, w, c)

    def to_array(self) -> npt.NDArray[np.uint8]:
        """The (N,H,W,C) array of a list whose images share one shape (a view)."""
        shape = self.uniform_shape()
        if shape is None:
            raise ValueError("the images do not share one shape")
        return self.data.reshape(len(self), *shape)

    def make_read_only(self) -> None:
        for array in (self.data, self.shapes, self.offsets):
            array.flags.writeable = False

    def _image(self, i: int) -> Image:
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"image {i} is not in a list of {len(self)}")
        h, w, c = self.shapes[i].tolist()
        return self.data[self.offsets[i] : self.offsets[i + 1]].reshape(h, w, c)

    def _take(self, ids: npt.NDArray[np.int64]) -> ImageList:
        if ids.size and (ids.min() < -len(self) or ids.max() >= len(self)):
            raise IndexError(f"ids must lie in 0..{len(self) - 1}")
        ids = ids % max(1, len(self))
        shapes = self.shapes[ids]
        sizes = self.offsets[ids + 1] - self.offsets[ids]
        offsets = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        data = np.empty(int(offsets[-1]), dtype=np.uint8)
        for position, image_id in enumerate(ids.tolist()):
            data[offsets[position] : offsets[position + 1]] = self.data[
                self.offsets[image_id] : self.offsets[image_id + 1]
            ]
        return ImageList(data, shapes, offsets)


def offsets_of(shapes: npt.NDArray[np.integer]) -> npt.NDArray[np.int64]:
    """Where each image starts in a flat buffer of images of these shapes (N+1 entries)."""
    offsets = np.zeros(len(shapes) + 1, dtype=np.int64)
    np.cumsum(np.prod(shapes, axis=1, dtype=np.int64), out=offsets[1:])
    return offsets


def split_flat(
    pixels: npt.NDArray[np.uint8], shapes: npt.NDArray[np.integer], offsets: npt.NDArray[np.int64]
) -> list[Image]:
    """Views of each image in a flat buffer (offsets relative to the buffer's start); one
    pass over plain lists, cheaper than indexing an ImageList image by image."""
    return [
        pixels[start:stop].reshape(shape)
        for start, stop, shape in zip(
            offsets[:-1].tolist(), offsets[1:].tolist(), shapes.tolist(), strict=True
        )
    ]


#: What a backend stores and a data set holds: a uniform (N,H,W,C) array or an ImageList.
ImageBatch: TypeAlias = npt.NDArray[np.uint8] | ImageList


def _as_image(image: npt.ArrayLike) -> Image:
    array = np.asarray(image)
    if array.ndim == 2:
        array = array[:, :, np.newaxis]
    if array.dtype != np.uint8 or array.ndim != 3:
        raise ValueError(f"an image is (H,W,C) uint8, got {array.shape} {array.dtype}")
    return array


def images_sha256(images: ImageBatch, labels: npt.NDArray[np.integer]) -> str:
    """sha256 over the pixels in id order, then (for varying shapes) the shapes as
    little-endian int64, then the labels as little-endian int64."""
    digest = hashlib.sha256()
    if isinstance(images, ImageList):
        digest.update(np.ascontiguousarray(images.data).data.cast("B"))
        digest.update(np.ascontiguousarray(images.shapes, dtype="<i8").tobytes())
    else:
        digest.update(np.ascontiguousarray(images).data.cast("B"))
    digest.update(np.ascontiguousarray(labels, dtype="<i8").tobytes())
    return digest.hexdigest()


def same_images(got: Sequence[Image] | npt.NDArray[np.uint8], expected: ImageBatch) -> bool:
    """Whether two batches hold the same images bit for bit, shape by shape."""
    if isinstance(got, np.ndarray) and isinstance(expected, np.ndarray):
        return got.dtype == np.uint8 and bool(np.array_equal(got, expected))
    if len(got) != len(expected):
        return False
    return all(
        a.dtype == np.uint8 and np.array_equal(a, b) for a, b in zip(got, expected, strict=True)
    )
