"""The live room's output settings: the stream device, the operator's monitor, the background
music and its ducking, the recording's label. ``app.wiring`` builds them from the config
snapshot; ``MixingSink`` (``app/audio/mixer.py``) plays by them and takes new ones live
(``apply``). Plain frozen values, kept apart from the mixing that uses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from app.audio.music import REF_DBFS


@dataclass(frozen=True)
class MusicSettings:
    enabled: bool = False
    folder: Path | None = None
    shuffle: bool = False
    volume_db: float = -14.0  # music loudness relative to the voice's
    loudness_target_db: float = -18.0  # the voice loudness the TTS stage levels to
    duck_db: float = 12.0
    duck_attack_ms: float = 80.0
    duck_release_ms: float = 600.0

    @property
    def gain(self) -> float:
        """Linear gain on loudness-matched tracks (at ``REF_DBFS``) for the wanted level."""
        return float(10 ** ((self.loudness_target_db + self.volume_db - REF_DBFS) / 20)) if self.enabled else 0.0


@dataclass(frozen=True)
class OutputSettings:
    device: str = ""  # stream output; "" = system default
    monitor: bool = False
    monitor_device: str = ""  # "" = system default
    monitor_volume: float = 0.8  # linear, on the monitor only
    music: MusicSettings = field(default_factory=MusicSettings)
    wav_info: dict[str, str] | None = None  # LIST/INFO of the recording (the AI label)
    lead_ms: float = 100.0  # how far the mix runs ahead of the stream device


def with_music(settings: OutputSettings, **changes) -> OutputSettings:
    """A copy of ``settings`` with some music settings changed (tests, the GUI's preview)."""
    return replace(settings, music=replace(settings.music, **changes))
