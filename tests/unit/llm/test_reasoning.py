"""Reasoning models (issue 20.6, protocols §7.11–7.13), through the real ``ollama`` and Ark
clients against stand-ins that think the way each server version does: reasoning is never
spoken, ``think=false`` / ``thinking: disabled`` are sent (and dropped where a server refuses
them), ``keep_alive`` is sent and the model is loaded before the first question."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import events
from app.bus.memory import MemoryBus
from app.llm import errors
from app.llm.ark_provider import ArkProvider
from app.llm.client import LlmClient
from app.llm.factory import LlmSettings, make_client
from app.llm.ollama_provider import OllamaProvider
from app.llm.provider import Timeouts
from app.llm.sentences import stream_sentences
from app.llm.thinking import ThinkStripper
from app.llm.worker import LlmWorker
from tests.standins.ark import ArkStandin
from tests.standins.llm_common import Behaviour
from tests.standins.ollama_server import OllamaStandin
from tests.unit.llm.conftest import FAST, fast_limits
from tests.waiting import wait_until

MSG = [{"role": "user", "content": "这件多少钱？"}]
ANSWER = "这件五十九元。今天包邮哦！"
REASONING = "用户在问价格"  # a piece of Behaviour.thinking_text
QWEN3 = "qwen3:4b"
QWEN25 = "qwen2.5:0.5b"


@pytest.fixture
def standins():
    made = []

    def make(cls, behaviour=None, **kw):
        s = cls(behaviour or Behaviour(default_answer=ANSWER), **kw).start()
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


def ollama_client(standin, *, model=QWEN3, think=False, keep_alive="30m", timeouts=FAST, **limits):
    provider = OllamaProvider(model=model, host=standin.url, timeouts=timeouts, think=think, keep_alive=keep_alive)
    return LlmClient(provider, fast_limits(timeouts=timeouts, **limits))


def spoken(client) -> str:
    return "".join(stream_sentences(client, MSG))


# ---- the stripper ---------------------------------------------------------------------------

def strip_all(chunks: list[str]) -> str:
    s = ThinkStripper()
    return "".join(s.feed(c) for c in chunks) + s.flush()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["<think>", "</think>", "想", "答", "。", "<", ">", "th", "\n"]), max_size=30),
       st.lists(st.integers(1, 9), min_size=1, max_size=40))
def test_reasoning_is_dropped_however_the_stream_is_chunked(pieces, sizes):
    text = "".join(pieces)
    chunks, i = [], 0
    for n in sizes * (len(text) // max(1, sum(sizes)) + 1):
        if i >= len(text):
            break
        chunks.append(text[i:i + n])
        i += n
    assert strip_all(chunks) == strip_all([text])  # chunking never changes what is spoken
    assert "想" not in strip_all(["<think>" + text + "</think>"]) or "</think>" in text


@pytest.mark.parametrize("chunks, out", [
    (["<think>\n想一想\n</think>\n\n", "这件五十九元。"], "这件五十九元。"),
    (["<thi", "nk>想", "</thi", "nk>", "答"], "答"),
    (["前面<think>想</think>中间<THINK>又想</Think>后面"], "前面中间后面"),
    (["这件五十九元。<think>后面的思考没有写完"], "这件五十九元。"),
    (["思考</think>答案"], "思考答案"),  # a stray closing tag alone is removed
    (["a < b，", "<3"], "a < b，<3"),  # not a tag
    (["<thin"], "<thin"),
])
def test_think_blocks_split_unclosed_and_stray(chunks, out):
    assert strip_all(chunks) == out


def test_every_providers_stream_drops_inline_reasoning_before_sentence_splitting(rig_factory):
    inline = f"<think>\n{REASONING}，资料里写着五十九元。\n</think>\n\n{ANSWER}"
    rig = rig_factory(Behaviour(default_answer=inline))  # one character per token: tags split
    client = rig.client()
    assert list(stream_sentences(client, MSG)) == ["这件五十九元。", "今天包邮哦！"]
    assert client.stats.think_blocks_dropped == 1 and client.stats.think_chars_dropped > 10
    rig.behaviour.default_answer = f"好的。<think>{REASONING}但被截断了"
    assert list(stream_sentences(client, MSG)) == ["好的。"]


# ---- Ollama ---------------------------------------------------------------------------------

def test_ollama_sends_think_false_and_keep_alive_so_a_thinking_model_answers_at_once(standins):
    ollama = standins(OllamaStandin, Behaviour(default_answer=ANSWER, tokens_per_s=100),
                      thinking_models={QWEN3})
    client = ollama_client(ollama)
    started = time.monotonic()
    assert spoken(client) == ANSWER
    assert time.monotonic() - started < 1.0
    body = ollama.chat_requests[-1].body
    assert body["think"] is False and body["keep_alive"] == "30m"


def test_without_think_an_ollama_0_12_4_thinking_model_thinks_first_and_shares_the_token_budget(standins):
    """The failure the fix guards against: ``think`` left out (what this client sent before)."""
    slow = Behaviour(default_answer=ANSWER, tokens_per_s=40)  # ~40 reasoning tokens ≈ 1 s
    ollama = standins(OllamaStandin, slow, thinking_models={QWEN3})
    with pytest.raises(errors.LlmTimeout):  # first spoken token later than the 0.6 s allowed
        spoken(ollama_client(ollama, think=None))
    assert "think" not in ollama.chat_requests[-1].body
    cut = LlmClient(OllamaProvider(model=QWEN3, host=ollama.url, timeouts=Timeouts(1, 5, 10), think=None),
                    fast_limits(timeouts=Timeouts(1, 5, 10)))
    with pytest.raises(errors.BadResponse, match="thinking"):  # num_predict spent on thinking
        list(cut.stream(MSG, generation=type(cut.generation)(max_tokens=10)))
    assert spoken(ollama_client(ollama, think=False)) == ANSWER


def test_ollama_0_12_4_refuses_think_for_a_model_that_cannot_think_and_it_is_sent_again_without(standins):
    ollama = standins(OllamaStandin, version=(0, 12, 4), thinking_models={QWEN3})
    client = ollama_client(ollama, model=QWEN25)
    assert spoken(client) == ANSWER
    assert spoken(client) == ANSWER
    sent = [r.body.get("think", "absent") for r in ollama.chat_requests]
    assert sent == [False, "absent", "absent"]  # refused once, then never sent to that model again
    assert client.stats.failures == 0 and client.stats.requests == 2
    # the refusal is exactly the server's (v0.12.4 capability check, full registry name)
    raw = OllamaStandin(version=(0, 12, 4)).refuses_think(QWEN25, False)
    assert raw == "registry.ollama.ai/library/qwen2.5:0.5b does not support thinking"


def test_newer_ollama_accepts_think_false_for_a_model_that_cannot_think(standins):
    ollama = standins(OllamaStandin, version=(0, 12, 6))
    client = ollama_client(ollama, model=QWEN25)
    assert spoken(client) == ANSWER and spoken(client) == ANSWER
    assert [r.body.get("think") for r in ollama.chat_requests] == [False, False]


@pytest.mark.parametrize("think, always", [(None, False), (False, True)])
def test_ollama_0_12_3_reasoning_inside_content_is_never_spoken(standins, think, always):
    ollama = standins(OllamaStandin, version=(0, 12, 3), thinking_models={QWEN3}, inline_think_always=always)
    client = ollama_client(ollama, think=think)
    sentences = list(stream_sentences(client, MSG))
    assert sentences == ["这件五十九元。", "今天包邮哦！"]
    assert client.stats.think_blocks_dropped == 1


def test_warm_up_loads_the_model_so_the_first_question_does_not_pay_a_cold_load(standins):
    ollama = standins(OllamaStandin, Behaviour(default_answer=ANSWER, load_s=1.2))
    cold = ollama_client(ollama)
    with pytest.raises(errors.LlmTimeout):  # a cold load (1.2 s) past the 0.6 s first-token limit
        spoken(cold)
    ollama.unload_all()
    client = ollama_client(ollama)
    took = client.warm_up(5.0)
    assert took >= 1.0 and ollama.loads == 2
    load = ollama.chat_requests[-1].body
    assert load["messages"] == [] and load["keep_alive"] == "30m" and "think" not in load
    assert spoken(client) == ANSWER and ollama.loads == 2  # still loaded: no second cold load


def test_keep_alive_numbers_are_sent_as_seconds_not_as_text(standins):
    ollama = standins(OllamaStandin)
    assert spoken(ollama_client(ollama, model=QWEN25, keep_alive="600")) == ANSWER
    assert ollama.chat_requests[-1].body["keep_alive"] == 600


def test_the_worker_warms_the_model_at_start_and_a_question_asked_meanwhile_is_answered(standins):
    ollama = standins(OllamaStandin, Behaviour(default_answer=ANSWER, load_s=1.0))
    client = ollama_client(ollama)
    client.warm_up_timeout = 5.0
    bus = MemoryBus("warm")
    got, system = [], []
    bus.subscribe(events.Channel.SPEECH_REQUESTS, got.append)
    bus.subscribe(events.Channel.SYSTEM, system.append)
    worker = LlmWorker(bus, client)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        bus.publish(events.Channel.REPLY_JOBS, events.ReplyJob(id="q1", question="多少钱", nickname="小王",
                                                               deadline=time.time() + 30))
        deadline = time.monotonic() + 5
        while len(got) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [r.text for r in got] == ["这件五十九元。", "今天包邮哦！"]
        health = [e for e in system if isinstance(e, events.Health)]
        assert any(h.status == "ok" and "模型已加载" in h.detail for h in health)
        assert not any(isinstance(e, events.Dropped) for e in system)
        assert ollama.loads == 1 and ollama.chat_requests[0].body["messages"] == []
    finally:
        worker.stop()
        thread.join(3)
        bus.close()


def test_an_idle_worker_loads_the_model_again_before_keep_alive_runs_out(standins):
    ollama = standins(OllamaStandin)
    client = ollama_client(ollama, keep_alive="1s")  # reloaded every 0.5 s of idleness
    client.warm_up_timeout = 2.0
    bus = MemoryBus("idle")
    worker = LlmWorker(bus, client)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        loads = lambda: [r for r in ollama.chat_requests if r.body["messages"] == []]  # noqa: E731
        wait_until(lambda: len(loads()) >= 3, timeout=5, what="three loads: at start, then about every 0.5 s")
        assert ollama.loads == 1  # never unloaded: no cold load after the first
    finally:
        worker.stop()
        thread.join(3)
        bus.close()


# ---- Ark --------------------------------------------------------------------------------------

def ark_client(ark, model, **kw):
    return LlmClient(ArkProvider(model=model, api_key="k", base_url=ark.base_url, timeouts=FAST, **kw),
                     fast_limits())


def test_ark_asks_a_reasoning_model_not_to_think_by_default(standins):
    ark = standins(ArkStandin, Behaviour(default_answer=ANSWER, tokens_per_s=40), thinking_models={"doubao-seed-1-6"})
    assert spoken(ark_client(ark, "doubao-seed-1-6")) == ANSWER
    assert ark.chat_requests[-1].body["thinking"] == {"type": "disabled"}
    with pytest.raises(errors.LlmTimeout):  # left to the model's default it thinks first
        spoken(ark_client(ark, "doubao-seed-1-6", thinking=None))
    assert ark.chat_requests[-1].body["thinking"] is None


def test_ark_model_that_can_only_think_is_asked_again_without_the_setting_and_its_reasoning_is_not_spoken(standins):
    ark = standins(ArkStandin, Behaviour(default_answer=ANSWER), thinking_only_models={"kimi-k2"})
    client = ark_client(ark, "kimi-k2")
    assert spoken(client) == ANSWER and spoken(client) == ANSWER
    assert [r.body["thinking"] for r in ark.chat_requests] == [{"type": "disabled"}, None, None]
    assert client.stats.failures == 0


def test_settings_default_to_no_reasoning_and_a_30_minute_keep_alive():
    s = LlmSettings()
    assert s.thinking == "disabled" and s.keep_alive == "30m" and s.warm_up_timeout_s > 0
    client = make_client(LlmSettings(provider="ollama", model=QWEN3))
    assert client.provider.think is False and client.provider.keep_alive == "30m"
    assert client.keep_warm_every == 900 and client.warm_up_timeout == s.warm_up_timeout_s
    assert make_client(LlmSettings(provider="ollama", model=QWEN3, thinking=None)).provider.think is None
    assert make_client(LlmSettings(provider="ark", model="ep-1", api_key="k")).provider.thinking == "disabled"
