"""Redis bus backend: pub/sub for ordinary channels, Streams + consumer groups for durable ones.

All Redis I/O of a bus runs on ONE thread ("bus-redis"), an asyncio loop with redis-py's
asyncio client: the pub/sub reader and one reader per durable stream and group
(``app.bus.redis_readers``), the writer, and the bus clock (ticks, the watch on delivery
threads; see ``app.bus.inbox``).

Publishing never waits for Redis: ``publish`` encodes the event and appends it to the outbox;
the writer sends whatever has gathered as one pipeline, in order. Acknowledgements of durable
messages travel the same way. ``publish_many`` (the live feed's bulk path) waits, up to
``FLOW_WAIT_S``, while the outbox is fuller than ``HIGH_WATER`` and Redis is up, so a feed that
outruns Redis sheds in its own buffer (likes and entries first) instead of here; ``publish``
waits only near the outbox's limit.

Failure handling is the point of this module. When Redis goes away the outbox keeps what is
published (bounded, oldest dropped first and counted) and the writer sends it, in order, once
Redis answers again and this process listens again; readers reconnect and re-subscribe by
themselves; a group lost in a server restart is created again. The outage and the recovery are
reported to this process's ``system`` inboxes directly, since the transport that would carry
the news is the thing that is down.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import threading
import time
from collections import deque
from typing import Any

import redis
import redis.asyncio as aredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from app import events
from app.bus.base import Bus, Inbox, now
from app.bus.redis_readers import PubSubReader, StreamReader
from app.logs import get_logger

log = get_logger("bus.redis")

#: What the outbox keeps while Redis is down (oldest dropped first, counted); while it is up the
#: writer is only behind, and a batch of the feed may take it up to ``UP_LIMIT``.
OUTBOX_LIMIT = 10_000
UP_LIMIT = 50_000
#: While Redis is up, a publisher waits (up to ``FLOW_WAIT_S``) when this many messages are
#: still to be written: the bulk path (``publish_many``, the live feed) early, so the feed sheds
#: in its own buffer; a single ``publish`` only near the limit, so a stage is not held by a feed
#: flood, and nothing is dropped while Redis merely lags.
HIGH_WATER = 5_000
PUBLISH_WAIT_AT = 9_000
FLOW_WAIT_S = 1.0
STREAM_MAXLEN = 100_000
#: Commands the writer sends in one pipeline.
WRITE_BATCH = 1_000
#: How long ``inbox()`` waits for Redis to confirm it listens (while Redis is down it listens
#: once Redis is back).
ATTACH_TIMEOUT_S = 2.0
CLOSE_FLUSH_S = 2.0
_IO_ERRORS = (redis.ConnectionError, redis.TimeoutError, OSError, asyncio.TimeoutError)
#: Tasks that did not end when their bus closed (a connection that would not close): kept
#: referenced so that the garbage collector never runs their clean-up in the middle of
#: unrelated code, where CPython 3.11 can fail (``SystemError`` in ``ast.parse``).
_ABANDONED: list[asyncio.Task] = []


class RedisBus(Bus):
    backend = "redis"

    def __init__(self, url: str, namespace: str = "live", *, consumer: str = "main",
                 owned_server: Any = None, socket_timeout: float = 2.0):
        super().__init__(namespace)
        self.url = url
        self.consumer = consumer
        self._owned_server = owned_server  # an EmbeddedRedis to stop on close
        self._socket_timeout = socket_timeout
        probe = redis.Redis.from_url(url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout)
        try:
            probe.ping()  # fail fast at construction: a wrong url is a clear error here
        finally:
            probe.close()
        self._out: deque[tuple[int, tuple]] = deque()  # (sequence number, operation)
        self._out_cond = threading.Condition()
        self._seq = itertools.count(1)
        self._last_seq = 0
        self._sent_seq = 0
        self._writer_awake = False
        self._up = threading.Event()
        self._up.set()
        self.published = 0
        self.outbox_dropped = 0
        self.reconnects = 0
        self.down_since: float | None = None
        self._readers: dict[tuple[str, str | None], StreamReader] = {}
        self._loop = asyncio.new_event_loop()
        self._loop_ident: int | None = None
        started = threading.Event()
        self._thread = threading.Thread(target=self._run_loop, args=(started,), name="bus-redis", daemon=True)
        self._thread.start()
        if not started.wait(5.0):
            raise redis.ConnectionError("the bus I/O thread did not start")
        self.dispatcher.on_timer = self._poke_clock

    # ---- the I/O loop ------------------------------------------------------------------------

    def _run_loop(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop_ident = threading.get_ident()
        try:
            self._loop.run_until_complete(self._main(started))
            self._loop.run_until_complete(self._reap())
        except Exception:
            log.exception("bus I/O loop ended on an error")
        finally:
            self._loop.close()

    async def _reap(self) -> None:
        """What is still running when the loop ends is cancelled and given a second to end."""
        me = asyncio.current_task()
        left = [t for t in asyncio.all_tasks() if t is not me]
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=1.0)
        stuck = [t for t in left if not t.done()]
        if stuck:
            log.warning("bus: %d task(s) did not end with the bus (%s)", len(stuck),
                        ", ".join(sorted({t.get_coro().__qualname__ for t in stuck})))
            _ABANDONED.extend(stuck)

    async def _main(self, started: threading.Event) -> None:
        self._client = self._new_client()
        self._wake = asyncio.Event()
        self._clock_event = asyncio.Event()
        self._up_async = asyncio.Event()
        self._up_async.set()
        self._stopping = asyncio.Event()
        self._pubsub = PubSubReader(self)
        self._recovering: asyncio.Task | None = None
        self._tasks = [asyncio.create_task(coro) for coro in
                       (self._write_loop(), self._pubsub.run(), self._clock_loop())]
        started.set()
        await self._stopping.wait()

    def _new_client(self) -> aredis.Redis:
        # No hidden retries: an outage is noticed at once and handled (and reported) here.
        return aredis.Redis.from_url(self.url, socket_timeout=self._socket_timeout,
                                     socket_connect_timeout=self._socket_timeout, retry=Retry(NoBackoff(), 0))

    def _on_loop(self) -> bool:
        return threading.get_ident() == self._loop_ident

    def _call_soon(self, fn, *args) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed: the bus is closing
            pass

    def _poke_clock(self) -> None:
        self._call_soon(lambda: self._clock_event.set())

    async def _clock_loop(self) -> None:
        while True:
            delay = self.dispatcher.step()
            self._clock_event.clear()
            try:
                await asyncio.wait_for(self._clock_event.wait(), delay)
            except TimeoutError:
                pass

    # ---- publishing ------------------------------------------------------------------------

    def publish(self, channel: str, event: Any) -> None:
        if self._closed:
            return
        self._push([("p", channel, events.encode(event))], wait_at=PUBLISH_WAIT_AT)

    def publish_many(self, items: list[tuple[str, Any]]) -> None:
        if self._closed or not items:
            return
        self._push([("p", channel, events.encode(event)) for channel, event in items], wait_at=HIGH_WATER)

    def _push(self, ops: list[tuple], *, wait_at: int | None) -> None:
        with self._out_cond:
            if wait_at is not None and len(self._out) >= wait_at and not self._on_loop():
                deadline = time.monotonic() + FLOW_WAIT_S
                while len(self._out) >= wait_at and self._up.is_set() and not self._closed:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._out_cond.wait(left)
            limit = UP_LIMIT if self._up.is_set() else OUTBOX_LIMIT
            for op in ops:
                while len(self._out) >= limit:
                    self._out.popleft()
                    self.outbox_dropped += 1
                self._last_seq = next(self._seq)
                self._out.append((self._last_seq, op))
            wake = not self._writer_awake
            self._writer_awake = True
        if wake:
            self._call_soon(self._wake.set)

    async def _write_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while True:
                with self._out_cond:
                    if not self._out:
                        self._writer_awake = False
                        break
                    batch = list(itertools.islice(self._out, WRITE_BATCH))
                await self._up_async.wait()
                pipe = self._client.pipeline(transaction=False)
                sends = 0
                for _seq, op in batch:
                    if op[0] == "p":
                        key = self.key(op[1])
                        if op[1] in events.DURABLE_CHANNELS:
                            pipe.xadd(key, {"e": op[2]}, maxlen=STREAM_MAXLEN, approximate=True)
                        else:
                            pipe.publish(key, op[2])
                        sends += 1
                    else:
                        pipe.xack(op[1], op[2], *op[3])
                try:
                    await pipe.execute(raise_on_error=False)
                except _IO_ERRORS as exc:
                    # Some may have gone through; they are sent again after the outage (the
                    # durable ones are told apart by id downstream; pub/sub is at most once).
                    self._went_down(exc)
                    await asyncio.sleep(0.05)  # (closing: no recovery runs; do not spin)
                    continue
                last = batch[-1][0]
                with self._out_cond:
                    while self._out and self._out[0][0] <= last:
                        self._out.popleft()
                    self._sent_seq = last
                    self.published += sends
                    self._out_cond.notify_all()

    async def _flushed(self, timeout: float) -> bool:
        """Wait until everything queued before this call has been sent."""
        target = self._last_seq
        deadline = time.monotonic() + timeout
        while self._sent_seq < target and self._out:
            if time.monotonic() > deadline or not self._up.is_set():
                return False
            await asyncio.sleep(0.002)
        return True

    # ---- outage and recovery ---------------------------------------------------------------

    def _went_down(self, exc: BaseException) -> None:
        """Called on the loop by whatever sees the connection fail; starts one recovery."""
        with self._lock:
            if not self._up.is_set() or self._closed:
                return
            self._up.clear()
            self.down_since = now()
        self._up_async.clear()  # (pubsub.live is the reader's own: a hung server may not break it)
        log.warning("redis unreachable (%s): buffering publishes, reconnecting", exc)
        self._report_local(events.Health(component="bus", status="down", detail=f"Redis unreachable: {exc}",
                                         ts=now()))
        with self._out_cond:
            self._out_cond.notify_all()  # a publisher waiting for room stops waiting: we buffer now
        self._recovering = asyncio.create_task(self._recover())

    async def _recover(self) -> None:
        delay = 0.05
        while True:
            try:
                await self._client.ping()
                if self._pubsub.keys and not self._pubsub.live.is_set():
                    # Redis is back but we are not listening yet: send the outbox after that,
                    # so nothing this process publishes falls into a gap where it cannot hear it
                    await asyncio.wait_for(self._pubsub.live.wait(), 0.5)
                break
            except _IO_ERRORS:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
        self.reconnects += 1
        outage = now() - (self.down_since or now())
        self.down_since = None
        self._up.set()
        self._up_async.set()
        log.info("redis reachable again after %.1f s; sending the outbox", outage)
        self._report_local(events.Health(component="bus", status="ok",
                                         detail=f"Redis reachable again after {outage:.1f} s",
                                         metrics={"outage_s": outage}, ts=now()))

    def wait_until_up(self, timeout: float) -> bool:
        return self._up.wait(timeout)

    # ---- listening -------------------------------------------------------------------------

    def _attach(self, inbox: Inbox) -> None:
        if inbox.group:
            inbox.ack = self._ack
        if not inbox.channels:
            return
        fut = asyncio.run_coroutine_threadsafe(self._attach_async(inbox), self._loop)
        if self._on_loop():
            return
        try:
            fut.result(ATTACH_TIMEOUT_S + 0.5)
        except (TimeoutError, concurrent.futures.TimeoutError):
            pass  # Redis is down: the readers listen once it is back (do not hang a stage's start)

    async def _attach_async(self, inbox: Inbox) -> None:
        waits = []
        for channel in inbox.channels:
            if channel in events.DURABLE_CHANNELS:
                reader = self._readers.get((channel, inbox.group))
                if reader is None:
                    reader = self._readers[(channel, inbox.group)] = StreamReader(self, channel, inbox.group)
                waits.append(reader.add(inbox))
            else:
                waits.append(self._pubsub.add(self.key(channel)))
        try:
            await asyncio.wait_for(asyncio.gather(*waits), ATTACH_TIMEOUT_S)
        except TimeoutError:
            log.warning("inbox %s: Redis did not confirm within %.0f s; listening once it does",
                        inbox.name, ATTACH_TIMEOUT_S)

    def _detach(self, inbox: Inbox, left: list[tuple[str, Any, Any]]) -> None:
        self._call_soon(self._detach_on_loop, inbox, left)

    def _detach_on_loop(self, inbox: Inbox, left: list[tuple[str, Any, Any]]) -> None:
        for channel in inbox.channels:
            if channel in events.DURABLE_CHANNELS:
                reader = self._readers.get((channel, inbox.group))
                if reader is not None and reader.remove(inbox, [x for x in left if x[0] == channel]):
                    del self._readers[(channel, inbox.group)]
            else:
                self._pubsub.remove(self.key(channel))

    @property
    def listening(self) -> set[str]:
        """The pub/sub keys this bus is subscribed to for at least one inbox."""
        return set(self._pubsub.keys)

    def _ack(self, tags: list) -> None:
        by_group: dict[tuple[str, str], list] = {}
        for key, group, msg_id in tags:
            by_group.setdefault((key, group), []).append(msg_id)
        self._push([("a", key, group, ids) for (key, group), ids in by_group.items()], wait_at=None)

    # ---- closing -----------------------------------------------------------------------------

    def _close_transport(self) -> None:
        if self._loop.is_running():
            fut = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
            try:
                fut.result(CLOSE_FLUSH_S + 3)
            except Exception:
                log.exception("closing the Redis bus")
            self._call_soon(self._stopping.set)
        if threading.current_thread() is not self._thread:
            self._thread.join(3)
        if self._owned_server is not None:
            self._owned_server.stop()

    async def _shutdown(self) -> None:
        if self._up.is_set():
            await self._flushed(CLOSE_FLUSH_S)  # what was published before close() goes out
        tasks = [*self._tasks, *(r.task for r in self._readers.values() if r.task)]
        if self._recovering:
            tasks.append(self._recovering)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)  # (what does not end now is reaped with the loop)
        for closing in (self._pubsub.close(), self._client.aclose(),
                        self._client.connection_pool.disconnect()):
            try:
                await asyncio.wait_for(closing, 0.5)
            except Exception:
                pass

    def health(self) -> events.Health:
        up = self._up.is_set()
        return events.Health(
            component="bus", status="ok" if up else "down",
            detail=f"redis {'connected' if up else 'unreachable'} ({self.url.split('@')[-1]})",
            metrics={"published": float(self.published), "outbox": float(len(self._out)),
                     "outbox_dropped": float(self.outbox_dropped), "reconnects": float(self.reconnects),
                     **self.delivery_metrics()}, ts=now())
