"""Builds dy-barrage-grab v2.7.9 frames byte-for-byte as its server serialises them.

Field order follows Newtonsoft's output for the C# classes (protocols.md §1.3/§1.5): the
derived class's properties first, then the base ``Msg`` properties; in the user object the
public field ``FollowingCount`` first. ``Data`` is the message object serialised to a string
inside the envelope. Non-ASCII text is written raw, no whitespace. The test suite checks this
builder against the reference sample frames.

What a real PC's feed holds beyond one clean room (protocols §7.1–7.5), all reproducible here:

- several rooms on one socket (``Room(room_id=…, owner=…)`` per room, one ``ReplayServer``);
- a room dy-barrage-grab has not cached (``Room.uncached()``: ``Owner`` null, ``WebRoomId`` "");
- the v2.7.6 shape (``Room(version="2.7.6")``: the anchor under ``Onwer``, no ``IsAnchor``/
  ``IsAdmin``/``RoomTitle``/``IsAnonymous``/``Appid``, unknown ``WebRoomId`` = "未知");
- the anchor's and the admins' own comments (``Room.anchor_viewer()``, ``Viewer(admin=True)``;
  ``IsAnchor`` is computed as upstream does: ``Id == Owner.UserId``);
- fans-club joins and level upgrades (``Room.fansclub(…, join=False)``);
- gifts to a 连麦 guest (``to_user=``);
- dy-barrage-grab's own de-combo step with its 10 s cache, fed Douyin's raw combo messages
  (``GiftGrabber``), which reproduces both over-count cases of §7.5;
- the end of the live (``Room.live_end``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

ONWER_WARNING = "该字段存在拼写错误，请修正为 ‘Owner’ 后使用"
SHARE_TARGETS = {0: "未知", 1: "微信", 2: "朋友圈", 3: "微博", 4: "QQ空间", 5: "QQ", 112: "抖音好友"}
AVATAR = "https://p3.douyinpic.com/aweme/100x100/example.jpeg"


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Viewer:
    id: int
    nickname: str
    pay_level: int = 0
    level: int = 0
    gender: int = 1
    club_name: str = ""
    club_level: int = 0
    admin: bool = False  # in the room's cached admin list (v2.7.9 IsAdmin)
    sec_uid: str = "MS4wLjABAAAA_example"

    def to_wire(self, anchor_id: str | None = None, version: str = "2.7.9") -> dict[str, Any]:
        """``anchor_id``: the room's ``Owner.UserId`` when cached (upstream sets ``IsAnchor`` as
        ``Id == Owner.UserId``, so it is False in a room that is not cached)."""
        wire: dict[str, Any] = {"FollowingCount": -1, "Id": self.id}
        if version != "2.7.6":
            wire["IsAdmin"] = self.admin
            wire["IsAnchor"] = anchor_id is not None and str(self.id) == anchor_id
        wire.update({
            "ShortId": 0, "DisplayId": f"dy_{self.id}", "Nickname": self.nickname, "Level": self.level,
            "PayLevel": self.pay_level, "Gender": self.gender, "HeadImgUrl": AVATAR,
            "SecUid": self.sec_uid,
            "FansClub": {"ClubName": self.club_name, "Level": self.club_level},
            "FollowerCount": -1, "FollowStatus": -1,
        })
        return wire


@dataclass
class Room:
    room_id: str = "7412300000000000000"
    web_room_id: str = "940152769375"
    title: str = "示例直播间"
    process: str = "chrome"
    appid: str = "1128"
    owner: dict[str, Any] | None = field(default_factory=lambda: anchor_object())
    version: str = "2.7.9"  # or "2.7.6": the anchor object under "Onwer", fewer fields

    @classmethod
    def other(cls, n: int = 2, **kw) -> Room:
        """Another room open on the same PC (a second tab): its own RoomId, WebRoomId, anchor."""
        kw.setdefault("room_id", f"74123000000000{n:05d}")
        kw.setdefault("web_room_id", f"8800000000{n:02d}")
        kw.setdefault("title", f"别人的直播间{n}")
        kw.setdefault("owner", anchor_object(user_id=str(200000000 + n), sec_uid=f"MS4wLjABAAAA_other{n}",
                                             nickname=f"别人的主播{n}"))
        return cls(**kw)

    def uncached(self) -> Room:
        """This room as dy-barrage-grab sends it when it has not cached the room (started after
        the live page was opened): Owner null, WebRoomId and RoomTitle empty (v2.7.6: "未知")."""
        return replace(self, owner=None, web_room_id="未知" if self.version == "2.7.6" else "", title="")

    def anchor_viewer(self, **kw) -> Viewer:
        """The anchor as a viewer of their own room (their own comments)."""
        owner = self.owner or anchor_object()
        return Viewer(id=int(owner["UserId"]), nickname=owner["Nickname"], sec_uid=owner["SecUid"], **kw)

    def frame(self, type_code: int, msg_id: int, user: Viewer | None, content: str,
              extra: dict[str, Any] | None = None, *, room_title: Any = ..., web_room_id: str | None = None) -> str:
        data: dict[str, Any] = dict(extra or {})
        anchor_id = self.owner["UserId"] if self.owner else None
        if "ToUser" in data and isinstance(data["ToUser"], Viewer):
            data["ToUser"] = data["ToUser"].to_wire(anchor_id, self.version)
        data.update({"MsgId": msg_id, "User": user.to_wire(anchor_id, self.version) if user is not None else None})
        if self.version == "2.7.6":
            data.update({"Onwer": self.owner, "Content": content, "RoomId": self.room_id,
                         "WebRoomId": self.web_room_id if web_room_id is None else web_room_id})
        else:
            data.update({
                "Owner": self.owner, "Onwer": ONWER_WARNING, "Content": content, "RoomId": self.room_id,
                "WebRoomId": self.web_room_id if web_room_id is None else web_room_id,
                "RoomTitle": self.title if room_title is ... else room_title,
                "IsAnonymous": False, "Appid": self.appid,
            })
        return _json({"Type": type_code, "ProcessName": self.process, "Data": _json(data)})

    # ---- one builder per Type -------------------------------------------------------------------

    def comment(self, msg_id: int, user: Viewer, text: str) -> str:
        return self.frame(1, msg_id, user, text)

    def like(self, msg_id: int, user: Viewer, count: int, total: int) -> str:
        return self.frame(2, msg_id, user, f"{user.nickname} 为主播点了{count}个赞，总点赞{total}",
                          {"Count": count, "Total": total})

    def enter(self, msg_id: int, user: Viewer, member_count: int, via_share: bool = False) -> str:
        tip = 6 if via_share else 0
        # v2.7.9 really emits the stray "$" (protocols.md §1.6)
        content = f"{user.nickname} ${' 通过分享' if via_share else ''}来了 直播间人数:{member_count}"
        return self.frame(3, msg_id, user, content, {"CurrentCount": member_count, "EnterTipType": tip})

    def follow(self, msg_id: int, user: Viewer) -> str:
        return self.frame(4, msg_id, user, f"{user.nickname} 关注了主播")

    def gift(self, msg_id: int, user: Viewer, *, gift_id: int, name: str, diamonds: int, increment: int,
             repeat: int, group_id: int = 0, combo: bool = True, to_user: Viewer | None = None) -> str:
        content = f"{user.nickname} 送出 {name}{'(可连击)' if combo else ''} x {repeat}个，增量{increment}个"
        if to_user is not None:
            content += f"，给{to_user.nickname}"
        return self.frame(5, msg_id, user, content, {
            "GiftId": gift_id, "GiftName": name, "GroupId": group_id, "GiftCount": increment,
            "RepeatCount": repeat, "DiamondCount": diamonds, "Combo": combo,
            "ImgUrl": "https://p3-webcast.douyinpic.com/img/webcast/example.png~tplv-obj.png",
            "ToUser": to_user})

    def stats(self, msg_id: int, online: int, total: int) -> str:
        total_str = f"{total / 10000:.1f}万" if total >= 10000 else str(total)
        return self.frame(6, msg_id, None, f"当前直播间人数 {online}，累计直播间人数 {total_str}", {
            "OnlineUserCount": online, "TotalUserCount": total, "TotalUserCountStr": total_str,
            "OnlineUserCountStr": str(online)})

    def fansclub(self, msg_id: int, user: Viewer, member_no: int, join: bool = True) -> str:
        content = (f"恭喜 {user.nickname} 成为粉丝团第{member_no}名成员" if join
                   else f"恭喜 {user.nickname} 粉丝团等级升到{user.club_level}级")
        return self.frame(7, msg_id, user, content, {"Type": 2 if join else 1, "Level": user.club_level})

    def share(self, msg_id: int, user: Viewer, share_type: int = 1) -> str:
        return self.frame(8, msg_id, user, f"{user.nickname} 分享了直播间到{SHARE_TARGETS.get(share_type, '未知')}",
                          {"ShareType": share_type})

    def live_end(self, msg_id: int, *, web_room_id: str | None = None) -> str:
        return self.frame(9, msg_id, None, "直播已结束", room_title=None, web_room_id=web_room_id)


def anchor_object(*, user_id: str = "100000001", sec_uid: str = "MS4wLjABAAAA_anchor",
                  nickname: str = "主播昵称") -> dict[str, Any]:
    """``RoomAnchorInfo`` (``Owner`` / v2.7.6 ``Onwer``)."""
    return {"UserId": user_id, "SecUid": sec_uid, "Nickname": nickname,
            "HeadUrl": "https://p3.douyinpic.com/aweme/100x100/anchor.jpeg", "FollowStatus": 0}


class GiftGrabber:
    """dy-barrage-grab's de-combo step (``Grab_OnGiftMessage``, protocols §1.7) applied to
    Douyin's raw ``WebcastGiftMessage``s, with its cache-eviction timer (every 10 s, entries
    older than 10 s) driven by the caller's clock. ``push`` returns the frame dy-barrage-grab
    would broadcast, or None when it drops the message.

    Reproduces what upstream gets wrong (§7.5): a late ``repeat_end`` after eviction is pushed
    with ``GiftCount`` = the whole ``RepeatCount``; a ``group_id == 0`` combo pushes
    ``GiftCount == RepeatCount`` every time (1, 2, 3 …).
    """

    TIMER_S = 10.0

    def __init__(self, room: Room, start: float = 0.0):
        self.room = room
        self._cache: dict[str, tuple[int, float]] = {}
        self._next_tick = start + self.TIMER_S

    def _timer(self, now: float) -> None:
        while now >= self._next_tick:
            fired = self._next_tick
            self._cache = {k: v for k, v in self._cache.items() if v[1] >= fired - self.TIMER_S}
            self._next_tick += self.TIMER_S

    def push(self, now: float, msg_id: int, user: Viewer, *, gift_id: int, name: str, diamonds: int,
             repeat: int, group_id: int = 0, repeat_end: bool = False, combo: bool = True,
             to_user: Viewer | None = None) -> str | None:
        self._timer(now)
        key = f"{self.room.room_id}-{gift_id}-{group_id}"
        curr, last = repeat, 0
        if repeat_end and key in self._cache:
            if group_id > 0:
                del self._cache[key]
            return None
        if curr <= 0:
            curr = 1
        backward = curr <= last
        if key in self._cache:
            last = self._cache[key][0]
            backward = curr <= last
            if not backward:
                self._cache[key] = (curr, now)
        elif group_id > 0 and not backward:
            self._cache[key] = (curr, now)
        if backward:
            return None
        return self.room.gift(msg_id, user, gift_id=gift_id, name=name, diamonds=diamonds,
                              increment=curr - last, repeat=repeat, group_id=group_id, combo=combo,
                              to_user=to_user)
