"""Folding text to the form the word lists are matched in, keeping the way back to the original.

Evasions the matcher must see through: full-width letters (ｗｘ), upper case (VX), traditional
characters (絕對), and characters slipped between the letters of a word (最 好, 最*好, 第-一,
zero-width spaces, emoji). Matching runs on a *skeleton*: the text folded character by
character (so positions stay 1:1) with every ignorable character removed. A list of runs maps a
skeleton index back to the original index, so a hit is reported where the operator wrote it.

What is NOT ignorable (it breaks a match): letters, digits, ``%`` and ``+`` (they carry meaning
in "100%" and "+v"), and sentence ends (。！？；… and line breaks) — a sentence end is never
evasion, and seeing through it would join the last word of one sentence to the first of the
next (山顶。级别 is not 顶级).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

from app.logs import get_logger

log = get_logger("compliance")

#: Stands in for every ignorable character in the folded text; removed for the skeleton.
GAP = "\x00"
_KEEP_SYMBOLS = frozenset("%+")
_BREAKS = frozenset("。！？；!?;…\n\u2028\u2029")
_IGNORABLE_CATEGORIES = frozenset(
    {"Zs", "Cc", "Cf", "Mn", "Me", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sk", "Sm", "So", "Sc"}
)
# Code points the table covers: the BMP, emoji and symbol planes, tag and variation selectors.
_RANGES = ((0x0000, 0x10000), (0x1F000, 0x1FB00), (0xE0000, 0xE0080), (0xE0100, 0xE01F0))
_CJK_RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))
_RUN = re.compile(f"[^{GAP}]+")


def _traditional_to_simplified() -> dict[str, str]:
    """Per-character traditional → simplified map from OpenCC's t2s tables (one convert call
    with one character per line, so conversion stays character-level and 1:1)."""
    try:
        import opencc
    except ImportError:  # the matcher still works; only traditional-script evasion goes unseen
        log.warning("opencc is not installed: traditional characters are not folded")
        return {}
    chars = [chr(cp) for lo, hi in _CJK_RANGES for cp in range(lo, hi)]
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # never seen; keep positions exact rather than guess
        log.warning("opencc t2s changed the number of characters; traditional folding disabled")
        return {}
    return {a: b for a, b in zip(chars, converted, strict=True) if len(b) == 1 and a != b}


@functools.cache
def fold_table() -> dict[int, str]:
    """``str.translate`` table: ignorable → GAP; full-width, upper case, compatibility forms and
    traditional characters → their plain form. Every entry maps one character to one."""
    t2s = _traditional_to_simplified()
    table: dict[int, str] = {}
    for lo, hi in _RANGES:
        for cp in range(lo, hi):
            ch = chr(cp)
            if ch in _BREAKS or ch in _KEEP_SYMBOLS:
                continue
            plain = unicodedata.normalize("NFKC", ch).lower()
            if len(plain) != 1:
                plain = ch.lower() if len(ch.lower()) == 1 else ch
            plain = t2s.get(plain, plain)
            if plain in _KEEP_SYMBOLS or plain in _BREAKS:
                table[cp] = plain  # e.g. full-width ％ and ！ keep their meaning
            elif (unicodedata.category(ch) in _IGNORABLE_CATEGORIES
                  or unicodedata.category(plain) in _IGNORABLE_CATEGORIES):
                table[cp] = GAP
            elif plain != ch:
                table[cp] = plain
    # Emoji, flags and symbols above the BMP not covered by the ranges above stay as they are;
    # they are rare inside words and the common ones are covered.
    return table


def fold(text: str) -> str:
    """The text folded character by character (same length as ``text``), ignorables as GAP."""
    return text.translate(fold_table())


def skeleton_of(term: str) -> str:
    """The form a listed term is matched in."""
    return fold(term).replace(GAP, "")


@dataclass(frozen=True)
class Skeleton:
    """Folded text without ignorables, and the map back to positions in the original."""

    text: str
    folded: str  # the original folded 1:1 (ignorables as GAP), for boundary checks
    _skel_starts: tuple[int, ...]
    _orig_starts: tuple[int, ...]

    @classmethod
    def of(cls, original: str) -> Skeleton:
        folded = fold(original)
        if GAP not in folded:
            return cls(folded, folded, (0,), (0,))
        skel_starts: list[int] = []
        orig_starts: list[int] = []
        pieces: list[str] = []
        n = 0
        for m in _RUN.finditer(folded):
            skel_starts.append(n)
            orig_starts.append(m.start())
            piece = m.group()
            pieces.append(piece)
            n += len(piece)
        return cls("".join(pieces), folded, tuple(skel_starts) or (0,), tuple(orig_starts) or (0,))

    def original_index(self, i: int) -> int:
        """Original index of skeleton character ``i``."""
        k = bisect_right(self._skel_starts, i) - 1
        return self._orig_starts[k] + (i - self._skel_starts[k])

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) covering skeleton [start, end), including any characters that
        were slipped in between (so replacing the span removes the evasion too)."""
        return self.original_index(start), self.original_index(end - 1) + 1
