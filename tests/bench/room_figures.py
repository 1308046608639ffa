"""The room benchmark's figures, computed from what a run put on the bus and from the recording
it replayed — the room as an operator judges it, not the product's own bookkeeping.

Pure functions over a *log*: ``(seconds, event)`` pairs in the order they were seen, as
``tests.bench.room.Tap`` records them (live events, speech requests, player state, drops). The
unit tests feed hand-made logs.

- **Spoken time by class** from PlaybackStarted → PlaybackFinished / PlaybackInterrupted /
  UtteranceDropped (or the next start: one player, one voice): what was heard, partial plays
  included. Classes: script; answers (``reply``, ``llm``); thanks (``gift``, ``welcome``,
  ``follow``, ``like``, and ``share``/``fansclub`` should they get kinds of their own — today
  they are spoken as ``follow``); other (timed, filler, bridge, say_now, system …).
- **The product on air** at a moment is the ``product`` of the last script utterance heard
  starting before it (its SpeechRequest's ``product``); before any script, the first product of
  the library. It is what a viewer hears being sold, whatever the reply policy believes.
- **Keyword FAQ questions**: comments of the recording whose text hits a FAQ rule of the product
  on air when the comment arrived (``hits_faq``). Answered = an answer utterance (``reply``;
  ``llm`` accepted) with ``source_event`` = the comment's msg_id started — or the answer the
  policy said (``QuestionSeen.answer_id``) answers it, when a second buyer asked what an answer
  waiting to be played already says; latency = its first audio − the comment's arrival
  (``LiveEvent.ts``). A question dropped for an operator limit (``OPERATOR_LIMITS``: the reply
  rate, the duplicate window, the per-viewer cooldown in ``[reply]``; the answers' airtime budget
  and longest wait in ``[director]``) counts as limited, not unanswered. Every other question is
  unanswered, with the reason seen on the bus.
- **Large gifts**: combos of the recording (one viewer, one gift, one GroupId; GroupId 0 = a
  single message) worth ≥ the threshold → first audio of a ``gift`` utterance whose
  ``source_event`` is one of the combo's msg_ids, measured from the combo's last message.
- **Resumes**: each PlaybackInterrupted of a script utterance should be followed by its
  PlaybackResumed (or a resumed PlaybackStarted). Excused: skipped by the operator, or the product
  on air changed after the cut (and before any drop). Cut less than ``PENDING_S`` before the end:
  pending, not judged; cut earlier and neither resumed nor dropped: not resumed (still waiting).
"""

from __future__ import annotations

import bisect
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from app import events
from app.live.recording import RecordedFrame
from tests.bench.common import percentile

SCRIPT, ANSWERS, THANKS, OTHER = "script", "answers", "thanks", "other"
CLASSES = (SCRIPT, ANSWERS, THANKS, OTHER)
ANSWER_KINDS = frozenset({"reply", "llm"})
THANKS_KINDS = frozenset({"gift", "welcome", "follow", "like", "share", "fansclub"})
#: Drop reasons that come from an operator's [reply] limit: such a question is "limited".
OPERATOR_LIMITS = frozenset({"rate_limited", "duplicate", "user_cooldown", "answer_budget", "answer_queue"})
#: A script cut this close to the end of the run may still resume: not judged.
PENDING_S = 15.0

Log = list[tuple[float, object]]


def speech_class(kind: str) -> str:
    if kind == "script":
        return SCRIPT
    if kind in ANSWER_KINDS:
        return ANSWERS
    return THANKS if kind in THANKS_KINDS else OTHER


# ---- the recording ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedComment:
    msg_id: str
    user_id: str
    text: str


@dataclass(frozen=True)
class FeedGift:
    msg_id: str
    user_id: str
    gift_id: str
    group_id: str
    count: int  # the increase this message carries (GiftCount)
    diamonds: int  # per unit


@dataclass(frozen=True)
class Feed:
    comments: tuple[FeedComment, ...] = ()
    gifts: tuple[FeedGift, ...] = ()


