"""The TTS stage end to end on a MemoryBus against stand-in GPT-SoVITS servers (real HTTP, so
real time with deadlines where a server is slow; the stage's own clock by hand where it can be)."""

import re
import time

import pytest

from app import events
from app.text.prepare import make_request
from app.text.spoken import normalize, speakable_length
from app.tts import quality
from tests.standins.gptsovits import FAULT_MODES
from tests.standins.gptsovits_harness import DEAD_URL, read_published, voice
from tests.waiting import HandClock, wait_until
from tests.word_lists import CheckedTexts

TEXT = "这款面霜今天只要99.9元，买2件再减10元。"


def assert_good_speech(event, text=TEXT):
    """What the player would get: a SpeechReady whose file passes the check and is speech."""
    assert isinstance(event, events.SpeechReady), event
    wav = read_published(event)
    assert wav.sample_rate == event.sample_rate
    assert abs(wav.duration_s - event.duration_s) < 0.01
    verdict = quality.check(wav.samples, wav.sample_rate, speakable_length(normalize(text)))
    assert verdict.ok, verdict.reason
    assert verdict.metrics["voiced_ratio"] > 0.5


@pytest.mark.parametrize("mode", [m for m in FAULT_MODES])
def test_every_fault_mode_ends_in_rotation_and_only_good_audio_is_published(standin, make_pool, mode):
    srv = standin(faults={"SoVITS_weights/bad.pth": mode})
    h = make_pool([srv.url], [voice("bad"), voice("good")], cache=False)
    h.say("r1", TEXT)
    (ready,) = h.wait_for(1)
    assert_good_speech(ready)
    assert ready.route.endswith("#good") and ready.attempts >= 2
    report = h.pool.report()
    assert report["rotations"] >= 1 and report["rejected"] >= 1


def test_down_server_is_benched_and_reported_and_the_other_one_speaks(standin, make_pool):
    srv = standin()
    h = make_pool([DEAD_URL, srv.url], [voice("a")], cache=False, workers=1, bench_seconds=30)
    for i in range(3):
        h.say(f"r{i}", f"第{i + 1}号链接，{TEXT}")
    results = h.wait_for(3)
    for e in results:
        assert_good_speech(e, e.request.text)
        assert srv.url in e.route
    down = [x for x in h.health if x.component == "tts:127.0.0.1:9" and x.status == "down"]
    assert down and "benched" in down[-1].detail and "connection refused" in down[-1].detail
    assert "server 127.0.0.1:9" in h.pool.report()["benched"]


def test_all_servers_down_falls_back_to_espeak_and_the_stream_goes_on(make_pool):
    h = make_pool([DEAD_URL], [voice("a")], cache=False)
    h.say("r1", TEXT)
    (ready,) = h.wait_for(1)
    assert_good_speech(ready)
    assert ready.route == "espeak"
    assert h.pool.report()["fallback_used"] == 1
    assert any(x.component == "tts" and x.status == "degraded" and "espeak" in x.detail for x in h.health)


def test_the_fallback_speaks_at_the_configured_pace(make_pool):
    """[tts] espeak_rate_wpm: the default is a selling host's pace, faster than espeak-ng's own."""
    lengths = {}
    for wpm in (150, 220):
        h = make_pool([DEAD_URL], [voice("a")], cache=False, espeak_rate_wpm=wpm)
        h.say("r1", TEXT)
        (ready,) = h.wait_for(1)
        assert_good_speech(ready)
        lengths[wpm] = ready.duration_s
    assert lengths[220] < 0.8 * lengths[150]
    assert speakable_length(normalize(TEXT)) / lengths[220] > 4.0  # characters a second


def test_when_even_the_fallback_is_off_the_request_fails_visibly(make_pool):
    h = make_pool([DEAD_URL], [voice("a")], cache=False, fallback=False)
    h.say("r1", TEXT)
    (failed,) = h.wait_for(1)
    assert isinstance(failed, events.SpeechFailed) and "connection refused" in failed.reason


