"""What keeps one bad value from breaking a store: transactions that always end, and values
made fit for SQLite before they are bound.

Why: a gift whose count × diamonds exceeded 2^63 raised OverflowError inside an open
transaction; only ``sqlite3.Error`` was caught, the writer thread died holding the write lock
and every later write to the same file (the spoken log) failed with "database is locked".
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

SQLITE_INT_MAX = 2**63 - 1
SQLITE_INT_MIN = -(2**63)
#: Above this a float has lost whole units; a stored count or sum this large is bad data anyway.
MAX_EXACT = 2**53
_SURROGATE = re.compile("[\ud800-\udfff]")


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN … COMMIT on a connection in autocommit mode (``isolation_level=None``). Any
    exception — not only ``sqlite3.Error`` — rolls back before it propagates, and a COMMIT that
    fails is rolled back too, so no error can leave the write lock held."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:  # the connection is unusable; its close releases the lock
                pass
        raise


def text(value: object) -> str:
    """A string SQLite can store: lone surrogates (valid in JSON "\\ud83d", not in UTF-8) become
    U+FFFD instead of raising UnicodeEncodeError at bind time."""
    s = value if isinstance(value, str) else str(value)
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", s)


def real(value: object, rejected: Counter, reason: str, *, limit: float = MAX_EXACT) -> float | None:
    """A finite number within ±``limit`` as float, else None with ``rejected[reason]`` counted."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        rejected[reason] += 1
        return None
    if isinstance(value, float) and not math.isfinite(value):
        rejected[reason] += 1
        return None
    if abs(value) > limit:
        rejected[reason] += 1
        return None
    return float(value)
