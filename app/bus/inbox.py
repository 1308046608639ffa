"""One ordered inbox per stage, and the few delivery threads that run them.

An ``Inbox`` is a stage's mailbox: every channel the stage listens on feeds ONE queue, so the
stage sees each channel in publish order and its handlers (and its timer, ``tick``) never run
at the same time as each other. Operator commands (channel ``control``) wait on a lane of
their own that is served first, as pipecat serves its system frames before data frames: a
Pause that arrives while clips are still waiting is handled before them.

Inboxes do not own threads. The ``Dispatcher`` runs every inbox of a bus on a small set of
delivery threads ("bus-deliver-N"), one inbox on one thread at a time. A quiet room needs one
such thread. A handler that keeps its thread longer than ``patience`` while other inboxes wait
makes the dispatcher start another one, so a slow or stuck stage never holds the others; a
surplus thread ends after ``keep_alive`` idle seconds. Timers and that watch are driven by the
bus's own clock (``step()``): the Redis backend calls it from its I/O loop, the in-process
backend from a small clock thread.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from app.events import Channel
from app.logs import get_logger

log = get_logger("bus")

Handler = Callable[[Any], None]
#: How many messages one inbox handles before it lets the next inbox have the thread (a turn
#: stays a few milliseconds even when a flood fills every inbox).
BATCH = 64

_IDLE, _READY, _RUNNING = 0, 1, 2


class Inbox:
    """A stage's channels through one queue: see the module docstring.

    ``routes`` maps each channel to its handler. ``group``: on durable channels, the consumer
    group this inbox reads in (each message to one member of the group, acknowledged after its
    handler returned or raised); without a group a durable channel is read from the moment of
    subscribing. ``tick``: called on the inbox's turn every ``every`` seconds (a number, or a
    callable read each time, so a live setting can change it)."""

    _ids = itertools.count(1)

    def __init__(self, name: str, routes: Mapping[str, Handler], dispatcher: Dispatcher, *,
                 group: str | None = None, tick: Callable[[], Any] | None = None,
                 every: float | Callable[[], float] | None = None, control_first: bool = True):
        if not routes and tick is None:
            raise ValueError(f"inbox {name!r}: no channel and no tick")
        if tick is not None and every is None:
            raise ValueError(f"inbox {name!r}: a tick needs 'every' (seconds)")
        self.id = next(self._ids)
        self.name = name
        self.routes = dict(routes)
        self.channels = frozenset(self.routes)
        self.group = group
        self.tick = tick
        self.every = every
        self.control_first = control_first
        self.delivered = 0
        self.failures = 0
        self.ack: Callable[[list], None] | None = None  # set by the backend for durable groups
        self._dispatcher = dispatcher
        self._lock = threading.Lock()
        self._control: deque = deque()
        self._main: deque = deque()
        self._state = _IDLE
        self._tick_due = False
        self._running_on: int | None = None
        self.closing = False  # takes nothing more; handles what it has
        self.closed = False  # handles nothing more
        self._done = threading.Event()

    # ---- producers (transport threads) ------------------------------------------------------

    def put(self, channel: str, event: Any, tag: Any = None) -> None:
        self.put_many(channel, [(event, tag)])

    def put_many(self, channel: str, items: list[tuple[Any, Any]]) -> None:
        """Queue (event, tag) pairs of one channel, in order; one wake-up for the lot."""
        if channel not in self.routes or not items:
            return
        urgent = self.control_first and channel == Channel.CONTROL
        lane = self._control if urgent else self._main
        # the channel, not its handler, rides with the message: one handler may serve several
        # channels, and what is left at close must go back to its own channel's group
        entries = [(channel, event, tag) for event, tag in items]
        with self._lock:
            if self.closing:
                return
            lane.extend(entries)
            state = self._state
            if state == _IDLE:
                self._state = _READY
        if state == _IDLE:
            self._dispatcher.schedule(self, first=urgent)
        elif urgent and state == _READY:
            self._dispatcher.expedite(self)

    def request_tick(self) -> None:
        with self._lock:
            if self.closing:
                return
            self._tick_due = True
            wake = self._state == _IDLE
            if wake:
                self._state = _READY
        if wake:
            self._dispatcher.schedule(self)

    @property
    def waiting(self) -> int:
        return len(self._control) + len(self._main)

    # ---- the delivery thread's turn ---------------------------------------------------------

    def run_turn(self) -> None:
        """Handle up to ``BATCH`` messages (control lane first), then the tick if it is due;
        acknowledge what was handled; give the thread back."""
        with self._lock:
            self._state = _RUNNING
            self._running_on = threading.get_ident()
        control, main = self._control, self._main
        acks: list = []
        try:
            for _ in range(BATCH):
                if self.closed:
                    break
                try:
                    channel, event, tag = control.popleft()
                except IndexError:
                    try:
                        channel, event, tag = main.popleft()
                    except IndexError:
                        break
                try:
                    self.routes[channel](event)
                    self.delivered += 1
                except Exception:  # a bad handler must not stop delivery to it or to others
                    self.failures += 1
                    log.exception("inbox %s: handler raised on %s", self.name, type(event).__name__)
                if tag is not None:
                    acks.append(tag)  # after the handler returned or raised: no poison loops
            if acks and self.ack is not None:
                try:
                    self.ack(acks)
                except Exception:
                    log.exception("inbox %s: acknowledging %d messages failed", self.name, len(acks))
            if self._tick_due and not self.closing and not control:
                self._tick_due = False
                self._run_tick()
        finally:
            with self._lock:
                more = not self.closed and bool(control or main or (self._tick_due and not self.closing))
                self._state = _READY if more else _IDLE
                self._running_on = None
                if not more and self.closing:
                    self.closed = True
                    self._done.set()
            if more:
                self._dispatcher.schedule(self, first=bool(control))

    def _run_tick(self) -> None:
        try:
            self.tick()
        except Exception:  # the timer must outlive one bad tick
            self.failures += 1
            log.exception("inbox %s: tick failed", self.name)
        self._dispatcher.arm(self, self.tick_interval())

    def tick_interval(self) -> float:
        every = self.every() if callable(self.every) else self.every
        return max(0.001, float(every or 0.0))

    # ---- closing ----------------------------------------------------------------------------

    def close(self, timeout: float = 2.0) -> list[tuple[str, Any, Any]]:
        """Take nothing more; handle what already arrived (a recorder keeps the last row), up
        to ``timeout`` (from a handler of this inbox itself: later turns do it). Returns what
        was left unhandled as (channel, event, tag), so a backend can hand unacknowledged group
        messages to another member."""
        with self._lock:
            self.closing = True
            if self._state == _IDLE:
                self.closed = True
                self._done.set()
        if self._running_on == threading.get_ident():
            return []
        if not self._done.wait(timeout):
            log.warning("inbox %s: still busy %.1f s after the stage stopped; the rest is dropped",
                        self.name, timeout)
        with self._lock:
            self.closed = True
            self._done.set()
            left = [*self._control, *self._main]
            self._control.clear()
            self._main.clear()
        return left

    def __repr__(self) -> str:
        return f"<Inbox {self.name} {sorted(self.channels)} group={self.group}>"


class _Worker:
    __slots__ = ("thread", "busy_since", "inbox")

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.busy_since: float | None = None
        self.inbox: Inbox | None = None


class Dispatcher:
    """Runs inboxes on delivery threads; see the module docstring."""

    def __init__(self, name: str = "bus", *, patience: float = 0.1, keep_alive: float = 2.0,
                 max_threads: int = 32, clock: Callable[[], float] = time.monotonic):
        self.name = name
        self.patience = patience
        self.keep_alive = keep_alive
        self.max_threads = max_threads
        self.clock = clock
        self.on_timer: Callable[[], None] | None = None  # the driver's "step() earlier" hook
        self._cond = threading.Condition()
        self._ready: deque[Inbox] = deque()
        self._workers: list[_Worker] = []
        self._idle = 0
        self._timers: list[tuple[float, int, Inbox]] = []
        self._seq = itertools.count()
        self._numbers = itertools.count(1)
        self._closed = False
        self.threads_started = 0

    def schedule(self, inbox: Inbox, *, first: bool = False) -> None:
        """``inbox`` has work; ``first``: an operator command waits in it, it goes before the
        other inboxes that wait."""
        with self._cond:
            if self._closed:
                return
            if first:
                self._ready.appendleft(inbox)
            else:
                self._ready.append(inbox)
            if self._idle:
                self._cond.notify()
            elif not self._workers:
                self._spawn()

    def expedite(self, inbox: Inbox) -> None:
        """An operator command reached ``inbox`` while it waits for a thread: to the front."""
        with self._cond:
            try:
                self._ready.remove(inbox)
            except ValueError:
                return  # its turn has begun meanwhile: the control lane goes first within it
            self._ready.appendleft(inbox)

    def arm(self, inbox: Inbox, delay: float) -> None:
        """Give ``inbox`` a tick in ``delay`` seconds."""
        due = self.clock() + delay
        with self._cond:
            if self._closed:
                return
            earliest = not self._timers or due < self._timers[0][0]
            heapq.heappush(self._timers, (due, next(self._seq), inbox))
        if earliest and self.on_timer is not None:
            self.on_timer()

    def step(self) -> float:
        """The bus clock: fire due ticks, start a thread if every one is held too long while
        inboxes wait. Returns the seconds until it wants to be called again."""
        now = self.clock()
        due: list[Inbox] = []
        with self._cond:
            while self._timers and self._timers[0][0] <= now:
                due.append(heapq.heappop(self._timers)[2])
            busy = [w.busy_since for w in self._workers if w.busy_since is not None]
            stuck = bool(self._ready) and not self._idle and busy and now - max(busy) >= self.patience
            if stuck and len(self._workers) < self.max_threads and not self._closed:
                held = ", ".join(sorted({w.inbox.name for w in self._workers if w.inbox is not None}))
                log.info("bus: every delivery thread busy for %.0f ms (%s); starting another",
                         (now - max(busy)) * 1000, held)
                self._spawn()
            wait = self._timers[0][0] - now if self._timers else 1.0
            if self._ready or busy:
                wait = min(wait, self.patience / 2)
        for inbox in due:
            if not inbox.closed:
                inbox.request_tick()
        return max(0.001, wait)

    def _spawn(self) -> None:  # holding _cond
        worker = _Worker()
        worker.thread = threading.Thread(target=self._work, args=(worker,),
                                         name=f"{self.name}-deliver-{next(self._numbers)}", daemon=True)
        self._workers.append(worker)
        self.threads_started += 1
        worker.thread.start()

    def _work(self, me: _Worker) -> None:
        cond = self._cond
        while True:
            with cond:
                while not self._ready:
                    if self._closed:
                        self._workers.remove(me)
                        return
                    self._idle += 1
                    woken = cond.wait(self.keep_alive)
                    self._idle -= 1
                    if not woken and not self._ready and len(self._workers) > 1:
                        self._workers.remove(me)  # a surplus thread, idle long enough: retire
                        return
                inbox = self._ready.popleft()
                me.busy_since = self.clock()
                me.inbox = inbox
            try:
                inbox.run_turn()
            except BaseException:  # run_turn catches handler errors; this is a bug in it
                log.exception("bus: delivery to inbox %s failed", inbox.name)
            with cond:
                me.busy_since = None
                me.inbox = None

    @property
    def threads(self) -> int:
        with self._cond:
            return len(self._workers)

    def close(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._closed = True
            self._ready.clear()
            self._timers.clear()
            workers = list(self._workers)
            self._cond.notify_all()
        end = time.monotonic() + timeout
        for w in workers:
            if w.thread is not None and w.thread is not threading.current_thread():
                w.thread.join(max(0.0, end - time.monotonic()))


def make_inbox(dispatcher: Dispatcher, name: str, routes: Mapping[str, Handler] | Iterable[str],
               handler: Handler | None = None, **kw: Any) -> Inbox:
    """``routes`` as a mapping, or channels plus one ``handler`` for all of them."""
    if not isinstance(routes, Mapping):
        if handler is None:
            raise ValueError(f"inbox {name!r}: channels given without a handler")
        routes = dict.fromkeys(routes, handler)
    elif handler is not None:
        raise ValueError(f"inbox {name!r}: give a mapping of handlers or one handler, not both")
    return Inbox(name, routes, dispatcher, **kw)
