"""Comment text helpers: the form duplicates are compared in, and the question heuristic."""

from __future__ import annotations

import unicodedata

# Characters that never change what a comment asks: punctuation (P*), symbols and emoji (S*),
# separators (Z*), controls and format characters (Cc, Cf: zero-width joiners in emoji).
_NOISE = ("P", "S", "Z", "Cc", "Cf")


def normalise_comment(text: str) -> str:
    """``"多少钱？？"``, ``"多少钱 ~"`` and ``"多少钱"`` are the same comment: NFKC (full/half width
    alike), case-folded, without punctuation, emoji or spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if not unicodedata.category(ch).startswith(_NOISE))


def is_question(text: str, words: tuple[str, ...], endings: tuple[str, ...]) -> bool:
    """A comment that asks something: a question mark, a question word anywhere, or a final
    question particle. Deliberately generous: a false positive costs one LLM call, a miss
    leaves a buyer unanswered."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if "?" in folded:  # NFKC maps the full-width ？ to ?
        return True
    core = normalise_comment(text)
    if any(unicodedata.normalize("NFKC", w).casefold() in core for w in words):
        return True
    return any(core.endswith(unicodedata.normalize("NFKC", e).casefold()) for e in endings)
