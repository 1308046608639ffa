"""The feed check: dy-barrage-grab reachable at ``[douyin] url``, a frame arriving within the
deadline (a live room sends viewer counts every few seconds, so silence means the room page is
not open, or the tool captures nothing), and whether it is *our* room.

dy-barrage-grab forwards every Douyin room open on the PC (protocols §7.1). The frames go through
the same ``FeedPipeline`` the live feed uses (decoder + ``RoomGate`` with ``[douyin] room``), so
the check says what the room would hear: our room seen (and by which field), only other rooms,
a room whose anchor dy-barrage-grab has not cached (cannot be checked against the setting), or —
with the setting empty — which room the feed would lock onto, and whether other rooms are open.
"""

from __future__ import annotations

import asyncio
import time

from app.preflight.base import FAIL, OK, WARN, Check

TITLE = "弹幕数据（直播间连接）"
FIX_START = "先启动 dy-barrage-grab（弹幕抓取工具），再检查设置中的 [douyin] url"
FIX_ROOM = "在浏览器或直播伴侣里打开你的直播间并开始直播，确认弹幕工具在抓取这个窗口"
FIX_OTHER_ROOM = ("确认你的直播间正在直播、页面已打开；如果上面列出的就是你的直播间，"
                  "把 [douyin] room 改成它的直播间号或主播 SecUid")
FIX_UNCACHED = ("在弹幕工具运行时重新打开（刷新）你的直播间页面，让它记下主播信息；"
                "否则开播后无法确认收到的是不是你的直播间")
FIX_SEVERAL = "在“设置 → 抖音弹幕源”填写 [douyin] room（你的直播间号或主播 SecUid），或关闭其他直播间页面"
TYPE_ZH = {"comment": "评论", "gift": "礼物", "like": "点赞", "enter": "进场", "follow": "关注", "share": "分享",
           "fansclub": "粉丝团", "stats": "在线人数", "live_end": "下播"}

#: Once a room is known to be ours (the setting empty, or our room not identifiable), the probe
#: listens this much longer for other rooms on the socket before it answers.
SETTLE_S = 1.0
MAX_ROOMS_LISTED = 4


def check_feed(snap, *, demo: bool, timeout_s: float, sink: str | None = None) -> Check:
    if demo:
        return Check("feed", TITLE, OK, "演示模式：播放内置的直播录制，不连接抖音")
    url = snap.get("douyin", "url")
    probe = _Probe(url, timeout_s, str(snap.get("douyin", "room") or ""))
    try:
        asyncio.run(probe.run())
    except Exception as exc:  # connection refused, DNS, bad url …: what the operator must fix first
        if not probe.connected:
            return Check("feed", TITLE, FAIL, f"连不上 {url}（{_why(exc)}）", FIX_START)
    if not probe.connected:
        return Check("feed", TITLE, FAIL, f"{timeout_s:g} 秒内连不上 {url}", FIX_START)
    if not probe.frames:
        return Check("feed", TITLE, WARN, f"已连上 {url}，但 {timeout_s:g} 秒内没有收到任何直播间数据", FIX_ROOM)
    if not probe.events and not probe.other_frames:
        return Check("feed", TITLE, WARN, f"已连上 {url}，收到 {probe.frames} 条数据，但都不是弹幕工具的格式："
                                          f"{probe.rejections[0] if probe.rejections else '无法解析'}",
                     "确认 [douyin] url 指向 dy-barrage-grab，而不是别的程序")
    return _room_verdict(url, probe)


