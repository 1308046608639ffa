"""Syntax colours for variant templates: ``{``/``|``/``}`` by nesting depth, ``${var}``,
escapes. The nesting depth at the end of each line is carried to the next line as the block
state, so a group that spans lines is coloured correctly."""

from __future__ import annotations

import re

from PyQt6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat

_TOKENS = re.compile(r"\\[{}|\\$]|\$\{[^{}|\n]*\}?|[{}|]")

DEPTH_COLORS = ("#2563eb", "#9333ea", "#0d9488", "#c2410c")


def _fmt(color: str, *, bold: bool = False, background: str | None = None) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(QFont.Weight.Bold)
    if background:
        f.setBackground(QColor(background))
    return f


class VariantHighlighter(QSyntaxHighlighter):
    def __init__(self, document):
        super().__init__(document)
        self.brace = [_fmt(c, bold=True) for c in DEPTH_COLORS]
        self.inside = [_fmt(c) for c in DEPTH_COLORS]
        self.var = _fmt("#be123c", bold=True, background="#ffe4e6")
        self.escape = _fmt("#6b7280")

    def highlightBlock(self, text: str) -> None:
        depth = max(0, self.previousBlockState())
        # Qt positions are UTF-16 units; map Python indexes through this table.
        units = _utf16_offsets(text)
        last = 0
        for m in _TOKENS.finditer(text):
            if depth and m.start() > last:  # plain text inside a group
                self._apply(units, last, m.start(), self.inside[(depth - 1) % len(self.inside)])
            tok = m.group()
            if tok.startswith("\\"):
                self._apply(units, m.start(), m.end(), self.escape)
            elif tok.startswith("${"):
                self._apply(units, m.start(), m.end(), self.var)
            elif tok == "{":
                depth += 1
                self._apply(units, m.start(), m.end(), self.brace[(depth - 1) % len(self.brace)])
            elif tok == "}":
                if depth:
                    self._apply(units, m.start(), m.end(), self.brace[(depth - 1) % len(self.brace)])
                depth = max(0, depth - 1)
            elif tok == "|" and depth:
                self._apply(units, m.start(), m.end(), self.brace[(depth - 1) % len(self.brace)])
            last = m.end()
        if depth and last < len(text):
            self._apply(units, last, len(text), self.inside[(depth - 1) % len(self.inside)])
        self.setCurrentBlockState(depth)

    def _apply(self, units: list[int], start: int, end: int, fmt: QTextCharFormat) -> None:
        self.setFormat(units[start], units[end] - units[start], fmt)


def _utf16_offsets(text: str) -> list[int]:
    out = [0]
    for ch in text:
        out.append(out[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return out


def utf16_col(line_text: str, col: int) -> int:
    """A 1-based code-point column as a 0-based UTF-16 offset within the line."""
    return _utf16_offsets(line_text[: max(0, col - 1)])[-1]
