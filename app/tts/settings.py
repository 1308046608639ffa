"""What the TTS stage is configured with: servers, voice models and tuning knobs.

Plain frozen dataclasses so the stage can be built without the config package; the runtime maps
``config.ini`` onto them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from app.tts.postprocess import PostSettings
from app.tts.quality import CheckSettings


@dataclass(frozen=True)
class VoiceModel:
    """One GPT-SoVITS voice: weights (optional: None keeps what the server has loaded), the
    reference clip and its text, and generation parameters."""

    name: str
    ref_audio: str  # path on the server (GPT-SoVITS' ref_audio_path)
    prompt_text: str = ""
    prompt_lang: str = "zh"
    text_lang: str = "zh"
    gpt_weights: str | None = None
    sovits_weights: str | None = None
    speed: float = 1.0
    top_k: int = 15
    top_p: float = 1.0
    temperature: float = 1.0
    text_split_method: str = "cut5"
    extra: tuple[tuple[str, Any], ...] = ()  # other /tts parameters, passed through

    def __post_init__(self):
        if not self.name:
            raise ValueError("voice model needs a name")
        if not self.ref_audio:
            raise ValueError(f"voice model {self.name!r}: ref_audio is required")

    def v1_problems(self) -> list[tuple[str, str]]:
        """What legacy ``api.py`` cannot do with this voice, as (option key, reason): it silently
        speaks its preset voice when any reference field is empty, and ``/set_model`` needs both
        weight paths (protocols §7.8)."""
        out = []
        for key, value in (("ref_audio", self.ref_audio), ("prompt_text", self.prompt_text),
                           ("prompt_lang", self.prompt_lang)):
            if not value:
                out.append((key, "is empty; api.py (api_version = v1) would silently speak its preset voice "
                                 "instead (参考音频、参考文本、参考语言三项都必须填写)"))
        if bool(self.gpt_weights) != bool(self.sovits_weights):
            missing = "gpt_weights" if not self.gpt_weights else "sovits_weights"
            out.append((missing, "is empty but the other weight path is set; api.py's /set_model needs both "
                                 "(两个模型路径要么都填，要么都留空)"))
        return out

    def params(self) -> dict[str, Any]:
        """Everything that changes the sound (the cache key uses it)."""
        return {"ref": self.ref_audio, "prompt": self.prompt_text, "prompt_lang": self.prompt_lang,
                "text_lang": self.text_lang, "gpt": self.gpt_weights, "sovits": self.sovits_weights,
                "speed": self.speed, "top_k": self.top_k, "top_p": self.top_p,
                "temperature": self.temperature, "split": self.text_split_method,
                "extra": [list(p) for p in self.extra]}


@dataclass(frozen=True)
class ServerSpec:
    url: str  # e.g. http://127.0.0.1:9880
    api_version: Literal["v2", "v1"] = "v2"
    # api_v2 runs inference inline on its event loop: one request at a time (protocols §7.7);
    # more in flight only queue on the server and turn into time-outs
    per_server_concurrency: int = 1
    voices: tuple[str, ...] = ()  # voice names this server may use; empty = all
    streaming: bool = False  # v2 only: streaming_mode=1, assembled client-side

    def __post_init__(self):
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"TTS server url must start with http:// or https://, got {self.url!r}")
        if self.api_version not in ("v2", "v1"):
            raise ValueError(f"TTS server {self.url}: api_version must be 'v2' or 'v1', got {self.api_version!r}")
        if self.per_server_concurrency < 1:
            raise ValueError(f"TTS server {self.url}: per_server_concurrency must be at least 1")

    @property
    def name(self) -> str:
        return self.url.split("://", 1)[1].rstrip("/")


@dataclass(frozen=True)
class PoolSettings:
    workers: int = 2
    queue_max: int = 64
    max_attempts: int = 4  # GPT-SoVITS attempts per sentence before the fallback speaks
    connect_timeout_s: float = 3.0
    request_timeout_s: float = 30.0  # a hung server is given up on after this
    # From the player's SpeechNeeded (or at once for urgent items and filler/bridge clips) the
    # stage has this long to publish; after it the fallback voice speaks what is left.
    need_deadline_s: float = 4.0
    # When the player says the room is silent waiting for it (the first line, a dry queue): this
    # long at most (and never longer than need_deadline_s), since every second of it is dead air.
    silent_deadline_s: float = 0.5
    bench_after_failures: int = 3  # consecutive failures of a server or a voice on it
    bench_after_timeouts: int = 2  # consecutive time-outs (hangs) of one voice on a server
    liveness_timeout_s: float = 1.5  # a cheap request that tells a hung server from a hung voice
    lock_wait_s: float = 30.0  # longest wait for another program's request on the same server
    lock_dir: str | None = None  # cross-process lock files (None: no cross-process lock)
    reassert_weights_s: float = 0.0  # also re-send the weights this often (0 = only after faults)
    bench_seconds: float = 30.0  # first bench; doubles per failed probe …
    max_bench_s: float = 600.0  # … up to this
    probe_text: str = "你好，欢迎来到直播间。"
    sentence_gap_s: float = 0.25
    fallback: bool = True
    espeak_voice: str = "cmn"
    espeak_rate_wpm: int = 220  # ≈ 4.8 characters a second, a selling host's pace
    cache_max_bytes: int = 200_000_000
    check: CheckSettings = field(default_factory=CheckSettings)
    post: PostSettings = field(default_factory=PostSettings)
