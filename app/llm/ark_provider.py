"""Volcengine Ark through the real ``volcenginesdkarkruntime.Ark`` client (protocols §3).

Reasoning models think silently before the first content token when ``thinking`` is left to
the model's default, and a first-token timeout sized for chat answers fires (protocols §7.13):
``thinking`` is ``{"type": "disabled"}`` unless ``[llm] thinking`` says otherwise. A model that
can only think answers that with 400 ``InvalidParameter`` "The current model does not support
disabling thinking"; then the request is sent again without ``thinking`` and it is not sent to
that model again. Its ``reasoning_content`` deltas are never read as answer text.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from app.llm import errors
from app.llm.provider import DEFAULT_TIMEOUTS, Generation, Message, Timeouts, classify_transport
from app.logs import get_logger

log = get_logger("llm")

DEFAULT_BASE_URL = "https://ark.cn-beijing.volces.com/api/v3"
DEFAULT_THINKING = "disabled"
#: Part of Ark's 400 message for a thinking-only model asked not to think.
THINKING_REFUSED = "does not support disabling thinking"


class ArkProvider:
    """``model`` is a model id (``doubao-seed-1-6-250615``) or an endpoint id (``ep-…``).

    ``thinking`` ("enabled"/"disabled"/"auto"; None = the model's default) is sent when set:
    reasoning models think first by default, which delays the first spoken word.
    """

    name = "ark"

    def __init__(self, *, model: str, api_key: str, base_url: str = DEFAULT_BASE_URL,
                 timeouts: Timeouts = DEFAULT_TIMEOUTS, thinking: str | None = DEFAULT_THINKING):
        if not model or not model.strip():
            raise errors.ModelNotFound("no model or endpoint id configured", provider=self.name)
        if not api_key:
            # the SDK would fall back to $ARK_API_KEY and then fail with a bare AssertionError
            raise errors.AuthError("no API key configured", provider=self.name)
        from volcenginesdkarkruntime import Ark

        self.model = model.strip()
        self.base_url = base_url
        self.thinking = thinking
        # max_retries=0: retries are LlmClient's, not hidden inside the SDK (which would also
        # ignore Retry-After and multiply the time budget).
        self._http = httpx.Client(timeout=timeouts.httpx())
        self._ark = Ark(base_url=base_url, api_key=api_key, timeout=timeouts.httpx(),
                        max_retries=0, http_client=self._http)

    def open_stream(self, messages: list[Message], gen: Generation) -> Iterator[str]:
        from volcenginesdkarkruntime._exceptions import ArkBadRequestError

        while True:
            thinking = self.thinking
            extra = {"thinking": {"type": thinking}} if thinking else {}
            try:
                stream = self._ark.chat.completions.create(
                    model=self.model, messages=messages, stream=True, max_tokens=gen.max_tokens,
                    temperature=gen.temperature, **extra)
                break
            except ArkBadRequestError as exc:
                if not thinking or THINKING_REFUSED not in _describe(exc):
                    raise
                self.thinking = None
                log.warning("ark: %s refuses thinking=%s (%s); sending requests without it",
                            self.model, thinking, _describe(exc))
        finished = False
        try:
            for chunk in stream:
                for choice in chunk.choices:
                    text = choice.delta.content if choice.delta else None
                    if text:
                        yield text
                    if choice.finish_reason:
                        finished = True
        finally:
            stream.close()
        if not finished:
            raise errors.StreamInterrupted("stream ended without finish_reason", provider=self.name)

    def classify(self, exc: BaseException) -> errors.LlmError:
        from volcenginesdkarkruntime._exceptions import (
            ArkAPIConnectionError,
            ArkAPIError,
            ArkAPIStatusError,
            ArkAPITimeoutError,
        )

        if isinstance(exc, ArkAPIStatusError):
            return errors.for_status(exc.status_code, _describe(exc), provider=self.name,
                                     code=str(exc.code or ""))
        if isinstance(exc, ArkAPITimeoutError):
            if isinstance(exc.__cause__, httpx.ConnectTimeout):
                return errors.Unreachable(f"connect timeout to {self.base_url}", provider=self.name)
            return errors.LlmTimeout(f"no response from {self.base_url}", provider=self.name)
        if isinstance(exc, ArkAPIConnectionError):
            return errors.Unreachable(f"{self.base_url}: {exc.__cause__ or exc}", provider=self.name)
        if isinstance(exc, ArkAPIError):
            # an error event inside a 200 stream: classified by the service's code
            code = str(getattr(exc, "code", "") or "")
            if "RateLimit" in code:
                return errors.RateLimited(_describe(exc), provider=self.name)
            if "Authentication" in code or "Unauthorized" in code:
                return errors.AuthError(_describe(exc), provider=self.name)
            return errors.ServerError(_describe(exc), provider=self.name)
        known = classify_transport(exc, self.name)
        return known or errors.LlmError(f"{type(exc).__name__}: {exc}", provider=self.name)

    def close(self) -> None:
        self._http.close()


def _describe(exc) -> str:
    """``401 AuthenticationError: The API key … Request id: …`` from the service's error body."""
    body = getattr(exc, "body", None)
    message = body.get("message") if isinstance(body, dict) and body.get("message") else \
        getattr(exc, "message", "") or str(exc)
    code = getattr(exc, "code", None)
    status = getattr(exc, "status_code", None)
    head = " ".join(str(p) for p in (status, code) if p)
    return f"{head}: {message}" if head else message
