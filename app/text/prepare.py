"""One "prepare text" step per utterance (issue 22.3): what a producer turns its text into
before it asks for speech.

    tidy → filter (the whole utterance; its hits kept) → split (``SpeechLimits``) → each
    sentence's spoken form (``spoken.normalize``), kept if ``speakable`` → one cap
    (``max_utterance_chars``, at a sentence boundary)

It runs once per utterance, in the producer (script scheduler, reply, LLM worker, the runtime's
say_now and fillers), and its result travels on the request (``make_request``): ``text`` is
what is shown and recorded (tidied, filtered, cut; digits stay digits), ``sentences`` what TTS
synthesises verbatim, ``hits`` what the filter found. TTS prepares only a request that comes
without sentences (试听, a producer of an older version), with this same step.

The filter is injected (``ComplianceFilter.apply``), so app/text imports no compliance code. A
``block`` hit removes the whole text given: one utterance (a script or LLM sentence, a reply).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from app.events import FilterHit, SpeechRequest
from app.logs import get_logger
from app.text.sentences import split_sentences
from app.text.spoken import normalize, speakable

log = get_logger("text")


@dataclass(frozen=True)
class SpeechLimits:
    """How long a spoken piece may be; built once from ``[tts]`` by app/wiring.py."""

    max_sentence_chars: int = 60  # [tts] max_sentence_chars: the longest text per synthesis
    clause_chars: int = 24  # a longer sentence is synthesised clause by clause (soft cut points)
    script_clause_chars: int = 16  # the script queues long sentences as clauses of about this size (~3 s)
    max_utterance_chars: int = 200  # [tts] max_utterance_chars: longer texts are cut at a sentence end


class FilterOutcome(Protocol):
    """What the injected filter returns (``compliance.FilterResult``)."""

    text: str | None  # None: blocked
    hits: Sequence[Any]
    blocked: bool


ApplyFilter = Callable[[str], FilterOutcome]


@dataclass(frozen=True)
class Prepared:
    """The prepared utterance. Nothing to say (``not ok``) comes with a ``reason``: "empty_text"
    (nothing but spaces), "filter_error", "filtered" (blocked, or the filter left nothing
    speakable) or "unspeakable" (only symbols, emoji, kana …)."""

    text: str = ""
    sentences: tuple[str, ...] = ()
    original: str = ""  # the text as given, when the filter or the cap changed it
    hits: tuple[FilterHit, ...] = ()
    blocked: bool = False
    cut_from: int = 0  # spoken characters before the cap (0: not cut)
    reason: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.sentences)

    @property
    def filtered(self) -> bool:
        """Nothing to say because of the compliance filter (it blocked the text or failed)."""
        return self.reason in ("filtered", "filter_error")


_SPACES = re.compile(r"[^\S\n]+")


def tidy(text: str) -> str:
    """Control characters and runs of spaces become one space; line ends stay (a line end ends
    a sentence); nothing else changes, so the shown text is what was written."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(" " if ch != "\n" and unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n")).strip()


def split_for_speech(text: str, limits: SpeechLimits, clause: int | None = None) -> list[str]:
    """The sentences of ``text`` at most ``max_sentence_chars`` long, long ones in clauses of
    about ``clause`` characters (default ``clause_chars``). The text itself is not altered."""
    return split_sentences(text, limits.max_sentence_chars, clause or limits.clause_chars)


