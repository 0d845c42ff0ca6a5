"""``png`` and ``png0``..``png9``: lossless PNG through Pillow, with a zlib compress level.

Level 6 is Pillow's (and zlib's) default; 0 stores uncompressed deflate blocks, 9 is
slowest. PNG is what the classic study's files hold, so ``png`` is its encoding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from . import _pillow
from .base import Codec, Pixels, checked_int, checked_settings

DEFAULT_LEVEL = 6


class PngCodec(Codec):
    """Lossless; grey, colour and RGBA."""

    codec_id: ClassVar[str] = "png"
    lossless = True

    def __init__(self, level: int = DEFAULT_LEVEL) -> None:
        self.level = checked_int("png", "level", level, 0, 9)

    @property
    def name(self) -> str:
        return "png" if self.level == DEFAULT_LEVEL else f"png{self.level}"

    def get_config(self) -> dict[str, Any]:
        return {"id": self.codec_id, "level": self.level}

    @classmethod
    def from_config(cls, settings: Mapping[str, Any]) -> PngCodec:
        checked_settings(cls.codec_id, settings, {"level"})
        return cls(settings.get("level", DEFAULT_LEVEL))

    def encode(self, image: Pixels) -> bytes:
        return _pillow.encode(
            image, self.name, "PNG", ("L", "RGB", "RGBA"), compress_level=self.level
        )

    def decode(self, data: bytes) -> Pixels:
        return _pillow.decode(data, self.name, "PNG")
