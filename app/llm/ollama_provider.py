"""A local (or LAN) Ollama server through the real ``ollama.Client`` (protocols §4).

Reasoning models (protocols §7.11, §7.12):

- Since Ollama v0.12.4, leaving ``think`` out means thinking ON for models that can think
  (qwen3, deepseek-r1, gpt-oss): the answer comes late and shares ``num_predict`` with the
  reasoning. So ``think`` is sent (``False`` by default, from ``[llm] thinking``). v0.12.4 alone
  refuses any ``think`` for a model that cannot think, with 400
  ``"<registry name> does not support thinking"`` (server/routes.go ChatHandler adds the
  thinking capability whenever ``think`` is set; fixed in v0.12.5 by #12555); then the request
  is sent again without it, and ``think`` is not sent to that model again.
- ``keep_alive`` (default 30 min) keeps the model loaded between questions (the server's own
  default unloads it after 5 idle minutes); ``warm_up`` loads it at start.
- Reasoning that still arrives inside ``content`` (≤ 0.12.3) is removed by ``LlmClient``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

from app.llm import errors
from app.llm.provider import DEFAULT_TIMEOUTS, Generation, Message, Timeouts, classify_transport
from app.logs import get_logger

log = get_logger("llm")

DEFAULT_HOST = "http://127.0.0.1:11434"
DEFAULT_KEEP_ALIVE = "30m"
#: The error Ollama v0.12.4 answers a ``think`` value with for a model that cannot think
#: (``fmt.Errorf("%s %w", name, …)`` → "registry.ollama.ai/library/qwen2.5:0.5b does not support
#: thinking"); later versions say ``"qwen2.5:0.5b" does not support thinking`` for ``think: true``.
THINK_REFUSED = "does not support thinking"


def keep_alive_value(value: str | float | None) -> str | float | None:
    """``keep_alive`` as Ollama parses it: a Go duration string ("30m", "1h30m") or a number of
    seconds (negative = keep loaded). A bare number written as text ("600", "-1") would be read
    as a Go duration and refused, so it is sent as a number."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


_UNIT_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def keep_alive_seconds(value: str | float | None) -> float | None:
    """Seconds a ``keep_alive`` keeps the model loaded; None when it never unloads (negative),
    unloads at once (0), or the value cannot be read."""
    value = keep_alive_value(value)
    if value is None:
        return None
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", value.strip())
        if not parts or "".join(n + u for n, u in parts) != value.strip():
            return None
        seconds = sum(float(n) * _UNIT_S[u] for n, u in parts)
    return seconds if seconds > 0 else None


class OllamaProvider:
    name = "ollama"

    def __init__(self, *, model: str, host: str = DEFAULT_HOST, timeouts: Timeouts = DEFAULT_TIMEOUTS,
                 keep_alive: str | float | None = DEFAULT_KEEP_ALIVE, think: bool | None = False):
        """``think``: False (default: no reasoning), True, or None (leave it to the server)."""
        if not model or not model.strip():
            raise errors.ModelNotFound("no model configured", provider=self.name)
        import ollama

        self.model = model.strip()
        self.host = host
        self.keep_alive = keep_alive_value(keep_alive)
        self.think = think
        self._send_think = think is not None
        self._timeouts = timeouts
        self._lock = threading.Lock()
        # httpx.Client (inside) is thread-safe; the ollama client makes no retries of its own.
        self._client = ollama.Client(host=host, timeout=timeouts.httpx())

    @property
    def keep_alive_s(self) -> float | None:
        return keep_alive_seconds(self.keep_alive)

    def open_stream(self, messages: list[Message], gen: Generation) -> Iterator[str]:
        import ollama

        options = {}
        if gen.temperature is not None:
            options["temperature"] = gen.temperature
        if gen.max_tokens is not None:
            options["num_predict"] = gen.max_tokens
        while True:
            think = self.think if self._send_think else None
            parts = self._client.chat(self.model, messages, stream=True, options=options or None,
                                      keep_alive=self.keep_alive, think=think)
            try:
                first = next(parts, None)  # an HTTP error is raised here, before any text
                break
            except ollama.ResponseError as exc:
                parts.close()
                if think is None or exc.status_code != 400 or THINK_REFUSED not in str(exc.error):
                    raise
                with self._lock:
                    self._send_think = False
                log.warning("ollama: %s refuses think=%s (%s); sending requests without it",
                            self.model, think, exc.error)
        yield from self._read(parts, first)

    def _read(self, parts, first) -> Iterator[str]:
        finished = got_text = False
        thought = 0
        try:
            part = first
            while part is not None:
                message = part.message
                text = message.content if message else None
                if text:
                    got_text = True
                    yield text
                if message is not None and message.thinking:
                    thought += len(message.thinking)
                if part.done:
                    finished = True
                    if not got_text and thought:
                        raise errors.BadResponse(
                            f"the model only thought ({thought} characters in message.thinking, "
                            f"done_reason={part.done_reason}): set [llm] thinking = disabled",
                            provider=self.name)
                part = next(parts, None)
        finally:
            parts.close()  # leaves the client's `with stream(...)` block: the response closes
        if not finished:
            raise errors.StreamInterrupted("stream ended without done=true", provider=self.name)

    def warm_up(self, timeout: float) -> None:
        """Load the model (``/api/chat`` with no messages: Ollama answers ``done_reason: "load"``)
        with ``keep_alive``, on a client whose read timeout is ``timeout`` (a cold load of a
        large model takes longer than a first token may). No ``think`` is sent: loading needs no
        capability check, so v0.12.4's refusal cannot stop it."""
        import httpx
        import ollama

        t = self._timeouts
        client = ollama.Client(host=self.host, timeout=httpx.Timeout(
            connect=t.connect, read=timeout, write=t.connect, pool=t.connect))
        try:
            client.chat(self.model, [], keep_alive=self.keep_alive)
        finally:
            client.close()

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
