import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.events import Channel, LiveEvent, decode, encode
from app.live.decoder import (
    BAD_DATA,
    BAD_ENVELOPE,
    DUPLICATE,
    NOT_JSON,
    NOT_UTF8,
    TOO_LARGE,
    UNKNOWN_TYPE,
    FrameDecoder,
    Rejection,
)
from tests.standins.dybarrage import Room, Viewer

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "reference"  # see its README
V279 = SAMPLES / "dybarrage_v2.7.9_ws_frames.SYNTHESIZED.jsonl"
V276 = SAMPLES / "dybarrage_v2.7.6_ws_frames.SYNTHESIZED.jsonl"


def sample_lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def decode_one(frame, **kw):
    return FrameDecoder(**kw).decode(frame, ts=1700000000.5)


def test_every_v279_sample_frame_decodes_to_the_right_event():
    got = [decode_one(line) for line in sample_lines(V279)]
    assert all(isinstance(e, LiveEvent) for e in got), got
    comment, like, enter, follow, gift, stats, fansclub, share, end, comment2 = got

    assert comment.type == "comment" and comment.text == "这个多少钱"
    assert comment.msg_id == "7412345678901234567"  # 19 digits, exact (no float rounding)
    assert comment.room_id == "7412300000000000000" and comment.ts == 1700000000.5
    assert (comment.user.id, comment.user.nickname, comment.user.pay_level, comment.user.level) == ("111", "小明", 5, 0)

    assert like.type == "like" and (like.like.count, like.like.total) == (15, 3210)
    assert like.user.fans_club_level == 3 and like.text == "小红 为主播点了15个赞，总点赞3210"

    assert enter.type == "enter" and enter.user.nickname == "小刚" and enter.text == "小刚 $来了 直播间人数:532"
    assert follow.type == "follow" and follow.user.id == "444" and follow.channel == Channel.LIVE_DURABLE

    assert gift.type == "gift" and gift.channel == Channel.LIVE_DURABLE
    assert (gift.gift.id, gift.gift.name, gift.gift.count, gift.gift.total, gift.gift.diamonds) == ("5655", "小心心", 2, 3, 1)
    assert gift.user.fans_club_level == 8 and gift.user.pay_level == 12

    assert stats.type == "stats" and stats.user is None
    assert (stats.stats.online, stats.stats.total) == (532, 12034)
    assert fansclub.type == "fansclub" and fansclub.user.fans_club_level == 1
    assert fansclub.text == "恭喜 小王 成为粉丝团第289687名成员"
    assert share.type == "share" and share.text == "小赵 分享了直播间到微信" and share.user.id == "666"
    assert end.type == "live_end" and end.user is None and end.text == "直播已结束"
    # room not cached (Owner null, WebRoomId ""): still a normal comment
    assert comment2.type == "comment" and comment2.msg_id == "7412345678901234999" and comment2.user.nickname == "路人甲"
    assert like.channel == enter.channel == stats.channel == Channel.LIVE_EVENTS


def test_v276_sample_frames_with_the_misspelt_anchor_field_decode():
    comment, gift = [decode_one(line) for line in sample_lines(V276)]
    assert comment.type == "comment" and comment.text == "这个多少钱" and comment.user.id == "111"
    assert gift.type == "gift" and (gift.gift.name, gift.gift.count, gift.gift.total) == ("玫瑰", 1, 1)
    assert gift.msg_id == "1"


def test_normalised_event_round_trips_through_the_shared_codec():
    event = decode_one(sample_lines(V279)[4])
    assert decode(encode(event)) == event
    out = json.loads(encode(event))
    assert set(out) >= {"type", "msg_id", "room_id", "ts", "user", "text", "gift"} and "like" not in out


def test_minus_one_unknowns_read_as_zero_and_a_missing_nickname_falls_back():
    room = Room()
    frame = room.comment(9, Viewer(id=5, nickname="", pay_level=-1, level=-1), "hi")
    event = decode_one(frame)
    assert event.user.pay_level == 0 and event.user.level == 0
    assert event.user.nickname == "用户dy_5"


def test_ids_beyond_int64_stay_exact_strings():
    frame = Room().comment(98765432109876543210123, Viewer(id=2**70, nickname="x"), "hi")
    event = decode_one(frame)
    assert event.msg_id == "98765432109876543210123" and event.user.id == str(2**70)


def test_duplicate_msg_id_is_dropped_and_counted_but_the_same_id_of_another_type_is_not():
    room, v = Room(), Viewer(id=1, nickname="a")
    d = FrameDecoder()
    first = d.decode(room.comment(77, v, "一"))
    again = d.decode(room.comment(77, v, "一"))
    other_type = d.decode(room.like(77, v, 1, 1))
    assert isinstance(first, LiveEvent) and isinstance(other_type, LiveEvent)
    assert isinstance(again, Rejection) and again.category == DUPLICATE and not again.is_bad
    assert (d.stats.decoded, d.stats.duplicates, d.stats.bad_frames, d.stats.frames) == (2, 1, 0, 3)


def test_duplicate_window_is_bounded():
    room, v = Room(), Viewer(id=1, nickname="a")
    d = FrameDecoder(dedupe_window=3)
    for i in range(10):
        d.decode(room.comment(i, v, "x"))
    assert isinstance(d.decode(room.comment(9, v, "x")), Rejection)  # still in the window
    assert isinstance(d.decode(room.comment(0, v, "x")), LiveEvent)  # long forgotten


def test_unknown_type_is_counted_and_skipped():
    d = FrameDecoder()
    r = d.decode(json.dumps({"Type": 42, "ProcessName": "chrome", "Data": "{\"MsgId\":1}"}))
    assert isinstance(r, Rejection) and r.category == UNKNOWN_TYPE and "42" in r.reason
    assert d.stats.unknown_types == 1 and d.stats.unknown_by_type == {"42": 1} and d.stats.bad_frames == 0


