"""Every GPT-SoVITS route down during a run: espeak-ng speaks, the stream goes on, and the
report says the fallback was used."""

from __future__ import annotations

import threading

from app import events as ev
from app.runtime import Runtime
from tests.redis_server import free_port


def test_all_servers_down_falls_back_to_espeak_and_keeps_playing(tmp_path):
    (tmp_path / "empty.feed").write_text("", encoding="utf-8")
    config = tmp_path / "config.ini"
    config.write_text(f"""[bus]
url = memory
[tts]
servers = http://127.0.0.1:{free_port()}, http://127.0.0.1:{free_port()}
voices = main
connect_timeout_s = 0.5
[voice.main]
ref_audio = refs/main.wav
[audio]
backend = null
[store]
db_path = {tmp_path / 'db.sqlite3'}
""", encoding="utf-8")
    runtime = Runtime(config, replay=tmp_path / "empty.feed")
    ready: list = []
    runtime.bus.subscribe(ev.Channel.SPEECH_READY, ready.append)
    runtime.start()
    try:
        threading.Event().wait(10)
        report = runtime.report()
    finally:
        runtime.close()
    scripts = [p for p in report["played"] if p["kind"] == "script"]
    assert scripts, "the script did not play while every GPT-SoVITS server was down"
    routes = {e.request.id: e.route for e in ready if isinstance(e, ev.SpeechReady)}
    assert all(routes[p["id"]] == "espeak" for p in scripts)
    assert report["tts"]["fallback_used"] > 0 and len(report["tts"]["ever_benched"]) == 2
