"""One image's record and back, the way every store does it: the one place that knows
``original`` records are files' bytes and that stores give grey back as (H, W, 1)."""

from __future__ import annotations

import numpy as np

from .base import Codec, Pixels
from .original import OriginalCodec


def encode_record(codec: Codec, image: Pixels, source_file: str | None = None) -> bytes:
    """The image's record: its encoding, or (``original``) its file's bytes."""
    if isinstance(codec, OriginalCodec):
        if source_file is None:
            raise ValueError("the original encoding stores an image folder's own files")
        with open(source_file, "rb") as handle:
            return codec.encode_file(handle.read())
    return codec.encode(image)


def decode_record(codec: Codec, record: bytes | memoryview) -> Pixels:
    """The image a record holds, (H, W, C) with grey as (H, W, 1) like the data set."""
    image = codec.decode(record)  # type: ignore[arg-type]
    return image[:, :, np.newaxis] if image.ndim == 2 else image