@pytest.mark.parametrize("frame, category, words", [
    ("", NOT_JSON, "not JSON"),
    ('{"Type":1,"Data":"{\\"MsgId\\":1"}', BAD_DATA, "'Data' is not JSON"),
    ('{"Type":1,"ProcessName":"chrome","Da', NOT_JSON, "not JSON"),
    ("[1,2]", BAD_ENVELOPE, "JSON object"),
    ('{"ProcessName":"chrome","Data":"{}"}', BAD_ENVELOPE, "no 'Type'"),
    ('{"Type":1}', BAD_ENVELOPE, "no 'Data'"),
    ('{"Type":"1","Data":"{}"}', BAD_ENVELOPE, "'Type' must be an integer"),
    ('{"Type":true,"Data":"{}"}', BAD_ENVELOPE, "'Type' must be an integer"),
    ('{"Type":1,"Data":5}', BAD_ENVELOPE, "'Data' must be a JSON string"),
    ('{"Type":1,"Data":"[1]"}', BAD_DATA, "JSON object"),
    ('{"Type":1,"Data":"{}"}', BAD_DATA, "Data.MsgId is missing"),
    ('{"Type":1,"Data":"{\\"MsgId\\":1.5}"}', BAD_DATA, "Data.MsgId"),
    ('{"Type":1,"Data":"{\\"MsgId\\":1,\\"User\\":[]}"}', BAD_DATA, "Data.User"),
    ('{"Type":2,"Data":"{\\"MsgId\\":1,\\"Count\\":\\"many\\"}"}', BAD_DATA, "Data.Count must be an integer"),
    ('{"Type":1,"Data":"{\\"MsgId\\":1,\\"User\\":{\\"Id\\":1,\\"FansClub\\":{\\"Level\\":\\"x\\"}}}"}',
     BAD_DATA, "Data.User.FansClub.Level"),
    ("[" * 100_000, NOT_JSON, "not JSON"),
])
def test_bad_frames_are_rejected_with_a_reason_naming_the_problem(frame, category, words):
    d = FrameDecoder()
    r = d.decode(frame)
    assert isinstance(r, Rejection) and r.is_bad
    assert r.category == category and words in r.reason, r
    assert d.stats.bad_frames == 1 and d.stats.bad_by_category == {category: 1}


def test_invalid_utf8_and_oversized_frames_are_rejected_before_parsing():
    d = FrameDecoder()
    good = Room().comment(1, Viewer(id=1, nickname="小明"), "你好").encode("utf-8")
    assert isinstance(d.decode(good), LiveEvent)  # bytes are accepted when they are UTF-8
    cut = good.replace("你".encode(), "你".encode()[:2])
    r = d.decode(cut)
    assert r.category == NOT_UTF8 and "byte" in r.reason
    big = '{"Type":1,"Data":"' + "x" * (1024 * 1024) + '"}'
    assert d.decode(big).category == TOO_LARGE
    assert d.decode(big.encode()).category == TOO_LARGE
    assert d.stats.bad_by_category == {NOT_UTF8: 1, TOO_LARGE: 2}


def test_a_lone_surrogate_escape_cannot_break_the_encoder_downstream():
    frame = Room().comment(1, Viewer(id=1, nickname="a"), "x").replace('\\"Content\\":\\"x\\"', '\\"Content\\":\\"\\\\ud83d!\\"')
    event = decode_one(frame)
    assert isinstance(event, LiveEvent) and event.text.endswith("!")
    encode(event)  # must not raise


# ---- the decoder never raises -----------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20)
FIELDS = ["MsgId", "User", "Content", "RoomId", "GiftId", "GiftName", "GiftCount", "RepeatCount",
          "DiamondCount", "Count", "Total", "OnlineUserCount", "TotalUserCount", "Level", "FansClub",
          "Id", "Nickname", "PayLevel"]


@st.composite
def garbage_frames(draw):
    """Frames that are almost right: real field names with random values, nested garbage,
    Data as a string or not, truncated at a random point, random bytes."""
    kind = draw(st.sampled_from(["fields", "value", "truncated", "bytes", "text"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "text":
        return draw(st.text(max_size=200))
    data = draw(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8))
    if draw(st.booleans()):
        data["User"] = draw(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6))
    inner = json.dumps(data)
    env = {"Type": draw(st.integers(-2, 12) | json_values),
           "Data": inner if draw(st.booleans()) else draw(json_values)}
    text = json.dumps(env)
    if kind == "truncated":
        return text[: draw(st.integers(0, len(text)))]
    return text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(garbage_frames())
def test_the_decoder_never_raises_and_counts_every_frame(frame):
    d = FrameDecoder()
    result = d.decode(frame)
    assert isinstance(result, (LiveEvent, Rejection))
    s = d.stats
    assert s.frames == 1 == s.decoded + s.bad_frames + s.duplicates + s.unknown_types
    if isinstance(result, LiveEvent):
        encode(result)  # anything decoded can be written out


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 3000), st.binary(min_size=1, max_size=3))
def test_a_real_frame_cut_or_corrupted_anywhere_is_rejected_not_raised(cut, junk):
    frame = Room().gift(7, Viewer(id=3, nickname="🌸花花🌸"), gift_id=1, name="玫瑰", diamonds=1,
                        increment=1, repeat=1).encode("utf-8")
    mangled = frame[:cut] + junk + frame[cut + len(junk):]
    result = FrameDecoder().decode(mangled)
    assert isinstance(result, (LiveEvent, Rejection))
