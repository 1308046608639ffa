"""dy-barrage-grab frames → normalised ``LiveEvent`` (design §4, protocols.md §1).

A frame is ``{"Type": int, "ProcessName": str, "Data": "<JSON object as a string>"}``. The
decoder never raises: every frame gives either a ``LiveEvent`` or a ``Rejection`` that says
what was wrong, and both are counted in ``DecodeStats``. Both feed shapes decode: v2.7.6 (anchor
under the misspelt ``Onwer``) and v2.7.9 (``Owner``, plus ``IsAnchor``/``IsAdmin`` on users).

Every number is range-checked and every text bounded at decode (``fields``). The feed's own
semantics are filled in here as far as one frame tells them (protocols §7.2–7.5): the viewer
is the anchor (``IsAnchor``, or ``Id`` = the anchor's ``UserId``) or an admin; a gift's receiver
when it is not the anchor (``ToUser``, a 连麦 guest); the gift's ``GroupId``; a fans-club
message's join/upgrade. What needs more than one frame (which room is ours, a gift's true
increase) is ``FeedPipeline``'s job; ``decode_frame`` hands it the room identity and the gift
receiver's id for that.

Python's ``json`` keeps 19-digit ``MsgId``/``Id`` values as exact ints (no float rounding), and
they are turned into strings for the event.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.events import FansClubInfo, GiftInfo, LikeInfo, LiveEvent, RoomStats, User
from app.live.fields import (
    BAD_DATA,
    BAD_ENVELOPE,
    DUPLICATE,
    MAX_DIAMONDS,
    MAX_GIFT_COUNT,
    MAX_LIKE_COUNT,
    MAX_LIKE_TOTAL,
    MAX_NAME_CHARS,
    MAX_NICKNAME_CHARS,
    MAX_VIEWERS,
    NOT_JSON,
    NOT_UTF8,
    OUT_OF_RANGE,
    SKIPPED,
    TOO_LARGE,
    UNKNOWN_TYPE,
    Bad,
    FieldReader,
    is_int,
    jtype,
    short,
    show,
)
from app.live.room import RoomRef, room_ref
from app.recent import Recent

__all__ = [
    "BAD_DATA", "BAD_ENVELOPE", "DUPLICATE", "MAX_FRAME_BYTES", "NOT_JSON", "NOT_UTF8", "OUT_OF_RANGE",
    "TOO_LARGE", "TYPE_NAMES", "UNKNOWN_TYPE", "DecodeStats", "Decoded",
    "FrameDecoder", "Rejection",
]

#: Frames above this many bytes are refused before parsing (dy-barrage-grab frames are ~1.5 kB).
MAX_FRAME_BYTES = 1024 * 1024

TYPE_NAMES: dict[int, str] = {
    1: "comment", 2: "like", 3: "enter", 4: "follow", 5: "gift",
    6: "stats", 7: "fansclub", 8: "share", 9: "live_end",
}
#: dy-barrage-grab Type 7 ``Data.Type`` (protocols §1.5, §7.2).
FANSCLUB_ACTIONS = {1: "upgrade", 2: "join"}


@dataclass(frozen=True)
class Rejection:
    """A frame that produced no event. ``category`` is one of the constants in ``fields`` (or
    one of ``FeedPipeline``'s skip categories)."""

    category: str
    reason: str
    msg_id: str | None = None

    @property
    def is_bad(self) -> bool:
        """True for malformed frames; False for well-formed frames skipped on purpose."""
        return self.category not in SKIPPED


@dataclass(frozen=True)
class Decoded:
    """A decoded frame with what only the frame knows beyond the event."""

    event: LiveEvent
    room: RoomRef
    to_user_id: str = ""  # a gift's ToUser.Id ("" = none)
    to_user_nickname: str = ""
    user_sec_uid: str = ""


@dataclass
class DecodeStats:
    frames: int = 0
    decoded: int = 0
    bad_frames: int = 0
    duplicates: int = 0
    unknown_types: int = 0
    clamped: int = 0  # frames with a field cut or read as unknown (they were still decoded)
    bad_by_category: dict[str, int] = field(default_factory=dict)
    unknown_by_type: dict[str, int] = field(default_factory=dict)
    clamped_by_field: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "frames": self.frames, "decoded": self.decoded, "bad_frames": self.bad_frames,
            "duplicates": self.duplicates, "unknown_types": self.unknown_types,
            "out_of_range": self.bad_by_category.get(OUT_OF_RANGE, 0), "clamped": self.clamped,
            "bad_by_category": dict(self.bad_by_category),
            "unknown_by_type": dict(self.unknown_by_type),
            "clamped_by_field": dict(self.clamped_by_field),
        }


