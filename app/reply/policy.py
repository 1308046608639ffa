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
    Priority,
    ProductOnAir,
    QuestionSeen,
    ReplyJob,
    SpeechRequest,
    User,
    UtteranceDropped,
)
from app.logs import get_logger
from app.recent import Recent
from app.reply.answers import NICKNAME_SLOT, AnswerDesk, Faq, FaqMatch
from app.reply.comments import CommentGate
from app.reply.lines import LineMaker, identity
from app.reply.priority import ActivityTracker, dynamic_priority, is_vip
from app.reply.settings import ReplySettings
from app.reply.templates import Render, SafeRenderer
from app.reply.thanks import Line, ThanksDesk, gift_line
from app.reply.windows import Expiring, GiftAggregator, LikeMilestones, Named
from app.text.prepare import Prepared, TextPreparer, make_request

log = get_logger("reply")

_CHANNEL_OF = {SpeechRequest: Channel.SPEECH_REQUESTS, PrefetchSpeech: Channel.SPEECH_REQUESTS,
               ReplyJob: Channel.REPLY_JOBS, Dropped: Channel.SYSTEM, QuestionSeen: Channel.SYSTEM}

#: Lowest priority a small thank-you may reach with bonuses: never above a buyer's question.
THANKS_FLOOR = Priority.COMMENT_IMPORTANT + 1


