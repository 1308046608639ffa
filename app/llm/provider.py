"""The provider interface: open one streamed chat completion, and name what went wrong.

A provider does exactly one attempt with no hidden retries (the SDKs' own retries are switched
off); retries, limits and timeouts are ``LlmClient``'s job so they are one tested behaviour for
every provider.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import httpx

from app.llm import errors

Message = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": "..."}


@dataclass(frozen=True)
class Timeouts:
    """Seconds. ``first_token`` also bounds every silent gap inside a stream (the HTTP read
    timeout), so a stalled connection cannot hang a reader thread forever."""

    connect: float = 5.0
    first_token: float = 15.0
    total: float = 60.0

    def httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.first_token, write=self.connect,
                             pool=self.connect)


@dataclass(frozen=True)
class Generation:
    max_tokens: int | None = None
    temperature: float | None = None


DEFAULT_TIMEOUTS = Timeouts()
DEFAULT_GENERATION = Generation()


class ChatProvider(Protocol):
    name: str
    model: str

    def open_stream(self, messages: list[Message], gen: Generation) -> Iterator[str]:
        """A generator of non-empty text deltas. It raises (anything) on failure, and raises
        ``errors.StreamInterrupted`` when the stream ends without the service's end marker.
        Closing the generator closes the HTTP response."""

    def classify(self, exc: BaseException) -> errors.LlmError:
        """The operator-facing error for an exception raised by ``open_stream``."""

    def close(self) -> None: ...


def classify_transport(exc: BaseException, provider: str) -> errors.LlmError | None:
    """Errors every httpx-based client shares (raised while reading a stream body)."""
    detail = f"{type(exc).__name__}: {exc}".rstrip(": ")
    if isinstance(exc, errors.LlmError):
        return exc
    if isinstance(exc, httpx.ConnectTimeout):
        return errors.Unreachable(f"connect timeout: {detail}", provider=provider)
    if isinstance(exc, httpx.TimeoutException):
        return errors.LlmTimeout(detail, provider=provider)
    if isinstance(exc, httpx.ConnectError | ConnectionRefusedError):
        return errors.Unreachable(detail, provider=provider)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return errors.StreamInterrupted(detail, provider=provider)
    if isinstance(exc, json.JSONDecodeError):
        return errors.BadResponse(f"invalid JSON in stream: {exc}", provider=provider)
    try:
        import pydantic
        if isinstance(exc, pydantic.ValidationError):
            return errors.BadResponse(f"unexpected message shape: {exc.error_count()} error(s)",
                                      provider=provider)
    except ImportError:  # pragma: no cover - both SDKs depend on pydantic
        pass
    return None


class NoneProvider:
    """The ``none`` provider: LLM answers switched off. Every call fails with ``LlmDisabled``
    so the worker can drop the job with a reason instead of hanging."""

    name = "none"
    model = ""

    def open_stream(self, messages: list[Message], gen: Generation) -> Iterator[str]:
        raise errors.LlmDisabled(provider=self.name)

    def classify(self, exc: BaseException) -> errors.LlmError:
        return exc if isinstance(exc, errors.LlmError) else errors.LlmError(str(exc), provider=self.name)

    def close(self) -> None:
        pass
