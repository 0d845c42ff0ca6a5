"""``original``: an image folder's own file bytes, stored as they are.

What a user who copies their JPEGs into a store really measures. It cannot encode pixels
(the file is the encoding), so it has :meth:`OriginalCodec.encode_file` instead; its
decode gives exactly the pixels imgbench's folder loader gives for that file, so reads
verify bit for bit against the loaded data set. The loader's options that change pixels
(``keep_grey``, ``resize``) are this codec's settings and must match the load.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

import numpy as np
from PIL import Image

# The loader's own decode (formats tried, orientation, mode conversion, 16-bit grey
# scaling, resize), so the two cannot drift apart; tests/test_codecs.py checks the pixels.
from ..image_folder import checked_size, image_formats, upright_pixels
from .base import Codec, Pixels, checked_settings

_BAD_DATA: Final = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    Image.DecompressionBombError,
)


class OriginalCodec(Codec):
    """Lossless by definition: the decoded pixels are the loaded source itself."""

    codec_id: ClassVar[str] = "original"
    lossless = True

    def __init__(
        self, keep_grey: bool = False, resize: tuple[int, int] | Sequence[int] | None = None
    ) -> None:
        if not isinstance(keep_grey, bool):
            raise ValueError(f"original: keep_grey must be true or false, got {keep_grey!r}")
        self.keep_grey = keep_grey
        self.resize = checked_size(resize)

    @property
    def name(self) -> str:
        return "original"

    def get_config(self) -> dict[str, Any]:
        resize = None if self.resize is None else list(self.resize)
        return {"id": self.codec_id, "keep_grey": self.keep_grey, "resize": resize}

    @classmethod
    def from_config(cls, settings: Mapping[str, Any]) -> OriginalCodec:
        checked_settings(cls.codec_id, settings, {"keep_grey", "resize"})
        return cls(settings.get("keep_grey", False), settings.get("resize"))

    def encode_file(self, data: bytes) -> bytes:
        """The file's bytes, unchanged: they are the encoding."""
        return data

    def encode(self, image: Pixels) -> bytes:
        raise TypeError(
            "original: stores an image file's own bytes (encode_file); it cannot encode pixels"
        )

    def decode(self, data: bytes) -> Pixels:
        """The pixels the folder loader gives for a file with these bytes: first frame,
        EXIF orientation applied, RGB (or L with keep_grey), resized (Lanczos) when asked;
        shape (H, W, 3) or, grey with keep_grey, (H, W, 1) as in the loaded data set."""
        try:
            with Image.open(io.BytesIO(data), formats=image_formats()) as opened:
                shape, pixels = upright_pixels(opened, self.keep_grey, self.resize)
                return np.frombuffer(pixels, dtype=np.uint8).reshape(shape)
        except _BAD_DATA as error:
            raise ValueError(f"original: cannot decode {len(data)} bytes: {error}") from None
