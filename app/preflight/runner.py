"""Runs the checks side by side, each with its own deadline, the whole within a bound."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from app.logs import get_logger
from app.preflight import checks, feed, voice
from app.preflight.base import FAIL, WARN, Check

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
                  sink: str | None = None) -> list[Check]:
    """Every pre-flight check (see the package docstring), in a fixed order. Returns within
    about ``timeout_s + GRACE_S`` seconds whatever the services do. ``sink`` overrides the
    ``[audio] backend`` to test (``wav:PATH``, ``null``, ``device``)."""
    timeout_s = max(0.5, float(timeout_s))
    first, snap = checks.check_config(config_path)
    if snap is None:  # the other checks would test settings the run would not use
        return [first] + [Check(key, title, WARN, "配置文件有错误，未检查", "先按上面的提示修正 config.ini")
                          for key, title, _ in CHECKS]
    results: dict[str, Check] = {}
    threads = []
    for key, title, fn in CHECKS:
        t = threading.Thread(target=_run_one, args=(results, key, title, fn, snap, demo, timeout_s, sink),
                             name=f"preflight-{key}", daemon=True)
        t.start()
        threads.append(t)
    deadline = time.monotonic() + timeout_s + GRACE_S
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    out = [first]
    for key, title, _ in CHECKS:
        out.append(results.get(key) or Check(key, title, FAIL, f"{timeout_s + GRACE_S:g} 秒内没有完成检查",
                                             "相关服务可能卡住了：重启它后再检查"))
    for c in out:
        log.info("pre-flight %s %s: %s", c.status, c.key, c.detail.replace("\n", " / "))
    return out


def _run_one(results: dict, key: str, title: str, fn, snap, demo: bool, timeout_s: float, sink) -> None:
    try:
        results[key] = fn(snap, demo=demo, timeout_s=timeout_s, sink=sink)
    except Exception as exc:  # a check that breaks is a finding, not a crash
        log.exception("pre-flight check %s failed", key)
        results[key] = Check(key, title, FAIL, f"检查时出错：{type(exc).__name__}: {exc}", "请查看日志")
