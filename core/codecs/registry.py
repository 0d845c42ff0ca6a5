"""Codecs by name: the short spec strings people type, and configs from results files."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from .base import Codec
from .jpeg import JpegCodec
from .names import ACCEPTED
from .original import OriginalCodec
from .png import PngCodec
from .raw import RawCodec
from .webp import WebpCodec, webp_available

_CLASSES: Final[dict[str, type[Codec]]] = {
    codec.codec_id: codec for codec in (RawCodec, PngCodec, JpegCodec, WebpCodec, OriginalCodec)
}
#: Every codec id, in the order they are shown.
CODEC_IDS: Final = tuple(_CLASSES)
# A number without leading zeros, so each codec has one spelling per setting.
_SPEC: Final = re.compile(r"(png|jpeg|webp)(0|[1-9][0-9]{0,2})?")


def get_codec(spec: str) -> Codec:
    """The codec a short name means; ValueError listing the accepted names otherwise."""
    if spec == "raw":
        return RawCodec()
    if spec == "original":
        return OriginalCodec()
    match = _SPEC.fullmatch(spec) if isinstance(spec, str) else None
    if match is None:
        raise ValueError(f"unknown encoding {spec!r}; expected {ACCEPTED}")
    family, number = match.group(1), match.group(2)
    if family == "webp" and not webp_available():
        return WebpCodec()  # raises the one-line "built without WebP" error
    value = None if number is None else int(number)
    try:
        if family == "png":
            return PngCodec() if value is None else PngCodec(value)
        if family == "jpeg":
            return JpegCodec() if value is None else JpegCodec(value)
        return WebpCodec(value)
    except ValueError:  # a number out of range for its family
        raise ValueError(f"unknown encoding {spec!r}; expected {ACCEPTED}") from None


def codec_from_config(config: Mapping[str, Any]) -> Codec:
    """The codec a :meth:`Codec.get_config` dict describes (the inverse of get_config)."""
    if not isinstance(config, Mapping) or config.get("id") not in _CLASSES:
        got = config.get("id") if isinstance(config, Mapping) else config
        raise ValueError(f"unknown codec id {got!r}; expected one of {', '.join(CODEC_IDS)}")
    settings = {key: value for key, value in config.items() if key != "id"}
    return _CLASSES[config["id"]].from_config(settings)