def parse_feed(records: Iterable[RecordedFrame]) -> Feed:
    """Comments and gifts of a recording, read from the frames themselves (not the app's
    decoder); a frame that does not parse is skipped — the decoder's own tests judge those."""
    comments, gifts = [], []
    for rec in records:
        try:
            env = json.loads(rec.frame)
            data = json.loads(env["Data"]) if isinstance(env["Data"], str) else env["Data"]
            kind, msg_id = env["Type"], str(data["MsgId"])
            user_id = str((data.get("User") or {}).get("Id", ""))
            if kind == 1:
                comments.append(FeedComment(msg_id, user_id, str(data.get("Content", "")).strip()))
            elif kind == 5:
                gifts.append(FeedGift(msg_id, user_id, str(data.get("GiftId", "")), str(data.get("GroupId") or 0),
                                      int(data.get("GiftCount", 0)), int(data.get("DiamondCount", 0))))
        except (ValueError, KeyError, TypeError):
            continue
    return Feed(tuple(comments), tuple(gifts))


def gift_combos(gifts: Iterable[FeedGift]) -> list[list[FeedGift]]:
    """Gift messages grouped into combos, in order of each combo's first message."""
    combos: dict[tuple, list[FeedGift]] = {}
    for g in gifts:
        key = (g.user_id, g.gift_id, g.group_id) if g.group_id not in ("", "0") else ("single", g.msg_id)
        combos.setdefault(key, []).append(g)
    return list(combos.values())


# ---- what the run did ------------------------------------------------------------------------


@dataclass
class Question:
    msg_id: str
    text: str
    product: str | None
    arrived: float | None  # None: never reached the bus
    status: str = "unanswered"  # answered | limited | unanswered
    latency_s: float | None = None
    reason: str = ""


@dataclass
class LargeGift:
    msg_ids: tuple[str, ...]
    value: int
    ended: float | None  # arrival of the combo's last message
    latency_s: float | None = None
    reason: str = ""


@dataclass
class Cut:
    id: str
    at: float
    product: str | None
    status: str = "not resumed"  # resumed | excused | pending | not resumed
    reason: str = ""


@dataclass
class RoomRun:
    airtime: dict[str, float]
    questions: list[Question] = field(default_factory=list)
    large_gifts: list[LargeGift] = field(default_factory=list)
    cuts: list[Cut] = field(default_factory=list)


class _Index:
    """Lookups over one log."""

    def __init__(self, log: Log):
        self.log = log
        self.requests: dict[str, events.SpeechRequest] = {}
        self.started_kind: dict[str, str] = {}  # what the player said it played, for ids with no request seen
        self.arrived: dict[str, float] = {}
        self.first_start: dict[str, tuple[int, float]] = {}  # id -> (log index, time) of its first audio
        self.policy_drop: dict[str, str] = {}  # live msg_id -> reason
        self.joined: dict[str, str] = {}  # live msg_id -> the answer the policy said answers it
        self.utterance_drop: dict[str, str] = {}  # utterance id -> reason
        self.utterance_drop_at: dict[str, int] = {}  # utterance id -> log index of its drop
        self.script_starts: list[tuple[float, int, str | None]] = []  # (time, log index, product)
        for i, (t, ev) in enumerate(log):
            if isinstance(ev, events.LiveEvent):
                self.arrived.setdefault(ev.msg_id, ev.ts or t)
            elif isinstance(ev, events.SpeechRequest):
                self.requests.setdefault(ev.id, ev)
            elif isinstance(ev, events.PlaybackStarted):
                self.started_kind.setdefault(ev.id, ev.kind)
                # the first audio heard, even when the player reports it as a resumption (an
                # item cut as it was about to start is first heard "resumed")
                self.first_start.setdefault(ev.id, (i, t))
                if self.kind(ev.id, ev.kind) == "script":
                    req = self.requests.get(ev.id)
                    self.script_starts.append((t, i, req.product if req else None))
            elif isinstance(ev, events.Dropped):
                self.policy_drop.setdefault(ev.ref, ev.reason)
            elif isinstance(ev, events.QuestionSeen) and ev.answer == "rule" and ev.answer_id:
                self.joined.setdefault(ev.msg_id, ev.answer_id)
            elif isinstance(ev, events.UtteranceDropped):
                self.utterance_drop.setdefault(ev.id, ev.reason)
                self.utterance_drop_at.setdefault(ev.id, i)
            elif isinstance(ev, events.SpeechFailed):
                self.utterance_drop.setdefault(ev.request.id, f"synthesis failed: {ev.reason}")
        self._script_times = [s[0] for s in self.script_starts]

    def kind(self, uid: str, fallback: str = "") -> str:
        req = self.requests.get(uid)
        return req.kind if req is not None else self.started_kind.get(uid, fallback)

    def product_at(self, t: float, first_product: str | None) -> str | None:
        k = bisect.bisect_right(self._script_times, t)
        return self.script_starts[k - 1][2] if k else first_product

    def answers_to(self, msg_ids: Iterable[str], kinds: frozenset[str]) -> list[str]:
        wanted = set(msg_ids)
        joined = {self.joined[m] for m in wanted if m in self.joined}
        return [uid for uid, r in self.requests.items()
                if r.kind in kinds and (r.source_event in wanted or uid in joined)]

    def first_audio(self, uids: Iterable[str]) -> float | None:
        starts = [self.first_start[u][1] for u in uids if u in self.first_start]
        return min(starts) if starts else None


