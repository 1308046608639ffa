"""跳过 in the spoken record: the real player skips a script line while it sounds; the record ends
that row where the sound stopped, as 已跳过 (not 被打断, not at 停止), the rest of its segment is
never heard, and the review sums no more air than the live had.

The player runs on its own clock (real, short tone clips); the recorder stamps rows with a hand
clock advanced between the steps, so the seconds in the record are exact and far apart: a row
left open until 停止 would run 90 s past the skip.
"""

from __future__ import annotations

from app import events
from app.review import load_review
from app.review.report import summary
from app.store.labels import spoken_status_zh
from app.store.recorder import SpokenLogRecorder
from app.store.spoken_log import SpokenLog
from tests.unit.audio.helpers import Rig, clip_factory


class HandClock:
    def __init__(self, t: float):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_a_skipped_line_ends_at_the_skip_as_skipped_and_the_review_adds_up(tmp_path):
    clips = clip_factory(tmp_path)
    rig = Rig(tmp_path)
    clock = HandClock(1000.0)
    db = tmp_path / "live.sqlite3"
    spoken = SpokenLog(db)
    recorder = SpokenLogRecorder(rig.bus, spoken, clock=clock)
    try:
        rig.pause()
        for ready in (clips("p1.0", [(300, 2.0)], group="p1", sentence_index=0, text="咱们这款面霜里面有甘油，"),
                      clips("p1.1", [(400, 0.3)], group="p1", sentence_index=1, text="还有神经酰胺。"),
                      clips("p2.0", [(500, 1.0)], group="p2", sentence_index=0, text="现在直播间价格只要89元。")):
            rig.publish_ready(ready)
        rig.wait_for(lambda: len(rig.player.queue) == 3)
        rig.control(events.Resume())
        rig.wait_for(lambda: _rows(spoken) == ["p1.0"])
        clock.t = 1010.0  # 10 s into the line, the operator presses 跳过
        rig.control(events.Skip())
        rig.wait_for(lambda: _rows(spoken) == ["p1.0", "p2.0"])
        clock.t = 1020.0
        rig.wait_for(lambda: rig.finished("p2.0"))
        rig.wait_for(lambda: spoken.query()[-1].ended_at == 1020.0)
        clock.t = 1100.0  # 停止, 80 s later
    finally:
        recorder.close()
        rig.stop()

    rows = spoken.query()
    assert [(r.utterance_id, r.started_at, r.ended_at, r.end_status) for r in rows] == [
        ("p1.0", 1000.0, 1010.0, "skipped"), ("p2.0", 1010.0, 1020.0, "finished")]
    assert spoken_status_zh(rows[0].end_status) == "已跳过"
    dropped = {e.id: e.reason for e in rig.events(events.UtteranceDropped)}
    assert dropped == {"p1.0": "skipped by operator", "p1.1": "skipped by operator"}  # never heard
    spoken.close()

    data = load_review(db)
    assert (data.start, data.end) == (1000.0, 1100.0)
    assert data.airtime["script"] == [20.0, 0.0]  # 10 s of the skipped line + 10 s of the next
    assert data.spoken_s == 20.0
    assert (data.utterances, data.skipped, data.interrupted) == (2, 1, 0)
    assert dict(summary(data))["播出总时长"] == "0 分 20 秒"


def _rows(log: SpokenLog) -> list[str]:
    return [r.utterance_id for r in log.query()]
