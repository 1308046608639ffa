"""Stand-in GPT-SoVITS server: the wire protocol of ``api_v2.py`` (and ``api.py`` v1) from
protocols.md §2, speaking real Mandarin through espeak-ng resampled to 32 kHz.

Faults are set per model — keyed by the loaded SoVITS weights path, the GPT weights path or the
reference audio path of a request, or ``"*"`` for all — and reproduce how the real server fails:

    zeros      200 + 1 s of 16 kHz zeros (the real internal-failure answer)
    silence    200 + a few seconds of near-silent hiss
    noise      200 + white noise as long as speech would be
    buzz       200 + a steady 120 Hz buzz
    swallow    200 + speech of only the first quarter of the text
    error400   400 {"message":"tts failed","Exception":"..."}
    error500   500 text/plain "Internal Server Error"
    hang       this request never answers (until ``hang_s`` or stop); the server goes on serving
               others (a request lost inside the server)
    freeze     the whole server stops answering anything for ``hang_s`` (inference stuck on the
               event loop of a real api_v2: even a 404 waits)
    truncated  Content-Length of the whole WAV, half the bytes, connection closed
    short_wav  a WAV whose data chunk claims more bytes than were sent
    not_audio  200 with an HTML body

Like the real ``api_v2.py`` the stand-in serves one request at a time (``serialize``, default on):
inference runs inline on its event loop, so a second request queues, and with a short time-out
it fails while the first still computes (protocols §7.7). ``max_inflight`` counts how many
requests were at the server at once (queued included); ``max_serving`` how many it served at once.

Loaded weights are process-global server state: ``restart()`` forgets them (as a crash, a
restart or ``/control?command=restart`` does, protocols §7.6) and the server speaks its default
voice. Which weights spoke each text is in ``served`` (and in an ``x-standin-weights`` header the
client ignores): tests only.

``api.py`` (``api="v1"``) edge cases (protocols §7.8): a request with an empty reference field
is spoken in the preset voice when the server was started with one (``v1_preset``), else 400;
a reference path the server does not know (``known_refs``) breaks off after the 200 header;
``v1_media="ogg"`` answers Ogg as ``-sm normal`` does; ``/set_model`` needs both paths.

In-process: ``srv = StandinServer(port=0).start(); srv.url; srv.stop()``.
Command line: ``python -m tests.standins.gptsovits --port 9880 [--api v1] [--fault KEY=MODE]``.
"""

from __future__ import annotations

import argparse
import io
import json
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import soxr

from app.tts import espeak

FAULT_MODES = ("zeros", "silence", "noise", "buzz", "swallow", "error400", "error500", "hang", "freeze",
               "truncated", "short_wav", "not_audio")
DEFAULT_GPT = "GPT_weights/default.ckpt"
DEFAULT_SOVITS = "SoVITS_weights/default.pth"
RATE = 32000
V2_LANGS = {"auto", "auto_yue", "en", "zh", "ja", "yue", "ko", "all_zh", "all_ja", "all_yue", "all_ko"}
MEDIA_TYPES = {"wav", "raw", "ogg", "aac"}
SPLIT_METHODS = {f"cut{i}" for i in range(6)}


def wav_bytes(pcm: np.ndarray, rate: int, nframes_override: int | None = None) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())
    return buf.getvalue()


def speech(text: str, speed: float = 1.0) -> np.ndarray:
    """int16 Mandarin speech at 32 kHz, with 0.3 s of silence after it as api_v2's
    fragment_interval adds."""
    audio, rate = espeak.synthesize(text, rate_wpm=int(175 * speed))
    x = soxr.resample(audio.astype(np.float32) / 32768.0, rate, RATE)
    x = np.concatenate([np.zeros(int(0.05 * RATE), np.float32), x, np.zeros(int(0.3 * RATE), np.float32)])
    return (np.clip(x, -1, 1) * 32767).astype(np.int16)


class StandinServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, api: str = "v2", latency_s: float = 0.0,
                 rtf: float = 0.0, faults: dict[str, str] | None = None, hang_s: float = 60.0,
                 known_weights: set[str] | None = None, serialize: bool = True, known_refs: set[str] | None = None,
                 v1_preset: bool = True, v1_media: str = "wav"):
        if api not in ("v2", "v1"):
            raise ValueError(f"api must be v2 or v1, got {api!r}")
        for key, mode in (faults or {}).items():
            if mode not in FAULT_MODES:
                raise ValueError(f"fault for {key!r}: unknown mode {mode!r}; choose from {FAULT_MODES}")
        self.api = api
        self.latency_s = latency_s
        self.rtf = rtf
        self.faults = dict(faults or {})
        self.hang_s = hang_s
        self.known_weights = known_weights  # None: any path loads
        self.known_refs = known_refs  # None: any reference path exists
        self.serialize = serialize
        self.v1_preset = v1_preset
        self.v1_media = v1_media
        self.gpt_weights = DEFAULT_GPT
        self.sovits_weights = DEFAULT_SOVITS
        self.v1_refer: dict | None = None
        self._lock = threading.Lock()
        self._serial = threading.Lock()  # api_v2: one request at a time
        self.inflight = 0  # /tts requests at the server (queued included)
        self.max_inflight = 0
        self.serving = 0
        self.max_serving = 0
        self.tts_requests = 0
        self.switches = 0
        self.restarts = 0
        self.liveness_answers = 0
        self.requests_by_model: dict[str, int] = {}
        self.served: list[tuple[str, str]] = []  # (text, sovits weights or "preset") per answered synthesis
        self._conns: set = set()  # open client sockets: a restart closes them all
        self._stopping = threading.Event()
        self._host = host
        self._thread: threading.Thread | None = None
        self.httpd = self._bind(port)

    def _bind(self, port: int) -> ThreadingHTTPServer:
        handler = type("Handler", (_Handler,), {"standin": self})
        httpd = _QuietServer((self._host, port), handler)
        httpd.daemon_threads = True
        return httpd

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StandinServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"gptsovits-standin-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def restart(self, down_s: float = 0.0) -> None:
        """The server process restarts: down for ``down_s`` (connections refused), then up on
        the same port with its default weights and no reference preset (protocols §7.6)."""
        port = self.port
        self.httpd.shutdown()
        self.httpd.server_close()
        self.drop_connections()
        with self._lock:
            self.gpt_weights, self.sovits_weights = DEFAULT_GPT, DEFAULT_SOVITS
            self.v1_refer = None
            self.restarts += 1
        if down_s:
            time.sleep(down_s)
        self.httpd = self._bind(port)
        self.start()

    def drop_connections(self) -> None:
        """The process is gone: every kept-alive connection closes."""
        import socket

        with self._lock:
            conns, self._conns = list(self._conns), set()
        for sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def forget_weights(self) -> None:
        """Another client (or /control?command=restart) left the default weights loaded."""
        with self._lock:
            self.gpt_weights, self.sovits_weights = DEFAULT_GPT, DEFAULT_SOVITS
    def set_fault(self, key: str, mode: str | None) -> None:
        if mode is not None and mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}")
        with self._lock:
            if mode is None:
                self.faults.pop(key, None)
            else:
                self.faults[key] = mode

    def voices_served(self) -> list[str]:
        with self._lock:
            return [w for _, w in self.served]

    def fault_for(self, ref: str, text: str = "") -> str | None:
        """The fault for this request: by loaded weights, reference path, ``text:SUBSTRING``
        of the text, or ``*``."""
        with self._lock:
            for key in (self.sovits_weights, self.gpt_weights, ref):
                if key in self.faults:
                    return self.faults[key]
            for key, mode in self.faults.items():
                if key.startswith("text:") and key[5:] in text:
                    return mode
            return self.faults.get("*")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up: expected
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    standin: StandinServer
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's session pooling is exercised

    def log_message(self, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        with self.standin._lock:
            self.standin._conns.add(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            with self.standin._lock:
                self.standin._conns.discard(self.connection)

    # ---- plumbing --------------------------------------------------------------------------

    def _params(self, method: str) -> dict | None:
        url = urlsplit(self.path)
        if method == "GET":
            return {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            self._json(422, {"detail": [{"type": "json_invalid", "loc": ["body", 0], "msg": "JSON decode error"}]})
            return None
        if not isinstance(data, dict):
            self._json(422, {"detail": [{"type": "model_attributes_type", "loc": ["body"],
                                         "msg": "Input should be a valid dictionary"}]})
            return None
        return data

    def _send(self, status: int, ctype: str, body: bytes, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        if getattr(self, "_voice_header", None):  # for tests only; the client never reads it
            self.send_header("x-standin-weights", self._voice_header)
            self._voice_header = None
        self.send_header("content-length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: dict) -> None:
        self._send(status, "application/json", json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode())

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def _route(self, method: str) -> None:
        s = self.standin
        tts = urlsplit(self.path).path == ("/tts" if s.api == "v2" else "/")
        if tts:
            with s._lock:
                s.inflight += 1
                s.max_inflight = max(s.max_inflight, s.inflight)
        self._serial_held = False
        try:
            if s.serialize:
                s._serial.acquire()
                self._serial_held = True
            with s._lock:
                s.serving += 1
                s.max_serving = max(s.max_serving, s.serving)
            try:
                self._dispatch(method)
            finally:
                with s._lock:
                    s.serving -= 1
        finally:
            self.unserialise()
            if tts:
                with s._lock:
                    s.inflight -= 1

    def unserialise(self) -> None:
        if self._serial_held:
            self._serial_held = False
            self.standin._serial.release()

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        s = self.standin
        if s.api == "v2":
            routes = {"/tts": self._tts_v2, "/set_gpt_weights": self._set_gpt, "/set_sovits_weights": self._set_sovits,
                      "/set_refer_audio": self._set_refer, "/control": self._control}
            get_only = {"/set_gpt_weights", "/set_sovits_weights", "/set_refer_audio", "/control"}
        else:
            routes = {"/": self._tts_v1, "/set_model": self._set_model_v1, "/change_refer": self._change_refer_v1,
                      "/control": self._control}
            get_only = set()
        if path not in routes:
            if method == "POST" and self.headers.get("Content-Length"):
                self.rfile.read(int(self.headers["Content-Length"]))
            with s._lock:
                s.liveness_answers += 1
            return self._json(404, {"detail": "Not Found"})
        if method == "POST" and path in get_only:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            return self._json(405, {"detail": "Method Not Allowed"})
        params = self._params(method)
        if params is not None:
            routes[path](method, params)

    # ---- weights ---------------------------------------------------------------------------

    def _load(self, path: str | None, kind: str) -> bool:
        s = self.standin
        if not path:
            self._json(400, {"message": f"{kind} weight path is required"})
            return False
        if s.known_weights is not None and path not in s.known_weights:
            self._json(400, {"message": f"change {kind} weight failed", "Exception": path})
            return False
        with s._lock:
            if kind == "gpt":
                s.gpt_weights = path
            else:
                s.sovits_weights = path
            s.switches += 1
        return True

    def _set_gpt(self, method, p):
        if self._load(p.get("weights_path"), "gpt"):
            self._json(200, {"message": "success"})

    def _set_sovits(self, method, p):
        if self._load(p.get("weights_path"), "sovits"):
            self._json(200, {"message": "success"})

    def _set_refer(self, method, p):
        self._json(200, {"message": "success"})

    def _control(self, method, p):
        if not p.get("command"):
            return self._json(400, {"message": "command is required"})
        if p["command"] == "restart":  # the real one re-execs: no answer, the defaults loaded again
            self.standin.forget_weights()
            self.close_connection = True
            self.standin.drop_connections()
            return
        self._json(200, {"message": "ignored by the stand-in"})

    def _set_model_v1(self, method, p):
        s = self.standin
        gpt, sovits = p.get("gpt_model_path"), p.get("sovits_model_path")
        if not gpt or not sovits:  # api.py loads both; an empty path fails inside the load
            missing = "gpt_model_path" if not gpt else "sovits_model_path"
            return self._json(400, {"code": 400, "message": f"{missing} is empty: [Errno 2] No such file or directory: ''"})
        for path in (gpt, sovits):
            if s.known_weights is not None and path not in s.known_weights:
                return self._json(400, {"code": 400, "message": f"{path} not found"})
        with s._lock:
            s.gpt_weights, s.sovits_weights = gpt, sovits
            s.switches += 1
        self._json(200, {"code": 0, "message": "Success"})

    def _change_refer_v1(self, method, p):
        if not all(p.get(k) for k in ("refer_wav_path", "prompt_text", "prompt_language")):
            return self._json(400, {"code": 400, "message": '缺少任意一项以下参数: "path", "text", "language"'})
        self.standin.v1_refer = dict(p)
        self._json(200, {"code": 0, "message": "Success"})

    # ---- synthesis -------------------------------------------------------------------------

    def _tts_v2(self, method: str, p: dict) -> None:
        if method == "GET":
            if p.get("text_lang") is None or p.get("prompt_lang") is None:  # real: None.lower() → 500
                return self._send(500, "text/plain; charset=utf-8", b"Internal Server Error")
            p["text_lang"], p["prompt_lang"] = p["text_lang"].lower(), p["prompt_lang"].lower()
        for key in ("text", "text_lang", "ref_audio_path", "prompt_lang"):
            if not p.get(key):
                return self._json(400, {"message": f"{key} is required"})
        for key in ("text_lang", "prompt_lang"):
            if p[key] not in V2_LANGS:
                return self._json(400, {"message": f"{key}: {p[key]} is not supported in version v2"})
        media = p.get("media_type", "wav")
        if media not in MEDIA_TYPES:
            return self._json(400, {"message": f"media_type: {media} is not supported"})
        split = p.get("text_split_method", "cut5")
        if split not in SPLIT_METHODS:
            return self._json(400, {"message": f"text_split_method:{split} is not supported"})
        mode = p.get("streaming_mode", False)
        if isinstance(mode, str):
            mode = {"true": 1, "false": 0}.get(mode.lower(), int(mode) if mode.isdigit() else -1)
        if mode not in (0, 1, 2, 3, True, False):
            return self._json(400, {"message": "the value of streaming_mode must be 0, 1, 2, 3(int) or true/false(bool)"})
        if media != "wav" and media != "raw":
            return self._json(400, {"message": f"media_type: {media} is not supported by the stand-in"})
        self._synthesize(p["text"], p["ref_audio_path"], float(p.get("speed_factor", 1.0)), media,
                         streaming=bool(mode))

    def _tts_v1(self, method: str, p: dict) -> None:
        s = self.standin
        fields = ("refer_wav_path", "prompt_text", "prompt_language")
        if all(p.get(k) for k in fields):
            ref = p["refer_wav_path"]
        elif s.v1_refer or s.v1_preset:  # any field empty: the preset (-dr/-dt/-dl) speaks, silently
            ref = "preset"
        else:
            return self._json(400, {"code": 400, "message": "未指定参考音频且接口无预设"})
        if not p.get("text"):
            return self._json(400, {"code": 400, "message": "text is required"})
        if s.known_refs is not None and ref != "preset" and ref not in s.known_refs:
            return self._broken_after_header()
        if s.v1_media != "wav":  # started with -sm normal: Ogg per segment
            with s._lock:
                s.tts_requests += 1
            return self._send(200, f"audio/{s.v1_media}", b"OggS\x00\x02" + bytes(200))
        self._synthesize(p["text"], ref, float(p.get("speed", 1.0)), "wav", streaming=False)

    def _broken_after_header(self) -> None:
        """api.py fails inside the generator after the 200 header: a chunked body cut off."""
        with self.standin._lock:
            self.standin.tts_requests += 1
        self.send_response(200)
        self.send_header("content-type", "audio/wav")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        part = wav_bytes(np.zeros(0, np.int16), RATE)
        self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        self.wfile.flush()
        self.close_connection = True

    def _synthesize(self, text: str, ref: str, speed: float, media: str, *, streaming: bool) -> None:
        s = self.standin
        with s._lock:
            s.tts_requests += 1
            s.requests_by_model[s.sovits_weights] = s.requests_by_model.get(s.sovits_weights, 0) + 1
            voice = "preset" if ref == "preset" else s.sovits_weights
        fault = s.fault_for(ref, text)
        self._answer(text, ref, speed, media, streaming, fault)
        if fault not in ("hang", "freeze") and not s._stopping.is_set():
            with s._lock:
                s.served.append((text, voice))

    def _answer(self, text, ref, speed, media, streaming, fault) -> None:
        s = self.standin
        if fault == "hang":  # lost inside the server: others are served meanwhile
            self.unserialise()
            s._stopping.wait(s.hang_s)
            self.close_connection = True
            return
        if fault == "freeze":  # the whole server is stuck
            s._stopping.wait(s.hang_s)
            self.close_connection = True
            return
        if fault == "error400":
            time.sleep(s.latency_s)
            return self._json(400, {"message": "tts failed", "Exception": f"{ref} not exists"})
        if fault == "error500":
            time.sleep(s.latency_s)
            return self._send(500, "text/plain; charset=utf-8", b"Internal Server Error")
        if fault == "zeros":  # TTS.run yields 1 s of 16 kHz silence, then the API returns it
            time.sleep(s.latency_s)
            return self._send(200, "audio/wav", wav_bytes(np.zeros(16000, np.int16), 16000))
        if fault == "not_audio":
            time.sleep(s.latency_s)
            return self._send(200, "audio/wav", b"<html><body>502 Bad Gateway</body></html>")
        rng = np.random.default_rng()
        expected = max(1.0, len(text) / 4.0)
        if fault == "silence":
            pcm = (rng.normal(0, 10, int(expected * RATE))).astype(np.int16)
        elif fault == "noise":
            pcm = np.clip(rng.normal(0, 6000, int(expected * RATE)), -32768, 32767).astype(np.int16)
        elif fault == "buzz":
            t = np.arange(int(expected * RATE)) / RATE
            pcm = (9000 * (((t * 120) % 1.0) - 0.5)).astype(np.int16)
        elif fault == "swallow":
            pcm = speech(text[:max(1, len(text) // 4)], speed)
        else:
            pcm = speech(text, speed)
        time.sleep(s.latency_s + s.rtf * len(pcm) / RATE)
        if s._stopping.is_set():
            return
        if streaming:
            return self._stream(pcm, media, cut=fault in ("truncated", "short_wav"))
        body = wav_bytes(pcm, RATE) if media == "wav" else pcm.astype("<i2").tobytes()
        self._voice_header = f"{s.gpt_weights}|{s.sovits_weights}"
        if fault == "truncated":
            self._send(200, f"audio/{media}", body[:len(body) // 2], length=len(body))
            self.close_connection = True
            return
        if fault == "short_wav":
            body = body[:44 + (len(body) - 44) // 3]
        self._send(200, f"audio/{media}", body)

    def _stream(self, pcm: np.ndarray, media: str, cut: bool) -> None:
        self.send_response(200)
        self.send_header("content-type", f"audio/{media}")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        parts = []
        if media == "wav":
            parts.append(wav_bytes(np.zeros(0, np.int16), RATE))  # 44-byte header, 0 frames
        raw = pcm.astype("<i2").tobytes()
        parts += [raw[i:i + 6400] for i in range(0, len(raw), 6400)]
        if cut:
            parts = parts[:max(2, len(parts) // 2)]
        for part in parts:
            self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        if cut:  # the generator raised mid-stream: no terminating chunk, connection dropped
            self.close_connection = True
            return
        self.wfile.write(b"0\r\n\r\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.standins.gptsovits", description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9880)
    ap.add_argument("--api", choices=("v2", "v1"), default="v2")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds added to every synthesis")
    ap.add_argument("--rtf", type=float, default=0.0, help="seconds of delay per second of audio")
    ap.add_argument("--fault", action="append", default=[], metavar="KEY=MODE",
                    help=f"fault for a model (weights or ref path, or *); modes: {', '.join(FAULT_MODES)}")
    args = ap.parse_args(argv)
    faults = {}
    for item in args.fault:
        key, sep, mode = item.rpartition("=")
        if not sep or mode not in FAULT_MODES:
            ap.error(f"--fault {item!r}: expected KEY=MODE with MODE one of {', '.join(FAULT_MODES)}")
        faults[key] = mode
    srv = StandinServer(args.host, args.port, api=args.api, latency_s=args.latency, rtf=args.rtf, faults=faults)
    print(f"GPT-SoVITS stand-in ({args.api}) on http://{args.host}:{srv.port}", flush=True)
    try:
        srv.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
