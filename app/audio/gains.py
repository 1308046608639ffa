"""Gains that move smoothly: the duck of the music under the voice, and the music's level.

Both work a block at a time and return one linear gain per sample, so the mixer multiplies
and never clicks.
"""

from __future__ import annotations

import numpy as np

STEP_S = 0.005  # the duck decides every 5 ms
HOLD_S = 0.5  # stays ducked through pauses shorter than this (the gap between utterances)


class Ducker:
    """Music gain under the voice. Every 5 ms it heads for ``-depth_db`` when speech (a
    tagged segment of the timeline) lies within the attack time ahead or the hold time behind,
    else for 0 dB, at the slopes the attack and release times give (linear in dB)."""

    def __init__(self, rate: int):
        self.rate = rate
        self.db = 0.0  # now: 0 (up) … -depth_db (down)
        self._first = 0  # first segment that can still matter

    def gains(self, start: int, n: int, segments: list, depth_db: float, attack_ms: float,
              release_ms: float) -> np.ndarray:
        """Linear gains for samples [start, start + n) of the timeline; ``segments`` in
        timeline order (``.start``/``.end`` in samples)."""
        rate = self.rate
        down = depth_db / max(1.0, attack_ms / 1000 * rate)  # dB per sample
        up = depth_db / max(1.0, release_ms / 1000 * rate)
        ahead, behind = int(attack_ms / 1000 * rate), int(HOLD_S * rate)
        while self._first < len(segments) and segments[self._first].end + behind <= start:
            self._first += 1
        out = np.empty(n, np.float32)
        step = max(1, int(STEP_S * rate))
        cur, pos = self.db, 0
        while pos < n:
            k = min(step, n - pos)
            lo, hi = start + pos - behind, start + pos + k + ahead
            speech = False
            for seg in segments[self._first:]:
                if seg.start >= hi:
                    break
                if seg.end > lo:
                    speech = True
                    break
            goal = -depth_db if speech else 0.0
            nxt = max(goal, cur - down * k) if goal < cur else min(goal, cur + up * k)
            out[pos:pos + k] = np.linspace(cur, nxt, k, endpoint=False)
            cur, pos = nxt, pos + k
        self.db = cur
        return np.power(10.0, out / 20.0, dtype=np.float32)

    def segments_cut(self, count: int) -> None:
        """The timeline's segment list was shortened (a flush)."""
        self._first = min(self._first, count)


class Glide:
    """A linear gain that moves to each new target in ``ramp_s`` (volume changes, on/off)."""

    def __init__(self, rate: int, ramp_s: float):
        self.rate, self.ramp_s = rate, ramp_s
        self.value = 0.0
        self._to, self._step = 0.0, 0.0

    def gains(self, target: float, n: int) -> np.ndarray:
        cur = self.value
        if cur == target:
            return np.full(n, cur, np.float32)
        if target != self._to:
            self._to = target
            self._step = abs(target - cur) / (self.ramp_s * self.rate)
        move = self._step * n
        end = min(target, cur + move) if target > cur else max(target, cur - move)
        self.value = float(end)
        return np.linspace(cur, end, n, endpoint=False, dtype=np.float32)
