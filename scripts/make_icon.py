"""Draw the app icon (scripts/app.ico, 256×256) that build.spec gives the Windows executables.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_icon.py

Drawn with shapes only (no font), so it looks the same on every machine: a red disc with a white
"play" triangle and two sound waves — a live stream that speaks.
"""

from __future__ import annotations

import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "app.ico"


def draw(size: int = 256):
    from PyQt6.QtCore import QPointF, QRectF, Qt
    from PyQt6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 256
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#e53935"))
    p.drawEllipse(QRectF(8 * s, 8 * s, 240 * s, 240 * s))
    triangle = QPainterPath(QPointF(78 * s, 70 * s))
    triangle.lineTo(QPointF(78 * s, 186 * s))
    triangle.lineTo(QPointF(158 * s, 128 * s))
    triangle.closeSubpath()
    p.setBrush(QColor("white"))
    p.drawPath(triangle)
    pen = QPen(QColor("white"), 14 * s)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    for radius in (36, 62):  # arcs to the right of the triangle, centred on its tip
        box = QRectF((150 - radius) * s, (128 - radius) * s, 2 * radius * s, 2 * radius * s)
        p.drawArc(box, -45 * 16, 90 * 16)
    p.end()
    return image


def main() -> int:
    from PyQt6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - image plugins need an application
    if not draw().save(str(OUT), "ICO"):
        print(f"cannot write {OUT} (is the Qt 'ico' image plugin available?)", file=sys.stderr)
        return 1
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
