"""Rules about one utterance that several stages apply, each decided here once.

An utterance is created by a producer (script, reply, LLM, runtime) as a ``SpeechRequest``,
synthesised by TTS and played by the player, which owns its record (``app.audio.utterance``)
and tells everyone else what became of it (``events.UtteranceView`` on its events). Stages never
import each other, so the rules they share live in this top-level module:

- ``stale_reason``: is it too late to say it, and why (the queue, TTS and the LLM worker ask;
  the dashboard shows the player's verdict instead of judging again);
- ``is_urgent``: does it cut at once and need its audio at once (the director, TTS);
- ``sentence_id`` / ``group_of``: the one id format of a group's sentences (an LLM answer's
  ``<job>-<n>``), and ``Tombstones``, the one bounded memory of utterances that will not play
  (the player, TTS and the LLM worker): "was it cancelled?" is answered the same everywhere;
- ``SKIPPED``: the drop reason of what the operator's 跳过 stopped — the player decides what a
  skip covers (the line playing; for the script the rest of its segment) and the scheduler and
  the spoken record follow that reason.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from app.events import Priority
from app.recent import Recent

#: Kinds whose cut items wait to resume for as long as it takes (the director keeps the script
#: on air); others are dropped once parked longer than ``resume_within_s``.
RESUME_ALWAYS = frozenset({"script"})

#: Why an utterance was dropped when the operator pressed 跳过 (the line playing, and for the
#: script the rest of its segment): the player gives it, the scheduler and the record read it.
SKIPPED = "skipped by operator"
#: Why the player drops what it holds when the room's live ends.
LIVE_ENDED = "live ended"

#: At or below this priority an utterance is urgent: large gifts, 插播, emergencies.
URGENT_PRIORITY = int(Priority.GIFT_LARGE)


def stale_reason(deadline: float | None, wall_now: float, *, parked_s: float | None = None, kind: str = "",
                 resume_within_s: float = 60.0) -> str | None:
    """Why an utterance is too late to say, or None while it is not.

    ``deadline`` is the producer's (epoch seconds; ``wall_now`` on the same clock). ``parked_s``
    is how long it has waited since it was first cut (None: never cut): an interrupted line
    left waiting longer than ``resume_within_s`` is stale too, except the script's."""
    if deadline is not None and wall_now > deadline:
        return f"stale: deadline passed {wall_now - deadline:.1f}s ago"
    if parked_s is not None and kind not in RESUME_ALWAYS and parked_s > resume_within_s:
        return f"stale: interrupted more than {resume_within_s:g}s ago"
    return None


def stale_in(deadline: float | None, wall_now: float, *, parked_s: float | None = None, kind: str = "",
             resume_within_s: float = 60.0) -> float | None:
    """Seconds until ``stale_reason`` says stale (0 once it does); None when it never will."""
    left = []
    if deadline is not None:
        left.append(deadline - wall_now)
    if parked_s is not None and kind not in RESUME_ALWAYS:
        left.append(resume_within_s - parked_s)
    return max(0.0, min(left)) if left else None


def is_urgent(priority: int, force: bool = False, *, urgent_priority: int = URGENT_PRIORITY) -> bool:
    """The operator's play-now, or a priority at or below ``urgent_priority``: it cuts what
    plays within one chunk, and TTS must have it at once."""
    return bool(force) or int(priority) <= urgent_priority


# ---- ids, groups and the dead ----------------------------------------------------------------


def sentence_id(group: str, index: int) -> str:
    """The id of sentence ``index`` of ``group`` (an LLM answer's sentences: ``<job>-<n>``)."""
    return f"{group}-{index}"


def group_of(utterance_id: str) -> str | None:
    """The group named by a ``sentence_id`` (None for an id of another form)."""
    group, dash, index = utterance_id.rpartition("-")
    return group if dash and group and index.isdigit() else None


def named_by(utterance_id: str, ids: Collection[str]) -> bool:
    """Whether ``ids`` name this utterance: its own id, or its group's."""
    return utterance_id in ids or group_of(utterance_id) in ids


def named(ids: Iterable[str]) -> set[str]:
    """What a list of ids names: the ids themselves and the groups of the sentence ids among
    them (cancelling one sentence of an answer names the answer)."""
    out = set(ids)
    out |= {g for i in list(out) if (g := group_of(i)) is not None}
    return out


class Tombstones:
    """Utterances that will not play (cancelled, dropped, finished), newest ``limit`` kept.

    Burying a group's id (an LLM job) buries its sentences too; ``names(group)`` says whether
    the group or any sentence of it was buried (one cancelled sentence stops the whole answer
    where it is still being made). Not thread-safe: the owner guards it with its own lock."""

    def __init__(self, limit: int = 10_000):
        self._ids: Recent[str, None] = Recent(limit)
        self._groups: Recent[str, None] = Recent(limit)  # groups of buried sentence ids

    def bury(self, ids: Iterable[str] | str) -> None:
        for utterance_id in (ids,) if isinstance(ids, str) else ids:
            self._ids.add(utterance_id)
            group = group_of(utterance_id)
            if group is not None:
                self._groups.add(group)

    def __contains__(self, utterance_id: object) -> bool:
        return isinstance(utterance_id, str) and named_by(utterance_id, self._ids)

    def names(self, group: str) -> bool:
        return group in self._ids or group in self._groups

    def discard(self, utterance_id: str) -> None:
        """Forget ``utterance_id`` (and that a sentence of it, as a group, was buried)."""
        self._ids.discard(utterance_id)
        self._groups.discard(utterance_id)

    def __len__(self) -> int:
        return len(self._ids)
