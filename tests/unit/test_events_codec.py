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
])
def test_bad_messages_say_what_is_wrong(raw, message):
    with pytest.raises(ev.CodecError, match=message):
        ev.decode(raw)


def test_durable_routing_of_live_events():
    def make(kind):
        return ev.LiveEvent(type=kind, msg_id="1", room_id="r", ts=0.0)

    assert make("gift").channel == make("follow").channel == ev.Channel.LIVE_DURABLE
    assert make("comment").channel == make("like").channel == ev.Channel.LIVE_EVENTS
    assert ev.Channel.LIVE_DURABLE in ev.DURABLE_CHANNELS
