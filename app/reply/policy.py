"""ReplyPolicy: decides what to say for each live event (design §1 "Reacts", §5a the director).

In: LiveEvents from ``live.events`` and the durable ``live.events.durable`` (group "reply");
``player.state`` for the product on air (``ProductOnAir``), what is being heard (the voice's
real speed, answers that started) and the end of the live.
Out: SpeechRequests (thanks, keyword FAQ answers) and ``PrefetchSpeech`` (the FAQ answers of the
product on air, synthesised ahead) on ``speech.requests``, ReplyJobs (questions for the LLM) on
``reply.jobs``, ``QuestionSeen`` for every viewer question and a ``Dropped`` for every event
that will not be answered, with the reason, on ``system``.

Buyers first: a question is answered by its FAQ rule (or the LLM) unless an operator limit says
no (reply rate, answer airtime budget, duplicate window, per-viewer cooldown). Thanks are pooled
and paced by their own airtime budget (``thanks.py``). The anchor's own comments are never
answered; admins' only if enabled.

The decisions on thanks are in ``policy_thanks.py``, those on comments in ``policy_questions.py``
(mixins of ``ReplyPolicy``); this module holds the state, the lifecycle, what the player says
it does, and speaking, dropping and publishing.

The logic is synchronous and clock-driven: ``handle(event, now)`` and ``tick(now)`` return what
they published, so tests drive time by hand. ``start()`` adds the bus subscriptions and a small
timer thread that calls ``tick()``; ``stop()`` removes both.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from app.bus import Bus, Inbox
from app.director import AirtimeBudget, SpeechRate
from app.events import (
    LIVE_CHANNELS,
    Channel,
    Dropped,
    LiveEvent,
    PlaybackFinished,
    PlaybackStarted,
    PrefetchSpeech,
    ProductOnAir,
    QuestionSeen,
    ReplyJob,
    SpeechRequest,
    UtteranceDropped,
)
from app.logs import get_logger
from app.recent import Recent
from app.reply.answers import AnswerDesk, Faq
from app.reply.comments import CommentGate
from app.reply.lines import LineMaker, identity
from app.reply.policy_questions import QuestionDecisions
from app.reply.policy_thanks import ThanksDecisions
from app.reply.priority import ActivityTracker
from app.reply.settings import ReplySettings
from app.reply.templates import Render, SafeRenderer
from app.reply.thanks import ThanksDesk
from app.reply.windows import Expiring, GiftAggregator, LikeMilestones
from app.text.prepare import Prepared, TextPreparer, make_request

log = get_logger("reply")

_CHANNEL_OF = {SpeechRequest: Channel.SPEECH_REQUESTS, PrefetchSpeech: Channel.SPEECH_REQUESTS,
               ReplyJob: Channel.REPLY_JOBS, Dropped: Channel.SYSTEM, QuestionSeen: Channel.SYSTEM}


class ReplyPolicy(ThanksDecisions, QuestionDecisions):
    STAGE = "reply"
    GROUP = "reply"

    def __init__(self, bus: Bus | None = None, *, settings: ReplySettings | None = None,
                 render: Render | None = None, faq: Faq | None = None,
                 mask_nickname: Callable[[str], str] = identity, prepare: TextPreparer | None = None,
                 clock: Callable[[], float] = time.time,
                 tick_interval: float = 0.1):
        self._bus = bus
        self._settings = settings or ReplySettings()
        self._lines = LineMaker(SafeRenderer(render), mask_nickname, prepare,
                                lambda: self._settings.max_nickname_chars)
        self._product: str | None = None  # the product on air: follows ProductOnAir (set_product)
        self._clock = clock
        self._tick_interval = tick_interval
        self._lock = threading.RLock()
        self._rate = SpeechRate()
        self._gifts = GiftAggregator()
        self._thanks = ThanksDesk(AirtimeBudget(self._settings.thanks_share_max), self._rate)
        self._answers = AnswerDesk(faq, AirtimeBudget(self._settings.answer_share_max), self._rate,
                                   readings=self._settings.faq_readings)
        self._likes = LikeMilestones(self._settings.like_milestones, self._settings.like_milestone_every)
        self._welcomed = Expiring()
        self._thanked_kinds = Expiring()
        self._comments = CommentGate()
        self._activity = ActivityTracker()
        self._ended = False
        self._unheard: Recent[str, tuple[AirtimeBudget, float]] = Recent(2000)  # paid, not yet heard
        self._prepared: str | None | bool = False  # product whose FAQ answers were prepared
        self.seen: Counter[str] = Counter()
        self.replies: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        self._subs: list[Inbox] = []

    # ---- operator-facing ---------------------------------------------------------------------

    @property
    def settings(self) -> ReplySettings:
        return self._settings

    @property
    def product(self) -> str | None:
        return self._product

    def set_product(self, slug: str | None, now: float | None = None) -> list[Any]:
        """The product on air changed: answers follow it, and its FAQ answers are prepared."""
        now = self._clock() if now is None else now
        out: list[Any] = []
        with self._lock:
            if (slug or None) != self._product:
                self._answers.forget_product(self._product)
            self._product = slug or None
            self._prepare(out, now)
        self._publish(out)
        return out

    def update_settings(self, new: ReplySettings) -> None:
        """Apply new options live; pending batches and combos keep going under the new rules."""
        with self._lock:
            now = self._clock()
            self._settings = new
            self._likes.configure(new.like_milestones, new.like_milestone_every)
            self._thanks.budget.set_share(new.thanks_share_max, now)
            self._answers.budget.set_share(new.answer_share_max, now)
            self._answers.readings = new.faq_readings

    def end_live(self) -> None:
        """Our room's live ended: nothing more is said, what waits is dropped."""
        with self._lock:
            self._ended = True
        self._drop_everything("live_ended")

    def counters(self) -> dict[str, Any]:
        with self._lock:
            return {
                "seen": dict(self.seen), "replies": dict(self.replies), "dropped": dict(self.dropped),
                "template_fallbacks": self._lines.render.fallbacks,
                "pending_gift_combos": len(self._gifts),
            }

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._bus is None:
            raise RuntimeError("ReplyPolicy.start() needs a bus")
        if self._subs:
            return
        # one inbox: live events (gifts and follows read in group GROUP), player state, and the
        # timer (``tick``) take turns, never at the same time
        self._subs.append(self._bus.inbox(
            "reply", {**dict.fromkeys(LIVE_CHANNELS, self._on_message), Channel.PLAYER_STATE: self.on_player_event},
            group=self.GROUP, tick=self.tick, every=lambda: self._tick_interval))
        self.set_product(self._product)

    def stop(self) -> None:
        """Close the inbox (its timer with it). What was still being collected is recorded as
        dropped ("shutdown"), not silently lost."""
        subs, self._subs = self._subs, []
        for sub in subs:
            try:
                self._bus.unsubscribe(sub)
            except Exception:
                log.exception("unsubscribe failed")
        self._drop_everything("shutdown")

    def _drop_everything(self, reason: str) -> None:
        now = self._clock()
        with self._lock:
            out: list[Any] = []
            refs = [ref for combo in self._gifts.drain() for ref in combo.msg_ids] + self._thanks.drain()
            for ref in refs:
                self._drop(out, ref, reason, now)
        self._publish(out)

    def _on_message(self, event: Any) -> None:
        if isinstance(event, LiveEvent):
            self.handle(event)

    def on_player_event(self, event: Any) -> None:
        """What the player says it does (``player.state``): the product on air, what is heard,
        what was dropped before it was heard."""
        if isinstance(event, ProductOnAir):
            self.set_product(event.slug)
        elif isinstance(event, PlaybackStarted):
            with self._lock:
                if not event.resumed and event.start_s == 0:
                    self._rate.observe(event.text, event.duration_s)
                self._answers.started(event.id, self._clock())
                self._unheard.pop(event.id, None)  # heard: the air it took is spent
        elif isinstance(event, PlaybackFinished):
            with self._lock:
                self._answers.gone(event.id)
        elif isinstance(event, UtteranceDropped):
            with self._lock:
                self._answers.gone(event.id)  # no longer waiting to be heard
                paid = self._unheard.pop(event.id, None)
                if paid is not None:  # dropped before anyone heard it: the air was not used
                    paid[0].spend(-paid[1], self._clock())

    # ---- the decisions -------------------------------------------------------------------------

    def handle(self, event: LiveEvent, now: float | None = None) -> list[Any]:
        """Decide on one live event; returns (and publishes) what was decided, including the
        lines that became due by ``now``."""
        now = self._clock() if now is None else now
        out: list[Any] = []
        with self._lock:
            self.seen[event.type] += 1
            if event.user is not None:
                self._activity.record(event.user.id)
            handler = getattr(self, f"_on_{event.type}", None)
            if self._ended:
                self._drop(out, event.msg_id, "live_ended", now)
            elif handler is None:  # stats, live_end: nothing to say; the runtime acts on them
                self._drop(out, event.msg_id, f"no_speech_for_{event.type}", now)
            else:
                handler(event, now, out)
            self._flush_due(now, out)
        self._publish(out)
        return out

    def tick(self, now: float | None = None) -> list[Any]:
        """Say the thanks that are due and the budget allows."""
        now = self._clock() if now is None else now
        out: list[Any] = []
        with self._lock:
            self._flush_due(now, out)
            s = self._settings
            self._welcomed.prune(now, s.welcome_repeat_after_s)
            self._comments.prune(now, s)
        self._publish(out)
        return out

    # ---- shared helpers ----------------------------------------------------------------------

    def _paid(self, utterance_id: str, budget: AirtimeBudget, cost: float) -> None:
        self._unheard[utterance_id] = (budget, cost)

    def _speak(self, out: list, counter: str, kind: str, spoken: Prepared, priority: int, source: str,
               now: float, stale_after: float, *, viewer: str = "", comment: str = "",
               product: str | None = None) -> str:
        request = make_request(spoken, id=self._new_id(counter), kind=kind, priority=int(priority),
                               source_event=source, deadline=now + stale_after, created_at=now,
                               product=product or self._product, viewer=viewer, comment=comment)
        out.append(request)
        self.replies[counter] += 1
        return request.id

    def _drop(self, out: list, ref: str, reason: str, now: float) -> None:
        self.dropped[reason] += 1
        out.append(Dropped(stage=self.STAGE, ref=ref, reason=reason, ts=now))

    @staticmethod
    def _new_id(kind: str) -> str:
        return f"reply-{kind}-{uuid.uuid4().hex[:12]}"

    def _publish(self, out: list) -> None:
        if self._bus is None:
            return
        for item in out:
            try:
                self._bus.publish(_CHANNEL_OF[type(item)], item)
            except Exception:  # the bus reports its own outages on system
                log.exception("publishing %s failed", type(item).__name__)
