"""Which room a frame belongs to, and whether it is ours (issue 20.1, protocols §7.1).

dy-barrage-grab forwards every Douyin room open on the PC (a second browser tab, 直播伴侣, the
Douyin client) on the same socket. Each frame names its room three ways:

- ``RoomId``: always present; new for every broadcast session;
- ``WebRoomId``: the ``live.douyin.com/<id>`` number (for 直播伴侣 the anchor's 抖音号); ``""``
  (v2.7.9) or ``"未知"`` (v2.7.6, and v2.7.9 live-end) when dy-barrage-grab has not cached the
  room (protocols §1.5, §1.9);
- ``Owner`` (v2.7.9) / ``Onwer`` (v2.7.6 object): the anchor's ``UserId``/``SecUid``; ``null``
  when the room is not cached — e.g. dy-barrage-grab started after the live page was opened,
  in which case *no* frame of that room ever carries it.

``RoomMatcher`` (stateless) says whether a room's identity matches ``[douyin] room`` and by
which field. ``RoomGate`` (stateful, one per feed) decides every frame: it learns the RoomId of
each identified room, so frames without an anchor are placed by their RoomId; when our room is
never identified (not cached) and it is the only room without an identity, it is taken as ours,
provisionally, and said so; with ``[douyin] room`` empty it locks onto the first room it sees.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from app.live.fields import MAX_ID_CHARS, MAX_NAME_CHARS, MAX_TITLE_CHARS, clean, is_int

#: ``WebRoomId`` values that mean "not cached" (protocols §1.5).
UNKNOWN_WEB_ROOM_IDS = frozenset({"", "未知"})

# How a room was chosen (shown to the operator; FeedRoom.how)
HOW_SEC_UID = "SecUid"
HOW_USER_ID = "UserId"
HOW_WEB_ROOM_ID = "WebRoomId"
HOW_FIRST = "first"  # [douyin] room empty: the first room seen after start
HOW_ONLY_UNIDENTIFIED = "only_room"  # not cached, the only room without an anchor: taken as ours

HOW_ZH = {
    HOW_SEC_UID: "主播 SecUid 与设置一致",
    HOW_USER_ID: "主播 UserId 与设置一致",
    HOW_WEB_ROOM_ID: "直播间号 WebRoomId 与设置一致",
    HOW_FIRST: "未设置 [douyin] room，锁定开播后出现的第一个直播间",
    HOW_ONLY_UNIDENTIFIED: "弹幕源未缓存主播信息，暂按唯一的直播间接收（无法核对 [douyin] room）",
}


@dataclass(frozen=True)
class RoomRef:
    """The room identity one frame carries. Empty strings mean "not given"."""

    room_id: str
    web_room_id: str = ""
    anchor_id: str = ""
    anchor_sec_uid: str = ""
    anchor_nickname: str = ""
    title: str = ""

    @property
    def identified(self) -> bool:
        """True when the frame says whose room it is (anchor or web room id)."""
        return bool(self.anchor_id or self.anchor_sec_uid or self.web_room_id)


def _text(v: Any, limit: int) -> str:
    if is_int(v):
        v = str(v)
    if not isinstance(v, str):
        return ""
    return clean(v.strip()[:limit])


def room_ref(data: dict) -> RoomRef:
    """The room identity of a parsed ``Data`` object. Never raises: the anchor is metadata, and a
    malformed anchor object reads as "not given" rather than costing the frame."""
    owner = data.get("Owner")
    if not isinstance(owner, dict):
        owner = data.get("Onwer")  # v2.7.6: the anchor object under the misspelt name
    if not isinstance(owner, dict):
        owner = {}
    web = _text(data.get("WebRoomId"), MAX_ID_CHARS)
    return RoomRef(
        room_id=_text(data.get("RoomId"), MAX_ID_CHARS),
        web_room_id="" if web in UNKNOWN_WEB_ROOM_IDS else web,
        anchor_id=_text(owner.get("UserId"), MAX_ID_CHARS),
        anchor_sec_uid=_text(owner.get("SecUid"), 200),
        anchor_nickname=_text(owner.get("Nickname"), MAX_NAME_CHARS),
        title=_text(data.get("RoomTitle"), MAX_TITLE_CHARS),
    )


def frame_room(frame: str | bytes | dict) -> RoomRef | None:
    """The room identity of a raw dy-barrage-grab frame (or its parsed envelope), or None when it
    is not a readable frame."""
    try:
        env = json.loads(frame) if isinstance(frame, (str, bytes, bytearray)) else frame
        data = env.get("Data") if isinstance(env, dict) else None
        if isinstance(data, str):
            data = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return room_ref(data) if isinstance(data, dict) else None


_LIVE_URL = re.compile(r"live\.douyin\.com/(\d+)")
_USER_URL = re.compile(r"douyin\.com/user/([A-Za-z0-9_\-]+)")


def normalise_room_setting(value: str) -> str:
    """``[douyin] room`` as written → the id to compare. Operators paste what they have: the
    bare id, or the live page / profile address it is part of."""
    value = (value or "").strip()
    for pattern in (_LIVE_URL, _USER_URL):
        if m := pattern.search(value):
            return m.group(1)
    return value


class RoomMatcher:
    """``RoomMatcher(config_value).matches(x)``: is ``x`` (a ``RoomRef``, a raw frame, or a parsed
    envelope) our room by the configured anchor SecUid / UserId / WebRoomId? ``which(ref)`` says
    which field matched. With an empty setting every room matches (``configured`` is False)."""

    def __init__(self, config_value: str = ""):
        self.target = normalise_room_setting(config_value)

    @property
    def configured(self) -> bool:
        return bool(self.target)

    def which(self, ref: RoomRef) -> str | None:
        t = self.target
        if not t:
            return HOW_FIRST
        if ref.anchor_sec_uid and ref.anchor_sec_uid == t:
            return HOW_SEC_UID
        if ref.anchor_id and ref.anchor_id == t:
            return HOW_USER_ID
        if ref.web_room_id and ref.web_room_id == t:
            return HOW_WEB_ROOM_ID
        return None

    def matches(self, item: RoomRef | str | bytes | dict) -> bool:
        if not isinstance(item, (RoomRef, str, bytes, bytearray, dict)):
            raise TypeError(f"RoomMatcher.matches takes a frame or a RoomRef, not {type(item).__name__} "
                            f"(a LiveEvent does not carry the anchor; FeedRoom on 'system' says which room is ours)")
        ref = item if isinstance(item, RoomRef) else frame_room(item)
        return ref is not None and self.which(ref) is not None

    def is_anchor_user(self, user_id: str, sec_uid: str = "") -> bool:
        """The configured value names this user as the anchor (a UserId or SecUid setting)."""
        return bool(self.target) and self.target in (user_id, sec_uid)


# --------------------------------------------------------------------------------------------
# The stateful gate


@dataclass
class OurRoom:
    """The room we listen to, as far as it is known."""

    room_id: str
    how: str
    web_room_id: str = ""
    anchor: str = ""  # the anchor's nickname
    anchor_id: str = ""
    anchor_sec_uid: str = ""
    confirmed: bool = True  # False: taken as ours without an identity to check

    def learn(self, ref: RoomRef) -> bool:
        """Fill in what a frame of our room tells; True if anything new was learned."""
        before = (self.web_room_id, self.anchor, self.anchor_id, self.anchor_sec_uid)
        self.web_room_id = ref.web_room_id or self.web_room_id
        self.anchor = ref.anchor_nickname or self.anchor
        self.anchor_id = ref.anchor_id or self.anchor_id
        self.anchor_sec_uid = ref.anchor_sec_uid or self.anchor_sec_uid
        return before != (self.web_room_id, self.anchor, self.anchor_id, self.anchor_sec_uid)


@dataclass
class OtherRoom:
    room_id: str
    frames: int = 0
    anchor: str = ""
    web_room_id: str = ""
    by_type: dict[str, int] = field(default_factory=dict)
    first_ts: float = 0.0
    last_ts: float = 0.0
    warned_at: float | None = None


@dataclass(frozen=True)
class Verdict:
    ours: bool
    changed: bool = False  # our room was just chosen, confirmed, re-chosen or learned more
    notice: str = ""  # a Chinese sentence for the log/operator when something important happened


class RoomGate:
    """Decides frame by frame whether it belongs to our room.

    ``admit(ref, kind, ts) -> Verdict``. Learned RoomIds: ``_verdicts[room_id]`` is True (ours)
    or False (another room). A room without an identity (not cached) is placed by its RoomId
    once known; before that, it is ours only when no room is ours yet and it is the first such
    room (``HOW_ONLY_UNIDENTIFIED``, provisional: a later frame with an identity confirms or
    overturns it).
    """

    MAX_ROOMS = 256  # other rooms remembered (a PC does not have more open)

    def __init__(self, matcher: RoomMatcher):
        self.matcher = matcher
        self.ours: OurRoom | None = None
        self.others: dict[str, OtherRoom] = {}
        self._verdicts: dict[str, bool] = {}
        self._by_elimination: set[str] = set()  # rooms called "other" only because ours was guessed
        self.other_frames = 0

    def admit(self, ref: RoomRef, kind: str, ts: float) -> Verdict:
        rid = ref.room_id
        if ref.identified:
            return self._identified(ref, kind, ts)
        known = self._verdicts.get(rid)
        if known is True:
            return Verdict(True)
        if known is False:
            return self._other(ref, kind, ts)
        if self.ours is None:
            how = HOW_FIRST if not self.matcher.configured else HOW_ONLY_UNIDENTIFIED
            self.ours = OurRoom(room_id=rid, how=how, confirmed=not self.matcher.configured)
            self._verdicts[rid] = True
            return Verdict(True, True, f"开始监听直播间 {rid}（{HOW_ZH[how]}）")
        return self._other(ref, kind, ts, remember=True)

    def _identified(self, ref: RoomRef, kind: str, ts: float) -> Verdict:
        rid, ours = ref.room_id, self.ours
        if ours is not None and rid == ours.room_id:
            if not ours.confirmed:  # provisional until now: check it
                return self._confirm_provisional(ref, kind, ts)
            return Verdict(True, ours.learn(ref))
        if self.matcher.configured:
            how = self.matcher.which(ref)
        elif ours is None:
            how = HOW_FIRST
        else:  # locked onto a room: the same anchor in a new broadcast session is still ours
            how = HOW_FIRST if self._same_anchor(ref, ours) else None
        if how is None:
            return self._other(ref, kind, ts)
        return self._choose(ref, how)

    def _confirm_provisional(self, ref: RoomRef, kind: str, ts: float) -> Verdict:
        ours = self.ours
        how = self.matcher.which(ref)
        if how is not None:
            ours.how, ours.confirmed = how, True
            ours.learn(ref)
            return Verdict(True, True, f"已确认正在监听的是我们的直播间（{HOW_ZH[how]}）")
        # It was not ours after all: from now on it is another room, and the rooms that were
        # called "other" only because this one had been guessed are open to the guess again.
        self.ours = None
        self._verdicts[ref.room_id] = False
        for rid in self._by_elimination:
            self._verdicts.pop(rid, None)
        self._by_elimination.clear()
        self._other(ref, kind, ts)
        who = ref.anchor_nickname or ref.web_room_id or ref.room_id
        return Verdict(False, True, f"之前暂按唯一直播间接收的 {who} 不是设置中的直播间，已停止接收它的消息")

    def _choose(self, ref: RoomRef, how: str) -> Verdict:
        previous = self.ours
        self.ours = OurRoom(room_id=ref.room_id, how=how)
        self.ours.learn(ref)
        self._verdicts[ref.room_id] = True
        self._by_elimination.clear()  # ours is known now: those rooms are others for good
        self.others.pop(ref.room_id, None)
        if previous is not None and previous.room_id != ref.room_id:
            self._verdicts[previous.room_id] = False  # the old session (or an unconfirmed guess)
        who = self.ours.anchor or self.ours.web_room_id or ref.room_id
        return Verdict(True, True, f"正在监听 {who}（{HOW_ZH[how]}）")

    @staticmethod
    def _same_anchor(ref: RoomRef, ours: OurRoom) -> bool:
        return bool((ref.anchor_id and ref.anchor_id == ours.anchor_id)
                    or (ref.anchor_sec_uid and ref.anchor_sec_uid == ours.anchor_sec_uid)
                    or (ref.web_room_id and ref.web_room_id == ours.web_room_id))

    def _other(self, ref: RoomRef, kind: str, ts: float, remember: bool = False) -> Verdict:
        rid = ref.room_id
        if ref.identified or remember:
            self._verdicts.setdefault(rid, False)
            if remember:
                self._by_elimination.add(rid)
        room = self.others.get(rid)
        if room is None:
            if len(self.others) >= self.MAX_ROOMS:  # forget the room heard from longest ago
                oldest = min(self.others.values(), key=lambda r: r.last_ts)
                del self.others[oldest.room_id]
            room = self.others[rid] = OtherRoom(room_id=rid, first_ts=ts)
        room.frames += 1
        room.last_ts = ts
        room.by_type[kind] = room.by_type.get(kind, 0) + 1
        room.anchor = ref.anchor_nickname or room.anchor
        room.web_room_id = ref.web_room_id or room.web_room_id
        self.other_frames += 1
        return Verdict(False)

    def is_ours(self, room_id: str) -> bool:
        return self._verdicts.get(room_id) is True

    def stats(self) -> dict[str, Any]:
        ours = self.ours
        return {
            "room": None if ours is None else {
                "room_id": ours.room_id, "web_room_id": ours.web_room_id, "anchor": ours.anchor,
                "how": ours.how, "confirmed": ours.confirmed},
            "other_room_frames": self.other_frames,
            "other_rooms": {r.room_id: {"frames": r.frames, "anchor": r.anchor,
                                        "web_room_id": r.web_room_id, "by_type": dict(r.by_type)}
                            for r in list(self.others.values())},
        }
