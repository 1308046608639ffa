"""One sentence from text to checked, post-processed audio: cache, check, the espeak-ng
fallback, and the report's counters. Nothing leaves here that has not passed the quality check."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

import numpy as np

from app.logs import get_logger
from app.text.spoken import speakable_length
from app.tts import espeak, postprocess, quality
from app.tts.cache import AudioCache, make_key
from app.tts.client import SynthesisError
from app.tts.settings import PoolSettings, VoiceModel

log = get_logger("tts")
ESPEAK_ROUTE = "espeak"


class Cancelled(Exception):
    pass


class SentenceFailed(Exception):
    """Every route and the fallback failed; the message lists why."""


@dataclass(frozen=True)
class SentenceAudio:
    samples: np.ndarray  # float32 at the output rate
    route: str
    attempts: int
    cached: bool


class Stats:
    """Counters for the headless report's ``tts`` section."""

    def __init__(self):
        self._lock = threading.Lock()
        self.requests = self.sentences = self.retries = self.rotations = 0
        self.cache_hits = self.fallback_used = self.failed = self.published = self.prefetched = 0
        self.deadline_takeovers = self.silent_takeovers = self.abandoned = 0
        self.rejected: Counter[str] = Counter()  # by reason code
        self.dropped: Counter[str] = Counter()  # requests not synthesised, by reason
        self.fallback_causes: Counter[str] = Counter()  # utterances the fallback spoke, by cause
        self.last_fallback = ""  # the latest fallback's reason, in full

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def reject(self, code: str) -> None:
        with self._lock:
            self.rejected[code] += 1

    def drop(self, reason: str) -> None:
        with self._lock:
            self.dropped[reason] += 1

    def fell_back(self, cause: str, reason: str) -> None:
        with self._lock:
            self.fallback_causes[cause] += 1
            self.last_fallback = reason

    def as_dict(self) -> dict:
        with self._lock:
            return {"requests": self.requests, "sentences": self.sentences, "retries": self.retries,
                    "rejected": sum(self.rejected.values()), "rejected_by_reason": dict(self.rejected),
                    "rotations": self.rotations, "cache_hits": self.cache_hits,
                    "fallback_used": self.fallback_used, "failed": self.failed,
                    "published": self.published, "prefetched": self.prefetched, "dropped": dict(self.dropped),
                    "deadline_takeovers": self.deadline_takeovers, "silent_takeovers": self.silent_takeovers,
                    "abandoned_hung": self.abandoned,
                    "fallback_causes": dict(self.fallback_causes),
                    "last_fallback_reason": self.last_fallback}


class SentenceSynth:
    """Cache, quality check and post-processing of one sentence, and the espeak-ng fallback.
    The GPT-SoVITS attempts themselves run in ``attempt.Attempt``."""

    def __init__(self, settings: PoolSettings, stats: Stats, cache: AudioCache | None):
        self.settings = settings
        self.stats = stats
        self.cache = cache

    def _key(self, text: str, engine: str, params: dict) -> str:
        return make_key(text, params, engine, self.settings.post.output_rate)

    def _cached(self, text: str, engine: str, params: dict) -> np.ndarray | None:
        if self.cache is None:
            return None
        hit = self.cache.get(self._key(text, engine, params))
        if hit is None:
            return None
        samples, rate = hit
        if rate != self.settings.post.output_rate:
            return None
        self.stats.add("cache_hits")
        return samples

    def _store(self, text: str, engine: str, params: dict, samples: np.ndarray) -> None:
        if self.cache is not None:
            self.cache.put(self._key(text, engine, params), samples, self.settings.post.output_rate)

    def check_and_process(self, samples: np.ndarray, rate: int, text: str) -> tuple[quality.Verdict, np.ndarray | None]:
        verdict = quality.check(samples, rate, speakable_length(text), self.settings.check)
        if not verdict.ok:
            return verdict, None
        return verdict, postprocess.process(samples, rate, self.settings.post)

    def cached_gptsovits(self, text: str, voices: list[VoiceModel]) -> SentenceAudio | None:
        for voice in voices:
            hit = self._cached(text, "gptsovits", voice.params())
            if hit is not None:
                return SentenceAudio(hit, f"cache:gptsovits#{voice.name}", 0, True)
        return None

    def store(self, text: str, voice: VoiceModel, audio: np.ndarray) -> None:
        self._store(text, "gptsovits", voice.params(), audio)

    def espeak_sentence(self, text: str, why: str) -> SentenceAudio:
        """The fallback voice for one sentence (cache first). Raises SentenceFailed."""
        params = {"voice": self.settings.espeak_voice, "rate": self.settings.espeak_rate_wpm}
        self.stats.add("fallback_used")
        hit = self._cached(text, ESPEAK_ROUTE, params)
        if hit is not None:
            return SentenceAudio(hit, ESPEAK_ROUTE, 1, True)
        try:
            pcm, rate = espeak.synthesize(text, voice=self.settings.espeak_voice,
                                          rate_wpm=self.settings.espeak_rate_wpm)
        except espeak.EspeakError as exc:
            raise SentenceFailed(f"{why}; espeak-ng fallback failed: {exc}") from None
        verdict, audio = self.check_and_process(pcm.astype(np.float32) / 32768.0, rate, text)
        if audio is None:
            self.stats.reject(verdict.code)
            raise SentenceFailed(f"{why}; espeak-ng fallback rejected: {verdict.reason}")
        self._store(text, ESPEAK_ROUTE, params, audio)
        return SentenceAudio(audio, ESPEAK_ROUTE, 1, False)

    def probe(self, voice: VoiceModel, client) -> tuple[bool, str, bool]:
        """(passed, error, server_fault) of one probe synthesis (the caller holds the gate)."""
        text = self.settings.probe_text
        # short: a probe of a voice that hangs must not hold its server for a whole read time-out
        limit = min(self.settings.request_timeout_s, max(5.0, 2 * self.settings.need_deadline_s))
        try:
            result = client.synthesize(text, voice, exclusive=False, read_timeout_s=limit)
        except SynthesisError as exc:
            return False, str(exc), exc.server_fault
        verdict = quality.check(result.wav.samples, result.wav.sample_rate, speakable_length(text),
                                self.settings.check)
        return verdict.ok, "" if verdict.ok else f"probe rejected: {verdict.reason}", False