def test_benched_route_is_probed_and_returns_when_it_recovers(standin, make_pool):
    srv = standin(faults={"SoVITS_weights/a.pth": "zeros"})
    clock = HandClock()
    h = make_pool([srv.url], [voice("a"), voice("b")], cache=False, workers=1, bench_seconds=30, bench_after_failures=1,
                  mono=clock)
    h.say("r1", TEXT)
    assert h.wait_for(1)[0].route.endswith("#b")
    assert "voice a on" in " ".join(h.pool.report()["benched"])
    srv.set_fault("SoVITS_weights/a.pth", None)
    clock.advance(29)
    h.pool.check_deadlines()
    assert "voice a on" in " ".join(h.pool.report()["benched"])  # benched for its whole 30 s
    clock.advance(2)  # the bench is over: the monitor probes the voice (a real request) and brings it back
    wait_until(lambda: h.pool.report()["benched"] == [], what="voice a back from the bench")
    h.say("r2", "欢迎新来的朋友，点点关注不迷路。")
    assert h.wait_for(2)[1].route.endswith("#a")


def test_sentences_are_synthesised_one_by_one_and_their_starts_are_exact(standin, make_pool):
    srv = standin()
    h = make_pool([srv.url], [voice("a")], cache=False)
    text = "第一句话很短。第二句话稍微长一点点！第三句？"
    h.say("r1", text)
    (ready,) = h.wait_for(1)
    assert len(ready.sentence_starts) == 3 and ready.sentence_starts[0] == 0.0
    assert list(ready.sentence_starts) == sorted(ready.sentence_starts)
    assert srv.tts_requests == 3
    assert_good_speech(ready, text)


def test_cache_hit_needs_no_server_and_says_so(standin, make_pool):
    srv = standin()
    h = make_pool([srv.url], [voice("a")])
    h.say("r1", TEXT)
    h.wait_for(1)
    calls = srv.tts_requests
    h.say("r2", TEXT)
    second = h.wait_for(2)[1]
    assert second.cached and srv.tts_requests == calls
    assert_good_speech(second)
    assert h.pool.report()["cache_hits"] == 1


def test_cancelled_requests_are_never_published(standin, make_pool):
    srv = standin(latency_s=0.3)
    h = make_pool([srv.url], [voice("a")], cache=False, workers=1)
    h.say("r1", TEXT)
    h.say("r2", "这是第二条，会被取消。")
    h.say("r3", "这是第三条，也会被取消。")
    wait_until(lambda: srv.tts_requests == 1, what="r1 on the server")  # r2 and r3 wait behind it
    h.bus.publish(events.Channel.CONTROL, events.CancelSpeech(ids=("r1", "r2")))
    h.say("r4", "最后一条照常播出。")
    h.bus.publish(events.Channel.CONTROL, events.CancelSpeech(ids=("r3",)))
    h.wait_for(1)
    assert h.pool.wait_idle(5)  # every request is finished: published or dropped for good
    assert h.pool.report()["dropped"] == {"cancelled": 3}
    marker = events.SpeechFailed(request=events.SpeechRequest(id="end", text="", kind="script", priority=0),
                                 reason="test marker")
    h.bus.publish(events.Channel.SPEECH_READY, marker)  # delivered after anything published before it
    h.wait_for(2)
    assert [e.request.id for e in h.ready] == ["r4", "end"]


def test_urgent_requests_jump_the_queue(standin, make_pool):
    srv = standin(latency_s=0.15)
    h = make_pool([srv.url], [voice("a")], cache=False, workers=1)
    h.say("script1", "先播第一段话术。")
    wait_until(lambda: srv.tts_requests == 1, what="script1 on the only worker")
    h.say("script2", "这是第二段话术。", priority=events.Priority.SCRIPT)
    h.say("gift", "感谢大哥送的嘉年华！", priority=events.Priority.GIFT_LARGE)
    ids = [e.request.id for e in h.wait_for(3)]
    assert ids == ["script1", "gift", "script2"]


def test_one_request_at_a_time_per_server(standin, make_pool):
    a, b = standin(latency_s=0.1), standin(latency_s=0.1)
    h = make_pool([a.url, b.url], [voice("v")], cache=False, workers=4)
    for i in range(6):
        h.say(f"r{i}", f"第{i + 1}号链接上新了。")
    h.wait_for(6)
    assert a.max_inflight == 1 and b.max_inflight == 1
    assert a.tts_requests >= 2 and b.tts_requests >= 2  # both servers did work