def airtime(log: Log, end_t: float) -> dict[str, float]:
    """Seconds heard per class (see the module doc)."""
    index = _Index(log)
    out = dict.fromkeys(CLASSES, 0.0)
    current: tuple[str, float, str] | None = None  # (id, since, class)

    def close(t: float) -> None:
        nonlocal current
        if current is not None:
            out[current[2]] += max(0.0, t - current[1])
            current = None

    for t, ev in log:
        if isinstance(ev, events.PlaybackStarted):
            close(t)
            current = (ev.id, t, speech_class(index.kind(ev.id, ev.kind)))
        elif isinstance(ev, events.PlaybackFinished | events.PlaybackInterrupted | events.UtteranceDropped):
            if current is not None and current[0] == ev.id:
                close(t)
    close(end_t)
    return out


def _reason(reason: str) -> str:
    return reason.split(":")[0].strip()


def questions(log: Log, feed: Feed, hits_faq: Callable[[str, str | None], bool],
              first_product: str | None, end_t: float) -> list[Question]:
    index = _Index(log)
    out = []
    for c in feed.comments:
        arrived = index.arrived.get(c.msg_id)
        product = index.product_at(arrived if arrived is not None else end_t, first_product)
        if not hits_faq(c.text, product):
            continue
        q = Question(c.msg_id, c.text, product, arrived)
        out.append(q)
        if arrived is None:
            q.reason = "never reached the bus"
            continue
        answers = index.answers_to([c.msg_id], ANSWER_KINDS)
        first = index.first_audio(answers)
        if first is not None:
            q.status, q.latency_s = "answered", first - arrived
        elif c.msg_id in index.policy_drop:
            reason = index.policy_drop[c.msg_id]
            q.status = "limited" if _reason(reason) in OPERATOR_LIMITS else "unanswered"
            q.reason = reason
        elif dropped := [index.utterance_drop[u] for u in answers if u in index.utterance_drop]:
            q.reason = f"answer dropped: {dropped[0]}"
        elif answers:
            q.reason = "answer still waiting at the end of the run"
        else:
            q.reason = "no answer requested, no reason given"
    return out


def large_gifts(log: Log, feed: Feed, threshold: int) -> list[LargeGift]:
    index = _Index(log)
    out = []
    for combo in gift_combos(feed.gifts):
        value = sum(g.count for g in combo) * max(g.diamonds for g in combo)
        if threshold <= 0 or value < threshold:
            continue
        ids = tuple(g.msg_id for g in combo)
        times = [index.arrived[m] for m in ids if m in index.arrived]
        gift = LargeGift(ids, value, max(times) if times else None)
        out.append(gift)
        if gift.ended is None:
            gift.reason = "never reached the bus"
            continue
        thanks = index.answers_to(ids, frozenset({"gift"}))
        first = index.first_audio(thanks)
        if first is not None:
            gift.latency_s = first - gift.ended
        elif drops := [index.policy_drop[m] for m in ids if m in index.policy_drop]:
            gift.reason = f"not thanked: {drops[-1]}"
        elif drops := [index.utterance_drop[u] for u in thanks if u in index.utterance_drop]:
            gift.reason = f"thanks dropped: {drops[0]}"
        else:
            gift.reason = "thanks not heard by the end" if thanks else "no thanks requested"
    return out


