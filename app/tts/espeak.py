"""The built-in offline voice: libespeak-ng (shipped by ``espeakng-loader``) through ctypes.

It sounds robotic, but it is always there, so when every GPT-SoVITS route fails the stream goes
on. The library keeps global state and is not re-entrant, so every call goes through one
process-wide lock; synthesis is synchronous (AUDIO_OUTPUT_SYNCHRONOUS) and collects the samples
the library hands to our callback.
"""

from __future__ import annotations

import ctypes
import threading

import numpy as np

SAMPLE_RATE = 22050  # what libespeak-ng synthesises at; read back from espeak_Initialize too

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_PARAM_PITCH = 3

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                  ctypes.c_void_p)


class EspeakError(RuntimeError):
    pass


class _Engine:
    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:  # a broken install must say what is missing
            raise EspeakError("espeak-ng is unavailable: the espeakng-loader package is not installed") from exc
        try:
            self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        except OSError as exc:
            raise EspeakError(f"espeak-ng library could not be loaded: {exc}") from exc
        lib = self.lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.restype = ctypes.c_int
        data = espeakng_loader.get_data_path().encode()
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
        if rate <= 0:
            raise EspeakError(f"espeak_Initialize failed (returned {rate}); data path {data!r}")
        self.sample_rate = rate
        self._chunks: list[np.ndarray] = []
        self._callback = _SynthCallback(self._on_audio)  # kept referenced: C holds the pointer
        lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None

    def _on_audio(self, wav, count, _events) -> int:
        if count > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0  # 0 = go on synthesising

    def synth(self, text: str, voice: str, rate_wpm: int, pitch: int) -> np.ndarray:
        if voice != self._voice:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise EspeakError(f"espeak-ng has no voice {voice!r}")
            self._voice = voice
        self.lib.espeak_SetParameter(_PARAM_RATE, int(rate_wpm), 0)
        self.lib.espeak_SetParameter(_PARAM_PITCH, int(pitch), 0)
        self._chunks = []
        raw = text.encode("utf-8") + b"\0"
        buf = ctypes.create_string_buffer(raw, len(raw))
        err = self.lib.espeak_Synth(buf, len(raw), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if err != 0:
            raise EspeakError(f"espeak_Synth failed with code {err}")
        self.lib.espeak_Synchronize()
        chunks, self._chunks = self._chunks, []
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


_lock = threading.Lock()
_engine: _Engine | None = None


def available() -> bool:
    try:
        with _lock:
            _get()
        return True
    except EspeakError:
        return False


def _get() -> _Engine:
    global _engine
    if _engine is None:
        _engine = _Engine()
    return _engine


def synthesize(text: str, *, voice: str = "cmn", rate_wpm: int = 175, pitch: int = 50) -> tuple[np.ndarray, int]:
    """Speak ``text``; returns (int16 mono samples, sample rate). Raises EspeakError."""
    if not text.strip():
        raise EspeakError("nothing to speak: the text is empty")
    with _lock:
        engine = _get()
        return engine.synth(text, voice, rate_wpm, pitch), engine.sample_rate
