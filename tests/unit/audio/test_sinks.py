"""The paced sinks after a long silence: the silence is counted (and recorded by the WAV sink)
without ever sitting in memory whole."""

from __future__ import annotations

import tracemalloc
import wave

from app.audio.sinks import NullSink, WavFileSink

RATE = 16000


def test_a_thirty_minute_pause_costs_no_memory_and_is_recorded_as_silence(tmp_path):
    now = [0.0]
    clock = lambda: now[0]  # noqa: E731
    voice = b"\x10\x00" * (RATE // 10)  # 0.1 s
    null = NullSink(RATE, clock=clock, sleep=lambda s: None)
    wav = WavFileSink(tmp_path / "out.wav", RATE, clock=clock, sleep=lambda s: None)
    for sink in (null, wav):
        sink.open()
        sink.write(voice, tag="a")
    now[0] = 1800.0  # the operator paused for half an hour
    tracemalloc.start()
    for sink in (null, wav):
        sink.write(voice, tag="b")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    for sink in (null, wav):
        sink.close()
    assert peak < 5_000_000  # was ~58 MB per sink of zeros at 16 kHz
    with wave.open(str(tmp_path / "out.wav")) as w:
        assert w.getnframes() == 1800 * RATE + RATE // 10  # the pause is in the recording, to the sample
