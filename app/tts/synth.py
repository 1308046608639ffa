"""One sentence from text to checked, post-processed audio: cache, GPT-SoVITS with rotation,
and the espeak-ng fallback. Nothing leaves here that has not passed the quality check."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.logs import get_logger
from app.tts import espeak, postprocess, quality
from app.tts.cache import AudioCache, make_key
from app.tts.client import SynthesisError
from app.tts.routes import RouteTable
from app.tts.settings import PoolSettings, VoiceModel
from app.tts.textnorm import speakable_length

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
        self.rejected: Counter[str] = Counter()  # by reason code
        self.dropped: Counter[str] = Counter()  # requests not synthesised, by reason

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def reject(self, code: str) -> None:
        with self._lock:
            self.rejected[code] += 1

    def drop(self, reason: str) -> None:
        with self._lock:
            self.dropped[reason] += 1

    def as_dict(self) -> dict:
        with self._lock:
            return {"requests": self.requests, "sentences": self.sentences, "retries": self.retries,
                    "rejected": sum(self.rejected.values()), "rejected_by_reason": dict(self.rejected),
                    "rotations": self.rotations, "cache_hits": self.cache_hits,
                    "fallback_used": self.fallback_used, "failed": self.failed,
                    "published": self.published, "prefetched": self.prefetched, "dropped": dict(self.dropped)}


class SentenceSynth:
    def __init__(self, table: RouteTable, settings: PoolSettings, stats: Stats, cache: AudioCache | None,
                 on_fallback: Callable[[bool, str], None] = lambda used, why: None):
        self.table = table
        self.settings = settings
        self.stats = stats
        self.cache = cache
        self.on_fallback = on_fallback

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

    def sentence(self, text: str, cancelled: Callable[[], bool]) -> SentenceAudio:
        self.stats.add("sentences")
        for voice in self.table.usable_voices():
            hit = self._cached(text, "gptsovits", voice.params())
            if hit is not None:
                return SentenceAudio(hit, f"cache:gptsovits#{voice.name}", 0, True)
        errors: list[str] = []
        tried: set[int] = set()
        attempts = 0
        while attempts < self.settings.max_attempts:
            route = self.table.acquire(tried, cancelled=cancelled)
            if cancelled():
                if route is not None:
                    self.table.release(route, ok=True)
                raise Cancelled()
            if route is None:
                break
            tried.add(id(route))
            attempts += 1
            if attempts > 1:
                self.stats.add("retries")
                self.stats.add("rotations")
            try:
                result = route.server.client.synthesize(text, route.voice)
            except SynthesisError as exc:
                self.table.release(route, ok=False, error=str(exc), server_fault=exc.server_fault)
                self.stats.reject(exc.kind)
                errors.append(f"{route.label}: {exc}")
                log.info("tts attempt %d on %s failed: %s", attempts, route.label, exc)
                continue
            verdict, audio = self.check_and_process(result.wav.samples, result.wav.sample_rate, text)
            if audio is None:
                self.table.release(route, ok=False, error=f"rejected: {verdict.reason}")
                self.stats.reject(verdict.code)
                errors.append(f"{route.label}: rejected: {verdict.reason}")
                log.info("tts attempt %d on %s rejected: %s", attempts, route.label, verdict.reason)
                continue
            self.table.release(route, ok=True)
            self._store(text, "gptsovits", route.voice.params(), audio)
            self.on_fallback(False, "")
            return SentenceAudio(audio, route.label, attempts, False)
        if not self.settings.fallback:
            raise SentenceFailed("; ".join(errors) or "no usable GPT-SoVITS route")
        return self._fallback(text, attempts, errors)

    def _fallback(self, text: str, attempts: int, errors: list[str]) -> SentenceAudio:
        why = "; ".join(errors[-3:]) or "no usable GPT-SoVITS route"
        params = {"voice": self.settings.espeak_voice, "rate": self.settings.espeak_rate_wpm}
        self.stats.add("fallback_used")
        if attempts:
            self.stats.add("rotations")
        self.on_fallback(True, why)
        hit = self._cached(text, ESPEAK_ROUTE, params)
        if hit is not None:
            return SentenceAudio(hit, ESPEAK_ROUTE, attempts, True)
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
        return SentenceAudio(audio, ESPEAK_ROUTE, attempts + 1, False)

    def probe(self, voice: VoiceModel, client) -> tuple[bool, str, bool]:
        """(passed, error, server_fault) of one probe synthesis."""
        text = self.settings.probe_text
        try:
            result = client.synthesize(text, voice)
        except SynthesisError as exc:
            return False, str(exc), exc.server_fault
        verdict = quality.check(result.wav.samples, result.wav.sample_rate, speakable_length(text),
                                self.settings.check)
        return verdict.ok, "" if verdict.ok else f"probe rejected: {verdict.reason}", False
