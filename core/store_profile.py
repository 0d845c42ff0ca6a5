"""What a run knows of each store before it measures it: the images its reads must equal,
the encoding's quality against the source, and the pure codec cost per image.

A lossless store's reads are checked bit for bit against the source. A lossy one's are
checked bit for bit against a *reference decode* of the same encoded bytes (the codec run
on its own, outside any container), so a container that mangles its records is still
caught; how far that decode is from the source is recorded as PSNR and max error.

The codec cost is encode and decode timed alone, on the first images of the data set, so
a reader of the results sees how much of a store or read is the container and how much
the codec. Nothing here is inside a timed sample of an experiment.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .backends.names import parse_store
from .codecs import Codec, OriginalCodec, decode_record, encode_record, max_abs_error
from .codecs.png import PngCodec
from .images import ImageBatch, ImageList

Images = npt.NDArray[np.uint8]
#: Images timed for the pure codec cost (the first ones of the data set), and rounds.
COST_IMAGES = 200
COST_ROUNDS = 3


def store_codec(
    store: str,
    keep_grey: bool = False,
    resize: Any = None,
    options: Mapping[str, Any] | None = None,
) -> Codec:
    """The codec of a store, set up as the store will write (the PNG files store's
    ``compress_level`` option is its codec's level, so the record and the codec cost say
    the level used) and as the run's data was loaded (``original`` decodes the way the
    folder loader did)."""
    codec = parse_store(store).codec()
    if isinstance(codec, OriginalCodec):
        return OriginalCodec(keep_grey, resize)
    level = (options or {}).get("compress_level")
    if isinstance(codec, PngCodec) and level is not None:
        return PngCodec(level)
    return codec


def reference_images(
    codec: Codec, images: ImageBatch, source_files: Sequence[str] = ()
) -> ImageBatch:
    """What a store of this codec must read back: the source itself when lossless, else
    each image encoded and decoded by the codec alone (same layout as ``images``)."""
    if codec.lossless:
        return images
    decoded = [
        decode_record(codec, encode_record(codec, image, _file(source_files, i)))
        for i, image in enumerate(images)
    ]
    if isinstance(images, ImageList):
        return ImageList.from_arrays(decoded)
    return np.stack(decoded) if decoded else images.copy()


def quality(images: ImageBatch, reference: ImageBatch) -> dict[str, float | int | None]:
    """PSNR (dB, over every pixel of the data set; None when identical) and the largest
    error of one pixel value, of the reference decode against the source."""
    squared = 0.0
    values = 0
    worst = 0
    for source, decoded in zip(images, reference, strict=True):
        worst = max(worst, max_abs_error(source, decoded))
        difference = source.astype(np.int16) - decoded.astype(np.int16)
        squared += float(np.square(difference, dtype=np.float64).sum())
        values += difference.size
    if squared == 0 or values == 0:
        return {"psnr_db": None, "max_abs_error": worst}
    return {"psnr_db": 10 * math.log10(255.0**2 * values / squared), "max_abs_error": worst}


def codec_cost(
    codec: Codec, images: ImageBatch, source_files: Sequence[str] = ()
) -> dict[str, float | int]:
    """Encode and decode seconds per image, each timed on its own (best of a few rounds
    over the first images), and the mean record size."""
    count = min(COST_IMAGES, len(images))
    sample = [images[i] for i in range(count)]
    files = [_file(source_files, i) for i in range(count)]
    records: list[bytes] = []

    def encode_all() -> None:
        pairs = zip(sample, files, strict=True)
        records[:] = [encode_record(codec, image, file) for image, file in pairs]

    def decode_all() -> None:
        for record in records:
            decode_record(codec, record)

    encode_s = _best_of(encode_all, COST_ROUNDS) / max(1, count)
    decode_s = _best_of(decode_all, COST_ROUNDS) / max(1, count)
    record_bytes = sum(len(record) for record in records) / max(1, count)
    return {
        "encode_s_per_image": encode_s,
        "decode_s_per_image": decode_s,
        "record_bytes_per_image": record_bytes,
        "cost_images": count,
    }


def store_record(store: str, codec: Codec) -> dict[str, Any]:
    """The results document's entry for a store: what it is made of."""
    name = parse_store(store)
    return {
        "container": name.container,
        "encoding": name.encoding,
        "encoding_settings": codec.get_config(),
        "lossless": codec.lossless,
    }


def _best_of(work: Callable[[], None], rounds: int) -> float:
    best = math.inf
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def _file(source_files: Sequence[str], index: int) -> str | None:
    return source_files[index] if source_files else None
