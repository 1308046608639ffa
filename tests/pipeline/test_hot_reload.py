"""Issue 3's promise, shown on a running headless runtime: a live option edited in config.ini
takes effect without a restart; a broken edit leaves the run on the last good settings and
says what is wrong."""

from __future__ import annotations

import time

from app import events as ev
from app.config import write_values
from app.runtime import Runtime


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_live_edit_applies_and_broken_edit_keeps_last_good(tmp_path):
    config = tmp_path / "config.ini"
    config.write_text("# my notes stay\n[bus]\nurl = memory\n[audio]\nbackend = null\n"
                      "[priority]\ninterrupt_gap = 5\n[reply]\nwelcome_max_names = 3\n"
                      f"[store]\ndb_path = {tmp_path / 'db.sqlite3'}\n", encoding="utf-8")
    runtime = Runtime(config, demo=True, replay=tmp_path / "empty.feed")
    (tmp_path / "empty.feed").write_text("", encoding="utf-8")
    system: list = []
    runtime.bus.subscribe(ev.Channel.SYSTEM, system.append)
    runtime.start()
    try:
        assert runtime.player.machine.thresholds.gap == 5
        write_values(config, {("priority", "interrupt_gap"): 3, ("reply", "welcome_max_names"): 5})
        assert wait_for(lambda: any(isinstance(e, ev.ConfigChanged) for e in system))
        changed = next(e for e in system if isinstance(e, ev.ConfigChanged))
        assert set(changed.changed) >= {"priority.interrupt_gap", "reply.welcome_max_names"}
        assert wait_for(lambda: runtime.player.machine.thresholds.gap == 3)
        assert runtime.reply.settings.welcome_max_names == 5

        text = config.read_text(encoding="utf-8").replace("interrupt_gap = 3", "interrupt_gap = lots")
        config.write_text(text, encoding="utf-8")
        assert wait_for(lambda: any(isinstance(e, ev.ConfigError) for e in system))
        error = next(e for e in system if isinstance(e, ev.ConfigError))
        assert any("[priority] interrupt_gap" in line and "config.ini:" in line for line in error.errors)
        assert runtime.running and runtime.player.machine.thresholds.gap == 3  # last good kept
        assert "# my notes stay" in config.read_text(encoding="utf-8")
    finally:
        runtime.close()
