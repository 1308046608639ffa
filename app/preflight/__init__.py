"""Pre-flight: what an operator must know before going live (issue 19.3), with no Qt.

``run_preflight(config_path=None, *, demo=False, timeout_s=5.0) -> list[Check]`` answers, each
within its own deadline and all of them together within ``timeout_s`` plus a small grace:

    config    config.ini valid (missing or empty: the defaults are used, and said so)
    feed      dy-barrage-grab reachable at ``[douyin] url`` and a room frame arrives
    voice     a real voice: at least one GPT-SoVITS route (server × voice) speaks and passes the
              check — or only the offline voice is left
    fallback  the offline voice (espeak-ng) works
    llm       the LLM answers (or is switched off: keyword rules only)
    products  an enabled product with a speakable script
    audio     the audio output opens

Each ``Check`` has ``key``, ``title``, ``status`` ("ok" | "warn" | "fail"), ``detail`` and
``fix`` (title/detail/fix in Chinese). "fail" means the room would not run as set up (the
operator may still go live knowingly); "warn" that it runs, with something the operator should
know. ``python main.py self-test`` prints exactly these checks and exits non-zero on a fail; the
GUI shows them before 开播.
"""

from app.preflight.base import FAIL, OK, WARN, Check
from app.preflight.runner import run_preflight

__all__ = ["Check", "FAIL", "OK", "WARN", "run_preflight"]
