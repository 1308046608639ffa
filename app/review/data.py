"""What happened in one run (场次), read from the SQLite database the run wrote: the spoken
record, the event log and the questions record. No Qt; the numbers every chart and table of
the review shows come from here, so a test can compare them with the database directly.

Times are binned by minute from the session's start (minute 0 = the first 60 s).
"""

from __future__ import annotations

import bisect
import difflib
import json
import math
import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from app.store.labels import AIR_CLASSES, air_class
from app.store.sessions import QuestionRow, Session, SessionLog
from app.store.spoken_log import SpokenEntry, SpokenLog

TOP_N = 10
LATENCY_BINS = (0.0, 3.0, 5.0, 10.0, 20.0, 30.0, math.inf)  # seconds; the last bin is "30 秒以上"


class ReviewError(Exception):
    """No review can be built (no database, no such session); the message is Chinese."""


@dataclass
class Gifter:
    nickname: str
    diamonds: int
    gifts: int


@dataclass
class Replacement:
    at: float
    original: str
    spoken: str
    changes: tuple[str, ...]  # "最好→很好", "全网第一→（删除）"


@dataclass
class ReviewData:
    session: Session
    start: float
    end: float
    minutes: int
    airtime: dict[str, list[float]]  # class -> spoken seconds per minute
    comments: list[int]  # per minute
    questions_asked: list[int]  # per minute (when the viewer asked)
    answered: list[int]  # per minute of the question
    unanswered: list[int]
    waiting: list[int]  # never settled: still waiting when the run ended
    latencies: list[float]  # answer latency of every answered question, seconds
    unanswered_reasons: Counter
    diamonds: list[int]  # per minute
    gift_units: int
    top_gifters: list[Gifter]
    top_questions: list[tuple[str, int]]
    replacements: list[Replacement]
    replaced_terms: Counter  # "原词→新词" -> times
    questions: list[QuestionRow] = field(default_factory=list)
    utterances: int = 0
    interrupted: int = 0  # rows cut to resume later (not those skipped, cancelled or cut by 停止)
    skipped: int = 0  # lines the operator skipped while they sounded
    notes: list[str] = field(default_factory=list)  # what the operator should know about the numbers

    @property
    def airtime_total(self) -> dict[str, float]:
        return {c: round(sum(v), 3) for c, v in self.airtime.items()}

    @property
    def spoken_s(self) -> float:
        return round(sum(self.airtime_total.values()), 3)

    def latency_histogram(self) -> list[int]:
        counts = [0] * (len(LATENCY_BINS) - 1)
        for v in self.latencies:
            for i in range(len(counts)):
                if LATENCY_BINS[i] <= v < LATENCY_BINS[i + 1]:
                    counts[i] += 1
                    break
        return counts


def latency_bin_labels() -> list[str]:
    out = []
    for lo, hi in zip(LATENCY_BINS, LATENCY_BINS[1:], strict=False):
        out.append(f"{lo:g} 秒以上" if math.isinf(hi) else f"{lo:g}–{hi:g} 秒")
    return out


def list_sessions(db: str | Path) -> list[Session]:
    """Every recorded session, newest first."""
    if not Path(db).is_file():
        return []
    with SessionLog(db) as log:
        return log.sessions()


def load_review(db: str | Path, session_id: int | None = None) -> ReviewData:
    """The review of ``session_id`` (default: the newest session)."""
    db = Path(db)
    if not db.is_file():
        raise ReviewError(f"{db}：没有找到数据库，还没有开播过？")
    with SessionLog(db) as sessions:
        all_sessions = sessions.sessions()
        if not all_sessions:
            raise ReviewError(f"{db}：还没有任何场次记录（开播一次后才有复盘）")
        chosen = all_sessions[0] if session_id is None else sessions.session(session_id)
        if chosen is None:
            known = "、".join(str(s.session_id) for s in all_sessions[:10])
            raise ReviewError(f"没有第 {session_id} 场的记录（最近的场次：{known}）")
        questions = sessions.questions(chosen.session_id)
    with SpokenLog(db) as spoken_log:
        spoken = spoken_log.query(session_id=chosen.session_id)
    # A session whose process died has no end: it cannot have lasted past the next one's start.
    later = [s.started_at for s in all_sessions if s.started_at > chosen.started_at]
    limit = chosen.ended_at if chosen.ended_at is not None else (min(later) if later else None)
    live, oldest = _live_events(db, chosen.started_at, limit)
    end = chosen.ended_at or max([chosen.started_at]
                                 + [e.ended_at or e.started_at for e in spoken]
                                 + [ts for ts, *_ in live] + [q.ts for q in questions])
    data = _build(chosen, chosen.started_at, end, spoken, live, questions)
    if not live and oldest is not None and oldest > chosen.started_at:
        data.notes.append("这一场的弹幕和礼物记录已超过保留期被清理（config.ini 的 [store] event_retention_days），"
                          "图中弹幕、礼物为 0；停止或下播时自动保存的复盘网页里仍有当时的数字。")
    return data


def _live_events(db: Path, start: float, end: float | None) -> tuple[list[tuple[float, str, str, dict]], float | None]:
    """(ts, type, nickname, event) of the event log inside the session, and the oldest event
    still kept (older ones went with the retention); [] when the file has no event log."""
    con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)  # as_uri: Windows paths, 中文 names
    try:
        rows = con.execute("SELECT ts, type, nickname, event FROM live_events WHERE ts >= ? AND ts <= ? "
                           "AND type IN ('comment', 'gift') ORDER BY ts",
                           (start, end if end is not None else math.inf)).fetchall()
        oldest = con.execute("SELECT MIN(ts) FROM live_events").fetchone()[0]
    except sqlite3.OperationalError:  # no such table
        return [], None
    finally:
        con.close()
    out = []
    for ts, type_, nickname, raw in rows:
        try:
            event = json.loads(raw)
        except ValueError:  # a damaged row is skipped, never fatal
            continue
        out.append((ts, type_, nickname, event if isinstance(event, dict) else {}))
    return out, oldest


