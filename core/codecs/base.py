"""The encoding half of a store: one image <-> bytes, modelled on numcodecs' ``Codec``.

A codec has an id (its family), settings (its config, JSON-safe so results files can
record them), and ``encode``/``decode``. Containers hold the bytes; they never need to
know which codec made them, so every container works with every codec.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

#: What every codec takes and gives: uint8 pixels, (H, W) grey or (H, W, C) with C 1, 3, 4.
Pixels = npt.NDArray[np.uint8]

_LAYOUTS = "(H, W), (H, W, 1), (H, W, 3) or (H, W, 4)"


class Codec(abc.ABC):
    """One way to turn an image into bytes and back.

    ``lossless`` says how a store's reads are verified: lossless codecs bit-exact against
    the source, lossy ones bit-exact against a reference decode of the same bytes.
    """

    codec_id: ClassVar[str]
    lossless: bool

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """The short spec string that :func:`get_codec` parses back to this codec."""

    @abc.abstractmethod
    def get_config(self) -> dict[str, Any]:
        """The id and every setting, JSON-safe, for results files and :func:`codec_from_config`."""

    @classmethod
    @abc.abstractmethod
    def from_config(cls, settings: Mapping[str, Any]) -> Codec:
        """The codec with these settings (a config without its "id")."""

    @abc.abstractmethod
    def encode(self, image: Pixels) -> bytes:
        """The image's bytes in this encoding."""

    @abc.abstractmethod
    def decode(self, data: bytes) -> Pixels:
        """The pixels back from bytes this codec encoded; ValueError when they are not."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Codec) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash(json.dumps(self.get_config(), sort_keys=True))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def checked_image(image: object, codec: str) -> Pixels:
    """The image when its dtype and layout are ones the codecs take; a one-line ValueError
    otherwise (every codec refuses the same things the same way)."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"{codec}: expected a numpy uint8 image {_LAYOUTS}, got {type(image)}")
    shape = image.shape
    layout_ok = image.ndim == 2 or (image.ndim == 3 and shape[2] in (1, 3, 4))
    if image.dtype != np.uint8 or not layout_ok or 0 in shape[:2]:
        raise ValueError(
            f"{codec}: expected a uint8 image {_LAYOUTS} with H, W >= 1, "
            f"got {image.dtype} {tuple(shape)}"
        )
    return image


def checked_settings(codec: str, settings: Mapping[str, Any], allowed: set[str]) -> None:
    """Refuse settings a codec does not have (a typo in a config must not pass silently)."""
    unknown = sorted(set(settings) - allowed)
    if unknown:
        expected = ", ".join(sorted(allowed)) or "none"
        raise ValueError(f"{codec}: unknown settings {unknown}; expected {expected}")


def checked_int(codec: str, what: str, value: object, low: int, high: int) -> int:
    """An integer setting in [low, high] (bools are refused: True is not a quality)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not (low <= value <= high)
    ):
        raise ValueError(f"{codec}: {what} must be an integer from {low} to {high}, got {value!r}")
    return int(value)