class FrameDecoder:
    """Stateful decoder: counts everything and drops duplicate ``MsgId``s within a window.

    Duplicates are keyed by (Type, MsgId), as dy-barrage-grab itself de-duplicates per Douyin
    method. One decoder serves one feed; it is not thread-safe.
    """

    def __init__(self, *, dedupe_window: int = 4096, max_frame_bytes: int = MAX_FRAME_BYTES,
                 clock: Callable[[], float] = time.time):
        self.stats = DecodeStats()
        self._seen: Recent[tuple[str, str], None] = Recent(max(1, dedupe_window))  # (type, MsgId)
        self._max = max_frame_bytes
        self._clock = clock

    def decode(self, raw: str | bytes | bytearray, *, ts: float | None = None) -> LiveEvent | Rejection:
        result = self.decode_frame(raw, ts=ts)
        return result.event if isinstance(result, Decoded) else result

    def decode_frame(self, raw: str | bytes | bytearray, *, ts: float | None = None) -> Decoded | Rejection:
        st = self.stats
        st.frames += 1
        reader = FieldReader()
        try:
            decoded = _decode_frame(raw, self._max, self._clock() if ts is None else ts, reader)
        except Bad as bad:
            if bad.category == UNKNOWN_TYPE:
                st.unknown_types += 1
                key = str(bad.code)
                st.unknown_by_type[key] = st.unknown_by_type.get(key, 0) + 1
                return Rejection(UNKNOWN_TYPE, bad.reason)
            return self.reject(bad.category, bad.reason)
        except Exception as exc:  # the decoder must never raise; an unforeseen case is still a bad frame
            return self.reject(BAD_DATA, f"unexpected {type(exc).__name__}: {short(exc)}")
        event = decoded.event
        if not self._seen.add((event.type, event.msg_id)):
            st.duplicates += 1
            return Rejection(DUPLICATE, f"duplicate MsgId {event.msg_id} ({event.type})", event.msg_id)
        st.decoded += 1
        if reader.clamped:
            st.clamped += 1
            for name in reader.clamped:
                st.clamped_by_field[name] = st.clamped_by_field.get(name, 0) + 1
        return decoded

    def reject(self, category: str, reason: str) -> Rejection:
        """Count a bad frame found outside ``decode`` (e.g. one the transport refused)."""
        st = self.stats
        st.bad_frames += 1
        st.bad_by_category[category] = st.bad_by_category.get(category, 0) + 1
        return Rejection(category, reason)


# --------------------------------------------------------------------------------------------
# The stateless part


def _decode_frame(raw: str | bytes | bytearray, limit: int, ts: float, r: FieldReader) -> Decoded:
    if isinstance(raw, (bytes, bytearray)):
        if len(raw) > limit:
            raise Bad(TOO_LARGE, f"frame is {len(raw)} bytes, more than the {limit}-byte limit")
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Bad(NOT_UTF8, f"not valid UTF-8 at byte {exc.start}") from None
    elif isinstance(raw, str):
        text = raw
        # A character is at most 4 bytes, so only long strings need the exact byte count.
        if len(text) * 4 > limit:
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > limit:
                raise Bad(TOO_LARGE, f"frame is {size} bytes, more than the {limit}-byte limit")
    else:
        raise Bad(BAD_ENVELOPE, f"a frame must be text, got {type(raw).__name__}")

    try:
        env = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Bad(NOT_JSON, f"frame is not JSON: {short(exc)}") from None
    if not isinstance(env, dict):
        raise Bad(BAD_ENVELOPE, f"frame must be a JSON object, got {jtype(env)}")
    if "Type" not in env:
        raise Bad(BAD_ENVELOPE, "frame has no 'Type'")
    kind = env["Type"]
    if not is_int(kind):
        raise Bad(BAD_ENVELOPE, f"'Type' must be an integer, got {show(kind)}")
    if "Data" not in env:
        raise Bad(BAD_ENVELOPE, "frame has no 'Data'")
    data = env["Data"]
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise Bad(BAD_DATA, f"'Data' is not JSON: {short(exc)}") from None
    elif not isinstance(data, dict):  # an already-parsed object is tolerated; anything else is not
        raise Bad(BAD_ENVELOPE, f"'Data' must be a JSON string, got {jtype(data)}")
    if not isinstance(data, dict):
        raise Bad(BAD_DATA, f"'Data' must hold a JSON object, got {jtype(data)}")

    name = TYPE_NAMES.get(kind)
    if name is None:
        raise Bad(UNKNOWN_TYPE, f"unknown Type {kind} (known: 1-9)", str(kind))
    return _build(name, data, ts, r)


