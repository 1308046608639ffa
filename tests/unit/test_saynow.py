"""插播文字: the operator's line is prepared like every other; one that cannot be said is
reported to the operator with why, and fails visibly instead of vanishing."""

from __future__ import annotations

from app import events
from app.saynow import say_now_events
from tests.word_lists import CheckedTexts

C = events.Channel


def test_the_operators_line_is_filtered_and_spoken_in_its_prepared_form(tmp_path):
    checked = CheckedTexts(tmp_path)  # 最好 => 很好
    [(channel, req)] = say_now_events(events.SayNow(text="今天最好的福利，只要9.9元！"), utterance_id="say-1",
                                      now=5.0, prepare=checked.preparer())
    assert channel == C.SPEECH_REQUESTS and (req.id, req.kind, req.created_at) == ("say-1", "say_now", 5.0)
    assert (req.text, req.original) == ("今天很好的福利，只要9.9元！", "今天最好的福利，只要9.9元！")
    assert req.sentences == ("今天很好的福利，只要九点九元！",) and [h.term for h in req.hits] == ["最好"]


def test_a_blocked_line_fails_visibly_and_the_operator_is_told_which_word_and_what_to_do(tmp_path):
    checked = CheckedTexts(tmp_path)  # 加微信 blocks
    out = say_now_events(events.SayNow(text="想要的加微信哦"), utterance_id="say-2", now=5.0,
                         prepare=checked.preparer())
    assert [channel for channel, _ in out] == [C.SPEECH_READY, C.SYSTEM]
    failed, report = out[0][1], out[1][1]
    assert isinstance(failed, events.SpeechFailed) and failed.request.id == "say-2"
    assert "text filter" in failed.reason and [h.term for h in failed.request.hits] == ["加微信"]
    assert report.component == "插播" and "加微信" in report.message and "请改写后再发送" in report.message


def test_a_line_with_nothing_a_voice_can_say_is_reported_as_such(tmp_path):
    out = say_now_events(events.SayNow(text="ありがとう！"), utterance_id="say-3", now=5.0,
                         prepare=CheckedTexts(tmp_path).preparer())
    assert "nothing speakable" in out[0][1].reason
    assert "没有能读出来的字" in out[1][1].message
