"""Build an ``LlmClient`` from plain settings (the runtime maps config.ini onto these)."""

from __future__ import annotations

from dataclasses import dataclass

from app.llm.client import LlmClient, LlmLimits
from app.llm.limits import RetryPolicy
from app.llm.provider import Generation, NoneProvider, Timeouts

PROVIDERS = ("ark", "ollama", "none")


@dataclass(frozen=True)
class LlmSettings:
    provider: str = "none"  # ark | ollama | none
    model: str = ""  # Ark: model id or ep-… endpoint id; Ollama: model name
    api_key: str = ""  # Ark only; from the secret store, never from config.ini
    base_url: str = "https://ark.cn-beijing.volces.com/api/v3"  # Ark
    ollama_host: str = "http://127.0.0.1:11434"  # Ollama
    # "enabled" | "disabled" | "auto"; None = the model's default. Ark: the thinking parameter;
    # Ollama: think = True / False / left out ("auto"). Reasoning delays the first spoken word.
    thinking: str | None = "disabled"
    keep_alive: str = "30m"  # Ollama: how long the model stays loaded after a request
    warm_up_timeout_s: float = 120.0  # seconds the model may take to load at start; 0 = no warm-up
    connect_timeout_s: float = 5.0
    first_token_timeout_s: float = 15.0
    total_timeout_s: float = 60.0
    max_retries: int = 2
    backoff_base_s: float = 0.5
    requests_per_minute: int = 60
    max_concurrency: int = 2
    temperature: float | None = 0.7
    max_tokens: int | None = 300


def make_client(s: LlmSettings) -> LlmClient:
    """Raises ``errors.LlmError`` (AuthError, ModelNotFound) for settings that cannot work, and
    ValueError for an unknown provider name."""
    timeouts = Timeouts(connect=s.connect_timeout_s, first_token=s.first_token_timeout_s,
                        total=s.total_timeout_s)
    if s.provider == "ark":
        from app.llm.ark_provider import ArkProvider

        provider = ArkProvider(model=s.model, api_key=s.api_key, base_url=s.base_url,
                               timeouts=timeouts, thinking=s.thinking)
    elif s.provider == "ollama":
        from app.llm.ollama_provider import OllamaProvider

        think = {"disabled": False, "enabled": True}.get(s.thinking or "")  # auto / default: left out
        provider = OllamaProvider(model=s.model, host=s.ollama_host, timeouts=timeouts,
                                  keep_alive=s.keep_alive or None, think=think)
    elif s.provider == "none":
        provider = NoneProvider()
    else:
        raise ValueError(f"[llm] provider: unknown value {s.provider!r}; expected one of {', '.join(PROVIDERS)}")
    limits = LlmLimits(timeouts=timeouts,
                       retry=RetryPolicy(max_retries=s.max_retries, base_delay=s.backoff_base_s),
                       requests_per_minute=s.requests_per_minute, max_concurrency=s.max_concurrency)
    return LlmClient(provider, limits,
                     generation=Generation(max_tokens=s.max_tokens, temperature=s.temperature),
                     warm_up_timeout=s.warm_up_timeout_s)
