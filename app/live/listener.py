"""The live-room listener: dy-barrage-grab WebSocket → ``FeedPipeline`` → bus.

One asyncio loop thread owns the socket; one publisher thread calls ``bus.publish`` (a Redis
publish is a blocking network call and must not stall reading). Between them sits a bounded
``SheddingBuffer``.

Link health: dy-barrage-grab sends no heartbeats, so the client pings. Its server answers every
ping with the payload ``pong`` rather than an echo, which websockets' own keepalive would never
match (it pings with random bytes and waits for the same bytes back), so the built-in
keepalive is off and the listener pings with the payload ``pong`` itself: the real server's
reply matches, and so does an echoing server's. No pong within ``ping_timeout``, or no frame
at all for ``stall_timeout``, counts as a dead link: the socket is aborted and the listener
reconnects with jittered exponential backoff.

Only our room reaches the bus (issue 20.1): ``FeedPipeline`` decides each frame (``[douyin]
room``, see ``app.live.room``); the room chosen is announced on ``system`` (``FeedRoom``, and the
feed's Health detail "正在监听 ＜主播＞"), another room that keeps sending gets an ``ErrorReport``.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidURI

from app import events
from app.events import Channel, LiveEvent
from app.live.buffer import SheddingBuffer
from app.live.decoder import MAX_FRAME_BYTES, TOO_LARGE
from app.live.feed import FeedPipeline
from app.logs import get_logger

log = get_logger("live")

#: websockets refuses messages above this from the frame header, before reading the payload
#: (a 10 MB frame is never held in memory), and closes the link with 1009: counted as
#: ``too_large`` and reconnected. Below it, the decoder's own limit (1 MB) counts an oversized
#: frame without costing the connection (frames broadcast while reconnecting would be lost).
_WS_MAX_SIZE = 8 * MAX_FRAME_BYTES


class _DeadLink(Exception):
    """The connection is open but not working (no pong, no frames)."""


@dataclass(frozen=True)
class ListenerSettings:
    """Everything tunable about the listener (``[douyin]`` in config.ini)."""

    reconnect_initial_s: float = 0.5  # first retry after a random 50-100 % of this
    reconnect_max_s: float = 30.0  # backoff cap
    ping_interval_s: float = 10.0
    ping_timeout_s: float = 10.0
    stall_timeout_s: float = 60.0  # no frame for this long → reconnect
    open_timeout_s: float = 5.0
    health_interval_s: float = 5.0
    max_buffered_events: int = 10_000
    dedup_window: int = 4096
    room: str = ""  # our room: the anchor's SecUid / UserId / WebRoomId; "" = the first room seen

    def __post_init__(self) -> None:
        for name in ("reconnect_initial_s", "reconnect_max_s", "ping_interval_s", "ping_timeout_s",
                     "stall_timeout_s", "open_timeout_s", "health_interval_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"listener setting {name} must be > 0, got {getattr(self, name)}")
        if self.reconnect_initial_s > 1.0:
            raise ValueError("reconnect_initial_s must be at most 1 s (first retry within a second)")


class FeedListener:
    """Listen to ``url`` and publish every decoded event on ``bus``.

    ``start()`` runs the listener on its own threads and returns at once; ``stop()`` closes the
    socket, publishes what is still buffered, and joins every thread it started.
    """

    def __init__(self, url: str, bus: Any, settings: ListenerSettings | None = None, *,
                 health_component: str = "feed", **overrides: Any):
        self.url = url
        self.bus = bus
        self.settings = settings or ListenerSettings(**overrides)
        if settings is not None and overrides:
            raise TypeError("pass either settings or keyword overrides, not both")
        self.component = health_component
        self.feed = FeedPipeline(self.settings.room, dedupe_window=self.settings.dedup_window,
                                 component=health_component)
        self.decoder = self.feed.decoder
        self.buffer = SheddingBuffer(self.settings.max_buffered_events)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main_task: asyncio.Task | None = None
        self._loop_thread: threading.Thread | None = None
        self._pub_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._lock = threading.Lock()
        # counters (written by the loop thread, read anywhere)
        self.connects = 0
        self.reconnects = 0
        self.stalls = 0
        self.ping_timeouts = 0
        self.oversized_closes = 0
        self.published = 0
        self.publish_errors = 0
        self.last_error = ""
        self._last_frame_at: float | None = None  # monotonic time of the last frame received
        self._watch_from = 0.0  # stall clock: last frame or (re)connect, whichever is later
        self._rate_mark = (time.monotonic(), 0)
        self._frames_per_s = 0.0

    # ---- public ---------------------------------------------------------------------------------

    def start(self) -> FeedListener:
        if self._loop_thread is not None:
            raise RuntimeError("listener already started")
        self._stopping.clear()
        self._pub_thread = threading.Thread(target=self._publish_loop, name="feed-publisher", daemon=True)
        self._pub_thread.start()
        started = threading.Event()
        self._loop_thread = threading.Thread(target=self._thread_main, args=(started,),
                                             name="feed-listener", daemon=True)
        self._loop_thread.start()
        started.wait(5)
        return self

    def stop(self, timeout: float = 3.0) -> None:
        if self._loop_thread is None:
            return
        self._stopping.set()
        loop, task = self._loop, self._main_task
        if loop is not None and task is not None:
            loop.call_soon_threadsafe(task.cancel)
        self._loop_thread.join(timeout)
        self.buffer.close()
        if self._pub_thread is not None:
            self._pub_thread.join(timeout)
        self._connected.clear()
        self._publish_health("off", "已停止 / stopped")  # stopped on purpose: not a fault
        self._loop_thread = self._pub_thread = None

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float = 5.0) -> bool:
        return self._connected.wait(timeout)

    def stats(self) -> dict[str, Any]:
        d = self.feed.stats()
        now = time.monotonic()
        d.update(
            connected=self.connected, connects=self.connects, reconnects=self.reconnects,
            stalls=self.stalls, ping_timeouts=self.ping_timeouts, published=self.published,
            publish_errors=self.publish_errors, shed=dict(self.buffer.shed),
            shed_total=self.buffer.shed_total, buffered=len(self.buffer),
            buffer_high_water=self.buffer.high_water, frames_per_s=self._frames_per_s,
            last_frame_age_s=None if self._last_frame_at is None else now - self._last_frame_at,
            last_error=self.last_error,
        )
        return d

    def __enter__(self) -> FeedListener:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ---- loop thread ----------------------------------------------------------------------------

    def _thread_main(self, started: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._main_task = loop.create_task(self._main())
            started.set()
            try:
                loop.run_until_complete(self._main_task)
            except asyncio.CancelledError:
                pass
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
            self._loop = None

    async def _main(self) -> None:
        health = asyncio.get_running_loop().create_task(self._health_loop())
        attempt = 0
        try:
            while not self._stopping.is_set():
                frames_before = self.decoder.stats.frames
                opened_at = time.monotonic()
                await self._session()
                if self._stopping.is_set():
                    break
                # A connection that delivered frames (or lived a while) was a success: start the
                # backoff again from the bottom; a refused or instantly dropped one escalates it.
                if self.decoder.stats.frames > frames_before or time.monotonic() - opened_at > 30:
                    attempt = 0
                delay = self._backoff(attempt)
                attempt += 1
                self.reconnects += 1
                self._publish_health("down", f"{delay:.1f} 秒后重连 / reconnecting in {delay:.1f} s: {self.last_error}")
                await asyncio.sleep(delay)
        finally:
            health.cancel()

    def _backoff(self, attempt: int) -> float:
        s = self.settings
        ceiling = min(s.reconnect_max_s, s.reconnect_initial_s * (2 ** min(attempt, 30)))
        return ceiling * random.uniform(0.5, 1.0)

    async def _session(self) -> None:
        s = self.settings
        try:
            ws = await connect(self.url, open_timeout=s.open_timeout_s, ping_interval=None,
                               close_timeout=1, max_size=_WS_MAX_SIZE, compression=None,
                               max_queue=64)
        except InvalidURI as exc:
            self.last_error = f"弹幕源地址写错了，请检查 [douyin] url / bad feed url {self.url!r}: {exc}"
            log.error("%s", self.last_error)
            return
        except Exception as exc:  # refused, timed out, handshake rejected …: all mean "retry later"
            self.last_error = (f"连不上弹幕抓取程序，请确认它已启动 / cannot connect to {self.url}: "
                               f"{exc or type(exc).__name__}")
            log.info("%s", self.last_error)
            return
        self.connects += 1
        self._watch_from = time.monotonic()
        self._connected.set()
        log.info("已连接弹幕源 %s", self.url)
        self._publish_health("ok", self._ok_detail())
        tasks = [asyncio.create_task(coro) for coro in
                 (self._read(ws), self._ping(ws), self._watch_stall())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                exc = task.exception()
                self.last_error = self._describe_end(exc, ws)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._connected.clear()
            ws.transport.abort()  # dead or finished: no point waiting for a close handshake
            if not self._stopping.is_set():
                log.warning("feed connection lost: %s", self.last_error)

    def _describe_end(self, exc: BaseException | None, ws: ClientConnection) -> str:
        if isinstance(exc, _DeadLink):
            return str(exc)
        if isinstance(exc, ConnectionClosed) or exc is None:
            # 1009 "message too big": sent by us when websockets refused a frame from its header
            # (max_size), or received from a server that refused one of ours.
            sent = exc.sent if isinstance(exc, ConnectionClosed) else ws.protocol.close_sent
            if (sent is not None and sent.code == 1009) or ws.close_code == 1009:
                self.oversized_closes += 1
                self.decoder.reject(TOO_LARGE, f"a frame larger than {_WS_MAX_SIZE} bytes was refused "
                                               f"from its header; reconnecting")
                return f"refused a frame larger than {_WS_MAX_SIZE} bytes (code 1009)"
            rcvd = ws.close_code
            return f"connection closed by the server (code {rcvd})" if rcvd else "connection dropped"
        return f"{type(exc).__name__}: {exc}"

    async def _read(self, ws: ClientConnection) -> None:
        feed, buffer = self.feed, self.buffer
        async for message in ws:
            self._last_frame_at = self._watch_from = time.monotonic()
            result = feed.process(message)
            if feed.notices:
                self._publish_notices(feed.take_notices())
            if not isinstance(result, LiveEvent):
                if result.is_bad:
                    log.debug("bad frame: %s", result.reason)
                continue
            while not buffer.offer(result):
                # Full of events that must not be shed: stop reading so TCP holds the backlog.
                await asyncio.sleep(0.002)

    async def _ping(self, ws: ClientConnection) -> None:
        s = self.settings
        while True:
            await asyncio.sleep(s.ping_interval_s)
            pong = await ws.ping(b"pong")
            try:
                await asyncio.wait_for(pong, s.ping_timeout_s)
            except TimeoutError:
                self.ping_timeouts += 1
                raise _DeadLink(f"{s.ping_timeout_s:g} 秒内没有回应心跳 / no pong within {s.ping_timeout_s:g} s") from None

    async def _watch_stall(self) -> None:
        limit = self.settings.stall_timeout_s
        while True:
            age = time.monotonic() - self._watch_from
            if age >= limit:
                self.stalls += 1
                raise _DeadLink(f"{limit:g} 秒没有收到任何消息 / no frame for {limit:g} s")
            await asyncio.sleep(max(0.01, limit - age))

    async def _health_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.health_interval_s)
            self._update_rate()
            if self.connected:
                self._publish_health("ok", self._ok_detail())
            else:
                self._publish_health("down", self.last_error or "未连接 / not connected")

    # ---- health ---------------------------------------------------------------------------------

    def _update_rate(self) -> None:
        now, frames = time.monotonic(), self.decoder.stats.frames
        then, before = self._rate_mark
        if now > then:
            self._frames_per_s = (frames - before) / (now - then)
        self._rate_mark = (now, frames)

    def _ok_detail(self) -> str:
        """What the operator sees while the link is up: which room, or that none is seen yet."""
        label = self.feed.room_label()
        if not label:
            return f"已连接 {self.url}，等待直播间消息"
        ours = self.feed.gate.ours
        note = "" if ours is None or ours.confirmed else "（未能核对主播）"
        return f"正在监听 {label}{note}"

    def _publish_notices(self, notices: list) -> None:
        for notice in notices:
            try:
                self.bus.publish(Channel.SYSTEM, notice)
            except Exception:  # the bus reports its own failures; a notice must never kill the feed
                log.debug("feed notice publish failed", exc_info=True)
        if self.connected:
            self._publish_health("ok", self._ok_detail())

    def _publish_health(self, status: str, detail: str) -> None:
        st = self.decoder.stats
        age = -1.0 if self._last_frame_at is None else time.monotonic() - self._last_frame_at
        health = events.Health(component=self.component, status=status, detail=detail, ts=time.time(), metrics={
            "connected": 1.0 if self.connected else 0.0, "last_frame_age_s": round(age, 3),
            "frames_per_s": round(self._frames_per_s, 1), "frames": float(st.frames),
            "decoded": float(st.decoded), "bad_frames": float(st.bad_frames),
            "duplicates": float(st.duplicates), "unknown_types": float(st.unknown_types),
            "reconnects": float(self.reconnects), "shed": float(self.buffer.shed_total),
            "out_of_range": float(st.bad_by_category.get("out_of_range", 0)),
            "other_room_frames": float(self.feed.gate.other_frames),
            "buffered": float(len(self.buffer)), "published": float(self.published)})
        try:
            self.bus.publish(Channel.SYSTEM, health)
        except Exception:  # the bus reports its own failures; health must never kill the feed
            log.debug("health publish failed", exc_info=True)

    # ---- publisher thread -----------------------------------------------------------------------

    def _publish_loop(self) -> None:
        buffer, bus = self.buffer, self.bus
        # A backend may offer a batched publish (one Redis pipeline per batch instead of one
        # round trip per event); the Bus interface itself only promises publish().
        publish_many = getattr(bus, "publish_many", None)
        give_up_at: float | None = None
        while True:
            batch = buffer.take(0.2)
            if batch and publish_many is not None:
                try:
                    publish_many([(event.channel, event) for event in batch])
                    self.published += len(batch)
                except Exception:
                    self.publish_errors += len(batch)
                    log.exception("publishing %d live events failed", len(batch))
            else:
                for event in batch:
                    try:
                        bus.publish(event.channel, event)
                        self.published += 1
                    except Exception:
                        self.publish_errors += 1
                        log.exception("publishing a live event failed")
            if not batch and self._stopping.is_set():
                reader = self._loop_thread
                if reader is None or not reader.is_alive():
                    return
                give_up_at = give_up_at or time.monotonic() + 5
                if time.monotonic() > give_up_at:
                    return
                time.sleep(0.01)
