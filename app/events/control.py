"""Operator commands (channel control): pause, skip, say now, switch or pin a product, play a
file, cancel speech, reload the config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from app.events.speech import Priority


@dataclass(frozen=True, kw_only=True)
class Pause:
    TAG: ClassVar[str] = "pause"


@dataclass(frozen=True, kw_only=True)
class Resume:
    TAG: ClassVar[str] = "resume"


@dataclass(frozen=True, kw_only=True)
class Skip:
    TAG: ClassVar[str] = "skip"


@dataclass(frozen=True, kw_only=True)
class ClearQueue:
    TAG: ClassVar[str] = "clear_queue"


@dataclass(frozen=True, kw_only=True)
class SayNow:
    TAG: ClassVar[str] = "say_now"
    text: str
    priority: int = Priority.EMERGENCY


@dataclass(frozen=True, kw_only=True)
class SwitchProduct:
    TAG: ClassVar[str] = "switch_product"
    slug: str


@dataclass(frozen=True, kw_only=True)
class PinProduct:
    """Stay on this product (no rotation) until unpinned (``slug=None``)."""

    TAG: ClassVar[str] = "pin_product"
    slug: str | None = None


@dataclass(frozen=True, kw_only=True)
class PlayFile:
    """插播音频: play this audio file (on the runtime's machine) as an urgent item."""

    TAG: ClassVar[str] = "play_file"
    path: str
    label: str = ""
    priority: int = Priority.EMERGENCY


@dataclass(frozen=True, kw_only=True)
class SkipTrack:
    """Skip the background music track now playing (the next one starts after a short fade)."""

    TAG: ClassVar[str] = "skip_track"


@dataclass(frozen=True, kw_only=True)
class ReloadConfig:
    TAG: ClassVar[str] = "reload_config"


@dataclass(frozen=True, kw_only=True)
class CancelSpeech:
    """Cancel utterances: their pending synthesis is dropped and results are never applied."""

    TAG: ClassVar[str] = "cancel_speech"
    ids: tuple[str, ...]
    reason: str = ""
