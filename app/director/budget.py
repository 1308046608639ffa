"""Airtime budgets: how much of the air a class of speech may take.

An ``AirtimeBudget`` holds a class of speech to its share of any minute (15 % of the air = 9 s
in any 60 s), as a sliding window over what was spent: even the first minute of a live holds to
the share (a token bucket would let a full bucket's burst through on top of its refill). A share
of 1 (all of the air) is no budget at all. Whoever makes a line asks ``allows(cost)`` first and
``spend``s what the line will take; a line that must be said anyway (a large gift) is spent too
and may take the window over the share, which delays the next small one. A line that was never
heard is given back (``spend(-cost)``).

The cost of a line is estimated from its text by ``SpeechRate``, which learns the voice's real
speed from what was played (espeak-ng and GPT-SoVITS speak at different rates).
"""

from __future__ import annotations

import unicodedata
from collections import deque


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
    """At most ``share`` of any ``period_s`` (a minute) spent on lines of this class: a sliding
    window over what was spent, so even the first minute of a live holds to the share (a token
    bucket would let a full bucket's burst through on top of its refill)."""

    def __init__(self, share: float, *, period_s: float = 60.0):
        self.period_s = period_s
        self.share = share
        self._spent: deque[tuple[float, float]] = deque()  # (when, seconds); refunds are negative

    @property
    def capacity(self) -> float:
        return self.share * self.period_s

    @property
    def unlimited(self) -> bool:
        return self.share >= 1.0  # all of the air: no budget

    def set_share(self, share: float, now: float) -> None:
        self.share = share

    def spent(self, now: float) -> float:
        """Seconds spent in the window ending ``now``."""
        return max(0.0, self._net(now))

    def level(self, now: float) -> float:
        """Seconds still free in the window (below zero after a forced spend)."""
        return self.capacity - self._net(now)

    def allows(self, cost: float, now: float) -> bool:
        """Room for a line of ``cost`` seconds now. A line longer than the whole budget may go
        when nothing else was spent in the window (else it could never be said)."""
        if self.unlimited:
            return True
        if self.share <= 0:
            return False
        spent = self._net(now)
        return spent + cost <= self.capacity + 1e-9 or spent <= 1e-9

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until ``allows(cost)`` (0 if it allows now; inf when the share is 0)."""
        if self.allows(cost, now):
            return 0.0
        if self.share <= 0:
            return float("inf")
        t = now
        for when, _ in list(self._spent):
            t = when + self.period_s
            if self.allows(cost, t):
                return max(0.0, t - now)
        return max(0.0, t - now)

    def spend(self, cost: float, now: float) -> None:
        if not self.unlimited:
            self._spent.append((now, cost))

    def _net(self, now: float) -> float:
        while self._spent and self._spent[0][0] <= now - self.period_s:
            self._spent.popleft()  # left the window
        return sum(cost for _, cost in self._spent)
