"""Folding text to the form the word lists are matched in, keeping the way back to the original.

Evasions the matcher must see through: full-width letters (ｗｘ), upper case (VX), traditional
characters (絕對), numerals in another dress (第壹, 第①, 第Ⅰ, 第１, ❶, 佰分佰), and characters
slipped between the letters of a word (最 好, 最*好, 第-一, zero-width spaces, emoji).

Numerals: every character that *is* a digit 0–9 (一, 壹, 弌, ㊀, ①, ❶, ⑴, Ⅰ, full-width and
other scripts' digits) folds to the ASCII digit, so 第一, 第1, 第壹 and 第① are one key and a
list needs only one spelling; the financial multipliers 拾佰仟 fold to 十百千. For the Latin word
edges of the matcher a Chinese numeral still counts as Chinese (``is_latin``): "qq一二三" is
"qq" followed by Chinese, as it was before numerals were folded. Sound-alikes (醉 for 最) are
not a fold: they depend on the word around them (see ``wordlists`` and ``matcher``). Matching runs on a *skeleton*: the text folded character by
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
# Code points the table covers: the BMP, mathematical letters and digits (𝐯𝐱, 𝟏), emoji and
# symbol planes, tag and variation selectors.
_RANGES = ((0x0000, 0x10000), (0x1D400, 0x1D800), (0x1F000, 0x1FB00), (0xE0000, 0xE0080),
           (0xE0100, 0xE01F0))
_CJK_RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))
_RUN = re.compile(f"[^{GAP}]+")
# Characters Unicode gives a digit value that are words first and numbers seldom (参数, 油漆):
# folding them would only make keys harder to read.
_NOT_NUMERALS = frozenset("参參漆廾")
# Financial (大写) forms of the multipliers; 萬 and 億 are folded by the traditional table.
_MULTIPLIERS = {"拾": "十", "佰": "百", "仟": "千"}


def _digit(ch: str) -> str | None:
    """The ASCII digit a character stands for (一 → 1, ① → 1, Ⅳ → 4), else None."""
    if ch in _NOT_NUMERALS:
        return None
    value = unicodedata.numeric(ch, None)
    if value is None or value != int(value) or not 0 <= value <= 9:
        return None
    return str(int(value))


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
    """``str.translate`` table: ignorable → GAP; full-width, upper case, compatibility forms,
    traditional characters and numerals → their plain form. Every entry maps one character to
    one."""
    return _tables()[0]


def is_latin(folded_ch: str, original_ch: str) -> bool:
    """Whether a character counts as a Latin letter or digit for word edges: it folds to ASCII
    and is not a Chinese (or other non-Latin) numeral that the fold turned into a digit."""
    return (folded_ch.isascii() and folded_ch.isalnum()
            and ord(original_ch) not in _tables()[1])


@functools.cache
def _tables() -> tuple[dict[int, str], frozenset[int]]:
    """The fold table, and the code points that fold to an ASCII digit only because they are
    numerals (一, 壹, ❶ …; not ① or ５, which Unicode itself folds to a digit)."""
    t2s = _traditional_to_simplified()
    table: dict[int, str] = {}
    numerals: set[int] = set()
    for lo, hi in _RANGES:
        for cp in range(lo, hi):
            ch = chr(cp)
            if ch in _BREAKS or ch in _KEEP_SYMBOLS:
                continue
            plain = unicodedata.normalize("NFKC", ch).lower()
            if len(plain) != 1:
                plain = ch.lower() if len(ch.lower()) == 1 else ch
            plain = t2s.get(plain, plain)
            # Ⅳ folds to "iv" by NFKC: its own value decides; else the plain (simplified) form's
            # value, so 兩 stays 两 as the simplified form does.
            digit = _digit(ch) if plain.isascii() and plain.isalpha() else (
                None if plain.isascii() else _digit(plain))
            if digit is not None:
                if not (plain.isascii() and plain.isalnum()):
                    numerals.add(cp)
                plain = digit
            plain = _MULTIPLIERS.get(plain, plain)
            if plain in _KEEP_SYMBOLS or plain in _BREAKS:
                table[cp] = plain  # e.g. full-width ％ and ！ keep their meaning
            elif (unicodedata.category(ch) in _IGNORABLE_CATEGORIES
                  or unicodedata.category(plain) in _IGNORABLE_CATEGORIES):
                table[cp] = GAP
            elif plain != ch:
                table[cp] = plain
    # Emoji, flags and symbols above the BMP not covered by the ranges above stay as they are;
    # they are rare inside words and the common ones are covered.
    return table, frozenset(numerals)


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
    original: str
    _skel_starts: tuple[int, ...]
    _orig_starts: tuple[int, ...]

    @classmethod
    def of(cls, original: str) -> Skeleton:
        folded = fold(original)
        if GAP not in folded:
            return cls(folded, folded, original, (0,), (0,))
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
        return cls("".join(pieces), folded, original, tuple(skel_starts) or (0,),
                   tuple(orig_starts) or (0,))

    def is_latin_at(self, i: int) -> bool:
        """Whether original character ``i`` is a Latin letter or digit (for word edges)."""
        return is_latin(self.folded[i], self.original[i])

    def original_index(self, i: int) -> int:
        """Original index of skeleton character ``i``."""
        k = bisect_right(self._skel_starts, i) - 1
        return self._orig_starts[k] + (i - self._skel_starts[k])

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) covering skeleton [start, end), including any characters that
        were slipped in between (so replacing the span removes the evasion too)."""
        return self.original_index(start), self.original_index(end - 1) + 1