def prepare_text(text: str, apply_filter: ApplyFilter | None, limits: SpeechLimits) -> Prepared:
    """The one preparation of an utterance (see the module docstring)."""
    given = tidy(text)
    if not given:
        return Prepared(reason="empty_text")
    hits: tuple[FilterHit, ...] = ()
    filtered = given
    if apply_filter is not None:
        try:
            result = apply_filter(given)
        except Exception:  # a broken filter fails closed: nothing unchecked is spoken
            log.exception("text filter failed on %r", given)
            return Prepared(reason="filter_error")
        hits = tuple(FilterHit(category=h.category, term=h.term, matched=h.matched, action=h.action,
                               replacement=h.replacement) for h in result.hits)
        if result.text is None or result.blocked:
            return Prepared(hits=hits, blocked=bool(result.blocked), reason="filtered")
        filtered = result.text
    shown: list[tuple[int, tuple[str, ...]]] = []  # (end of the sentence in ``filtered``, spoken forms)
    cursor = 0
    for sentence in split_for_speech(filtered, limits):
        at = filtered.find(sentence, cursor)  # the splitter only strips: every sentence is found
        cursor = (at if at >= 0 else cursor) + len(sentence)
        said = tuple(s for s in split_for_speech(normalize(sentence), limits) if speakable(s))
        if said:
            shown.append((cursor, said))
    if not shown:
        return Prepared(hits=hits, reason="filtered" if hits else "unspeakable")
    end, sentences, cut_from = _cap(shown, limits.max_utterance_chars)
    out = filtered[:end].rstrip() if cut_from else filtered
    return Prepared(text=out, sentences=sentences, original=given if out != given else "", hits=hits,
                    cut_from=cut_from)


def _cap(shown: list[tuple[int, tuple[str, ...]]], max_chars: int) -> tuple[int, tuple[str, ...], int]:
    """(end of the shown text kept, the spoken sentences kept, spoken length before the cut or 0).
    Whole sentences are kept while they fit; a first sentence longer than the cap alone is cut
    inside itself (its later clauses dropped, its first clause cut to the cap)."""
    total = sum(len(s) for _, said in shown for s in said)
    if total <= max_chars:
        return shown[-1][0], tuple(s for _, said in shown for s in said), 0
    kept: list[str] = []
    end = 0
    for sentence_end, said in shown:
        if kept and sum(map(len, kept)) + sum(map(len, said)) > max_chars:
            break
        end = sentence_end
        for s in said:
            if kept and sum(map(len, kept)) + len(s) > max_chars:
                break
            kept.append(s[:max_chars])
    return end, tuple(kept), total


class TextPreparer:
    """``prepare_text`` with the room's filter and limits: the one object every producer (and
    TTS, for a request without sentences) prepares with. ``set_limits`` applies
    ``[tts] max_sentence_chars`` / ``max_utterance_chars`` live."""

    def __init__(self, apply_filter: ApplyFilter | None = None, limits: SpeechLimits = SpeechLimits()):
        self.apply_filter = apply_filter
        self.limits = limits
        self._lock = threading.Lock()
        self.cut_long = 0  # utterances cut to max_utterance_chars

    def set_limits(self, limits: SpeechLimits) -> None:
        self.limits = limits

    def __call__(self, text: str) -> Prepared:
        limits = self.limits
        prepared = prepare_text(text, self.apply_filter, limits)
        if prepared.cut_from:
            with self._lock:
                self.cut_long += 1
            log.warning("a text of %d spoken characters was cut to %d at a sentence end ([tts] "
                        "max_utterance_chars = %d): %r…", prepared.cut_from, sum(map(len, prepared.sentences)),
                        limits.max_utterance_chars, prepared.text[:40])
        return prepared

    def split(self, text: str, clause: int | None = None) -> list[str]:
        """``split_for_speech`` with this preparer's limits."""
        return split_for_speech(text, self.limits, clause)


def make_request(prepared: Prepared, **fields: Any) -> SpeechRequest:
    """The request for a prepared utterance: its shown text, spoken sentences, filter hits and
    (when the filter or the cap changed it) the text as given; ``fields`` are the rest."""
    if not prepared.ok:
        raise ValueError(f"nothing to say ({prepared.reason}): no request is made for it")
    return SpeechRequest(text=prepared.text, sentences=prepared.sentences, hits=prepared.hits,
                         original=prepared.original, **fields)
