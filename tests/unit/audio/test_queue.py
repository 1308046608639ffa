from __future__ import annotations

import random
import threading

import pytest

from app import events
from app.audio.queue import SpeechQueue
from app.director import Airtime, Director


class Clocks:
    def __init__(self):
        self.mono = 50.0
        self.wall = 1_700_000_000.0

    def advance(self, seconds):
        self.mono += seconds
        self.wall += seconds


@pytest.fixture
def clocks():
    return Clocks()


@pytest.fixture
def queue(clocks):
    q = SpeechQueue(clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall)
    director = Director(airtime=Airtime(0.0), aging_step=1.0, aging_interval_s=10.0)
    q.pick = lambda items: director.pick(items, clocks.mono)  # the order is the director's alone
    q.key = lambda item: director.key(item, clocks.mono)
    return q


def req(item_id, priority=10, **kw):
    kw.setdefault("kind", "script")
    return events.SpeechRequest(id=item_id, text=f"say {item_id}", priority=priority, **kw)


def ready(request):
    return events.SpeechReady(request=request, audio_path="/x.wav", sample_rate=8000, duration_s=1.0)


def add_ready(queue, *requests):
    for r in requests:
        queue.mark_ready(ready(r))


def drain(queue):
    out = []
    while True:
        item, _ = queue.pop_next(queue.pick)
        if item is None:
            return out
        out.append(item.id)


def test_lower_priority_value_first_and_fifo_among_equals(queue):
    add_ready(queue, req("s1", 10), req("gift", -1), req("s2", 10), req("q", 0), req("s3", 10))
    assert drain(queue) == ["gift", "q", "s1", "s2", "s3"]


def test_waiting_items_age_so_a_low_item_is_not_starved(queue, clocks):
    add_ready(queue, req("background", 20))
    # a steady stream of script lines keeps arriving; each gets in line behind the aged item
    # once the background line has waited (20 - 10) * 10 s = 100 s
    played = []
    for i in range(30):
        clocks.advance(5)
        add_ready(queue, req(f"script-{i}", 10))
        item, _ = queue.pop_next(queue.pick)
        played.append(item.id)
    assert "background" in played
    assert played.index("background") <= 20


def test_items_without_audio_are_not_handed_out(queue):
    queue.enqueue(req("a", 0))
    add_ready(queue, req("b", 10))
    assert drain(queue) == ["b"]
    assert queue.get("a").state == "queued" and queue.get("a").queue_state == "synthesising"
    queue.mark_ready(ready(req("a", 0)))
    assert drain(queue) == ["a"]


def test_a_sentence_waits_for_the_earlier_sentence_of_its_group(queue):
    queue.enqueue(req("r0", 0, group="reply-1", sentence_index=0))
    add_ready(queue, req("r1", 0, group="reply-1", sentence_index=1), req("other", 10))
    assert drain(queue) == ["other"]
    queue.mark_ready(ready(req("r0", 0, group="reply-1", sentence_index=0)))
    assert drain(queue) == ["r0", "r1"]


def test_stale_items_are_dropped_with_the_reason(queue, clocks):
    add_ready(queue, req("late", 0, deadline=clocks.wall + 2), req("fine", 10))
    clocks.advance(3)
    item, dropped = queue.pop_next(queue.pick)
    assert item.id == "fine"
    assert [(d.id, r) for d, r in dropped] == [("late", "stale: deadline passed 1.0s ago")]


def test_purge_stale_drops_waiting_items_past_their_deadline(queue, clocks):
    queue.enqueue(req("pending", 0, deadline=clocks.wall + 1))
    add_ready(queue, req("keep", 10, deadline=clocks.wall + 100))
    clocks.advance(1.5)
    assert [i.id for i, _ in queue.purge_stale()] == ["pending"]
    assert "keep" in queue and "pending" not in queue


def test_play_now_goes_to_the_head_and_a_parked_item_before_the_rest(queue):
    add_ready(queue, req("a", 0), req("b", 5), req("c", 10), req("d", 10))
    item, _ = queue.pop_next(queue.pick)
    assert item.id == "a"
    queue.park(item, 0.5, 1)  # "a" was cut: it resumes before anything waiting
    assert queue.play_now("c")
    assert not queue.play_now("missing")
    assert drain(queue) == ["c", "a", "b", "d"]


def test_a_picker_chooses_among_the_playable_items_only(queue):
    queue.enqueue(req("r0", 0, group="g", sentence_index=0))
    add_ready(queue, req("r1", 0, group="g", sentence_index=1), req("s", 10), req("t", 5))
    seen = []

    def pick(items):
        items = list(items)
        seen.append(sorted(i.id for i in items))
        return max(items, key=lambda i: i.priority)  # the opposite of the default order

    item, _ = queue.pop_next(pick)
    assert item.id == "s"
    assert seen == [["s", "t"]]  # r1 waits for r0, which has no audio
    assert queue.next_wanted(queue.pick).id == "r0"  # what the player waits for


def test_clear_and_skip(queue):
    add_ready(queue, req("a"), req("b"), req("c"))
    assert queue.skip("b").id == "b"
    assert [i.id for i in queue.clear()] == ["a", "c"]
    assert len(queue) == 0 and drain(queue) == []


def test_snapshot_lists_items_in_play_order_with_their_state(queue, clocks):
    queue.enqueue(req("synth", 0, deadline=clocks.wall + 30))
    add_ready(queue, req("ready", 10))
    clocks.advance(2)
    playing, _ = queue.pop_next(queue.pick)
    add_ready(queue, req("b", 5))
    snap = queue.snapshot(queue.key, playing=playing)
    assert isinstance(snap, events.QueueSnapshot)
    assert [(v.id, v.state) for v in snap.items] == [("ready", "playing"), ("synth", "synthesising"),
                                                      ("b", "ready")]
    assert snap.items[1].waiting_s == 2.0 and snap.items[1].deadline == clocks.wall + 28
    assert events.decode(events.encode(snap)) == snap


def test_parked_item_shows_as_waiting_and_comes_back_first(queue):
    add_ready(queue, req("script", 10), req("later", 10))
    item, _ = queue.pop_next(queue.pick)
    queue.park(item, 1.5, 2)
    assert queue.get("script").state == "parked" and queue.get("script").queue_state == "waiting"
    item, _ = queue.pop_next(queue.pick)
    assert (item.id, item.resume_s, item.resume_index) == ("script", 1.5, 2)


def test_concurrent_enqueues_keep_priority_order_and_fifo_per_producer(queue):
    producers, per = 6, 200
    barrier = threading.Barrier(producers)
    priority: dict[str, int] = {}

    def produce(p):
        rnd = random.Random(p)
        barrier.wait()
        for i in range(per):
            item_id = f"p{p}-{i:03d}"
            priority[item_id] = rnd.choice([0, 5, 10])
            queue.mark_ready(ready(req(item_id, priority[item_id])))

    threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    order = drain(queue)
    assert len(order) == producers * per == len(set(order))
    prios = [priority[i] for i in order]
    assert prios == sorted(prios)  # the fake clock did not move: no aging
    for p in range(producers):  # among equal priorities each producer's items keep their order
        for level in (0, 5, 10):
            mine = [i for i in order if i.startswith(f"p{p}-") and priority[i] == level]
            assert mine == sorted(mine)


def test_the_queue_has_no_order_of_its_own(queue):
    add_ready(queue, req("a"))
    with pytest.raises(TypeError):
        queue.pop_next()  # the director decides; there is no second opinion to fall back on
