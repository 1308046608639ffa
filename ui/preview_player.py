"""Playing a preview (试听) on the computer's default output through ``pygame.mixer``, one at a
time for the whole app, polled from a GUI timer so nothing waits for the sound.

It shares the mixer with a live room in this process without disturbing it: the room's sink
(``PygameSink``) reserves channel 0 and a preview never takes a reserved channel. A mixer the
preview opened (at the output rate, mono, as the room's sink wants it) is closed again when the
preview ends, unless a room is on air — decided on the GUI thread, where 开播 happens too, so
the two cannot cross.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtWidgets import QApplication

from app.logs import get_logger

log = get_logger("ui")


class PreviewPlayer(QObject):
    """Plays one WAV at a time on the default output (pygame.mixer), polled from a GUI timer."""

    finished = pyqtSignal(int, str)  # (preview, "" or what went wrong, in Chinese)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.preview: int | None = None
        self.is_live: Callable[[], bool] = lambda: False
        self._channel = None
        self._owned = False  # the mixer was opened for a preview
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
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        try:
            import pygame

            from app.audio.wav import read_wav

            if pygame.mixer.get_init() is None:
                pygame.mixer.init(frequency=rate, size=-16, channels=1, buffer=512)
                self._owned = True
            freq, _size, channels = pygame.mixer.get_init()
            samples = read_wav(wav_path, out_rate=freq).samples
            if channels > 1:  # a mixer someone opened in stereo: the same sample on each side
                samples = samples.repeat(channels)
            sound = pygame.mixer.Sound(buffer=samples.tobytes())
            channel = pygame.mixer.find_channel(True)  # never a reserved one: the room's
            if channel is None:
                return "没有空闲的声音通道，请稍后再试"
            channel.play(sound)
        except Exception as exc:  # no device, a driver error, a broken file
            log.warning("preview playback failed: %s", exc)
            self._close_mixer()
            return f"无法播放：{exc}（检查声卡；合成好的声音在 {wav_path}）"
        seconds = len(samples) / channels / freq
        self.played.append((wav_path, seconds))
        self.preview, self._channel = preview, channel
        self._until = time.monotonic() + seconds + 2.0  # a driver that never reports the end
        self._timer.start()
        return ""

    def stop(self) -> None:
        if self.preview is None:
            return
        if self._channel is not None:
            try:
                self._channel.stop()
            except Exception:
                pass
        self._end("")

    def _poll(self) -> None:
        try:
            busy = self._channel is not None and self._channel.get_busy()
        except Exception:  # the mixer was closed under us
            busy = False
        if not busy or time.monotonic() > self._until:
            self._end("")

    def _end(self, error: str) -> None:
        preview, self.preview, self._channel = self.preview, None, None
        self._timer.stop()
        self._close_mixer()
        if preview is not None:
            self.finished.emit(preview, error)

    def _close_mixer(self) -> None:
        if not self._owned or self.is_live():
            return  # a room on air in this process may be using the mixer now
        try:
            import pygame

            pygame.mixer.quit()
        except Exception:
            pass
        self._owned = False


_player: PreviewPlayer | None = None


def the_player() -> PreviewPlayer:
    global _player
    if _player is None:
        _player = PreviewPlayer(QApplication.instance())
    return _player
