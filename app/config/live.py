"""Which code applies which option while the room runs.

An option declared ``applies=LIVE`` is applied at once by the consumers registered for it. A
consumer registers for options by key (``"tts.speed_jitter"``) or by section (``"reply"``;
``"voice"`` covers every ``[voice.NAME]``), as qutebrowser's ``config.change_filter`` does; after
each reload the config store calls every consumer one of whose options changed, once, with the
new snapshot. A consumer cannot register for an option that is not declared live (the
declaration would lie), and a section registration covers only the section's live options.

The registrations are the truth the settings view and the notices rely on: the app's consumers
are made in one place (``app.wiring.register_live`` for the runtime's stages, the main window for
its own), and tests/unit/config/test_live_options.py fails for a live option without a consumer
or for a consumer that does not pass a changed value on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.config.schema import Schema
from app.config.snapshot import Snapshot
from app.logs import get_logger

log = get_logger("config")

Apply = Callable[[Snapshot], None]


def base_name(option: str) -> tuple[str, str]:
    """``"voice.alice.speed"`` → ``("voice", "speed")``; ``"tts.voices"`` → ``("tts", "voices")``."""
    section, _, key = option.rpartition(".")
    return section.partition(".")[0], key


@dataclass(frozen=True, eq=False)
class Consumer:
    name: str  # who applies the options, in Chinese (logs, error notices)
    patterns: tuple[str, ...]  # "section" or "section.key" (section = a pattern section's base name)
    apply: Apply

    def wants(self, option: str) -> bool:
        """Does this consumer apply ``option`` ("section.key", "voice.NAME.key")?"""
        section, key = base_name(option)
        return section in self.patterns or f"{section}.{key}" in self.patterns


@dataclass(frozen=True)
class LiveResult:
    applied: tuple[str, ...] = ()  # changed live options every consumer of which took them
    failed: tuple[tuple[str, str], ...] = ()  # (option, "consumer: error") not (fully) applied
    unconsumed: tuple[str, ...] = ()  # changed live options nothing running applies now (a start reads them)


class LiveConsumers:
    """The registry. Thread-safe: registering happens at start/stop, applying on the config
    watcher's thread."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self._lock = threading.Lock()
        self._consumers: list[Consumer] = []

    def register(self, name: str, patterns: Iterable[str], apply: Apply) -> Consumer:
        patterns = tuple(patterns)
        if not patterns:
            raise ValueError(f"live consumer {name!r} registers for no option")
        for pattern in patterns:
            self._check(name, pattern)
        consumer = Consumer(name, patterns, apply)
        with self._lock:
            self._consumers.append(consumer)
        return consumer

    def _check(self, name: str, pattern: str) -> None:
        section, dot, key = pattern.partition(".")
        spec = next((s for s in self.schema.sections if s.name == section), None)
        if spec is None:
            raise ValueError(f"live consumer {name!r}: [{section}] is not a config section")
        if not dot:
            return
        opt = spec.option(key)
        if opt is None:
            raise ValueError(f"live consumer {name!r}: {pattern} is not a config option")
        if not opt.live:
            raise ValueError(f"live consumer {name!r}: {pattern} is declared applies={opt.applies!r}, "
                             f"so it cannot be applied live; declare it LIVE or do not register for it")

    def unregister(self, consumer: Consumer | None) -> None:
        with self._lock:
            if consumer in self._consumers:
                self._consumers.remove(consumer)

    @property
    def consumers(self) -> tuple[Consumer, ...]:
        with self._lock:
            return tuple(self._consumers)

    def is_live(self, option: str) -> bool:
        section, key = base_name(option)
        opt = self.schema.option(section, key)
        return opt is not None and opt.live

    def consumers_of(self, option: str) -> list[Consumer]:
        """The consumers that apply ``option`` now (none for an option not declared live)."""
        if not self.is_live(option):
            return []
        return [c for c in self.consumers if c.wants(option)]

    def apply(self, new: Snapshot, changed: Iterable[str]) -> LiveResult:
        """Call each consumer of a changed live option once, with ``new``. A consumer that raises
        is logged and its options reported as failed; the others still apply."""
        live = [o for o in changed if self.is_live(o)]
        calls: dict[Consumer, list[str]] = {}
        for option in live:
            for consumer in self.consumers_of(option):
                calls.setdefault(consumer, []).append(option)
        errors: dict[str, list[str]] = {}
        for consumer, options in calls.items():
            try:
                consumer.apply(new)
            except Exception as exc:  # one broken consumer must not stop the others from updating
                log.exception("applying %s live (%s) failed", ", ".join(options), consumer.name)
                for option in options:
                    errors.setdefault(option, []).append(f"{consumer.name}: {exc or type(exc).__name__}")
        consumed = {o for options in calls.values() for o in options}
        return LiveResult(
            applied=tuple(o for o in live if o in consumed and o not in errors),
            failed=tuple((o, "; ".join(errors[o])) for o in live if o in errors),
            unconsumed=tuple(o for o in live if o not in consumed))
