"""The policy as a running stage: live events in over the bus, decisions out, clean stop."""

from __future__ import annotations

import threading
import time

from app.bus.memory import MemoryBus
from app.events import Channel, Dropped, Priority, ProductOnAir, ReplyJob, SpeechRequest
from app.reply import ReplyPolicy, ReplySettings
from tests.unit.reply.helpers import comment, gift, user


def collect(bus, channel):
    got, cond = [], threading.Condition()

    def on(event):
        with cond:
            got.append(event)
            cond.notify_all()
    bus.subscribe(channel, on)
    return got, cond


def wait_until(cond, predicate, timeout=2.0):
    with cond:
        return cond.wait_for(predicate, timeout)


def test_stage_answers_live_events_from_both_channels_and_stops_cleanly():
    bus = MemoryBus("replytest")
    try:
        speech, speech_cond = collect(bus, Channel.SPEECH_REQUESTS)
        jobs, jobs_cond = collect(bus, Channel.REPLY_JOBS)
        system, system_cond = collect(bus, Channel.SYSTEM)
        before = set(threading.enumerate())
        p = ReplyPolicy(bus, settings=ReplySettings(gift_window_s=0.1, large_gift_window_s=0.1, gift_pool_window_s=0.1,
                                                    llm_enabled=True, large_gift_diamonds=100),
                        tick_interval=0.02)
        p.start()
        bus.publish(Channel.PLAYER_STATE, ProductOnAir(slug="cup", name="保温杯"))  # the scheduler's word
        end = time.monotonic() + 2.0  # the reply follows the product on air
        while p.product != "cup" and time.monotonic() < end:
            time.sleep(0.005)
        boss = user("b", "大哥")
        g = gift(boss, 1, name="嘉年华", diamonds=3000)
        assert g.channel == Channel.LIVE_DURABLE
        bus.publish(g.channel, g)
        small = gift(user("s", "小妹"), 2)
        bus.publish(small.channel, small)
        q = comment(user("q", "小红"), "这个怎么用？")
        bus.publish(q.channel, q)
        chat = comment(user("c", "路人"), "哈哈哈")
        bus.publish(chat.channel, chat)

        assert wait_until(speech_cond, lambda: len(speech) >= 2), speech
        by_source = {s.source_event: s for s in speech}
        assert by_source[g.msg_id].priority == Priority.GIFT_LARGE
        assert by_source[g.msg_id].text == "感谢大哥送的1个嘉年华"
        assert by_source[small.msg_id].text == "感谢小妹送的2个小心心"  # flushed by the timer
        assert wait_until(jobs_cond, lambda: len(jobs) == 1)
        assert isinstance(jobs[0], ReplyJob) and jobs[0].product == "cup"
        assert wait_until(system_cond, lambda: any(isinstance(e, Dropped) for e in system))
        assert [(d.ref, d.reason) for d in system if isinstance(d, Dropped)] == [(chat.msg_id, "not_a_question")]
        assert all(isinstance(s, SpeechRequest) for s in speech)

        p.stop()
        deadline = time.monotonic() + 2
        left = lambda: {t for t in set(threading.enumerate()) - before if not t.name.startswith("bus-")}  # noqa: E731
        while time.monotonic() < deadline and left():
            time.sleep(0.02)
        assert left() == set(), "stop() leaves no thread behind (the bus's delivery threads are the bus's)"
        late = comment(user("z"), "还有吗？")
        bus.publish(late.channel, late)
        time.sleep(0.1)
        assert len(jobs) == 1, "after stop() nothing is answered"
    finally:
        bus.close()


def test_stop_records_what_was_still_being_collected():
    bus = MemoryBus("replytest2")
    try:
        system, cond = collect(bus, Channel.SYSTEM)
        p = ReplyPolicy(bus, settings=ReplySettings(gift_window_s=30.0, gift_max_wait_s=60.0))
        p.start()
        g = gift(user(), 1)
        p.handle(g)
        p.stop()
        assert wait_until(cond, lambda: system)
        assert [(d.ref, d.reason) for d in system] == [(g.msg_id, "shutdown")]
    finally:
        bus.close()
