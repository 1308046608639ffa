"""The runtime's upkeep while a room runs: config.ini edits applied live (the consumers of live
options registered through ``wiring.register_live``, what did not apply told to the operator)
and the compliance word lists followed on disk. A runtime whose stages run in another process
keeps only this part going (``start_upkeep``).

A mixin of ``Runtime`` (``app/runtime.py``), which owns the state and starts and stops the
upkeep with the room.
"""

from __future__ import annotations

import time

from app import events, wiring
from app.config import ConfigUpdate
from app.logs import get_logger

log = get_logger("runtime")
#: How often word lists edited on disk are looked for.
MAINTAIN_EVERY_S = 2.0
Channel = events.Channel


class RuntimeUpkeep:
    """Mixin: see the module docstring."""

    def start_upkeep(self) -> None:
        """For a runtime whose stages run in another process (``RuntimeProcess``): keep what the
        views check against here current, as a started runtime does: the compliance options
        follow config.ini, word lists follow their files. ``stop``/``close`` end it."""
        with self._lock:
            self._register_live(self.config.current, stages=False)
            self._start_upkeep()

    def _register_live(self, snap, *, stages: bool) -> None:
        """Register the consumers of live options (``wiring.register_live``; all of them when the
        stages run here) and bring the compliance filter, made with the runtime, up to ``snap``."""
        for consumer in self._live:
            self.config.live.unregister(consumer)
        self._live = wiring.register_live(self.config.live, self, compliance_only=not stages)
        self._sync_compliance(snap)

    def _start_upkeep(self) -> None:
        self.config.add_listener(self._on_config)
        self._subs.append(self.bus.inbox("runtime-upkeep", {}, tick=self._maintain, every=MAINTAIN_EVERY_S))

    # ---- hot reload ----------------------------------------------------------------------------

    def _on_config(self, update: ConfigUpdate) -> None:
        """After a reload the config store has called the consumers of the changed live options
        (registered by ``_register_live``); say what applied, and tell the operator what did not.
        Options read at a start are reported as pending by the store."""
        live = update.live
        if live.applied:
            log.info("config applied live: %s", ", ".join(live.applied))
        if live.failed:
            names = "、".join(option for option, _ in live.failed)
            why = "；".join(dict.fromkeys(why for _, why in live.failed))
            self.bus.publish(Channel.SYSTEM, events.ErrorReport(
                component="设置", message=f"设置 {names} 没能立即生效（{why}），请检查后重新保存；下次开播时会再读取",
                ts=time.time()))

    def _sync_compliance(self, snap) -> None:
        """The compliance filter is made with the runtime: a start brings it up to the settings,
        as a live edit would (a word-list folder that cannot be read is reported, the lists in
        use stay)."""
        consumer = next(c for c in self._live if "compliance.lists_dir" in c.patterns)
        try:
            consumer.apply(snap)
        except Exception as exc:
            log.error("compliance settings not applied: %s", exc)
            self.notes.append(f"compliance settings not applied: {exc}")
            self.bus.publish(Channel.SYSTEM, events.ErrorReport(
                component="设置", message=f"合规过滤设置没能应用（{exc}），继续使用原来的词表", ts=time.time()))

    def _watch_config(self) -> None:
        try:
            self.config.poll()
        except Exception:  # the watch must outlive any surprise
            log.exception("config watch step failed")

    def _maintain(self) -> None:
        """Slow periodic chores (the upkeep inbox's tick): word lists edited on disk are picked up."""
        try:
            if self.compliance.reload_if_changed():
                log.info("compliance word lists reloaded")
        except Exception:
            log.exception("reloading compliance word lists failed")
