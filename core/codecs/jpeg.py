"""``jpeg`` and ``jpeg1``..``jpeg100``: lossy JPEG through Pillow at a quality.

Quality 75 is Pillow's default. What most people store photos as, so what most LMDB and
HDF5 users really put in them. Grey and colour only: JPEG has no alpha.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from . import _pillow
from .base import Codec, Pixels, checked_int, checked_settings

DEFAULT_QUALITY = 75


class JpegCodec(Codec):
    """Lossy at every quality (even 100: colour is converted and subsampled)."""

    codec_id: ClassVar[str] = "jpeg"
    lossless = False

    def __init__(self, quality: int = DEFAULT_QUALITY) -> None:
        self.quality = checked_int("jpeg", "quality", quality, 1, 100)

    @property
    def name(self) -> str:
        return "jpeg" if self.quality == DEFAULT_QUALITY else f"jpeg{self.quality}"

    def get_config(self) -> dict[str, Any]:
        return {"id": self.codec_id, "quality": self.quality}

    @classmethod
    def from_config(cls, settings: Mapping[str, Any]) -> JpegCodec:
        checked_settings(cls.codec_id, settings, {"quality"})
        return cls(settings.get("quality", DEFAULT_QUALITY))

    def encode(self, image: Pixels) -> bytes:
        return _pillow.encode(image, self.name, "JPEG", ("L", "RGB"), quality=self.quality)

    def decode(self, data: bytes) -> Pixels:
        return _pillow.decode(data, self.name, "JPEG")
