"""A gift message's true increase (protocols §1.7, §7.5).

dy-barrage-grab turns Douyin's repeated combo messages into increments (``GiftCount``) with a
de-combo cache keyed by room + GiftId + GroupId whose entries are evicted after 10 s. Two cases
over-count:

1. a late ``repeatEnd`` message that arrives after its entry was evicted is pushed again with
   ``GiftCount`` = the whole ``RepeatCount``;
2. a gift with ``GroupId == 0`` is never cached, so a combo pushes cumulative counts (1, 2, 3 …)
   as if each were new.

``GiftCounter`` keeps, per (room, user, GiftId, GroupId > 0), the highest ``RepeatCount`` seen
for a minute and counts only the increase over it: case 1 becomes a 0-count repeat (dropped and
counted, never thanked twice). For ``GroupId == 0`` it falls back to ``GiftCount``: without a
group there is nothing that tells one send of a gift from the next (two separate single roses
both say ``RepeatCount`` 1), so "increase over the highest" would swallow real gifts; case 2
stays as dy-barrage-grab pushes it.
"""

from __future__ import annotations

import dataclasses

from app.events import LiveEvent
from app.recent import Recent


class GiftCounter:
    def __init__(self, memory_s: float = 60.0, max_entries: int = 50_000):
        self.memory_s = memory_s
        self.max_entries = max(1, max_entries)
        # key -> (highest RepeatCount, last seen); ordered by last seen (oldest first)
        self._highest: Recent[tuple[str, str, str, str], tuple[int, float]] = Recent(self.max_entries)
        self.repeats = 0  # messages dropped: nothing new over what was counted
        self.recounted = 0  # messages whose count was corrected
        self.units_not_recounted = 0  # gift units dy-barrage-grab pushed again, not counted twice

    def count(self, event: LiveEvent, now: float) -> LiveEvent | None:
        """``event`` with ``gift.count`` = the true increase, or None when it adds nothing."""
        gift = event.gift
        if gift is None:
            return event
        self._expire(now)
        if not gift.group_id or gift.total <= 0:
            # No combo identity (GroupId 0) or no running total: GiftCount as pushed (see above).
            if gift.count <= 0:
                self.repeats += 1
                return None
            return event
        user = event.user.id if event.user is not None else ""
        key = (event.room_id, user, gift.id, gift.group_id)
        seen = self._highest.get(key)
        if seen is None:
            # First sight of this combo: dy-barrage-grab's own increment. (When we join mid-combo
            # it is what was new, not the whole RepeatCount.)
            increase = min(gift.count, gift.total) if gift.count > 0 else gift.total
            highest = gift.total
        else:
            increase = gift.total - seen[0]
            highest = max(gift.total, seen[0])
        self._highest[key] = (highest, now)
        if increase <= 0:
            self.repeats += 1
            self.units_not_recounted += max(0, gift.count)
            return None
        if increase == gift.count:
            return event
        self.recounted += 1
        self.units_not_recounted += max(0, gift.count - increase)
        return dataclasses.replace(event, gift=dataclasses.replace(gift, count=increase))

    def _expire(self, now: float) -> None:
        cutoff = now - self.memory_s
        while (oldest := self._highest.oldest()) is not None and oldest[1][1] < cutoff:
            self._highest.discard(oldest[0])

    def __len__(self) -> int:
        return len(self._highest)

    def stats(self) -> dict[str, int]:
        return {"gift_repeats": self.repeats, "gift_recounted": self.recounted,
                "gift_units_not_recounted": self.units_not_recounted}
