"""An encoding's short name in words ("PNG level 1", "JPEG q90", "lossless WebP"), shared
by the setup screen's store picker and the verdict."""

from __future__ import annotations

import re


def encoding_words(encoding: str) -> str:
    """ "PNG", "JPEG q90", "lossless WebP": an encoding's short name in words."""
    match = re.fullmatch(r"(png|jpeg|webp)(\d*)", encoding)
    if encoding == "raw":
        return "raw pixels"
    if encoding == "original":
        return "the images' own files"
    if match is None:
        return encoding
    family, number = match.groups()
    if family == "png":
        return f"PNG level {number}" if number else "PNG"
    if family == "jpeg":
        return f"JPEG q{number or 75}"
    return f"WebP q{number}" if number else "lossless WebP"
