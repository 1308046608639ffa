"""The script scheduler stage: loops the products' script segments and keeps the player fed.

It renders one segment at a time (a fresh variant reading), splits it into sentences (long ones
into clauses of ``SpeechLimits.script_clause_chars``), prepares each once (``app.text.prepare``:
filtered, its spoken forms) and publishes it as a ``SCRIPT`` SpeechRequest, only as far ahead
as ``lookahead_s`` seconds of
audio (see Lookahead): enough that the player never starves, little enough that a product
switch or a skip does not throw away minutes of synthesis.

Interruptions are the player's business: it keeps the cut item and resumes it from the cut
sentence. The scheduler keeps counting that item as outstanding and never re-sends it, so a
sentence is neither lost nor said twice.

One product on air (design §5a): the scheduler is the one owner of "the product being sold
now". It announces the product it starts with when it starts, and when a script sentence of
another product starts playing it publishes ``ProductOnAir``; replies, the LLM's facts, the FAQ
pre-synthesis, the dashboard and its own timed tasks and disclosures follow it (what is being
rendered ahead may already be the next product). A product stays on
air for ``product_dwell_passes`` readings of its segments (or ``product_dwell_minutes``); the
operator can switch (it takes effect at the next sentence end: the sentence playing is not cut)
or pin a product.

The AI-content disclosure (``disclosure_text``, every ``disclosure_every_s``) is said at the
start and then at intervals, as a line of its own that never cuts a sentence.

What is read next and how it is rendered is in ``rendering.py``; the timed tasks and the
disclosure in ``timed_lines.py`` (mixins of ``ScriptScheduler``). This module holds the state,
the bus side, the operator's switch and pin (and the rest of a segment the player skipped), and
the product on air.

Testable without threads: ``tick(now)`` does the periodic work and ``handle(event)`` takes any
bus event; ``start()``/``stop()`` add the bus subscriptions and a ticking thread.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable

from app import events
from app.content.library import ProductLibrary
from app.content.timed import TimedTask
from app.logs import get_logger
from app.script.lookahead import Lookahead
from app.script.rendering import ScriptRendering
from app.script.timed_lines import TimedLines
from app.script.timed_runner import TimedRunner
from app.text.prepare import TextPreparer
from app.text.variants import Renderer
from app.utterance import SKIPPED

log = get_logger("script")
Channel = events.Channel


class ScriptScheduler(ScriptRendering, TimedLines):
    def __init__(
        self,
        bus,
        library: ProductLibrary,
        *,
        lookahead_s: float = 30.0,
        order: str = "sequential",  # products each round: "sequential" | "shuffle"
        segment_order: str = "sequential",  # segments of a product: "sequential" | "shuffle"
        rotate_products: bool = True,  # False: stay on the current product
        seed: int | str | None = None,
        chars_per_s: float = 4.5,
        max_outstanding: int = 40,
        timed_tasks: Iterable[TimedTask] = (),
        templates=None,  # app.content.Templates, for timed tasks naming a template
        timed_deadline_s: float = 180.0,
        prepare: TextPreparer | None = None,
        start_product: str | None = None,
        product_dwell_passes: int = 1,
        product_dwell_minutes: float = 0.0,
        disclosure_text: str = "",
        disclosure_every_s: float = 0.0,
        clock: Callable[[], float] = time.time,
        tick_interval_s: float = 0.5,
    ):
        for name, value in (("order", order), ("segment_order", segment_order)):
            if value not in ("sequential", "shuffle"):
                raise ValueError(f"{name} must be 'sequential' or 'shuffle', got {value!r}")
        self.bus = bus
        self.library = library
        self.lookahead_s = lookahead_s
        self.order = order
        self.segment_order = segment_order
        self.rotate_products = rotate_products
        self.max_outstanding = max_outstanding
        self.timed_tasks = list(timed_tasks)
        self.templates = templates
        self.timed_deadline_s = timed_deadline_s
        self.prepare = prepare or TextPreparer()
        self.product_dwell_passes = max(1, product_dwell_passes)
        self.product_dwell_minutes = product_dwell_minutes
        self.disclosure_text = disclosure_text
        self.disclosure_every_s = disclosure_every_s
        self.clock = clock
        self.tick_interval_s = tick_interval_s
        self._rng = random.Random(seed)
        self._renderer = Renderer(self._rng.random())
        self._session = uuid.UUID(int=self._rng.getrandbits(128)).hex[:8] if seed is not None else uuid.uuid4().hex[:8]
        self._lock = threading.RLock()
        self._ahead = Lookahead(chars_per_s)
        self._pending: deque[events.SpeechRequest] = deque()  # rendered, not yet published
        self._product: str | None = start_product  # the product being rendered
        self._on_air: str | None = None  # the product of the script sentence heard last
        self._pinned: str | None = None
        self._passes = 0  # readings of the current product's segments finished
        self._product_since: float | None = None
        self._next_disclosure: float | None = None
        self._ended = False
        self._started_product = False
        self._segments_left: list[str] = []
        self._products_left: list[str] = []
        self._playing: str | None = None
        self._paused = False
        self._renderings = 0
        self._timed = TimedRunner()
        self._idle_reported = False
        self._subs: list = []

    # ---- public -----------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def current_product(self) -> str | None:
        return self._product

    @property
    def on_air(self) -> str | None:
        return self._on_air

    @property
    def pinned(self) -> str | None:
        return self._pinned

    def configure(self, *, lookahead_s: float, order: str, product_dwell_passes: int,
                  product_dwell_minutes: float, disclosure_text: str, disclosure_every_s: float) -> None:
        """Hot reload ([audio] lookahead_s, [script] order, [director] product_dwell_*, the
        [compliance] AI disclosure): the next tick uses them; a new disclosure interval counts
        from the last disclosure said."""
        if order not in ("sequential", "shuffle"):
            raise ValueError(f"order must be 'sequential' or 'shuffle', got {order!r}")
        with self._lock:
            if self._next_disclosure is not None:
                self._next_disclosure += disclosure_every_s - self.disclosure_every_s
            self.lookahead_s, self.order = lookahead_s, order
            self.product_dwell_passes, self.product_dwell_minutes = max(1, product_dwell_passes), product_dwell_minutes
            self.disclosure_text, self.disclosure_every_s = disclosure_text, disclosure_every_s

    def end_live(self) -> None:
        """Our room's live ended: nothing more is rendered; what waits is cancelled."""
        with self._lock:
            self._ended = True
            self._cancel([i for i in self._ahead.ids() if i != self._playing], "live ended")
            self._pending.clear()

    def ahead_s(self, now: float | None = None) -> float:
        with self._lock:
            return self._ahead.ahead_s(self.clock() if now is None else now)

    def start(self) -> None:
        # one inbox: the events and the look-ahead timer (``tick``) take turns, never at once
        self._subs = [self.bus.inbox("script", (Channel.SPEECH_READY, Channel.PLAYER_STATE, Channel.CONTROL),
                                     self.handle, tick=self.tick, every=lambda: self.tick_interval_s)]
        self.announce_start()

    def stop(self) -> None:
        for sub in self._subs:
            self.bus.unsubscribe(sub)
        self._subs = []

    def tick(self, now: float | None = None) -> None:
        """Say due timed tasks and top the look-ahead up."""
        now = self.clock() if now is None else now
        with self._lock:
            if self._paused or self._ended:
                return
            self._run_timed(now)
            self._say_disclosure(now)
            self._top_up(now)

    def handle(self, event) -> None:
        """Any event from speech.ready, player.state or control."""
        now = self.clock()
        with self._lock:
            ahead = self._ahead
            if isinstance(event, events.SpeechReady):
                ahead.ready(event.request.id, event.duration_s)
            elif isinstance(event, events.SpeechFailed):
                ahead.remove(event.request.id)
            elif isinstance(event, events.PlaybackStarted):
                self._playing = event.id
                ahead.started(event.id, now, event.start_s, event.duration_s)
                self._heard(event.id, now)
            elif isinstance(event, events.PlaybackResumed):
                self._playing = event.id
                ahead.started(event.id, now, event.position_s, 0.0)
            elif isinstance(event, events.PlaybackInterrupted):
                ahead.stopped(event.id, event.position_s)
                if self._playing == event.id:
                    self._playing = None
            elif isinstance(event, (events.PlaybackFinished, events.UtteranceDropped)):
                skipped = self._skipped_group(event)
                ahead.remove(event.id)
                if self._playing == event.id:
                    self._playing = None
                if skipped is not None:
                    self._skip(skipped)
            elif isinstance(event, events.CancelSpeech):
                for req_id in event.ids:
                    ahead.remove(req_id)
            elif isinstance(event, events.ClearQueue):
                for req_id, _item in list(ahead.items.items()):
                    if req_id != self._playing:
                        ahead.remove(req_id)
            elif isinstance(event, events.Pause):
                self._paused = True
                ahead.freeze(now)
                return
            elif isinstance(event, events.Resume):
                if self._paused:
                    self._paused = False
                    ahead.thaw(now, self._playing)
                    self._timed.postpone(now)
            elif isinstance(event, events.SwitchProduct):
                self._switch(event.slug)
            elif isinstance(event, events.PinProduct):
                self._pin(event.slug, now)
            else:
                return
            if not self._paused and not self._ended:
                self._top_up(now)

    # ---- control ----------------------------------------------------------------------------

    def _skipped_group(self, event) -> str | None:
        """The segment of a script line of ours the operator's 跳过 stopped. The player decides
        what a skip covers (the line playing, and for the script the rest of its segment) and
        says so with an UtteranceDropped; the scheduler follows, so skipping an answer never
        drops the script, whatever was playing when the button was pressed."""
        if not isinstance(event, events.UtteranceDropped) or not event.reason.startswith(SKIPPED):
            return None
        item = self._ahead.items.get(event.id)
        return item.request.group if item is not None else None

    def _skip(self, group: str) -> None:
        """Drop the rest of a skipped segment: what is ahead (the player drops what it holds
        itself, this reaches the TTS stage) and what was not sent yet."""
        self._cancel(self._ahead.ids(group=group), SKIPPED)
        self._pending = deque(r for r in self._pending if r.group != group)

    def _switch(self, slug: str) -> None:
        product = self.library.get(slug)
        if product is None or not product.speakable_segments:
            why = "no such product" if product is None else "it has no speakable segment"
            self._report(f"cannot switch to product {slug!r}: {why}")
            return
        self._cancel([i for i in self._ahead.ids() if i != self._playing], f"switch to {slug}")
        self._pending.clear()
        self._product = slug
        self._started_product = True
        self._passes = 0
        self._product_since = self.clock()
        self._segments_left = self._segment_names(product)
        order = [p.slug for p in self._speakable_products()]
        self._products_left = order[order.index(slug) + 1:] if slug in order else []

    def _pin(self, slug: str | None, now: float) -> None:
        """Stay on ``slug`` (switching to it first) until unpinned; ``None`` unpins."""
        if slug is None:
            self._pinned = None
            self._announce(now)
            return
        if self.library.get(slug) is None:
            self._report(f"cannot pin product {slug!r}: no such product")
            return
        self._pinned = slug
        if slug != self._product:
            self._switch(slug)
        self._announce(now)

    def announce_start(self, now: float | None = None) -> None:
        """The product the room starts with is on air from the start: replies and the dashboard
        follow it before the first script sentence is heard."""
        with self._lock:
            if self._on_air is not None:
                return
            first = self._product or next((p.slug for p in self._speakable_products()), None)
            if first is not None:
                self._on_air = first
                self._announce(self.clock() if now is None else now)

    def _heard(self, req_id: str, now: float) -> None:
        """A sentence of ours started playing: its product is the one on air now."""
        item = self._ahead.items.get(req_id)
        if item is None or item.request.kind != "script":
            return
        if item.request.product != self._on_air:
            self._on_air = item.request.product
            self._announce(now)

    def _announce(self, now: float) -> None:
        product = self.library.get(self._on_air) if self._on_air else None
        self.bus.publish(Channel.PLAYER_STATE, events.ProductOnAir(
            slug=self._on_air, name=product.name if product else "", pinned=self._pinned is not None
            and self._pinned == self._on_air, ts=now))

    def _cancel(self, ids: list[str], reason: str) -> None:
        for req_id in ids:
            self._ahead.remove(req_id)
        if ids:
            self.bus.publish(Channel.CONTROL, events.CancelSpeech(ids=tuple(ids), reason=reason))

    def _report(self, message: str) -> None:
        log.warning("%s", message)
        self.bus.publish(Channel.SYSTEM, events.ErrorReport(component="script", message=message, ts=self.clock()))
