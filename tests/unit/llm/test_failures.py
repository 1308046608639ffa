"""Each failure mode of the real services, through the real SDK clients, becomes the right
classified error with the right retry behaviour."""

from __future__ import annotations

import socket
import time

import pytest

from app.llm import errors
from app.llm.ark_provider import ArkProvider
from app.llm.client import LlmClient
from app.llm.ollama_provider import OllamaProvider
from app.llm.provider import Timeouts
from tests.standins.ark import ArkStandin
from tests.standins.llm_common import Behaviour
from tests.unit.llm.conftest import fast_limits

MSG = [{"role": "user", "content": "多少钱？"}]
ANSWER = "这款是纯棉的。支持七天无理由退换！"


def test_success_returns_the_answer_in_one_request(rig_factory):
    rig = rig_factory(Behaviour(default_answer=ANSWER))
    assert rig.client().complete(MSG) == ANSWER
    assert len(rig.requests) == 1


@pytest.mark.parametrize("failure, error", [
    ("401", errors.AuthError), ("403", errors.AuthError), ("404", errors.ModelNotFound),
])
def test_operator_errors_are_classified_and_not_retried(rig_factory, failure, error):
    rig = rig_factory(Behaviour(failures=[failure]))
    client = rig.client()
    with pytest.raises(error) as exc:
        client.complete(MSG)
    assert len(rig.requests) == 1  # the SDK's own retries are off and ours skip these
    assert " / " in str(exc.value)  # Chinese / English
    assert client.stats.failures == 1 and client.stats.retries == 0


@pytest.mark.parametrize("failure", ["429", "500", "503"])
def test_retryable_status_then_success(rig_factory, failure):
    rig = rig_factory(Behaviour(default_answer=ANSWER, failures=[failure]))
    client = rig.client()
    assert client.complete(MSG) == ANSWER
    assert len(rig.requests) == 2
    assert client.stats.retries == 1


@pytest.mark.parametrize("failure, error", [("429", errors.RateLimited), ("500", errors.ServerError)])
def test_retries_are_bounded_and_backed_off(rig_factory, failure, error):
    rig = rig_factory(Behaviour(failures=[failure] * 5))
    client = rig.client(fast_limits())  # 2 retries, 0.05 s then 0.1 s
    with pytest.raises(error):
        client.complete(MSG)
    times = [r.received_at for r in rig.requests]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.05 and times[2] - times[1] >= 0.1


def test_wrong_key_is_an_auth_error():
    with ArkStandin(api_key="right-key") as ark:
        provider = ArkProvider(model="ep-1", api_key="wrong-key", base_url=ark.base_url)
        with pytest.raises(errors.AuthError) as exc:
            LlmClient(provider, fast_limits()).complete(MSG)
        assert ark.chat_requests[0].headers["Authorization"] == "Bearer wrong-key"
    assert "API key" in str(exc.value) and "密钥" in str(exc.value)


def test_unknown_model_or_endpoint(rig_factory, kind):
    rig = rig_factory(models={"the-real-model"})
    with pytest.raises(errors.ModelNotFound) as exc:
        rig.client(model="ep-20990101000000-nope").complete(MSG)
    assert "endpoint" in str(exc.value)
    assert len(rig.requests) == 1


def test_missing_api_key_is_reported_before_any_request():
    with pytest.raises(errors.AuthError):
        ArkProvider(model="ep-1", api_key="", base_url="http://127.0.0.1:9/api/v3")


def test_stream_cut_halfway_is_interrupted_not_retried(rig_factory):
    """Half the answer was already handed on (maybe spoken): retrying would repeat it."""
    rig = rig_factory(Behaviour(default_answer=ANSWER, failures=["cut"]))
    got: list[str] = []
    with pytest.raises(errors.StreamInterrupted):
        for delta in rig.client().stream(MSG):
            got.append(delta)
    assert got and ANSWER.startswith("".join(got)) and "".join(got) != ANSWER
    assert len(rig.requests) == 1


def test_stream_cut_before_any_text_is_retried(rig_factory):
    rig = rig_factory(Behaviour(default_answer=ANSWER, chars_per_token=len(ANSWER), failures=["cut"]))
    assert rig.client().complete(MSG) == ANSWER
    assert len(rig.requests) == 2


def test_malformed_line_is_a_bad_response(rig_factory):
    rig = rig_factory(Behaviour(default_answer=ANSWER, failures=["malformed"]))
    with pytest.raises(errors.BadResponse):
        rig.client().complete(MSG)
    assert len(rig.requests) == 1


def test_error_inside_the_stream(rig_factory):
    rig = rig_factory(Behaviour(default_answer=ANSWER, failures=["stream_error"]))
    with pytest.raises(errors.ServerError):
        rig.client().complete(MSG)


def test_no_first_token_times_out(rig_factory):
    rig = rig_factory(Behaviour(failures=["hang"], hang_s=5.0))
    client = rig.client()
    t0 = time.monotonic()
    with pytest.raises(errors.LlmTimeout) as exc:
        client.complete(MSG)
    elapsed = time.monotonic() - t0
    assert 0.55 <= elapsed < 2.5  # first_token = 0.6 s; the server would hang 5 s
    assert "first token" in str(exc.value)
    assert len(rig.requests) == 1  # a timeout spent the budget: not retried


def test_total_timeout_bounds_a_slow_answer(rig_factory):
    rig = rig_factory(Behaviour(default_answer="慢" * 100, tokens_per_s=20))
    client = rig.client(fast_limits(timeouts=Timeouts(connect=1.0, first_token=0.6, total=0.8)))
    t0 = time.monotonic()
    with pytest.raises(errors.LlmTimeout):
        client.complete(MSG)
    assert time.monotonic() - t0 < 2.5  # total = 0.8 s; the whole answer would take 5 s


def test_unreachable_service_is_retried_then_reported(kind):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]  # closed again before use: nobody listens
    if kind == "ark":
        provider = ArkProvider(model="ep-1", api_key="k", base_url=f"http://127.0.0.1:{dead_port}/api/v3")
    else:
        provider = OllamaProvider(model="m", host=f"http://127.0.0.1:{dead_port}")
    client = LlmClient(provider, fast_limits())
    with pytest.raises(errors.Unreachable) as exc:
        client.complete(MSG)
    assert not isinstance(exc.value, errors.StreamInterrupted)
    assert f"{dead_port}" in str(exc.value)
    assert client.stats.requests == 3 and client.stats.retries == 2
