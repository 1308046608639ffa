"""Redis bus backend: pub/sub for ordinary channels, Streams + consumer groups for durable ones.

All Redis I/O of a bus runs on ONE thread ("bus-redis"), an asyncio loop with redis-py's
asyncio client: the pub/sub reader, one reader per durable stream and group, the writer and
the bus clock (ticks, the watch on delivery threads; see ``app.bus.inbox``).

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
#: Pub/sub messages already received that the reader hands over in one go.
BURST = 500
#: Stream entries read per call; how long a blocking stream read waits (ms).
READ_COUNT = 500
BLOCK_MS = 1_000
#: How long ``inbox()`` waits for Redis to confirm it listens (while Redis is down it listens
#: once Redis is back).
ATTACH_TIMEOUT_S = 2.0
CLOSE_FLUSH_S = 2.0
_IO_ERRORS = (redis.ConnectionError, redis.TimeoutError, OSError, asyncio.TimeoutError)


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
        self._ps_keys: dict[str, int] = {}  # pub/sub key -> inboxes listening
        self._readers: dict[tuple[str, str | None], _StreamReader] = {}
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
        except Exception:
            log.exception("bus I/O loop ended on an error")
        finally:
            self._loop.close()

    async def _main(self, started: threading.Event) -> None:
        self._client = self._new_client()
        self._wake = asyncio.Event()
        self._clock_event = asyncio.Event()
        self._ps_changed = asyncio.Event()
        self._ps_live = asyncio.Event()
        self._up_async = asyncio.Event()
        self._up_async.set()
        self._stopping = asyncio.Event()
        self._ps: Any = None
        self._confirmed: dict[str, asyncio.Event] = {}
        self._recovering: asyncio.Task | None = None
        self._tasks = [asyncio.create_task(coro) for coro in
                       (self._write_loop(), self._pubsub_loop(), self._clock_loop())]
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
        self._up_async.clear()  # (_ps_live is the pub/sub reader's: a hung server may not break it)
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
                if self._ps_keys and not self._ps_live.is_set():
                    # Redis is back but we are not listening yet: send the outbox after that,
                    # so nothing this process publishes falls into a gap where it cannot hear it
                    await asyncio.wait_for(self._ps_live.wait(), 0.5)
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
                group = inbox.group
                reader = self._readers.get((channel, group))
                if reader is None:
                    reader = self._readers[(channel, group)] = _StreamReader(self, channel, group)
                waits.append(reader.add(inbox))
                continue
            key = self.key(channel)
            self._ps_keys[key] = self._ps_keys.get(key, 0) + 1
            confirmed = self._confirmed.get(key)
            if confirmed is None:
                confirmed = self._confirmed[key] = asyncio.Event()
                if self._ps is not None and self._ps.subscribed and self._up.is_set():
                    try:
                        await self._ps.subscribe(key)
                    except _IO_ERRORS:
                        pass  # the reader subscribes again when it reconnects
                self._ps_changed.set()
            waits.append(confirmed.wait())
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
                continue
            key = self.key(channel)
            n = self._ps_keys.get(key, 0) - 1
            if n > 0:
                self._ps_keys[key] = n
                continue
            self._ps_keys.pop(key, None)
            self._confirmed.pop(key, None)
            if self._ps is not None and self._ps.subscribed:
                asyncio.ensure_future(self._unsubscribe(key))

    async def _unsubscribe(self, key: str) -> None:
        try:
            await self._ps.unsubscribe(key)
        except _IO_ERRORS:
            pass  # not re-subscribed after the reconnect anyway

    @property
    def listening(self) -> set[str]:
        """The pub/sub keys this bus is subscribed to for at least one inbox."""
        return set(self._ps_keys)

    def _ack(self, tags: list) -> None:
        by_group: dict[tuple[str, str], list] = {}
        for key, group, msg_id in tags:
            by_group.setdefault((key, group), []).append(msg_id)
        self._push([("a", key, group, ids) for (key, group), ids in by_group.items()], wait_at=None)

    async def _pubsub_loop(self) -> None:
        delay = 0.05
        while True:
            ps = None
            try:
                ps = self._ps = self._client.pubsub()
                keys = list(self._ps_keys)
                awaiting = set(keys)
                if keys:
                    await ps.subscribe(*keys)
                else:
                    self._ps_live.set()
                delay = 0.05
                while True:
                    if not ps.subscribed:
                        self._ps_live.set()
                        self._ps_changed.clear()
                        if not self._ps_keys:
                            await self._ps_changed.wait()
                        if self._ps_keys and not ps.subscribed:
                            keys = list(self._ps_keys)
                            awaiting = set(keys)
                            await ps.subscribe(*keys)
                        continue
                    msg = await ps.get_message(timeout=None)  # blocks until something arrives
                    burst: list[tuple[bytes, bytes]] = []
                    while msg is not None:  # take what has already arrived, then hand it over at once
                        kind = msg["type"]
                        if kind == "message":
                            burst.append((msg["channel"], msg["data"]))
                        elif kind == "subscribe":
                            key = msg["channel"].decode()
                            if (confirmed := self._confirmed.get(key)) is not None:
                                confirmed.set()
                            awaiting.discard(key)
                            if not awaiting:
                                self._ps_live.set()
                        msg = await ps.get_message(timeout=0) if len(burst) < BURST else None
                    if burst:
                        self._route(burst)
                        await asyncio.sleep(0)  # the writer's turn: reading must not starve it
            except asyncio.CancelledError:
                raise
            except (*_IO_ERRORS, RuntimeError) as exc:
                self._ps_live.clear()
                self._went_down(exc)
                if ps is not None:
                    try:
                        await ps.aclose()
                    except Exception:
                        pass
                self._ps = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    def _route(self, messages: list[tuple[bytes, bytes]]) -> None:
        """Decode a burst of pub/sub messages and hand each inbox its share as one batch."""
        by_channel: dict[str, list] = {}
        cut = len(self.namespace) + 1
        for key, payload in messages:
            try:
                event = events.decode(payload)
            except events.CodecError as exc:
                log.error("undecodable message on %s: %s", key, exc)
                continue
            by_channel.setdefault(key[cut:].decode(), []).append((event, None))
        for channel, batch in by_channel.items():
            for inbox in self._listeners(channel):
                inbox.put_many(channel, batch)

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
        await asyncio.gather(*tasks, return_exceptions=True)
        for closing in ((self._ps.aclose() if self._ps is not None else None), self._client.aclose(),
                        self._client.connection_pool.disconnect()):
            if closing is None:
                continue
            try:
                await asyncio.wait_for(closing, 1.0)
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


def _stream_id(raw: bytes | str) -> tuple[int, int]:
    ms, _, seq = (raw.decode() if isinstance(raw, bytes) else raw).partition("-")
    return int(ms), int(seq or 0)


def _entries(resp: Any) -> list:
    """XREAD/XREADGROUP replies of one stream, in RESP2 ([[key, entries]]) or RESP3 form."""
    if not resp:
        return []
    if isinstance(resp, dict):
        value = next(iter(resp.values()))
        return value[0] if value and isinstance(value[0], list) else value
    return resp[0][1]


class _StreamReader:
    """Reads one durable channel for this bus: for a group with XREADGROUP (this consumer's
    pending entries first, so a message handled but not acknowledged before a crash comes
    again), each entry to one member inbox in turn; without a group with XREAD, each entry to
    every plain inbox that was listening when it was added."""

    def __init__(self, bus: RedisBus, channel: str, group: str | None):
        self.bus = bus
        self.channel = channel
        self.group = group
        self.key = bus.key(channel)
        self.members: list[Inbox] = []
        self._since: dict[int, tuple[int, int] | None] = {}  # plain inbox -> entries after this id
        self._turn = itertools.count()
        self.task: asyncio.Task | None = None
        self._last_id: bytes | None = None

    async def add(self, inbox: Inbox) -> None:
        """Take ``inbox`` on; returns once its group exists or its start position is fixed (a
        message published after that reaches it)."""
        self.members.append(inbox)
        if self.group is None:
            self._since[inbox.id] = None
        if self.task is None:
            self.task = asyncio.create_task(self._run())
        client = self.bus._client
        try:
            if self.group:
                await self._ensure_group(client)
            else:
                await self._fix_start(client)
        except (*_IO_ERRORS, redis.ResponseError) as exc:
            log.warning("stream %s: not listening yet (%s); the reader retries", self.key, exc)

    def remove(self, inbox: Inbox, left: list[tuple[str, Any, Any]]) -> bool:
        """Returns True when nobody is left and the reader has stopped."""
        if inbox in self.members:
            self.members.remove(inbox)
        self._since.pop(inbox.id, None)
        if self.members:
            if self.group and left:  # read but not handled: another member takes them
                self._share([(tag, event) for _ch, event, tag in left])
            return False
        if self.task is not None:
            self.task.cancel()  # unacknowledged entries stay pending: redelivered on the next start
        return True

    async def _run(self) -> None:
        client = self.bus._client
        delay = 0.05
        pending_first = True
        while True:
            try:
                if self.group:
                    await self._ensure_group(client)
                    if pending_first:
                        await self.bus._flushed(ATTACH_TIMEOUT_S)  # our own acks first
                        resp = await client.xreadgroup(self.group, self.bus.consumer, {self.key: "0"},
                                                       count=READ_COUNT)
                        entries = _entries(resp)
                        if len(entries) < READ_COUNT:
                            pending_first = False
                    else:
                        resp = await client.xreadgroup(self.group, self.bus.consumer, {self.key: ">"},
                                                       count=READ_COUNT, block=BLOCK_MS)
                        entries = _entries(resp)
                    self._deliver_group(entries)
                else:
                    await self._fix_start(client)
                    resp = await client.xread({self.key: self._last_id}, count=READ_COUNT, block=BLOCK_MS)
                    entries = _entries(resp)
                    if entries:
                        self._last_id = entries[-1][0]
                    self._deliver_plain(entries)
                delay = 0.05
            except asyncio.CancelledError:
                raise
            except redis.ResponseError as exc:
                if "NOGROUP" in str(exc):  # the server restarted without persistence: create it again
                    continue
                log.error("stream read on %s failed: %s", self.key, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
            except _IO_ERRORS as exc:
                self.bus._went_down(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def _ensure_group(self, client: aredis.Redis) -> None:
        try:
            await client.xgroup_create(self.key, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _fix_start(self, client: aredis.Redis) -> None:
        """Plain inboxes get what is added after they started listening."""
        if self._last_id is not None and None not in self._since.values():
            return
        last = await client.xrevrange(self.key, count=1)
        newest = last[0][0] if last else b"0-0"
        if self._last_id is None:
            self._last_id = newest
        for inbox_id, since in self._since.items():
            if since is None:
                self._since[inbox_id] = _stream_id(newest)

    def _decode(self, entries: list) -> list[tuple[Any, Any]]:
        out = []
        for msg_id, fields in entries:
            tag = (self.key, self.group, msg_id) if self.group else msg_id
            try:
                out.append((tag, events.decode((fields or {}).get(b"e") or b"")))
            except events.CodecError as exc:
                log.error("undecodable message on %s: %s", self.key, exc)
                if self.group:
                    self.bus._ack([tag])  # never handled: do not read it again
        return out

    def _deliver_group(self, entries: list) -> None:
        if entries:
            self._share(self._decode(entries))

    def _share(self, items: list[tuple[Any, Any]]) -> None:
        if not self.members:
            return
        if len(self.members) == 1:
            self.members[0].put_many(self.channel, [(event, tag) for tag, event in items])
            return
        shares: dict[int, list] = {}
        for tag, event in items:  # one member of the group gets each message, in turn
            shares.setdefault(next(self._turn) % len(self.members), []).append((event, tag))
        for i, share in shares.items():
            self.members[i].put_many(self.channel, share)

    def _deliver_plain(self, entries: list) -> None:
        if not entries:
            return
        items = [(_stream_id(msg_id), event) for msg_id, event in self._decode(entries)]
        for inbox in self.members:
            since = self._since.get(inbox.id)
            batch = [(event, None) for sid, event in items if since is None or sid > since]
            if batch:
                inbox.put_many(self.channel, batch)
