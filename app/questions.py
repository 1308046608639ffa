"""Every viewer question of a run, as the operator follows it: asked, waiting, answered (how
fast, with what) or not (why, in Chinese).

Fed from the bus by the run recorder: ``QuestionSeen`` from the reply policy says how a question
is being answered (a keyword FAQ answer, possibly one already waiting that answers several
buyers; or an LLM job) or why not; the answer's first audio (``PlaybackStarted``) answers it;
a drop of the answer before it was heard (the player's ``UtteranceDropped``, which also stands
for a failed synthesis, or the LLM worker's ``Dropped``) leaves it unanswered with that reason.
Each change of state is returned as a ``QuestionStatus`` for the dashboard.

An LLM answer is known by its job id, which is the group of its sentences: the player's events
carry the utterance's record (``utterance.group``), so no request is matched by id. How many
sentences are still on their way is not known here, so a dropped sentence (or job) leaves the
question unanswered at once, and a later sentence of the same answer that is heard still
answers it (the count moves from unanswered to answered).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from app import events
from app.reasons import reason_zh
from app.recent import Recent

#: Questions remembered (the dashboard shows the latest; the report counts them all).
KEEP = 5000


@dataclass
class _Question:
    status: events.QuestionStatus
    answer_ids: set[str] = field(default_factory=set)  # keyword answers that answer it
    job: str | None = None  # the LLM job answering it (the group of its sentences)


class QuestionLedger:
    def __init__(self):
        self._questions: Recent[str, _Question] = Recent(KEEP)
        self._by_answer: dict[str, list[str]] = {}  # utterance id -> msg_ids it answers
        self._by_job: Recent[str, str] = Recent(KEEP)  # LLM job id -> msg_id
        self.answered = 0
        self.unanswered: dict[str, int] = {}  # Chinese reason -> count
        self.latencies: list[float] = []

    # ---- what happened -------------------------------------------------------------------

    def seen(self, q: events.QuestionSeen) -> events.QuestionStatus:
        if q.answer == "none":
            status = events.QuestionStatus(msg_id=q.msg_id, ts=q.ts, viewer=q.viewer, text=q.text,
                                           state="unanswered", reason=reason_zh(q.reason, "reply"))
            self._remember(q.msg_id, _Question(status))
            self._count_unanswered(status.reason)
            return status
        status = events.QuestionStatus(msg_id=q.msg_id, ts=q.ts, viewer=q.viewer, text=q.text, state="waiting")
        entry = _Question(status)
        if q.answer == "rule" and q.answer_id:
            entry.answer_ids.add(q.answer_id)
            self._by_answer.setdefault(q.answer_id, []).append(q.msg_id)
        elif q.answer == "llm" and q.answer_id:
            entry.job = q.answer_id
            self._by_job[q.answer_id] = q.msg_id
        self._remember(q.msg_id, entry)
        return status

    def started(self, ev: events.PlaybackStarted, now: float) -> list[events.QuestionStatus]:
        out = []
        for msg_id in self._by_answer.pop(ev.id, []) + self._job_question(ev.utterance):
            entry = self._questions.get(msg_id)
            if entry is None:
                continue
            if entry.status.state == "unanswered" and entry.job is not None:
                self._count_unanswered(entry.status.reason, -1)  # a sentence of its answer is heard after all
            elif entry.status.state != "waiting":
                continue
            latency = round(max(0.0, now - entry.status.ts), 2)
            entry.status = replace(entry.status, state="answered", answer=ev.text, latency_s=latency)
            self.answered += 1
            self.latencies.append(latency)
            out.append(entry.status)
        return out

    def answer_gone(self, answer_id: str, reason: str, utterance: events.UtteranceView | None = None,
                    stage: str = "") -> list[events.QuestionStatus]:
        """An answering utterance was dropped before it was heard."""
        out = []
        for msg_id in self._by_answer.pop(answer_id, []) + self._job_question(utterance):
            entry = self._questions.get(msg_id)
            if entry is None:
                continue
            entry.answer_ids.discard(answer_id)
            if entry.status.state == "waiting" and not entry.answer_ids:
                out.append(self._unanswered(entry, reason_zh(reason, stage)))
        return out

    def job_dropped(self, job_id: str, reason: str) -> list[events.QuestionStatus]:
        """The LLM worker gave up on a job (or on one of its sentences): unanswered unless a
        sentence of it is heard later."""
        msg_id = self._by_job.get(job_id)
        entry = self._questions.get(msg_id) if msg_id else None
        if entry is None or entry.status.state != "waiting":
            return []
        return [self._unanswered(entry, reason_zh(reason, "llm"))]

    # ---- reading -------------------------------------------------------------------------

    def statuses(self) -> list[events.QuestionStatus]:
        return [q.status for q in self._questions.values()]

    def summary(self) -> dict:
        waiting = sum(1 for q in self._questions.values() if q.status.state == "waiting")
        return {"asked": self.answered + sum(self.unanswered.values()) + waiting, "answered": self.answered,
                "waiting": waiting, "unanswered_by_reason": dict(self.unanswered)}

    # ---- internals -----------------------------------------------------------------------

    def _unanswered(self, entry: _Question, reason: str) -> events.QuestionStatus:
        entry.status = replace(entry.status, state="unanswered", reason=reason)
        self._count_unanswered(reason)
        return entry.status

    def _count_unanswered(self, reason: str, n: int = 1) -> None:
        self.unanswered[reason] = self.unanswered.get(reason, 0) + n
        if self.unanswered[reason] <= 0:
            del self.unanswered[reason]

    def _job_question(self, utterance: events.UtteranceView | None) -> list[str]:
        """The question an LLM answer's sentence answers (by its group, the job id)."""
        msg_id = self._by_job.get(utterance.group) if utterance is not None and utterance.group else None
        return [msg_id] if msg_id is not None else []

    def _remember(self, msg_id: str, entry: _Question) -> None:
        self._questions[msg_id] = entry
