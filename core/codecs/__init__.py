"""Encodings (codecs): how one image becomes bytes and back, one small module each.

A store is a container x an encoding; see :mod:`.base` for the interface and
:mod:`.registry` for the names (``raw``, ``png``, ``jpeg90``, ``webp``, ``original``...).
"""

from .base import Codec, Pixels
from .jpeg import JpegCodec
from .original import OriginalCodec
from .png import PngCodec
from .quality import max_abs_error, psnr
from .raw import RawCodec
from .records import decode_record, encode_record
from .registry import ACCEPTED, CODEC_IDS, codec_from_config, get_codec
from .webp import WebpCodec, webp_available

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
