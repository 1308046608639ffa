"""An Ollama stand-in: ``POST /api/chat`` streaming NDJSON (one object per line, no blank
lines, final ``done: true`` line with metrics), ``GET /api/tags``, ``GET /`` — as protocols.md
§4 shows, including errors (``{"error": "..."}`` with a status before streaming, an error line
inside a 200 stream). Driven by the real ``ollama.Client(host=standin.url)``.

(Named ``ollama_server`` so it never shadows the ``ollama`` package.)

Reasoning models, as the real server treats them (protocols §7.11, ollama server/routes.go
ChatHandler at the tags named):

- ``version >= (0, 12, 4)``: for a model in ``thinking_models``, a request without ``think``
  thinks (v0.12.4 #12533): the reasoning streams in ``message.thinking`` before any content and
  shares ``num_predict`` with the answer (a small budget ends with ``done_reason: "length"`` and
  no content). ``think: false`` turns it off.
- ``version == (0, 12, 4)``: *any* ``think`` value for a model that cannot think is refused with
  400 ``{"error": "registry.ollama.ai/library/<model> does not support thinking"}`` (the capability
  check of ``scheduleRunner``); v0.12.5 (#12555) refuses only ``think: true``, quoting the name.
- ``version <= (0, 12, 3)``: a thinking model without ``think`` writes raw ``<think>…</think>``
  into ``content``; ``inline_think_always`` makes a model do so even when told ``think: false``
  (models whose template ignores it).
- Loading: the first request (or one after ``keep_alive`` ran out; the server's default is 5
  minutes) waits ``behaviour.load_s``; an empty ``messages`` list only loads the model and
  answers ``done_reason: "load"``. ``loads`` counts cold loads.

Run alone: ``python -m tests.standins.ollama_server --port 11435 --ttft 0.3 --tps 30``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import UTC, datetime

from tests.standins.llm_common import Behaviour, LlmStandin, StreamingHandler, serve_from_command_line

_ERRORS = {
    400: "invalid request",
    401: "unauthorized",
    403: "forbidden",
    404: "model '{model}' not found",
    429: "too many requests",
    500: "llama runner process has terminated: exit status 2",
    503: "server busy, please try again.  maximum pending requests exceeded",
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _registry_name(model: str) -> str:
    """model.ParseName(...).String(): "qwen2.5:0.5b" → "registry.ollama.ai/library/qwen2.5:0.5b"."""
    name = model if ":" in model.rsplit("/", 1)[-1] else model + ":latest"
    parts = name.split("/")
    if len(parts) == 1:
        parts = ["registry.ollama.ai", "library", *parts]
    elif len(parts) == 2:
        parts = ["registry.ollama.ai", *parts]
    return "/".join(parts)


def _keep_alive_s(value) -> float:
    """api.Duration: a number of seconds or a Go duration string; absent = the 5-minute default."""
    if value is None:
        return 300.0
    if isinstance(value, (int, float)):
        return float("inf") if value < 0 else float(value)
    units = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    parts = re.findall(r"(-?\d+(?:\.\d+)?)(ms|s|m|h)", value)
    if not parts:
        raise ValueError(f"time: missing unit in duration {value!r}")
    seconds = sum(float(n) * units[u] for n, u in parts)
    return float("inf") if seconds < 0 else seconds


class _OllamaHandler(StreamingHandler):
    def do_GET(self):
        self.recorded(None)
        st: OllamaStandin = self.standin  # type: ignore[assignment]
        if self.path == "/":
            data = b"Ollama is running"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif self.path == "/api/tags":
            models = [{"name": m, "model": m, "modified_at": "2025-11-13T13:17:45.487900903Z",
                       "size": 397821319, "digest": "a8b0c5157701" + "0" * 52,
                       "details": {"parent_model": "", "format": "gguf", "family": "qwen2",
                                   "families": ["qwen2"], "parameter_size": "494.03M",
                                   "quantization_level": "Q4_K_M"}}
                      for m in sorted(st.models or {"qwen2.5:0.5b"})]
            self.send_json(200, {"models": models})
        elif self.path == "/api/version":
            self.send_json(200, {"version": ".".join(map(str, st.version))})
        else:
            self.send_json(404, {"error": "404 page not found"}, "text/plain")

    def do_POST(self):
        body = self.read_json()
        req = self.recorded(body)
        st: OllamaStandin = self.standin  # type: ignore[assignment]
        if self.path != "/api/chat":
            return self.send_json(404, {"error": "404 page not found"}, "text/plain")
        if body is None:
            return self.send_json(400, {"error": "missing request body"},
                                  "application/json; charset=utf-8")
        model = body.get("model", "")
        failure = st.next_failure()
        if failure is None and st.models is not None and model not in st.models:
            failure = "404"
        if failure and failure.isdigit():
            status = int(failure)
            return self.send_json(status, {"error": _ERRORS.get(status, _ERRORS[500]).format(model=model)},
                                  "application/json; charset=utf-8")
        think = body.get("think")
        refused = st.refuses_think(model, think)
        if refused:
            return self.send_json(400, {"error": refused}, "application/json; charset=utf-8")
        try:
            st.load(model, body.get("keep_alive"))
        except ValueError as exc:
            return self.send_json(400, {"error": str(exc)}, "application/json; charset=utf-8")
        if not body.get("messages"):
            return self.send_json(200, {"model": model, "created_at": _now(),
                                        "message": {"role": "assistant", "content": ""},
                                        "done": True, "done_reason": "load"}, "application/json; charset=utf-8")
        if failure == "hang":
            self.start_chunked("application/x-ndjson")
            time.sleep(st.behaviour.hang_s)
            return
        self.stream_answer(req, model, st.next_answer(), failure, st.thinking_mode(model, think),
                           (body.get("options") or {}).get("num_predict"))

    def stream_answer(self, req, model: str, answer: str, failure: str | None, thinking: str | None = None,
                      num_predict: int | None = None) -> None:
        """``thinking``: None, "field" (message.thinking first) or "inline" (<think> in content)."""
        st = self.standin
        b = st.behaviour
        fields: list[tuple[str, str]] = []  # (message field, token)
        if thinking == "field":
            fields += [("thinking", t) for t in b.tokens(b.thinking_text)]
        elif thinking == "inline":
            fields += [("content", t) for t in b.tokens(f"<think>\n{b.thinking_text}\n</think>\n\n")]
        fields += [("content", t) for t in b.tokens(answer)]
        done_reason = "stop"
        if num_predict is not None and num_predict >= 0 and len(fields) > num_predict:
            fields, done_reason = fields[:num_predict], "length"  # reasoning and answer share the budget
        tokens = [t for _, t in fields]

        def line(obj: dict) -> bytes:
            return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

        self.start_chunked("application/x-ndjson")
        try:
            for i, (where, tok) in enumerate(fields):
                self.pace(req, i)
                if failure == "cut" and i == len(tokens) // 2:
                    return self.cut_connection(b'{"model":"' + model.encode())
                if failure == "malformed" and i == min(3, len(tokens) - 1):
                    self.chunk(b'{"model":"' + model.encode() + b'","message":{"role":\n')
                if failure == "stream_error" and i == min(3, len(tokens) - 1):
                    self.chunk(line({"error": "an error was encountered while running the model"}))
                    return self.end_chunked()
                message = {"role": "assistant", "content": tok if where == "content" else ""}
                if where == "thinking":
                    message["thinking"] = tok
                self.chunk(line({"model": model, "created_at": _now(), "message": message, "done": False}))
            elapsed = int((time.monotonic() - req.received_at) * 1e9)
            self.chunk(line({"model": model, "created_at": _now(),
                             "message": {"role": "assistant", "content": ""}, "done": True,
                             "done_reason": done_reason, "total_duration": elapsed,
                             "load_duration": 1_000_000, "prompt_eval_count": 17,
                             "prompt_eval_duration": 2_000_000, "eval_count": len(tokens),
                             "eval_duration": elapsed}))
            self.end_chunked()
            req.finished = True
        except (BrokenPipeError, ConnectionResetError):
            req.client_gone = True
            self.close_connection = True


class OllamaStandin(LlmStandin):
    handler_class = _OllamaHandler

    def __init__(self, behaviour: Behaviour | None = None, *, models: set[str] | None = None,
                 host: str = "127.0.0.1", port: int = 0, version: tuple[int, int, int] = (0, 12, 6),
                 thinking_models: set[str] = frozenset(), inline_think_always: bool = False):
        """``models``: if set, other model names get 404 and /api/tags lists these.
        ``thinking_models``: the models with the thinking capability. ``version``: which
        server's thinking behaviour to reproduce (see the module docstring)."""
        super().__init__(behaviour, host, port)
        self.models = models
        self.version = version
        self.thinking_models = set(thinking_models)
        self.inline_think_always = inline_think_always
        self.loads = 0  # cold loads
        self._loaded_until: dict[str, float] = {}
        self._load_lock = threading.Lock()

    def refuses_think(self, model: str, think) -> str | None:
        """The 400 error text the real server answers this ``think`` value with, or None."""
        if think is None or model in self.thinking_models:
            return None
        if self.version == (0, 12, 4) or (think is not False and self.version <= (0, 12, 3)):
            return f"{_registry_name(model)} does not support thinking"
        if think is not False:
            return f"{json.dumps(model)} does not support thinking"
        return None

    def thinking_mode(self, model: str, think) -> str | None:
        if model not in self.thinking_models:
            return None
        if self.version <= (0, 12, 3):
            if think is True:
                return "field"
            return "inline" if think is None or self.inline_think_always else None
        if think is None or think is True:
            return "field"
        return "inline" if self.inline_think_always else None

    def load(self, model: str, keep_alive) -> None:
        """Wait ``load_s`` unless the model is still loaded; then keep it for ``keep_alive``."""
        keep = _keep_alive_s(keep_alive)
        with self._load_lock:
            cold = self._loaded_until.get(model, 0.0) < time.monotonic()
            if cold:
                self.loads += 1
                time.sleep(self.behaviour.load_s)
            self._loaded_until[model] = time.monotonic() + keep

    def unload_all(self) -> None:
        """As if every model's keep_alive had run out."""
        with self._load_lock:
            self._loaded_until.clear()


def main() -> None:
    serve_from_command_line(OllamaStandin, "Ollama /api/chat stand-in", lambda st: st.url)


if __name__ == "__main__":
    main()
