"""The thanks desk: gifts, welcomes, follows, likes, shares and fans club, pooled into short
lines and paced by an airtime budget (design §5a "Thanks are pooled and budgeted").

Everything small waits here until its window closes (a gift combo goes quiet, a welcome batch
has collected for a few seconds) and then until the budget has room for the line. While it
waits, more viewers join the same line ("感谢A、B、C等8位家人的礼物"), so a storm of small gifts
costs one line every so often, not one line each. Nothing is dropped for the budget except
welcomes, follows and likes that waited past their stale time (a welcome a minute late is
noise). Large gifts do not wait for the budget: they are thanked when their combo ends, and
what they cost is taken from the budget anyway (the next small line waits longer).

Pure state: every method takes ``now``; the policy publishes what ``due`` returns.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from app.director import AirtimeBudget, SpeechRate
from app.events import Priority, User
from app.reply.windows import GiftCombo, NameBatcher, Named, RateLimit

#: Names spoken in one pooled line ("感谢A、B、C等8位家人送的礼物").
POOLED_NAMES = 3

#: The order in which waiting lines get the budget: money first, then loyalty, then presence.
ORDER = ("gift", "follow", "fansclub", "share", "like", "welcome")


@dataclass
class Line:
    """A thank-you ready to be rendered: which template, whom it names, what it refers to."""

    category: str  # gift | gift_pooled | gift_large | follow | fansclub | share | like | welcome
    kind: str  # the SpeechKind it is spoken as
    template: str
    users: list[User | None]
    values: dict
    refs: list[str]  # msg_ids of every event the line thanks
    base_priority: int
    since: float  # when it became due (for staleness)


@dataclass
class _Single:
    line: Line
    stale_after: float


@dataclass
class ThanksDesk:
    budget: AirtimeBudget
    rate: SpeechRate = field(default_factory=SpeechRate)
    finished_gifts: list[GiftCombo] = field(default_factory=list)  # combos waiting to be thanked
    welcomes: NameBatcher = field(default_factory=NameBatcher)
    follows: NameBatcher = field(default_factory=NameBatcher)
    singles: deque[_Single] = field(default_factory=deque)  # likes, shares, fans club
    gift_lines: RateLimit = field(default_factory=RateLimit)  # [reply] gift_thanks_per_minute
    _pool_opened_at: float = 0.0

    # ---- collecting ----------------------------------------------------------------------

    def add_gifts(self, combos: list[GiftCombo], now: float) -> None:
        if combos and not self.finished_gifts:
            self._pool_opened_at = min(c.finished_at if c.finished_at is not None else now for c in combos)
        self.finished_gifts.extend(combos)

    def add_single(self, line: Line, stale_after: float) -> None:
        self.singles.append(_Single(line, stale_after))

    # ---- deciding ------------------------------------------------------------------------

    def candidates(self, now: float, s) -> list[Line]:
        """Lines whose window has closed, in budget order (not yet taken)."""
        out: dict[str, Line] = {}
        if (self.finished_gifts and now - self._pool_opened_at >= s.gift_pool_window_s
                and self.gift_lines.allows(now, s.gift_thanks_per_minute)):
            out["gift"] = self._gift_line(now)
        if self.follows.ready(now, s.follow_window_s, s.follow_min_interval_s):
            out["follow"] = self._names_line("follow", "follow_thanks", self.follows.peek(), now)
        if self.welcomes.ready(now, s.welcome_batch_window_s, s.welcome_min_interval_s):
            out["welcome"] = self._names_line("welcome", "welcome", self.welcomes.peek(), now)
        for single in self.singles:
            out.setdefault(single.line.category, single.line)
        return [out[c] for c in ORDER if c in out]

    def take(self, line: Line, now: float) -> None:
        """``line`` is being said: forget what it covers and pay for it."""
        if line.category == "gift":
            self.finished_gifts.clear()
            self.gift_lines.record(now)
        elif line.category == "follow":
            self.follows.taken(now)
        elif line.category == "welcome":
            self.welcomes.taken(now)
        else:
            self.singles = deque(x for x in self.singles if x.line is not line)

    def expire(self, now: float, s) -> list[tuple[str, str]]:
        """(msg_id, reason) of lines that waited for the budget past their stale time."""
        gone: list[tuple[str, str]] = []
        for batcher, stale, what, window, interval in (
                (self.welcomes, s.stale_welcome_s, "welcome", s.welcome_batch_window_s, s.welcome_min_interval_s),
                (self.follows, s.stale_follow_s, "follow", s.follow_window_s, s.follow_min_interval_s)):
            if batcher.waited(now, window, interval) > stale:
                gone += [(n.msg_id, f"{what}_waited_for_thanks_budget") for n in batcher.drain()]
        keep = deque()
        for single in self.singles:
            if now - single.line.since > single.stale_after:
                gone += [(ref, f"{single.line.category}_waited_for_thanks_budget") for ref in single.line.refs]
            else:
                keep.append(single)
        self.singles = keep
        return gone

    def cost(self, text: str) -> float:
        return self.rate.seconds(text)

    def drain(self) -> list[str]:
        """Every msg_id still waiting (the policy is stopping)."""
        refs = [ref for c in self.finished_gifts for ref in c.msg_ids]
        refs += [n.msg_id for n in self.welcomes.drain() + self.follows.drain()]
        refs += [ref for single in self.singles for ref in single.line.refs]
        self.finished_gifts.clear()
        self.singles.clear()
        return refs

    # ---- the lines -----------------------------------------------------------------------

    def _gift_line(self, now: float) -> Line:
        combos = self.finished_gifts
        refs = [ref for c in combos for ref in c.msg_ids]
        if len(combos) == 1:
            c = combos[0]
            return gift_line(c, "gift", now)
        users = list({(c.user.id if c.user else ""): c.user for c in combos}.values())
        return Line("gift", "gift", "gift_thanks_many", users[:POOLED_NAMES], {"count": len(users)}, refs,
                    Priority.GIFT_NORMAL, now)

    @staticmethod
    def _names_line(category: str, template: str, batch: list[Named], now: float) -> Line:
        return Line(category, category, template, [n.user for n in batch], {}, [n.msg_id for n in batch],
                    Priority.NORMAL, now)


def gift_line(combo: GiftCombo, category: str, now: float) -> Line:
    """The line for one viewer's gift (its receiver named when it went to a 连麦 guest)."""
    values = {"gift": combo.gift_name, "count": combo.count, "total": combo.count}
    template = "gift_thanks"
    if combo.to_user:
        template = "gift_thanks_guest"
        values["receiver"] = combo.to_user
    base = Priority.GIFT_LARGE if category == "gift_large" else Priority.GIFT_NORMAL
    return Line(category, "gift", template, [combo.user], values, list(combo.msg_ids), base, now)
