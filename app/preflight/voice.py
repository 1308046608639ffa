"""The voice checks: is a real voice (a GPT-SoVITS route, server × voice) working, and does the
offline voice (espeak-ng) work.

Routes are probed the way the TTS stage uses them (the same client, the same audio check), each
server on its own thread with its voices one after another (a GPT-SoVITS server serves one
request at a time: a second voice would only queue behind a hung first one). A route that does
not answer within the deadline is reported as hung, and nothing here claims the offline voice
covers it seamlessly: a hung server makes each sentence wait before the fallback speaks.
"""

from __future__ import annotations

import threading
import time

from app import wiring
from app.preflight.base import FAIL, OK, WARN, Budget, Check, TimedOut, within

TITLE = "真人声音（GPT-SoVITS）"
FALLBACK_TITLE = "离线声音（espeak-ng）"
FIX_SERVER = ("启动 GPT-SoVITS（python api_v2.py），检查设置中 [tts] servers 的地址和端口，"
              "以及每个 [voice.名称] 的参考音频和模型路径")


def check_voice(snap, *, demo: bool, timeout_s: float, sink: str | None = None) -> Check:
    if demo:
        return Check("voice", TITLE, OK, "演示模式只用离线声音（espeak-ng），不连接 GPT-SoVITS")
    setup = wiring.tts_setup(snap, output_rate=snap.get("audio", "sample_rate"))
    configured = list(snap.get("tts", "servers"))
    if not configured:
        return Check("voice", TITLE, WARN, "没有配置 GPT-SoVITS 服务器：只有离线声音（机器人声音）会说话",
                     "在“设置 → 语音”填写 GPT-SoVITS 服务器和声音")
    if not setup.servers or not setup.voices:
        notes = "；".join(_unusable_voices(snap)) or "没有启用的声音"
        return Check("voice", TITLE, FAIL, f"配置了 {len(configured)} 个 GPT-SoVITS 服务器，但没有能用的声音：{notes}",
                     "在 config.ini 的 [voice.名称] 填写 ref_audio（服务器上的参考音频路径），并在 [tts] voices 里列出")
    results = _probe_routes(setup, timeout_s)
    good = [(route, secs) for route, ok, secs, _ in results if ok]
    bad = [(route, why) for route, ok, _, why in results if not ok]
    bad_text = "".join(f"\n{route}：{why}" for route, why in bad)
    notes = "".join(f"\n{n}" for n in _unusable_voices(snap))
    if not good:
        hung = any("没有回应" in why for _, why in bad)
        fix = FIX_SERVER + ("。没有回应的服务器会让每句话先等到超时才换用离线声音，请重启它" if hung else "")
        return Check("voice", TITLE, FAIL, f"{len(results)} 条线路都不能用，只剩离线声音（机器人声音）：{bad_text}{notes}",
                     fix)
    ok_text = "、".join(f"{route}（{secs:.1f} 秒）" for route, secs in good)
    if bad:
        return Check("voice", TITLE, WARN, f"可用：{ok_text}；不可用：{bad_text}{notes}",
                     "不可用的线路会被跳过；" + FIX_SERVER)
    return Check("voice", TITLE, OK, f"可用：{ok_text}{notes}")


def _unusable_voices(snap) -> list[str]:
    """Why configured voices are left out (the same rule as ``wiring.voice_models``), in Chinese."""
    sections = snap.instances("voice")
    if not sections:
        return ["没有任何 [voice.名称] 声音设置"]
    out = []
    for name in list(snap.get("tts", "voices")) or list(sections):
        if name not in sections:
            out.append(f"[tts] voices 里的 {name} 没有对应的 [voice.{name}]")
        elif not snap.get(f"voice.{name}", "enabled"):
            continue
        elif not snap.get(f"voice.{name}", "ref_audio"):
            out.append(f"[voice.{name}] 没有填写 ref_audio（参考音频），这个声音不会使用")
    return out


