"""The one JSON codec: every event type round-trips, bad input fails with a clear message."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import events as ev

# Text as it occurs in the wild (no lone surrogates, which UTF-8 cannot carry).
st.register_type_strategy(str, st.text(st.characters(blacklist_categories=("Cs",)), max_size=20))
st.register_type_strategy(float, st.floats(allow_nan=False, allow_infinity=False))


@pytest.mark.parametrize("cls", ev.EVENT_CLASSES, ids=lambda c: c.__name__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_event_type_round_trips(cls, data):
    event = data.draw(st.builds(cls))
    raw = ev.encode(event)
    assert ev.decode(raw) == event
    assert ev.decode(raw.decode("utf-8")) == event


def test_live_event_json_is_the_normalised_event_of_the_design():
    gift = ev.LiveEvent(type="gift", msg_id="7412345678901234567", room_id="r", ts=1.5,
                        user=ev.User(id="555", nickname="小王", pay_level=12),
                        text="小王 送出 小心心", gift=ev.GiftInfo(id="5655", name="小心心", count=2, total=3, diamonds=1))
    data = json.loads(ev.encode(gift))
    assert data["type"] == "gift"
    # design §4's required gift keys, plus the receiver and combo group the design allows adding
    assert data["gift"] == {"id": "5655", "name": "小心心", "count": 2, "total": 3, "diamonds": 1,
                            "to_user": "", "group_id": ""}
    assert "like" not in data and "stats" not in data and "fansclub" not in data  # only where they apply
    assert "小王" in ev.encode(gift).decode("utf-8")  # Chinese stays readable in logs


def test_unknown_type_is_named_in_the_error():
    with pytest.raises(ev.UnknownEventType, match="'tip_jar'"):
        ev.decode('{"type": "tip_jar", "id": 1}')


@pytest.mark.parametrize("raw, message", [
    ('{"id": "x"}', "has no 'type'"),
    ("[1, 2]", "must be a JSON object"),
    ("{not json", "not JSON"),
    ('{"type": "say_now"}', "say_now: missing field 'text'"),
    ('{"type": "say_now", "text": 5}', "say_now.text: expected a string"),
    ('{"type": "comment", "msg_id": "1", "room_id": "r", "ts": "late"}', "comment.ts: expected a number"),
    ('{"type": "player_state", "state": "DANCING", "previous": "IDLE"}', "player_state.state: 'DANCING' is not one of"),
    ('{"type":"queue_snapshot","items":[{"id":"a","kind":"k","text":"t","priority":1,"state":"gone",'
     '"waiting_s":0}]}', r"queue_snapshot.items\[0\].state: 'gone' is not one of \['waiting', 'synthesising'"),
    ('{"type":"gift","msg_id":"1","room_id":"r","ts":1,"user":{"id":"5"}}', "gift.user: missing field 'nickname'"),
    ('{"type":"say_now","text":"hi","priority":true}', "say_now.priority: expected an integer, got true/false"),
    ('{"type":"health","component":"tts","status":"ok","metrics":{"rtf":"fast"}}',
     r"health.metrics\[...\]: expected a number, got a string"),
    ('{"type":"say_now","text":"hi",', "not JSON"),
])
def test_bad_messages_say_what_is_wrong(raw, message):
    with pytest.raises(ev.CodecError, match=message):
        ev.decode(raw)


@pytest.mark.parametrize("event", [
    ev.LiveEvent(type="comment", msg_id="7412345678901234567", room_id="r", ts=1732150000.123,
                 user=ev.User(id="1", nickname="用户\"小明\"", level=12), text='这个,"gift":null多少钱？'),
    ev.LiveEvent(type="like", msg_id="2", room_id="r", ts=0.0, like=ev.LikeInfo(count=3, total=1200)),
    ev.SpeechRequest(id="s-1", text="欢迎来到直播间", kind="script", priority=ev.Priority.SCRIPT, deadline=1.5),
    ev.QueueSnapshot(items=(ev.QueueItemView(id="a", kind="gift", text="谢谢", priority=-1, state="ready",
                                             waiting_s=0.25),)),
    ev.Health(component="bus", status="ok", metrics={"published": 3.0}),
    ev.Pause(),
], ids=lambda e: type(e).__name__)
def test_bytes_are_the_documented_json(event):
    """The wire bytes are the compact JSON of the documented dict: ``type`` first, then the
    fields in order, LiveEvent's absent parts left out (even when a text contains their key),
    Chinese unescaped — what the stdlib writes for the same dict."""
    raw = ev.encode(event)
    data = json.loads(raw)
    assert next(iter(data)) == "type"
    assert raw == json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert ev.to_dict(event) == data
    assert ev.decode(raw) == event
    if isinstance(event, ev.LiveEvent):
        assert set(data) - {"gift", "like", "stats", "fansclub"} == {"type", "msg_id", "room_id", "ts", "user", "text"}
        assert (event.like is None) == ("like" not in data)


def test_encode_refuses_what_is_not_an_event():
    with pytest.raises(TypeError, match="not an event: dict"):
        ev.encode({"type": "pause"})


def test_durable_routing_of_live_events():
    def make(kind):
        return ev.LiveEvent(type=kind, msg_id="1", room_id="r", ts=0.0)

    assert make("gift").channel == make("follow").channel == ev.Channel.LIVE_DURABLE
    assert make("comment").channel == make("like").channel == ev.Channel.LIVE_EVENTS
    assert ev.Channel.LIVE_DURABLE in ev.DURABLE_CHANNELS


def _view(**kw) -> ev.UtteranceView:
    return ev.UtteranceView(
        id="j1-0", kind="llm", text="全国包邮哦。", original="全国包邮哦！", product="tea", group="j1",
        sentence_index=0, source_event="7412345678901234567", viewer="小王", comment="包邮吗", priority=0,
        deadline=1732150030.5, created_at=1732150000.0,
        hits=(ev.FilterHit(category="ad", term="最", matched="最", action="replace", replacement="很"),),
        route="espeak", duration_s=1.25, sentences=("全国包邮哦。",), sentence_starts=(0.0,), state="playing",
        queued_at=1732150001.0, ready_at=1732150001.5, started_at=1732150002.0, position_s=0.5, cuts=1,
        resumes=1, **kw)


@pytest.mark.parametrize("event", [
    ev.PlaybackStarted(id="j1-0", kind="llm", text="全国包邮哦。", priority=0, duration_s=1.25, utterance=_view()),
    ev.PlaybackFinished(id="j1-0", utterance=_view(ended_at=1732150003.25)),
    ev.PlaybackInterrupted(id="j1-0", position_s=0.5, sentence_index=0, by_id="g", utterance=_view()),
    ev.PlaybackResumed(id="j1-0", sentence_index=0, position_s=0.0, utterance=_view()),
    ev.UtteranceDropped(id="j1-0", reason="stale: deadline passed 1.0s ago", utterance=_view(reason="stale")),
    ev.UtteranceDropped(id="x", reason="cancelled"),  # a view is optional: older senders
], ids=lambda e: type(e).__name__)
def test_the_utterance_view_rides_on_the_players_events(event):
    """The record's snapshot travels by value (another process reads the same fields)."""
    assert ev.decode(ev.encode(event)) == event
    assert ev.from_dict(ev.to_dict(event)) == event
