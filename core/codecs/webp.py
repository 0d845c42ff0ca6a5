"""``webp`` (lossless) and ``webp1``..``webp100`` (lossy at that quality), through Pillow.

WebP has no grey mode (Pillow would store grey as RGB and give RGB back, so the layout
would change), so grey images are refused: use png or raw for them. Lossless keeps the
colour of fully transparent pixels (``exact``), so RGBA round trips bit for bit.
WebP support is optional in Pillow builds; without it the codec cannot be made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import PIL
from PIL import features

from . import _pillow
from .base import Codec, Pixels, checked_int, checked_settings


def webp_available() -> bool:
    """Whether this Pillow was built with WebP."""
    return bool(features.check("webp"))


class WebpCodec(Codec):
    """``quality=None`` is lossless; 1..100 is lossy at that quality."""

    codec_id: ClassVar[str] = "webp"

    def __init__(self, quality: int | None = None) -> None:
        if not webp_available():
            raise ValueError(f"webp: this Pillow ({PIL.__version__}) was built without WebP")
        self.quality = None if quality is None else checked_int("webp", "quality", quality, 1, 100)
        self.lossless = self.quality is None

    @property
    def name(self) -> str:
        return "webp" if self.quality is None else f"webp{self.quality}"

    def get_config(self) -> dict[str, Any]:
        return {"id": self.codec_id, "lossless": self.lossless, "quality": self.quality}

    @classmethod
    def from_config(cls, settings: Mapping[str, Any]) -> WebpCodec:
        checked_settings(cls.codec_id, settings, {"lossless", "quality"})
        quality = settings.get("quality")
        lossless = settings.get("lossless", quality is None)
        if lossless is not (quality is None):
            raise ValueError(
                f"webp: lossless={lossless!r} contradicts quality={quality!r} "
                "(lossless has no quality; lossy needs one)"
            )
        return cls(quality)

    def encode(self, image: Pixels) -> bytes:
        if self.quality is None:
            options: dict[str, Any] = {"lossless": True, "exact": True}
        else:
            options = {"quality": self.quality}
        return _pillow.encode(image, self.name, "WEBP", ("RGB", "RGBA"), **options)

    def decode(self, data: bytes) -> Pixels:
        return _pillow.decode(data, self.name, "WEBP")
