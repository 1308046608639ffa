"""Runs the checks side by side, each with its own deadline, the whole within a bound."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from app.logs import get_logger
from app.preflight import checks, feed, voice
from app.preflight.base import FAIL, STATUS_ZH, WARN, Check

log = get_logger("preflight")

#: Beyond ``timeout_s``: what a check may take to notice its own deadline and report.
GRACE_S = 1.5

#: (key, title, function(snap, demo, timeout_s, sink)) in the order they are shown.
CHECKS = (
    ("feed", feed.TITLE, feed.check_feed),
    ("voice", voice.TITLE, voice.check_voice),
    ("fallback", voice.FALLBACK_TITLE, voice.check_fallback),
    ("llm", checks.LLM_TITLE, checks.check_llm),
    ("products", checks.PRODUCTS_TITLE, checks.check_products),
    ("audio", checks.AUDIO_TITLE, checks.check_audio),
)


def run_preflight(config_path: Path | str | None = None, *, demo: bool = False, timeout_s: float = 5.0,
                  sink: str | None = None, progress: Callable[[Check], None] | None = None) -> list[Check]:
    """Every pre-flight check (see the package docstring), in a fixed order. Returns within
    about ``timeout_s + GRACE_S`` seconds whatever the services do. ``sink`` overrides the
    ``[audio] backend`` to test (``wav:PATH``, ``null``, ``device``). ``progress(check)`` is
    called as each check finishes (from the checking threads; the GUI fills its list with it)."""
    timeout_s = max(0.5, float(timeout_s))
    first, snap = checks.check_config(config_path)
    if snap is None:  # the other checks would test settings the run would not use
        out = [first] + [Check(key, title, WARN, "配置文件有错误，未检查", "先按上面的提示修正 config.ini")
                         for key, title, _ in CHECKS]
        for c in out:
            _tell(progress, c)
        return out
    _tell(progress, first)
    results: dict[str, Check] = {}
    over = _Over()  # past the deadline: a late result is no longer taken or reported
    threads = []
    for key, title, fn in CHECKS:
        t = threading.Thread(target=_run_one, args=(results, key, title, fn, snap, demo, timeout_s, sink, progress, over),
                             name=f"preflight-{key}", daemon=True)
        t.start()
        threads.append(t)
    deadline = time.monotonic() + timeout_s + GRACE_S
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    with over.lock:
        over.set()
    out = [first]
    for key, title, _ in CHECKS:
        found = results.get(key)
        if found is None:
            found = Check(key, title, FAIL, f"{timeout_s + GRACE_S:g} 秒内没有完成检查", "相关服务可能卡住了：重启它后再检查")
            _tell(progress, found)
        out.append(found)
    for c in out:
        log.info("开播前检查 %s · %s（%s）：%s", STATUS_ZH.get(c.status, c.status), c.title, c.key,
                 c.detail.replace("\n", " / "))
    return out


def _run_one(results: dict, key: str, title: str, fn, snap, demo: bool, timeout_s: float, sink, progress,
             over: _Over) -> None:
    try:
        found = fn(snap, demo=demo, timeout_s=timeout_s, sink=sink)
    except Exception as exc:  # a check that breaks is a finding, not a crash
        log.exception("pre-flight check %s failed", key)
        found = Check(key, title, FAIL, f"检查时出错：{type(exc).__name__}: {exc}", "请查看日志")
    with over.lock:
        if not over.is_set():
            results[key] = found
            _tell(progress, found)


class _Over(threading.Event):
    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()


def _tell(progress: Callable[[Check], None] | None, check: Check) -> None:
    if progress is None:
        return
    try:
        progress(check)
    except Exception:  # whoever listens, the checks go on
        log.exception("pre-flight progress callback failed")
