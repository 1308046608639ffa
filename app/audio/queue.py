"""The one speech queue: every utterance from the moment it is requested until it plays.

Its items are the utterances' records (``app.audio.utterance.Utterance``): the queue sets their
queued / ready / parked state; the player's thread is the only one that changes them.

The queue holds the items and their state; *which* ready item plays next is the director's
decision alone (``app.director``: rank, aging, play-now, parked items first), passed in as
``pick`` (and ``key`` where the whole order is shown). The queue has no order of its own.

Only ready items are handed out, and an item waits for an earlier sentence of its own group so
a reply or a script segment is never spoken out of order. The queue is small (the script keeps
at most a few dozen sentences ahead), so choosing is a scan, not a heap: the director's order
changes with the air (a script that has been quiet too long moves up) and cannot be a fixed key.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable

from app import events
from app.audio.utterance import Utterance
from app.utterance import stale_in, stale_reason

Pick = Callable[[Iterable[Utterance]], Utterance | None]


class SpeechQueue:
    """Thread-safe. ``clock`` is monotonic seconds (waiting, parking); ``wall_clock`` is epoch
    seconds, the unit of ``SpeechRequest.deadline``."""

    def __init__(self, *, resume_within_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time):
        self.resume_within_s = resume_within_s
        self.clock = clock
        self.wall_clock = wall_clock
        self._items: dict[str, Utterance] = {}
        self._seq = itertools.count()
        self._lock = threading.RLock()

    # ---- adding --------------------------------------------------------------------------

    def enqueue(self, request: events.SpeechRequest) -> Utterance:
        """Know about ``request`` (no audio yet). A repeated id keeps the first entry."""
        with self._lock:
            item = self._items.get(request.id)
            if item is None:
                item = Utterance(request=request, queued_at=self.clock(), seq=next(self._seq))
                self._items[request.id] = item
            return item

    def mark_ready(self, ready: events.SpeechReady, audio: object | None = None) -> Utterance:
        """Attach audio; an item whose request was never seen is enqueued now."""
        with self._lock:
            item = self.enqueue(ready.request)
            item.audio_arrived(ready, audio, self.clock())
            return item

    def play_now(self, item_id: str) -> bool:
        """Put the item at the very head; when ready it interrupts whatever plays."""
        with self._lock:
            item = self._items.get(item_id)
            if item is not None:
                item.force = True
            return item is not None

    def park(self, item: Utterance, resume_s: float, sentence_index: int, *,
             keep_age: bool = False) -> None:
        """Keep an interrupted item to resume at ``resume_s`` after the interrupting items.
        ``keep_age``: it was parked before (cut again), its staleness counts from the first cut."""
        with self._lock:
            item.state = "parked"
            item.force = False
            if not (keep_age and item.parked_at is not None):
                item.parked_at = self.clock()
            item.resume_s = resume_s
            item.resume_index = sentence_index
            self._items[item.id] = item

    def put_back(self, item: Utterance) -> None:
        """An item taken out to play that did not start (its bridge line was cut): back in line,
        as it was."""
        with self._lock:
            self._items[item.id] = item

    # ---- removing ------------------------------------------------------------------------

    def remove(self, item_id: str) -> Utterance | None:
        with self._lock:
            return self._items.pop(item_id, None)

    def skip(self, item_id: str) -> Utterance | None:
        """Drop one waiting item without playing it."""
        return self.remove(item_id)

    def clear(self) -> list[Utterance]:
        """Empty the queue; the items in the order they came."""
        with self._lock:
            items = sorted(self._items.values(), key=lambda i: i.seq)
            self._items.clear()
            return items

    def stale_reason(self, item: Utterance) -> str | None:
        """The one staleness rule (``app.utterance.stale_reason``) applied to a queued record."""
        return stale_reason(item.request.deadline, self.wall_clock(), parked_s=self._parked_s(item),
                            kind=item.request.kind, resume_within_s=self.resume_within_s)

    def expires_in(self, item: Utterance) -> float | None:
        """Seconds until ``stale_reason`` drops ``item`` (None: it never goes stale)."""
        return stale_in(item.request.deadline, self.wall_clock(), parked_s=self._parked_s(item),
                        kind=item.request.kind, resume_within_s=self.resume_within_s)

    def _parked_s(self, item: Utterance) -> float | None:
        return None if item.parked_at is None else self.clock() - item.parked_at

    def purge_stale(self) -> list[tuple[Utterance, str]]:
        with self._lock:
            dropped = []
            for item in list(self._items.values()):
                reason = self.stale_reason(item)
                if reason:
                    del self._items[item.id]
                    dropped.append((item, reason))
            return dropped

    # ---- taking --------------------------------------------------------------------------

    def pop_next(self, pick: Pick) -> tuple[Utterance | None, list[tuple[Utterance, str]]]:
        """The next playable item (removed from the queue), chosen by ``pick`` among the
        playable ones, and the stale items dropped on the way to it."""
        with self._lock:
            dropped = self.purge_stale()
            found = self._choose(pick)
            if found is not None:
                del self._items[found.id]
            return found, dropped

    def peek_next(self, pick: Pick) -> Utterance | None:
        """The item ``pop_next`` would return, left in place (stale items are not dropped)."""
        with self._lock:
            return self._choose(pick)

    def next_wanted(self, pick: Pick) -> Utterance | None:
        """The item that would play next if every item had its audio: when it has none, the
        player is waiting for the TTS stage to deliver it."""
        with self._lock:
            heads = [i for i in self._in_turn() if not self.stale_reason(i)]
            return pick(heads) if heads else None

    def _choose(self, pick: Pick) -> Utterance | None:
        playable = [i for i in self._in_turn() if i.ready is not None and not self.stale_reason(i)]
        return pick(playable) if playable else None

    # ---- looking -------------------------------------------------------------------------

    def get(self, item_id: str) -> Utterance | None:
        with self._lock:
            return self._items.get(item_id)

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._items

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[Utterance]:
        with self._lock:
            return list(self._items.values())

    def has_ready(self) -> bool:
        with self._lock:
            return any(i.ready is not None for i in self._in_turn())

    def ordered(self, key: Callable[[Utterance], tuple]) -> list[Utterance]:
        """Every waiting item in the order ``key`` (the director's) would play it if all were ready."""
        with self._lock:
            return sorted(self._items.values(), key=key)

    def snapshot(self, key: Callable[[Utterance], tuple],
                 playing: Utterance | None = None) -> events.QueueSnapshot:
        now = self.clock()
        views = []
        items = ([playing] if playing is not None else []) + self.ordered(key)
        for item in items:
            views.append(events.QueueItemView(
                id=item.id, kind=item.request.kind, text=item.request.text,
                priority=item.priority,
                state="playing" if item is playing else item.queue_state,
                waiting_s=round(max(0.0, now - item.queued_at), 3),
                deadline=item.request.deadline,
                expires_in_s=None if item is playing else _rounded(self.expires_in(item))))
        return events.QueueSnapshot(items=tuple(views))

    # ---- internals -----------------------------------------------------------------------

    def _in_turn(self) -> list[Utterance]:
        """Items with no earlier sentence of their own group still to come (a parked item is
        always in turn: it was already playing)."""
        first: dict[str, int] = {}
        for item in self._items.values():
            group = item.request.group
            if group is not None:
                index = item.request.sentence_index
                if index < first.get(group, index + 1):
                    first[group] = index
        return [i for i in self._items.values()
                if i.request.group is None or i.interrupted or i.request.sentence_index <= first[i.request.group]]


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)
