"""Reading one field of a dy-barrage-grab ``Data`` object: type checks, range checks and size
bounds, each failure naming the field (``Data.GiftCount is 10000000000, …``).

Every number that comes from the feed is range-checked here (issue 18.2). The bounds are far
above anything a real room produces and far below anything that can overflow downstream (a
gift's count × diamonds stays below 10^12, SQLite's and JSON's integers hold 2^63):

- a value the room would act on or speak (a gift's count or unit price, a like batch, the
  room's viewer counts) is **rejected** when it is out of range: a frame that claims
  10^20 roses cannot be trusted in any of its fields, so it is counted (``out_of_range``) and
  skipped rather than thanked;
- a viewer's level out of range is read as 0 ("unknown", as dy-barrage-grab's own ``-1``) and
  counted as clamped: the comment or gift it came with is still good;
- names and texts are cut to a sane length (``MAX_NICKNAME_CHARS``, ``MAX_TEXT_CHARS``) and
  counted as clamped. The speakable cut (12 characters) is the reply stage's, not this one.
"""

from __future__ import annotations

import json
from typing import Any

# ---- rejection categories (keys of DecodeStats.bad_by_category) ------------------------------
TOO_LARGE = "too_large"
NOT_UTF8 = "not_utf8"
NOT_JSON = "not_json"
BAD_ENVELOPE = "bad_envelope"  # not an object, Type/Data missing or of the wrong type
BAD_DATA = "bad_data"  # Data not a JSON object, or a field of the wrong type
OUT_OF_RANGE = "out_of_range"  # a number no real room produces (issue 18.2)
UNKNOWN_TYPE = "unknown_type"
DUPLICATE = "duplicate"
# well-formed frames FeedPipeline skips on purpose (not "bad")
OTHER_ROOM = "other_room"  # a frame of another room open on the PC (issue 20.1)
GIFT_REPEAT = "gift_repeat"  # a gift message that adds nothing to what was counted (protocols §7.5)
SKIPPED = frozenset({UNKNOWN_TYPE, DUPLICATE, OTHER_ROOM, GIFT_REPEAT})

# ---- bounds ----------------------------------------------------------------------------------
#: GiftCount / RepeatCount. Douyin's largest group sends are 1314 / 3344 / 9999; combos of a
#: cheap gift rarely pass a few thousand.
MAX_GIFT_COUNT = 100_000
#: DiamondCount is the unit price in 抖币; the dearest Douyin gifts cost about 30,000.
MAX_DIAMONDS = 1_000_000
MAX_LIKE_COUNT = 100_000  # likes in one batch message
MAX_LIKE_TOTAL = 100_000_000_000  # a room's total likes
MAX_VIEWERS = 10_000_000_000  # online and cumulative viewer counts
MAX_LEVEL = 1_000  # user level, pay (wealth) level, fans-club level
MAX_ID_CHARS = 40  # ids are int64 on the wire; longer ones are kept exact but bounded
MAX_NICKNAME_CHARS = 64
MAX_NAME_CHARS = 64  # gift names, the anchor's nickname
MAX_TEXT_CHARS = 500  # comment text and the feed's display text
MAX_TITLE_CHARS = 200  # room title


class Bad(Exception):
    """A field check failed; carries the category and a path-qualified reason."""

    def __init__(self, category: str, reason: str, code: str | None = None):
        super().__init__(reason)
        self.category = category
        self.reason = reason
        self.code = code  # the frame's Type (or "7.<subtype>"), for unknown types


class FieldReader:
    """Reads fields of one frame and remembers which ones it had to clamp (``clamped``)."""

    def __init__(self) -> None:
        self.clamped: list[str] = []

    def int(self, d: dict, key: str, where: str) -> int:
        """An integer field; absent or negative (dy-barrage-grab's ``-1`` = unknown) reads as 0."""
        v = d.get(key)
        if v is None:
            return 0
        if not is_int(v):
            raise Bad(BAD_DATA, f"{where}.{key} must be an integer, got {show(v)}")
        return v if v >= 0 else 0

    def count(self, d: dict, key: str, where: str, limit: int) -> int:
        """A count the room acts on: out of range rejects the frame."""
        v = self.int(d, key, where)
        if v > limit:
            raise Bad(OUT_OF_RANGE, f"{where}.{key} is {show(v)}, more than the {limit} a real room sends")
        return v

    def level(self, d: dict, key: str, where: str) -> int:
        """A level: out of range reads as 0 (unknown) and is counted as clamped."""
        v = self.int(d, key, where)
        if v > MAX_LEVEL:
            self.clamped.append(f"{where}.{key}")
            return 0
        return v

    def str(self, d: dict, key: str, where: str, limit: int = MAX_TEXT_CHARS) -> str:
        v = d.get(key)
        if v is None:
            return ""
        if not isinstance(v, str):
            raise Bad(BAD_DATA, f"{where}.{key} must be a string, got {show(v)}")
        if len(v) > limit:
            self.clamped.append(f"{where}.{key}")
            v = v[:limit]
        return clean(v)

    def id(self, d: dict, key: str, *, required: bool, where: str = "Data") -> str:
        """An id: int64 on the wire for MsgId/Id, a string for RoomId; always a string here."""
        v = d.get(key)
        if v is None:
            if required:
                raise Bad(BAD_DATA, f"{where}.{key} is missing")
            return ""
        if is_int(v):
            text = str(v)
        elif isinstance(v, str) and (v.isdigit() or not required):
            text = clean(v)
        else:
            raise Bad(BAD_DATA, f"{where}.{key} must be an integer id, got {show(v)}")
        if len(text) > MAX_ID_CHARS:
            raise Bad(OUT_OF_RANGE, f"{where}.{key} is {len(text)} characters long, more than {MAX_ID_CHARS}")
        return text

    def bool(self, d: dict, key: str) -> bool:
        """A v2.7.9-only flag: absent (v2.7.6) or not a boolean reads as False."""
        return d.get(key) is True


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def clean(s: str) -> str:
    """Lone surrogates (from ``\\ud83d``-style escapes cut in half) cannot be written as UTF-8
    downstream; replace them rather than let them crash a later encoder."""
    if s.isascii():
        return s
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return s.encode("utf-8", "replace").decode("utf-8")


def jtype(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    return "an object"


def show(v: Any) -> str:
    if is_int(v) and len(str(v)) > 40:
        return f"a {len(str(v))}-digit number"
    text = json.dumps(v, ensure_ascii=False) if isinstance(v, (str, int, float, bool)) else jtype(v)
    return text if len(text) <= 40 else text[:37] + "..."


def short(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):  # its own "line 1 column 5" would read as a file position
        return f"{exc.msg} (character {exc.pos + 1})"
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."
