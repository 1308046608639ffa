"""The real listener over real WebSocket traffic: a PC's feed with two rooms, the anchor's and an
admin's comments, a fans-club upgrade, gifts to a guest, the gift over-count cases of
dy-barrage-grab and the end of the live — only our room reaches the bus, with its semantics
filled in; and a 10 MB frame is refused from its header while the listener keeps going."""

from __future__ import annotations

import asyncio
import struct
import threading
import time

import pytest
from websockets.asyncio.server import serve

from app.bus.memory import MemoryBus
from app.events import ErrorReport, FeedRoom
from app.live.feed import OTHER_ROOM_WARN_FRAMES
from app.live.listener import FeedListener
from app.live.recording import RecordedFrame
from app.live.replay import ReplayServer
from tests.standins.dybarrage import GiftGrabber, Room, Viewer
from tests.unit.live.helpers import Collector, wait_until

FAST = dict(stall_timeout_s=5.0, ping_interval_s=0.5, ping_timeout_s=1.0, health_interval_s=0.2,
            reconnect_initial_s=0.1, reconnect_max_s=0.3, open_timeout_s=1.0)

OURS, OTHER = Room(), Room.other(2)
FAN, GUEST = Viewer(id=501, nickname="小明"), Viewer(id=777, nickname="连麦嘉宾")
ADMIN = Viewer(id=9, nickname="场控小李", admin=True)


@pytest.fixture
def cleanup():
    items = []
    yield items.append
    for item in reversed(items):
        (item.stop if hasattr(item, "stop") else item.close)()


def a_pc_with_two_rooms() -> list[str]:
    """Our room and another tab, interleaved, as dy-barrage-grab broadcasts them."""
    ids = iter(range(7_500_000_000_000_000_000, 7_600_000_000_000_000_000))
    grab_ours, grab_other = GiftGrabber(OURS), GiftGrabber(OTHER)
    rose = dict(gift_id=5655, name="小心心", diamonds=1, group_id=1731234567890)
    frames = [
        OURS.uncached().comment(next(ids), FAN, "主播这个多少钱"),  # before dy-barrage-grab cached our room
        OTHER.gift(next(ids), FAN, gift_id=3529, name="嘉年华", diamonds=30000, increment=1, repeat=1),
        OURS.comment(next(ids), OURS.anchor_viewer(), "欢迎新来的朋友"),
        OURS.comment(next(ids), ADMIN, "大家别刷屏"),
        OTHER.comment(next(ids), FAN, "别人直播间的问题多少钱"),
        OURS.fansclub(next(ids), Viewer(id=600, nickname="老粉", club_name="甜甜团", club_level=12), 0, join=False),
        OURS.gift(next(ids), FAN, gift_id=463, name="玫瑰", diamonds=1, increment=1, repeat=1, to_user=GUEST),
    ]
    for t, n in ((0.0, 1), (0.5, 2), (1.0, 3)):
        frames.append(grab_ours.push(t, next(ids), FAN, repeat=n, **rose))
        frames.append(grab_other.push(t, next(ids), FAN, repeat=n, **rose))
    frames.append(grab_ours.push(25.0, next(ids), FAN, repeat=3, repeat_end=True, **rose))  # late end
    frames += [OTHER.like(next(ids), FAN, 10, 90000 + i) for i in range(OTHER_ROOM_WARN_FRAMES)]
    frames += [OURS.like(next(ids), FAN, 5, 105), OTHER.stats(next(ids), 9999, 99999), OURS.stats(next(ids), 12, 300),
               OTHER.live_end(next(ids)), OURS.comment(next(ids), FAN, "还在吗"), OURS.live_end(next(ids))]
    return [f for f in frames if f is not None]


