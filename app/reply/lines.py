"""Turning a template and the viewers it names into a line that may be spoken: nicknames
masked (compliance) and cut to a speakable length, the text prepared once (``app.text.prepare``:
filtered for advertising-law words, split, its spoken forms), with a generic name when a
viewer's nickname is what the filter rejects (a thanks should not be lost over a nickname).

Why the cut: a 2,000-character nickname made a 700 s thank-you at gift priority (issue 18.3);
``[reply] max_nickname_chars`` (default 12) bounds every name before it reaches a template."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from app.events import User
from app.logs import get_logger
from app.reply.templates import SafeRenderer
from app.text.prepare import Prepared, TextPreparer

log = get_logger("reply")

NAME_JOIN = "、"
DEFAULT_MAX_NICKNAME_CHARS = 12


def cut_nickname(name: str, max_chars: int) -> str:
    """At most ``max_chars`` characters of ``name``: line breaks and other control characters
    become spaces, runs of spaces one, and a cut never leaves a joiner, variation selector or
    combining mark dangling at the end."""
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in name)
    cleaned = " ".join(cleaned.split())
    if len(cleaned) <= max_chars:
        return cleaned
    cut = cleaned[:max(1, max_chars)]
    while cut and unicodedata.category(cut[-1]) in ("Mn", "Me", "Cf"):
        cut = cut[:-1]
    return cut.rstrip()


def identity(text: str) -> str:
    return text


class LineMaker:
    def __init__(self, render: SafeRenderer, mask_nickname: Callable[[str], str] = identity,
                 prepare: TextPreparer | None = None,
                 max_nickname_chars: Callable[[], int] = lambda: DEFAULT_MAX_NICKNAME_CHARS):
        """``max_nickname_chars`` is asked at each use, so a hot-reloaded setting applies at once."""
        self.render = render
        self._mask = mask_nickname
        self.check = prepare or TextPreparer()  # text -> Prepared: the one preparation of a line
        self._max_chars = max_nickname_chars

    def name(self, user: User | None, fallback: str) -> str:
        """The nickname as it may be spoken (masked, cut to ``max_nickname_chars``), or
        ``fallback``. Masking sees the whole name (a banned word is found before a cut could
        split it)."""
        if user is None or not user.nickname.strip():
            return fallback
        try:
            masked = self._mask(user.nickname)
        except Exception:  # masking failed: do not speak the raw nickname
            log.exception("nickname masking failed")
            return fallback
        cut = cut_nickname(masked, self._max_chars()) if masked else ""
        return cut if cut else fallback

    def line(self, template: str, users: list[User | None], fallback: str, **values: object) -> Prepared:
        """The prepared line (``.reason`` says why not when there is nothing to say). ``nickname``
        and ``names`` are both every viewer joined with "、" (one viewer: their name), so a
        template written with either thanks the whole batch."""
        return self.line_naming(template, self.names(users, fallback), fallback, **values)

    def has_own_name(self, user: User | None) -> bool:
        """Whether the viewer's own nickname may be said (not empty, not masked as a whole:
        a default "用户8823571" or a name carrying contact details is not)."""
        if user is None or not user.nickname.strip():
            return False
        try:
            return self._mask(user.nickname) == user.nickname
        except Exception:  # masking failed: the name is not said (see ``name``)
            return False

    def names(self, users: list[User | None], fallback: str) -> str:
        """Every viewer's spoken name joined with "、" (``fallback`` when there is none)."""
        return NAME_JOIN.join([self.name(u, fallback) for u in users] or [fallback])

    def line_naming(self, template: str, joined: str, fallback: str, **values: object) -> Prepared:
        """``line`` with the names already made (``names``)."""
        prepared = self.check(self.render(template, nickname=joined, names=joined, **values))
        if prepared.reason == "filtered" and joined != fallback:
            prepared = self.check(self.render(template, nickname=fallback, names=fallback, **values))
        return prepared
