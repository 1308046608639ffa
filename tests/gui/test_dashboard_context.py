"""The operator's context on the dashboard, fed through the bridge from a real bus: the viewers'
questions with their answers or the reason in Chinese, drop reasons in Chinese, the product on
air with switch and pin, the airtime split, the AI label, 插播音频 and 录音插播."""

from __future__ import annotations

import time
import wave
from pathlib import Path

from PyQt6.QtCore import Qt

from app import events
from app.events import Channel
from tests.gui.dialogs import answer_file_dialog
from ui.bridge import Bridge
from ui.controls import Controls
from ui.dashboard import DashboardView

PRODUCTS = [("cream", "保湿面霜"), ("cup", "保温杯")]


def _rig(qtbot, bus, **kw):
    bridge = Bridge(bus, hz=20)
    view = DashboardView(Controls(bus), products=lambda: PRODUCTS, **kw)
    qtbot.addWidget(view)
    bridge.batch.connect(view.on_batch)
    view.set_running(True)  # 开播: the 插播 row works only while live
    return bridge, view


def _cells(model, row):
    return [model.data(model.index(row, c)) for c in range(model.columnCount())]


def test_each_question_shows_who_asked_the_answer_and_latency_or_why_not(qtbot, memory_bus):
    bridge, view = _rig(qtbot, memory_bus)
    model = view.question_model
    now = time.time()
    pub = lambda ev: memory_bus.publish(Channel.SYSTEM, ev)  # noqa: E731
    pub(events.QuestionStatus(msg_id="q1", ts=now, viewer="小美", text="这个多少钱", state="waiting"))
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=2000)
    assert _cells(model, 0)[1:5] == ["小美", "这个多少钱", "等待回答", "排队中…"]
    pub(events.QuestionStatus(msg_id="q1", ts=now, viewer="小美", text="这个多少钱", state="answered",
                              answer="今天到手价九十九元", latency_s=2.4))
    pub(events.QuestionStatus(msg_id="q2", ts=now + 1, viewer="阿强", text="能便宜点吗", state="unanswered",
                              reason="回复太频繁，已限流"))
    qtbot.waitUntil(lambda: model.rowCount() == 2 and model.question(1).state == "answered", timeout=2000)
    assert _cells(model, 0)[1:] == ["阿强", "能便宜点吗", "未回答", "回复太频繁，已限流", ""]  # newest first
    assert _cells(model, 1)[1:] == ["小美", "这个多少钱", "已回答", "今天到手价九十九元", "2.4 秒"]
    assert view.c_questions.value.text() == "1/2" and "未回答 1" in view.c_questions.toolTip()
    bridge.close()


def test_drop_reasons_are_chinese_not_code_names(qtbot, memory_bus):
    bridge, view = _rig(qtbot, memory_bus)
    memory_bus.publish(Channel.PLAYER_STATE, events.UtteranceDropped(id="x1", reason="stale: deadline passed 3.2s ago"))
    memory_bus.publish(Channel.PLAYER_STATE, events.UtteranceDropped(id="x2", reason="stale: deadline passed 8.0s ago"))
    memory_bus.publish(Channel.SYSTEM, events.Dropped(stage="reply", ref="c1", reason="user_cooldown"))
    memory_bus.publish(Channel.SYSTEM, events.Dropped(stage="reply", ref="c2", reason="gift_thanks_cooldown"))
    memory_bus.publish(Channel.SYSTEM, events.Dropped(stage="reply", ref="c3", reason="some_new_code"))
    qtbot.waitUntil(lambda: view.c_dropped.value.text() == "5", timeout=2000)
    tip = view.c_dropped.toolTip()
    assert "等太久已过期：2" in tip and "同一观众发言太快：1" in tip and "感谢冷却中：1" in tip
    assert "其他原因（some_new_code）：1" in tip
    for code in ("stale", "deadline passed", "user_cooldown", "gift_thanks_cooldown"):
        assert code not in tip
    bridge.close()


