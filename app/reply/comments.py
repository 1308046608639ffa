"""Which comments deserve an answer: duplicates, per-viewer cooldown, questions, reply rate.

Duplicates and cooldowns count from the last *answered* comment, so a spammer repeating a
non-question does not keep a real question from being answered later. A duplicate is the same
text about the same product: after a product switch "多少钱" asks something new.
"""

from __future__ import annotations

from app.reply.settings import ReplySettings
from app.reply.text import is_question, normalise_comment
from app.reply.windows import Expiring, RateLimit


class CommentGate:
    def __init__(self):
        self._texts = Expiring()
        self._users = Expiring()
        self._rate = RateLimit()

    def screen(self, text: str, user_id: str, product: str | None, now: float, s: ReplySettings, *,
               has_rule: bool) -> str | None:
        """Why the comment is not answered, or None. A comment that is no question (no FAQ
        rule, no question form) is ``not_a_question``; for a question the other reasons are
        the operator's limits."""
        if not normalise_comment(text):
            return "empty_comment"
        if not has_rule and not is_question(text, s.question_words, s.question_endings):
            return "not_a_question"
        if self._texts.within(_text_key(text, product), now, s.duplicate_window_s):
            return "duplicate"
        if user_id and self._users.within(user_id, now, s.user_cooldown_s):
            return "user_cooldown"
        if not has_rule and not s.llm_enabled:
            return "question_llm_disabled"
        if not self._rate.allows(now, s.replies_per_minute):
            return "rate_limited"
        return None

    def answered(self, text: str, user_id: str, product: str | None, now: float) -> None:
        self._rate.record(now)
        self._texts.mark(_text_key(text, product), now)
        if user_id:
            self._users.mark(user_id, now)

    def prune(self, now: float, s: ReplySettings) -> None:
        self._texts.prune(now, s.duplicate_window_s)
        self._users.prune(now, s.user_cooldown_s)


def _text_key(text: str, product: str | None) -> str:
    return f"{product or ''}\x1f{normalise_comment(text)}"
