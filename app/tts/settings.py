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
    ref_audio_path: str
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
        if not self.ref_audio_path:
            raise ValueError(f"voice model {self.name!r}: ref_audio_path is required")

    def params(self) -> dict[str, Any]:
        """Everything that changes the sound (the cache key uses it)."""
        return {"ref": self.ref_audio_path, "prompt": self.prompt_text, "prompt_lang": self.prompt_lang,
                "text_lang": self.text_lang, "gpt": self.gpt_weights, "sovits": self.sovits_weights,
                "speed": self.speed, "top_k": self.top_k, "top_p": self.top_p,
                "temperature": self.temperature, "split": self.text_split_method,
                "extra": [list(p) for p in self.extra]}


@dataclass(frozen=True)
class ServerSpec:
    url: str  # e.g. http://127.0.0.1:9880
    api: Literal["v2", "v1"] = "v2"
    max_concurrent: int = 1  # GPT-SoVITS serves one request well; more makes it hang
    voices: tuple[str, ...] = ()  # voice names this server may use; empty = all
    streaming: bool = False  # v2 only: streaming_mode=1, assembled client-side

    def __post_init__(self):
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"TTS server url must start with http:// or https://, got {self.url!r}")
        if self.api not in ("v2", "v1"):
            raise ValueError(f"TTS server {self.url}: api must be 'v2' or 'v1', got {self.api!r}")
        if self.max_concurrent < 1:
            raise ValueError(f"TTS server {self.url}: max_concurrent must be at least 1")

    @property
    def name(self) -> str:
        return self.url.split("://", 1)[1].rstrip("/")


@dataclass(frozen=True)
class PoolSettings:
    workers: int = 2
    queue_size: int = 64
    max_attempts: int = 4  # GPT-SoVITS attempts per sentence before the fallback speaks
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 30.0  # a hung server is given up on after this
    bench_after: int = 3  # consecutive failures of a server or a voice on it
    bench_s: float = 30.0  # first bench; doubles per failed probe …
    max_bench_s: float = 600.0  # … up to this
    probe_text: str = "你好，欢迎来到直播间。"
    max_sentence_chars: int = 60
    clause_chars: int = 24  # long sentences are synthesised clause by clause: each start is a place to cut softly
    sentence_gap_s: float = 0.25
    fallback: bool = True
    espeak_voice: str = "cmn"
    espeak_rate_wpm: int = 175
    cache_max_bytes: int = 200_000_000
    check: CheckSettings = field(default_factory=CheckSettings)
    post: PostSettings = field(default_factory=PostSettings)