def test_stale_and_full_queue_requests_fail_with_a_reason(standin, make_pool):
    srv = standin(latency_s=0.2)
    h = make_pool([srv.url], [voice("a")], cache=False, workers=1, queue_max=1)
    h.say("old", TEXT, deadline=time.time() - 1)
    h.wait_for(1)  # refused as stale: the one queue place is free again
    h.say("busy", "占住唯一的工人。")
    wait_until(lambda: srv.tts_requests == 1, what="busy on the only worker")
    h.say("low", "低优先级。", priority=events.Priority.BACKGROUND)
    h.say("high", "高优先级！", priority=events.Priority.GIFT_NORMAL)
    results = {e.request.id: e for e in h.wait_for(4)}
    # the player's words for the same verdict (one rule: app.utterance.stale_reason)
    assert re.fullmatch(r"stale: deadline passed \d+\.\ds ago", results["old"].reason), results["old"].reason
    assert isinstance(results["low"], events.SpeechFailed) and "queue full" in results["low"].reason
    assert isinstance(results["high"], events.SpeechReady)


def test_a_request_with_sentences_is_synthesised_verbatim_and_never_filtered_again(standin, make_pool, tmp_path):
    """Its producer prepared it: a word list edited between that and the synthesis changes
    nothing the room hears, so what the spoken record shows is what was said."""
    checked = CheckedTexts(tmp_path / "lists")
    srv = standin()
    h = make_pool([srv.url], [voice("a")], cache=False, prepare=checked.preparer())
    prepared = checked.preparer()("这款最好，只要9.9元。真的！")
    (tmp_path / "lists" / "absolute.txt").write_text("很好 => 不错\n", encoding="utf-8")
    checked.filter.reload()  # the lists change before TTS gets the request
    h.bus.publish(events.Channel.SPEECH_REQUESTS, make_request(prepared, id="r1", kind="script", priority=10))
    (ready,) = h.wait_for(1)
    assert isinstance(ready, events.SpeechReady) and len(ready.sentence_starts) == 2
    assert [text for text, _ in srv.served] == list(prepared.sentences) == ["这款很好，只要九点九元。", "真的！"]
    assert checked.texts == ["这款最好，只要9.9元。真的！"], "TTS checked nothing again"


def test_a_request_without_sentences_is_prepared_by_tts_with_the_room_filter(standin, make_pool, tmp_path):
    """试听 or a producer of an older version: TTS prepares it the same way, filter included, so
    nothing unfiltered is ever spoken."""
    checked = CheckedTexts(tmp_path / "lists")
    srv = standin()
    h = make_pool([srv.url], [voice("a")], cache=False, prepare=checked.preparer())
    h.say("bad", "欢迎！加微信领福利")
    h.say("ok", "这款最好")
    results = {e.request.id: e for e in h.wait_for(2)}
    assert isinstance(results["bad"], events.SpeechFailed) and "text filter" in results["bad"].reason
    assert isinstance(results["ok"], events.SpeechReady)
    assert [text for text, _ in srv.served] == ["这款很好"]


def test_a_prefetch_synthesises_its_spoken_sentences_into_the_cache(standin, make_pool):
    srv = standin()
    h = make_pool([srv.url], [voice("a")])
    h.bus.publish(events.Channel.SPEECH_REQUESTS, events.PrefetchSpeech(
        texts=("只要9.9元。包邮！",), sentences=("只要九点九元。", "包邮！")))
    wait_until(lambda: h.pool.report()["prefetched"] == 2, what="both sentences prefetched")
    assert sorted(text for text, _ in srv.served) == ["包邮！", "只要九点九元。"]
    h.bus.publish(events.Channel.SPEECH_REQUESTS, events.SpeechRequest(
        id="answer", text="只要9.9元。包邮！", kind="reply", priority=0, sentences=("只要九点九元。", "包邮！")))
    (ready,) = h.wait_for(1)
    assert ready.cached and srv.tts_requests == 2, "the answer is heard from the cache"
