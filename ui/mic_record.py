"""录音插播: a short recording from the microphone, saved as a WAV in ``data/recordings/`` and
played like any 插播音频 file. Where there is no microphone (or no PortAudio) the operator gets a
clear Chinese message instead of a dialog that cannot work.

Recording runs in PortAudio's own callback thread (``sounddevice.InputStream``); the dialog only
polls the collected blocks' level and length with a timer, and stops at ``MAX_SECONDS``.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QTimer, pyqtSignal
from PyQt6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from app import paths
from app.logs import get_logger
from app.media.wav import write_wav
from ui.progress_strip import ProgressStrip

log = get_logger("ui")

MAX_SECONDS = 60.0
NO_PORTAUDIO = ("这台电脑上无法使用麦克风录音（缺少录音组件 PortAudio，详情见日志）。"
                "可以先用其他软件录好，再用“插播音频文件…”播放。")
NO_MICROPHONE = ("没有找到麦克风（录音设备）。请插上麦克风，并在系统的声音设置里启用它，然后再试；"
                 "也可以用“插播音频文件…”播放录好的文件。")


def _sounddevice():
    import sounddevice

    return sounddevice


def mic_problem(loader=_sounddevice) -> str | None:
    """Why the microphone cannot be used here (Chinese, says what to do), or None."""
    try:
        sd = loader()
    except (ImportError, OSError) as exc:
        log.warning("microphone recording unavailable: %s", exc or type(exc).__name__)
        return NO_PORTAUDIO
    try:
        device = sd.query_devices(kind="input")
    except Exception:  # PortAudioError / ValueError: no default input device
        return NO_MICROPHONE
    if not device or int(device.get("max_input_channels", 0)) < 1:
        return NO_MICROPHONE
    return None


def recordings_dir() -> Path:
    return paths.data_dir() / "recordings"


class MicRecording:
    """Collects mono float32 blocks from the default input device."""

    def __init__(self, loader=_sounddevice):
        sd = loader()
        info = sd.query_devices(kind="input")
        self.rate = int(info.get("default_samplerate") or 44100)
        self._blocks: list[np.ndarray] = []
        self._lock = threading.Lock()
        self.level = 0.0
        self._stream = sd.InputStream(samplerate=self.rate, channels=1, dtype="float32", callback=self._on_block)

    def _on_block(self, data, frames, _time, _status) -> None:
        block = np.array(data[:, 0], dtype=np.float32)
        with self._lock:
            self._blocks.append(block)
        self.level = float(np.sqrt(np.mean(block ** 2))) if len(block) else 0.0

    def start(self) -> None:
        self._stream.start()

    def seconds(self) -> float:
        with self._lock:
            return sum(len(b) for b in self._blocks) / self.rate

    def stop(self) -> np.ndarray:
        try:
            self._stream.stop()
        finally:
            self._stream.close()
        with self._lock:
            return np.concatenate(self._blocks) if self._blocks else np.zeros(0, np.float32)


def save_recording(samples: np.ndarray, rate: int, folder: Path | None = None) -> Path:
    folder = folder or recordings_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / time.strftime("录音-%Y%m%d-%H%M%S.wav")
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype(np.int16)
    write_wav(path, pcm, rate)
    return path


class RecordDialog(QDialog):
    """开始录音 → 停止 → 插播 (or 取消). ``recorded(path)`` is emitted for 插播."""

    recorded = pyqtSignal(str)

    def __init__(self, parent=None, *, loader=_sounddevice):
        super().__init__(parent)
        self.setWindowTitle("录音插播")
        self._loader = loader
        self._rec: MicRecording | None = None
        self._samples: np.ndarray | None = None
        self._rate = 0
        lay = QVBoxLayout(self)
        self.hint = QLabel(f"点“开始录音”后对着麦克风说话，最长 {MAX_SECONDS:.0f} 秒；停止后点“插播”。")
        self.hint.setWordWrap(True)
        self.meter = ProgressStrip()
        self.start_button = QPushButton("开始录音")
        self.stop_button = QPushButton("停止")
        self.play_button = QPushButton("插播")
        self.play_button.setObjectName("primary")
        self.cancel_button = QPushButton("取消")
        row = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.play_button, self.cancel_button):
            row.addWidget(b)
        lay.addWidget(self.hint)
        lay.addWidget(self.meter)
        lay.addLayout(row)
        self.stop_button.setEnabled(False)
        self.play_button.setEnabled(False)
        self.start_button.clicked.connect(self._start)
        self.stop_button.clicked.connect(self._stop)
        self.play_button.clicked.connect(self._play)
        self.cancel_button.clicked.connect(self.reject)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)

    def _start(self) -> None:
        try:
            self._rec = MicRecording(self._loader)
            self._rec.start()
        except Exception as exc:  # the device vanished between the check and now
            self._rec = None
            self.hint.setText(f"无法开始录音：{exc}。请检查麦克风后重试。")
            return
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.play_button.setEnabled(False)
        self._timer.start(100)

    def _tick(self) -> None:
        if self._rec is None:
            return
        seconds = self._rec.seconds()
        self.meter.set_progress(min(1.0, self._rec.level * 4), f"{seconds:.1f} / {MAX_SECONDS:.0f} 秒")
        if seconds >= MAX_SECONDS:
            self._stop()

    def _stop(self) -> None:
        self._timer.stop()
        if self._rec is None:
            return
        rec, self._rec = self._rec, None
        self._samples, self._rate = rec.stop(), rec.rate
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.play_button.setEnabled(len(self._samples) > 0)
        self.start_button.setText("重新录音")
        self.meter.set_progress(0.0, f"已录 {len(self._samples) / max(1, self._rate):.1f} 秒")

    def _play(self) -> None:
        if self._samples is None or not len(self._samples):
            return
        path = save_recording(self._samples, self._rate)
        self.recorded.emit(str(path))
        self.accept()

    def reject(self) -> None:
        self._timer.stop()
        if self._rec is not None:
            try:
                self._rec.stop()
            except Exception:
                pass
            self._rec = None
        super().reject()
