"""``Recent``: the app's one bounded memory of recently seen keys.

A stream runs for hours at up to thousands of events a second, so every "have I seen this id?"
(duplicate frames, cancelled or finished utterances, requests waiting for their first sound)
keeps only the newest ``limit`` keys and forgets the oldest. Used as a set (``add``,
``in``, ``discard``) or as a mapping (``recent[key] = value``); iteration and ``oldest()``
go from the oldest key to the newest, for callers that also expire entries by age.

Not thread-safe: the owner guards it with its own lock, as it guards the rest of its state.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

_MISSING = object()


class Recent(Generic[K, V]):
    def __init__(self, limit: int):
        if limit < 1:
            raise ValueError(f"Recent needs a limit of at least 1, got {limit}")
        self.limit = limit
        self._items: OrderedDict[K, V] = OrderedDict()

    # ---- as a set ----------------------------------------------------------------------------

    def add(self, key: K) -> bool:
        """Remember ``key``; False when it was already remembered (then it is left where it
        was: a duplicate does not make a key new again)."""
        items = self._items
        if key in items:
            return False
        items[key] = None  # type: ignore[assignment]  # a new key goes to the end: the newest
        if len(items) > self.limit:
            items.popitem(last=False)
        return True

    def discard(self, key: K) -> None:
        self._items.pop(key, None)

    # ---- as a mapping ------------------------------------------------------------------------

    def __setitem__(self, key: K, value: V) -> None:
        """Remember ``key`` as the newest, with ``value``; the oldest beyond ``limit`` go."""
        items = self._items
        items[key] = value
        items.move_to_end(key)
        while len(items) > self.limit:
            items.popitem(last=False)

    def __getitem__(self, key: K) -> V:
        return self._items[key]

    def get(self, key: K, default: V | None = None) -> V | None:
        return self._items.get(key, default)

    def pop(self, key: K, default=_MISSING):
        if default is _MISSING:
            return self._items.pop(key)
        return self._items.pop(key, default)

    def touch(self, key: K) -> None:
        """Make a remembered ``key`` the newest (least-recently-used order)."""
        self._items.move_to_end(key)

    def oldest(self) -> tuple[K, V] | None:
        """(key, value) of the oldest remembered key, or None when empty."""
        return next(iter(self._items.items()), None)

    def values(self):
        return self._items.values()

    def items(self):
        return self._items.items()

    def clear(self) -> None:
        self._items.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"Recent({len(self._items)}/{self.limit})"
