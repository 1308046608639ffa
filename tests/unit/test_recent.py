"""``Recent``, the one bounded memory of recently seen keys (duplicate frames, finished and
cancelled utterances, requests waiting for their first sound …)."""

from __future__ import annotations

import pytest

from app.recent import Recent


def test_as_a_set_it_tells_a_duplicate_and_forgets_the_oldest_beyond_the_limit():
    seen: Recent[int, None] = Recent(3)
    assert [seen.add(k) for k in (1, 2, 3)] == [True, True, True]
    assert seen.add(2) is False  # a duplicate, and it does not become new again
    assert seen.add(4) is True
    assert 1 not in seen and list(seen) == [2, 3, 4]
    seen.discard(3)
    seen.discard(99)  # not there: nothing happens
    assert list(seen) == [2, 4] and len(seen) == 2


def test_as_a_mapping_a_write_makes_the_key_the_newest():
    at: Recent[str, float] = Recent(2)
    at["a"] = 1.0
    at["b"] = 2.0
    at["a"] = 3.0  # rewritten: now the newest, so "b" is the one to go
    at["c"] = 4.0
    assert list(at.items()) == [("a", 3.0), ("c", 4.0)]
    assert at.get("b") is None and at.get("b", 0.0) == 0.0 and at["a"] == 3.0
    assert at.oldest() == ("a", 3.0)
    assert at.pop("a") == 3.0 and at.pop("a", None) is None
    with pytest.raises(KeyError):
        at.pop("a")


def test_touch_keeps_the_least_recently_used_order():
    lru: Recent[str, int] = Recent(2)
    lru["x"], lru["y"] = 1, 2
    lru.touch("x")
    lru["z"] = 3
    assert list(lru) == ["x", "z"]


def test_memory_stays_bounded_however_long_the_stream_runs():
    seen: Recent[int, None] = Recent(1000)
    for i in range(200_000):
        seen.add(i)
    assert len(seen) == 1000 and seen.oldest() == (199_000, None)
    empty: Recent[int, None] = Recent(1)
    assert empty.oldest() is None and not empty
    with pytest.raises(ValueError, match="at least 1"):
        Recent(0)