class ReplyPolicy:
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

    def _flush_due(self, now: float, out: list) -> None:
        if self._ended:
            return
        s = self._settings
        small = []
        for combo in self._gifts.due(now, s.gift_window_s, s.gift_max_wait_s, s.large_gift_diamonds,
                                     s.large_gift_window_s):
            if self._is_large(combo.value):
                self._say_line(gift_line(combo, "gift_large", now), now, out, forced=True)
            else:
                small.append(combo)
        self._thanks.add_gifts(small, now)
        for ref, reason in self._thanks.expire(now, s):
            self._drop(out, ref, reason, now)
        for line in self._thanks.candidates(now, s):
            if not self._say_line(line, now, out):
                break  # the budget is spent: the rest wait (and gather more names)

    # gifts -----------------------------------------------------------------------------------

    def _on_gift(self, event: LiveEvent, now: float, out: list) -> None:
        s = self._settings
        if event.gift is None or event.gift.count <= 0:
            return self._drop(out, event.msg_id, "malformed_gift", now)
        if not s.gift_thanks:
            return self._drop(out, event.msg_id, "gift_thanks_off", now)
        if event.gift.to_user and s.guest_gift_thanks == "off":
            return self._drop(out, event.msg_id, "gift_to_guest", now)
        self._gifts.add(event, now)

    def _is_large(self, value: int) -> bool:
        threshold = self._settings.large_gift_diamonds
        return threshold > 0 and value >= threshold

    # viewers entering, following -------------------------------------------------------------

    def _on_enter(self, event: LiveEvent, now: float, out: list) -> None:
        s = self._settings
        if not s.welcome:
            return self._drop(out, event.msg_id, "welcome_disabled", now)
        if event.user is None:
            return self._drop(out, event.msg_id, "no_user", now)
        uid = event.user.id
        if self._thanks.welcomes.pending(uid) or self._welcomed.within(uid, now, s.welcome_repeat_after_s):
            return self._drop(out, event.msg_id, "welcome_repeat", now)
        for evicted in self._thanks.welcomes.add(Named(event.user, event.msg_id), now, s.welcome_max_names):
            self._drop(out, evicted.msg_id, "welcome_batch_full", now)

    def _on_follow(self, event: LiveEvent, now: float, out: list) -> None:
        s = self._settings
        if not s.follow_thanks:
            return self._drop(out, event.msg_id, "follow_disabled", now)
        if event.user is None:
            return self._drop(out, event.msg_id, "no_user", now)
        if self._thanks.follows.pending(event.user.id):
            return self._drop(out, event.msg_id, "follow_repeat", now)
        for evicted in self._thanks.follows.add(Named(event.user, event.msg_id), now, s.follow_max_names):
            self._drop(out, evicted.msg_id, "follow_batch_full", now)

    # likes, shares, fans club ----------------------------------------------------------------

    def _on_like(self, event: LiveEvent, now: float, out: list) -> None:
        if event.like is None:
            return self._drop(out, event.msg_id, "malformed_like", now)
        milestone = self._likes.observe(event.like.total, event.like.count)
        if milestone is None:
            return self._drop(out, event.msg_id, "like_no_milestone", now)
        line = Line("like", "like", "like_milestone", [event.user], {"likes": milestone}, [event.msg_id],
                    Priority.NORMAL, now)
        self._thanks.add_single(line, self._settings.stale_like_s)

    def _on_share(self, event: LiveEvent, now: float, out: list) -> None:
        self._thank_once_in_a_while(event, "share", "share_thanks", self._settings.share_thanks, {}, now, out)

    def _on_fansclub(self, event: LiveEvent, now: float, out: list) -> None:
        club = event.fansclub
        if club is not None and club.action == "upgrade":  # a level upgrade is not a join
            self._thank_once_in_a_while(event, "fansclub", "fansclub_upgrade", self._settings.fansclub_thanks,
                                        {"level": club.level}, now, out)
        else:
            self._thank_once_in_a_while(event, "fansclub", "fansclub_thanks", self._settings.fansclub_thanks,
                                        {}, now, out)

    def _thank_once_in_a_while(self, event: LiveEvent, what: str, template: str, enabled: bool, values: dict,
                               now: float, out: list) -> None:
        if not enabled:
            return self._drop(out, event.msg_id, f"{what}_thanks_off", now)
        if self._thanked_kinds.within(what, now, self._settings.thanks_min_interval_s):
            return self._drop(out, event.msg_id, f"{what}_thanks_cooldown", now)
        self._thanked_kinds.mark(what, now)
        line = Line(what, what, template, [event.user], values, [event.msg_id], Priority.NORMAL, now)
        self._thanks.add_single(line, self._settings.stale_follow_s)

    # comments --------------------------------------------------------------------------------

    def _on_comment(self, event: LiveEvent, now: float, out: list) -> None:
        s = self._settings
        u = event.user
        if u is not None and u.is_anchor:
            return self._drop(out, event.msg_id, "anchor_comment", now)
        if u is not None and u.is_admin and not s.answer_admins:
            return self._drop(out, event.msg_id, "admin_comment", now)
        text = event.text.strip()
        uid = u.id if u else ""
        match = self._find_rule(text)
        question = match is not None
        reason = self._comments.screen(text, uid, self._product, now, s, has_rule=question)
        if reason == "not_a_question" or reason == "empty_comment":
            return self._drop(out, event.msg_id, reason, now)
        nickname = self._lines.name(u, s.fallback_nickname)
        if reason is None and match is not None:
            reason = self._answer_by_rule(event, match, nickname, now, out)
        elif reason is None:
            reason = self._answer_by_llm(event, nickname, now, out)
        if reason is not None:
            out.append(QuestionSeen(msg_id=event.msg_id, ts=event.ts or now, viewer=nickname, text=text,
                                    product=self._product, reason=reason))
            return self._drop(out, event.msg_id, reason, now)
        self._comments.answered(text, uid, self._product, now)

    def _answer_by_rule(self, event: LiveEvent, match: FaqMatch, nickname: str, now: float,
                        out: list) -> str | None:
        """None when answered (or joined to an answer waiting to be heard), else why not."""
        s = self._settings
        text = event.text.strip()
        waiting = self._answers.waiting_answer(match)
        if waiting is not None:  # the same answer is about to be said: it answers this buyer too
            self.replies["rule_joined"] += 1
            out.append(QuestionSeen(msg_id=event.msg_id, ts=event.ts or now, viewer=nickname, text=text,
                                    product=match.product, answer="rule", answer_id=waiting))
            return None
        reading, ahead = self._answers.reading(match)
        spoken = self._lines.check(reading.replace(NICKNAME_SLOT, nickname))
        if not spoken.ok:
            return spoken.reason
        cost = self._answers.cost(spoken.text)
        if self._answers.queue_wait(now) > s.answer_wait_max_s:
            return "answer_queue"
        if not self._answers.budget.allows(cost, now):
            return "answer_budget"
        self._answers.budget.spend(cost, now)
        priority = self._comment_priority(match.priority, event.user)
        answer_id = self._speak(out, "rule", "reply", spoken, priority, event.msg_id, now, s.stale_reply_s,
                                viewer=nickname, comment=text, product=match.product)
        self._paid(answer_id, self._answers.budget, cost)
        self._answers.answering(match, answer_id)
        self._answers.on_the_way(answer_id, cost, now + s.stale_reply_s)
        out.append(QuestionSeen(msg_id=event.msg_id, ts=event.ts or now, viewer=nickname, text=text,
                                product=match.product, answer="rule", answer_id=answer_id))
        self._prefetch(ahead, out)
        return None

    def _answer_by_llm(self, event: LiveEvent, nickname: str, now: float, out: list) -> str | None:
        s = self._settings
        if self._answers.queue_wait(now) > s.answer_wait_max_s:
            return "answer_queue"
        if not self._answers.budget.allows(s.llm_answer_estimate_s, now):
            return "answer_budget"
        self._answers.budget.spend(s.llm_answer_estimate_s, now)
        text = event.text.strip()
        priority = self._comment_priority(Priority.COMMENT_IMPORTANT, event.user)
        job = ReplyJob(id=self._new_id("llm"), question=text, nickname=nickname, product=self._product,
                       priority=priority, deadline=now + s.stale_llm_s, source_event=event.msg_id)
        out.append(job)
        self._answers.on_the_way(job.id, s.llm_answer_estimate_s, job.deadline)
        out.append(QuestionSeen(msg_id=event.msg_id, ts=event.ts or now, viewer=nickname, text=text,
                                product=self._product, answer="llm", answer_id=job.id))
        self.replies["llm"] += 1
        return None

    def _find_rule(self, text: str) -> FaqMatch | None:
        try:
            return self._answers.match(text, self._product)
        except Exception:  # a broken rule set must not stop questions reaching the LLM
            log.exception("keyword rule matching failed for %r", text)
            self.dropped["rule_error"] += 1  # counted, the comment itself goes on
            return None

    def _comment_priority(self, base: int, user: User | None) -> int:
        priority = dynamic_priority(base, [user], self._activity, self._settings, floor=Priority.USER_VIP)
        return min(priority, Priority.USER_VIP) if is_vip(user, self._settings) else priority

    def _prepare(self, out: list, now: float) -> None:
        """The FAQ answers of the product on air, rendered and sent to be synthesised ahead."""
        if self._prepared == self._product:
            return
        self._prepared = self._product
        try:
            ahead = self._answers.prepare(self._product)
        except Exception:  # a broken FAQ template must not stop the product going on air
            log.exception("preparing the FAQ answers of %r failed", self._product)
            return
        self._prefetch(ahead, out)

    def _prefetch(self, texts: list[str], out: list) -> None:
        """Prepared as an answer is (same filter, same split, same spoken forms), so the answer's
        sentences are found in the TTS cache."""
        prepared = [p for p in map(self._lines.check, texts) if p.ok]
        if prepared:
            out.append(PrefetchSpeech(texts=tuple(dict.fromkeys(p.text for p in prepared)),
                                      sentences=tuple(dict.fromkeys(s for p in prepared for s in p.sentences)),
                                      product=self._product))

    # ---- shared helpers ----------------------------------------------------------------------

    def _say_line(self, line: Line, now: float, out: list, *, forced: bool = False) -> bool:
        """Render and say a thank-you if the budget allows (or it is ``forced``); False when it
        must wait."""
        s = self._settings
        viewers = self._lines.names(line.users, s.fallback_nickname)
        spoken = self._lines.line_naming(line.template, viewers, s.fallback_nickname,
                                         product=self._product or "", **line.values)
        if not spoken.ok:
            if not forced:
                self._thanks.take(line, now)
            for ref in line.refs:
                self._drop(out, ref, spoken.reason, now)
            return True
        cost = self._thanks.cost(spoken.text)
        if not forced and not self._thanks.budget.allows(cost, now):
            return False
        if not forced:
            self._thanks.take(line, now)
        self._thanks.budget.spend(cost, now)
        if line.category == "welcome":
            for u in line.users:
                if u is not None:
                    self._welcomed.mark(u.id, now)
        floor = Priority.GIFT_LARGE if line.category == "gift_large" else THANKS_FLOOR
        priority = dynamic_priority(line.base_priority, line.users, self._activity, s, floor=floor)
        said = self._speak(out, line.category, line.kind, spoken, priority, line.refs[-1], now,
                           s.stale_after(line.kind), viewer=viewers)
        self._paid(said, self._thanks.budget, cost)
        return True

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
