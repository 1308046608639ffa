"""The feed check: dy-barrage-grab reachable at ``[douyin] url`` and a frame of the room
arriving within the deadline (a live room sends viewer counts every few seconds, so silence
means the room page is not open, or the tool captures nothing)."""

from __future__ import annotations

import asyncio
import json
import time

from app.preflight.base import FAIL, OK, WARN, Check

TITLE = "弹幕数据（直播间连接）"
FIX_START = "先启动 dy-barrage-grab（弹幕抓取工具），再检查设置中的 [douyin] url"
FIX_ROOM = "在浏览器或直播伴侣里打开你的直播间并开始直播，确认弹幕工具在抓取这个窗口"
TYPE_ZH = {"comment": "评论", "gift": "礼物", "like": "点赞", "enter": "进场", "follow": "关注", "share": "分享",
           "fansclub": "粉丝团", "stats": "在线人数", "live_end": "下播"}


def check_feed(snap, *, demo: bool, timeout_s: float, sink: str | None = None) -> Check:
    if demo:
        return Check("feed", TITLE, OK, "演示模式：播放内置的直播录制，不连接抖音")
    url = snap.get("douyin", "url")
    room = _configured_room(snap)
    probe = _Probe(url, timeout_s)
    try:
        asyncio.run(probe.run())
    except Exception as exc:  # connection refused, DNS, bad url …: what the operator must fix first
        if not probe.connected:
            return Check("feed", TITLE, FAIL, f"连不上 {url}（{_why(exc)}）", FIX_START)
    if not probe.connected:
        return Check("feed", TITLE, FAIL, f"{timeout_s:g} 秒内连不上 {url}", FIX_START)
    if not probe.frames:
        return Check("feed", TITLE, WARN, f"已连上 {url}，但 {timeout_s:g} 秒内没有收到任何直播间数据", FIX_ROOM)
    if not probe.events:
        return Check("feed", TITLE, WARN, f"已连上 {url}，收到 {len(probe.frames)} 条数据，但都不是弹幕工具的格式："
                                          f"{probe.rejections[0] if probe.rejections else '无法解析'}",
                     "确认 [douyin] url 指向 dy-barrage-grab，而不是别的程序")
    kinds = "、".join(dict.fromkeys(TYPE_ZH.get(e.type, e.type) for e in probe.events))
    seen = f"已连上 {url}，{probe.first_after:.1f} 秒收到直播间数据（{kinds}）"
    # ---- OUR ROOM (issue 19.3) -------------------------------------------------------------
    # "Is our room seen": with the room filter ([douyin] room, app/live/room.py, built by the
    # feed engineer) the frames of our room are told from others. Until that lands this compares
    # the configured value, when the option exists, with the ids the frames carry.
    if room:
        if not _room_seen(room, probe):
            ids = "、".join(sorted({e.room_id for e in probe.events}))
            return Check("feed", TITLE, WARN, f"{seen}，但不是设置的直播间 {room}（收到的是 {ids}）",
                         "检查 [douyin] room，或在弹幕工具里只打开你的直播间")
        seen += f"，是设置的直播间 {room}"
    return Check("feed", TITLE, OK, seen)


class _Probe:
    def __init__(self, url: str, timeout_s: float):
        self.url, self.timeout_s = url, timeout_s
        self.connected = False
        self.frames: list[str] = []
        self.events: list = []
        self.rejections: list[str] = []
        self.first_after = 0.0

    async def run(self) -> None:
        import websockets

        from app.events import LiveEvent
        from app.live.decoder import FrameDecoder

        decoder = FrameDecoder()
        t0 = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout_s):
                async with websockets.connect(self.url, open_timeout=self.timeout_s, ping_interval=None,
                                              max_size=16 * 2**20, compression=None, close_timeout=0.5) as ws:
                    self.connected = True
                    while not self.events:
                        raw = await ws.recv()
                        self.frames.append(raw if isinstance(raw, str) else raw.decode("utf-8", "replace"))
                        got = decoder.decode(raw)
                        if isinstance(got, LiveEvent):
                            self.events.append(got)
                            self.first_after = time.monotonic() - t0
                        else:
                            self.rejections.append(getattr(got, "reason", str(got)))
        except TimeoutError:
            pass  # what arrived so far is the answer


#: ``[douyin] room`` (the room filter, being added by the feed engineer). Read only when the
#: schema has it, so the name is held here rather than written as a literal option read.
ROOM_OPTION = "room"


def _configured_room(snap) -> str:
    from app.config import schema

    if schema.option("douyin", ROOM_OPTION) is None:  # the room filter has not landed yet
        return ""
    return str(snap.get("douyin", ROOM_OPTION) or "").strip()


def _room_seen(room: str, probe: _Probe) -> bool:
    if any(e.room_id == room for e in probe.events):
        return True
    for raw in probe.frames:  # WebRoomId (the number in live.douyin.com/<id>) is not in the event
        try:
            data = json.loads(json.loads(raw).get("Data") or "{}")
        except (ValueError, AttributeError, TypeError):
            continue
        if isinstance(data, dict) and room in (str(data.get("WebRoomId") or ""), str(data.get("RoomId") or "")):
            return True
    return False


def _why(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError) or "Connect call failed" in str(exc):
        return "连接被拒绝：弹幕工具没有运行，或端口不对"
    if isinstance(exc, OSError):
        return f"网络错误：{exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"
