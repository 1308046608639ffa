"""A WebSocket server that plays a recording the way dy-barrage-grab serves its live feed.

What it copies from dy-barrage-grab (protocols.md §1.2): one text frame per event, broadcast to
every connected client; any request path accepted; no greeting, no server pings, no
permessage-deflate (its Fleck server has none); a client ping is answered with a pong whose
payload is the four bytes ``pong`` (not an echo of the ping); anything the client sends is
ignored.

websockets answers pings inside its Sans-I/O protocol with an echo and has no option for another
payload, so each connection's protocol object gets a subclass whose ``recv_frame`` answers
PING frames itself (``_DyBarrageProtocol``). Everything else is stock websockets.

What it adds for testing and demos: it starts playing when ``wait_for_clients`` clients are
connected (and pauses while fewer are), it can be told to go silent, to drop every connection
abruptly, to stop answering pings, and to stop and start again on the same port from any
position of the recording.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.server import ServerProtocol

from app.live.recording import RecordedFrame, read_recording, shift_msg_ids
from app.logs import get_logger

log = get_logger("live.replay")

#: Per loop pass, MsgIds move by this much (a prime, so passes never land on each other soon).
LOOP_MSG_ID_SHIFT = 1_000_003

Source = str | Path | Sequence[RecordedFrame | str] | Callable[[], Iterable[RecordedFrame | str]]


class _DyBarrageProtocol(ServerProtocol):
    """Answers a ping with ``b"pong"`` like dy-barrage-grab (or not at all, when told)."""

    replay: ReplayServer | None = None

    def recv_frame(self, frame: Frame) -> None:
        if frame.opcode is Opcode.PING:
            if self.replay is None or self.replay.answer_pings:
                self.send_frame(Frame(Opcode.PONG, b"pong"))
            return
        super().recv_frame(frame)


class ReplayServer:
    """Serve ``source`` on ``host:port`` from a background thread.

    ``source``: a recording path, a list of frames (``RecordedFrame`` or plain text), or a
    callable returning a fresh iterable (for generated floods that should not sit in memory).
    ``speed``: 2.0 plays twice as fast; 0 ignores the offsets. ``loop``: start again at the
    end, with shifted MsgIds (see ``recording.shift_msg_ids``).
    """

    def __init__(self, source: Source, *, host: str = "127.0.0.1", port: int = 0, speed: float = 1.0,
                 loop: bool = False, wait_for_clients: int = 1, start_at: int = 0):
        if speed < 0:
            raise ValueError(f"speed must be >= 0, got {speed}")
        self._source = source
        self.host = host
        self.port = port
        self.speed = speed
        self.loop = loop
        self.wait_for_clients = max(0, wait_for_clients)
        self.position = start_at  # index of the next frame to send within the current pass
        self.passes = 0
        self.sent = 0  # frames broadcast since this object was made
        self.answer_pings = True
        self.connections_total = 0
        self._silent = threading.Event()
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None
        self._aloop: asyncio.AbstractEventLoop | None = None
        self._server: Any = None
        self._play_task: asyncio.Task | None = None
        self._clients_changed: asyncio.Event | None = None
        self._unsilenced: asyncio.Event | None = None
        self._lock = threading.Lock()

    # ---- control (any thread) ----------------------------------------------------------------

    def start(self, *, start_at: int | None = None, timeout: float = 5.0) -> ReplayServer:
        """Bind and start playing in a background thread. After ``stop()``, binds the same port."""
        if self._thread is not None:
            raise RuntimeError("replay server already running")
        if start_at is not None:
            self.position = start_at
        self._finished.clear()
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._thread_main, args=(ready, failure),
                                        name=f"replay-server-{self.port or 'new'}", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError("replay server did not start")
        if failure:
            self._thread.join(timeout)
            self._thread = None
            raise failure[0]
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Close the listening socket and cut every connection at once, as if the process
        died (no close handshake). The playback position is kept for a later ``start()``."""
        thread, aloop = self._thread, self._aloop
        if thread is None or aloop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), aloop).result(timeout)
        except Exception:  # the loop may already be gone; the thread join below still runs
            log.debug("replay shutdown", exc_info=True)
        thread.join(timeout)
        self._thread = None

    def drop_connections(self) -> None:
        """Abort every client connection (TCP reset, no close frame); keep listening."""
        self._call(self._abort_all)

    def set_silent(self, silent: bool) -> None:
        """While silent no frames are sent (connections stay open and pings are answered)."""
        if silent:
            self._silent.set()
        else:
            self._silent.clear()
            if self._aloop is not None and self._unsilenced is not None:
                self._aloop.call_soon_threadsafe(self._unsilenced.set)

    @property
    def silent(self) -> bool:
        return self._silent.is_set()

    @property
    def clients(self) -> int:
        server = self._server
        return len(server.connections) if server is not None else 0

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def wait_finished(self, timeout: float | None = None) -> bool:
        """True once a non-looping playback sent its last frame."""
        return self._finished.wait(timeout)

    def wait_sent(self, count: int, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while self.sent < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ---- the server thread ---------------------------------------------------------------------

    def _thread_main(self, ready: threading.Event, failure: list[BaseException]) -> None:
        aloop = asyncio.new_event_loop()
        self._aloop = aloop
        try:
            aloop.run_until_complete(self._open())
        except BaseException as exc:  # e.g. port in use: report it to start()
            failure.append(exc)
            ready.set()
            aloop.close()
            self._aloop = None
            return
        ready.set()
        try:
            aloop.run_forever()
        finally:
            aloop.run_until_complete(aloop.shutdown_asyncgens())
            aloop.close()
            self._aloop = None

    async def _open(self) -> None:
        self._clients_changed = asyncio.Event()
        self._unsilenced = asyncio.Event()
        self._server = await serve(
            self._handle, self.host, self.port, create_connection=self._make_connection,
            compression=None, ping_interval=None, max_size=2**20, close_timeout=1)
        self.port = self._server.sockets[0].getsockname()[1]
        self._play_task = asyncio.get_running_loop().create_task(self._play())

    def _make_connection(self, protocol: ServerProtocol, server: Any, **kwargs: Any) -> ServerConnection:
        protocol.__class__ = _DyBarrageProtocol  # same layout; only recv_frame differs
        protocol.replay = self  # type: ignore[attr-defined]
        return ServerConnection(protocol, server, **kwargs)

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections_total += 1
        assert self._clients_changed is not None
        self._clients_changed.set()
        try:
            async for _ in ws:  # client text (dy-barrage-grab "commands") is ignored
                pass
        except ConnectionClosed:
            pass
        finally:
            self._clients_changed.set()

    async def _shutdown(self) -> None:
        if self._play_task is not None:
            self._play_task.cancel()
            try:
                await self._play_task
            except BaseException:  # cancelled, or a playback error already logged
                pass
        server = self._server
        if server is not None:
            server.close(close_connections=False)
            self._abort_all()
            try:
                await asyncio.wait_for(server.wait_closed(), 2)
            except TimeoutError:
                log.warning("replay server: connections did not close in time")
        self._server = None
        asyncio.get_running_loop().stop()

    def _abort_all(self) -> None:
        server = self._server
        if server is None:
            return
        for conn in list(server.connections):
            conn.transport.abort()

    def _call(self, fn: Callable[[], None]) -> None:
        if self._aloop is not None:
            self._aloop.call_soon_threadsafe(fn)

    # ---- playback ------------------------------------------------------------------------------

    def _frames(self) -> Iterator[RecordedFrame]:
        src = self._source
        if isinstance(src, (str, Path)):
            items: Iterable[Any] = read_recording(src)
        elif callable(src):
            items = src()
        else:
            items = src
        for item in items:
            yield item if isinstance(item, RecordedFrame) else RecordedFrame(0, None, item)

    async def _wait_for_audience(self) -> None:
        assert self._clients_changed is not None and self._unsilenced is not None
        while self.clients < self.wait_for_clients or self._silent.is_set():
            if self._silent.is_set():
                self._unsilenced.clear()
                if self._silent.is_set():
                    await self._unsilenced.wait()
                continue
            self._clients_changed.clear()
            await self._clients_changed.wait()

    async def _play(self) -> None:
        try:
            while True:
                await self._play_pass()
                if not self.loop:
                    self._finished.set()
                    return
                self.passes += 1
                self.position = 0
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("replay playback failed")

    async def _play_pass(self) -> None:
        speed = self.speed
        shift = self.passes * LOOP_MSG_ID_SHIFT
        clock_start: float | None = None  # monotonic time that offset `base` maps to
        base = 0.0
        for rec in itertools.islice(self._frames(), self.position, None):
            paused = self.clients < self.wait_for_clients or self._silent.is_set()
            if paused:
                await self._wait_for_audience()
                clock_start = None  # re-anchor pacing after a pause
            if rec.offset is not None and speed > 0:
                if clock_start is None:
                    clock_start, base = time.monotonic(), rec.offset
                delay = clock_start + (rec.offset - base) / speed - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                    if self._silent.is_set() or self.clients < self.wait_for_clients:
                        await self._wait_for_audience()
                        clock_start, base = time.monotonic(), rec.offset
            frame = shift_msg_ids(rec.frame, shift) if shift else rec.frame
            await self._broadcast(frame)
            self.position += 1
            self.sent += 1
            if not self.sent % 32:
                # send() returns without yielding while socket buffers have room: give the loop a
                # turn so an unpaced flood cannot starve pings, closes and new connections
                await asyncio.sleep(0)

    async def _broadcast(self, frame: str) -> None:
        server = self._server
        if server is None:
            return
        conns = server.connections
        if len(conns) == 1:  # the common case, without building a list
            conn = next(iter(conns))
            try:
                await conn.send(frame)
            except ConnectionClosed:
                pass
            return
        for conn in list(conns):
            try:
                await conn.send(frame)
            except ConnectionClosed:
                pass
        if not conns:
            await asyncio.sleep(0)