def test_only_our_room_reaches_the_bus_with_its_semantics_and_the_operator_is_told(cleanup):
    bus = MemoryBus("rooms")
    cleanup(bus)
    got = Collector(bus)
    frames = a_pc_with_two_rooms()
    server = ReplayServer([RecordedFrame(i + 1, None, f) for i, f in enumerate(frames)], speed=0).start()
    cleanup(server)
    listener = FeedListener(server.url, bus, **dict(FAST, room="MS4wLjABAAAA_anchor")).start()
    cleanup(listener)
    assert server.wait_finished(5)
    # the last frame (live_end) is through, every frame was decoded and all the listener handed to
    # the bus has arrived: nothing more can come
    assert wait_until(lambda: any(e.type == "live_end" for e in got.events)
                      and listener.stats()["frames"] == len(frames)
                      and len(got.events) == listener.stats()["published"], 5)

    events = sorted(got.events, key=lambda e: int(e.msg_id))
    assert {e.room_id for e in events} == {OURS.room_id}
    assert [e.type for e in events] == ["comment", "comment", "comment", "fansclub", "gift", "gift", "gift",
                                        "gift", "like", "stats", "comment", "live_end"]
    first, anchor, admin = events[0], events[1], events[2]
    assert first.text == "主播这个多少钱"  # a frame without the anchor, placed by its RoomId
    assert anchor.user.is_anchor and not anchor.user.is_admin
    assert admin.user.is_admin and not admin.user.is_anchor
    assert (events[3].fansclub.action, events[3].fansclub.level) == ("upgrade", 12)
    assert events[4].gift.to_user == "连麦嘉宾"
    assert [e.gift.count for e in events[5:8]] == [1, 1, 1]  # the late repeatEnd was not counted again
    assert (events[8].like.total, events[9].stats.online) == (105, 12)

    stats = listener.stats()
    assert stats["other_rooms"][OTHER.room_id]["frames"] == 2 + 3 + OTHER_ROOM_WARN_FRAMES + 2
    assert stats["gift_repeats"] == 1 and stats["room"]["anchor"] == "主播昵称"
    rooms = got.of(FeedRoom)
    assert rooms and rooms[-1].room_id == OURS.room_id and rooms[-1].anchor == "主播昵称"
    warnings = [e for e in got.of(ErrorReport) if "另一个直播间" in e.message]
    assert len(warnings) == 1 and "别人的主播2" in warnings[0].message
    assert wait_until(lambda: any(h.detail.startswith("正在监听 主播昵称") for h in got.health), 2)
    assert wait_until(lambda: [h for h in got.health if h.status == "ok"][-1].metrics["other_room_frames"]
                      == stats["other_room_frames"], 2)


class HugeFrameServer:
    """A WebSocket server whose first connection announces a 10 MB text frame and sends only its
    first kilobyte, then holds; later connections get ordinary frames. A client that read the
    whole payload before judging it would hang here until its stall timeout."""

    def __init__(self, frames: list[str]):
        self.frames = frames
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Future | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = self._loop.create_future()
        async with serve(self._handler, "127.0.0.1", 0, compression=None) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop

    async def _handler(self, ws) -> None:
        self.connections += 1
        if self.connections == 1:
            size = 10 * 1024 * 1024
            ws.transport.write(b"\x81\x7f" + struct.pack("!Q", size) + b"x" * 1024)
            await asyncio.sleep(30)
            return
        for frame in self.frames:
            await ws.send(frame)
        await asyncio.sleep(30)

    def start(self) -> HugeFrameServer:
        self._thread.start()
        self._ready.wait(5)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(lambda: self._stop.done() or self._stop.set_result(None))
        self._thread.join(5)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


def test_a_10mb_frame_is_refused_from_its_header_counted_and_the_listener_goes_on(cleanup):
    bus = MemoryBus("huge")
    cleanup(bus)
    got = Collector(bus)
    good = [OURS.comment(8_000_000_000_000_000_000 + i, FAN, f"第{i}条") for i in range(5)]
    server = HugeFrameServer(good).start()
    cleanup(server)
    listener = FeedListener(server.url, bus, **FAST).start()  # stall timeout 5 s
    cleanup(listener)
    started = time.monotonic()
    assert got.wait_for(5, timeout=4)
    assert time.monotonic() - started < 2.0  # refused at the header, not after the stall timeout
    stats = listener.stats()
    assert stats["bad_by_category"] == {"too_large": 1} and stats["bad_frames"] == 1
    assert listener.oversized_closes == 1 and stats["reconnects"] >= 1
    assert [e.text for e in got.events] == [f"第{i}条" for i in range(5)]
