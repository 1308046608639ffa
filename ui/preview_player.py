"""Playing a preview (试听) on the computer's default output, one at a time for the whole app,
polled from a GUI timer so nothing waits for the sound.

The preview opens its own SDL queue device (``app.audio.sdl.QueueDevice``) on the system default
output — the speakers or headphones the operator hears, not the stream's output — so it never
touches a live room's mixer in this process: SDL plays several devices at once. The device is
closed as soon as the preview ends or is stopped.
"""

from __future__ import annotations

import time

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtWidgets import QApplication

from app.logs import get_logger

log = get_logger("ui")


class PreviewPlayer(QObject):
    """Plays one WAV at a time on the default output, polled from a GUI timer."""

    finished = pyqtSignal(int, str)  # (preview, "" or what went wrong, in Chinese)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.preview: int | None = None
        self._device = None
        self._until = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._poll)
        self.played: list[tuple[str, float]] = []  # (file, seconds) of every sound started

    @property
    def playing(self) -> bool:
        return self.preview is not None

    def play(self, preview: int, wav_path: str, *, rate: int) -> str:
        """Start playing; "" or why it cannot play (Chinese)."""
        self.stop()
        try:
            from app.audio.sdl import QueueDevice
            from app.media.wav import read_wav

            samples = read_wav(wav_path, out_rate=rate).samples
            device = QueueDevice(None, rate)
            device.queue(samples.tobytes())
        except Exception as exc:  # no device, a driver error, a broken file
            log.warning("preview playback failed: %s", exc)
            return f"无法播放：{exc}（检查声卡；合成好的声音在 {wav_path}）"
        seconds = len(samples) / rate
        self.played.append((wav_path, seconds))
        self.preview, self._device = preview, device
        self._until = time.monotonic() + seconds + 2.0  # a driver that never drains its queue
        self._timer.start()
        return ""

    def stop(self) -> None:
        if self.preview is not None:
            self._end("")

    def _poll(self) -> None:
        from app.audio.sdl import PLAYING

        try:
            busy = self._device.queued_samples() > 0 and self._device.status() == PLAYING
        except Exception:  # the device went away under us
            busy = False
        if not busy or time.monotonic() > self._until:
            self._end("")

    def _end(self, error: str) -> None:
        preview, device, self.preview, self._device = self.preview, self._device, None, None
        self._timer.stop()
        if device is not None:
            try:
                device.clear()
                device.close()
            except Exception:
                log.debug("preview device close failed", exc_info=True)
        if preview is not None:
            self.finished.emit(preview, error)


_player: PreviewPlayer | None = None


def the_player() -> PreviewPlayer:
    global _player
    if _player is None:
        _player = PreviewPlayer(QApplication.instance())
    return _player
