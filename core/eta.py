"""How long the rest of a run will take, from what its samples have cost so far.

Each (backend, experiment) gets a line, wall seconds = overhead + cost per image x
images, fitted to the samples it has taken (whole steps: setup, the timed region,
checking and clean-up). A pair not measured yet uses a prior from typical costs on a
small machine, so the first estimate is sane and every sample makes it better. The
estimate of the work still planned is the sum over it: never elapsed / done over the
whole run, which swings whenever a slow backend follows a fast one.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

#: Typical seconds per image on a 2-core machine, durable (the store_single figures are
#: dominated by one fsync per call). Used until a pair has been measured.
PRIOR_PER_IMAGE_S: dict[tuple[str, str], float] = {
    ("png", "store_many"): 700e-6,  # encode, sync, and removing the last sample's files
    ("png", "store_single"): 950e-6,
    ("png", "read_many"): 85e-6,
    ("png", "read_single"): 120e-6,
    ("png", "read_random"): 90e-6,
    ("lmdb", "store_many"): 11e-6,
    ("lmdb", "store_single"): 450e-6,
    ("hdf5", "store_single"): 870e-6,
    ("hdf5", "read_single"): 8e-6,
    ("hdf5", "read_random"): 7e-6,
    ("raw", "store_single"): 520e-6,
    ("png", "epoch"): 110e-6,  # per image of every epoch, decode in the workers
    ("png", "epoch_batched"): 110e-6,
    ("png", "read_latency"): 120e-6,
    # One read_one per image: zarr-python pays about a millisecond a call, parquet a
    # third of one (the training preset here, 10,000 images, 1 worker).
    ("zarr", "epoch"): 1.1e-3,
    ("zarr", "read_latency"): 1.1e-3,
    ("zarr", "read_single"): 1.1e-3,
    ("parquet", "epoch"): 350e-6,
    ("parquet", "read_latency"): 100e-6,
    ("parquet", "read_single"): 350e-6,
    ("tar", "epoch"): 10e-6,
}
DEFAULT_PER_IMAGE_S = 5e-6
#: Fixed cost of one sample step: a store makes a folder, syncs, and removes the last
#: sample's store; a read on an open reader, or an open, costs far less (measured on a
#: quick run here: about 2 ms a step for open and small reads, its store included).
PRIOR_OVERHEAD_S = 5e-3
PRIOR_READ_OVERHEAD_S = 2e-3
#: An epoch sample starts its loader's workers once per epoch (fork, open the store).
PRIOR_EPOCH_OVERHEAD_S = 0.3
STORES = frozenset({"store_single", "store_many"})
NOT_DURABLE_FACTOR = 0.1  # without fsync, single stores cost far less
#: Below this many images per sample, fixed costs hide the cost per image...
SLOPE_FROM_IMAGES = 100
#: ...except where each image is a call of its own (a durable store_one is an fsync each).
PER_CALL = frozenset({"store_single", "read_single"})


@dataclass
class _Line:
    """The (images, wall seconds) points of one (backend, experiment)."""

    points: list[tuple[int, float]] = field(default_factory=list)

    def fit(self, prior_per_image: float, per_call: bool = False) -> tuple[float, float]:
        """(overhead, per image) by least squares over the median at each image count (a
        first sample that paid for imports or a cold cache is no trend), both kept at 0
        or above. Seen only at small counts, where fixed costs hide the cost per image, the
        prior gives the slope and the points the overhead, unless the work is one call per
        image (``per_call``): then even ten calls show their cost."""
        by_images: dict[int, list[float]] = {}
        for images, seconds in self.points:
            by_images.setdefault(images, []).append(seconds)
        medians = {images: statistics.median(values) for images, values in by_images.items()}
        if max(medians) < SLOPE_FROM_IMAGES or len(medians) == 1:
            images = max(medians)
            if images < SLOPE_FROM_IMAGES and not per_call:
                return max(0.0, medians[images] - prior_per_image * images), prior_per_image
            overhead = min(medians[images], PRIOR_OVERHEAD_S)
            return overhead, (medians[images] - overhead) / images
        xs, ys = [float(x) for x in medians], list(medians.values())
        mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
        spread = sum((x - mean_x) ** 2 for x in xs)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
        slope = max(0.0, slope)
        return max(0.0, mean_y - slope * mean_x), slope


#: The bytes of one image the priors were measured on (CIFAR: 32x32 RGB).
PRIOR_PIXEL_BYTES = 32 * 32 * 3
#: Seconds each byte of an image beyond CIFAR's adds, by store and kind of work: PNG's
#: zlib coding, else copying, writing and checking. Measured on this project's 2-core VM
#: with 640x480 photos (``imgbench run --preset quick --data photos --cutoffs 10,30,100``:
#: PNG store 35-43 ms and read 5 ms an image; raw, LMDB, HDF5 store 0.6-2 ms, read 0.2 ms).
PRIOR_PER_BYTE_S: dict[tuple[str, str], float] = {
    ("png", "store"): 45e-9,
    ("png", "read"): 6e-9,
    ("*", "store"): 1.5e-9,
    ("*", "read"): 0.5e-9,
}


@dataclass
class EtaModel:
    """Seconds one sample step of a task will take (and how much of it is timed), learned
    as the run goes."""

    durable: bool = True
    #: One image's bytes against the CIFAR images the priors were measured on: the priors
    #: per image grow with it (a photo of 100x the bytes costs about 100x to move).
    size_scale: float = 1.0
    #: A store's codec measured on its own (encode, decode seconds per image), added to
    #: its container's prior until the store has been measured.
    codec_s: dict[str, tuple[float, float]] = field(default_factory=dict)
    _walls: dict[tuple[str, str], _Line] = field(default_factory=dict)
    _timed: dict[tuple[str, str], _Line] = field(default_factory=dict)

    def observe(
        self, backend: str, experiment: str, images: int, wall_s: float, timed_s: float
    ) -> None:
        for lines, seconds in ((self._walls, wall_s), (self._timed, timed_s)):
            line = lines.setdefault((backend, experiment), _Line())
            line.points.append((max(1, images), max(0.0, seconds)))
            del line.points[:-50]  # recent points are enough, and keep the fit cheap

    def step_s(self, backend: str, experiment: str, images: int) -> float:
        """Wall seconds of one whole sample step (setup, timed region, clean-up)."""
        return self._predict(self._walls, backend, experiment, images)

    def timed_s(self, backend: str, experiment: str, images: int) -> float:
        """Seconds of one sample's timed region, which the sampling budget counts."""
        return self._predict(self._timed, backend, experiment, images)

    def _predict(
        self, lines: dict[tuple[str, str], _Line], backend: str, experiment: str, images: int
    ) -> float:
        prior = self._prior_per_image(backend, experiment)
        line = lines.get((backend, experiment))
        if line is not None:
            overhead, per_image = line.fit(prior, per_call=experiment in PER_CALL)
            return overhead + per_image * images
        return self._prior_overhead(experiment) + prior * images

    @staticmethod
    def _prior_overhead(experiment: str) -> float:
        if experiment.startswith("epoch"):
            return PRIOR_EPOCH_OVERHEAD_S
        return PRIOR_OVERHEAD_S if experiment in STORES else PRIOR_READ_OVERHEAD_S

    def _prior_per_image(self, backend: str, experiment: str) -> float:
        per_image = self._sized(backend, experiment)
        if backend in self.codec_s:  # a container of encoded records: container + codec
            container = backend.partition("+")[0]
            per_image = self._sized(container, experiment)
            encode_s, decode_s = self.codec_s[backend]
            per_image += encode_s if experiment in STORES else decode_s
        if experiment == "store_single" and not self.durable:
            per_image *= NOT_DURABLE_FACTOR
        if experiment == "open":
            per_image = DEFAULT_PER_IMAGE_S / 10
        return per_image

    def _sized(self, backend: str, experiment: str) -> float:
        """The prior for this run's images: CIFAR's figure, plus each byte beyond CIFAR's
        at the rate moving (and for PNG, coding) a byte costs; the fixed part (a sync, a
        call, a file) does not grow with the image. Smaller images scale down."""
        prior = PRIOR_PER_IMAGE_S.get((backend, experiment), DEFAULT_PER_IMAGE_S)
        extra_bytes = (self.size_scale - 1.0) * PRIOR_PIXEL_BYTES
        if extra_bytes <= 0:
            return prior * self.size_scale
        kind = "store" if experiment in STORES else "read"
        rate = PRIOR_PER_BYTE_S.get((backend, kind), PRIOR_PER_BYTE_S[("*", kind)])
        return prior + extra_bytes * rate