def cuts(log: Log, end_t: float) -> list[Cut]:
    index = _Index(log)
    out = []
    for i, (t, ev) in enumerate(log):
        if not isinstance(ev, events.PlaybackInterrupted) or index.kind(ev.id) != "script":
            continue
        req = index.requests.get(ev.id)
        product = req.product if req is not None else None
        cut = Cut(ev.id, t, product)
        out.append(cut)
        later = log[i + 1:]
        if any(isinstance(e, events.PlaybackResumed | events.PlaybackStarted) and e.id == ev.id
               and (isinstance(e, events.PlaybackResumed) or e.resumed) for _, e in later):
            cut.status = "resumed"
            continue
        dropped = index.utterance_drop.get(ev.id, "")
        until = index.utterance_drop_at.get(ev.id, len(log))  # a change after the drop did not cause it
        changed = [p for (_, k, p) in index.script_starts if i < k < until and p != product]
        if "skip" in dropped:
            cut.status, cut.reason = "excused", f"skipped: {dropped}"
        elif changed:
            cut.status, cut.reason = "excused", f"product changed to {changed[0]}"
        elif not dropped and end_t - t < PENDING_S:
            cut.status, cut.reason = "pending", "cut near the end of the run"
        else:
            cut.reason = dropped or "still waiting to resume at the end of the run (no drop seen)"
    return out


def analyse(log: Log, feed: Feed, *, hits_faq: Callable[[str, str | None], bool], first_product: str | None,
            large_gift_diamonds: int, end_t: float) -> RoomRun:
    return RoomRun(airtime=airtime(log, end_t),
                   questions=questions(log, feed, hits_faq, first_product, end_t),
                   large_gifts=large_gifts(log, feed, large_gift_diamonds),
                   cuts=cuts(log, end_t))


def _share(part: float, whole: float) -> float | None:
    return 100.0 * part / whole if whole > 0 else None


def figures(run: RoomRun, prefix: str) -> dict[str, float | int | None]:
    """Named figures of one recording's run (keys ``<prefix>_…``, see tests.bench.targets)."""
    total = sum(run.airtime.values())
    answered = [q.latency_s for q in run.questions if q.status == "answered"]
    thanked = [g.latency_s for g in run.large_gifts if g.latency_s is not None]
    status = Counter(c.status for c in run.cuts)
    out: dict[str, float | int | None] = {
        "spoken_s": total,
        "script_share_pct": _share(run.airtime[SCRIPT], total),
        "answer_share_pct": _share(run.airtime[ANSWERS], total),
        "thanks_share_pct": _share(run.airtime[THANKS], total),
        "other_share_pct": _share(run.airtime[OTHER], total),
        "kw_questions": len(run.questions),
        "kw_answered": len(answered),
        "kw_limited": sum(q.status == "limited" for q in run.questions),
        "kw_unanswered": sum(q.status == "unanswered" for q in run.questions),
        "kw_latency_p50_s": percentile(answered, 50) if answered else None,
        "kw_latency_p95_s": percentile(answered, 95) if answered else None,
        "kw_latency_max_s": max(answered) if answered else None,
        "large_gifts": len(run.large_gifts),
        "large_gifts_unthanked": sum(g.latency_s is None for g in run.large_gifts) if run.large_gifts else None,
        "large_gift_latency_max_s": max(thanked) if thanked else None,
        "script_cuts": len(run.cuts),
        "script_cuts_resumed": status["resumed"],
        "script_cuts_excused": status["excused"],
        "script_cuts_pending": status["pending"],
        "script_cuts_not_resumed": status["not resumed"],
    }
    return {f"{prefix}_{k}": v for k, v in out.items()}


def gist(reason: str) -> str:
    """A reason without its particulars, so that like reasons count together:
    "answer dropped: stale: deadline passed 0.2s ago" → "answer dropped: stale"."""
    parts = reason.split(": ")
    kept = list(itertools.takewhile(lambda p: not any(ch.isdigit() for ch in p), parts))
    return ": ".join(kept or parts[:1])


def reasons(run: RoomRun) -> dict[str, Counter]:
    """Why questions went unanswered or were limited, gifts unthanked, cuts not resumed."""
    return {
        "unanswered": Counter(gist(q.reason) for q in run.questions if q.status == "unanswered"),
        "limited": Counter(gist(q.reason) for q in run.questions if q.status == "limited"),
        "unthanked": Counter(gist(g.reason) for g in run.large_gifts if g.latency_s is None),
        "not resumed": Counter(gist(c.reason) for c in run.cuts if c.status == "not resumed"),
        "excused": Counter(gist(c.reason) for c in run.cuts if c.status == "excused"),
    }
