"""The whole live room through the real bus (memory and Redis): a replayed dy-barrage-grab feed,
a GPT-SoVITS stand-in with one voice that always returns silence, an Ollama stand-in, the WAV
sink. What the operator would notice is asserted on what was actually played."""

from __future__ import annotations

import threading
import time

import pytest

from app import events as ev
from app.runtime import Runtime
from tests.redis_server import free_port
from tests.standins.dybarrage import Room, Viewer
from tests.standins.gptsovits import StandinServer
from tests.standins.llm_common import Behaviour
from tests.standins.ollama_server import OllamaStandin

LLM_ANSWER = "晚上用效果更好一些。早晚都可以用哦！"
RUN_SECONDS = 34


def write_recording(path) -> dict[str, str]:
    room = Room()
    boss, a, b = Viewer(900, "榜一大哥", pay_level=30), Viewer(901, "小美"), Viewer(902, "阿强")
    lines, ids = [], {}

    def at(t: float, frame: str, name: str | None = None, msg_id: int | None = None) -> None:
        lines.append(f"{t:.3f}\t{frame}")
        if name:
            ids[name] = str(msg_id)

    at(0.2, room.stats(7000000000000000001, online=300, total=5000))
    at(1.5, room.gift(7000000000000000002, boss, gift_id=3, name="嘉年华", diamonds=30000, increment=1,
                      repeat=1), "gift", 7000000000000000002)
    at(12.0, room.comment(7000000000000000003, a, "这个多少钱"), "price", 7000000000000000003)
    at(12.5, room.comment(7000000000000000004, b, "晚上用还是早上用比较好呢？"), "llm", 7000000000000000004)
    for i in range(6):
        at(14.0 + i * 0.1, room.enter(7000000000000000010 + i, Viewer(950 + i, f"新朋友{i}"), 300 + i))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def write_config(path, *, bus_url: str, tts_url: str, dead_url: str, llm_url: str, db: str) -> None:
    path.write_text(f"""[bus]
url = {bus_url}
namespace = pipe{int(time.time() * 1000) % 100000}
[llm]
provider = ollama
model = qwen2.5:0.5b
ollama_host = {llm_url}
[tts]
servers = {tts_url}, {dead_url}
voices = bad, good
workers = 2
cache_dir = {path.parent / "tts-cache"}
speed_jitter = 0
[voice.bad]
ref_audio = refs/bad.wav
prompt_text = 坏的
[voice.good]
ref_audio = refs/good.wav
prompt_text = 好的
[audio]
backend = null
sample_rate = 32000
gap_ms = 150
lookahead_s = 12
[reply]
answer_comments = true
user_cooldown_s = 0
stale_welcome_s = 60
[director]
# this run checks each kind of line once; the limits that pace thanks and answers are tested on
# their own
thanks_share_max = 1
answer_wait_max_s = 60
[store]
db_path = {db}
""", encoding="utf-8")


@pytest.fixture(scope="module", params=["memory", "redis"])
def live_room(request, tmp_path_factory):
    """One ~35 s run per bus backend, shared by the tests below."""
    tmp_path = tmp_path_factory.mktemp(f"room-{request.param}")
    bus_url = "memory" if request.param == "memory" else request.getfixturevalue("redis_server").url
    tts = StandinServer(faults={"refs/bad.wav": "silence"}).start()
    llm = OllamaStandin(Behaviour(default_answer=LLM_ANSWER)).start()
    recording = tmp_path / "room.feed"
    ids = write_recording(recording)
    config = tmp_path / "config.ini"
    dead_url = f"http://127.0.0.1:{free_port()}"  # a configured GPT-SoVITS server that is down
    write_config(config, bus_url=bus_url, tts_url=tts.url, dead_url=dead_url, llm_url=llm.url,
                 db=str(tmp_path / "live.sqlite3"))
    seen: list = []
    runtime = Runtime(config, sink=f"wav:{tmp_path / 'played.wav'}", replay=recording)
    for channel in (ev.Channel.SPEECH_READY, ev.Channel.PLAYER_STATE):
        runtime.bus.subscribe(channel, seen.append)
    runtime.start()
    done = threading.Event()
    done.wait(RUN_SECONDS)
    # the welcome waits for a break in the script, at the least the end of a sentence (the
    # director): give it that long, no longer
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline and not any(
            isinstance(e, ev.PlaybackStarted) and e.kind == "welcome" for e in list(seen)):
        done.wait(0.2)
    report = runtime.report()
    segments = runtime.player.sink.segments
    spoken = runtime.spoken_log.query() if runtime.spoken_log else []
    runtime.close()
    tts.stop()
    llm.stop()
    yield {"report": report, "ids": ids, "seen": seen, "segments": segments, "spoken": spoken,
           "dead": dead_url.split("://")[1]}


