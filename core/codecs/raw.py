"""``raw``: the pixel bytes as they are, behind a tiny header giving the shape.

The baseline encoding: no compression and no decoder, so a container's own cost shows
alone. The header is ndim then each dimension, little-endian uint32 (12 or 16 bytes).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from .base import Codec, Pixels, checked_image, checked_settings

_WORD = struct.Struct("<I")


class RawCodec(Codec):
    """Pixels plus shape; decode is a read-only view of the bytes (no copy)."""

    codec_id: ClassVar[str] = "raw"
    lossless = True

    @property
    def name(self) -> str:
        return "raw"

    def get_config(self) -> dict[str, Any]:
        return {"id": self.codec_id}

    @classmethod
    def from_config(cls, settings: Mapping[str, Any]) -> RawCodec:
        checked_settings(cls.codec_id, settings, set())
        return cls()

    def encode(self, image: Pixels) -> bytes:
        pixels = checked_image(image, self.codec_id)
        header = struct.pack(f"<{pixels.ndim + 1}I", pixels.ndim, *pixels.shape)
        return header + pixels.tobytes()

    def decode(self, data: bytes) -> Pixels:
        if len(data) < _WORD.size:
            raise ValueError(f"raw: record of {len(data)} bytes is truncated: no header")
        (ndim,) = _WORD.unpack_from(data)
        if ndim not in (2, 3):
            raise ValueError(f"raw: header says {ndim} dimensions; expected 2 or 3")
        header = _WORD.size * (ndim + 1)
        if len(data) < header:
            raise ValueError(f"raw: record of {len(data)} bytes is truncated inside its header")
        shape = struct.unpack_from(f"<{ndim}I", data, _WORD.size)
        expected = header + math.prod(shape)
        if len(data) != expected:
            state = "truncated" if len(data) < expected else "padded"
            raise ValueError(
                f"raw: record is {state}: {len(data)} bytes, expected {expected} for shape {shape}"
            )
        return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)
