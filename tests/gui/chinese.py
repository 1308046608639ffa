"""Is a text the operator sees Chinese? Product names, numbers, units, addresses, file names,
config keys and a short list of technical names (Redis, GPT-SoVITS …) may appear in Latin
letters; an English word or sentence may not.

``shown_texts(root)`` collects what a window shows: labels, buttons, tooltips, titles, tab
texts, table headers, list and combo items, placeholders (not what the operator typed: text
boxes and table cells hold their data, not ours)."""

from __future__ import annotations

import re

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QTableWidget,
    QTabWidget,
    QWidget,
)

#: technical names that stay as they are in a Chinese UI
ALLOWED = {
    "websocket", "redis", "gpt", "sovits", "llm", "ai", "tts", "ollama", "ark", "espeak", "ng", "api",
    "config", "ini", "json", "txt", "wav", "csv", "log", "vip", "id", "ep", "url", "ms", "db", "dbfs", "mb",
    "hz", "khz", "vad", "webrtcvad", "pygame", "sounddevice", "ctrl", "ping", "pong", "token", "top", "qps",
    "dy", "barrage", "grab", "nul", "http", "https", "ws", "wss", "utf", "bom", "ssml", "cpu", "gpu", "ok",
    "pcm", "fps", "rpm", "tpm", "pid", "qt", "secuid", "userid", "excel", "mp3", "mp", "flac", "ogg", "portaudio",
}
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_NOT_WORDS = [
    re.compile(r"音色：[\w\-]+"),  # a voice's name ([voice.NAME]) is the operator's, like a product name
    re.compile(r"如 [A-Za-z0-9_\-]+"),  # an example of a name that must be typed in Latin letters
    re.compile(r"默认：\S*"),  # a default value is a config value, not a sentence
    re.compile(r"\[[\w.\-]+\]\s*[A-Za-z_]\w*(?:\s*=\s*[\w.\-]+)?"),  # a config key: [section] key = value
    re.compile(r"（[A-Za-z_][\w\-.]*）"),  # a config value after its Chinese name: 随机（shuffle）
    re.compile(r"\b[A-Za-z_]\w*="),  # a config value explained: shuffle=每轮打乱
    re.compile(r"\b\d+xx\b"),  # HTTP status classes: 5xx
    re.compile(r"\b[\w.\-]+(?:/[\w.\-]+)+"),  # relative paths
    re.compile(r"\w+://\S+"),  # addresses
    re.compile(r"(?:[A-Za-z]:)?[/\\][^\s，。：；）]+"),  # paths
    re.compile(r"\$\{[^}]*\}"),  # template variables
    re.compile(r"\[[\w.\-]+\]"),  # [section]
    re.compile(r"\b\w+(?:\.\w+)+\b"),  # file names, dotted names (config.ini, voice.default)
    re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b"),  # environment variables (ARK_API_KEY)
    re.compile(r"<[^>]+>"),  # rich-text tags
    re.compile(r"&\w+;"),
]


def english_in(text: str, allowed: set[str] = frozenset()) -> list[str]:
    """The English words in ``text`` that should have been Chinese (empty when it is fine)."""
    rest = text
    for pattern in _NOT_WORDS:
        rest = pattern.sub(" ", rest)
    words = re.findall(r"[A-Za-z]{2,}", rest)
    return [w for w in words if w.lower() not in ALLOWED and w not in allowed]


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", " ", text).replace("&nbsp;", " ")


def shown_texts(root: QWidget) -> list[tuple[str, str]]:
    """(where, text) of everything ``root`` and its children show."""
    out: list[tuple[str, str]] = []

    def add(where: str, text: str) -> None:
        if text and text.strip():
            out.append((where, text))

    for w in [root, *root.findChildren(QWidget)]:
        name = type(w).__name__
        add(f"{name} tooltip", _plain(w.toolTip()))
        if w.isWindow():
            add(f"{name} title", w.windowTitle())
        if isinstance(w, QLabel):
            add("label", _plain(w.text()))
        elif isinstance(w, QAbstractButton):
            add("button", w.text())
        elif isinstance(w, QGroupBox):
            add("group", w.title())
        elif isinstance(w, (QLineEdit, QPlainTextEdit)):
            add(f"{name} placeholder", w.placeholderText())
        elif isinstance(w, QComboBox) and not w.property("system_names"):  # (device names are the system's)
            for i in range(w.count()):
                add("combo item", w.itemText(i))
        elif isinstance(w, QTabWidget):
            for i in range(w.count()):
                add("tab", w.tabText(i))
                add("tab tooltip", w.tabToolTip(i))
        elif isinstance(w, QTableWidget):
            for c in range(w.columnCount()):
                item = w.horizontalHeaderItem(c)
                add("table header", item.text() if item else "")
        elif isinstance(w, QListWidget):
            for i in range(w.count()):
                add("list item", w.item(i).text())
                add("list item tooltip", w.item(i).toolTip())
        model = getattr(w, "model", None)
        if callable(model) and not isinstance(w, (QTableWidget, QListWidget, QComboBox)):
            m = model()
            if m is not None and hasattr(m, "headerData") and hasattr(m, "columnCount"):
                try:
                    cols = m.columnCount()
                except TypeError:
                    cols = 0
                for c in range(cols):
                    add("view header", str(m.headerData(c, Qt.Orientation.Horizontal) or ""))
    return out


def not_chinese(items, allowed: set[str] = frozenset()) -> list[str]:
    bad = []
    for where, text in items:
        words = english_in(text, allowed)
        if words:
            bad.append(f"{where}: {text[:120]!r} ({', '.join(words[:5])})")
    return sorted(set(bad))
