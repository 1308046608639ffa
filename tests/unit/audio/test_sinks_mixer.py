"""Background music under the voice, as recorded by the mixing sink's WAV output (what viewers
hear): it fills silence, ducks by the configured depth under speech and comes back in gaps,
tracks are loudness-matched, looped, skipped, and the settings apply while playing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app import events
from app.audio.gains import HOLD_S
from app.audio.mixer import MixingSink
from app.audio.output_settings import MusicSettings, OutputSettings, with_music
from app.bus.memory import MemoryBus
from tests.audio_measure import tone_db, tone_file
from tests.unit.audio.mix_helpers import RATE, TONE, Clock, Driver, music_ready, speech_pcm, wait_for

MUSIC = MusicSettings(enabled=True, volume_db=-14.0, loudness_target_db=-18.0, duck_db=12.0, duck_attack_ms=80, duck_release_ms=400)


def make(tmp_path: Path, music: MusicSettings, *, bus=None, seed: int | None = None) -> tuple[MixingSink, Clock, Driver]:
    clock = Clock()
    sink = MixingSink(RATE, OutputSettings(music=music), wav_path=tmp_path / "mix.wav", bus=bus, pacer=False,
                      clock=clock, sleep=lambda s: None, music_ahead_s=90, music_seed=seed)
    sink.open()
    return sink, clock, Driver(sink, clock)


def recorded(tmp_path: Path) -> np.ndarray:
    x, rate = sf.read(str(tmp_path / "mix.wav"), dtype="float32")
    assert rate == RATE
    return x


def spans(windows_db: np.ndarray, start_s: float, end_s: float, w: float = 0.05) -> np.ndarray:
    return windows_db[int(np.ceil(start_s / w - 1e-9)):int(np.floor(end_s / w + 1e-9))]


@pytest.fixture
def music_dir(tmp_path):
    d = tmp_path / "music"
    d.mkdir()
    tone_file(d / "01.ogg", TONE, 40, -10.0)
    return d


def test_music_fills_silence_and_ducks_by_the_configured_depth_under_speech(tmp_path, music_dir):
    sink, clock, drv = make(tmp_path, with_music(OutputSettings(music=MUSIC), folder=music_dir).music)
    music_ready(sink, 30)
    drv.advance(3.0)  # nobody speaks: the room is not silent
    t_speech = [(3.0, 7.0), (10.0, 14.0)]
    drv.speak("u1", speech_pcm(4.0, seed=1))
    drv.advance(3.0)  # a gap, long past hold + release
    drv.speak("u2", speech_pcm(4.0, seed=2))
    drv.advance(3.0)
    sink.close()

    levels = tone_db(recorded(tmp_path), RATE, TONE)
    segs = {s.id: (s.start / RATE, s.end / RATE) for s in sink.segments}
    # after a pause with the music up, the voice waits one attack time for the duck
    assert segs["u1"][0] == pytest.approx(t_speech[0][0] + MUSIC.duck_attack_ms / 1000, abs=0.02)

    expected = MUSIC.loudness_target_db + MUSIC.volume_db  # loudness-matched, then 14 dB under the voice
    before = spans(levels, 0.8, 2.8)  # after the fade-in, before the duck starts
    assert np.median(before) == pytest.approx(expected, abs=1.0)
    settle_up = HOLD_S + MUSIC.duck_release_ms / 1000 + 0.1
    gaps = np.concatenate([before, spans(levels, segs["u1"][1] + settle_up, segs["u2"][0] - 0.2)])
    speech = np.concatenate([spans(levels, s + MUSIC.duck_attack_ms / 1000, e) for s, e in segs.values()])
    depth = np.median(gaps) - np.median(speech)
    assert depth == pytest.approx(MUSIC.duck_db, abs=2.0)
    # the duck starts before the first word (the voice is written ahead of the render)
    at_onset = spans(levels, segs["u1"][0] - 0.01, segs["u1"][0] + 0.1)
    assert at_onset.max() < expected - MUSIC.duck_db + 3
    assert min(levels[20:]) > expected - MUSIC.duck_db - 3, "music dropped out somewhere"


def test_speech_is_not_changed_by_the_mixer_when_music_is_off(tmp_path):
    sink, clock, drv = make(tmp_path, MusicSettings(enabled=False))
    pcm = speech_pcm(1.0)
    drv.advance(0.5)
    drv.speak("u1", pcm)
    drv.drain()
    sink.close()
    x = (recorded(tmp_path) * 32768).astype("<i2")
    seg = sink.segments[0]
    assert x[seg.start:seg.end].tobytes() == pcm
    assert not x[:seg.start].any() and not x[seg.end:].any()


def test_tracks_are_loudness_matched_and_loop_in_name_order(tmp_path):
    d = tmp_path / "music"
    d.mkdir()
    tone_file(d / "a.mp3", TONE, 3, -8.0, fmt="MP3")  # loud, mp3
    tone_file(d / "b.flac", TONE, 3, -34.0, channels=2)  # quiet, stereo flac
    tone_file(d / "c.wav", TONE, 3, -20.0, rate=22050)
    (d / "notes.txt").write_text("not music")
    sink, clock, drv = make(tmp_path, with_music(OutputSettings(music=MUSIC), folder=d).music)
    music_ready(sink, 14)
    drv.advance(14.0)
    sink.close()
    assert sink.report()["music"]["tracks_started"][:5] == ["a.mp3", "b.flac", "c.wav", "a.mp3", "b.flac"]
    levels = tone_db(recorded(tmp_path), RATE, TONE)
    per_track = [np.median(spans(levels, t + 0.3, t + 2.7)) for t in (0, 3, 6, 9)]
    assert max(per_track) - min(per_track) < 1.5, per_track  # 26 dB apart on disk
    # and each plays through without a gap (libsndfile dropped samples at every MP3 read)
    for t in (0, 3, 6, 9):
        steady = spans(levels, t + (0.7 if t == 0 else 0.3), t + 2.7)  # (the start glides in)
        assert np.abs(steady - np.median(steady)).max() < 1.5, f"dropout in the track at {t} s"


def test_shuffle_plays_every_track_once_per_round(tmp_path):
    d = tmp_path / "music"
    d.mkdir()
    for i in range(5):
        tone_file(d / f"{i}.wav", TONE, 0.5, -20.0, rate=RATE)
    sink, clock, drv = make(tmp_path, with_music(OutputSettings(music=MUSIC), folder=d, shuffle=True).music, seed=3)
    music_ready(sink, 4.5)
    drv.advance(5.0)
    sink.close()
    started = sink.report()["music"]["tracks_started"]
    assert sorted(started[:5]) == [f"{i}.wav" for i in range(5)]
    assert sorted(started[5:10]) == [f"{i}.wav" for i in range(5)]
    assert started[:5] != sorted(started[:5]) or started[5:10] != sorted(started[5:10])
    assert started[4] != started[5]  # no track twice in a row across rounds


def test_a_broken_file_is_reported_and_skipped(tmp_path):
    d = tmp_path / "music"
    d.mkdir()
    (d / "01-broken.mp3").write_bytes(b"ID3 this is not audio" * 50)
    tone_file(d / "02.ogg", TONE, 5, -20.0)
    bus = MemoryBus("t")
    seen = []
    bus.subscribe(events.Channel.SYSTEM, seen.append)
    sink, clock, drv = make(tmp_path, with_music(OutputSettings(music=MUSIC), folder=d).music, bus=bus)
    music_ready(sink, 4)
    drv.advance(4.0)
    sink.publish_status()

    def reported() -> list[events.Health]:  # (close() then publishes "stopped": read before it)
        return [e for e in seen if isinstance(e, events.Health) and e.component == "audio:音乐"
                and "01-broken.mp3" in e.detail]

    wait_for(reported)
    sink.close()
    assert "01-broken.mp3" in sink.report()["music"]["bad_files"]
    assert sink.report()["music"]["tracks_started"][0] == "02.ogg"
    health = reported()[-1]
    assert health.status == "degraded" and "已跳过" in health.detail
    levels = tone_db(recorded(tmp_path), RATE, TONE)
    assert np.median(spans(levels, 1, 4)) > -40  # the good track plays


def test_an_empty_folder_is_reported_and_the_room_plays_on(tmp_path):
    bus = MemoryBus("t")
    seen = []
    bus.subscribe(events.Channel.PLAYER_STATE, seen.append)
    sink, clock, drv = make(tmp_path, with_music(OutputSettings(music=MUSIC), folder=tmp_path / "nothing").music,
                            bus=bus)
    wait_for(lambda: sink.music.state == "empty")
    drv.speak("u1", speech_pcm(0.5))
    drv.drain()
    sink.publish_status()
    def empty() -> list[events.MusicStatus]:  # (read before close() publishes "stopped")
        return [e for e in seen if isinstance(e, events.MusicStatus) and e.state == "empty"]

    wait_for(empty)
    sink.close()
    status = empty()[-1]
    assert status.state == "empty" and "nothing" in status.detail and "mp3" in status.detail
    assert len(sink.segments) == 1


def test_volume_depth_and_on_off_apply_while_playing(tmp_path, music_dir):
    settings = OutputSettings(music=with_music(OutputSettings(music=MUSIC), folder=music_dir).music)
    sink, clock, drv = make(tmp_path, settings.music)
    music_ready(sink, 30)
    drv.advance(2.0)
    sink.apply(with_music(settings, volume_db=-24.0))  # 10 dB quieter
    drv.advance(2.0)
    sink.apply(with_music(settings, volume_db=-24.0, duck_db=20.0))
    drv.speak("u1", speech_pcm(2.0))
    drv.advance(2.0)
    sink.apply(with_music(settings, enabled=False))
    drv.advance(2.0)
    sink.close()
    levels = tone_db(recorded(tmp_path), RATE, TONE)
    first = np.median(spans(levels, 1.0, 2.0))
    quieter = np.median(spans(levels, 3.0, 4.0))
    assert first - quieter == pytest.approx(10.0, abs=1.0)
    seg = sink.segments[0]
    ducked = np.median(spans(levels, seg.start / RATE + 0.2, seg.end / RATE))
    assert quieter - ducked == pytest.approx(20.0, abs=2.0)
    off_from = seg.end / RATE + 2.0 + 0.6  # after the 0.5 s glide
    assert spans(levels, off_from, off_from + 1.0).max() < -80  # music off: silence


def test_skip_track_from_the_bus_starts_the_next_track_and_is_reported(tmp_path):
    d = tmp_path / "music"
    d.mkdir()
    tone_file(d / "a.ogg", TONE, 30, -20.0)
    tone_file(d / "b.ogg", 5000.0, 30, -20.0)
    bus = MemoryBus("t")
    states = []
    bus.subscribe(events.Channel.PLAYER_STATE, states.append)
    sink, clock, drv = make(tmp_path, with_music(OutputSettings(music=MUSIC), folder=d).music, bus=bus)
    music_ready(sink, 40)
    drv.advance(2.0)
    sink.publish_status()
    bus.publish(events.Channel.CONTROL, events.SkipTrack())
    wait_for(lambda: sink.music.report.skips == 1)
    drv.advance(2.0)
    sink.publish_status()
    sink.close()
    x = recorded(tmp_path)
    a, b = tone_db(x, RATE, TONE), tone_db(x, RATE, 5000.0)
    assert np.median(spans(a, 1.0, 2.0)) > -40 and np.median(spans(b, 1.0, 2.0)) < -70
    assert np.median(spans(a, 2.5, 4.0)) < -70 and np.median(spans(b, 2.5, 4.0)) > -40
    wait_for(lambda: any(isinstance(e, events.MusicStatus) and e.title == "b" for e in states))
    last = [e for e in states if isinstance(e, events.MusicStatus) and e.state == "playing"][-1]
    assert (last.title, last.index, last.count) == ("b", 2, 2)
    wait_for(lambda: [e for e in states if isinstance(e, events.MusicStatus)][-1].state == "off")  # stopped


def test_a_folder_change_switches_to_the_new_folder(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    tone_file(one / "x.ogg", TONE, 30, -20.0)
    tone_file(two / "y.ogg", 5000.0, 30, -20.0)
    settings = OutputSettings(music=with_music(OutputSettings(music=MUSIC), folder=one).music)
    sink, clock, drv = make(tmp_path, settings.music)
    music_ready(sink, 20)
    drv.advance(2.0)
    sink.apply(with_music(settings, folder=two))
    drv.advance(0.05)  # the next read fades the old folder's track out and drops what was decoded of it
    # the decoder runs in real time while this clock is driven by hand: have the new track ready first
    wait_for(lambda: sink.music.decoded().get("y", 0.0) > 5)
    drv.advance(1.95)
    sink.close()
    x = recorded(tmp_path)
    assert np.median(spans(tone_db(x, RATE, 5000.0), 2.5, 4.0)) > -40
    assert np.median(spans(tone_db(x, RATE, TONE), 2.5, 4.0)) < -70
