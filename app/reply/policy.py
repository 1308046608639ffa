"""ReplyPolicy: decides what to say for each live event (design §1 "Reacts", §5 priorities).

In: LiveEvents from ``live.events`` and the durable ``live.events.durable`` (group "reply").
Out: SpeechRequests (gift/welcome/follow/like thanks, keyword-rule answers) on
``speech.requests``, ReplyJobs (questions for the LLM) on ``reply.jobs``, and a ``Dropped``
on ``system`` for every event that will not be answered, with the reason.

The logic is synchronous and clock-driven: ``handle(event, now)`` and ``tick(now)`` return what
they published, so tests drive time by hand. ``start()`` adds the bus subscriptions and a small
timer thread that calls ``tick()``; ``stop()`` removes both.

``source_event`` of an aggregated line (a gift combo, a batched welcome) is the msg_id of the
last event merged into it: the one that completed it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from app.bus.base import Bus, Subscription
from app.events import (
    LIVE_CHANNELS,
    Channel,
    Dropped,
    LiveEvent,
    Priority,
    ReplyJob,
    SpeechRequest,
    User,
)
from app.logs import get_logger
from app.reply.comments import CommentGate
from app.reply.lines import LineMaker, identity
from app.reply.priority import ActivityTracker, dynamic_priority, is_vip
from app.reply.settings import ReplySettings
from app.reply.templates import Render, SafeRenderer
from app.reply.windows import (
    Expiring,
    GiftAggregator,
    GiftCombo,
    GiftThanksPacer,
    LikeMilestones,
    NameBatcher,
    Named,
)

log = get_logger("reply")

RuleMatcher = Callable[[str, "str | None"], "tuple[str, int] | None"]
POOLED_NAMES = 3  # names spoken in one pooled gift thanks ("感谢A、B、C等8位家人送的礼物")
_CHANNEL_OF = {SpeechRequest: Channel.SPEECH_REQUESTS, ReplyJob: Channel.REPLY_JOBS, Dropped: Channel.SYSTEM}


class ReplyPolicy:
    STAGE = "reply"
    GROUP = "reply"

    def __init__(self, bus: Bus | None = None, *, settings: ReplySettings | None = None,
                 render: Render | None = None, match_rule: RuleMatcher | None = None,
                 mask_nickname: Callable[[str], str] = identity,
                 text_filter: Callable[[str], str | None] = identity,
                 product: str | None = None, clock: Callable[[], float] = time.time,
                 tick_interval: float = 0.1):
        self._bus = bus
        self._settings = settings or ReplySettings()
        self._lines = LineMaker(SafeRenderer(render), mask_nickname, text_filter,
                                lambda: self._settings.max_nickname_chars)
        self._match_rule = match_rule
        self._product = product
        self._clock = clock
        self._tick_interval = tick_interval
        self._lock = threading.RLock()
        self._gifts = GiftAggregator()
        self._gift_pace = GiftThanksPacer()
        self._welcomes = NameBatcher()
        self._follows = NameBatcher()
        self._likes = LikeMilestones(self._settings.like_milestones, self._settings.like_milestone_every)
        self._welcomed = Expiring()
        self._thanked_kinds = Expiring()
        self._comments = CommentGate()
        self._activity = ActivityTracker()
        self.seen: Counter[str] = Counter()
        self.replies: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        self._subs: list[Subscription] = []
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None

    # ---- operator-facing ---------------------------------------------------------------------

    @property
    def settings(self) -> ReplySettings:
        return self._settings

    @property
    def product(self) -> str | None:
        return self._product

    def set_product(self, slug: str | None) -> None:
        with self._lock:
            self._product = slug or None

    def update_settings(self, new: ReplySettings) -> None:
        """Apply new options live; pending batches and combos keep going under the new rules."""
        with self._lock:
            self._settings = new
            self._likes.configure(new.like_milestones, new.like_milestone_every)

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
        if self._timer is not None:
            return
        self._stop.clear()
        for channel in LIVE_CHANNELS:
            group = self.GROUP if channel == Channel.LIVE_DURABLE else None
            self._subs.append(self._bus.subscribe(channel, self._on_message, group=group))
        self._timer = threading.Thread(target=self._run_timer, name="reply-timer", daemon=True)
        self._timer.start()

    def stop(self) -> None:
        """Unsubscribe and end the timer thread. What was still being collected is recorded as
        dropped ("shutdown"), not silently lost."""
        subs, self._subs = self._subs, []
        for sub in subs:
            try:
                self._bus.unsubscribe(sub)
            except Exception:
                log.exception("unsubscribe failed")
        self._stop.set()
        if self._timer is not None:
            self._timer.join(timeout=2.0)
            self._timer = None
        now = self._clock()
        with self._lock:
            out: list[Any] = []
            for combo in self._gifts.drain() + self._gift_pace.drain():
                for ref in combo.msg_ids:
                    self._drop(out, ref, "shutdown", now)
            for named in self._welcomes.drain() + self._follows.drain():
                self._drop(out, named.msg_id, "shutdown", now)
        self._publish(out)

    def _run_timer(self) -> None:
        while not self._stop.wait(self._tick_interval):
            try:
                self.tick()
            except Exception:  # the timer must outlive one bad tick
                log.exception("reply tick failed")

    def _on_message(self, event: Any) -> None:
        if isinstance(event, LiveEvent):
            self.handle(event)

    # ---- the decisions -------------------------------------------------------------------------

    def handle(self, event: LiveEvent, now: float | None = None) -> list[Any]:
        """Decide on one live event; returns (and publishes) what was decided, including the
        lines of windows that closed by ``now``."""
        now = self._clock() if now is None else now
        out: list[Any] = []
        with self._lock:
            self.seen[event.type] += 1
            if event.user is not None:
                self._activity.record(event.user.id)
            handler = getattr(self, f"_on_{event.type}", None)
            if handler is None:  # stats, live_end: nothing to say; the runtime acts on them
                self._drop(out, event.msg_id, f"no_speech_for_{event.type}", now)
            else:
                handler(event, now, out)
            self._flush_due(now, out)
        self._publish(out)
        return out

    def tick(self, now: float | None = None) -> list[Any]:
        """Close the windows that are due (gift combos, welcome/follow batches)."""
        now = self._clock() if now is None else now
        out: list[Any] = []
        with self._lock:
            self._flush_due(now, out)
            s = self._settings
            self._welcomed.prune(now, s.welcome_repeat_after)
            self._comments.prune(now, s)
        self._publish(out)
        return out

    def _flush_due(self, now: float, out: list) -> None:
        s = self._settings
        for combo in self._gifts.due(now, s.gift_window, s.gift_max_wait):
            if self._is_large(combo) or self._gift_pace.individually(combo, now, s.gift_thanks_per_minute):
                self._thank_gift(combo, now, out)
        pooled = self._gift_pace.due(now, s.gift_pool_window)
        if pooled:
            self._thank_gifts_together(pooled, now, out)
        batch = self._welcomes.due(now, s.welcome_window, s.welcome_min_interval)
        if batch:
            for named in batch:
                self._welcomed.mark(named.user.id, now)
            self._say_names("welcome", "welcome", batch, Priority.NORMAL, now, out)
        batch = self._follows.due(now, s.follow_window, s.follow_min_interval)
        if batch:
            self._say_names("follow_thanks", "follow", batch, Priority.NORMAL, now, out)

    # gifts -----------------------------------------------------------------------------------

    def _on_gift(self, event: LiveEvent, now: float, out: list) -> None:
        if event.gift is None or event.gift.count <= 0:
            self._drop(out, event.msg_id, "malformed_gift", now)
            return
        large = self._gifts.add(event, now, self._settings.large_gift_diamonds)
        if large is not None:  # a big gift is thanked now, not after the combo window
            self._thank_gift(large, now, out)

    def _is_large(self, combo: GiftCombo) -> bool:
        threshold = self._settings.large_gift_diamonds
        return threshold > 0 and combo.value >= threshold

    def _thank_gift(self, combo: GiftCombo, now: float, out: list) -> None:
        base = Priority.GIFT_LARGE if self._is_large(combo) else Priority.GIFT_NORMAL
        priority = dynamic_priority(base, [combo.user], self._activity, self._settings, gift=True)
        values = {"gift": combo.gift_name, "count": combo.count, "total": combo.count}
        text = self._render_line("gift_thanks", [combo.user], values, combo.msg_ids, now, out)
        if text is not None:
            self._speak(out, "gift", "gift", text, priority, combo.msg_ids[-1], now)

    def _thank_gifts_together(self, combos: list[GiftCombo], now: float, out: list) -> None:
        users = list({(c.user.id if c.user else ""): c.user for c in combos}.values())
        refs = [ref for c in combos for ref in c.msg_ids]
        text = self._render_line("gift_thanks_many", users[:POOLED_NAMES], {"count": len(users)},
                                 refs, now, out)
        if text is not None:
            priority = dynamic_priority(Priority.GIFT_NORMAL, users, self._activity, self._settings, gift=True)
            self._speak(out, "gift_pooled", "gift", text, priority, refs[-1], now)

    # viewers entering, following -------------------------------------------------------------

    def _on_enter(self, event: LiveEvent, now: float, out: list) -> None:
        s = self._settings
        if not s.welcome_enabled:
            return self._drop(out, event.msg_id, "welcome_disabled", now)
        if event.user is None:
            return self._drop(out, event.msg_id, "no_user", now)
        uid = event.user.id
        if self._welcomes.pending(uid) or self._welcomed.within(uid, now, s.welcome_repeat_after):
            return self._drop(out, event.msg_id, "welcome_repeat", now)
        for evicted in self._welcomes.add(Named(event.user, event.msg_id), now, s.welcome_max_names):
            self._drop(out, evicted.msg_id, "welcome_batch_full", now)

    def _on_follow(self, event: LiveEvent, now: float, out: list) -> None:
        s = self._settings
        if not s.follow_enabled:
            return self._drop(out, event.msg_id, "follow_disabled", now)
        if event.user is None:
            return self._drop(out, event.msg_id, "no_user", now)
        if self._follows.pending(event.user.id):
            return self._drop(out, event.msg_id, "follow_repeat", now)
        for evicted in self._follows.add(Named(event.user, event.msg_id), now, s.follow_max_names):
            self._drop(out, evicted.msg_id, "follow_batch_full", now)

    def _say_names(self, template: str, kind: str, batch: list[Named], base: int, now: float,
                   out: list) -> None:
        users = [n.user for n in batch]
        refs = [n.msg_id for n in batch]
        text = self._render_line(template, users, {}, refs, now, out)
        if text is not None:
            priority = dynamic_priority(base, users, self._activity, self._settings)
            self._speak(out, kind, kind, text, priority, refs[-1], now)

    # likes, shares, fans club ----------------------------------------------------------------

    def _on_like(self, event: LiveEvent, now: float, out: list) -> None:
        if event.like is None:
            return self._drop(out, event.msg_id, "malformed_like", now)
        milestone = self._likes.observe(event.like.total, event.like.count)
        if milestone is None:
            return self._drop(out, event.msg_id, "like_no_milestone", now)
        text = self._render_line("like_milestone", [event.user], {"likes": milestone},
                                 [event.msg_id], now, out)
        if text is not None:
            priority = dynamic_priority(Priority.NORMAL, [event.user], self._activity, self._settings)
            self._speak(out, "like", "like", text, priority, event.msg_id, now)

    def _on_share(self, event: LiveEvent, now: float, out: list) -> None:
        self._thank_once_in_a_while(event, "share", self._settings.share_thanks, now, out)

    def _on_fansclub(self, event: LiveEvent, now: float, out: list) -> None:
        self._thank_once_in_a_while(event, "fansclub", self._settings.fansclub_thanks, now, out)

    def _thank_once_in_a_while(self, event: LiveEvent, what: str, enabled: bool, now: float,
                               out: list) -> None:
        # Spoken as kind "follow": SpeechKind has no share/fansclub; counters keep them apart.
        if not enabled:
            return self._drop(out, event.msg_id, f"{what}_thanks_off", now)
        if self._thanked_kinds.within(what, now, self._settings.thanks_min_interval):
            return self._drop(out, event.msg_id, f"{what}_thanks_cooldown", now)
        text = self._render_line(f"{what}_thanks", [event.user], {}, [event.msg_id], now, out)
        if text is not None:
            self._thanked_kinds.mark(what, now)
            priority = dynamic_priority(Priority.NORMAL, [event.user], self._activity, self._settings)
            self._speak(out, what, "follow", text, priority, event.msg_id, now)

    # comments --------------------------------------------------------------------------------

    def _on_comment(self, event: LiveEvent, now: float, out: list) -> None:
        s = self._settings
        text = event.text.strip()
        uid = event.user.id if event.user else ""
        rule, reason = self._comments.screen(text, uid, self._product, now, s,
                                             lambda: self._find_rule(text))
        if reason is not None:
            return self._drop(out, event.msg_id, reason, now)
        nickname = self._lines.name(event.user, s.fallback_nickname)
        if rule is not None:
            reply, rule_priority = rule
            spoken, reason = self._lines.check(reply.replace("${nickname}", nickname))
            if spoken is None:
                return self._drop(out, event.msg_id, reason, now)
            priority = self._comment_priority(rule_priority, event.user)
            self._speak(out, "rule", "reply", spoken, priority, event.msg_id, now, s.stale_reply)
        else:
            priority = self._comment_priority(Priority.COMMENT_IMPORTANT, event.user)
            out.append(ReplyJob(id=self._new_id("llm"), question=text, nickname=nickname,
                                product=self._product, priority=priority,
                                deadline=now + s.stale_llm, source_event=event.msg_id))
            self.replies["llm"] += 1
        self._comments.answered(text, uid, self._product, now)

    def _find_rule(self, text: str) -> tuple[str, int] | None:
        if self._match_rule is None:
            return None
        try:
            found = self._match_rule(text, self._product)
        except Exception:  # a broken rule set must not stop questions reaching the LLM
            log.exception("keyword rule matching failed for %r", text)
            self.dropped["rule_error"] += 1  # counted, the comment itself goes on
            return None
        if found is None or not found[0] or not found[0].strip():
            return None
        return found[0], int(found[1])

    def _comment_priority(self, base: int, user: User | None) -> int:
        priority = dynamic_priority(base, [user], self._activity, self._settings)
        return min(priority, Priority.USER_VIP) if is_vip(user, self._settings) else priority

    # ---- shared helpers ----------------------------------------------------------------------

    def _render_line(self, template: str, users: list[User | None], values: dict, refs: list[str],
                     now: float, out: list) -> str | None:
        """The line to speak, or None with a drop recorded for every event in ``refs``."""
        spoken, reason = self._lines.line(template, users, self._settings.fallback_nickname,
                                          product=self._product or "", **values)
        if spoken is None:
            for ref in refs:
                self._drop(out, ref, reason, now)
        return spoken

    def _speak(self, out: list, counter: str, kind: str, text: str, priority: int, source: str,
               now: float, stale_after: float | None = None) -> None:
        if stale_after is None:
            stale_after = self._settings.stale_after(kind)
        out.append(SpeechRequest(id=self._new_id(counter), text=text, kind=kind, priority=int(priority),
                                 source_event=source, deadline=now + stale_after, created_at=now,
                                 product=self._product))
        self.replies[counter] += 1

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
