"""Recordings the app saves carry the implicit AI-generated-content label in their metadata, as a
standard reader (libsndfile, through soundfile) reads it back."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf

from app import config, wiring
from app.audio.mixer import MixingSink
from app.audio.outputs import make_sink
from app.audio.sinks import WavFileSink
from app.media.wav import WavRecorder, ai_label_info, read_info, read_wav, write_wav
from tests.unit.audio.mix_helpers import RATE, Clock, Driver, speech_pcm

LABEL = "本直播间部分内容由AI生成"  # [compliance] ai_label_text's default


def test_the_run_recording_carries_the_configured_label(tmp_path):
    cfg = tmp_path / "config.ini"
    cfg.write_text("[compliance]\nai_label_text = 本直播间部分内容由AI生成\n", encoding="utf-8")
    out = wiring.output_settings(config.load(cfg))
    clock = Clock()
    sink = make_sink(f"wav:{tmp_path / 'run.wav'}", RATE, output=out, pacer=False, clock=clock, sleep=lambda s: 0)
    assert isinstance(sink, MixingSink)
    sink.open()
    Driver(sink, clock).speak("u1", speech_pcm(0.5))
    Driver(sink, clock).drain()
    sink.close()
    with sf.SoundFile(str(tmp_path / "run.wav")) as f:
        meta = f.copy_metadata()
        assert f.frames >= RATE // 2
    assert meta["comment"] == "本直播间部分内容由AI生成"
    assert meta["software"]
    aigc = json.loads(read_info(tmp_path / "run.wav")["AIGC"])["AIGC"]
    assert aigc["Label"] == "1" and aigc["ContentProducer"] and len(aigc["ProduceID"]) == 32


def test_the_default_label_and_an_empty_one(tmp_path):
    cfg = tmp_path / "config.ini"
    cfg.write_text("[audio]\n", encoding="utf-8")
    assert wiring.output_settings(config.load(cfg)).wav_info["ICMT"] == LABEL
    cfg.write_text("[compliance]\nai_label_text =\n", encoding="utf-8")
    assert wiring.output_settings(config.load(cfg)).wav_info is None  # the operator turned it off


def test_the_plain_wav_sink_and_write_wav_label_too(tmp_path):
    clock = Clock()
    sink = WavFileSink(tmp_path / "a.wav", RATE, info=ai_label_info(LABEL), clock=clock, sleep=lambda s: 0)
    sink.open()
    sink.write(speech_pcm(0.2), "u1")
    clock.t += 1
    sink.close()
    write_wav(tmp_path / "b.wav", np.zeros(100, np.int16), RATE, info=ai_label_info(LABEL))
    for name in ("a.wav", "b.wav"):
        with sf.SoundFile(str(tmp_path / name)) as f:
            assert f.copy_metadata()["comment"] == LABEL
    assert read_wav(tmp_path / "a.wav").duration_s == 1.0  # the metadata is not played as audio


def test_a_recording_cut_short_still_plays(tmp_path):
    """The header is brought up to date every few seconds: a crashed run leaves a valid file."""
    rec = WavRecorder(tmp_path / "c.wav", RATE, info=ai_label_info(LABEL))
    rec.write(bytes(2 * RATE * 6))  # 6 s, never closed
    with sf.SoundFile(str(tmp_path / "c.wav")) as f:
        assert f.frames >= RATE * 5 and f.copy_metadata()["comment"] == LABEL
    rec.close()


def test_a_recording_past_the_riff_size_goes_on_in_a_second_file(tmp_path, monkeypatch):
    monkeypatch.setattr(WavRecorder, "LIMIT", 2 * RATE)  # one second per file
    rec = WavRecorder(tmp_path / "long.wav", RATE, info=ai_label_info(LABEL))
    for _ in range(5):
        rec.write(bytes(2 * RATE // 2))
    rec.close()
    assert [p.name for p in rec.files] == ["long.wav", "long-2.wav", "long-3.wav"]
    lengths = [sf.info(str(p)).frames for p in rec.files]
    assert lengths == [RATE, RATE, RATE // 2]
    assert all(sf.SoundFile(str(p)).copy_metadata()["comment"] == LABEL for p in rec.files)
