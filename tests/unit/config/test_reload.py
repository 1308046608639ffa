"""Hot reload: valid edits apply at once, broken edits keep the last good settings, a
half-written file is rejected and the completed one applied, restart-only edits wait."""

from __future__ import annotations

import queue
import threading
import time

import pytest

from app import config, events
from app.bus.memory import MemoryBus
from tests.unit.config.conftest import set_option


@pytest.fixture
def bus():
    with MemoryBus("cfgtest") as b:
        yield b


@pytest.fixture
def system(bus):
    got: queue.Queue = queue.Queue()
    bus.subscribe(events.Channel.SYSTEM, got.put)
    return got


def next_event(q: queue.Queue, timeout: float = 2.0):
    return q.get(timeout=timeout)


def write(path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def test_valid_edit_applies_live_and_is_published(ini, bus, system):
    store = config.ConfigStore(ini, bus=bus)
    updates = []
    store.add_listener(updates.append)
    old = store.current
    text, _ = set_option(ini.read_text(encoding="utf-8"), "audio", "gap_ms", "400")
    write(ini, text)
    result = store.reload()
    assert result.ok and result.changed == ("audio.gap_ms",)
    assert store.current.get("audio", "gap_ms") == 400
    assert old.get("audio", "gap_ms") == 150  # snapshots never change
    event = next_event(system)
    assert event == events.ConfigChanged(changed=("audio.gap_ms",), pending_restart=())
    (update,) = updates
    assert update.old is old and update.new is store.current


def test_invalid_edit_keeps_last_good_and_publishes_the_error(ini, bus, system):
    store = config.ConfigStore(ini, bus=bus)
    good = store.current
    text, line = set_option(ini.read_text(encoding="utf-8"), "audio", "gap_ms", "long")
    write(ini, text)
    result = store.reload()
    assert not result.ok
    assert store.current is good
    event = next_event(system)
    assert isinstance(event, events.ConfigError)
    assert event.path == str(ini)
    assert event.errors == (f"config.ini:{line}: [audio] gap_ms: 'long' is not a whole number "
                            f"(allowed: whole number 0..5000)",)
    assert store.last_errors == event.errors
    # the same broken content again is not reported twice
    assert store.reload().unchanged
    with pytest.raises(queue.Empty):
        system.get(timeout=0.2)


def test_half_written_file_is_rejected_and_the_completed_write_applied(ini, bus, system):
    store = config.ConfigStore(ini, bus=bus)
    complete, _ = set_option(ini.read_text(encoding="utf-8"), "priority", "interrupt_gap", "4")
    cut = complete.index("[reply]") + len("[reply]\n# 感谢")  # cut mid-section, mid-comment
    write(ini, complete[:cut])
    result = store.reload()
    assert not result.ok
    assert any("[reply] gift_thanks: missing, but the file set it before" in e for e in result.errors)
    assert store.current.get("priority", "interrupt_gap") == 5
    assert isinstance(next_event(system), events.ConfigError)
    write(ini, complete)
    result = store.reload()
    assert result.ok and result.changed == ("priority.interrupt_gap",)
    assert store.current.get("priority", "interrupt_gap") == 4
    assert isinstance(next_event(system), events.ConfigChanged)


def test_empty_file_mid_save_is_rejected(ini, bus):
    store = config.ConfigStore(ini, bus=bus)
    write(ini, "")
    assert not store.reload().ok
    assert store.current.get("audio", "chunk_bytes") == 4096


def test_restart_only_change_is_reported_as_pending(ini, bus, system):
    store = config.ConfigStore(ini, bus=bus)
    text, _ = set_option(ini.read_text(encoding="utf-8"), "audio", "sample_rate", "48000")
    text, _ = set_option(text, "audio", "gap_ms", "300")
    write(ini, text)
    result = store.reload()
    assert result.changed == ("audio.gap_ms",)
    assert result.pending_restart == ("audio.sample_rate",)
    assert store.current.get("audio", "sample_rate") == 32000  # the running value
    assert store.on_disk.get("audio", "sample_rate") == 48000
    assert next_event(system) == events.ConfigChanged(changed=("audio.gap_ms",),
                                                      pending_restart=("audio.sample_rate",))
    # reverting the file clears the pending restart
    text, _ = set_option(text, "audio", "sample_rate", "32000")
    write(ini, text)
    result = store.reload()
    assert result.pending_restart == () and store.pending_restart == ()


def test_the_next_run_takes_the_restart_only_values_and_clears_the_marks(ini, bus, system):
    store = config.ConfigStore(ini, bus=bus)
    text, _ = set_option(ini.read_text(encoding="utf-8"), "audio", "sample_rate", "48000")
    write(ini, text)
    store.reload()
    assert next_event(system).pending_restart == ("audio.sample_rate",)
    updates = []
    store.add_listener(updates.append)
    snap = store.apply_restart_options()  # what 开播 does
    assert snap.get("audio", "sample_rate") == 48000 and store.pending_restart == ()
    assert next_event(system) == events.ConfigChanged(changed=("audio.sample_rate",), pending_restart=())
    assert [u.changed for u in updates] == [("audio.sample_rate",)]
    # a later live edit keeps the new value: it is the running one now
    text, _ = set_option(text, "audio", "gap_ms", "300")
    write(ini, text)
    assert store.reload().pending_restart == () and store.current.get("audio", "sample_rate") == 48000
    assert store.apply_restart_options() is store.current and len(updates) == 2  # nothing more to apply


def test_options_the_app_built_with_stay_pending_at_the_next_start(ini, bus):
    store = config.ConfigStore(ini, bus=bus)
    text, _ = set_option(ini.read_text(encoding="utf-8"), "audio", "sample_rate", "48000")
    text, _ = set_option(text, "bus", "namespace", "other")
    write(ini, text)
    store.reload()
    snap = store.apply_restart_options()  # 开播: the AT_START option applies, the AT_RESTART one waits
    assert snap.get("audio", "sample_rate") == 48000
    assert snap.get("bus", "namespace") == "live" and store.pending_restart == ("bus.namespace",)


def test_a_store_can_run_with_the_apps_values_of_the_options_read_at_its_launch(ini, bus, tmp_path):
    app_store = config.ConfigStore(ini, bus=bus)
    text, _ = set_option(ini.read_text(encoding="utf-8"), "script", "products_dir", str(tmp_path / "new"))
    write(ini, text)
    app_store.reload()
    assert app_store.pending_restart == ("script.products_dir",)
    pinned = app_store.running_values(config.schema.spec("script").option("products_dir").applies)
    child = config.ConfigStore(ini, pinned=pinned)  # what a child runtime gets from the app
    assert child.current.get("script", "products_dir") == "data/products"
    assert child.apply_restart_options().get("script", "products_dir") == "data/products"
    assert child.pending_restart == ("script.products_dir",)
    with pytest.raises(ValueError, match="audio.sample_rate"):
        config.ConfigStore(ini, pinned={"audio.sample_rate": "48000"})  # read at 开播, not at launch


def test_comment_only_edit_publishes_nothing(ini, bus, system):
    store = config.ConfigStore(ini, bus=bus)
    write(ini, ini.read_text(encoding="utf-8") + "\n# a note from the operator\n")
    assert store.reload().ok
    with pytest.raises(queue.Empty):
        system.get(timeout=0.2)


class FakePlayer:
    """Stands for a stage the runtime re-configures on ConfigChanged."""

    def __init__(self, store: config.ConfigStore):
        self.gap_ms = store.current.get("audio", "gap_ms")
        self.applied = threading.Event()
        store.add_listener(self.on_update)

    def on_update(self, update: config.ConfigUpdate) -> None:
        if "audio.gap_ms" in update.changed:
            self.gap_ms = update.new.get("audio", "gap_ms")
            self.applied.set()


def test_watcher_applies_a_live_edit_during_a_run_and_survives_a_broken_one(ini, bus, system):
    store = config.ConfigStore(ini, bus=bus, poll_s=0.02, debounce_s=0.05)
    player = FakePlayer(store)
    store.start_watching()
    try:
        original = ini.read_text(encoding="utf-8")
        time.sleep(0.02)  # a different mtime than the initial file on coarse clocks
        broken, _ = set_option(original, "audio", "gap_ms", "lots")
        write(ini, broken)
        assert isinstance(next_event(system), events.ConfigError)
        assert player.gap_ms == 150 and store.current.get("audio", "gap_ms") == 150
        fixed, _ = set_option(original, "audio", "gap_ms", "250")
        write(ini, fixed)
        assert player.applied.wait(2.0), "the live edit was not applied"
        assert player.gap_ms == 250
        assert next_event(system) == events.ConfigChanged(changed=("audio.gap_ms",))
    finally:
        store.stop_watching()


def test_watcher_waits_for_an_editor_that_saves_in_two_steps(ini, bus, system):
    store = config.ConfigStore(ini, bus=bus, poll_s=0.02, debounce_s=0.3)
    store.start_watching()
    try:
        complete, _ = set_option(ini.read_text(encoding="utf-8"), "reply", "gift_window_s", "5")
        with ini.open("w", encoding="utf-8") as fh:  # first half, then the rest 0.1 s later
            fh.write(complete[: len(complete) // 2])
            fh.flush()
            time.sleep(0.1)
            fh.write(complete[len(complete) // 2:])
        event = next_event(system)
        assert event == events.ConfigChanged(changed=("reply.gift_window_s",))  # no ConfigError first
        assert store.current.get("reply", "gift_window_s") == 5.0
    finally:
        store.stop_watching()


def test_store_refuses_to_start_on_a_broken_file(tmp_path):
    path = tmp_path / "config.ini"
    path.write_text("[audio]\nchunk_bytes = many\n", encoding="utf-8")
    with pytest.raises(config.ConfigErrors) as caught:
        config.ConfigStore(path)
    assert caught.value.errors[0].startswith("config.ini:2: [audio] chunk_bytes:")