def _room_verdict(url: str, probe: _Probe) -> Check:
    from app.live.room import HOW_FIRST, HOW_ONLY_UNIDENTIFIED, HOW_ZH

    gate = probe.pipeline.gate
    target = gate.matcher.target
    ours = gate.ours
    others = [_label(r.anchor, r.web_room_id, r.room_id) for r in gate.others.values()]
    others_text = "、".join(others[:MAX_ROOMS_LISTED]) + (f" 等 {len(others)} 个" if len(others) > MAX_ROOMS_LISTED else "")
    if ours is None or not probe.events:  # only frames of rooms that are not ours
        return Check("feed", TITLE, WARN,
                     f"已连上 {url}，收到 {probe.other_frames} 条直播间数据，但都来自其他直播间：{others_text}；"
                     f"{probe.waited:.0f} 秒内没有收到设置的直播间（[douyin] room = {target}）的消息",
                     FIX_OTHER_ROOM)
    kinds = "、".join(dict.fromkeys(TYPE_ZH.get(e.type, e.type) for e in probe.events))
    seen = f"已连上 {url}，{probe.first_after:.1f} 秒收到直播间数据（{kinds}）"
    who = _label(ours.anchor, ours.web_room_id, ours.room_id)
    ignored = f"；另有 {len(others)} 个直播间的消息会被忽略：{others_text}" if others else ""
    if ours.how == HOW_ONLY_UNIDENTIFIED:
        return Check("feed", TITLE, WARN,
                     f"{seen}，来自房间 {ours.room_id}，但弹幕工具没有记下这个直播间的主播信息，"
                     f"无法核对是不是设置的直播间（[douyin] room = {target}）；开播后会暂时按它接收{ignored}",
                     FIX_UNCACHED)
    if ours.how == HOW_FIRST:
        if others:
            return Check("feed", TITLE, WARN,
                         f"{seen}；电脑上开着 {len(others) + 1} 个直播间：{who}、{others_text}。"
                         f"没有设置 [douyin] room，开播后会锁定第一个出现的直播间，可能不是你的", FIX_SEVERAL)
        return Check("feed", TITLE, OK, f"{seen}；没有设置 [douyin] room，开播后会锁定第一个出现的直播间，"
                                        f"现在是：{who}（需要固定时可在设置中填写 [douyin] room）")
    return Check("feed", TITLE, OK, f"{seen}，是设置的直播间：{who}（{HOW_ZH.get(ours.how, ours.how)}）{ignored}")


def _label(anchor: str, web_room_id: str, room_id: str) -> str:
    """A room as the operator knows it: the anchor's nickname and the live page number."""
    if anchor and web_room_id:
        return f"{anchor}（直播间号 {web_room_id}）"
    if anchor:
        return f"{anchor}（房间 {room_id}）"
    return f"直播间号 {web_room_id}" if web_room_id else f"房间 {room_id}"


class _Probe:
    """Reads frames until the answer is known or the deadline passes: our room identified (the
    setting matched), or — when the answer could still change with more frames (the setting
    empty, our room not identifiable) — ``SETTLE_S`` after our room was first seen."""

    def __init__(self, url: str, timeout_s: float, room: str = ""):
        from app.live.feed import FeedPipeline

        self.url, self.timeout_s = url, timeout_s
        self.pipeline = FeedPipeline(room)
        self.connected = False
        self.frames = 0
        self.events: list = []  # our room's
        self.other_frames = 0  # decoded frames of other rooms
        self.rejections: list[str] = []  # frames that are not dy-barrage-grab's
        self.first_after = 0.0
        self.waited = 0.0

    def _done(self) -> bool:
        ours = self.pipeline.gate.ours
        return bool(self.events) and ours is not None and ours.confirmed and self.pipeline.matcher.configured

    async def run(self) -> None:
        import websockets

        from app.events import LiveEvent
        from app.live.fields import OTHER_ROOM

        t0 = time.monotonic()
        stop_at = t0 + self.timeout_s
        try:
            async with asyncio.timeout(self.timeout_s):
                async with websockets.connect(self.url, open_timeout=self.timeout_s, ping_interval=None,
                                              max_size=16 * 2**20, compression=None, close_timeout=0.5) as ws:
                    self.connected = True
                    while not self._done():
                        left = stop_at - time.monotonic()
                        if left <= 0:
                            break
                        try:
                            raw = await asyncio.wait_for(ws.recv(), left)
                        except TimeoutError:
                            break
                        self.frames += 1
                        got = self.pipeline.process(raw)
                        if isinstance(got, LiveEvent):
                            if not self.events:
                                self.first_after = time.monotonic() - t0
                                stop_at = min(stop_at, time.monotonic() + SETTLE_S)
                            self.events.append(got)
                        elif got.category == OTHER_ROOM:
                            self.other_frames += 1
                        elif got.is_bad:
                            self.rejections.append(got.reason)
        except TimeoutError:
            pass  # what arrived so far is the answer
        finally:
            self.waited = time.monotonic() - t0


def _why(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError) or "Connect call failed" in str(exc):
        return "连接被拒绝：弹幕工具没有运行，或端口不对"
    if isinstance(exc, OSError):
        return f"网络错误：{exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"
