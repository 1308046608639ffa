"""Live event builders for the reply policy tests."""

from __future__ import annotations

import itertools

from app.events import Dropped, GiftInfo, LikeInfo, LiveEvent, ReplyJob, SpeechRequest, User

_ids = itertools.count(1)


def user(uid: str = "u1", nickname: str = "小明", pay_level: int = 0, fans_club_level: int = 0) -> User:
    return User(id=uid, nickname=nickname, pay_level=pay_level, fans_club_level=fans_club_level)


def _event(type_: str, u: User | None, **kw) -> LiveEvent:
    return LiveEvent(type=type_, msg_id=f"m{next(_ids)}", room_id="r1", ts=0.0, user=u, **kw)


def gift(u: User, count: int = 1, *, gift_id: str = "5655", name: str = "小心心", diamonds: int = 1,
         total: int = 1) -> LiveEvent:
    return _event("gift", u, gift=GiftInfo(id=gift_id, name=name, count=count, total=total, diamonds=diamonds))


def comment(u: User | None, text: str) -> LiveEvent:
    return _event("comment", u, text=text)


def enter(u: User) -> LiveEvent:
    return _event("enter", u)


def follow(u: User) -> LiveEvent:
    return _event("follow", u)


def like(u: User, count: int, total: int) -> LiveEvent:
    return _event("like", u, like=LikeInfo(count=count, total=total))


def speech(out) -> list[SpeechRequest]:
    return [e for e in out if isinstance(e, SpeechRequest)]


def jobs(out) -> list[ReplyJob]:
    return [e for e in out if isinstance(e, ReplyJob)]


def drops(out) -> list[Dropped]:
    return [e for e in out if isinstance(e, Dropped)]


class Faq:
    """A stand-in for the product library's FAQ: ``{product: [(rule_id, keyword, reply, priority)]}``;
    a reply is rendered as written (no variants), ``${nickname}`` left in place."""

    def __init__(self, rules: dict, *, broken: bool = False):
        self._rules = rules
        self.broken = broken
        self.rendered = 0

    def match(self, text, product):
        from app.reply.answers import FaqMatch

        if self.broken:
            raise RuntimeError("bad rules file")
        for rule_id, keyword, reply, priority in self._rules.get(product, []):
            if keyword in text:
                return FaqMatch(rule_id, reply, priority, product)
        return None

    def render(self, match):
        self.rendered += 1
        return match.template

    def rules(self, product):
        from app.reply.answers import FaqMatch

        return [FaqMatch(r, reply, prio, product) for r, _k, reply, prio in self._rules.get(product, [])]


def seen(out):
    from app.events import QuestionSeen

    return [e for e in out if isinstance(e, QuestionSeen)]
