"""试听: hear a voice from its settings page before going live (issue 19.7).

Each ``[voice.NAME]`` page has a ``VoicePreview`` row: a sample line (editable), 试听, and what
happened. The line is synthesised by ``app.tts.preview.synthesize_line`` — the real route
(GPT-SoVITS with check, rotation and the espeak-ng fallback) behind the same cross-process
server lock as the live room, so a preview waits its turn instead of competing with the room —
on a plain thread, and played on the computer's default output (``ui.preview_player``).
The page says which route spoke and, when the offline voice spoke instead, why.

The settings on screen are what is heard: unsaved edits of valid values are used, and the voice
is heard even when it is not (yet) in the rotation. The window never waits: the synthesis has
the TTS stage's own deadline, shows how long it has waited, and 取消 drops it.

One preview plays at a time in the app (a new 试听 stops the one before); playback is
``ui.preview_player``.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtWidgets import QApplication, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.logs import get_logger
from app.tts.client import KIND_TEXT
from ui.preview_player import the_player

log = get_logger("ui")

SAMPLE_LINE = "欢迎来到直播间，今天给大家带来一款好物。"
LIVE_WARNING = ("正在直播中：试听的声音会从这台电脑的默认声卡播放。如果直播伴侣采集的正是这块声卡，"
                "观众也会听到。合成时会和直播间轮流使用 GPT-SoVITS 服务器。")

Synth = Callable[..., tuple]  # synthesize_line's signature


def _synthesize_line(*args, **kwargs) -> tuple:
    from app.tts.preview import synthesize_line

    return synthesize_line(*args, **kwargs)


# ---- what the operator reads ----------------------------------------------------------------


def route_zh(route: str) -> str:
    """``gptsovits:http://host:port#voice`` / ``cache:gptsovits#voice`` / ``espeak`` (comma-joined
    per sentence) in words."""
    parts = []
    for r in dict.fromkeys(route.split(",")):
        if r == "espeak":
            parts.append("离线声音（espeak-ng，机器人声音）")
        elif r.startswith("cache:gptsovits#"):  # synthesised before with the same settings
            parts.append(f"GPT-SoVITS（音色：{r.rsplit('#', 1)[1]}，这句话之前合成过，直接用了缓存，没有连接服务器）")
        elif r.startswith("gptsovits:") and "#" in r:
            url, voice = r[len("gptsovits:"):].rsplit("#", 1)
            parts.append(f"GPT-SoVITS（服务器 {url.split('://', 1)[-1].rstrip('/')}，音色：{voice}）")
        elif r:
            parts.append(r)
    return " 和 ".join(parts)


_ZH_IN_PARENS = re.compile(r"\(([^()]*[\u4e00-\u9fff][^()]*)\)")


def why_zh(why: str) -> str:
    """Why the fallback spoke (or nothing could be said), from the TTS stage's reason: its
    Chinese parts (the cause, each attempt's kind of failure), in order, without repeats. The
    whole technical text goes to the tooltip and the log."""
    if not why:
        return ""
    found = _ZH_IN_PARENS.findall(why)
    found += [zh for zh in KIND_TEXT.values() if zh in why]
    if "ref_audio is empty" in why:
        found.append("参考音频 ref_audio 没有填写")
    return "；".join(dict.fromkeys(found)) or "详见日志页"


# ---- the settings on screen as a snapshot ---------------------------------------------------


def snapshot_with_edits(store: Any, fields: dict, voice: str) -> tuple[Any, list[str]]:
    """The config as the form shows it: the file's values, the unsaved edits that are valid, and
    ``voice`` enabled and the only voice of the rotation (it is heard even if it is not in
    [tts] voices yet). Returns (snapshot, names of unsaved edits left out because invalid)."""
    values, skipped = {}, []
    for (section, key), field in fields.items():
        if field.option.secret or not field.dirty:
            continue
        try:
            values[(section, key)] = field.option.type.parse(field.text())
        except ValueError:
            skipped.append(field.option.zh.split("（")[0])
    values[("tts", "voices")] = (voice,)
    values[(f"voice.{voice}", "enabled")] = True
    return store.on_disk.replace(values), skipped


# ---- threads → GUI ----------------------------------------------------------------------------


class _Relay(QObject):
    """Synthesis results to the GUI thread, tagged with the preview they belong to. One for the
    app, never deleted: a thread that outlives its page emits into nothing."""

    result = pyqtSignal(int, object)  # (preview, (wav_path, route, why) or an exception)


_relay: _Relay | None = None
_previews = itertools.count(1)


def _the_relay() -> _Relay:
    global _relay
    if _relay is None:
        _relay = _Relay(QApplication.instance())
    return _relay


# ---- the row on a voice page ------------------------------------------------------------------


class VoicePreview(QWidget):
    """试听 for one voice. ``snapshot()`` → (config snapshot to synthesise with, skipped edits);
    ``is_live()`` says whether a room is on air (then the operator is warned first)."""

    def __init__(self, voice: str, snapshot: Callable[[], tuple[Any, list[str]]], *,
                 is_live: Callable[[], bool] = lambda: False, synth: Synth = _synthesize_line,
                 confirm_live: Callable[[QWidget, str], bool] | None = None, parent=None):
        super().__init__(parent)
        self.voice = voice
        self.snapshot = snapshot
        self.is_live = is_live
        self.synth = synth
        self.confirm_live = confirm_live or _confirm_live
        self.preview: int | None = None  # the synthesis or playback this row waits for
        self.result: tuple | None = None  # (wav_path, route, why) of the last one
        self._cancel: threading.Event | None = None
        self._rate = 0
        self._started = 0.0
        self._waited = QTimer(self)
        self._waited.setInterval(500)
        self._waited.timeout.connect(self._show_waiting)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.line = QLineEdit(SAMPLE_LINE)
        self.line.setPlaceholderText("要试听的一句话")
        self.line.setToolTip("试听时合成的句子，可以改成你常说的话")
        self.button = QPushButton("▶ 试听")
        self.button.setToolTip("用这个音色（包括还没保存的修改）合成上面这句话并从电脑的默认声卡播放")
        self.button.clicked.connect(lambda: self.toggle())
        row.addWidget(self.line, 1)
        row.addWidget(self.button)
        lay.addLayout(row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setObjectName("muted")
        lay.addWidget(self.status)
        _the_relay().result.connect(self._synthesised)
        the_player().finished.connect(self._played)

    @property
    def busy(self) -> bool:
        return self.preview is not None

    def toggle(self) -> None:
        if self.busy:
            self.cancel()
        else:
            self.start()

    def start(self) -> None:
        text = self.line.text().strip()
        if not text:
            self._say("请先在左边填一句要试听的话", error=True)
            return
        try:
            snap, skipped = self.snapshot()
        except Exception as exc:
            log.exception("preview settings could not be read")
            self._say(f"无法试听：读取设置出错（{exc}）", error=True)
            return
        if not str(snap.get(f"voice.{self.voice}", "ref_audio") or "").strip():
            self._say("无法试听：这个音色还没有填写“参考音频路径”（ref_audio），GPT-SoVITS 需要它才能用这个音色说话",
                      error=True)
            return
        if self.is_live() and not self.confirm_live(self, LIVE_WARNING):
            return
        player = the_player()
        player.stop()  # one preview at a time
        self.preview = preview = next(_previews)
        self._cancel = cancel = threading.Event()
        self._rate = int(snap.get("audio", "sample_rate"))
        self._timeout_s = float(snap.get("tts", "request_timeout_s"))
        self._skipped = skipped
        self._started = time.monotonic()
        self.result = None
        self.button.setText("取消")
        self._show_waiting()
        self._waited.start()
        relay, synth, voice = _the_relay(), self.synth, self.voice
        log.info("试听 %s：%s", voice, text)

        def work() -> None:
            try:
                got: object = synth(snap, text, voice)
            except Exception as exc:  # a config without this voice (ValueError), a bug
                got = exc
            if cancel.is_set():  # nobody waits for it: leave no file behind
                if isinstance(got, tuple) and got[0]:
                    Path(got[0]).unlink(missing_ok=True)
                return
            relay.result.emit(preview, got)

        threading.Thread(target=work, name="ui-voice-preview", daemon=True).start()

    def cancel(self) -> None:
        if self.preview is None:
            return
        if the_player().preview == self.preview:
            the_player().stop()  # → _played
            return
        if self._cancel is not None:
            self._cancel.set()
        self.preview = None
        self._idle()
        self._say("已取消试听")

    # ---- results -------------------------------------------------------------------------------

    def _synthesised(self, preview: int, got: object) -> None:
        if preview != self.preview:
            return
        self._waited.stop()
        took = time.monotonic() - self._started
        if isinstance(got, BaseException):
            self.preview = None
            self._idle()
            log.error("试听 %s 失败：%s: %s", self.voice, type(got).__name__, got)
            self._say("无法试听：这个音色的设置不能用，详见日志页" if isinstance(got, ValueError)
                      else "试听出错，详见日志页", error=True, tip=str(got))
            return
        wav_path, route, why = got
        self.result = (wav_path, route, why)
        if not wav_path:
            self.preview = None
            self._idle()
            log.warning("试听 %s 没有合成出声音：%s", self.voice, why)
            self._say(f"没有合成出声音（{took:.0f} 秒）：{why_zh(why)}", error=True, tip=why)
            return
        spoken = route_zh(route)
        if "espeak" in route.split(","):
            log.warning("试听 %s 由离线声音说出：%s", self.voice, why)
            text = f"⚠ 由{spoken}代替说出（{took:.1f} 秒）。GPT-SoVITS 没有说话的原因：{why_zh(why)}"
        else:
            log.info("试听 %s 由 %s 说出（%.1f 秒）", self.voice, route, took)
            text = f"✓ 由{spoken}说出（合成用了 {took:.1f} 秒）"
        if self._skipped:
            text += f"。注意：未保存的 {'、'.join(self._skipped)} 填写有误，试听用的是已保存的值"
        problem = the_player().play(preview, wav_path, rate=self._rate)
        if problem:
            self.preview = None
            self._idle()
            self._say(f"{text}。{problem}", error=True, tip=why)
            return
        self.button.setText("■ 停止")
        self._say(f"{text}，正在播放…", error="espeak" in route.split(","), tip=why)

    def _played(self, preview: int, error: str) -> None:
        if preview != self.preview:
            return
        self.preview = None
        self._idle()
        text = self.status.text().removesuffix("，正在播放…")
        self._say(f"{text}。{error}" if error else text, error=bool(error) or text.startswith("⚠"),
                  tip=self.status.toolTip())

    # ---- showing -------------------------------------------------------------------------------

    def _show_waiting(self) -> None:
        waited = time.monotonic() - self._started
        slow = (f"；GPT-SoVITS 单次最多等 {self._timeout_s:.0f} 秒，没有回应就换离线声音"
                if waited > 3 else "")
        self._say(f"正在合成…已等 {waited:.0f} 秒{slow}（可以点“取消”）")

    def _idle(self) -> None:
        self._waited.stop()
        self.button.setText("▶ 试听")

    def _say(self, text: str, *, error: bool = False, tip: str = "") -> None:
        self.status.setText(text)
        self.status.setToolTip(tip)
        self.status.setStyleSheet("color:#b45309" if error else "")


def _confirm_live(parent: QWidget, text: str) -> bool:
    from ui.dialogs import confirm

    return confirm(parent, "正在直播", text, "仍然试听", warning=True)