def _probe_routes(setup, timeout_s: float) -> list[tuple[str, bool, float, str]]:
    """(route label, passed, seconds, why not) per server × voice, within ``timeout_s``."""
    from app.text.spoken import speakable_length
    from app.tts.client import GptSovitsClient, SynthesisError
    from app.tts.quality import check

    text = setup.settings.probe_text
    budget = Budget(timeout_s)
    results: list[tuple[str, bool, float, str]] = []
    lock = threading.Lock()

    def one_server(server) -> None:
        for i, v in enumerate(setup.voices):
            label = f"{server.name}#{v.name}"
            left = budget.left()
            if left < 0.2:
                with lock:
                    results.extend((f"{server.name}#{rest.name}", False, 0.0, "未检查：同一服务器上前面的请求用完了时间")
                                   for rest in setup.voices[i:])
                return
            client = GptSovitsClient(server, connect_timeout_s=min(2.0, left), read_timeout_s=left)
            t0 = time.monotonic()
            try:
                result = client.synthesize(text, v)
                verdict = check(result.wav.samples, result.wav.sample_rate, speakable_length(text),
                                setup.settings.check)
                row = (label, verdict.ok, time.monotonic() - t0, "" if verdict.ok else f"返回的声音没通过检查：{verdict.reason}")
            except SynthesisError as exc:
                row = (label, False, time.monotonic() - t0, _why(exc, left))
            except Exception as exc:  # whatever the server does, the check reports it
                row = (label, False, time.monotonic() - t0, f"{type(exc).__name__}: {exc}")
            finally:
                client.close()
            with lock:
                results.append(row)

    threads = [threading.Thread(target=one_server, args=(s,), name="preflight-voice", daemon=True)
               for s in setup.servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(budget.left() + 0.5)
    with lock:
        done = {r[0] for r in results}
        missing = [(f"{s.name}#{v.name}", False, timeout_s, f"{timeout_s:g} 秒内没有回应（服务器可能卡住了）")
                   for s in setup.servers for v in setup.voices if f"{s.name}#{v.name}" not in done]
        return list(results) + missing


def _why(exc, seconds: float) -> str:
    return {
        "connect": "连不上（服务没有启动，或地址/端口不对）",
        "timeout": f"{seconds:.0f} 秒内没有回应（服务器可能卡住了）",
        "switch": f"切换模型失败：{exc}",
        "server_error": f"服务器出错：{exc}",
        "rejected": f"服务器拒绝了请求（参考音频路径或参数不对？）：{exc}",
    }.get(exc.kind, f"返回的不是完整的音频：{exc}")


def check_fallback(snap, *, demo: bool, timeout_s: float, sink: str | None = None) -> Check:
    if snap.get("tts", "fallback") != "espeak" and not demo:
        return Check("fallback", FALLBACK_TITLE, WARN, "已关闭（[tts] fallback = none）：GPT-SoVITS 出故障时会冷场",
                     "建议把 [tts] fallback 设为 espeak")
    from app.text.spoken import speakable_length
    from app.tts import espeak
    from app.tts.quality import check

    setup = wiring.tts_setup(snap, output_rate=snap.get("audio", "sample_rate"), espeak_only=demo)
    text = setup.settings.probe_text
    try:
        samples, rate = within(timeout_s, lambda: espeak.synthesize(text, voice=setup.settings.espeak_voice),
                               "preflight-espeak")
    except TimedOut:
        return Check("fallback", FALLBACK_TITLE, FAIL, f"{timeout_s:g} 秒内没有合成出声音", "请查看日志")
    except Exception as exc:
        return Check("fallback", FALLBACK_TITLE, FAIL, f"不能用：{exc}",
                     "重新安装软件（离线声音随软件提供），或检查 [tts] espeak_voice")
    verdict = check(samples, rate, speakable_length(text), setup.settings.check)
    if not verdict.ok:
        return Check("fallback", FALLBACK_TITLE, FAIL, f"合成的声音没通过检查：{verdict.reason}",
                     "检查 [tts] espeak_voice")
    role = "演示模式由它说话" if demo else "GPT-SoVITS 不可用时由它说话（机器人声音）"
    return Check("fallback", FALLBACK_TITLE, OK, f"可用（{setup.settings.espeak_voice}）：{role}")
