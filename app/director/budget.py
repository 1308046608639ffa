"""Airtime budgets: how much of the air a class of speech may take.

An ``AirtimeBudget`` is a token bucket measured in seconds of speech: it refills at ``share``
seconds per second (15 % of the air = 9 s a minute) and holds at most one minute's worth, so a
quiet spell cannot be saved up for a flood. A share of 1 (all of the air) is no budget at all. Whoever makes a line asks ``allows(cost)`` first and
``spend``s what the line will take; a line that must be said anyway (a large gift) is spent too
and may take the level below zero, which delays the next small one.

The cost of a line is estimated from its text by ``SpeechRate``, which learns the voice's real
speed from what was played (espeak-ng and GPT-SoVITS speak at different rates).
"""

from __future__ import annotations

import unicodedata


def speakable_chars(text: str) -> int:
    """Characters that take time to say: letters and digits (CJK included), not punctuation."""
    return sum(1 for ch in text if unicodedata.category(ch)[0] in "LN")


class SpeechRate:
    """Seconds per speakable character, learned as an exponential average of what played."""

    def __init__(self, chars_per_s: float = 4.5, weight: float = 0.2):
        self.seconds_per_char = 1.0 / chars_per_s
        self.weight = weight

    def observe(self, text: str, duration_s: float) -> None:
        chars = speakable_chars(text)
        if chars < 4 or duration_s <= 0:
            return  # too short to say anything about the rate
        sample = duration_s / chars
        self.seconds_per_char += self.weight * (sample - self.seconds_per_char)

    def seconds(self, text: str) -> float:
        return speakable_chars(text) * self.seconds_per_char + 0.3  # plus the gap around a line


class AirtimeBudget:
    def __init__(self, share: float, *, period_s: float = 60.0, now: float | None = None):
        self.period_s = period_s
        self.share = share
        self._level = self.capacity
        self._at = now  # None: full until first asked (a replay runs on its events' clock)

    @property
    def capacity(self) -> float:
        return self.share * self.period_s

    def set_share(self, share: float, now: float) -> None:
        self._refill(now)
        self.share = share
        self._level = min(self._level, self.capacity)

    def level(self, now: float) -> float:
        self._refill(now)
        return self._level

    @property
    def unlimited(self) -> bool:
        return self.share >= 1.0  # all of the air: no budget

    def allows(self, cost: float, now: float) -> bool:
        """Room for a line of ``cost`` seconds now. A line longer than the whole bucket may go
        when the bucket is full (else it could never be said)."""
        if self.unlimited:
            return True
        level = self.level(now)
        return self.share > 0 and (level >= cost or level >= self.capacity - 1e-9)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until ``allows(cost)`` (0 if it allows now; inf when the share is 0)."""
        if self.allows(cost, now):
            return 0.0
        if self.share <= 0:
            return float("inf")
        need = min(cost, self.capacity) - self._level
        return max(0.0, need / self.share)

    def spend(self, cost: float, now: float) -> None:
        self._refill(now)
        if not self.unlimited:
            self._level -= cost

    def _refill(self, now: float) -> None:
        if self._at is not None and now > self._at:
            self._level = min(self.capacity, self._level + (now - self._at) * self.share)
        self._at = now if self._at is None else max(self._at, now)
