"""Encoding and decoding through Pillow, shared by the png, jpeg and webp codecs."""

from __future__ import annotations

import io
import struct
from collections.abc import Collection
from typing import Any, Final

import numpy as np
from PIL import Image

from .base import Pixels, checked_image

#: Pillow's exceptions for bytes it cannot read (all become one-line ValueErrors).
_BAD_DATA: Final = (OSError, SyntaxError, EOFError, struct.error, Image.DecompressionBombError)
_MODES: Final = {1: "L", 3: "RGB", 4: "RGBA"}
_CHANNELS: Final = {"L": "grey (H, W)", "RGB": "colour (H, W, 3)", "RGBA": "RGBA (H, W, 4)"}


def encode(
    image: Pixels, codec: str, pillow_format: str, modes: Collection[str], **options: Any
) -> bytes:
    """The image saved by Pillow in ``pillow_format``; (H, W, 1) is saved as grey."""
    pixels = checked_image(image, codec)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    mode = _MODES[1 if pixels.ndim == 2 else pixels.shape[2]]
    if mode not in modes:
        holds = " or ".join(_CHANNELS[m] for m in modes)
        raise ValueError(f"{codec}: holds {holds} images, not {_CHANNELS[mode]}")
    buffer = io.BytesIO()
    try:
        Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format=pillow_format, **options)
    except (OSError, ValueError) as error:  # e.g. WebP's 16383-pixel side limit
        raise ValueError(f"{codec}: cannot encode {tuple(image.shape)}: {error}") from None
    return buffer.getvalue()


def decode(data: bytes, codec: str, pillow_format: str) -> Pixels:
    """The pixels of ``pillow_format`` bytes: grey (H, W), colour (H, W, 3), RGBA (H, W, 4).

    Only that one format is tried, so bytes of another kind are refused, not guessed at."""
    try:
        with Image.open(io.BytesIO(data), formats=(pillow_format,)) as image:
            image.load()
            mode = image.mode
            pixels = np.asarray(image) if mode in _CHANNELS else None
    except _BAD_DATA as error:
        raise ValueError(f"{codec}: cannot decode {len(data)} bytes: {error}") from None
    if pixels is None:
        raise ValueError(f"{codec}: decoded a {mode} image; expected L, RGB or RGBA")
    return pixels
