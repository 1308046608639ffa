"""Replaying normalised live events (``parse-feed`` output) through the reply policy on the
events' own clock, to see what the room would hear: the ``reply-dry-run`` command.

Time is simulated from each event's ``ts`` (windows close between events exactly as they
would live), so an hour of recording replays in moments.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterable
from typing import Any

from app.events import CodecError, LiveEvent, decode
from app.reply.policy import ReplyPolicy
from app.reply.settings import ReplySettings, SettingsError

TICK = 0.1  # simulated seconds between window checks, as the live timer does


def settings_with(base: ReplySettings, overrides: Iterable[str]) -> ReplySettings:
    """``base`` with ``key=value`` overrides (types taken from the field); errors name the key."""
    hints = typing.get_type_hints(ReplySettings)
    changes: dict[str, Any] = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or key not in hints:
            known = ", ".join(f.name for f in dataclasses.fields(ReplySettings))
            raise SettingsError(f"--set {item!r}: expected KEY=VALUE with KEY one of: {known}")
        changes[key] = _parse(hints[key], raw.strip(), key)
    return dataclasses.replace(base, **changes)


def _parse(hint: Any, raw: str, key: str) -> Any:
    try:
        if hint is bool:
            if raw.lower() not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
                raise ValueError("expected true or false")
            return raw.lower() in ("true", "yes", "on", "1")
        if hint in (int, float):
            return hint(raw)
        if typing.get_origin(hint) is tuple:
            item = typing.get_args(hint)[0]
            return tuple(item(p.strip()) for p in raw.split(",") if p.strip())
        return raw
    except ValueError as exc:
        raise SettingsError(f"--set {key}={raw}: {exc}") from None


def replay(lines: Iterable[str], policy: ReplyPolicy, emit: Callable[[Any], None],
           report_error: Callable[[int, str], None]) -> int:
    """Feed JSON lines of live events through ``policy``; ``emit`` gets every decision.
    Returns the number of bad lines (each reported with its line number, then skipped)."""
    bad = 0
    clock: float | None = None
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            event = decode(line)
        except CodecError as exc:
            bad += 1
            report_error(n, str(exc))
            continue
        if not isinstance(event, LiveEvent):
            bad += 1
            report_error(n, f"not a live event (type {type(event).__name__})")
            continue
        now = event.ts if clock is None else max(clock, event.ts)  # events may arrive out of order
        if clock is not None:
            t = clock + TICK
            while t < now:
                for item in policy.tick(now=t):
                    emit(item)
                t += TICK
        clock = now
        for item in policy.handle(event, now=now):
            emit(item)
    if clock is not None:  # let every open window close
        longest = max(policy.settings.gift_max_wait_s, policy.settings.gift_pool_window_s,
                      policy.settings.welcome_batch_window_s + policy.settings.welcome_min_interval_s,
                      policy.settings.follow_window_s + policy.settings.follow_min_interval_s)
        t = clock + TICK
        while t <= clock + longest + TICK:
            for item in policy.tick(now=t):
                emit(item)
            t += TICK
    return bad
