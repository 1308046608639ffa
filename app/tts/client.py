"""HTTP client for GPT-SoVITS: ``api_v2.py`` (``/tts``) and the legacy ``api.py`` (``/``).

Wire details are in protocols.md §2. Every failure becomes a ``SynthesisError`` whose ``kind``
tells the pool whom to blame: the server (unreachable, timeout, 5xx, cut body) or the voice
model on it (400 "tts failed", a bad audio body, a failed weight switch).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

import requests

from app.tts import wavio
from app.tts.settings import ServerSpec, VoiceModel

SERVER_FAULTS = frozenset({"connect", "timeout", "server_error", "cut"})


class SynthesisError(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # connect | timeout | server_error | cut | rejected | bad_audio | switch

    @property
    def server_fault(self) -> bool:
        return self.kind in SERVER_FAULTS


@dataclass(frozen=True)
class SynthResult:
    wav: wavio.Wav
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
                 session: requests.Session | None = None):
        self.spec = spec
        self.base = spec.url.rstrip("/")
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.session = session or requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=max(2, spec.max_concurrent * 2),
                                                max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._switch_lock = threading.Lock()
        self.loaded: tuple[str | None, str | None] = (None, None)  # (gpt, sovits) we set last
        self.switches = 0

    def close(self) -> None:
        self.session.close()

    # ---- transport -------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kw) -> requests.Response:
        url = self.base + path
        try:
            return self.session.request(method, url, timeout=self.timeout, **kw)
        except requests.exceptions.ConnectTimeout:
            raise SynthesisError("connect", f"{self.spec.name}: connect timed out") from None
        except requests.exceptions.ReadTimeout:
            raise SynthesisError("timeout", f"{self.spec.name}: no answer within {self.timeout[1]:g} s (hung?)") from None
        except requests.exceptions.ChunkedEncodingError as exc:
            raise SynthesisError("cut", f"{self.spec.name}: response body cut off ({exc.__class__.__name__})") from None
        except requests.exceptions.ConnectionError as exc:
            text = str(exc)
            if "IncompleteRead" in text or "Connection broken" in text:
                raise SynthesisError("cut", f"{self.spec.name}: response body cut off") from None
            raise SynthesisError("connect", f"{self.spec.name}: cannot connect ({_short(exc)})") from None
        except requests.exceptions.RequestException as exc:
            raise SynthesisError("connect", f"{self.spec.name}: {_short(exc)}") from None

    def _check_status(self, resp: requests.Response, what: str) -> None:
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
            gpt = voice.gpt_weights if voice.gpt_weights and voice.gpt_weights != self.loaded[0] else None
            sovits = voice.sovits_weights if voice.sovits_weights and voice.sovits_weights != self.loaded[1] else None
            if gpt is None and sovits is None:
                return
            try:
                if self.spec.api == "v1":
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
            self.loaded = (voice.gpt_weights or self.loaded[0], voice.sovits_weights or self.loaded[1])
            self.switches += 1

    def _switch_call(self, path: str, params: dict) -> None:
        resp = self._request("GET", path, params=params)
        if resp.status_code >= 500:
            raise SynthesisError("server_error", f"{self.spec.name}: {path} → HTTP {resp.status_code}")
        if resp.status_code != 200:
            raise SynthesisError("switch", f"{self.spec.name}: {path} {params} → HTTP {resp.status_code} "
                                           f"{_error_text(resp)}")

    # ---- synthesis -------------------------------------------------------------------------

    def tts_params(self, text: str, voice: VoiceModel) -> dict[str, Any]:
        if self.spec.api == "v1":
            return {"refer_wav_path": voice.ref_audio_path, "prompt_text": voice.prompt_text,
                    "prompt_language": voice.prompt_lang, "text": text, "text_language": voice.text_lang,
                    "top_k": voice.top_k, "top_p": voice.top_p, "temperature": voice.temperature,
                    "speed": voice.speed, **dict(voice.extra)}
        params: dict[str, Any] = {
            "text": text, "text_lang": voice.text_lang.lower(), "ref_audio_path": voice.ref_audio_path,
            "prompt_text": voice.prompt_text, "prompt_lang": voice.prompt_lang.lower(),
            "top_k": voice.top_k, "top_p": voice.top_p, "temperature": voice.temperature,
            "text_split_method": voice.text_split_method, "speed_factor": voice.speed,
            "media_type": "wav", "streaming_mode": bool(self.spec.streaming),
        }
        params.update(dict(voice.extra))
        return params

    def synthesize(self, text: str, voice: VoiceModel, *, method: str = "POST") -> SynthResult:
        self.ensure_weights(voice)
        params = self.tts_params(text, voice)
        path = "/" if self.spec.api == "v1" else "/tts"
        if method == "GET":
            query = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in params.items()}
            resp = self._request("GET", path, params=query)
        else:
            resp = self._request("POST", path, json=params)
        self._check_status(resp, "synthesis")
        body = resp.content
        ctype = resp.headers.get("content-type", "")
        if not ctype.startswith("audio/"):
            raise SynthesisError("bad_audio", f"{self.spec.name}: 200 but not audio (content-type {ctype!r}, "
                                              f"{wavio.describe_body(body)})")
        try:
            wav = wavio.parse(body, streaming=self.spec.streaming and self.spec.api == "v2")
        except wavio.WavError as exc:
            raise SynthesisError("bad_audio", f"{self.spec.name}: {exc}") from None
        return SynthResult(wav=wav, bytes=len(body))


def _short(exc: BaseException) -> str:
    text = str(exc)
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    return text[:160]
