"""How far a lossy decode is from its source, for the results file."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt


def _pair(
    source: npt.NDArray[np.uint8], decoded: npt.NDArray[np.uint8]
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int16]]:
    if source.shape != decoded.shape:
        raise ValueError(f"shapes differ: source {source.shape}, decoded {decoded.shape}")
    return source.astype(np.int16), decoded.astype(np.int16)


def psnr(source: npt.NDArray[np.uint8], decoded: npt.NDArray[np.uint8]) -> float:
    """Peak signal-to-noise ratio in dB for 8-bit pixels; inf when the images are equal."""
    a, b = _pair(source, decoded)
    if a.size == 0:
        return math.inf
    mse = float(np.mean(np.square(a - b, dtype=np.float64)))
    return math.inf if mse == 0.0 else 10.0 * math.log10(255.0**2 / mse)


def max_abs_error(source: npt.NDArray[np.uint8], decoded: npt.NDArray[np.uint8]) -> int:
    """The largest difference of one pixel value (0 when equal)."""
    a, b = _pair(source, decoded)
    return int(np.max(np.abs(a - b))) if a.size else 0
