"""Only our room: which room a frame belongs to, learned RoomIds for frames without an anchor,
the lock on the first room, and the per-room counts of the others (issue 20.1)."""

from __future__ import annotations

import pytest

from app.events import ErrorReport, FeedRoom, LiveEvent
from app.live.decoder import Rejection
from app.live.feed import OTHER_ROOM_WARN_FRAMES, FeedPipeline
from app.live.fields import OTHER_ROOM
from app.live.room import RoomMatcher, frame_room
from tests.standins.dybarrage import Room, Viewer

OURS = Room()  # anchor 主播昵称, UserId 100000001, SecUid MS4wLjABAAAA_anchor, WebRoomId 940152769375
OTHER = Room.other(2)
V = Viewer(id=501, nickname="小明")


class Ids:
    def __init__(self):
        self.n = 7_000_000_000_000_000_000

    def __call__(self) -> int:
        self.n += 1
        return self.n


def run(pipe: FeedPipeline, frames: list[str], t0: float = 1000.0) -> list[LiveEvent | Rejection]:
    return [pipe.process(f, ts=t0 + i) for i, f in enumerate(frames)]


def texts(results) -> list[str]:
    return [r.text for r in results if isinstance(r, LiveEvent)]


@pytest.mark.parametrize("setting, how", [
    ("MS4wLjABAAAA_anchor", "SecUid"),
    ("100000001", "UserId"),
    ("940152769375", "WebRoomId"),
    ("https://live.douyin.com/940152769375?enter_from=x", "WebRoomId"),
    ("https://www.douyin.com/user/MS4wLjABAAAA_anchor", "SecUid"),
    ("  940152769375 ", "WebRoomId"),
])
def test_the_room_setting_accepts_any_of_the_anchors_ids_and_says_which_matched(setting, how):
    m = RoomMatcher(setting)
    ref = frame_room(OURS.comment(1, V, "hi"))
    assert m.which(ref) == how and m.matches(OURS.comment(1, V, "hi"))
    assert not m.matches(OTHER.comment(2, V, "hi"))
    assert not m.matches("not a frame")


def test_v276_frames_are_matched_by_the_misspelt_anchor_object():
    old = Room(version="2.7.6")
    assert RoomMatcher("MS4wLjABAAAA_anchor").matches(old.comment(1, V, "hi"))
    assert not RoomMatcher("MS4wLjABAAAA_anchor").matches(Room.other(3, version="2.7.6").comment(1, V, "hi"))


def test_frames_of_another_room_never_come_out_and_are_counted_per_room():
    ids = Ids()
    pipe = FeedPipeline("MS4wLjABAAAA_anchor")
    third = Room.other(3)
    frames = [OURS.comment(ids(), V, "我们的问题"), OTHER.comment(ids(), V, "别人的问题"),
              OTHER.gift(ids(), V, gift_id=3529, name="嘉年华", diamonds=30000, increment=1, repeat=1),
              third.like(ids(), V, 10, 999), OURS.like(ids(), V, 5, 105), OTHER.live_end(ids()),
              OURS.stats(ids(), 300, 5000)]
    out = run(pipe, frames)
    ours = [r for r in out if isinstance(r, LiveEvent)]
    assert [e.type for e in ours] == ["comment", "like", "stats"]
    assert all(e.room_id == OURS.room_id for e in ours)
    skipped = [r for r in out if isinstance(r, Rejection)]
    assert {r.category for r in skipped} == {OTHER_ROOM} and not any(r.is_bad for r in skipped)
    st = pipe.stats()
    assert st["other_room_frames"] == 4
    assert st["other_rooms"][OTHER.room_id]["frames"] == 3
    assert st["other_rooms"][OTHER.room_id]["by_type"] == {"comment": 1, "gift": 1, "live_end": 1}
    assert st["other_rooms"][OTHER.room_id]["anchor"] == "别人的主播2"
    assert st["other_rooms"][third.room_id]["frames"] == 1
    assert st["room"]["anchor"] == "主播昵称" and st["room"]["how"] == "SecUid"


def test_our_frames_without_an_anchor_are_placed_by_the_room_id_learned_from_an_identified_one():
    """dy-barrage-grab caches a room late: earlier/later frames carry Owner null, WebRoomId ""."""
    ids = Ids()
    pipe = FeedPipeline("940152769375")
    frames = [OURS.comment(ids(), V, "认出来了"), OURS.uncached().comment(ids(), V, "没有主播信息也是我们的"),
              OTHER.uncached().comment(ids(), V, "别人的、没缓存"), OTHER.comment(ids(), V, "别人的")]
    assert texts(run(pipe, frames)) == ["认出来了", "没有主播信息也是我们的"]


