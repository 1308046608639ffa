"""Spoken time by class: what the room actually said, as the player heard it.

Four classes, the ones an operator judges a room by: the product ``script``, ``answer``s to
viewers' questions, ``thanks`` (gifts, welcomes, follows, likes, shares, fans club) and
``other`` (timed reminders, fillers, bridge lines, 插播, disclosures).

The ledger holds the recent stretches of sound (for shares over a window and "seconds since the
script last spoke") and, for the whole run, totals and per-minute sums (for the report and the
dashboard). Times are the player's clock; minute 0 starts at ``t0``.
"""

from __future__ import annotations

from collections import deque

from app.events import REPLY_KINDS

SCRIPT, ANSWER, THANKS, OTHER = "script", "answer", "thanks", "other"
CLASSES = (SCRIPT, ANSWER, THANKS, OTHER)

_KIND_CLASS = {
    "script": SCRIPT,
    **dict.fromkeys(REPLY_KINDS, ANSWER),
    "gift": THANKS, "welcome": THANKS, "follow": THANKS, "like": THANKS, "share": THANKS,
    "fansclub": THANKS,
}

#: Recent stretches are kept this long; longer windows are not asked for.
KEEP_S = 1800.0


def air_class(kind: str) -> str:
    return _KIND_CLASS.get(kind, OTHER)


class Airtime:
    def __init__(self, t0: float):
        self.t0 = t0
        self._stretches: deque[tuple[float, float, str]] = deque()  # (start, end, class), by end
        self._open: tuple[float, str] | None = None  # (start, class) of what sounds now
        self._last_end: dict[str, float] = {}
        self.totals: dict[str, float] = dict.fromkeys(CLASSES, 0.0)
        self._minutes: list[dict[str, float]] = []

    # ---- recording -----------------------------------------------------------------------

    def begin(self, cls: str, t: float) -> None:
        """``cls`` starts sounding at ``t`` (closing whatever sounded before)."""
        self.end(t)
        self._open = (t, cls)

    def end(self, t: float) -> None:
        """What was sounding stopped at ``t``."""
        if self._open is not None:
            start, cls = self._open
            self._open = None
            self.add(cls, start, t)

    def add(self, cls: str, start: float, end: float) -> None:
        if end <= start:
            return
        self._stretches.append((start, end, cls))
        self._last_end[cls] = max(end, self._last_end.get(cls, end))
        self.totals[cls] = self.totals.get(cls, 0.0) + (end - start)
        self._add_to_minutes(cls, start, end)
        while self._stretches and self._stretches[0][1] < end - KEEP_S:
            self._stretches.popleft()

    def _add_to_minutes(self, cls: str, start: float, end: float) -> None:
        t = max(start, self.t0)
        minute = int((t - self.t0) // 60)
        # The minute advances by itself each turn: a time that lands on a minute's boundary,
        # where (t - t0) // 60 rounds down to the minute before, must not leave a zero-length
        # piece that never moves on (it spun the player thread forever).
        while t < end:
            boundary = self.t0 + (minute + 1) * 60
            piece = min(end, boundary) - t
            if piece > 0:
                while len(self._minutes) <= minute:
                    self._minutes.append(dict.fromkeys(CLASSES, 0.0))
                self._minutes[minute][cls] = self._minutes[minute].get(cls, 0.0) + piece
            t = min(end, boundary) if boundary > t else t
            minute += 1

    # ---- reading -------------------------------------------------------------------------

    @property
    def sounding(self) -> str | None:
        return self._open[1] if self._open is not None else None

    def spoken(self, cls: str | None, now: float, window: float) -> float:
        """Seconds of ``cls`` (None: any class) heard in the last ``window`` seconds."""
        since = now - window
        total = 0.0
        for start, end, c in self._stretches:
            if end > since and (cls is None or c == cls):
                total += min(end, now) - max(start, since)
        if self._open is not None and (cls is None or self._open[1] == cls):
            total += max(0.0, now - max(self._open[0], since))
        return total

    def share(self, cls: str, now: float, window: float, *, min_spoken: float = 20.0) -> float | None:
        """``cls``'s share of the spoken time in the window; None until ``min_spoken`` seconds
        were spoken (a share of the first sentence says nothing)."""
        everything = self.spoken(None, now, window)
        if everything < min_spoken:
            return None
        return self.spoken(cls, now, window) / everything

    def since(self, cls: str, now: float) -> float:
        """Seconds since ``cls`` last sounded (0 while it sounds; since ``t0`` if never)."""
        if self._open is not None and self._open[1] == cls:
            return 0.0
        return max(0.0, now - self._last_end.get(cls, self.t0))

    def per_minute(self, now: float | None = None) -> list[dict[str, float]]:
        """Spoken seconds by class for each minute since ``t0`` (the open stretch included)."""
        minutes = [dict(m) for m in self._minutes]
        if self._open is not None and now is not None:
            extra = Airtime(self.t0)
            extra._add_to_minutes(self._open[1], self._open[0], now)
            for i, m in enumerate(extra._minutes):
                while len(minutes) <= i:
                    minutes.append(dict.fromkeys(CLASSES, 0.0))
                for cls, value in m.items():
                    minutes[i][cls] += value
        return [{cls: round(v, 2) for cls, v in m.items()} for m in minutes]

    def totals_now(self, now: float) -> dict[str, float]:
        out = dict(self.totals)
        if self._open is not None:
            out[self._open[1]] = out.get(self._open[1], 0.0) + max(0.0, now - self._open[0])
        return {cls: round(v, 2) for cls, v in out.items()}
