"""HTTP client for GPT-SoVITS: ``api_v2.py`` (``/tts``) and the legacy ``api.py`` (``/``).

Wire details are in protocols.md §2. Every failure becomes a ``SynthesisError`` whose ``kind``
tells the pool whom to blame: the server (unreachable, 5xx, the wrong API) or the voice model on
it (400 "tts failed", a bad audio body, a cut body, a failed weight switch). A time-out is judged
by the pool, which asks the server whether it still answers (a hung voice vs a hung server).

The weights a server has loaded are process-global state it forgets on a restart and another
client may change (protocols §7.6), so the client forgets what it believes is loaded after any
connection failure, time-out or cut body, when the pool benches or probes the server, when the
server gate says another client used the server since, and optionally every N seconds: the next
synthesis sends the weights again.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from app.media.wav import Wav, WavError, describe_body, parse
from app.tts.serverlock import GateBusy, ServerGate
from app.tts.settings import ServerSpec, VoiceModel

DEFAULT_LOCKS = object()  # the operator's data/cache/locks
SERVER_FAULTS = frozenset({"connect", "timeout", "server_error", "wrong_api"})
FORGET_AFTER = frozenset({"connect", "timeout", "cut", "server_error"})

#: what each kind means for an operator (Chinese first: it is shown in the GUI and the report)
KIND_TEXT = {
    "connect": "连接不上（服务器没开或地址错）",
    "timeout": "超时无响应",
    "hang": "卡住不返回（服务器还能回应别的请求）",
    "server_error": "服务器内部错误（HTTP 5xx）",
    "wrong_api": "接口版本不对（[tts] api_version）",
    "cut": "返回的音频被截断",
    "rejected": "服务器拒绝了请求（HTTP 4xx）",
    "bad_audio": "返回的不是可用的 WAV 音频",
    "switch": "切换模型失败",
    "busy": "服务器正被其他程序占用",
    "checked": "音频未通过质量检查",
}


class SynthesisError(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        # connect | timeout | server_error | wrong_api | cut | rejected | bad_audio | switch | busy
        self.kind = kind

    @property
    def server_fault(self) -> bool:
        return self.kind in SERVER_FAULTS


@dataclass(frozen=True)
class SynthResult:
    wav: Wav
    bytes: int


def _error_text(resp: requests.Response) -> str:
    body = resp.content[:300]
    try:
        data = json.loads(body)
        if isinstance(data, dict):
            msg = data.get("message") or data.get("detail")
            exc = data.get("Exception")
            return f"{msg}" + (f": {exc}" if exc else "")
    except ValueError:
        pass
    return body.decode("utf-8", "replace").strip() or resp.reason


class GptSovitsClient:
    """One server. Thread-safe; keeps a pooled ``requests.Session`` and remembers which weights
    the server has loaded so a switch is only sent when a request needs other weights."""

    def __init__(self, spec: ServerSpec, *, connect_timeout_s: float = 3.0, read_timeout_s: float = 30.0,
                 session: requests.Session | None = None, lock_dir: Path | str | None | object = DEFAULT_LOCKS,
                 lock_wait_s: float = 30.0, reassert_s: float = 0.0):
        """``lock_dir``: folder of the cross-process server locks; by default the operator's
        ``data/cache/locks`` (so the self-test and every other direct user wait for the live
        room's request instead of competing with it); None = no cross-process lock."""
        self.spec = spec
        if lock_dir is DEFAULT_LOCKS:
            from app import paths

            lock_dir = paths.data_dir() / "cache" / "locks"
        self.gate = ServerGate(spec.url, lock_dir, slots=spec.per_server_concurrency)
        self.lock_wait_s = lock_wait_s
        self.reassert_s = reassert_s
        self.base = spec.url.rstrip("/")
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.session = session or requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=max(2, spec.per_server_concurrency * 2),
                                                max_retries=0)
        adapter.poolmanager.pool_classes_by_scheme = _counting_pools(self._connected)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._switch_lock = threading.Lock()
        self.loaded: tuple[str | None, str | None] = (None, None)  # (gpt, sovits) we set last
        self._asserted_at = 0.0
        self._epoch = 0
        self._had_connection = False
        self._connects = 0
        self.last_used = 0.0
        self.switches = 0

    def close(self) -> None:
        self.session.close()

    def forget_weights(self) -> None:
        """What the server has loaded is unknown now: send the weights before the next synthesis.
        Lock-free (callers may hold the route table's lock while a switch request hangs); the
        epoch stops a switch that is in flight from recording its weights afterwards."""
        self._epoch += 1
        self.loaded = (None, None)

    # ---- the cross-process gate ------------------------------------------------------------

    def enter(self, wait_s: float | None = None, cancelled=lambda: False):
        """Hold this server's gate (see serverlock); raises SynthesisError("busy")."""
        try:
            held = self.gate.enter(self.lock_wait_s if wait_s is None else wait_s, cancelled)
        except GateBusy as exc:
            raise SynthesisError("busy", f"{self.spec.name}: {exc}") from None
        if self.gate.used_by_other():
            self.forget_weights()
        return held

    def leave(self, held) -> None:
        self.gate.leave(held)

    # ---- a restarted server: the kept-alive connection is gone ------------------------------

    def _connected(self) -> None:
        self._connects += 1

    def _connections(self) -> int:
        """TCP connects made to this server so far (a dropped pooled connection reconnects in
        place, so urllib3's own count of connection objects does not see it)."""
        return self._connects

    def keepalive(self, timeout_s: float = 1.5) -> bool:
        """A cheap request on the pooled connection. Returns False when the server did not
        answer. When it needed a new TCP connection, the one kept alive was dropped — the
        server restarted (or the link broke) and forgot its weights (protocols §7.6): they are
        sent again before the next synthesis. The pool calls this on idle servers more often
        than uvicorn's 5 s keep-alive closes idle connections, so a new connection means a
        restart, not idleness."""
        before = self._connections()
        try:
            self.session.get(self.base + "/__liveness__", timeout=(min(timeout_s, self.timeout[0]), timeout_s))
        except requests.exceptions.RequestException:
            self.forget_weights()
            return False
        finally:
            self.last_used = time.monotonic()
        if self._connections() > before and self._had_connection:
            self.forget_weights()
        self._had_connection = True
        return True

    def alive(self, timeout_s: float) -> bool:
        """Does the server answer HTTP at all? A path no API has gets a quick 404 from a free
        server; api_v2 busy with inference (or hung) answers nothing (protocols §7.7)."""
        try:
            # its own connection: the pooled ones may be stuck in the request being judged
            requests.get(self.base + "/__liveness__", timeout=(min(timeout_s, self.timeout[0]), timeout_s))
            return True
        except requests.exceptions.RequestException:
            return False

    # ---- transport -------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kw) -> requests.Response:
        try:
            return self._send(method, path, **kw)
        except SynthesisError as exc:
            if exc.kind in FORGET_AFTER:  # it may have restarted: re-assert the weights next time
                self.forget_weights()
            raise

    def _send(self, method: str, path: str, read_timeout_s: float | None = None, **kw) -> requests.Response:
        url = self.base + path
        timeout = self.timeout if read_timeout_s is None else (self.timeout[0], read_timeout_s)
        self.last_used = time.monotonic()
        if self._connects:
            self._had_connection = True
        try:
            return self.session.request(method, url, timeout=timeout, **kw)
        except requests.exceptions.ConnectTimeout:
            raise SynthesisError("connect", f"{self.spec.name}: connect timed out") from None
        except requests.exceptions.ReadTimeout:
            raise SynthesisError("timeout", f"{self.spec.name}: no answer within {timeout[1]:g} s (hung?)") from None
        except requests.exceptions.ChunkedEncodingError as exc:
            raise self._cut(exc) from None
        except requests.exceptions.ConnectionError as exc:
            text = str(exc)
            if "IncompleteRead" in text or "Connection broken" in text:
                raise self._cut(exc) from None
            raise SynthesisError("connect", f"{self.spec.name}: cannot connect ({_short(exc)})") from None
        except requests.exceptions.RequestException as exc:
            raise SynthesisError("connect", f"{self.spec.name}: {_short(exc)}") from None

    def _check_status(self, resp: requests.Response, what: str) -> None:
        if resp.status_code == 404:
            other = "v1 (api.py)" if self.spec.api_version == "v2" else "v2 (api_v2.py)"
            raise SynthesisError("wrong_api", f"{self.spec.name}: {what} → HTTP 404 {_error_text(resp)}: the server "
                                              f"has no such endpoint; is it {other}? check [tts] api_version "
                                              f"(接口不存在，请检查 [tts] api_version 是否与服务器程序一致)")
        if resp.status_code >= 500:
            raise SynthesisError("server_error", f"{self.spec.name}: {what} → HTTP {resp.status_code} {_error_text(resp)}")
        if resp.status_code != 200:
            raise SynthesisError("rejected", f"{self.spec.name}: {what} → HTTP {resp.status_code} {_error_text(resp)}")

    # ---- model switching -------------------------------------------------------------------

    def ensure_weights(self, voice: VoiceModel) -> None:
        """Load the voice's weights if the server has others. Callers serialise this against
        in-flight synthesis on the same server (the pool's server slot does)."""
        want = (voice.gpt_weights, voice.sovits_weights)
        if want == (None, None):
            return
        with self._switch_lock:
            epoch = self._epoch
            if self.reassert_s > 0 and time.monotonic() - self._asserted_at > self.reassert_s:
                self.loaded = (None, None)  # the periodic re-assertion the operator asked for
            gpt = voice.gpt_weights if voice.gpt_weights and voice.gpt_weights != self.loaded[0] else None
            sovits = voice.sovits_weights if voice.sovits_weights and voice.sovits_weights != self.loaded[1] else None
            if gpt is None and sovits is None:
                return
            try:
                if self.spec.api_version == "v1":
                    params = {"gpt_model_path": voice.gpt_weights or self.loaded[0] or "",
                              "sovits_model_path": voice.sovits_weights or self.loaded[1] or ""}
                    self._switch_call("/set_model", params)
                else:
                    if gpt:
                        self._switch_call("/set_gpt_weights", {"weights_path": gpt})
                    if sovits:
                        self._switch_call("/set_sovits_weights", {"weights_path": sovits})
            except SynthesisError:
                self.loaded = (None, None)  # unknown now: switch again next time
                raise
            if epoch == self._epoch:
                self.loaded = (voice.gpt_weights or self.loaded[0], voice.sovits_weights or self.loaded[1])
            self._asserted_at = time.monotonic()
            self.switches += 1

    def _switch_call(self, path: str, params: dict) -> None:
        resp = self._request("GET", path, params=params)
        if resp.status_code == 404:
            self._check_status(resp, path)
        if resp.status_code >= 500:
            raise SynthesisError("server_error", f"{self.spec.name}: {path} → HTTP {resp.status_code}")
        if resp.status_code != 200:
            raise SynthesisError("switch", f"{self.spec.name}: {path} {params} → HTTP {resp.status_code} "
                                           f"{_error_text(resp)}")

    # ---- synthesis -------------------------------------------------------------------------

    def tts_params(self, text: str, voice: VoiceModel) -> dict[str, Any]:
        if self.spec.api_version == "v1":
            return {"refer_wav_path": voice.ref_audio, "prompt_text": voice.prompt_text,
                    "prompt_language": voice.prompt_lang, "text": text, "text_language": voice.text_lang,
                    "top_k": voice.top_k, "top_p": voice.top_p, "temperature": voice.temperature,
                    "speed": voice.speed, **dict(voice.extra)}
        params: dict[str, Any] = {
            "text": text, "text_lang": voice.text_lang.lower(), "ref_audio_path": voice.ref_audio,
            "prompt_text": voice.prompt_text, "prompt_lang": voice.prompt_lang.lower(),
            "top_k": voice.top_k, "top_p": voice.top_p, "temperature": voice.temperature,
            "text_split_method": voice.text_split_method, "speed_factor": voice.speed,
            "media_type": "wav", "streaming_mode": bool(self.spec.streaming),
        }
        params.update(dict(voice.extra))
        return params

    def synthesize(self, text: str, voice: VoiceModel, *, method: str = "POST", exclusive: bool = True,
                   wait_s: float | None = None, read_timeout_s: float | None = None) -> SynthResult:
        """One synthesis. ``exclusive`` holds the server's cross-process gate around it (the
        pool holds the gate itself and passes False); ``read_timeout_s`` overrides the client's
        read time-out for this request (probes use a short one)."""
        if not exclusive:
            return self._synthesize(text, voice, method, read_timeout_s)
        held = self.enter(wait_s)
        try:
            return self._synthesize(text, voice, method, read_timeout_s)
        finally:
            self.leave(held)

    def _synthesize(self, text: str, voice: VoiceModel, method: str, read_timeout_s: float | None = None) -> SynthResult:
        if voice.gpt_weights or voice.sovits_weights:
            self.keepalive(min(2.0, self.timeout[1]))  # restarted since the last request? then re-assert
        self.ensure_weights(voice)
        params = self.tts_params(text, voice)
        path = "/" if self.spec.api_version == "v1" else "/tts"
        if method == "GET":
            query = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in params.items()}
            resp = self._request("GET", path, params=query, read_timeout_s=read_timeout_s)
        else:
            resp = self._request("POST", path, json=params, read_timeout_s=read_timeout_s)
        self._check_status(resp, "synthesis")
        try:
            body = resp.content
        except requests.exceptions.RequestException as exc:  # the body broke off after the header
            raise self._cut(exc) from None
        ctype = resp.headers.get("content-type", "")
        if not ctype.startswith("audio/"):
            raise SynthesisError("bad_audio", f"{self.spec.name}: 200 but not audio (content-type {ctype!r}, "
                                              f"{describe_body(body)})")
        if self.spec.api_version == "v1" and ctype.split(";")[0].strip() not in ("audio/wav", "audio/x-wav"):
            raise SynthesisError("bad_audio", f"{self.spec.name}: api.py sent {ctype} instead of WAV; start it with "
                                              f"`-sm close -mt wav` (api.py 必须用 -sm close -mt wav 启动，"
                                              f"否则返回 Ogg/AAC)")
        try:
            wav = parse(body, where=self.spec.name)
        except WavError as exc:
            hint = " (api.py must run with `-sm close -mt wav`)" if self.spec.api_version == "v1" else ""
            raise SynthesisError("bad_audio", f"{exc}{hint}") from None
        return SynthResult(wav=wav, bytes=len(body))

    def _cut(self, exc: BaseException) -> SynthesisError:
        self.forget_weights()
        hint = ("; api.py breaks off like this when synthesis fails after the header, e.g. a reference "
                "path the server cannot read (检查 [voice.*] ref_audio 路径)") if self.spec.api_version == "v1" else ""
        return SynthesisError("cut", f"{self.spec.name}: response body cut off ({exc.__class__.__name__}){hint}")


def _short(exc: BaseException) -> str:
    text = str(exc)
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    return text[:160]


def _counting_pools(on_connect):
    """urllib3 pool classes whose connections call ``on_connect`` on every TCP connect."""
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    def counting(base):
        class Counting(base):
            def connect(self):
                on_connect()
                return super().connect()
        return Counting

    class Pool(HTTPConnectionPool):
        ConnectionCls = counting(HTTPConnection)

    class TlsPool(HTTPSConnectionPool):
        ConnectionCls = counting(HTTPSConnection)

    return {"http": Pool, "https": TlsPool}
