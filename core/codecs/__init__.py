"""Encodings (codecs): how one image becomes bytes and back, one small module each.

A store is a container x an encoding; see :mod:`.base` for the interface and
:mod:`.registry` for the names (``raw``, ``png``, ``jpeg90``, ``webp``, ``original``...).

The names below load on first use (PEP 562): the codecs need numpy and Pillow, and a
command line that only parses a store name or prints its help must not wait for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .names import ACCEPTED

if TYPE_CHECKING:
    from .base import Codec, Pixels
    from .jpeg import JpegCodec
    from .original import OriginalCodec
    from .png import PngCodec
    from .quality import max_abs_error, psnr
    from .raw import RawCodec
    from .records import decode_record, encode_record
    from .registry import CODEC_IDS, codec_from_config, get_codec
    from .webp import WebpCodec, webp_available

#: The module each name lives in.
_HOMES = {
    "Codec": "base",
    "Pixels": "base",
    "JpegCodec": "jpeg",
    "OriginalCodec": "original",
    "PngCodec": "png",
    "max_abs_error": "quality",
    "psnr": "quality",
    "RawCodec": "raw",
    "decode_record": "records",
    "encode_record": "records",
    "CODEC_IDS": "registry",
    "codec_from_config": "registry",
    "get_codec": "registry",
    "WebpCodec": "webp",
    "webp_available": "webp",
}


def __getattr__(name: str) -> Any:
    """Import a name's module when the name is first asked for, then keep the name here."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


__all__ = [
    "ACCEPTED",
    "CODEC_IDS",
    "Codec",
    "JpegCodec",
    "OriginalCodec",
    "Pixels",
    "PngCodec",
    "RawCodec",
    "WebpCodec",
    "codec_from_config",
    "decode_record",
    "encode_record",
    "get_codec",
    "max_abs_error",
    "psnr",
    "webp_available",
]