def test_product_on_air_switches_and_pins_in_one_click(qtbot, memory_bus):
    got = []
    memory_bus.subscribe(Channel.CONTROL, got.append)
    bridge, view = _rig(qtbot, memory_bus)
    panel = view.product_panel
    assert [panel.choice.itemText(i) for i in range(panel.choice.count())] == ["保湿面霜", "保温杯"]
    memory_bus.publish(Channel.PLAYER_STATE, events.ProductOnAir(slug="cream", name="保湿面霜"))
    qtbot.waitUntil(lambda: "保湿面霜" in panel.on_air_label.text(), timeout=2000)
    panel.choice.setCurrentIndex(1)
    qtbot.mouseClick(panel.switch_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.pin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(got) == 2, timeout=2000)
    assert got == [events.SwitchProduct(slug="cup"), events.PinProduct(slug="cup")]
    memory_bus.publish(Channel.PLAYER_STATE, events.ProductOnAir(slug="cup", name="保温杯", pinned=True))
    qtbot.waitUntil(lambda: "已固定" in panel.on_air_label.text(), timeout=2000)
    assert "保温杯" in panel.on_air_label.text() and panel.pin_button.text() == "取消固定"
    qtbot.mouseClick(panel.pin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(got) == 3, timeout=2000)
    assert got[2] == events.PinProduct(slug=None)
    bridge.close()


def test_airtime_split_of_the_last_minute_and_the_run(qtbot, memory_bus):
    bridge, view = _rig(qtbot, memory_bus)
    panel = view.airtime_panel
    assert panel.texts["total"].text() == "暂无播出"
    memory_bus.publish(Channel.PLAYER_STATE, events.AirtimeReport(
        total={"script": 120.0, "answer": 40.0, "thanks": 30.0, "other": 10.0},
        last_minute={"script": 30.0, "answer": 15.0, "thanks": 15.0, "other": 0.0}, since_script_s=7.4))
    qtbot.waitUntil(lambda: panel.texts["total"].text() != "暂无播出", timeout=2000)
    assert panel.texts["total"].text() == "话术 60% · 回答 20% · 感谢 15% · 其他 5%"
    assert panel.texts["last_minute"].text() == "话术 50% · 回答 25% · 感谢 25% · 其他 0%"
    assert panel.since_script.text() == "距上次讲话术 7 秒"
    assert "话术：120 秒" in panel.texts["total"].toolTip()
    bridge.close()


def test_the_ai_label_is_visible(qtbot, memory_bus):
    bridge, view = _rig(qtbot, memory_bus)
    view.show()
    assert view.ai_label.isVisible() and view.ai_label.text() == "AI 标识：本直播间部分内容由AI生成"
    view.set_ai_label("本场由数字人主播讲解")
    assert view.ai_label.text() == "AI 标识：本场由数字人主播讲解"
    bridge.close()


