"""A Volcengine Ark stand-in: ``POST /api/v3/chat/completions`` with OpenAI-style SSE exactly
as protocols.md §3 shows (``data: <json>\\n\\n`` events, ``data: [DONE]``, error bodies
``{"error": {code, message, param, type}}``). Driven by the real ``volcenginesdkarkruntime.Ark``
client with ``base_url=standin.base_url``.

    with ArkStandin(Behaviour(first_token_s=0.3, tokens_per_s=30), api_key="k") as ark:
        Ark(base_url=ark.base_url, api_key="k") ...

Reasoning models (protocols §7.13): a model in ``thinking_models`` thinks unless the request
says ``thinking: {"type": "disabled"}``: its reasoning streams as ``delta.reasoning_content``
(paced like tokens) before the first content token. A model in ``thinking_only_models`` refuses
``disabled`` with 400 ``InvalidParameter`` "The current model does not support disabling
thinking" (as Ark answers for models that can only think).

Run alone: ``python -m tests.standins.ark --port 8765 --ttft 0.3 --tps 30``.
"""

from __future__ import annotations

import json
import random
import string
import time

from tests.standins.llm_common import Behaviour, LlmStandin, StreamingHandler, serve_from_command_line

_ERRORS = {  # documented codes (protocols §3.4)
    400: ("BadRequest", "InvalidParameter", "A parameter specified in the request is not valid"),
    401: ("Unauthorized", "AuthenticationError",
          "The API key or AK/SK in the request is missing or invalid"),
    403: ("Forbidden", "AccessDenied", "You do not have access to the requested resource"),
    404: ("NotFound", "InvalidEndpointOrModel.NotFound",
          "The model or endpoint {model} does not exist or you do not have access to it"),
    429: ("TooManyRequests", "RateLimitExceeded.EndpointRPMExceeded",
          "The Requests Per Minute (RPM) limit of the associated endpoint for your account has "
          "been exceeded"),
    500: ("InternalServiceError", "InternalServiceError", "The service encountered an unexpected internal error"),
    503: ("ServiceUnavailable", "ServerOverloaded", "The service is temporarily overloaded"),
}


def _request_id() -> str:
    return "0217" + "".join(random.choices(string.hexdigits.lower(), k=49))


class _ArkHandler(StreamingHandler):
    def do_POST(self):
        body = self.read_json()
        req = self.recorded(body)
        st: ArkStandin = self.standin  # type: ignore[assignment]
        if self.path.rstrip("/") != "/api/v3/chat/completions":
            return self.send_json(404, {"error": {"code": "NotFound", "message": f"no route {self.path}",
                                                  "param": "", "type": "NotFound"}})
        model = (body or {}).get("model", "")
        failure = st.next_failure()
        if failure is None and st.api_key is not None and \
                self.headers.get("Authorization") != f"Bearer {st.api_key}":
            failure = "401"
        if failure is None and st.models is not None and model not in st.models:
            failure = "404"
        if failure and failure.isdigit():
            return self.error(int(failure), model)
        thinking = ((body or {}).get("thinking") or {}).get("type")
        if thinking == "disabled" and model in st.thinking_only_models:
            return self.error(400, model, "The current model does not support disabling thinking")
        if failure == "hang":
            self.start_chunked("text/event-stream")
            time.sleep(st.behaviour.hang_s)
            return
        thinks = model in (st.thinking_models | st.thinking_only_models) and thinking != "disabled"
        self.stream_answer(req, model, st.next_answer(), failure, thinks)

    def error(self, status: int, model: str, message: str | None = None) -> None:
        etype, code, default = _ERRORS.get(status, _ERRORS[500])
        message = message or default
        self.send_json(status, {"error": {"code": code, "message": message.format(model=model)
                                          + f" Request id: {_request_id()}", "param": "", "type": etype}})

    def stream_answer(self, req, model: str, answer: str, failure: str | None, thinks: bool = False) -> None:
        st = self.standin
        reasoning = st.behaviour.tokens(st.behaviour.thinking_text) if thinks else []
        tokens = st.behaviour.tokens(answer)
        rid, created = _request_id(), int(time.time())

        def event(content: str, finish: str | None = None, reasoning: str | None = None) -> bytes:
            delta = {"content": content, "role": "assistant"}
            if reasoning is not None:
                delta["reasoning_content"] = reasoning
            choice = {"delta": delta, "index": 0}
            if finish:
                choice["finish_reason"] = finish
            payload = {"choices": [choice], "created": created, "id": rid, "model": model,
                       "service_tier": "default", "object": "chat.completion.chunk", "usage": None}
            return b"data: " + json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"

        self.start_chunked("text/event-stream")
        try:
            for i, tok in enumerate(reasoning):
                self.pace(req, i)
                self.chunk(event("", reasoning=tok))
            for i, tok in enumerate(tokens, len(reasoning)):
                self.pace(req, i)
                if failure == "cut" and i == len(tokens) // 2:
                    return self.cut_connection(b"data: {\"choices\":[{\"delta\":{\"content\":\"")
                if failure == "malformed" and i == min(3, len(tokens) - 1):
                    self.chunk(b"data: {\"choices\":[{\"delta\":{\"content\":\n\n")
                if failure == "stream_error" and i == min(3, len(tokens) - 1):
                    err = {"error": {"code": "InternalServiceError", "message": "boom",
                                     "param": "", "type": "InternalServiceError"}}
                    self.chunk(b"data: " + json.dumps(err).encode() + b"\n\n")
                    self.chunk(b"data: [DONE]\n\n")
                    return self.end_chunked()
                self.chunk(event(tok))
            self.chunk(event("", "stop"))
            self.chunk(b"data: [DONE]\n\n")
            self.end_chunked()
            req.finished = True
        except (BrokenPipeError, ConnectionResetError):
            req.client_gone = True
            self.close_connection = True


class ArkStandin(LlmStandin):
    handler_class = _ArkHandler

    def __init__(self, behaviour: Behaviour | None = None, *, api_key: str | None = None,
                 models: set[str] | None = None, host: str = "127.0.0.1", port: int = 0,
                 thinking_models: set[str] = frozenset(), thinking_only_models: set[str] = frozenset()):
        """``api_key``: if set, any other Bearer key gets 401. ``models``: if set, other model
        or endpoint ids get 404. ``thinking_models`` think unless told ``disabled``;
        ``thinking_only_models`` refuse ``disabled``."""
        super().__init__(behaviour, host, port)
        self.api_key = api_key
        self.models = models
        self.thinking_models = set(thinking_models)
        self.thinking_only_models = set(thinking_only_models)

    @property
    def base_url(self) -> str:
        return f"{self.url}/api/v3"


def main() -> None:
    serve_from_command_line(ArkStandin, "Ark chat-completions stand-in", lambda st: st.base_url)


if __name__ == "__main__":
    main()
