"""Which comments deserve an answer: duplicates, per-viewer cooldown, questions, reply rate.

Duplicates and cooldowns count from the last *answered* comment, so a spammer repeating a
non-question does not keep a real question from being answered later. A duplicate is the same
text about the same product: after a product switch "多少钱" asks something new.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from app.reply.settings import ReplySettings
from app.reply.text import is_question, normalise_comment
from app.reply.windows import Expiring, RateLimit

R = TypeVar("R")


class CommentGate:
    def __init__(self):
        self._texts = Expiring()
        self._users = Expiring()
        self._rate = RateLimit()

    def screen(self, text: str, user_id: str, product: str | None, now: float, s: ReplySettings,
               find_rule: Callable[[], R | None]) -> tuple[R | None, str | None]:
        """(the matching rule or None, why the comment is not answered or None).

        ``find_rule`` is only called for comments that passed the cheap filters."""
        if not normalise_comment(text):
            return None, "empty_comment"
        if self._texts.within(_text_key(text, product), now, s.duplicate_window):
            return None, "duplicate"
        if user_id and self._users.within(user_id, now, s.user_cooldown):
            return None, "user_cooldown"
        rule = find_rule()
        if rule is None:
            if not is_question(text, s.question_words, s.question_endings):
                return None, "not_a_question"
            if not s.llm_enabled:
                return None, "question_llm_disabled"
        if not self._rate.allows(now, s.replies_per_minute):
            return rule, "rate_limited"
        return rule, None

    def answered(self, text: str, user_id: str, product: str | None, now: float) -> None:
        self._rate.record(now)
        self._texts.mark(_text_key(text, product), now)
        if user_id:
            self._users.mark(user_id, now)

    def prune(self, now: float, s: ReplySettings) -> None:
        self._texts.prune(now, s.duplicate_window)
        self._users.prune(now, s.user_cooldown)


def _text_key(text: str, product: str | None) -> str:
    return f"{product or ''}\x1f{normalise_comment(text)}"
