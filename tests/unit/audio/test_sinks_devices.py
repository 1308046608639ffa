"""The stream device and the monitor when devices come and go (fake devices that fail the way
SDL reports it: a stopped device, a device that stops taking audio, a name gone from the
list). The live never stops: the player can write all along."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from app import events
from app.audio import sdl
from app.audio.devices import DeviceOutput, play_clip
from app.audio.mixer import MixingSink
from app.audio.output_settings import OutputSettings
from app.audio.sinks import SinkError
from app.bus.memory import MemoryBus
from tests.unit.audio.mix_helpers import RATE, Clock, Driver, FakeSystem, speech_pcm, wait_for


def make(system: FakeSystem, settings: OutputSettings, *, bus=None):
    clock = Clock()
    factory = functools.partial(DeviceOutput, opener=system.open, names=system.names, clock=clock, retry_s=2.0)
    sink = MixingSink(RATE, settings, device=True, bus=bus, pacer=False, output_factory=factory,
                      clock=clock, sleep=lambda s: None)
    sink.open()
    return sink, clock, Driver(sink, clock, system=system)


def played_s(system: FakeSystem, name: str) -> float:
    return sum(len(d.played) for d in system.history if d.name == name) / 2 / RATE


def voiced_s(system: FakeSystem, name: str) -> float:
    """Seconds of non-silent audio that device played."""
    x = np.frombuffer(b"".join(bytes(d.played) for d in system.history if d.name == name), "<i2")
    return float(np.count_nonzero(x)) / RATE


def test_the_named_device_plays_and_others_get_nothing():
    system = FakeSystem(["扬声器", "CABLE Input"], default="扬声器")
    sink, clock, drv = make(system, OutputSettings(device="CABLE Input"))
    drv.speak("u1", speech_pcm(1.0))
    drv.advance(1.5)
    sink.close()
    assert voiced_s(system, "CABLE Input") > 0.9
    assert played_s(system, "扬声器") == 0
    assert sink.main.status == "off" and sink.main.detail == "输出已停止"  # stopped, not a fault


def test_a_lost_device_falls_back_to_the_default_and_comes_back_when_it_returns():
    system = FakeSystem(["扬声器", "CABLE Input"], default="扬声器")
    bus = MemoryBus("t")
    seen = []
    bus.subscribe(events.Channel.SYSTEM, seen.append)
    sink, clock, drv = make(system, OutputSettings(device="CABLE Input"), bus=bus)
    drv.speak("u1", speech_pcm(1.0, seed=1))
    system.unplug("CABLE Input")  # the cable driver restarts mid-sentence
    drv.speak("u2", speech_pcm(2.0, seed=2))
    assert sink.main.status == "degraded" and "系统默认设备" in sink.main.detail
    assert voiced_s(system, "扬声器") > 1.0, "the room went silent instead of falling back"
    system.plug("CABLE Input")
    drv.advance(2.5)  # the next look at the device list finds it
    assert sink.main.status == "ok" and sink.main.on_target and "已切回" in sink.main.detail
    before = voiced_s(system, "CABLE Input")
    drv.speak("u3", speech_pcm(1.0, seed=3))
    drv.advance(0.5)
    assert voiced_s(system, "CABLE Input") - before > 0.9
    sink.publish_status()
    sink.close()
    def out():
        return [e for e in seen if isinstance(e, events.Health) and e.component == "audio:输出"]

    wait_for(lambda: len(out()) >= 4)  # the bus delivers on its own thread
    out = out()
    assert [e.status for e in out][:3] == ["ok", "degraded", "ok"]
    assert "CABLE Input" in out[1].detail and "自动切回" in out[1].detail
    assert [s.id for s in sink.segments] == ["u1", "u2", "u3"]
    assert sink.report()["output"]["lost"] == 1


def test_a_device_that_stops_taking_audio_is_treated_as_lost():
    system = FakeSystem(["扬声器", "CABLE Input"], default="扬声器")
    sink, clock, drv = make(system, OutputSettings(device="CABLE Input"))
    drv.advance(DeviceOutput.GRACE_S + 0.5)
    stuck = system.device("CABLE Input")
    stuck.stuck = True  # still "playing", but nothing moves
    drv.advance(2.5)
    changes = sink.report()["output"]["changes"]
    assert sink.report()["output"]["lost"] == 1 and "没有播放" in changes[1]["detail"] and "重新打开" in changes[1]["detail"]
    assert stuck not in system.open_devices and sink.main.on_target  # closed, and opened afresh
    drv.speak("u1", speech_pcm(0.5))
    drv.advance(0.3)
    assert voiced_s(system, "CABLE Input") > 0.45
    stuck.stuck = False
    system.unplug("CABLE Input")
    drv.advance(0.1)
    assert sink.main.status == "degraded"  # reopening fails now: the default device takes over


def test_a_device_gone_from_the_list_while_the_server_keeps_the_stream_alive_is_lost():
    """PulseAudio with module-rescue-streams moves a stream whose sink vanished to another
    sink: SDL still says "playing", only the device list tells."""
    system = FakeSystem(["扬声器", "CABLE Input"], default="扬声器")
    sink, clock, drv = make(system, OutputSettings(device="CABLE Input"))
    drv.advance(0.5)
    system.present.remove("CABLE Input")  # the open device plays on (elsewhere)
    drv.advance(2.5)
    assert sink.main.status == "degraded" and "消失" in sink.report()["output"]["changes"][1]["detail"]
    system.plug("CABLE Input")
    drv.advance(2.5)
    assert sink.main.status == "ok" and sink.main.on_target
    sink.close()


def test_with_no_device_at_all_the_timeline_goes_on_and_the_device_is_retried():
    system = FakeSystem(["CABLE Input"], default="CABLE Input")
    sink, clock, drv = make(system, OutputSettings(device="CABLE Input"))
    system.unplug("CABLE Input")  # and no other device: nothing to fall back to
    drv.speak("u1", speech_pcm(1.0))
    drv.advance(1.0)
    assert sink.main.status == "down" and "观众听不到声音" in sink.main.detail
    assert [s.id for s in sink.segments] == ["u1"]  # the player was never blocked
    system.plug("CABLE Input")
    drv.advance(2.5)
    assert sink.main.status == "ok"
    drv.speak("u2", speech_pcm(0.5))
    drv.advance(0.3)
    assert voiced_s(system, "CABLE Input") > 0.45  # u2 (u1 fell while no device existed)
    sink.close()


def test_opening_fails_with_a_clear_error_when_no_device_can_be_used():
    system = FakeSystem([])
    with pytest.raises(SinkError, match="声卡打不开.*CABLE Input"):
        make(system, OutputSettings(device="CABLE Input"))


def test_the_monitor_plays_the_same_mix_at_its_own_volume():
    system = FakeSystem(["扬声器", "CABLE Input", "耳机"], default="扬声器")
    sink, clock, drv = make(system, OutputSettings(device="CABLE Input", monitor=True, monitor_device="耳机",
                                                   monitor_volume=0.5))
    drv.speak("u1", speech_pcm(1.0))
    drv.advance(0.5)
    sink.close()
    main = np.frombuffer(bytes(system.history[0].played), "<i2").astype(float)
    mon = np.frombuffer(bytes(system.history[1].played), "<i2").astype(float)
    assert system.history[1].name == "耳机"
    n = min(len(main), len(mon))
    assert n > RATE
    assert np.sqrt(np.mean(mon[:n] ** 2)) / np.sqrt(np.mean(main[:n] ** 2)) == pytest.approx(0.5, abs=0.01)


def test_a_failing_monitor_never_touches_the_stream():
    system = FakeSystem(["扬声器", "CABLE Input", "耳机"], default="扬声器")
    sink, clock, drv = make(system, OutputSettings(device="CABLE Input", monitor=True, monitor_device="耳机"))
    drv.speak("u1", speech_pcm(0.5, seed=1))
    system.unplug("耳机")
    drv.speak("u2", speech_pcm(2.0, seed=2))
    drv.advance(0.5)
    assert sink.monitor.status == "down" and "耳机" in sink.monitor.detail
    assert sink.main.status == "ok" and voiced_s(system, "CABLE Input") > 2.4
    assert played_s(system, "扬声器") == 0, "the monitor must not fall back onto another device"
    system.plug("耳机")
    drv.advance(2.5)
    assert sink.monitor.status == "ok"
    sink.close()


def test_a_monitor_that_cannot_open_at_all_does_not_stop_the_start():
    system = FakeSystem(["CABLE Input"])
    sink, clock, drv = make(system, OutputSettings(device="CABLE Input", monitor=True, monitor_device="耳机"))
    drv.speak("u1", speech_pcm(0.5))
    drv.advance(0.2)
    assert sink.monitor.status == "down" and voiced_s(system, "CABLE Input") > 0.4
    sink.close()


def test_switching_devices_and_the_monitor_while_playing():
    system = FakeSystem(["扬声器", "CABLE Input", "耳机"], default="扬声器")
    sink, clock, drv = make(system, OutputSettings(device=""))
    drv.speak("u1", speech_pcm(0.5, seed=1))
    sink.apply(OutputSettings(device="CABLE Input", monitor=True, monitor_device="耳机"))
    drv.advance(0.3)
    drv.speak("u2", speech_pcm(0.5, seed=2))
    drv.advance(0.3)
    assert sink.main.target == "CABLE Input" and sink.main.on_target
    assert voiced_s(system, "CABLE Input") > 0.4 and voiced_s(system, "耳机") > 0.4
    sink.apply(OutputSettings(device="CABLE Input", monitor=False))
    assert sink.monitor is None and system.device("耳机") is None
    sink.close()


def test_play_clip_waits_until_played_and_has_a_deadline():
    system = FakeSystem(["耳机"])
    clock = Clock()

    def sleep(s):
        clock.t += s
        system.play_all(int(s * RATE))

    took = play_clip("耳机", np.zeros(RATE, np.int16), RATE, opener=system.open, clock=clock, sleep=sleep)
    assert 1.0 <= took < 1.5 and not system.open_devices

    def stuck_sleep(s):
        clock.t += s

    with pytest.raises(sdl.SdlError, match="没有在 4 秒内播完"):
        play_clip("耳机", np.zeros(RATE, np.int16), RATE, opener=system.open, clock=clock, sleep=stuck_sleep)
    assert not system.open_devices


def test_a_closed_output_is_never_reopened_by_a_late_upkeep():
    """Turning the monitor off while the upkeep thread holds it must not leave a device open."""
    system = FakeSystem(["耳机"])
    clock = Clock()
    out = DeviceOutput("监听", "耳机", RATE, fallback=False, opener=system.open, names=system.names, clock=clock)
    out.open()
    out.close()
    clock.t += 10
    out.maintain()
    assert out.dev is None and not system.open_devices and out.status == "off"


def test_a_monitor_on_the_stream_device_itself_is_refused_and_said_so():
    system = FakeSystem(["CABLE Input", "耳机"])
    bus = MemoryBus("t")
    seen = []
    bus.subscribe(events.Channel.SYSTEM, seen.append)
    sink, clock, drv = make(system, OutputSettings(device="CABLE Input", monitor=True, monitor_device="CABLE Input"),
                            bus=bus)
    drv.speak("u1", speech_pcm(0.5))
    drv.advance(0.2)
    assert sink.monitor is None and len([d for d in system.open_devices if d.name == "CABLE Input"]) == 1
    wait_for(lambda: any(isinstance(e, events.Health) and e.component == "audio:监听" and "同一个设备" in e.detail
                         for e in seen))
    sink.apply(OutputSettings(device="CABLE Input", monitor=True, monitor_device="耳机"))  # fixed while live
    drv.speak("u2", speech_pcm(0.5))
    drv.advance(0.3)
    assert sink.monitor is not None and voiced_s(system, "耳机") > 0.4
    sink.close()
