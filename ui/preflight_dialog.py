"""开播前检查: the pre-flight checklist (issue 19.3), before 开播 and on demand.

``app.preflight.run_preflight`` runs on a plain thread (each check has its own deadline, the whole
at most ``timeout_s + GRACE_S``); its ``progress`` callback crosses into the GUI thread through a
queued signal, so every row turns from 检查中 to ✓/⚠/✗ as its check finishes while the window
keeps painting. The dialog is modal (the operator decides before anything else happens).

Before 开播: all checks ok → the dialog closes by itself and the room starts; any warning or
failure → the operator picks 仍然开播 (logged, with what was wrong) or 取消. On demand: the same
list with 重新检查 and 关闭.

While the checks run the dialog carries the dynamic property ``busy`` (True): there is nothing
to answer yet. The GUI tests' dialog answerer waits for it, as an operator does.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from pathlib import Path

from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.logs import get_logger
from app.preflight import run_preflight
from app.preflight.base import STATUS_ZH
from app.preflight.checks import CONFIG_TITLE
from app.preflight.runner import CHECKS, GRACE_S

log = get_logger("ui")

TIMEOUT_S = 5.0  # each check's deadline (the services' answers; the list is done within ~6.5 s)

#: key → title, in the order ``run_preflight`` returns them (rows exist before any result).
ROWS = (("config", CONFIG_TITLE),) + tuple((key, title) for key, title, _ in CHECKS)
MARK = {"ok": ("✓", "#15803d"), "warn": ("⚠", "#b45309"), "fail": ("✗", "#b91c1c"), "": ("…", "#6b7280")}


class _Relay(QObject):
    """Carries results from checking threads to the GUI thread (queued signals), tagged with the
    run they belong to. One for the app, made in the GUI thread and never deleted: a thread that
    outlives its dialog emits into nothing instead of into a deleted object."""

    one = pyqtSignal(int, object)  # (run, a Check as it finishes)
    done = pyqtSignal(int, object)  # (run, the whole list)
    broke = pyqtSignal(int, str)


_relay: _Relay | None = None
_runs = itertools.count(1)


def _the_relay() -> _Relay:
    global _relay
    if _relay is None:
        _relay = _Relay(QApplication.instance())
    return _relay


class _Row:
    def __init__(self, grid: QGridLayout, row: int, title: str):
        self.mark = QLabel()
        self.mark.setFixedWidth(28)
        self.mark.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.title = QLabel(f"<b>{title}</b>")
        self.title.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.fix = QLabel()
        self.fix.setWordWrap(True)
        self.fix.setObjectName("muted")
        self.fix.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fix.setTextFormat(Qt.TextFormat.PlainText)
        grid.addWidget(self.mark, 2 * row, 0, 2, 1)
        grid.addWidget(self.title, 2 * row, 1)
        grid.addWidget(self.detail, 2 * row, 2)
        grid.addWidget(self.fix, 2 * row + 1, 2)
        self.status = ""
        self.set_pending()

    def set_pending(self) -> None:
        self.status = ""
        self._mark("")
        self.detail.setText("检查中…")
        self.fix.hide()

    def set_check(self, check) -> None:
        self.status = check.status
        self._mark(check.status)
        self.detail.setText(check.detail)
        self.fix.setText(f"怎么办：{check.fix}" if check.fix and check.status != "ok" else "")
        self.fix.setVisible(bool(self.fix.text()))

    def _mark(self, status: str) -> None:
        sign, color = MARK[status]
        self.mark.setText(f"<span style='font-size:14pt;font-weight:bold;color:{color}'>{sign}</span>")
        self.mark.setToolTip(STATUS_ZH.get(status, "检查中"))


class PreflightDialog(QDialog):
    """``for_start``: shown by 开播 (仍然开播 / 取消; closes itself when all is well). Otherwise
    the on-demand checklist (重新检查 / 关闭). ``exec()`` returns Accepted when the room may
    start (all ok, or 仍然开播)."""

    def __init__(self, parent: QWidget | None, *, config_path: Path | str | None, demo: bool = False,
                 for_start: bool = True, timeout_s: float | None = None):
        super().__init__(parent)
        self.config_path = config_path
        self.demo = demo
        self.for_start = for_start
        # the demo needs no outside service: only a failure (no sound card …) stops its 开播
        self.ask_on = ("fail",) if demo else ("warn", "fail")
        self.timeout_s = TIMEOUT_S if timeout_s is None else timeout_s
        self.checks: list = []  # the last complete run
        self.continued_despite: list = []  # the warn/fail checks the operator started with (仍然开播)
        self.setWindowTitle("开播前检查")
        self.setModal(True)
        self._started_at = 0.0
        self._run: int | None = None  # the run whose results this dialog shows
        self._build()
        relay = _the_relay()
        relay.one.connect(self._one)
        relay.done.connect(self._done)
        relay.broke.connect(self._broke)
        self.run_checks()

    # ---- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        lay = QVBoxLayout(self)
        self.headline = QLabel()
        self.headline.setObjectName("pageTitle")
        self.headline.setWordWrap(True)
        lay.addWidget(self.headline)
        self.progress = QProgressBar()
        self.progress.setRange(0, len(ROWS))
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(8)
        lay.addWidget(self.progress)
        body = QWidget()
        grid = QGridLayout(body)
        grid.setColumnStretch(2, 1)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        self.rows = {key: _Row(grid, i, title) for i, (key, title) in enumerate(ROWS)}
        grid.setRowStretch(2 * len(ROWS), 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        lay.addWidget(scroll, 1)
        self.buttons = QDialogButtonBox()
        if self.for_start:
            self.go_b = self.buttons.addButton("仍然开播", QDialogButtonBox.ButtonRole.AcceptRole)
            self.go_b.setToolTip("知道有问题，仍然开始直播（会记录在日志里）")
            self.cancel_b = self.buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
            self.cancel_b.setToolTip("不开播，先去修正")
            self.go_b.clicked.connect(self._continue_anyway)
            self.again_b = None
        else:
            self.go_b = None
            self.again_b = self.buttons.addButton("重新检查", QDialogButtonBox.ButtonRole.ActionRole)
            self.again_b.clicked.connect(lambda: self.run_checks())
            self.cancel_b = self.buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel_b.clicked.connect(self.reject)
        lay.addWidget(self.buttons)
        self._tick = QTimer(self)
        self._tick.setInterval(200)
        self._tick.timeout.connect(self._show_elapsed)
        self.resize(760, 600)

    # ---- running -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._run is not None

    def run_checks(self) -> None:
        if self.running:
            return
        for row in self.rows.values():
            row.set_pending()
        self.progress.setValue(0)
        self.checks = []
        self._set_busy(True)
        run = self._run = next(_runs)
        relay = _the_relay()
        config_path, demo, timeout_s = self.config_path, self.demo, self.timeout_s

        def work() -> None:
            try:
                checks = run_preflight(config_path, demo=demo, timeout_s=timeout_s,
                                progress=lambda check: relay.one.emit(run, check))
                relay.done.emit(run, checks)
            except Exception as exc:  # the checks report their own faults; this is a bug
                log.exception("pre-flight could not run")
                relay.broke.emit(run, f"{type(exc).__name__}: {exc}")

        self._started_at = time.monotonic()
        self._show_elapsed()
        self._tick.start()
        threading.Thread(target=work, name="ui-preflight", daemon=True).start()

    def _set_busy(self, busy: bool) -> None:
        self.setProperty("busy", busy)
        if self.go_b is not None:
            self.go_b.setEnabled(False)  # enabled only for a finished list with problems
        if self.again_b is not None:
            self.again_b.setEnabled(not busy)

    def _show_elapsed(self) -> None:
        done = sum(1 for r in self.rows.values() if r.status)
        self.headline.setText(f"正在检查（{done}/{len(ROWS)}）… 已用 {time.monotonic() - self._started_at:.0f} 秒，"
                              f"最多 {math.ceil(self.timeout_s + GRACE_S)} 秒")

    def _forget_run(self) -> None:
        """The run in progress reports to nobody any more (finished, closed)."""
        self._run = None
        self._tick.stop()

    def _one(self, run: int, check) -> None:
        if run != self._run:
            return  # another dialog's run, or one this dialog stopped listening to
        row = self.rows.get(check.key)
        if row is not None:
            row.set_check(check)
        self.progress.setValue(sum(1 for r in self.rows.values() if r.status))

    def _done(self, run: int, checks: list) -> None:
        if run != self._run:
            return
        self._forget_run()
        self.checks = list(checks)
        for check in checks:
            if check.key in self.rows:
                self.rows[check.key].set_check(check)
        self.progress.setValue(len(ROWS))
        self._set_busy(False)
        fails = [c for c in checks if c.status == "fail"]
        warns = [c for c in checks if c.status == "warn"]
        if not fails and not warns:
            self.headline.setText("全部通过")
        if self.for_start and not any(c.status in self.ask_on for c in checks):
            log.info("开播前检查：%d 项通过%s", len(checks) - len(warns),
                     f"，{len(warns)} 项需要注意（演示模式照常开播）：{summary(warns)}" if warns else "")
            self.accept()
            return
        if not fails and not warns:
            return
        parts = ([f"{len(fails)} 项未通过"] if fails else []) + ([f"{len(warns)} 项需要注意"] if warns else [])
        tail = "。可以先修正再开播，也可以“仍然开播”" if self.for_start else ""
        self.headline.setText(f"<span style='color:{MARK['fail' if fails else 'warn'][1]}'>"
                              f"{'、'.join(parts)}</span>{tail}")
        if self.go_b is not None:
            self.go_b.setEnabled(True)

    def _broke(self, run: int, message: str) -> None:
        if run != self._run:
            return
        self._forget_run()
        self._set_busy(False)
        self.headline.setText(f"检查没能完成（{message}），详见日志页")
        if self.go_b is not None:
            self.go_b.setEnabled(True)

    # ---- answers -------------------------------------------------------------------------------

    def problems(self) -> list:
        return [c for c in self.checks if c.status != "ok"]

    def _continue_anyway(self) -> None:
        self.continued_despite = self.problems()
        what = "；".join(f"{STATUS_ZH[c.status]} {c.title}：{c.detail.splitlines()[0]}" for c in self.continued_despite)
        log.warning("开播前检查有 %d 项问题，运营者选择仍然开播：%s", len(self.continued_despite), what or "检查没能完成")
        self.accept()

    def reject(self) -> None:
        if self.for_start:
            log.info("开播前检查：运营者取消了开播%s", "（检查尚未完成）" if self.running else "")
        self._forget_run()
        super().reject()

    def done(self, result: int) -> None:
        relay = _the_relay()
        for signal, slot in ((relay.one, self._one), (relay.done, self._done), (relay.broke, self._broke)):
            try:
                signal.disconnect(slot)
            except TypeError:  # already disconnected (done twice)
                pass
        super().done(result)


def summary(checks: list) -> str:
    """What was wrong, in one line (for the notice after 仍然开播)."""
    return "、".join(f"{c.title}{'未通过' if c.status == 'fail' else '需注意'}" for c in checks if c.status != "ok")
