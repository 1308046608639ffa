"""Turning a template and the viewers it names into a line that may be spoken: nicknames
masked (compliance), the text filtered (advertising-law words), with a generic name when a
viewer's nickname is what the filter rejects (a thanks should not be lost over a nickname)."""

from __future__ import annotations

from collections.abc import Callable

from app.events import User
from app.logs import get_logger
from app.reply.templates import SafeRenderer

log = get_logger("reply")

NAME_JOIN = "、"


def identity(text: str) -> str:
    return text


class LineMaker:
    def __init__(self, render: SafeRenderer, mask_nickname: Callable[[str], str] = identity,
                 text_filter: Callable[[str], str | None] = identity):
        self.render = render
        self._mask = mask_nickname
        self._filter = text_filter

    def name(self, user: User | None, fallback: str) -> str:
        """The nickname as it may be spoken (masked), or ``fallback``."""
        if user is None or not user.nickname.strip():
            return fallback
        try:
            masked = self._mask(user.nickname)
        except Exception:  # masking failed: do not speak the raw nickname
            log.exception("nickname masking failed")
            return fallback
        return masked.strip() if masked and masked.strip() else fallback

    def line(self, template: str, users: list[User | None], fallback: str,
             **values: object) -> tuple[str | None, str]:
        """(text, "") or (None, why not). ``nickname`` and ``names`` are both every viewer
        joined with "、" (one viewer: their name), so a template written with either thanks
        the whole batch."""
        joined = NAME_JOIN.join([self.name(u, fallback) for u in users] or [fallback])
        spoken, reason = self.check(self.render(template, nickname=joined, names=joined, **values))
        if spoken is None and reason == "filtered" and joined != fallback:
            spoken, reason = self.check(self.render(template, nickname=fallback, names=fallback, **values))
        return spoken, reason

    def check(self, text: str) -> tuple[str | None, str]:
        """(the filtered text, "") or (None, why not)."""
        if not text or not text.strip():
            return None, "empty_text"
        try:
            spoken = self._filter(text)
        except Exception:  # a broken filter fails closed: nothing unchecked is spoken
            log.exception("text filter failed on %r", text)
            return None, "filter_error"
        if spoken is None or not spoken.strip():
            return None, "filtered"
        return spoken, ""
