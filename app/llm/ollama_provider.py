"""A local (or LAN) Ollama server through the real ``ollama.Client`` (protocols §4)."""

from __future__ import annotations

from collections.abc import Iterator

from app.llm import errors
from app.llm.provider import DEFAULT_TIMEOUTS, Generation, Message, Timeouts, classify_transport

DEFAULT_HOST = "http://127.0.0.1:11434"


class OllamaProvider:
    name = "ollama"

    def __init__(self, *, model: str, host: str = DEFAULT_HOST, timeouts: Timeouts = DEFAULT_TIMEOUTS,
                 keep_alive: str | None = None):
        if not model or not model.strip():
            raise errors.ModelNotFound("no model configured", provider=self.name)
        import ollama

        self.model = model.strip()
        self.host = host
        self.keep_alive = keep_alive
        # httpx.Client (inside) is thread-safe; the ollama client makes no retries of its own.
        self._client = ollama.Client(host=host, timeout=timeouts.httpx())

    def open_stream(self, messages: list[Message], gen: Generation) -> Iterator[str]:
        options = {}
        if gen.temperature is not None:
            options["temperature"] = gen.temperature
        if gen.max_tokens is not None:
            options["num_predict"] = gen.max_tokens
        parts = self._client.chat(self.model, messages, stream=True, options=options or None,
                                  keep_alive=self.keep_alive)
        finished = False
        try:
            for part in parts:
                text = part.message.content if part.message else None
                if text:
                    yield text
                if part.done:
                    finished = True
        finally:
            parts.close()  # leaves the client's `with stream(...)` block: the response closes
        if not finished:
            raise errors.StreamInterrupted("stream ended without done=true", provider=self.name)

    def list_models(self) -> list[str]:
        """Model names the server has (``GET /api/tags``), for the settings dialog and checks."""
        try:
            return [m.model for m in self._client.list().models if m.model]
        except Exception as exc:
            raise self.classify(exc) from exc

    def classify(self, exc: BaseException) -> errors.LlmError:
        import ollama

        if isinstance(exc, ollama.ResponseError):
            detail = str(exc.error)
            if exc.status_code == -1:  # an {"error": …} line inside a 200 stream
                if "not found" in detail:
                    return errors.ModelNotFound(detail, provider=self.name)
                return errors.ServerError(detail, provider=self.name)
            return errors.for_status(exc.status_code, f"{exc.status_code} {detail}", provider=self.name)
        if type(exc) is ConnectionError:  # what the client raises for a refused connection
            return errors.Unreachable(f"{self.host}: connection refused", provider=self.name)
        known = classify_transport(exc, self.name)
        if type(known) is errors.Unreachable:  # the operator needs to see which address failed
            return errors.Unreachable(f"{self.host}: {known.detail}", provider=self.name)
        return known or errors.LlmError(f"{type(exc).__name__}: {exc}", provider=self.name)

    def close(self) -> None:
        self._client.close()
