"""The encodings' names as people type them, without importing a codec: the command line's
help lists them before anything heavy (numpy, Pillow) is loaded."""

from __future__ import annotations

from typing import Final

ACCEPTED: Final = (
    "raw, png or png0..png9, jpeg or jpeg1..jpeg100, webp (lossless) or webp1..webp100, original"
)
