"""``python main.py self-test``: one line per check with a verdict; non-zero exit on failure.

PASS is working; WARN is something the operator may not have started yet (the feed tool, a
GPT-SoVITS server while espeak-ng can still speak); FAIL means the stream cannot run as set up.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("self-test", help="check config, bus, feed, TTS, LLM and audio output",
                       description="Checks config, bus, feed reachability, each TTS route, the LLM if "
                                   "configured, and audio output. Exit 1 if any check fails.")
    p.add_argument("--config", type=Path, help="config.ini to check (default: the one beside the app)")
    p.add_argument("--sink", help="audio output to test instead of [audio] backend (wav:PATH, null, device)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app import paths

    results: list[tuple[str, str, str]] = []

    def report(name: str, verdict: str, detail: str) -> None:
        results.append((name, verdict, detail))
        print(f"{verdict}  {name:<22} {detail}", flush=True)

    _check_operator_folder(report)
    path = args.config or paths.default_config_path()
    snap = _check_config(path, report)
    if snap is not None:
        _check_bus(snap, report)
        _check_feed(snap, report)
        _check_tts(snap, report)
        _check_llm(snap, report)
        _check_audio(snap, args.sink, report)
    failed = [r for r in results if r[1] == FAIL]
    print(f"self-test: {len(results) - len(failed)} of {len(results)} checks without failure"
          + (f"; FAILED: {', '.join(r[0] for r in failed)}" if failed else ""))
    return 1 if failed else 0


def _check_operator_folder(report) -> None:
    """Which folder holds config.ini and data/: beside the app, or the per-user fallback."""
    from app import paths

    info = paths.user_root_info()
    verdict = FAIL if info.reason and not info.per_user else WARN if info.per_user else PASS
    report("operator folder", verdict, paths.describe_user_root().removeprefix("operator folder: "))


def _check_config(path: Path, report):
    from app.config import ConfigErrors, defaults, load

    if not path.exists():
        report("config", WARN, f"{path} does not exist: using defaults (the app writes it on first start)")
        return defaults()
    try:
        snap = load(path)
    except ConfigErrors as exc:
        report("config", FAIL, f"{len(exc.errors)} problem(s):\n      " + "\n      ".join(exc.errors))
        return None
    report("config", PASS, str(path))
    return snap


def _check_bus(snap, report) -> None:
    import threading

    from app import events
    from app.bus import BusConfigError, create_bus

    url = snap.get("bus", "url")
    try:
        bus = create_bus(url, f"selftest{int(time.time())}")
    except BusConfigError as exc:
        report("bus", FAIL, str(exc))
        return
    try:
        got = threading.Event()
        bus.subscribe(events.Channel.SYSTEM, lambda e: got.set())
        bus.publish(events.Channel.SYSTEM, events.ErrorReport(component="self-test", message="ping"))
        ok = got.wait(3)
        report("bus", PASS if ok else FAIL, f"{bus.backend} ({url})" + ("" if ok else ": message not delivered"))
    finally:
        bus.close()


def _check_feed(snap, report) -> None:
    import asyncio

    import websockets

    url = snap.get("douyin", "url")

    async def probe() -> None:
        async with websockets.connect(url, open_timeout=2, ping_interval=None):
            pass

    try:
        asyncio.run(probe())
        report("feed", PASS, f"dy-barrage-grab reachable at {url}")
    except Exception as exc:  # the tool may simply not be running yet
        report("feed", WARN, f"dy-barrage-grab not reachable at {url} ({type(exc).__name__}): start it before going live")


def _check_tts(snap, report) -> None:
    from app import wiring
    from app.tts import espeak
    from app.tts.client import GptSovitsClient, SynthesisError
    from app.tts.quality import check

    setup = wiring.tts_setup(snap, output_rate=snap.get("audio", "sample_rate"))
    for note in setup.notes:
        report("tts config", WARN, note)
    fallback_ok = False
    if setup.settings.fallback:
        try:
            samples, rate = espeak.synthesize(setup.settings.probe_text, voice=setup.settings.espeak_voice)
            verdict = check(samples, rate, 10, setup.settings.check)
            fallback_ok = verdict.ok
            report("tts espeak-ng", PASS if verdict.ok else FAIL,
                   f"fallback voice {setup.settings.espeak_voice}" + ("" if verdict.ok else f": {verdict.reason}"))
        except Exception as exc:
            report("tts espeak-ng", FAIL, f"fallback engine unusable: {exc}")
    for server in setup.servers:
        client = GptSovitsClient(server, connect_timeout_s=2, read_timeout_s=setup.settings.read_timeout_s)
        try:
            for voice in setup.voices:
                name = f"tts {server.name}#{voice.name}"
                try:
                    result = client.synthesize(setup.settings.probe_text, voice)
                    verdict = check(result.wav.samples, result.wav.sample_rate, 10, setup.settings.check)
                    report(name, PASS if verdict.ok else WARN, "speech passed the check" if verdict.ok
                           else f"audio rejected: {verdict.reason}")
                except SynthesisError as exc:
                    report(name, WARN if fallback_ok else FAIL, f"{exc}" + ("; espeak-ng will speak instead"
                                                                          if fallback_ok else ""))
        finally:
            client.close()
    if not setup.servers and not fallback_ok:
        report("tts", FAIL, "no GPT-SoVITS route and no working fallback: nothing can speak")


def _check_llm(snap, report) -> None:
    if snap.get("llm", "provider") == "none":
        report("llm", PASS, "provider = none (keyword rules only)")
        return
    from app import wiring
    from app.config import MissingSecret
    from app.llm import LlmError, make_client

    try:
        client = make_client(wiring.llm_settings(snap))
        answer = client.complete([{"role": "user", "content": "请只回复：好的"}])
        report("llm", PASS, f"{snap.get('llm', 'provider')} {snap.get('llm', 'model')} answered ({len(answer)} chars)")
    except MissingSecret as exc:
        report("llm", FAIL, str(exc))
    except LlmError as exc:
        report("llm", FAIL, str(exc))


def _check_audio(snap, sink_spec: str | None, report) -> None:
    from app import wiring
    from app.audio.sinks import make_sink

    spec = sink_spec or wiring.sink_spec(snap)
    rate = snap.get("audio", "sample_rate")
    try:
        sink = make_sink(spec, rate)
        sink.open()
        sink.write(b"\x00\x00" * (rate // 10))  # 100 ms of silence: nothing audible
        sink.close()
        report("audio output", PASS, f"{spec} at {rate} Hz")
    except Exception as exc:
        hint = " (no sound device? try --sink null, or SDL_AUDIODRIVER=dummy)" if spec == "device" else ""
        report("audio output", FAIL, f"{spec}: {exc}{hint}")