def _build(session: Session, start: float, end: float, spoken: list[SpokenEntry],
           live: list[tuple[float, str, str, dict]], questions: list[QuestionRow]) -> ReviewData:
    minutes = max(1, math.ceil((end - start) / 60.0))

    def minute_of(t: float) -> int:
        return min(minutes - 1, max(0, int((t - start) // 60)))

    airtime = {c: [0.0] * minutes for c in AIR_CLASSES}
    replacements: list[Replacement] = []
    terms: Counter = Counter()
    for e, until in zip(spoken, _heard_until(spoken, end), strict=True):
        _spread(airtime[air_class(e.kind)], e.started_at - start, until - start)
        if e.original and not e.resumed:
            changes = _changes(e.original, e.text)
            replacements.append(Replacement(e.started_at, e.original, e.text, changes))
            terms.update(changes)

    comments = [0] * minutes
    diamonds = [0] * minutes
    gift_units = 0
    gifters: dict[str, Gifter] = {}
    for ts, type_, nickname, event in live:
        if type_ == "comment":
            comments[minute_of(ts)] += 1
        elif type_ == "gift":
            gift = event.get("gift") or {}
            count, unit = _int(gift.get("count")), _int(gift.get("diamonds"))
            gift_units += count
            diamonds[minute_of(ts)] += count * unit
            user = event.get("user") or {}
            key = str(user.get("id") or nickname)
            g = gifters.setdefault(key, Gifter(nickname or str(user.get("nickname", "")), 0, 0))
            g.diamonds += count * unit
            g.gifts += count

    asked, answered, unanswered, waiting = ([0] * minutes for _ in range(4))
    latencies: list[float] = []
    reasons: Counter = Counter()
    groups: dict[str, Counter] = defaultdict(Counter)
    for q in questions:
        m = minute_of(q.ts)
        asked[m] += 1
        if q.state == "answered":
            answered[m] += 1
            if q.latency_s is not None:
                latencies.append(q.latency_s)
        elif q.state == "unanswered":
            unanswered[m] += 1
            reasons[q.reason or "未说明原因"] += 1
        else:
            waiting[m] += 1
        groups[_question_key(q.text)][q.text] += 1
    top_questions = sorted(((forms.most_common(1)[0][0], sum(forms.values())) for forms in groups.values()),
                           key=lambda kv: (-kv[1], kv[0]))[:TOP_N]
    top_gifters = sorted(gifters.values(), key=lambda g: (-g.diamonds, -g.gifts, g.nickname))[:TOP_N]
    return ReviewData(
        session=session, start=start, end=end, minutes=minutes,
        airtime={c: [round(v, 3) for v in vals] for c, vals in airtime.items()},
        comments=comments, questions_asked=asked, answered=answered, unanswered=unanswered,
        waiting=waiting, latencies=latencies, unanswered_reasons=reasons, diamonds=diamonds,
        gift_units=gift_units, top_gifters=top_gifters, top_questions=top_questions,
        replacements=replacements, replaced_terms=terms, questions=questions,
        utterances=sum(1 for e in spoken if not e.resumed),
        interrupted=sum(1 for e in spoken if e.end_status == "interrupted"),
        skipped=sum(1 for e in spoken if e.end_status == "skipped"))


def _heard_until(spoken: list[SpokenEntry], end: float) -> list[float]:
    """Where each row's sound really stopped, for the airtime sums: one utterance sounds at a
    time, so a row ends at the latest where the next one starts, and at the session's end; a
    row left open (the app died mid-play: how long it sounded is unknown) counts nothing. So no minute holds more speech than
    it has seconds, and 播出总时长 never exceeds 直播时长, even on a record with a bad row."""
    starts = sorted(e.started_at for e in spoken)
    out = []
    for e in spoken:
        i = bisect.bisect_right(starts, e.started_at)
        limit = min(end, starts[i]) if i < len(starts) else end
        stop = e.ended_at if e.ended_at is not None else e.started_at
        out.append(max(e.started_at, min(stop, limit)))
    return out


def _spread(bins: list[float], a: float, b: float) -> None:
    """Add the interval [a, b) (seconds from the start) to per-minute bins, split at minute
    boundaries; what falls outside the session is clipped."""
    a, b = max(0.0, a), min(len(bins) * 60.0, b)
    while a < b:
        m = int(a // 60)
        edge = min(b, (m + 1) * 60.0)
        bins[m] += edge - a
        a = edge


def _changes(original: str, spoken: str) -> tuple[str, ...]:
    """What the filter did, word by word: "最好→很好", "全网第一→（删除）"."""
    out = []
    matcher = difflib.SequenceMatcher(a=original, b=spoken, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "replace":
            out.append(f"{original[i1:i2]}→{spoken[j1:j2]}")
        elif op == "delete":
            out.append(f"{original[i1:i2]}→（删除）")
    return tuple(out)


_NOT_WORD = re.compile(r"[\s\W_]+", re.UNICODE)


def _question_key(text: str) -> str:
    """Questions that differ only in punctuation, spaces or case count as one."""
    return _NOT_WORD.sub("", text).lower() or text


def _int(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