def _build(kind: str, d: dict, ts: float, r: FieldReader) -> Decoded:
    msg_id = r.id(d, "MsgId", required=True)
    room = room_ref(d)
    raw_user = d.get("User")
    user = None if raw_user is None else _user(raw_user, "Data.User", room, r)
    content = r.str(d, "Content", "Data")
    gift = like = stats = fansclub = None
    to_id = to_nick = ""
    if kind == "gift":
        gift, to_id, to_nick = _gift(d, room, r)
    elif kind == "like":
        like = LikeInfo(count=r.count(d, "Count", "Data", MAX_LIKE_COUNT),
                        total=r.count(d, "Total", "Data", MAX_LIKE_TOTAL))
    elif kind == "stats":
        stats = RoomStats(online=r.count(d, "OnlineUserCount", "Data", MAX_VIEWERS),
                          total=r.count(d, "TotalUserCount", "Data", MAX_VIEWERS))
    elif kind == "live_end":
        user = None  # the end-of-live message has no viewer attached
    elif kind == "fansclub":
        fansclub, user = _fansclub(d, user, r)
    event = LiveEvent(type=kind, msg_id=msg_id, room_id=room.room_id, ts=ts, user=user, text=content,
                      gift=gift, like=like, stats=stats, fansclub=fansclub)
    sec_uid = raw_user.get("SecUid") if isinstance(raw_user, dict) else None
    return Decoded(event, room, to_id, to_nick, sec_uid[:200] if isinstance(sec_uid, str) else "")


def _gift(d: dict, room: RoomRef, r: FieldReader) -> tuple[GiftInfo, str, str]:
    count = r.count(d, "GiftCount", "Data", MAX_GIFT_COUNT)
    total = r.count(d, "RepeatCount", "Data", MAX_GIFT_COUNT)
    diamonds = r.count(d, "DiamondCount", "Data", MAX_DIAMONDS)
    group = r.id(d, "GroupId", required=False)
    to_id = to_nick = ""
    to_user = ""
    raw_to = d.get("ToUser")
    if raw_to is not None:
        receiver = _user(raw_to, "Data.ToUser", room, r)
        to_id, to_nick = receiver.id, receiver.nickname
        # A gift to a 连麦 guest is not a gift to the anchor (protocols §7.5). Only when the
        # frame names the anchor can it say which; otherwise FeedPipeline decides with the
        # anchor it knows, and without one the gift reads as the anchor's (as before).
        if room.anchor_id and not receiver.is_anchor:
            to_user = receiver.nickname
    gift = GiftInfo(id=r.id(d, "GiftId", required=False), name=r.str(d, "GiftName", "Data", MAX_NAME_CHARS),
                    count=count, total=total, diamonds=diamonds, to_user=to_user,
                    group_id="" if group in ("", "0") else group)
    return gift, to_id, to_nick


def _fansclub(d: dict, user: User | None, r: FieldReader) -> tuple[FansClubInfo, User | None]:
    sub = d.get("Type")
    if not is_int(sub):
        raise Bad(BAD_DATA, f"Data.Type of a fans-club message must be 1 (upgrade) or 2 (join), got {show(sub)}")
    action = FANSCLUB_ACTIONS.get(sub)
    if action is None:
        raise Bad(UNKNOWN_TYPE, f"unknown fans-club Data.Type {sub} (known: 1 upgrade, 2 join)", f"7.{sub}")
    level = r.level(d, "Level", "Data")  # the level after this message (= User.FansClub.Level)
    if user is not None and level > 0 and user.fans_club_level != level:
        user = User(id=user.id, nickname=user.nickname, level=user.level, pay_level=user.pay_level,
                    fans_club_level=level, is_anchor=user.is_anchor, is_admin=user.is_admin)
    return FansClubInfo(action=action, level=level or (user.fans_club_level if user else 0)), user


def _user(u: Any, where: str, room: RoomRef, r: FieldReader) -> User:
    if not isinstance(u, dict):
        raise Bad(BAD_DATA, f"{where} must be an object or null, got {jtype(u)}")
    club = u.get("FansClub")
    if club is None:
        club_level = 0
    elif isinstance(club, dict):
        club_level = r.level(club, "Level", f"{where}.FansClub")
    else:
        raise Bad(BAD_DATA, f"{where}.FansClub must be an object, got {jtype(club)}")
    nickname = r.str(u, "Nickname", where, MAX_NICKNAME_CHARS)
    if not nickname:  # dy-barrage-grab's own fallback when Douyin sends no nickname
        display = u.get("DisplayId")
        nickname = f"用户{display[:MAX_NICKNAME_CHARS]}" if isinstance(display, str) and display else "用户"
    uid = r.id(u, "Id", required=True, where=where)
    # v2.7.9 sets IsAnchor as Id == Owner.UserId; v2.7.6 has no flag but the same anchor object.
    is_anchor = r.bool(u, "IsAnchor") or bool(room.anchor_id and uid == room.anchor_id)
    return User(id=uid, nickname=nickname, level=r.level(u, "Level", where),
                pay_level=r.level(u, "PayLevel", where), fans_club_level=club_level,
                is_anchor=is_anchor, is_admin=r.bool(u, "IsAdmin"))