def test_play_file_button_publishes_the_chosen_file_at_the_chosen_priority(qtbot, memory_bus, tmp_path):
    got = []
    memory_bus.subscribe(Channel.CONTROL, got.append)
    bridge, view = _rig(qtbot, memory_bus)
    notices = []
    view.notice.connect(lambda level, msg: notices.append(msg))
    clip = tmp_path / "开场音乐.wav"
    with wave.open(str(clip), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x10\x00" * 16000)
    view.say_panel.say_priority.setCurrentIndex(1)
    answered = answer_file_dialog(str(clip))
    qtbot.mouseClick(view.say_panel.file_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(got) == 1, timeout=5000)
    assert answered == ["选择要插播的音频文件"]
    assert got[0] == events.PlayFile(path=str(clip), label="开场音乐", priority=int(events.Priority.GIFT_LARGE))
    assert notices == ["已提交插播音频：开场音乐.wav"]
    answer_file_dialog(None)  # cancelled: nothing is sent
    qtbot.mouseClick(view.say_panel.file_button, Qt.MouseButton.LeftButton)
    qtbot.wait(200)
    assert len(got) == 1
    bridge.close()


def test_record_button_degrades_to_a_clear_message_without_a_microphone(qtbot, memory_bus):
    from PyQt6.QtWidgets import QApplication

    from ui.mic_record import RecordDialog, mic_problem

    bridge, view = _rig(qtbot, memory_bus)
    notices = []
    view.notice.connect(lambda level, msg: notices.append((level, msg)))
    problem = mic_problem()  # this machine: no PortAudio, or no input device
    qtbot.mouseClick(view.say_panel.mic_button, Qt.MouseButton.LeftButton)
    if problem is None:  # a machine with a microphone gets the recording dialog instead
        dialog = QApplication.activeModalWidget() or view.findChild(RecordDialog)
        assert isinstance(dialog, RecordDialog)
        dialog.reject()
    else:
        assert notices == [("warning", problem)]
        assert "麦克风" in problem and "插播音频文件" in problem
    bridge.close()


class _NoInput:
    class PortAudioError(Exception):
        pass

    def query_devices(self, kind=None):
        raise ValueError("No input device matching ''")


def test_mic_problem_names_a_missing_microphone_and_a_missing_portaudio():
    from ui.mic_record import NO_MICROPHONE, mic_problem

    assert mic_problem(lambda: _NoInput()) == NO_MICROPHONE

    def no_portaudio():
        raise OSError("PortAudio library not found")

    msg = mic_problem(no_portaudio)
    assert "缺少录音组件" in msg and "PortAudio library not found" not in msg  # the detail goes to the log


class _StandinMic:
    """sounddevice's surface as the dialog uses it, for a machine with no microphone: a default
    input device at 16 kHz whose stream delivers a 440 Hz tone in 100 ms blocks while started."""

    def __init__(self):
        self.streams = []

    def query_devices(self, kind=None):
        return {"name": "测试麦克风", "max_input_channels": 1, "default_samplerate": 16000.0}

    def InputStream(self, *, samplerate, channels, dtype, callback):  # noqa: N802 - sounddevice's name
        import numpy as np

        mic = self

        class Stream:
            def __init__(self):
                self.t = 0

            def start(self):
                mic.streams.append(self)

            def feed(self, blocks):
                for _ in range(blocks):
                    n = samplerate // 10
                    t = (self.t + np.arange(n)) / samplerate
                    self.t += n
                    callback((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[:, None], n, None, None)

            def stop(self):
                pass

            def close(self):
                pass

        return Stream()


def test_record_dialog_records_saves_and_hands_the_file_over(qtbot, tmp_path, operator_folder):
    import numpy as np

    from app.media.wav import read_wav
    from ui.mic_record import RecordDialog

    mic = _StandinMic()
    dialog = RecordDialog(loader=lambda: mic)
    qtbot.addWidget(dialog)
    dialog.show()
    got = []
    dialog.recorded.connect(got.append)
    assert not dialog.play_button.isEnabled()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    mic.streams[0].feed(15)  # 1.5 s spoken into the microphone
    qtbot.waitUntil(lambda: "1.5 / 60 秒" in dialog.meter.text(), timeout=2000)
    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    assert dialog.play_button.isEnabled() and "已录 1.5 秒" in dialog.meter.text()
    qtbot.mouseClick(dialog.play_button, Qt.MouseButton.LeftButton)
    assert len(got) == 1
    saved = Path(got[0])
    assert saved.parent == tmp_path / "data" / "recordings" and saved.suffix == ".wav"
    pcm = read_wav(saved)
    assert pcm.sample_rate == 16000 and len(pcm.samples) == 24000
    spectrum = np.abs(np.fft.rfft(pcm.samples.astype(np.float32)))
    assert abs(np.fft.rfftfreq(len(pcm.samples), 1 / 16000)[int(np.argmax(spectrum))] - 440) < 2
