"""Builds dy-barrage-grab v2.7.9 frames byte-for-byte as its server serialises them.

Field order follows Newtonsoft's output for the C# classes (protocols.md §1.3/§1.5): the
derived class's properties first, then the base ``Msg`` properties; in the user object the
public field ``FollowingCount`` first. ``Data`` is the message object serialised to a string
inside the envelope. Non-ASCII text is written raw, no whitespace. The test suite checks this
builder against the reference sample frames.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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

    def to_wire(self) -> dict[str, Any]:
        return {
            "FollowingCount": -1, "Id": self.id, "IsAdmin": False, "IsAnchor": False, "ShortId": 0,
            "DisplayId": f"dy_{self.id}", "Nickname": self.nickname, "Level": self.level,
            "PayLevel": self.pay_level, "Gender": self.gender, "HeadImgUrl": AVATAR,
            "SecUid": "MS4wLjABAAAA_example",
            "FansClub": {"ClubName": self.club_name, "Level": self.club_level},
            "FollowerCount": -1, "FollowStatus": -1,
        }


@dataclass
class Room:
    room_id: str = "7412300000000000000"
    web_room_id: str = "940152769375"
    title: str = "示例直播间"
    process: str = "chrome"
    appid: str = "1128"
    owner: dict[str, Any] | None = field(default_factory=lambda: {
        "UserId": "100000001", "SecUid": "MS4wLjABAAAA_anchor", "Nickname": "主播昵称",
        "HeadUrl": "https://p3.douyinpic.com/aweme/100x100/anchor.jpeg", "FollowStatus": 0})

    def frame(self, type_code: int, msg_id: int, user: Viewer | None, content: str,
              extra: dict[str, Any] | None = None, *, room_title: Any = ..., web_room_id: str | None = None) -> str:
        data: dict[str, Any] = dict(extra or {})
        data.update({
            "MsgId": msg_id, "User": user.to_wire() if user is not None else None,
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
             repeat: int, group_id: int = 0, combo: bool = True) -> str:
        content = f"{user.nickname} 送出 {name}{'(可连击)' if combo else ''} x {repeat}个，增量{increment}个"
        return self.frame(5, msg_id, user, content, {
            "GiftId": gift_id, "GiftName": name, "GroupId": group_id, "GiftCount": increment,
            "RepeatCount": repeat, "DiamondCount": diamonds, "Combo": combo,
            "ImgUrl": "https://p3-webcast.douyinpic.com/img/webcast/example.png~tplv-obj.png",
            "ToUser": None})

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

    def live_end(self, msg_id: int) -> str:
        return self.frame(9, msg_id, None, "直播已结束", room_title=None)
