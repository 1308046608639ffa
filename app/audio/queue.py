"""The one speech queue: every utterance from the moment it is requested until it plays.

Order (design §5): lower priority value first, FIFO among equals, and waiting items age so a
low item is never starved. Aging is linear (``aging_step`` per ``aging_interval_s`` of
waiting) and the same for every item, so comparing two items' effective priorities at any
moment is the same as comparing ``priority + step * queued_at / interval``: that key never
changes while an item waits, which is what lets a plain heap order an aging queue.

Above the aged order sit two tiers: items the operator or an interrupt put at the head
(``play_now`` → tier 0; ``insert_next`` and parked, interrupted items → tier 1, most urgent
first). Only ready items are handed out; an item waits for an earlier sentence of its own group
so a reply or a script segment is never spoken out of order.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from app import events

TIER_NOW = 0
TIER_NEXT = 1
TIER_NORMAL = 2


@dataclass(eq=False)
class QueueItem:
    request: events.SpeechRequest
    queued_at: float  # monotonic, when the request became known
    seq: int
    ready: events.SpeechReady | None = None
    audio: object | None = None  # decoded samples, attached by the player (a wav.Pcm)
    tier: int = TIER_NORMAL
    version: int = 0  # bumped on re-tiering; older heap entries for the item are ignored
    force: bool = False  # play_now: interrupts whatever plays, thresholds aside
    interrupted: bool = False
    parked_at: float | None = None  # monotonic, when it was cut
    resume_s: float = 0.0  # where playback continues (start of the cut sentence)
    resume_index: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.request.id

    @property
    def priority(self) -> int:
        return self.request.priority

    @property
    def duration_s(self) -> float:
        """Length of the audio as decoded (trusted over the duration the TTS stage declared)."""
        decoded = getattr(self.audio, "duration_s", None)
        if decoded is not None:
            return decoded
        return self.ready.duration_s if self.ready is not None else 0.0

    @property
    def is_ready(self) -> bool:
        return self.ready is not None

    @property
    def state(self) -> events.QueueItemState:
        if self.interrupted:
            return "waiting"  # cut by an interrupt, waiting to resume
        return "ready" if self.ready is not None else "synthesising"


class SpeechQueue:
    """Thread-safe. ``clock`` is monotonic seconds (waiting, aging); ``wall_clock`` is epoch
    seconds, the unit of ``SpeechRequest.deadline``."""

    def __init__(self, *, aging_step: float = 1.0, aging_interval_s: float = 10.0,
                 resume_within_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time):
        if aging_interval_s <= 0:
            raise ValueError(f"aging_interval_s must be > 0, got {aging_interval_s}")
        if aging_step < 0:
            raise ValueError(f"aging_step must be >= 0, got {aging_step}")
        self.aging_step = aging_step
        self.aging_interval_s = aging_interval_s
        self.resume_within_s = resume_within_s
        self.clock = clock
        self.wall_clock = wall_clock
        self._t0 = clock()
        self._items: dict[str, QueueItem] = {}
        self._heap: list[tuple[int, float, int, int, str]] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()

    # ---- adding --------------------------------------------------------------------------

    def enqueue(self, request: events.SpeechRequest) -> QueueItem:
        """Know about ``request`` (no audio yet). A repeated id keeps the first entry."""
        with self._lock:
            item = self._items.get(request.id)
            if item is None:
                item = QueueItem(request=request, queued_at=self.clock(), seq=next(self._seq))
                self._items[request.id] = item
                self._push(item)
            return item

    def mark_ready(self, ready: events.SpeechReady, audio: object | None = None) -> QueueItem:
        """Attach audio; an item whose request was never seen is enqueued now."""
        with self._lock:
            item = self.enqueue(ready.request)
            item.ready = ready
            item.audio = audio
            return item

    def play_now(self, item_id: str) -> bool:
        """Put the item at the very head; when ready it interrupts whatever plays."""
        return self._retier(item_id, TIER_NOW, force=True)

    def insert_next(self, item_id: str) -> bool:
        """Put the item at the head (after play_now items), without interrupting."""
        return self._retier(item_id, TIER_NEXT)

    def park(self, item: QueueItem, resume_s: float, sentence_index: int, *,
             keep_age: bool = False) -> None:
        """Keep an interrupted item to resume at ``resume_s`` after the interrupting items.
        ``keep_age``: it was parked before (cut again), its staleness counts from the first cut."""
        with self._lock:
            item.interrupted = True
            item.force = False
            if not (keep_age and item.parked_at is not None):
                item.parked_at = self.clock()
            item.resume_s = resume_s
            item.resume_index = sentence_index
            item.tier = TIER_NEXT
            item.version += 1
            self._items[item.id] = item
            self._push(item)

    # ---- removing ------------------------------------------------------------------------

    def remove(self, item_id: str) -> QueueItem | None:
        with self._lock:
            return self._items.pop(item_id, None)  # its heap entries are skipped lazily

    def skip(self, item_id: str) -> QueueItem | None:
        """Drop one waiting item without playing it."""
        return self.remove(item_id)

    def clear(self) -> list[QueueItem]:
        with self._lock:
            items = sorted(self._items.values(), key=self._key)
            self._items.clear()
            self._heap.clear()
            return items

    def stale_reason(self, item: QueueItem) -> str | None:
        deadline = item.request.deadline
        if deadline is not None and self.wall_clock() > deadline:
            late = self.wall_clock() - deadline
            return f"stale: deadline passed {late:.1f}s ago"
        if item.parked_at is not None and self.clock() - item.parked_at > self.resume_within_s:
            return f"stale: interrupted more than {self.resume_within_s:g}s ago"
        return None

    def purge_stale(self) -> list[tuple[QueueItem, str]]:
        with self._lock:
            dropped = []
            for item in list(self._items.values()):
                reason = self.stale_reason(item)
                if reason:
                    del self._items[item.id]
                    dropped.append((item, reason))
            return dropped

    # ---- taking --------------------------------------------------------------------------

    def pop_next(self) -> tuple[QueueItem | None, list[tuple[QueueItem, str]]]:
        """The next playable item (removed from the queue) and the stale items dropped on the
        way to it."""
        with self._lock:
            dropped: list[tuple[QueueItem, str]] = []
            skipped: list[tuple] = []
            found = None
            while self._heap:
                entry = heapq.heappop(self._heap)
                item = self._items.get(entry[-1])
                if item is None or item.version != entry[3]:
                    continue
                reason = self.stale_reason(item)
                if reason:
                    del self._items[item.id]
                    dropped.append((item, reason))
                    continue
                if not self._playable(item):
                    skipped.append(entry)
                    continue
                del self._items[item.id]
                found = item
                break
            for entry in skipped:
                heapq.heappush(self._heap, entry)
            return found, dropped

    def peek_next(self) -> QueueItem | None:
        """The item ``pop_next`` would return, left in place (stale items are not dropped)."""
        with self._lock:
            for item in sorted(self._items.values(), key=self._key):
                if self._playable(item) and not self.stale_reason(item):
                    return item
            return None

    # ---- looking -------------------------------------------------------------------------

    def get(self, item_id: str) -> QueueItem | None:
        with self._lock:
            return self._items.get(item_id)

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._items

    def __len__(self) -> int:
        return len(self._items)

    def has_ready(self) -> bool:
        with self._lock:
            return any(self._playable(i) for i in self._items.values())

    def ordered(self) -> list[QueueItem]:
        """Every waiting item in the order it would play if all were ready."""
        with self._lock:
            return sorted(self._items.values(), key=self._key)

    def effective_priority(self, item: QueueItem) -> float:
        waited = self.clock() - item.queued_at
        return item.priority - self.aging_step * waited / self.aging_interval_s

    def snapshot(self, playing: QueueItem | None = None) -> events.QueueSnapshot:
        now = self.clock()
        views = []
        items = ([playing] if playing is not None else []) + self.ordered()
        for item in items:
            views.append(events.QueueItemView(
                id=item.id, kind=item.request.kind, text=item.request.text,
                priority=item.priority,
                state="playing" if item is playing else item.state,
                waiting_s=round(max(0.0, now - item.queued_at), 3),
                deadline=item.request.deadline))
        return events.QueueSnapshot(items=tuple(views))

    # ---- internals -----------------------------------------------------------------------

    def _key(self, item: QueueItem) -> tuple[int, float, int]:
        if item.tier == TIER_NOW:
            rank = 0.0
        elif item.tier == TIER_NEXT:
            rank = float(item.priority)
        else:
            rank = item.priority + self.aging_step * (item.queued_at - self._t0) / self.aging_interval_s
        return (item.tier, rank, item.seq)

    def _push(self, item: QueueItem) -> None:
        tier, rank, seq = self._key(item)
        heapq.heappush(self._heap, (tier, rank, seq, item.version, item.id))

    def _retier(self, item_id: str, tier: int, force: bool = False) -> bool:
        with self._lock:
            item = self._items.get(item_id)
            if item is None:
                return False
            if tier < item.tier or force:
                item.tier = min(tier, item.tier)
                item.force = item.force or force
                item.version += 1
                self._push(item)
            return True

    def _playable(self, item: QueueItem) -> bool:
        if item.ready is None:
            return False
        group = item.request.group
        if group is None or item.interrupted:
            return True
        # An earlier sentence of the same group still to come holds this one back.
        return not any(other is not item and other.request.group == group
                       and other.request.sentence_index < item.request.sentence_index
                       for other in self._items.values())
