"""Live events from the room's feed (design §4): comments, gifts, likes, entries, stats …
``LiveEvent``'s tag is the live event kind itself, so its JSON is exactly the normalised event of
the design."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import ClassVar, Literal

from app.events.channels import Channel

LiveEventType = Literal["comment", "gift", "like", "enter", "follow", "share", "fansclub", "stats", "live_end"]
LIVE_EVENT_TYPES: tuple[str, ...] = typing.get_args(LiveEventType)


@dataclass(frozen=True, kw_only=True)
class User:
    id: str
    nickname: str
    level: int = 0
    pay_level: int = 0
    fans_club_level: int = 0
    is_anchor: bool = False  # v2.7.9 User.IsAnchor: the room's own anchor (protocols §7.4)
    is_admin: bool = False  # v2.7.9 User.IsAdmin: a room admin


@dataclass(frozen=True, kw_only=True)
class GiftInfo:
    id: str
    name: str
    count: int  # the increase this message carries
    total: int  # running combo total
    diamonds: int  # per-unit value
    to_user: str = ""  # nickname of the receiver when it is not the anchor (连麦 guest); "" = the anchor
    group_id: str = ""  # the feed's GroupId (combo identity; "" or "0" when the feed gave none)


@dataclass(frozen=True, kw_only=True)
class FansClubInfo:
    action: Literal["join", "upgrade"]  # dy-barrage-grab Type 7 Data.Type: 2 join, 1 upgrade
    level: int = 0  # the viewer's fans-club level after this message


@dataclass(frozen=True, kw_only=True)
class LikeInfo:
    count: int
    total: int


@dataclass(frozen=True, kw_only=True)
class RoomStats:
    online: int
    total: int


@dataclass(frozen=True, kw_only=True)
class LiveEvent:
    TAGS: ClassVar[tuple[str, ...]] = LIVE_EVENT_TYPES
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"gift", "like", "stats", "fansclub"})

    type: LiveEventType
    msg_id: str
    room_id: str
    ts: float
    user: User | None = None
    text: str = ""
    gift: GiftInfo | None = None
    like: LikeInfo | None = None
    stats: RoomStats | None = None
    fansclub: FansClubInfo | None = None

    @property
    def durable(self) -> bool:
        return self.type in ("gift", "follow")

    @property
    def channel(self) -> str:
        return Channel.LIVE_DURABLE if self.durable else Channel.LIVE_EVENTS

