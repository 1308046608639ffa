"""What the Ark and Ollama stand-ins share: a scripted behaviour, token pacing, request log,
and a threaded HTTP server on an ephemeral port with chunked streaming.

Behaviour per request: the next entry of ``failures`` (if any) is consumed first, so
``failures=["429"]`` means "429 once, then succeed". Answers come from ``answers`` in order,
then ``default_answer``. Tokens are ``chars_per_token`` characters each; the first is sent
``first_token_s`` after the request arrives, the next ones ``1/tokens_per_s`` apart.

Failure names: "401", "403", "404", "429", "500", "503" (an HTTP error before streaming),
"cut" (half the tokens, then the connection closes mid-chunk), "malformed" (a garbled line
after a few tokens), "stream_error" (the service's in-stream error object), "hang" (headers,
then silence for ``hang_s``).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Behaviour:
    default_answer: str = "这款是纯棉的。支持七天无理由退换！"
    answers: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    first_token_s: float = 0.0
    tokens_per_s: float = 0.0  # 0 = as fast as possible
    chars_per_token: int = 1
    hang_s: float = 5.0
    # what a reasoning model thinks before it answers (stand-ins that model thinking)
    thinking_text: str = "用户在问这件衣服的价格和材质。我先看看商品资料里写了什么，再用主播的口吻简短回答。"
    load_s: float = 0.0  # Ollama: how long loading the model takes (the first request, or a warm-up)

    def tokens(self, answer: str) -> list[str]:
        n = max(1, self.chars_per_token)
        return [answer[i:i + n] for i in range(0, len(answer), n)]


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict | None
    received_at: float
    first_token_at: float | None = None
    finished: bool = False  # the whole answer was sent
    client_gone: bool = False  # the client closed the connection before the end


class LlmStandin:
    """Base server. Subclasses implement ``handle_post``/``handle_get`` on the handler."""

    handler_class: type[BaseHTTPRequestHandler]

    def __init__(self, behaviour: Behaviour | None = None, host: str = "127.0.0.1", port: int = 0):
        self.behaviour = behaviour or Behaviour()
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        standin = self

        class Handler(self.handler_class):
            pass

        Handler.standin = standin
        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        # a short poll interval keeps stop() (server.shutdown) fast in tests
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,),
                                        name=type(self).__name__, daemon=True)

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- scripting -------------------------------------------------------------------------

    def next_failure(self) -> str | None:
        with self._lock:
            return self.behaviour.failures.pop(0) if self.behaviour.failures else None

    def next_answer(self) -> str:
        with self._lock:
            return self.behaviour.answers.pop(0) if self.behaviour.answers else self.behaviour.default_answer

    def record(self, req: RecordedRequest) -> RecordedRequest:
        with self._lock:
            self.requests.append(req)
        return req

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST"]


class StreamingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked bodies, like the real services
    standin: LlmStandin

    def log_message(self, format, *args):  # keep test output clean
        pass

    def handle(self):
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):
            pass  # the client hung up (cancel, timeout): normal for a streaming server

    def read_json(self) -> dict | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return None

    def recorded(self, body: dict | None) -> RecordedRequest:
        return self.standin.record(RecordedRequest(
            method=self.command, path=self.path, headers={k: v for k, v in self.headers.items()},
            body=body, received_at=time.monotonic()))

    def send_json(self, status: int, payload: dict, content_type: str = "application/json") -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_chunked(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.flush()

    def chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def cut_connection(self, partial: bytes = b"") -> None:
        """Announce a chunk, send only part of it, and drop the connection."""
        self.wfile.write(f"{len(partial) + 64:x}\r\n".encode() + partial)
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def pace(self, req: RecordedRequest, index: int) -> None:
        """Sleep until token ``index`` (0-based) is due."""
        b = self.standin.behaviour
        due = req.received_at + b.first_token_s + (index / b.tokens_per_s if b.tokens_per_s else 0.0)
        left = due - time.monotonic()
        if left > 0:
            time.sleep(left)
        if index == 0:
            req.first_token_at = time.monotonic()


def serve_from_command_line(standin_class: type[LlmStandin], description: str, address) -> None:
    """``python -m tests.standins.<name> [--port P] [--ttft S] [--tps N] [--answer TEXT]``:
    run a stand-in until Ctrl-C. ``address(standin)`` is the url printed for the client."""
    import argparse
    import time

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ttft", type=float, default=0.3, help="seconds to the first token")
    ap.add_argument("--tps", type=float, default=30.0, help="tokens per second")
    ap.add_argument("--answer", default=Behaviour().default_answer)
    args = ap.parse_args()
    standin = standin_class(Behaviour(default_answer=args.answer, first_token_s=args.ttft,
                                      tokens_per_s=args.tps), port=args.port).start()
    print(f"{description} at {address(standin)}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        standin.stop()