def played_of(report, kind):
    return [p for p in report["played"] if p["kind"] == kind]


def test_the_live_room_end_to_end(live_room):
    report, ids, seen = live_room["report"], live_room["ids"], live_room["seen"]
    ready = {e.request.id: e for e in seen if isinstance(e, ev.SpeechReady)}

    # the script plays, and a big gift interrupts it and is thanked at GIFT_LARGE
    scripts = played_of(report, "script")
    assert scripts, report["played"]
    gift = [p for p in played_of(report, "gift") if p["source_msg_id"] == ids["gift"]]
    assert gift and gift[0]["priority"] == ev.Priority.GIFT_LARGE
    assert "嘉年华" in gift[0]["text"]
    cut = [e for e in seen if isinstance(e, ev.PlaybackInterrupted) and e.by_id == gift[0]["id"]]
    assert cut, "the big gift did not interrupt what was playing"

    # the cut script item resumes from the start of the sentence that was cut
    resumed = [e for e in seen if isinstance(e, ev.PlaybackResumed) and e.id == cut[0].id]
    assert resumed, "the interrupted item was never resumed"
    starts = ready[cut[0].id].sentence_starts
    assert resumed[0].sentence_index == cut[0].sentence_index
    assert resumed[0].position_s == pytest.approx(starts[cut[0].sentence_index], abs=0.01)
    assert resumed[0].position_s <= cut[0].position_s

    # a keyword question is answered from its rule; another one by the LLM
    rule = [p for p in report["played"] if p["source_msg_id"] == ids["price"]]
    assert rule and "89元" in rule[0]["text"] and rule[0]["kind"] == "reply"
    llm = [p for p in report["played"] if p["source_msg_id"] == ids["llm"]]
    assert [p["kind"] for p in llm] == ["llm", "llm"]
    assert "".join(p["text"] for p in llm) == LLM_ANSWER

    # a burst of six entries gives one batched welcome naming several viewers
    welcomes = played_of(report, "welcome")
    assert len(welcomes) == 1 and sum(f"新朋友{i}" in welcomes[0]["text"] for i in range(6)) >= 2

    # the silent voice was rejected and rotated away from; nothing it made was played
    assert report["tts"]["rejected"] > 0 and report["tts"]["rotations"] > 0
    played_ids = {p["id"].split("#")[0] for p in report["played"]}
    assert all("#bad" not in ready[i].route for i in played_ids if i in ready)
    assert any("#good" in ready[i].route for i in played_ids if i in ready)
    # the server that is down was benched, and the report says so
    assert live_room["dead"] in str(report["tts"]["ever_benched"]), report["tts"]

    assert report["dead_air_s"] == 0.0
    assert report["feed"]["bad_frames"] == 0 and report["feed"]["decoded"] >= 10


def test_spoken_log_equals_what_the_wav_sink_played(live_room):
    # One utterance may span several sink segments when the player was late under load (the
    # sink records the underrun as silence); what counts is which utterances played, in order.
    in_sink = [s.id for s in live_room["segments"] if s.id]
    in_sink = [sid for i, sid in enumerate(in_sink) if i == 0 or in_sink[i - 1] != sid]
    in_log = [row.utterance_id for row in live_room["spoken"]]
    assert in_sink and in_log == in_sink
