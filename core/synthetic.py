"""The built-in synthetic data set, used when no CIFAR data is found.

Each image is built like a small photo: a smooth background of a few regions of light and
colour with a finer texture, one object whose hue and outline are set by the class (see
``CLASS_NAMES``), and a little per-pixel grain. The grain is tuned so that a 32x32x3 image
saved as PNG with Pillow's defaults is about as large as a real CIFAR-10 image (about 2,260
bytes): pure noise or flat colour would make every disk-usage measurement meaningless.

Images are made in blocks whose length depends only on the image size, each block seeded
from ``(seed, block index)``: the first ``n`` images of a larger set are exactly the set of
``n`` images with the same seed, and blocks can be painted by several threads at once.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from .dataset import Dataset

Floats = npt.NDArray[np.float32]
Labels = npt.NDArray[np.int64]
Doubles = npt.NDArray[np.float64]

#: Bumped whenever the images for a given seed change; recorded in ``Dataset.details``.
GENERATOR_VERSION = 1

#: Class k has hue k * 36 degrees and outline k % 5.
CLASS_NAMES: tuple[str, ...] = (
    "red disc",
    "orange square",
    "yellow diamond",
    "green ring",
    "mint bar",
    "cyan disc",
    "azure square",
    "blue diamond",
    "purple ring",
    "pink bar",
)
_NUM_CLASSES = len(CLASS_NAMES)
_NUM_SHAPES = 5

# Pixels (H*W) per block: 256 images of 32x32, so a block's float32 arrays stay in cache.
_BLOCK_PIXELS = 1 << 18
_MAX_WORKERS = 4  # threads; beyond a few, memory bandwidth is the limit

_GRAIN = 0.092  # mean grain amplitude: uniform over 255*_GRAIN levels; tuned for PNG size
_TEXTURE = 14.0  # mean amplitude (levels) of the mid-frequency luminance texture
_LIGHT = 55.0  # amplitude (levels) of the smooth light field
_SHIFT = 25.0  # amplitude (levels) of the smooth colour shift
_CELL = 4  # pixels between points of the texture grid
_BLAS_SINGLE_THREAD_WORK = 1 << 18  # OpenBLAS runs m*n*k up to 4*65536 in one thread
_NOISE_CHUNK_BYTES = 1 << 16  # grain drawn in chunks this size: small, reusable allocations
_EDGE_PIXELS = 1.2  # width of the object's soft edge, like a slightly blurred photo
_LUMA = np.array([0.299, 0.587, 0.114])


def make_synthetic(
    count: int,
    *,
    seed: int = 0,
    size: tuple[int, int] = (32, 32),
    channels: int = 3,
) -> Dataset:
    """Make ``count`` photo-like images in 10 classes, the same for the same seed and size."""
    height, width = _validated(count, seed, size, channels)
    images = np.empty((count, height, width, channels), dtype=np.uint8)
    labels = np.empty(count, dtype=np.int64)
    block = _block_length(height, width)
    starts = range(0, count, block)
    workers = _worker_count(len(starts))
    painters = [_BlockPainter(height, width, channels) for _ in range(workers)]

    def paint_share(worker: int) -> None:
        """Every workers-th block: blocks depend only on (seed, index), not on who paints."""
        for index in range(worker, len(starts), workers):
            start, stop = starts[index], min(starts[index] + block, count)
            rng = np.random.default_rng([seed, index])
            labels[start:stop] = painters[worker].paint(rng, out=images[start:stop])

    if workers == 1:
        paint_share(0)
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix="imgbench-synthetic") as pool:
            list(pool.map(paint_share, range(workers)))
    return Dataset(
        images=images,
        labels=labels,
        class_names=CLASS_NAMES,
        source="synthetic",
        path=None,
        details={
            "seed": int(seed),
            "size": [height, width],
            "channels": channels,
            "generator_version": GENERATOR_VERSION,
        },
    )


def _validated(count: int, seed: int, size: tuple[int, int], channels: int) -> tuple[int, int]:
    """Refuse arguments that cannot make a data set, naming the one that is wrong."""
    if not _is_int(count) or count < 1:
        raise ValueError(f"count must be an integer of at least 1, got {count!r}")
    if not _is_int(seed) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    sides = tuple(size) if isinstance(size, (tuple, list)) else ()
    if len(sides) != 2 or not all(_is_int(side) and side >= 1 for side in sides):
        raise ValueError(f"size must be (height, width), both at least 1, got {size!r}")
    if not _is_int(channels) or channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grey) or 3 (RGB), got {channels!r}")
    return int(sides[0]), int(sides[1])


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _worker_count(blocks: int) -> int:
    """Threads to paint with: numpy releases the GIL for the heavy work, so the cores help."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(_MAX_WORKERS, cores, blocks))


