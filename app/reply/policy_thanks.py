"""The reply policy's thanks: gifts (pooled into combos, a large one thanked at once), viewers
entering, follows, like milestones, shares and the fans club; the thank-you lines that became
due said as far as their own airtime budget allows (``thanks.py`` pools and paces them).

A mixin of ``ReplyPolicy`` (``app/reply/policy.py``), which owns the state, the lock and what is
published; these methods run under its lock and add what they decide to ``out``.
"""

from __future__ import annotations

from dataclasses import replace

from app.events import LiveEvent, Priority
from app.reply.priority import dynamic_priority
from app.reply.thanks import Line, gift_line
from app.reply.windows import Named

#: Lowest priority a small thank-you may reach with bonuses: never above a buyer's question.
THANKS_FLOOR = Priority.COMMENT_IMPORTANT + 1


class ThanksDecisions:
    """Mixin: see the module docstring."""

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

    # the line said -------------------------------------------------------------------------

    def _say_line(self, line: Line, now: float, out: list, *, forced: bool = False) -> bool:
        """Render and say a thank-you if the budget allows (or it is ``forced``); False when it
        must wait."""
        s = self._settings
        if line.category == "welcome" and not any(self._lines.has_own_name(u) for u in line.users):
            # "欢迎这位朋友" greets nobody in particular: the script's own welcome lines do that
            if not forced:
                self._thanks.take(line, now)
            for ref in line.refs:
                self._drop(out, ref, "welcome_no_name", now)
            return True
        nameless: list[str] = []
        if line.category == "welcome":
            # "欢迎这位朋友、momo～" greets momo and nobody: the nameless are left to the script
            named = [(u, ref) for u, ref in zip(line.users, line.refs) if self._lines.has_own_name(u)]
            nameless = [ref for u, ref in zip(line.users, line.refs) if not self._lines.has_own_name(u)]
            line = replace(line, users=[u for u, _ in named], refs=[ref for _, ref in named])
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
        for ref in nameless:
            self._drop(out, ref, "welcome_no_name", now)
        # a viewer named on air (welcomed, or thanked for a gift or a follow) has been greeted:
        # not welcomed later in a batch still gathering, nor on coming back within
        # welcome_repeat_after_s
        for u in line.users:
            if u is not None:
                self._welcomed.mark(u.id, now)
                waiting = self._thanks.welcomes.remove(u.id) if line.category != "welcome" else None
                if waiting is not None:
                    self._drop(out, waiting.msg_id, "welcome_named_on_air", now)
        floor = Priority.GIFT_LARGE if line.category == "gift_large" else THANKS_FLOOR
        priority = dynamic_priority(line.base_priority, line.users, self._activity, s, floor=floor)
        said = self._speak(out, line.category, line.kind, spoken, priority, line.refs[-1], now,
                           s.stale_after(line.kind), viewer=viewers)
        self._paid(said, self._thanks.budget, cost)
        return True
