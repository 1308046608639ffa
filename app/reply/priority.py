"""Dynamic priority (design §5): a base per kind, made more urgent for valued viewers.

"Level" is the viewer's wealth level (``pay_level``, dy-barrage-grab ``PayLevel``, 财富等级)
or their fans-club level, whichever is higher. ``user.level`` is not used: the feed documents
it as unknown and it is 0 in practice.

Bonuses subtract from the base priority (lower is more urgent) but never push an item past
the floor its caller gives: a small thank-you never reaches a buyer's question, a comment never
a large gift (a chatty viewer must not outrank either). An idle bonus (nothing playing) belongs
to the player, which knows that; it is not applied here.
"""

from __future__ import annotations

from app.events import Priority, User
from app.recent import Recent
from app.reply.settings import ReplySettings

#: Viewers whose activity is remembered; the least recently active are forgotten past this.
MAX_TRACKED_USERS = 100_000


def user_level(user: User | None) -> int:
    if user is None:
        return 0
    return max(user.pay_level, user.fans_club_level, 0)  # PayLevel is -1 when unknown


def is_vip(user: User | None, settings: ReplySettings) -> bool:
    return settings.vip_user_level > 0 and user_level(user) >= settings.vip_user_level


class ActivityTracker:
    """Events per viewer in this session (bounded: least recently active forgotten first)."""

    def __init__(self, limit: int = MAX_TRACKED_USERS):
        self._counts: Recent[str, int] = Recent(limit)

    def record(self, user_id: str) -> int:
        count = self._counts.get(user_id, 0) + 1
        self._counts[user_id] = count  # the most recently active is the newest
        return count

    def get(self, user_id: str) -> int:
        return self._counts.get(user_id, 0)


def bonus(user: User | None, activity: int, settings: ReplySettings) -> int:
    level_bonus = min(user_level(user) // settings.level_bonus_divisor, settings.level_bonus_max)
    activity_bonus = min(activity // settings.activity_bonus_divisor, settings.activity_bonus_max)
    return max(level_bonus, 0) + max(activity_bonus, 0)


def dynamic_priority(base: int, users: list[User | None], activity: ActivityTracker,
                     settings: ReplySettings, *, floor: int = Priority.USER_VIP) -> int:
    """``base`` made more urgent by the best bonus among ``users`` (one viewer, or a batch),
    never past ``floor`` (nor past ``base`` itself when that is already lower)."""
    best = max((bonus(u, activity.get(u.id) if u else 0, settings) for u in users), default=0)
    return int(max(min(floor, base), base - best))
