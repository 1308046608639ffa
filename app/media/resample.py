"""One way to change a sample rate (soxr, its default high quality).

pygame plays raw buffers at the mixer's rate and GPT-SoVITS answers at 24, 32 or 48 kHz, so
audio at another rate would play at the wrong speed and pitch; webrtcvad wants 16 kHz.
"""

from __future__ import annotations

import numpy as np
import soxr


def resample(samples: np.ndarray, rate: float, out_rate: float) -> np.ndarray:
    """``samples`` (1-D float32 or int16) at ``out_rate``, same dtype; the same array when the
    rates are equal or there is nothing to resample."""
    if rate == out_rate or len(samples) == 0:
        return samples
    return soxr.resample(samples, rate, out_rate)
