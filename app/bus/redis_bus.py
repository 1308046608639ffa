"""Redis bus backend: pub/sub for ordinary channels, Streams + consumer groups for durable ones.

Failure handling is the point of this module. When Redis goes away, ``publish`` keeps
accepting messages into a bounded outbox (oldest dropped first, counted) and a reconnect thread
flushes it in order once Redis answers again; readers reconnect and re-subscribe by themselves.
The outage and the recovery are reported to this process's ``system`` subscribers directly,
since the transport that would carry the news is the thing that is down.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from typing import Any

import redis

from app import events
from app.bus.base import Bus, Handler, Subscription, now
from app.logs import get_logger

log = get_logger("bus.redis")

OUTBOX_LIMIT = 10_000
STREAM_MAXLEN = 100_000
_IO_ERRORS = (redis.ConnectionError, redis.TimeoutError, OSError)
#: Pub/sub messages already received that the reader hands over in one go.
BURST = 500


class RedisBus(Bus):
    backend = "redis"

    def __init__(self, url: str, namespace: str = "live", *, consumer: str = "main",
                 owned_server: Any = None, socket_timeout: float = 2.0):
        super().__init__(namespace)
        self.url = url
        self.consumer = consumer
        self._owned_server = owned_server  # an EmbeddedRedis to stop on close
        self._client = redis.Redis.from_url(url, socket_timeout=socket_timeout,
                                            socket_connect_timeout=socket_timeout)
        self._outbox: deque[tuple[str, bytes]] = deque()
        self._outbox_lock = threading.Lock()
        self._up = threading.Event()
        self._up.set()
        self._stop = threading.Event()
        self.published = 0
        self.outbox_dropped = 0
        self.reconnects = 0
        self.down_since: float | None = None
        self._pubsub_reader = _PubSubReader(self)
        self._stream_readers: dict[int, _StreamReader] = {}
        self._recover_thread: threading.Thread | None = None
        self._client.ping()  # fail fast at construction: a wrong url is a clear error here

    # ---- publishing ------------------------------------------------------------------------

    def publish(self, channel: str, event: Any) -> None:
        if self._closed:
            return
        payload = events.encode(event)
        with self._outbox_lock:
            if self._outbox or not self._up.is_set():
                self._queue_outbox(channel, payload)
                return
            try:
                self._send(channel, payload)
            except _IO_ERRORS as exc:
                self._queue_outbox(channel, payload)
                self._went_down(exc)

    def publish_many(self, items: list[tuple[str, Any]]) -> None:
        """One pipeline round trip for a whole batch (the live feed publishes in bursts)."""
        if self._closed or not items:
            return
        encoded = [(channel, events.encode(event)) for channel, event in items]
        with self._outbox_lock:
            if self._outbox or not self._up.is_set():
                for channel, payload in encoded:
                    self._queue_outbox(channel, payload)
                return
            pipe = self._client.pipeline(transaction=False)
            for channel, payload in encoded:
                self._send(channel, payload, pipe)
            try:
                pipe.execute()
            except _IO_ERRORS as exc:
                # Some may have gone through; at-most-once pub/sub makes resending the whole
                # batch the lesser evil only for durable ones, which consumers de-duplicate by id.
                for channel, payload in encoded:
                    self._queue_outbox(channel, payload)
                self._went_down(exc)

    def _send(self, channel: str, payload: bytes, target: Any = None) -> None:
        target = target if target is not None else self._client
        key = self.key(channel)
        if channel in events.DURABLE_CHANNELS:
            target.xadd(key, {"e": payload}, maxlen=STREAM_MAXLEN, approximate=True)
        else:
            target.publish(key, payload)
        self.published += 1

    def _queue_outbox(self, channel: str, payload: bytes) -> None:
        if len(self._outbox) >= OUTBOX_LIMIT:
            self._outbox.popleft()
            self.outbox_dropped += 1
        self._outbox.append((channel, payload))

    # ---- outage and recovery ---------------------------------------------------------------

    def _went_down(self, exc: BaseException) -> None:
        """Called by any thread that sees the connection fail; starts one recovery thread."""
        with self._lock:
            if not self._up.is_set() or self._closed:
                return
            self._up.clear()
            self.down_since = now()
            log.warning("redis unreachable (%s): buffering publishes, reconnecting", exc)
            self._report_local(events.Health(component="bus", status="down",
                                             detail=f"Redis unreachable: {exc}", ts=now()))
            self._recover_thread = threading.Thread(target=self._recover, name="bus-redis-recover",
                                                    daemon=True)
            self._recover_thread.start()

    def _recover(self) -> None:
        delay = 0.05
        while not self._stop.is_set():
            try:
                self._client.ping()
                if self._pubsub_reader.running and not self._pubsub_reader.live.wait(0.05):
                    continue  # Redis is back but we are not listening yet: flush after that
                with self._outbox_lock:
                    while self._outbox:
                        channel, payload = self._outbox[0]
                        self._send(channel, payload)
                        self._outbox.popleft()
                    self._up.set()
                break
            except _IO_ERRORS:
                self._stop.wait(delay)
                delay = min(delay * 2, 1.0)
        if self._stop.is_set():
            return
        self.reconnects += 1
        outage = now() - (self.down_since or now())
        log.info("redis reachable again after %.1f s; outbox flushed", outage)
        self._report_local(events.Health(component="bus", status="ok",
                                         detail=f"Redis reachable again after {outage:.1f} s",
                                         metrics={"outage_s": outage}, ts=now()))
        self.down_since = None

    def wait_until_up(self, timeout: float) -> bool:
        return self._up.wait(timeout)

    # ---- subscribing -----------------------------------------------------------------------

    def subscribe(self, channel: str, handler: Handler, *, group: str | None = None) -> Subscription:
        durable = channel in events.DURABLE_CHANNELS
        ack = self._ack if (durable and group) else None
        sub = self._add(Subscription(channel, handler, group=group if durable else None, ack=ack))
        if durable:
            reader = _StreamReader(self, sub)
            self._stream_readers[sub.id] = reader
            reader.start()
        else:
            self._pubsub_reader.add(self.key(channel))
        return sub

    def _ack(self, tag: Any) -> None:
        key, group, msg_id = tag
        try:
            self._client.xack(key, group, msg_id)
        except _IO_ERRORS:
            pass  # unacked: redelivered to this consumer after it reconnects, by design

    def _on_unsubscribe(self, sub: Subscription) -> None:
        reader = self._stream_readers.pop(sub.id, None)
        if reader:
            reader.stop()
        else:  # the reader counts its subscribers per channel and unsubscribes after the last
            self._pubsub_reader.remove(self.key(sub.channel))

    def _route(self, messages: list[tuple[str, bytes]]) -> None:
        """Decode a burst of pub/sub messages and hand each subscriber its share as one batch."""
        by_channel: dict[str, list] = {}
        for key, payload in messages:
            try:
                event = events.decode(payload)
            except events.CodecError as exc:
                log.error("undecodable message on %s: %s", key, exc)
                continue
            by_channel.setdefault(key[len(self.namespace) + 1:], []).append((event, None))
        for channel, batch in by_channel.items():
            for sub in self._subscribers(channel):
                sub.put_many(batch)

    def _close_transport(self) -> None:
        self._stop.set()
        self._pubsub_reader.stop()
        if self._recover_thread:
            self._recover_thread.join(2)
        self._client.close()
        if self._owned_server is not None:
            self._owned_server.stop()

    def health(self) -> events.Health:
        up = self._up.is_set()
        return events.Health(
            component="bus", status="ok" if up else "down",
            detail=f"redis {'connected' if up else 'unreachable'} ({self.url.split('@')[-1]})",
            metrics={"published": float(self.published), "outbox": float(len(self._outbox)),
                     "outbox_dropped": float(self.outbox_dropped), "reconnects": float(self.reconnects),
                     "subscribers": float(len(self._subs))}, ts=now())


class _PubSubReader:
    """One thread owns the pub/sub connection: redis-py's PubSub is not safe to use from two
    threads, so subscribe/unsubscribe requests are queued to it."""

    def __init__(self, bus: RedisBus):
        self.bus = bus
        self._ops: queue.SimpleQueue = queue.SimpleQueue()
        self._keys: dict[str, int] = {}
        self._confirmed: dict[str, threading.Event] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        # Set while every channel is subscribed and confirmed by Redis. After an outage the
        # publisher waits for it before flushing, so nothing is published into a gap in
        # which this process is not yet listening again.
        self.live = threading.Event()
        self.live.set()
        self._awaiting: set[str] = set()

    def add(self, key: str) -> None:
        self._keys[key] = self._keys.get(key, 0) + 1
        if self._keys[key] > 1:
            return
        done = self._confirmed.setdefault(key, threading.Event())
        self._ops.put(("subscribe", key))
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="bus-redis-pubsub", daemon=True)
            self._thread.start()
        # Return once Redis confirmed, so a publish right after subscribe is not missed;
        # do not hang the caller while Redis is down (it subscribes on reconnect).
        done.wait(2.0)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def remove(self, key: str) -> None:
        if self._keys.get(key, 0) <= 1:
            self._keys.pop(key, None)
            self._confirmed.pop(key, None)
            self._ops.put(("unsubscribe", key))
        else:
            self._keys[key] -= 1

    def _run(self) -> None:
        bus = self.bus
        pubsub = None
        delay = 0.05
        while not self._stop.is_set():
            try:
                if pubsub is None:
                    pubsub = bus._client.pubsub()
                    keys = list(self._keys)
                    self._awaiting = set(keys)
                    if keys:
                        pubsub.subscribe(*keys)
                    else:
                        self.live.set()
                    delay = 0.05
                while True:
                    try:
                        op, key = self._ops.get_nowait()
                    except queue.Empty:
                        break
                    getattr(pubsub, op)(key)
                if not pubsub.subscribed:
                    self._stop.wait(0.02)
                    continue
                msg = pubsub.get_message(timeout=0.05)
                burst: list[tuple[str, bytes]] = []
                while msg is not None:  # take what has already arrived, then deliver it at once
                    kind = msg["type"]
                    key = msg["channel"].decode() if isinstance(msg["channel"], bytes) else msg["channel"]
                    if kind == "message":
                        burst.append((key, msg["data"]))
                    elif kind == "subscribe":
                        if key in self._confirmed:
                            self._confirmed[key].set()
                        self._awaiting.discard(key)
                        if not self._awaiting:
                            self.live.set()
                    msg = pubsub.get_message(timeout=0) if len(burst) < BURST else None
                if burst:
                    bus._route(burst)
            except _IO_ERRORS as exc:
                self.live.clear()
                bus._went_down(exc)
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:
                        pass
                pubsub = None
                self._stop.wait(delay)
                delay = min(delay * 2, 1.0)
        if pubsub is not None:
            pubsub.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(2)


class _StreamReader:
    """Reads one durable subscription's stream: XREADGROUP for a group (pending entries of
    this consumer first, so a crash mid-handler redelivers), plain XREAD otherwise."""

    def __init__(self, bus: RedisBus, sub: Subscription):
        self.bus = bus
        self.sub = sub
        self.key = bus.key(sub.channel)
        self._stop = threading.Event()
        self._client = redis.Redis.from_url(bus.url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._thread = threading.Thread(target=self._run, name=f"bus-redis-stream-{sub.channel}",
                                        daemon=True)
        self._last_id = "$"
        self._ready = threading.Event()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(2.0)  # the group exists / the start id is fixed before we return

    def _setup(self) -> None:
        if self.sub.group:
            try:
                self._client.xgroup_create(self.key, self.sub.group, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        elif self._last_id == "$":
            last = self._client.xrevrange(self.key, count=1)
            self._last_id = last[0][0].decode() if last else "0-0"

    def _run(self) -> None:
        delay = 0.05
        pending_first = True
        while not self._stop.is_set():
            try:
                self._setup()
                self._ready.set()
                if self.sub.group:
                    start = "0" if pending_first else ">"
                    resp = self._client.xreadgroup(self.sub.group, self.bus.consumer, {self.key: start},
                                                   count=100, block=None if pending_first else 100)
                    entries = resp[0][1] if resp else []
                    if pending_first and not entries:
                        pending_first = False
                        continue
                    self._deliver([(msg_id, fields) for msg_id, fields in entries])
                    if pending_first:
                        pending_first = False  # redelivered our own pending; now new ones
                else:
                    resp = self._client.xread({self.key: self._last_id}, count=100, block=100)
                    entries = resp[0][1] if resp else []
                    if entries:
                        self._last_id = entries[-1][0].decode()
                    self._deliver([(None, fields) for _, fields in entries])
                delay = 0.05
            except redis.ResponseError as exc:
                if "NOGROUP" in str(exc):  # server restarted without persistence: recreate
                    continue
                log.error("stream read on %s failed: %s", self.key, exc)
                self._stop.wait(delay)
            except _IO_ERRORS as exc:
                self.bus._went_down(exc)
                self._ready.set()
                self._stop.wait(delay)
                delay = min(delay * 2, 1.0)
        self._client.close()

    def _deliver(self, entries: list[tuple[bytes | None, dict]]) -> None:
        """Decode stream entries (msg_id None when not in a group) and queue them as one batch."""
        batch = []
        for msg_id, fields in entries:
            tag = (self.key, self.sub.group, msg_id) if msg_id is not None else None
            try:
                batch.append((events.decode(fields.get(b"e") or b""), tag))
            except events.CodecError as exc:
                log.error("undecodable message on %s: %s", self.key, exc)
                if tag:
                    self.bus._ack(tag)
        self.sub.put_many(batch)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
