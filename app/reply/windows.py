"""Time-window bookkeeping for the reply policy: gift combos, name batches, like milestones,
cooldowns and the reply rate. Pure state; every method takes ``now`` so tests drive time."""

from __future__ import annotations

import bisect
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from app.events import LiveEvent, User
from app.recent import Recent


@dataclass
class GiftCombo:
    """One viewer's run of one gift (to one receiver), summed until it is thanked."""

    user: User | None
    gift_id: str
    gift_name: str
    diamonds: int  # per unit
    to_user: str = ""  # the receiver when it is not the anchor (a 连麦 guest)
    count: int = 0
    first_at: float = 0.0
    last_at: float = 0.0
    msg_ids: list[str] = field(default_factory=list)
    finished_at: float | None = None  # when the combo was over (quiet long enough, or max wait)

    @property
    def value(self) -> int:
        return self.count * self.diamonds


class GiftAggregator:
    """Running combos. A combo is finished when it has been quiet for its window (a large one
    sooner: its thanks must start within seconds of the last gift) or has run ``max_wait``."""

    def __init__(self):
        self._combos: dict[tuple[str, str, str], GiftCombo] = {}

    def add(self, event: LiveEvent, now: float) -> GiftCombo:
        gift = event.gift
        key = (event.user.id if event.user else "", gift.id, gift.to_user)
        combo = self._combos.get(key)
        if combo is None:
            combo = self._combos[key] = GiftCombo(
                user=event.user, gift_id=gift.id, gift_name=gift.name, diamonds=gift.diamonds,
                to_user=gift.to_user, first_at=now)
        combo.count += gift.count
        combo.diamonds = max(combo.diamonds, gift.diamonds)
        combo.last_at = now
        combo.msg_ids.append(event.msg_id)
        return combo

    def due(self, now: float, window: float, max_wait: float, large_diamonds: int,
            large_window: float) -> list[GiftCombo]:
        """Combos that are finished now (removed from the running ones)."""
        done = []
        for key, c in self._combos.items():
            quiet = large_window if large_diamonds > 0 and c.value >= large_diamonds else window
            if now - c.last_at >= quiet or now - c.first_at >= max_wait:
                c.finished_at = min(c.last_at + quiet, c.first_at + max_wait)
                done.append(key)
        return [self._combos.pop(k) for k in done]

    def drain(self) -> list[GiftCombo]:
        combos = list(self._combos.values())
        self._combos.clear()
        return combos

    def __len__(self) -> int:
        return len(self._combos)


@dataclass(frozen=True)
class Named:
    user: User
    msg_id: str


class NameBatcher:
    """Collects viewers for one spoken line ("欢迎A、B、C"): at most ``max_names`` (the newest
    are kept, they are the likeliest still in the room), ready once the batch is ``window`` old
    and at least ``min_interval`` after the previous line; taken when the line is said."""

    def __init__(self):
        self._pending: OrderedDict[str, Named] = OrderedDict()
        self._opened_at = 0.0
        self._last_spoken_at: float | None = None

    def pending(self, user_id: str) -> bool:
        return user_id in self._pending

    def add(self, named: Named, now: float, max_names: int) -> list[Named]:
        """Add a viewer; returns the viewers pushed out of a full batch."""
        if not self._pending:
            self._opened_at = now
        self._pending[named.user.id] = named
        evicted = []
        while len(self._pending) > max_names:
            evicted.append(self._pending.popitem(last=False)[1])
        return evicted

    def ready(self, now: float, window: float, min_interval: float) -> bool:
        if not self._pending or now - self._opened_at < window:
            return False
        return self._last_spoken_at is None or now - self._last_spoken_at >= min_interval

    def peek(self) -> list[Named]:
        return list(self._pending.values())

    def remove(self, user_id: str) -> Named | None:
        """Take one viewer out of the batch (greeted by another line meanwhile)."""
        return self._pending.pop(user_id, None)

    def taken(self, now: float) -> list[Named]:
        batch = self.drain()
        self._last_spoken_at = now
        return batch

    def waited(self, now: float, window: float, min_interval: float) -> float:
        """How long a batch has been ready and not yet said (0 while it is still gathering or
        waiting out ``min_interval``): the time it waited for the airtime budget."""
        if not self._pending:
            return 0.0
        ready_at = self._opened_at + window
        if self._last_spoken_at is not None:
            ready_at = max(ready_at, self._last_spoken_at + min_interval)
        return max(0.0, now - ready_at)

    def drain(self) -> list[Named]:
        batch = list(self._pending.values())
        self._pending.clear()
        return batch


class LikeMilestones:
    """Thanks once per milestone of the room's total likes.

    Milestones already passed when the session first sees the room (an app restarted mid-live)
    are not thanked late. A jump over several milestones is thanked once, for the highest."""

    def __init__(self, milestones: tuple[int, ...], every: int = 0):
        self._milestones = milestones
        self._every = every
        self._passed: int | None = None  # the highest total already accounted for

    def configure(self, milestones: tuple[int, ...], every: int) -> None:
        self._milestones, self._every = milestones, every

    def observe(self, total: int, count: int) -> int | None:
        """The milestone crossed by this like message, if any."""
        if self._passed is None:
            self._passed = max(total - count, 0)
        if total <= self._passed:
            return None
        crossed = self._highest_at_or_below(total)
        before = self._passed
        self._passed = total
        return crossed if crossed is not None and crossed > before else None

    def _highest_at_or_below(self, total: int) -> int | None:
        ms = self._milestones
        i = bisect.bisect_right(ms, total)
        best = ms[i - 1] if i else None
        if self._every > 0 and ms and total >= ms[-1] + self._every:
            best = ms[-1] + (total - ms[-1]) // self._every * self._every
        elif self._every > 0 and not ms and total >= self._every:
            best = total // self._every * self._every
        return best


class Expiring:
    """Keys remembered for a while (duplicate texts, users on cooldown, welcomed viewers)."""

    def __init__(self, max_keys: int = 50_000):
        self._at: Recent[str, float] = Recent(max_keys)

    def within(self, key: str, now: float, ttl: float) -> bool:
        at = self._at.get(key)
        return at is not None and now - at < ttl

    def mark(self, key: str, now: float) -> None:
        self._at[key] = now

    def prune(self, now: float, ttl: float) -> None:
        while self._at:
            key, at = self._at.oldest()
            if now - at < ttl:
                break
            self._at.discard(key)


class RateLimit:
    """At most ``per_minute`` events in any 60 s (0 = no limit)."""

    def __init__(self):
        self._times: deque[float] = deque()

    def allows(self, now: float, per_minute: int) -> bool:
        while self._times and now - self._times[0] >= 60.0:
            self._times.popleft()
        return per_minute <= 0 or len(self._times) < per_minute

    def record(self, now: float) -> None:
        self._times.append(now)
