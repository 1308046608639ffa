"""The readers of the Redis bus, on its I/O loop (``app.bus.redis_bus``): one pub/sub
connection for every ordinary channel, and one reader per durable channel and consumer group."""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING, Any

import redis
import redis.asyncio as aredis

from app import events
from app.bus.inbox import Inbox
from app.logs import get_logger

if TYPE_CHECKING:
    from app.bus.redis_bus import RedisBus

log = get_logger("bus.redis")

_IO_ERRORS = (redis.ConnectionError, redis.TimeoutError, OSError, asyncio.TimeoutError)
#: Pub/sub messages already received that the reader hands over in one go.
BURST = 500
#: Stream entries read per call; how long a blocking stream read waits (ms).
READ_COUNT = 500
BLOCK_MS = 1_000
#: How long a group reader, starting, waits for this bus's acknowledgements to be sent before it
#: reads the group's pending entries (else one just handled would come again).
ACKS_SENT_S = 2.0


class PubSubReader:
    """The one pub/sub connection of a bus: channels are subscribed once however many inboxes
    listen, each message is decoded once and handed to every inbox of its channel. ``live`` is
    set while every channel is subscribed and confirmed: after an outage the writer waits for it,
    so nothing this process publishes falls into a gap where it cannot hear it."""

    def __init__(self, bus: RedisBus):
        self.bus = bus
        self.keys: dict[str, int] = {}  # pub/sub key -> inboxes listening
        self.ps: Any = None
        self.changed = asyncio.Event()
        self.live = asyncio.Event()
        self._confirmed: dict[str, asyncio.Event] = {}

    async def add(self, key: str) -> None:
        """Listen on ``key``; returns once Redis confirmed it."""
        self.keys[key] = self.keys.get(key, 0) + 1
        confirmed = self._confirmed.get(key)
        if confirmed is None:
            confirmed = self._confirmed[key] = asyncio.Event()
            if self.ps is not None and self.ps.subscribed and self.bus._up.is_set():
                try:
                    await self.ps.subscribe(key)  # sent beside the pending read, which gets the reply
                except _IO_ERRORS:
                    pass  # subscribed again when the reader reconnects
            self.changed.set()
        await confirmed.wait()

    def remove(self, key: str) -> None:
        n = self.keys.get(key, 0) - 1
        if n > 0:
            self.keys[key] = n
            return
        self.keys.pop(key, None)
        self._confirmed.pop(key, None)
        if self.ps is not None and self.ps.subscribed:
            asyncio.ensure_future(self._unsubscribe(key))

    async def _unsubscribe(self, key: str) -> None:
        try:
            await self.ps.unsubscribe(key)
        except _IO_ERRORS:
            pass  # not subscribed again after the reconnect anyway

    async def close(self) -> None:
        if self.ps is not None:
            await self.ps.aclose()

    async def run(self) -> None:
        """Read until cancelled; after a failure connect and subscribe again (with backoff)."""
        delay = 0.05
        while True:
            ps = None
            try:
                ps = self.ps = self.bus._client.pubsub()
                keys = list(self.keys)
                awaiting = set(keys)
                if keys:
                    await ps.subscribe(*keys)
                else:
                    self.live.set()
                delay = 0.05
                while True:
                    if not ps.subscribed:
                        self.live.set()
                        self.changed.clear()
                        if not self.keys:
                            await self.changed.wait()
                        if self.keys and not ps.subscribed:
                            keys = list(self.keys)
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
                                self.live.set()
                        msg = await ps.get_message(timeout=0) if len(burst) < BURST else None
                    if burst:
                        self.route(burst)
                        await asyncio.sleep(0)  # the writer's turn: reading must not starve it
            except asyncio.CancelledError:
                raise
            except (*_IO_ERRORS, RuntimeError) as exc:
                self.live.clear()
                self.bus._went_down(exc)
                if ps is not None:
                    try:
                        await ps.aclose()
                    except Exception:
                        pass
                self.ps = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    def route(self, messages: list[tuple[bytes, bytes]]) -> None:
        """Decode a burst of pub/sub messages and hand each inbox its share as one batch."""
        by_channel: dict[str, list] = {}
        cut = len(self.bus.namespace) + 1
        for key, payload in messages:
            try:
                event = events.decode(payload)
            except events.CodecError as exc:
                log.error("undecodable message on %s: %s", key, exc)
                continue
            by_channel.setdefault(key[cut:].decode(), []).append((event, None))
        for channel, batch in by_channel.items():
            for inbox in self.bus._listeners(channel):
                inbox.put_many(channel, batch)


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


class StreamReader:
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
        group_made = False  # XGROUP CREATE once, and again only when the server lost the group
        while True:
            try:
                if self.group:
                    if not group_made:
                        await self._ensure_group(client)
                        group_made = True
                    if pending_first:
                        await self.bus._flushed(ACKS_SENT_S)  # our own acknowledgements first
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
                    group_made = False
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
