"""Synthesise one line outside the live room: the ``tts`` command, the GUI's 试听 button, and
anything else that wants to hear a voice.

It runs the real stage (a ``TtsPool`` on a private in-process bus: cache, check, rotation,
fallback) with the same cross-process server gate the live room holds, so a preview waits for
the room's request to finish instead of competing with it (protocols §7.7), and it says why the
fallback spoke when it did.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app import events
from app.text.prepare import SpeechLimits, TextPreparer
from app.tts.settings import PoolSettings, ServerSpec, VoiceModel


@dataclass(frozen=True)
class LineResult:
    wav_path: str | None  # None when nothing could be synthesised
    route: str  # e.g. "gptsovits:http://127.0.0.1:9880#main", "espeak", "" on failure
    why: str  # why the fallback spoke, or why it failed; "" when GPT-SoVITS spoke
    duration_s: float = 0.0
    sample_rate: int = 0
    attempts: int = 0
    sentence_starts: tuple[float, ...] = ()

    @property
    def ok(self) -> bool:
        return self.wav_path is not None


def synthesize_text(text: str, *, servers: list[ServerSpec], voices: list[VoiceModel], settings: PoolSettings,
                    out_path: Path | str | None = None, cache_dir: Path | str | None = None,
                    timeout_s: float | None = None, limits: SpeechLimits | None = None) -> LineResult:
    """Speak ``text`` once through a private TTS stage; the WAV goes to ``out_path`` (or a
    temporary file the caller owns). Bounded: at most ``timeout_s`` (default: enough for every
    attempt, the gate wait and the fallback). The operator's own line is split and capped like
    the room's (``limits``) but not filtered: nobody but the operator hears it."""
    from app.bus.memory import MemoryBus
    from app.tts.pool import TtsPool

    limit = timeout_s if timeout_s is not None else (
        settings.lock_wait_s + settings.max_attempts * (settings.connect_timeout_s + settings.request_timeout_s) + 30)
    results: list = []
    with MemoryBus("tts-line") as bus, tempfile.TemporaryDirectory() as tmp:
        bus.subscribe(events.Channel.SPEECH_READY, results.append)
        pool = TtsPool(bus, servers=servers, voices=voices, out_dir=tmp, cache_dir=cache_dir,
                       settings=settings, prepare=TextPreparer(limits=limits or SpeechLimits())).start()
        try:
            # a preview is not needed by a player: GPT-SoVITS gets its whole read time-out
            pool.submit(events.SpeechRequest(id="line", text=text, kind="system", priority=events.Priority.NORMAL))
            pool.wait_idle(limit)
            why = pool.fallback_reason("line") or ""
        finally:
            pool.stop()
        if not results:
            return LineResult(None, "", f"no result within {limit:.0f} s (合成超时)")
        result = results[0]
        if isinstance(result, events.SpeechFailed):
            return LineResult(None, "", result.reason)
        if out_path is None:
            fd, name = tempfile.mkstemp(prefix="tts-line-", suffix=".wav")
            import os

            os.close(fd)
            out_path = name
        shutil.copyfile(result.audio_path, out_path)
    return LineResult(str(out_path), result.route, why, result.duration_s, result.sample_rate, result.attempts,
                      tuple(result.sentence_starts))


def synthesize_line(config_snapshot, text: str, voice_name: str | None = None,
                    out_path: Path | str | None = None) -> tuple[str | None, str, str]:
    """One line with the configured servers and voice (``voice_name``; None = the rotation's
    first usable voice): ``(wav_path, route, why)`` — ``why`` says why the fallback spoke or
    why nothing could be synthesised ("" when GPT-SoVITS spoke). Never raises for a server
    fault; a config without that voice raises ValueError."""
    from app import wiring

    snap = config_snapshot
    setup = wiring.tts_setup(snap, output_rate=snap.get("audio", "sample_rate"))
    voices = setup.voices
    if voice_name is not None:
        voices = [v for v in voices if v.name == voice_name]
        if not voices:
            known = ", ".join(v.name for v in setup.voices) or "none"
            raise ValueError(f"voice {voice_name!r} is not configured or not usable (可用音色: {known})")
    servers = setup.servers if voices else []
    result = synthesize_text(text, servers=servers, voices=voices, settings=setup.settings,
                             out_path=out_path, cache_dir=setup.cache_dir, limits=wiring.speech_limits(snap))
    why = result.why
    if not servers and result.ok and not why:
        why = "; ".join(setup.notes) or "no GPT-SoVITS server configured (未配置 GPT-SoVITS 服务器)"
    return result.wav_path, result.route, why