def test_our_room_never_cached_is_taken_as_ours_when_it_is_the_only_room_without_an_anchor():
    """Program started mid-stream: no frame of our room ever names its anchor. Another tab (cached)
    is recognised as someone else's; our room is not lost."""
    ids = Ids()
    pipe = FeedPipeline("MS4wLjABAAAA_anchor")
    mine = OURS.uncached()
    frames = [OTHER.comment(ids(), V, "别人的"), mine.comment(ids(), V, "我们的一"),
              OTHER.comment(ids(), V, "别人的二"), mine.comment(ids(), V, "我们的二")]
    assert texts(run(pipe, frames)) == ["我们的一", "我们的二"]
    rooms = [n for n in pipe.take_notices() if isinstance(n, FeedRoom)]
    assert rooms[-1].room_id == OURS.room_id and rooms[-1].how == "only_room" and not rooms[-1].confirmed
    # once the room is cached after all, it is confirmed by the setting
    run(pipe, [OURS.comment(ids(), V, "缓存了")], t0=2000)
    confirmed = [n for n in pipe.take_notices() if isinstance(n, FeedRoom)]
    assert confirmed[-1].confirmed and confirmed[-1].how == "SecUid" and confirmed[-1].anchor == "主播昵称"


def test_a_guessed_room_that_turns_out_to_be_another_is_dropped_and_the_guess_moves_on():
    ids = Ids()
    pipe = FeedPipeline("MS4wLjABAAAA_anchor")
    out = run(pipe, [OTHER.uncached().comment(ids(), V, "先到的别人"), OURS.uncached().comment(ids(), V, "被排除的我们"),
                     OTHER.comment(ids(), V, "别人的身份出现了"),
                     OTHER.uncached().comment(ids(), V, "别人的又一条"),
                     OURS.uncached().comment(ids(), V, "我们的")])
    assert texts(out) == ["先到的别人", "我们的"]
    notices = pipe.take_notices()
    assert any(isinstance(n, ErrorReport) and "不是设置中的直播间" in n.message for n in notices)
    assert pipe.gate.ours.room_id == OURS.room_id


def test_with_no_setting_the_listener_locks_onto_the_first_room_and_says_so():
    ids = Ids()
    pipe = FeedPipeline("")
    out = run(pipe, [OURS.comment(ids(), V, "第一个直播间"), OTHER.comment(ids(), V, "第二个"),
                     OURS.uncached().comment(ids(), V, "还是第一个")])
    assert texts(out) == ["第一个直播间", "还是第一个"]
    (room,) = [n for n in pipe.take_notices() if isinstance(n, FeedRoom)]
    assert (room.room_id, room.anchor, room.how) == (OURS.room_id, "主播昵称", "first")
    assert "正在监听 主播昵称" in room.detail
    # the same anchor's next broadcast session (new RoomId) is still ours
    next_session = Room(room_id="7412399999999999999")
    assert texts(run(pipe, [next_session.comment(ids(), V, "下一场")], t0=3000)) == ["下一场"]


def test_a_room_that_keeps_sending_gets_a_clear_warning_once_then_again_later():
    ids = Ids()
    pipe = FeedPipeline("MS4wLjABAAAA_anchor")
    run(pipe, [OURS.comment(ids(), V, "hi")])
    pipe.take_notices()
    run(pipe, [OTHER.like(ids(), V, 1, i) for i in range(OTHER_ROOM_WARN_FRAMES - 1)], t0=1001)
    assert pipe.take_notices() == []  # a few stray frames are not worth a warning
    run(pipe, [OTHER.like(ids(), V, 1, 100) for _ in range(30)], t0=1100)
    warnings = [n for n in pipe.take_notices() if isinstance(n, ErrorReport)]
    assert len(warnings) == 1
    assert "别人的主播2" in warnings[0].message and "关闭" in warnings[0].message
    run(pipe, [OTHER.like(ids(), V, 1, 200)], t0=1100 + 301)
    assert len([n for n in pipe.take_notices() if isinstance(n, ErrorReport)]) == 1


def test_likes_and_stats_of_another_room_never_mix_into_ours():
    ids = Ids()
    pipe = FeedPipeline("")
    out = run(pipe, [OURS.like(ids(), V, 5, 100), OTHER.like(ids(), V, 50, 90000), OURS.like(ids(), V, 5, 105),
                     OTHER.stats(ids(), 9999, 99999), OURS.stats(ids(), 12, 300)])
    ours = [r for r in out if isinstance(r, LiveEvent)]
    assert [e.like.total for e in ours if e.like] == [100, 105]
    assert [(e.stats.online, e.stats.total) for e in ours if e.stats] == [(12, 300)]


def test_live_end_of_another_room_is_not_ours():
    ids = Ids()
    pipe = FeedPipeline("100000001")
    out = run(pipe, [OURS.comment(ids(), V, "hi"), OTHER.live_end(ids()), OURS.live_end(ids(), web_room_id="未知")])
    assert [r.type for r in out if isinstance(r, LiveEvent)] == ["comment", "live_end"]


def test_a_setting_that_matches_no_room_says_so_when_only_others_arrive():
    ids = Ids()
    pipe = FeedPipeline("123456789012")  # a typo: no room has it
    out = run(pipe, [OURS.comment(ids(), V, "hi") for _ in range(OTHER_ROOM_WARN_FRAMES)])
    assert texts(out) == []
    (warning,) = [n for n in pipe.take_notices() if isinstance(n, ErrorReport)]
    assert "123456789012" in warning.message and "检查这项设置" in warning.message


def test_the_matcher_refuses_a_live_event_which_cannot_say_whose_room_it_is():
    event = FeedPipeline().process(OURS.comment(1, V, "hi"), ts=1.0)
    with pytest.raises(TypeError, match="FeedRoom"):
        RoomMatcher("100000001").matches(event)