def _block_length(height: int, width: int) -> int:
    """Images per block: depends only on the image size, so prefixes stay stable."""
    return max(1, _BLOCK_PIXELS // (height * width))


class _BlockPainter:
    """Paints blocks of images into buffers it allocates once and reuses.

    Two things decide the speed. Reused buffers: fresh block-sized temporaries go back to
    the system when freed and are page-faulted in again on every block, which costs about
    as much as the painting. And the shape of each operation: per-pixel work runs on whole
    contiguous arrays, whole rows, or one channel plane at a time, never as a broadcast
    whose innermost axis is the 3 channels (numpy is slow on those).
    """

    def __init__(self, height: int, width: int, channels: int) -> None:
        self.height, self.width, self.channels = height, width, channels
        self.block = n = _block_length(height, width)
        # Grids scale with the image, so larger images keep a photo-like level of detail.
        self.coarse_shape = (3 + height // 32, 3 + width // 32)
        self.fine_shape = fine_h, fine_w = (_cells(height), _cells(width))
        self.coarse_to_fine = _grid_upsampling(self.coarse_shape, self.fine_shape)
        self.fine_to_columns = _interleaved_upsampling(fine_w, width, channels)
        self.ys = np.arange(height) + 0.5
        self.xs = np.arange(width) + 0.5
        self.noise_chunk = max(1, _NOISE_CHUNK_BYTES // (height * width * channels))

        def buffer(*shape: int) -> Floats:
            return np.empty(shape, dtype=np.float32)

        self.image = buffer(n, height, width, channels)
        self.smooth = buffer(n, 2, fine_h * fine_w)
        self.light = buffer(n, 1, fine_h * fine_w)
        self.fine = buffer(n, channels, fine_h * fine_w)
        self.fine_part = buffer(n, channels, fine_h * fine_w)
        self.grid_rows = buffer(n, fine_h, channels, fine_w)
        self.wide = buffer(n, fine_h, width * channels)
        self.steps = buffer(n, fine_h - 1, width * channels)
        self.coverage = buffer(n, height, width)
        self.plane = buffer(n, height, width)

    def paint(self, rng: np.random.Generator, out: npt.NDArray[np.uint8]) -> Labels:
        """Paint one block, write its first len(out) images to out, return their labels.

        The whole block is always painted and drawn from rng in the same order, so what an
        image looks like never depends on how many are asked for. Until the end, the image
        is kept in units of each image's grain step: the grain is then one add of raw
        bytes, and the way back to levels is one multiply, straight into out.
        """
        n, c = self.block, self.channels
        labels = rng.integers(0, _NUM_CLASSES, size=n, dtype=np.int64)
        grain = _GRAIN * rng.uniform(0.4, 1.6, size=n)
        colour = _object_colour(rng, labels)
        base = _base_colour(rng, colour @ _LUMA)
        # The grain is 0 to 255 whole steps: remove its mean here, and add 0.5 level so
        # that the final float -> uint8 cast (a truncation) rounds.
        offset = (_to_channels(base, c) + 0.5) / grain[:, None] - 127.5
        self._paint_background(rng, offset, 1.0 / grain)
        change = _to_channels(colour - base, c) / grain[:, None]
        self._add_object(rng, labels, change)
        self._add_grain(rng)
        self._finish(grain, out)
        return labels[: len(out)]

    def _paint_background(self, rng: np.random.Generator, offset: Doubles, scale: Doubles) -> None:
        """Smooth regions of light and colour plus a finer texture.

        Two smooth fields (light, and a shift along a random colour direction) and the
        texture are mixed on the small texture grid, upsampled along x while still small,
        by one matrix product that also interleaves the channels, then along y by
        interpolating between whole rows.
        """
        n, c = offset.shape
        fine_h, fine_w = self.fine_shape
        coarse = rng.uniform(-1.0, 1.0, size=(n * 2, self.coarse_shape[0] * self.coarse_shape[1]))
        smooth = self.smooth
        _matmul_in_one_thread(coarse.astype(np.float32), self.coarse_to_fine, smooth)
        light = rng.random(dtype=np.float32, out=self.light)  # the texture, for now
        light -= np.float32(0.5)
        light *= (2.0 * _TEXTURE * rng.uniform(0.3, 1.7, size=(n, 1, 1))).astype(np.float32)
        tint = _to_channels(1.0 + rng.uniform(-0.15, 0.15, size=(n, 3)), c) * scale[:, None]
        shift = _to_channels(rng.uniform(-_SHIFT, _SHIFT, size=(n, 3)), c) * scale[:, None]

        # (n, C, fine_h * fine_w) planes: the broadcasts run along whole planes
        np.multiply(smooth[:, :1], np.float32(_LIGHT), out=self.fine_part[:, :1])
        light += self.fine_part[:, :1]
        fine = np.multiply(light, tint[:, :, None].astype(np.float32), out=self.fine)
        np.multiply(smooth[:, 1:], shift[:, :, None].astype(np.float32), out=self.fine_part)
        fine += self.fine_part
        fine += offset[:, :, None].astype(np.float32)
        np.copyto(self.grid_rows, fine.reshape(n, c, fine_h, fine_w).transpose(0, 2, 1, 3))
        grid_rows = self.grid_rows.reshape(n * fine_h, c * fine_w)
        _matmul_in_one_thread(grid_rows, self.fine_to_columns, self.wide)
        self._interpolate_rows()

    def _interpolate_rows(self) -> None:
        """Rows between texture-grid rows, interpolated linearly, one phase at a time.

        Row y = _CELL * j + phase lies phase / _CELL of the way from grid row j to j + 1,
        so each phase is a strided set of whole rows: two cheap passes over the image.
        """
        wide, steps = self.wide, self.steps
        n, _, row_len = wide.shape
        image = self.image.reshape(n, self.height, row_len)
        np.subtract(wide[:, 1:], wide[:, :-1], out=steps)
        for phase in range(min(_CELL, self.height)):
            rows = image[:, phase::_CELL]
            count = rows.shape[1]
            if phase == 0:
                np.copyto(rows, wide[:, :count])
                continue
            np.multiply(steps[:, :count], np.float32(phase / _CELL), out=rows)
            rows += wide[:, :count]

    def _add_object(self, rng: np.random.Generator, labels: Labels, colour_change: Doubles) -> None:
        """Add one object, whose hue and outline say its class, over the background.

        The object moves the background towards its colour instead of covering it, so the
        light and texture continue across it as they do across real objects.
        """
        n = len(labels)
        coverage = self._object_coverage(rng, labels)
        change = colour_change.astype(np.float32)
        for channel in range(self.channels):
            np.multiply(coverage, change[:, channel].reshape(n, 1, 1), out=self.plane)
            self.image[..., channel] += self.plane

    def _object_coverage(self, rng: np.random.Generator, labels: Labels) -> Floats:
        """(n, H, W): 1 inside the object, 0 outside, with a soft edge about a pixel wide.

        Coordinates are measured in edge widths, so that coverage is just
        clip(size - distance, 0, 1) with size the object's radius in edge widths.
        """
        n, height, width = len(labels), self.height, self.width
        radius = rng.uniform(0.2, 0.34, size=n) * min(height, width)
        centre_y = rng.uniform(0.3, 0.7, size=n) * height
        centre_x = rng.uniform(0.3, 0.7, size=n) * width
        u = ((self.xs - centre_x[:, None]) / _EDGE_PIXELS).astype(np.float32)[:, None, :]
        v = ((self.ys - centre_y[:, None]) / _EDGE_PIXELS).astype(np.float32)[:, :, None]
        size = (radius / _EDGE_PIXELS).astype(np.float32).reshape(n, 1, 1)
        coverage = self.coverage
        for shape, outline in enumerate(_OUTLINES):
            chosen = np.flatnonzero(labels % _NUM_SHAPES == shape)
            distance = self.plane[: chosen.size]
            outline(u[chosen], v[chosen], size[chosen], distance)
            coverage[chosen] = distance
        np.subtract(size, coverage, out=coverage)
        return np.clip(coverage, 0.0, 1.0, out=coverage)

    def _add_grain(self, rng: np.random.Generator) -> None:
        """Per-pixel, sensor-like grain: uniform in [0, 256) grain steps.

        Raw 64-bit draws viewed as bytes are several times cheaper than any other noise;
        drawing them in small chunks keeps the allocations small enough to be reused.
        """
        image = self.image
        for start in range(0, len(image), self.noise_chunk):
            part = image[start : start + self.noise_chunk]
            words = rng.integers(0, 2**64, size=-(-part.size // 8), dtype=np.uint64)
            noise = words.astype("<u8", copy=False).view(np.uint8)[: part.size]
            np.add(part, noise.reshape(part.shape), out=part)

    def _finish(self, grain: Doubles, out: npt.NDArray[np.uint8]) -> None:
        """Clip to [0.5, 255.5] levels and convert to uint8, rounding (the +0.5 is already
        in, and the cast truncates), writing straight into out."""
        count = len(out)
        steps = grain.astype(np.float32).reshape(-1, 1, 1, 1)
        image = self.image[:count]
        np.clip(
            image, np.float32(0.5) / steps[:count], np.float32(255.5) / steps[:count], out=image
        )
        np.multiply(image, steps[:count], out=out, casting="unsafe")


def _matmul_in_one_thread(left: Floats, right: Floats, out: Floats) -> None:
    """out (any shape holding the product) = left @ right, in row slices small enough that
    OpenBLAS does not split them across threads.

    These products are thin (a few dozen columns): threads save nothing on them, and their
    spinning hand-offs made the whole generation two to three times slower on 2 cores.
    """
    rows = out.reshape(len(left), right.shape[1])
    step = max(16, _BLAS_SINGLE_THREAD_WORK // (right.shape[0] * right.shape[1]))
    for start in range(0, len(left), step):
        np.matmul(left[start : start + step], right, out=rows[start : start + step])


def _cells(length: int) -> int:
    """Texture grid points along an axis: one every _CELL pixels, and one past the end."""
    return (length - 1) // _CELL + 2


def _bilinear_weights(out_len: int, grid_len: int) -> Floats:
    """(out_len, grid_len) matrix that linearly interpolates a grid spanning the whole axis."""
    positions = np.linspace(0.0, grid_len - 1.0, out_len) if out_len > 1 else np.zeros(1)
    return _linear_weights(positions, grid_len)


def _cell_weights(out_len: int, grid_len: int) -> Floats:
    """(out_len, grid_len) matrix that interpolates a grid with a point every _CELL pixels."""
    return _linear_weights(np.arange(out_len) / _CELL, grid_len)


def _linear_weights(positions: Doubles, grid_len: int) -> Floats:
    """Linear interpolation weights of grid points for each position (in grid steps)."""
    lower = np.clip(np.floor(positions).astype(np.intp), 0, grid_len - 2)
    frac = positions - lower
    weights = np.zeros((len(positions), grid_len), dtype=np.float32)
    rows = np.arange(len(positions))
    weights[rows, lower] = 1.0 - frac
    weights[rows, lower + 1] += frac
    return weights


def _grid_upsampling(coarse: tuple[int, int], fine: tuple[int, int]) -> Floats:
    """(gh*gw, fh*fw) matrix: flattened coarse grids times it are flattened fine grids."""
    rows = _bilinear_weights(fine[0], coarse[0])
    cols = _bilinear_weights(fine[1], coarse[1])
    return np.ascontiguousarray(np.kron(rows, cols).T, dtype=np.float32)


def _interleaved_upsampling(grid_w: int, width: int, channels: int) -> Floats:
    """(C*gw, W*C) matrix: a grid row with planar channels times it is an interleaved row."""
    cols = _cell_weights(width, grid_w)  # (W, gw)
    eye = np.eye(channels, dtype=np.float32)
    weights = np.einsum("xi,ab->aixb", cols, eye)  # [channel in, grid x, pixel x, channel out]
    return np.asarray(weights, dtype=np.float32).reshape(channels * grid_w, width * channels)


def _base_colour(rng: np.random.Generator, object_luma: Doubles) -> Doubles:
    """(n, 3) mean background colour: muted, and lighter or darker than the object, so the
    object stands out even in grey."""
    n = len(object_luma)
    away = rng.uniform(45.0, 100.0, size=n)
    brightness = np.where(object_luma > 128.0, object_luma - away, object_luma + away)
    return brightness[:, None] + rng.uniform(-30.0, 30.0, size=(n, 3))


def _object_colour(rng: np.random.Generator, labels: Labels) -> Doubles:
    """(n, 3) object colour: the hue says the class; saturation and value vary."""
    n = len(labels)
    hue = (labels / _NUM_CLASSES + rng.uniform(-0.03, 0.03, size=n)) % 1.0
    saturation = rng.uniform(0.55, 0.95, size=n)
    value = rng.uniform(0.5, 0.95, size=n) * 255.0
    k = (np.array([5.0, 3.0, 1.0]) + hue[:, None] * 6.0) % 6.0
    ramp = np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)
    return np.asarray(value[:, None] * (1.0 - saturation[:, None] * ramp), dtype=np.float64)


def _to_channels(rgb: Doubles, channels: int) -> Doubles:
    """(n, 3) RGB to (n, C): unchanged for colour, luma for grey."""
    return rgb if channels == 3 else rgb @ _LUMA[:, None]


# Outlines: (u, v, size, out) -> distance from the centre in the outline's own norm, scaled
# so that every class has about the same visual weight at the same size. u is (k, 1, W) and
# v is (k, H, 1), in edge widths; the result fills out (k, H, W).


def _disc(u: Floats, v: Floats, size: Floats, out: Floats) -> None:
    np.add(u * u, v * v, out=out)
    np.sqrt(out, out=out)


def _square(u: Floats, v: Floats, size: Floats, out: Floats) -> None:
    np.maximum(np.abs(u) * np.float32(1.15), np.abs(v) * np.float32(1.15), out=out)


def _diamond(u: Floats, v: Floats, size: Floats, out: Floats) -> None:
    np.add(np.abs(u) * np.float32(0.8), np.abs(v) * np.float32(0.8), out=out)


def _ring(u: Floats, v: Floats, size: Floats, out: Floats) -> None:
    """The band of a disc around 0.68 of its size."""
    _disc(u, v, size, out)
    out -= np.float32(0.68) * size
    np.abs(out, out=out)
    out *= np.float32(1.0 / 0.32)


def _bar(u: Floats, v: Floats, size: Floats, out: Floats) -> None:
    np.maximum(np.abs(u) * np.float32(0.55), np.abs(v) * np.float32(2.2), out=out)


_OUTLINES = (_disc, _square, _diamond, _ring, _bar)
