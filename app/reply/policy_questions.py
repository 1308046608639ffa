"""The reply policy's answers to viewers' comments: the anchor's and admins' screened out, a
question answered by its FAQ rule or sent to the LLM unless an operator limit says no, and the
FAQ answers of the product on air prepared (synthesised ahead).

A mixin of ``ReplyPolicy`` (``app/reply/policy.py``), which owns the state, the lock and what is
published; these methods run under its lock and add what they decide to ``out``.
"""

from __future__ import annotations

from app.events import LiveEvent, PrefetchSpeech, Priority, QuestionSeen, ReplyJob, User
from app.logs import get_logger
from app.reply.answers import NICKNAME_SLOT, FaqMatch
from app.reply.priority import dynamic_priority, is_vip

log = get_logger("reply")


class QuestionDecisions:
    """Mixin: see the module docstring."""

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
