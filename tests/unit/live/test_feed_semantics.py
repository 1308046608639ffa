"""The feed's own semantics at decode (issue 20.2, protocols §7.2–7.5) and the range checks of
issue 18.2: anchor and admin comments, fans-club join vs upgrade, gifts to a 连麦 guest, gift
combos counted by their true increase, absurd numbers and huge names."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.events import LiveEvent, encode
from app.live.decoder import FrameDecoder, Rejection
from app.live.feed import FeedPipeline
from app.live.fields import GIFT_REPEAT, MAX_NICKNAME_CHARS, MAX_TEXT_CHARS, OUT_OF_RANGE
from tests.standins.dybarrage import GiftGrabber, Room, Viewer

ROOM = Room()
GUEST = Viewer(id=777, nickname="连麦嘉宾")
FAN = Viewer(id=501, nickname="小明", club_name="甜甜团", club_level=3)


def one(frame: str, **kw) -> LiveEvent:
    event = FrameDecoder().decode(frame, ts=1.0)
    assert isinstance(event, LiveEvent), event
    return event


# ---- who speaks -----------------------------------------------------------------------------

def test_the_anchors_and_an_admins_own_comments_are_marked():
    anchor = one(ROOM.comment(1, ROOM.anchor_viewer(), "欢迎大家"))
    admin = one(ROOM.comment(2, Viewer(id=9, nickname="场控", admin=True), "别刷屏"))
    viewer = one(ROOM.comment(3, FAN, "多少钱"))
    assert (anchor.user.is_anchor, anchor.user.is_admin) == (True, False)
    assert (admin.user.is_anchor, admin.user.is_admin) == (False, True)
    assert (viewer.user.is_anchor, viewer.user.is_admin) == (False, False)


def test_v276_has_no_flag_but_the_anchor_is_known_by_the_misspelt_anchor_object():
    old = Room(version="2.7.6")
    frame = old.comment(1, old.anchor_viewer(), "欢迎")
    assert "IsAnchor" not in frame and '\\"Onwer\\":{' in frame
    assert one(frame).user.is_anchor
    assert not one(old.comment(2, FAN, "hi")).user.is_anchor


def test_anchor_comment_without_owner_is_marked_once_the_anchor_is_known():
    pipe = FeedPipeline("")
    pipe.process(ROOM.comment(1, FAN, "先来一条带主播信息的"), ts=1)
    event = pipe.process(ROOM.uncached().comment(2, ROOM.anchor_viewer(), "主播自己说话"), ts=2)
    assert event.user.is_anchor
    # and by the setting alone (UserId or SecUid), with no Owner ever seen
    pipe = FeedPipeline("MS4wLjABAAAA_anchor")
    event = pipe.process(ROOM.uncached().comment(3, ROOM.anchor_viewer(), "主播自己说话"), ts=3)
    assert event.user.is_anchor


# ---- fans club --------------------------------------------------------------------------------

def test_fans_club_join_and_level_upgrade_are_told_apart():
    join = one(ROOM.fansclub(1, Viewer(id=5, nickname="新粉", club_name="甜甜团", club_level=1), 289687))
    up = one(ROOM.fansclub(2, Viewer(id=6, nickname="老粉", club_name="甜甜团", club_level=12), 0, join=False))
    assert (join.fansclub.action, join.fansclub.level) == ("join", 1)
    assert (up.fansclub.action, up.fansclub.level) == ("upgrade", 12) and up.user.fans_club_level == 12
    assert json.loads(encode(up))["fansclub"] == {"action": "upgrade", "level": 12}


def test_an_unknown_fans_club_subtype_is_skipped_and_counted_not_thanked_as_a_join():
    frame = ROOM.fansclub(1, FAN, 1).replace('{\\"Type\\":2,', '{\\"Type\\":5,')
    d = FrameDecoder()
    r = d.decode(frame)
    assert isinstance(r, Rejection) and not r.is_bad and "fans-club Data.Type 5" in r.reason
    assert d.stats.unknown_by_type == {"7.5": 1}


# ---- gifts ------------------------------------------------------------------------------------

def test_a_gift_to_a_guest_names_the_receiver_and_a_gift_to_the_anchor_does_not():
    to_guest = one(ROOM.gift(1, FAN, gift_id=463, name="玫瑰", diamonds=1, increment=1, repeat=1, to_user=GUEST))
    to_anchor = one(ROOM.gift(2, FAN, gift_id=463, name="玫瑰", diamonds=1, increment=1, repeat=1,
                              to_user=ROOM.anchor_viewer()))
    plain = one(ROOM.gift(3, FAN, gift_id=463, name="玫瑰", diamonds=1, increment=1, repeat=1, group_id=1731))
    assert to_guest.gift.to_user == "连麦嘉宾" and to_guest.text.endswith("，给连麦嘉宾")
    assert to_anchor.gift.to_user == ""
    assert plain.gift.to_user == "" and plain.gift.group_id == "1731"
    assert to_guest.gift.group_id == ""


def test_a_guest_gift_without_owner_is_named_once_our_anchor_is_known():
    pipe = FeedPipeline("")
    pipe.process(ROOM.comment(1, FAN, "hi"), ts=1)
    bare = ROOM.uncached()
    guest = pipe.process(bare.gift(2, FAN, gift_id=463, name="玫瑰", diamonds=1, increment=1, repeat=1,
                                   to_user=GUEST), ts=2)
    anchor = pipe.process(bare.gift(3, FAN, gift_id=463, name="玫瑰", diamonds=1, increment=1, repeat=1,
                                    to_user=ROOM.anchor_viewer()), ts=3)
    assert guest.gift.to_user == "连麦嘉宾" and anchor.gift.to_user == ""


def counted(pipe: FeedPipeline, frames: list[tuple[float, str | None]]) -> list[int]:
    """The gift counts that come out (0 = dropped as a repeat)."""
    out = []
    for ts, frame in frames:
        if frame is None:
            continue
        r = pipe.process(frame, ts=ts)
        if isinstance(r, Rejection):
            assert r.category == GIFT_REPEAT, r
            out.append(0)
        else:
            out.append(r.gift.count)
    return out


def test_a_late_combo_end_after_upstream_eviction_is_not_thanked_twice():
    """protocols §7.5 case 1: dy-barrage-grab evicts its cache after 10 s; a late repeatEnd is then
    pushed again with GiftCount = the whole RepeatCount."""
    grab, pipe = GiftGrabber(ROOM), FeedPipeline("")
    gift = dict(gift_id=5655, name="小心心", diamonds=1, group_id=1731234567890)
    frames = [(t, grab.push(t, 100 + i, FAN, repeat=n, **gift)) for i, (t, n) in enumerate([(0.0, 1), (0.5, 2), (1.0, 3)])]
    late = grab.push(25.0, 200, FAN, repeat=3, repeat_end=True, **gift)
    assert json.loads(json.loads(late)["Data"])["GiftCount"] == 3  # upstream pushes the whole combo again
    got = counted(pipe, frames + [(25.0, late)])
    assert got == [1, 1, 1, 0]
    assert sum(got) == 3 and pipe.stats()["gift_repeats"] == 1


def test_combo_counting_follows_the_highest_repeat_count_and_forgets_it_after_a_minute():
    pipe = FeedPipeline("")
    g = dict(gift_id=5655, name="小心心", diamonds=1, group_id=42)
    frames = [(0.0, ROOM.gift(1, FAN, increment=2, repeat=2, **g)),
              (1.0, ROOM.gift(2, FAN, increment=3, repeat=5, **g)),
              (2.0, ROOM.gift(3, FAN, increment=1, repeat=4, **g)),  # out of order: nothing new
              (3.0, ROOM.gift(4, FAN, increment=5, repeat=5, **g)),  # pushed again whole: nothing new
              (4.0, ROOM.gift(5, FAN, increment=1, repeat=8, **g)),  # two messages lost on the way: +3
              (100.0, ROOM.gift(6, FAN, increment=2, repeat=2, **g))]  # a minute later: a new combo
    assert counted(pipe, frames) == [2, 3, 0, 0, 3, 2]
    # another viewer's combo with the same GroupId is counted on its own
    other = Viewer(id=502, nickname="小红")
    assert counted(pipe, [(101.0, ROOM.gift(7, other, increment=2, repeat=2, **g))]) == [2]


def test_without_a_group_id_the_pushed_gift_count_is_used():
    """GroupId 0 is never cached upstream (protocols §7.5 case 2): without a combo identity two
    separate single gifts look the same as a combo step, so GiftCount is taken as pushed."""
    grab, pipe = GiftGrabber(ROOM), FeedPipeline("")
    g = dict(gift_id=463, name="玫瑰", diamonds=1, group_id=0, combo=False)
    frames = [(t, grab.push(t, 300 + i, FAN, repeat=1, **g)) for i, t in enumerate((0.0, 1.0))]
    assert counted(pipe, frames) == [1, 1]


# ---- range checks (issue 18.2) -------------------------------------------------------------------

def test_a_gift_whose_value_would_overflow_is_rejected_with_its_reason():
    frame = ROOM.gift(1, FAN, gift_id=1, name="火箭", diamonds=2**40, increment=2**40, repeat=2**40)
    d = FrameDecoder()
    r = d.decode(frame)
    assert isinstance(r, Rejection) and r.is_bad and r.category == OUT_OF_RANGE
    assert "Data.GiftCount" in r.reason
    assert d.stats.as_dict()["out_of_range"] == 1 and d.stats.bad_frames == 1
    r = d.decode(ROOM.gift(2, FAN, gift_id=1, name="火箭", diamonds=10**12, increment=1, repeat=1))
    assert r.category == OUT_OF_RANGE and "Data.DiamondCount" in r.reason


@pytest.mark.parametrize("frame, field", [
    (ROOM.like(1, FAN, 10**9, 10), "Data.Count"),
    (ROOM.like(1, FAN, 1, 10**15), "Data.Total"),
    (ROOM.stats(1, 10**12, 5), "Data.OnlineUserCount"),
    (ROOM.stats(1, 5, 2**63), "Data.TotalUserCount"),
    (ROOM.comment(10**50, FAN, "x"), "Data.MsgId"),
])
def test_absurd_counts_are_rejected_naming_the_field(frame, field):
    r = FrameDecoder().decode(frame)
    assert isinstance(r, Rejection) and r.category == OUT_OF_RANGE and field in r.reason


def test_an_absurd_level_reads_as_unknown_and_the_comment_still_counts():
    d = FrameDecoder()
    event = d.decode(ROOM.comment(1, Viewer(id=1, nickname="x", level=10**15, pay_level=2**62), "多少钱"))
    assert isinstance(event, LiveEvent) and event.text == "多少钱"
    assert (event.user.level, event.user.pay_level) == (0, 0)
    assert d.stats.clamped == 1
    assert d.stats.clamped_by_field == {"Data.User.Level": 1, "Data.User.PayLevel": 1}


def test_huge_nicknames_and_texts_are_bounded_at_decode():
    d = FrameDecoder()
    event = d.decode(ROOM.comment(1, Viewer(id=1, nickname="长" * 2000), "问" * 100_000))
    assert len(event.user.nickname) == MAX_NICKNAME_CHARS and len(event.text) == MAX_TEXT_CHARS
    assert d.stats.clamped_by_field == {"Data.User.Nickname": 1, "Data.Content": 1}
    gift = d.decode(ROOM.gift(2, Viewer(id=2, nickname="🌸" * 5000), gift_id=1, name="礼" * 900, diamonds=1,
                              increment=1, repeat=1))
    assert len(gift.user.nickname) == MAX_NICKNAME_CHARS and len(gift.gift.name) <= 64
    encode(gift)


# ---- the pipeline never raises ---------------------------------------------------------------

_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=4), max_leaves=12)
_ROOM_FIELDS = ["Owner", "Onwer", "WebRoomId", "RoomId", "ToUser", "GroupId", "RepeatCount", "GiftCount",
                "IsAnchor", "IsAdmin", "Type", "Level", "UserId", "SecUid", "Nickname", "Id"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 9), st.dictionaries(st.sampled_from(_ROOM_FIELDS), _values, max_size=8),
       st.dictionaries(st.sampled_from(_ROOM_FIELDS), _values, max_size=5))
def test_odd_room_anchor_and_gift_fields_never_raise_and_every_frame_is_counted(kind, fields, owner):
    data = {"MsgId": 1, "User": {"Id": 5, "Nickname": "x"}, "RoomId": "7", **fields}
    if owner:
        data["Owner"] = owner
    pipe = FeedPipeline("MS4wLjABAAAA_anchor")
    frames = [json.dumps({"Type": kind, "Data": json.dumps(data)}), ROOM.comment(2, FAN, "hi")]
    for frame in frames:
        result = pipe.process(frame, ts=1.0)
        assert isinstance(result, (LiveEvent, Rejection))
        if isinstance(result, LiveEvent):
            encode(result)
    s = pipe.decoder.stats
    assert s.frames == 2 == s.decoded + s.bad_frames + s.duplicates + s.unknown_types
