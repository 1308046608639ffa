"""What can go wrong talking to a language model, in words an operator can act on.

Every provider error (Ark SDK exceptions, ollama ``ResponseError``, httpx transport errors,
garbled stream lines) is turned into one of these classes by the provider's ``classify``; the
rest of the app only ever sees this hierarchy. ``str(e)`` is a Chinese + English sentence that
says what is wrong and what to check; ``detail`` keeps the provider's own words for the log.
"""

from __future__ import annotations


class LlmError(Exception):
    """Base class. ``retryable`` says whether trying the same request again may succeed."""

    retryable = False
    zh = "大模型调用失败"
    en = "the language model call failed"
    hint = ""

    def __init__(self, detail: str = "", *, provider: str = "", status: int | None = None):
        self.detail = detail
        self.provider = provider
        self.status = status
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = f"[{self.provider}] " if self.provider else ""
        text = f"{where}{self.zh} / {self.en}"
        if self.hint:
            text += f" — {self.hint}"
        if self.detail:
            text += f" ({self.detail})"
        return text

    @property
    def kind(self) -> str:
        """A short stable name for dashboards and reports (``auth``, ``rate_limited`` …)."""
        return _KINDS.get(type(self), "error")


class AuthError(LlmError):
    zh = "API 密钥错误或无权限"
    en = "wrong API key or no permission"
    hint = "检查密钥与账户状态 / check the API key and the account"


class ModelNotFound(LlmError):
    zh = "模型或推理接入点不存在"
    en = "unknown model or endpoint"
    hint = "检查模型名或 ep- 接入点 ID / check the model name or ep- endpoint id"


class RateLimited(LlmError):
    retryable = True
    zh = "请求过于频繁，已被限流"
    en = "rate limited"
    hint = "降低每分钟请求数 / lower the requests per minute"


class Unreachable(LlmError):
    retryable = True
    zh = "无法连接大模型服务"
    en = "the model service is unreachable"
    hint = "检查网络与服务地址 / check the network and the service address"


class StreamInterrupted(Unreachable):
    """The connection dropped after the answer had started (cut halfway)."""

    zh = "大模型回答中途断开"
    en = "the answer stream was cut off"
    hint = "检查网络 / check the network"


class LlmTimeout(LlmError):
    """No first token, or no complete answer, in time. Not retried: the time budget is spent
    (a connect timeout is ``Unreachable`` and is retried)."""

    zh = "大模型响应超时"
    en = "the model timed out"
    hint = "服务过慢或超时设置过短 / the service is slow or the timeout is too short"


class ServerError(LlmError):
    retryable = True
    zh = "大模型服务内部错误"
    en = "the model service failed"


class BadResponse(LlmError):
    zh = "大模型返回了无法解析的数据"
    en = "the model service sent data that cannot be parsed"


class BadRequest(LlmError):
    zh = "请求被大模型服务拒绝"
    en = "the request was rejected"


class LlmDisabled(LlmError):
    zh = "未启用大模型"
    en = "no language model is configured"
    hint = "在设置中选择 ark 或 ollama / choose ark or ollama in the settings"


class Cancelled(LlmError):
    """The caller cancelled the request; not a failure of the service."""

    zh = "已取消"
    en = "cancelled"


_KINDS: dict[type, str] = {
    AuthError: "auth", ModelNotFound: "model_not_found", RateLimited: "rate_limited",
    Unreachable: "unreachable", StreamInterrupted: "stream_interrupted", LlmTimeout: "timeout",
    ServerError: "server_error", BadResponse: "bad_response", BadRequest: "bad_request",
    LlmDisabled: "disabled", Cancelled: "cancelled",
}


def for_status(status: int, detail: str, *, provider: str, code: str = "") -> LlmError:
    """The error for an HTTP status (and the service's own error code when it has one)."""
    if code and "RateLimit" in code:
        return RateLimited(detail, provider=provider, status=status)
    if status in (401, 403):
        return AuthError(detail, provider=provider, status=status)
    if status == 404 or (code and ("NotFound" in code or "InvalidEndpoint" in code or "ModelNotOpen" in code)):
        return ModelNotFound(detail, provider=provider, status=status)
    if status == 429:
        return RateLimited(detail, provider=provider, status=status)
    if status == 408:
        return LlmTimeout(detail, provider=provider, status=status)
    if status >= 500 or status == 409:
        return ServerError(detail, provider=provider, status=status)
    return BadRequest(detail, provider=provider, status=status)
