"""An Ollama stand-in: ``POST /api/chat`` streaming NDJSON (one object per line, no blank
lines, final ``done: true`` line with metrics), ``GET /api/tags``, ``GET /`` — as protocols.md
§4 shows, including errors (``{"error": "..."}`` with a status before streaming, an error line
inside a 200 stream). Driven by the real ``ollama.Client(host=standin.url)``.

(Named ``ollama_server`` so it never shadows the ``ollama`` package.)

Run alone: ``python -m tests.standins.ollama_server --port 11435 --ttft 0.3 --tps 30``.
"""

from __future__ import annotations

import json
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
            self.send_json(200, {"version": "0.12.6"})
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
        if failure == "hang":
            self.start_chunked("application/x-ndjson")
            time.sleep(st.behaviour.hang_s)
            return
        self.stream_answer(req, model, st.next_answer(), failure)

    def stream_answer(self, req, model: str, answer: str, failure: str | None) -> None:
        st = self.standin
        tokens = st.behaviour.tokens(answer)

        def line(obj: dict) -> bytes:
            return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

        self.start_chunked("application/x-ndjson")
        try:
            for i, tok in enumerate(tokens):
                self.pace(req, i)
                if failure == "cut" and i == len(tokens) // 2:
                    return self.cut_connection(b'{"model":"' + model.encode())
                if failure == "malformed" and i == min(3, len(tokens) - 1):
                    self.chunk(b'{"model":"' + model.encode() + b'","message":{"role":\n')
                if failure == "stream_error" and i == min(3, len(tokens) - 1):
                    self.chunk(line({"error": "an error was encountered while running the model"}))
                    return self.end_chunked()
                self.chunk(line({"model": model, "created_at": _now(),
                                 "message": {"role": "assistant", "content": tok}, "done": False}))
            elapsed = int((time.monotonic() - req.received_at) * 1e9)
            self.chunk(line({"model": model, "created_at": _now(),
                             "message": {"role": "assistant", "content": ""}, "done": True,
                             "done_reason": "stop", "total_duration": elapsed,
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
                 host: str = "127.0.0.1", port: int = 0):
        """``models``: if set, other model names get 404 and /api/tags lists these."""
        super().__init__(behaviour, host, port)
        self.models = models


def main() -> None:
    serve_from_command_line(OllamaStandin, "Ollama /api/chat stand-in", lambda st: st.url)


if __name__ == "__main__":
    main()
