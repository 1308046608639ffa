"""Building the runtime off the GUI thread and starting/stopping it there too.

``build_runtime`` may take a second (embedded Redis, word lists) and ``start`` a few more (the
runtime's own process); ``RuntimeHost`` runs them on plain threads and reports back with queued
signals, so the window stays responsive the whole time.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from app.logs import get_logger

log = get_logger("ui")


def build_runtime(config_path: Path | None, demo: bool) -> Any:
    """The runtime in its own process on a Redis bus, in this one on the memory bus
    (``app.runtime_process.open_runtime``)."""
    from app.runtime_process import open_runtime

    return open_runtime(config_path, demo=demo)


class RuntimeHost(QObject):
    built = pyqtSignal(object)  # the runtime
    build_failed = pyqtSignal(str)
    started = pyqtSignal()
    stopped = pyqtSignal()
    failed = pyqtSignal(str)  # start/stop failed; the message is for the operator
    busy = pyqtSignal(bool)

    def __init__(self, parent=None, *, factory=build_runtime):
        super().__init__(parent)
        self.factory = factory
        self.runtime: Any | None = None
        self._thread: threading.Thread | None = None

    @property
    def working(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _spawn(self, name: str, fn) -> bool:
        if self.working:
            return False
        self.busy.emit(True)

        def run():
            try:
                fn()
            finally:
                self.busy.emit(False)

        self._thread = threading.Thread(target=run, name=f"ui-{name}", daemon=True)
        self._thread.start()
        return True

    def build(self, config_path: Path | None, demo: bool) -> bool:
        old = self.runtime

        def work():
            if old is not None:
                try:
                    old.close()
                except Exception:
                    log.exception("closing the previous runtime failed")
            try:
                rt = self.factory(config_path, demo)
            except Exception as exc:
                log.exception("runtime could not be built")
                self.build_failed.emit(f"{exc}（详见日志页）")
                return
            if hasattr(rt, "on_exit"):  # a runtime process that dies is reported, not hidden
                rt.on_exit = self._runtime_exited
            self.runtime = rt
            self.built.emit(rt)

        return self._spawn("build", work)

    def _runtime_exited(self, message: str) -> None:
        log.error("%s", message)
        lines = message.splitlines()
        why = lines[0] + (f" … {lines[-1]}" if len(lines) > 1 else "")
        self.failed.emit(f"直播进程意外退出，已停止播出，请查看日志后重新开播。{why}")
        self.stopped.emit()

    def start(self) -> bool:
        rt = self.runtime

        def work():
            try:
                rt.start()
            except Exception as exc:
                log.exception("start failed")
                self.failed.emit(start_failure_zh(exc))
                return
            self.started.emit()

        return rt is not None and self._spawn("start", work)

    def stop(self) -> bool:
        rt = self.runtime

        def work():
            try:
                rt.stop()
            except Exception as exc:
                log.exception("stop failed")
                self.failed.emit(f"停止时出错，详见日志页（{exc}）")
            try:
                rt.config.start_watching()  # settings keep following config.ini while stopped
            except Exception:
                pass
            self.stopped.emit()

        return rt is not None and self._spawn("stop", work)

    def shutdown(self, timeout: float = 3.0) -> None:
        """Called on window close: stop and close the runtime, waiting at most ``timeout``."""
        if self._thread is not None:
            self._thread.join(timeout)
        rt, self.runtime = self.runtime, None
        if rt is None:
            return
        t = threading.Thread(target=rt.close, name="ui-close", daemon=True)
        t.start()
        t.join(timeout)
        if t.is_alive() and hasattr(rt, "kill"):  # a runtime process that hangs must not outlive us
            log.warning("the runtime did not stop within %.0f s of closing the window: ending it", timeout)
            rt.kill()


def start_failure_zh(exc: BaseException) -> str:
    """Why 开播 failed, for the notice bar: what to do where the cause is known, else the cause's
    last line (a failed runtime process reports its traceback; the whole of it is in the log)."""
    text = str(exc)
    if "cannot open the audio device" in text:
        return ("开播失败，没有播出：打不开声卡（没有找到可用的声音输出设备）。请接好声卡或虚拟声卡后再开播；"
                "只想试运行时，可在“设置 → 播放输出”把输出方式改为“录到 WAV 文件”")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return f"开播失败，没有播出：{lines[-1] if lines else type(exc).__name__}。详情见日志页，修正后再点开播"
