"""Sentences are handed on the moment they are complete; cancel stops the HTTP stream; the
length cap and the compliance filter shape what is spoken."""

from __future__ import annotations

import threading
import time

import pytest

from app.llm import errors
from app.llm.sentences import stream_sentences, stream_spoken
from tests.standins.llm_common import Behaviour
from tests.word_lists import CheckedTexts

MSG = [{"role": "user", "content": "多少钱？"}]
THREE = "这件是纯棉的。今天下单送运费险！尺码从S到XXL都有。"


def _timed(iterable):
    out = []
    for item in iterable:
        out.append((time.monotonic(), item))
    return out


def test_first_sentence_arrives_long_before_the_stream_ends(rig_factory):
    rig = rig_factory(Behaviour(default_answer=THREE, tokens_per_s=20))  # ~1.4 s of tokens
    got = _timed(stream_sentences(rig.client(), MSG))
    assert [s for _, s in got] == ["这件是纯棉的。", "今天下单送运费险！", "尺码从S到XXL都有。"]
    start = rig.requests[0].received_at
    first_at = got[0][0] - start
    last_at = got[-1][0] - start
    # "这件是纯棉的。" is tokens 0..6: sent at 6/20 = 0.3 s, the stream runs ~1.4 s
    assert first_at < 0.3 + 0.4
    assert last_at - first_at > 0.6


def test_sentence_is_released_on_its_terminator_not_one_token_later(rig_factory):
    """The "。" token itself completes the sentence: no waiting for the next token."""
    rig = rig_factory(Behaviour(default_answer="好的。稍等哦", tokens_per_s=3))
    got = _timed(stream_sentences(rig.client(), MSG))
    first_at = got[0][0] - rig.requests[0].received_at
    assert got[0][1] == "好的。"
    # "。" is token 2, due at 2/3 = 0.67 s; the next token is due at 1.0 s
    assert 0.67 - 0.05 <= first_at < 0.95
    assert got[1][1] == "稍等哦"  # the unterminated tail is spoken at the end


def test_cancel_stops_streaming_and_closes_the_connection(rig_factory):
    rig = rig_factory(Behaviour(default_answer=THREE * 8, tokens_per_s=60))
    cancel = threading.Event()
    got = []
    t0 = time.monotonic()
    with pytest.raises(errors.Cancelled):
        for sentence in stream_sentences(rig.client(), MSG, cancel=cancel):
            got.append(sentence)
            cancel.set()
    assert got == ["这件是纯棉的。"]  # pending sentences are dropped
    assert time.monotonic() - t0 < 1.5  # the whole answer would take ~3.3 s
    deadline = time.monotonic() + 1.0
    while not rig.requests[0].client_gone and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rig.requests[0].client_gone and not rig.requests[0].finished


def test_cancel_before_the_first_token(rig_factory):
    rig = rig_factory(Behaviour(first_token_s=3.0))
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    t0 = time.monotonic()
    with pytest.raises(errors.Cancelled):
        list(stream_sentences(rig.client(), MSG, cancel=cancel))
    assert time.monotonic() - t0 < 1.5  # not the 3 s the first token would take


def test_length_cap_ends_the_answer_at_a_sentence_end(rig_factory):
    rig = rig_factory(Behaviour(default_answer=THREE))
    got = list(stream_sentences(rig.client(), MSG, max_chars=18))
    assert got == ["这件是纯棉的。", "今天下单送运费险！"]  # 7 + 9 chars; the third would cross 18


def test_length_cap_shorter_than_the_first_sentence_cuts_at_a_comma(rig_factory):
    rig = rig_factory(Behaviour(default_answer="这件衣服是百分之百纯棉面料，透气又舒服，夏天穿正合适。"))
    got = list(stream_sentences(rig.client(), MSG, max_chars=16))
    assert got == ["这件衣服是百分之百纯棉面料，"]


def test_compliance_filter_rewrites_and_drops_sentences(rig_factory, tmp_path):
    rig = rig_factory(Behaviour(default_answer="全网最低价。这件是纯棉的。今天最好的一天！😊😊"))
    checked = CheckedTexts(tmp_path, {"platform.txt": "全网最低\n", "absolute.txt": "最好 => 很好\n"})  # block, replace
    dropped = []
    got = list(stream_spoken(rig.client(), MSG, prepare=checked.preparer(), on_filtered=dropped.append))
    assert [(s.text, s.original) for s in got] == [("这件是纯棉的。", ""), ("今天很好的一天！", "今天最好的一天！")]
    assert [h.term for h in got[1].hits] == ["最好"]
    assert dropped == ["全网最低价。"], "the emoji are nothing to say, not a filtered sentence"
    assert checked.texts == ["全网最低价。", "这件是纯棉的。", "今天最好的一天！", "😊😊"], "each sentence checked once"


def test_stream_failure_drops_the_unfinished_sentence(rig_factory):
    rig = rig_factory(Behaviour(default_answer="第一句说完了。第二句还没说完就断开了", failures=["cut"]))
    got = []
    with pytest.raises(errors.StreamInterrupted):
        for s in stream_sentences(rig.client(), MSG):
            got.append(s)
    assert got == ["第一句说完了。"]
