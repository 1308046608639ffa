"""插播 on the dashboard: say a typed line now, play an audio file or a microphone recording at
the chosen priority, skip what is playing, clear the queue.

Its own widget because it is the dashboard's one input row: everything else there shows what
the room does. Commands go through ``Controls`` and return at once; what the operator should
know (a file submitted, no microphone) goes out on ``notice`` to the window's notice bar.

The buttons work only while the room is live (``set_live``; before that nothing would take the
command): disabled with the tooltip 开播后可用. The text field stays open so a line can be typed
ahead; Enter while not live, or a command the runtime refuses, says so in a notice and keeps
the text.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLineEdit, QPushButton

from app.events import Priority
from ui.controls import NOT_LIVE, Controls
from ui.mic_record import RecordDialog, mic_problem
from ui.texts import SKIP_TIP

AUDIO_FILTER = "音频文件 (*.wav *.mp3 *.flac *.ogg *.oga *.aiff *.aif);;所有文件 (*)"

SAY_NOW_PRIORITIES = (
    ("紧急（立即打断）", int(Priority.EMERGENCY)),
    ("重要（大礼物级）", int(Priority.GIFT_LARGE)),
    ("普通回复", int(Priority.COMMENT_IMPORTANT)),
    ("排队（不打断）", int(Priority.NORMAL)),
)


class SayNowPanel(QGroupBox):
    notice = pyqtSignal(str, str)  # level, Chinese message (the window's notice bar)

    def __init__(self, controls: Controls, parent=None):
        super().__init__("插播", parent)
        self.controls = controls
        self._last_dir = ""
        sl = QHBoxLayout(self)
        self.say_text = QLineEdit()
        self.say_text.setPlaceholderText("输入要立即播报的话，回车发送（也会经过合规过滤）")
        self.say_priority = QComboBox()
        for label, value in SAY_NOW_PRIORITIES:
            self.say_priority.addItem(label, value)
        self.say_button = QPushButton("插播")
        self.say_button.setObjectName("primary")
        self.file_button = QPushButton("插播音频文件…")
        self.mic_button = QPushButton("录音插播…")
        self.skip_button = QPushButton("跳过当前")
        self.clear_button = QPushButton("清空队列")
        self._tips = {
            self.say_button: "把输入框里的话按左边选的优先级立即播报",
            self.file_button: "选择一个音频文件（WAV、MP3、FLAC、OGG），按左边选的优先级插播",
            self.mic_button: "用麦克风录一段话（最长 60 秒）再插播",
            self.skip_button: SKIP_TIP,
            self.clear_button: "清空播放队列里还没播的内容（正在播放的这一句播完）",
        }
        sl.addWidget(self.say_text, 1)
        sl.addWidget(self.say_priority)
        sl.addWidget(self.say_button)
        sl.addWidget(self.file_button)
        sl.addWidget(self.mic_button)
        sl.addSpacing(12)
        sl.addWidget(self.skip_button)
        sl.addWidget(self.clear_button)
        self.say_button.clicked.connect(self._say_now)
        self.say_text.returnPressed.connect(self._say_now)
        self.file_button.clicked.connect(self._play_file)
        self.mic_button.clicked.connect(self._record)
        self.skip_button.clicked.connect(lambda: self._sent(self.controls.skip(), "跳过当前"))
        self.clear_button.clicked.connect(lambda: self._sent(self.controls.clear_queue(), "清空队列"))
        self.set_live(False)

    def set_live(self, live: bool) -> None:
        """开播 / 停止: the commands work only while the room is live."""
        self.live = live
        for button, tip in self._tips.items():
            button.setEnabled(live)
            button.setToolTip(tip if live else f"开播后可用。{tip}")

    def _sent(self, sent: bool, what: str) -> bool:
        """A command the room could not take is said, never dropped silently."""
        if not sent:
            self.notice.emit("warning", NOT_LIVE.format(what=what))
        return sent

    def _say_now(self) -> None:
        text = self.say_text.text().strip()
        if not text:
            return
        if not self.live:  # Enter in the field while not live: the text stays for later
            self._sent(False, "插播")
            return
        if self._sent(self.controls.say_now(text, int(self.say_priority.currentData())), "插播"):
            self.say_text.clear()

    def _play_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "选择要插播的音频文件", self._last_dir, AUDIO_FILTER)
        if not path:
            return
        self._last_dir = str(Path(path).parent)
        if self._sent(self.controls.play_file(path, Path(path).stem, int(self.say_priority.currentData())),
                      f"插播音频（{Path(path).name}）"):
            self.notice.emit("info", f"已提交插播音频：{Path(path).name}")

    def _record(self) -> None:
        problem = mic_problem()
        if problem:
            self.notice.emit("warning", problem)
            return
        dialog = RecordDialog(self)
        dialog.recorded.connect(lambda path: self._sent(self.controls.play_file(
            path, "录音", int(self.say_priority.currentData())), "录音插播"))
        dialog.open()
