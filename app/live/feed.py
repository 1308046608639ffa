"""One feed's frames → the events of our room, with the feed's own semantics filled in.

``FeedPipeline.process(raw)`` = decode (``FrameDecoder``: range checks, fields) → which room
(``RoomGate``: our room only) → who is the anchor and who received a gift, with what the gate
knows of our anchor → the gift's true increase (``GiftCounter``). It returns the ``LiveEvent``
to publish or a ``Rejection`` saying why not; it never raises. Things the operator must hear
about (our room chosen or changed, another room that keeps sending) wait in ``notices`` as
``FeedRoom``/``ErrorReport`` events for the listener to publish on ``system``.

No I/O and no threads: the listener, the CLI and tests drive it the same way, with the clock
they choose (``ts``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from app import events
from app.events import LiveEvent
from app.live.decoder import MAX_FRAME_BYTES, Decoded, FrameDecoder, Rejection
from app.live.fields import BAD_DATA, GIFT_REPEAT, OTHER_ROOM
from app.live.gifts import GiftCounter
from app.live.room import HOW_ZH, OtherRoom, RoomGate, RoomMatcher
from app.logs import get_logger

log = get_logger("live")

#: Another room is reported once it has sent this many frames, then again every
#: ``OTHER_ROOM_REPEAT_S`` while it keeps sending (a tab left open all evening).
OTHER_ROOM_WARN_FRAMES = 20
OTHER_ROOM_REPEAT_S = 300.0


class FeedPipeline:
    def __init__(self, room: str = "", *, dedupe_window: int = 4096,
                 max_frame_bytes: int = MAX_FRAME_BYTES, gift_memory_s: float = 60.0,
                 clock: Callable[[], float] = time.time, component: str = "feed"):
        self.matcher = RoomMatcher(room)
        self.gate = RoomGate(self.matcher)
        self.decoder = FrameDecoder(dedupe_window=dedupe_window, max_frame_bytes=max_frame_bytes,
                                    clock=clock)
        self.gifts = GiftCounter(memory_s=gift_memory_s)
        self.component = component
        self._clock = clock
        self.notices: list[Any] = []  # FeedRoom / ErrorReport events for the system channel
        self.accepted = 0

    def process(self, raw: str | bytes | bytearray, *, ts: float | None = None) -> LiveEvent | Rejection:
        ts = self._clock() if ts is None else ts
        decoded = self.decoder.decode_frame(raw, ts=ts)
        if isinstance(decoded, Rejection):
            return decoded
        try:
            return self._place(decoded, ts)
        except Exception as exc:  # never raise: an unforeseen case is counted as a bad frame
            log.exception("feed frame %s could not be placed", decoded.event.msg_id)
            self.decoder.stats.decoded -= 1  # it is counted as bad instead
            return self.decoder.reject(BAD_DATA, f"unexpected {type(exc).__name__}: {exc}"[:160])

    def _place(self, decoded: Decoded, ts: float) -> LiveEvent | Rejection:
        event = decoded.event
        verdict = self.gate.admit(decoded.room, event.type, ts)
        if verdict.changed:
            self._announce(verdict.notice, ts)
        if not verdict.ours:
            self._warn_other_room(decoded.room.room_id, ts)
            return Rejection(OTHER_ROOM, f"frame of another room ({decoded.room.room_id})", event.msg_id)
        event = self._with_anchor(decoded)
        counted = self.gifts.count(event, ts)
        if counted is None:
            return Rejection(GIFT_REPEAT, f"gift {event.gift.name} adds nothing to the combo already counted "
                                          f"(RepeatCount {event.gift.total})", event.msg_id)
        self.accepted += 1
        return counted

    def take_notices(self) -> list[Any]:
        out, self.notices = self.notices, []
        return out

    # ---- our anchor -----------------------------------------------------------------------------

    def _with_anchor(self, d: Decoded) -> LiveEvent:
        """Fill what the frame alone could not: whether the viewer (or a gift's receiver) is our
        anchor, when the frame carries no ``Owner`` but the anchor is known from the setting or
        from another frame of our room."""
        event, ours = d.event, self.gate.ours
        if d.room.anchor_id or ours is None:
            return event  # the frame named its anchor: the decoder has decided
        anchor_id = ours.anchor_id

        def is_anchor(uid: str, sec_uid: str = "") -> bool:
            return bool(anchor_id and uid == anchor_id) or self.matcher.is_anchor_user(uid, sec_uid) or \
                bool(ours.anchor_sec_uid and sec_uid == ours.anchor_sec_uid)

        user = event.user
        if user is not None and not user.is_anchor and is_anchor(user.id, d.user_sec_uid):
            event = dataclasses.replace(event, user=dataclasses.replace(user, is_anchor=True))
        gift = event.gift
        if gift is not None and d.to_user_id and not gift.to_user and anchor_id and not is_anchor(d.to_user_id):
            event = dataclasses.replace(event, gift=dataclasses.replace(gift, to_user=d.to_user_nickname))
        return event

    # ---- notices --------------------------------------------------------------------------------

    def _announce(self, notice: str, ts: float) -> None:
        ours = self.gate.ours
        if ours is None:
            self.notices.append(events.FeedRoom(detail=notice, confirmed=False, ts=ts))
            self.notices.append(events.ErrorReport(component=self.component, message=notice, ts=ts))
            log.warning("%s", notice)
            return
        detail = f"正在监听 {self.room_label()}（{HOW_ZH.get(ours.how, ours.how)}）"
        self.notices.append(events.FeedRoom(room_id=ours.room_id, web_room_id=ours.web_room_id,
                                            anchor=ours.anchor, how=ours.how, confirmed=ours.confirmed,
                                            detail=detail, ts=ts))
        log.info("%s", notice or detail)

    def _warn_other_room(self, room_id: str, ts: float) -> None:
        room: OtherRoom | None = self.gate.others.get(room_id)
        if room is None or room.frames < OTHER_ROOM_WARN_FRAMES:
            return
        if room.warned_at is not None and ts - room.warned_at < OTHER_ROOM_REPEAT_S:
            return
        room.warned_at = ts
        who = room.anchor or (f"直播间号 {room.web_room_id}" if room.web_room_id else f"房间 {room.room_id}")
        message = (f"弹幕源还在转发另一个直播间（{who}）的消息，已收到 {room.frames} 条并全部忽略，不会播报或回答。"
                   f"这通常是电脑上还开着别的直播间页面（浏览器标签页、抖音客户端或直播伴侣）：请关闭它。")
        if self.gate.ours is None and self.matcher.configured:
            message += (f"另外，还没有收到 [douyin] room 设置的直播间（{self.matcher.target}）的任何消息："
                        f"如果这就是您的直播间，请检查这项设置。")
        self.notices.append(events.ErrorReport(component=self.component, message=message, ts=ts))
        log.warning("%s", message)

    def room_label(self) -> str:
        """Our room as the operator knows it: the anchor's nickname, else its numbers."""
        ours = self.gate.ours
        if ours is None:
            return ""
        return ours.anchor or (f"直播间 {ours.web_room_id}" if ours.web_room_id else f"房间 {ours.room_id}")

    # ---- figures --------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        d = self.decoder.stats.as_dict()
        d.update(self.gate.stats())
        d.update(self.gifts.stats())
        d["accepted"] = self.accepted
        return d
