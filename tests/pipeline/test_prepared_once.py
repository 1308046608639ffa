"""Issue 22.3, "one prepare text step per utterance", on a running room: a script line with a
listed word is filtered once, by the scheduler; the room says the replacement; TTS (a stand-in
GPT-SoVITS server) is asked for exactly the prepared sentence and checks nothing again; the
spoken record shows what was said, what it replaced and the filter's hit."""

from __future__ import annotations

import json
import threading

import pytest

from app import events
from app.content import ProductLibrary
from app.runtime import Runtime
from app.store import SpokenLog
from tests.standins.gptsovits import StandinServer

SAID = "这是很好的面霜。"
WRITTEN = "这是最好的面霜。"


@pytest.fixture
def gptsovits():
    srv = StandinServer(hang_s=5.0).start()
    yield srv
    srv.stop()


def test_a_script_line_with_a_listed_word_is_prepared_once_and_recorded_with_its_hit(tmp_path, gptsovits):
    from app import paths

    products, lists = tmp_path / "products", tmp_path / "lists"
    (products / "cream").mkdir(parents=True)
    (products / "cream" / "product.json").write_text(
        json.dumps({"name": "面霜", "price": "99元", "segments": ["opening"]}), "utf-8")
    ProductLibrary(products, check_interval=0).save_segment("cream", "opening", template=WRITTEN + "欢迎来到直播间。")
    lists.mkdir()
    (lists / "absolute.txt").write_text("最好 => 很好\n", encoding="utf-8")
    db = tmp_path / "db.sqlite3"
    config = tmp_path / "config.ini"
    config.write_text(
        "[bus]\nurl = memory\n[llm]\nprovider = none\n[compliance]\nai_disclosure = false\n"
        f"lists_dir = {lists}\n"
        f"[tts]\nservers = {gptsovits.url}\nvoices = a\ncache_dir = {tmp_path / 'cache'}\n"
        "[voice.a]\nref_audio = refs/a.wav\nprompt_text = 参考文本\n"
        f"[script]\nproducts_dir = {products}\ntemplates_dir = {paths.bundled_data_dir() / 'templates'}\n"
        f"[store]\ndb_path = {db}\n", encoding="utf-8")
    (tmp_path / "empty.feed").write_text("", encoding="utf-8")
    runtime = Runtime(config, replay=tmp_path / "empty.feed", sink=f"wav:{tmp_path / 'room.wav'}")
    checked: list[str] = []
    room_filter = runtime.preparer.apply_filter
    runtime.preparer.apply_filter = lambda text: checked.append(text) or room_filter(text)
    requests, ready, finished = [], [], threading.Event()
    runtime.bus.subscribe(events.Channel.SPEECH_REQUESTS, requests.append)
    runtime.bus.subscribe(events.Channel.SPEECH_READY, ready.append)
    runtime.bus.subscribe(events.Channel.PLAYER_STATE, lambda e: finished.set() if isinstance(
        e, events.PlaybackFinished) and e.id in {r.id for r in list(requests) if r.text == SAID} else None)
    runtime.start()
    try:
        assert finished.wait(60), "the script line was never played to its end"
        script = [r for r in list(requests) if isinstance(r, events.SpeechRequest) and r.original == WRITTEN]
        ready_now = [e for e in list(ready) if isinstance(e, events.SpeechReady) and e.request.text == SAID]
        served = [text for text, _ in list(gptsovits.served)]
        filtered = list(checked)
    finally:
        runtime.close()

    assert script and all(r.text == SAID and r.sentences == (SAID,) for r in script)
    assert filtered.count(WRITTEN) == len(script), "one filter check per utterance, in the scheduler"
    assert SAID not in filtered, "TTS checked nothing again"
    assert ready_now and all(e.request.sentences == (SAID,) for e in ready_now)
    assert SAID in served and not any("最好" in text for text in served), "TTS was asked for the prepared sentence"
    with SpokenLog(db) as spoken:
        (row, *_) = [r for r in spoken.query() if r.text == SAID]
    assert row.original == WRITTEN and row.kind == "script"
    assert [(h["category"], h["term"], h["action"], h["replacement"]) for h in row.filter_hits] == [
        ("absolute", "最好", "replace", "很好")]
