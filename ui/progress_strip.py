"""A progress bar for the now-playing item that repaints lazily.

QProgressBar.setValue repaints synchronously, inside the call. The dashboard moves the bar ten
times a second, and a synchronous paint runs while the GUI thread holds the GIL, so every
stage thread waits for it; under a busy feed that was the GUI thread's biggest cost. This strip
only schedules a paint (``update()``), which Qt folds into the next frame with everything else.
"""

from __future__ import annotations

from PyQt6.QtCore import QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QPainter
from PyQt6.QtWidgets import QSizePolicy, QWidget

TRACK = QColor("#e5e7eb")
FILL = QColor("#2563eb")
TEXT = QColor("#111827")


class ProgressStrip(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._fraction = 0.0
        self._text = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_progress(self, fraction: float, text: str) -> None:
        fraction = max(0.0, min(1.0, fraction))
        if abs(fraction - self._fraction) < 0.001 and text == self._text:
            return
        self._fraction, self._text = fraction, text
        self.update()

    def fraction(self) -> float:
        return self._fraction

    def text(self) -> str:
        return self._text

    def sizeHint(self) -> QSize:
        return QSize(240, self.fontMetrics().height() + 10)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        track = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(TRACK)
        p.drawRoundedRect(track, 4, 4)
        if self._fraction > 0:
            filled = QRectF(track)
            filled.setWidth(max(8.0, track.width() * self._fraction))
            p.setBrush(FILL)
            p.drawRoundedRect(filled, 4, 4)
        if self._text:
            split = track.left() + track.width() * self._fraction
            p.setPen(TEXT)
            p.drawText(track, Qt.AlignmentFlag.AlignCenter, self._text)
            p.setClipRect(QRectF(track.left(), track.top(), split - track.left(), track.height()))
            p.setPen(QColor("white"))  # the part of the text over the filled bar stays readable
            p.drawText(track, Qt.AlignmentFlag.AlignCenter, self._text)
        p.end()
