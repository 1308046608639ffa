"""Stand-ins for Ark and Ollama and clients wired to them through the real SDKs."""

from __future__ import annotations

import pytest

from app.llm.ark_provider import ArkProvider
from app.llm.client import LlmClient, LlmLimits
from app.llm.limits import RetryPolicy
from app.llm.ollama_provider import OllamaProvider
from app.llm.provider import Timeouts
from tests.standins.ark import ArkStandin
from tests.standins.llm_common import Behaviour
from tests.standins.ollama_server import OllamaStandin

FAST = Timeouts(connect=1.0, first_token=0.6, total=3.0)
MODEL = {"ark": "ep-20250101000000-abcde", "ollama": "qwen2.5:0.5b"}


def fast_limits(**kw) -> LlmLimits:
    kw.setdefault("timeouts", FAST)
    kw.setdefault("retry", RetryPolicy(max_retries=2, base_delay=0.05, max_delay=0.2, jitter=0.0))
    kw.setdefault("requests_per_minute", 0)
    kw.setdefault("max_concurrency", 4)
    return LlmLimits(**kw)


class Rig:
    """One stand-in plus a way to build clients for it."""

    def __init__(self, kind: str, behaviour: Behaviour, **standin_kw):
        self.kind = kind
        self.standin = (ArkStandin if kind == "ark" else OllamaStandin)(behaviour, **standin_kw).start()
        self.behaviour = behaviour

    def provider(self, *, model: str | None = None, api_key: str = "test-key", timeouts=FAST):
        if self.kind == "ark":
            return ArkProvider(model=model or MODEL["ark"], api_key=api_key,
                               base_url=self.standin.base_url, timeouts=timeouts)
        return OllamaProvider(model=model or MODEL["ollama"], host=self.standin.url, timeouts=timeouts)

    def client(self, limits: LlmLimits | None = None, **provider_kw) -> LlmClient:
        limits = limits or fast_limits()
        return LlmClient(self.provider(timeouts=limits.timeouts, **provider_kw), limits)

    @property
    def requests(self):
        return self.standin.chat_requests


@pytest.fixture(params=["ark", "ollama"])
def kind(request) -> str:
    return request.param


@pytest.fixture
def rig_factory(kind):
    rigs: list[Rig] = []

    def make(behaviour: Behaviour | None = None, **standin_kw) -> Rig:
        rig = Rig(kind, behaviour or Behaviour(), **standin_kw)
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.standin.stop()
