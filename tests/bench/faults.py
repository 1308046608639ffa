"""TTS faults in a whole room (issue 18): dead air when GPT-SoVITS hangs.

    python -m tests.bench.faults [--quick] [--seconds S] [--json FILE]

Two headless runs of ``app.runtime.Runtime`` — the stages ``python main.py run --headless``
starts — with the bundled demo recording replayed as the live feed, the null audio sink (paced
in real time), no LLM, and GPT-SoVITS stand-ins (the real HTTP protocol; espeak-ng speech, 0.3 s
of compute per second of audio, one request at a time like api_v2):

1. ``hang``: two voices on one server, the preferred one ("hang") never answers while the server
   goes on serving the other ("good"). Targets: dead air 0 s; the voice benched within 2
   failures; the good voice speaks most of the run.
2. ``all``: the server freezes (answers nothing at all, not even a 404). Target: the fallback
   speaks every sentence; dead air ≤ one need deadline at start, 0 after.

Each run lasts 180 s (60 s with --quick). Default options (need deadline 4 s, silent deadline
0.5 s, read time-out 30 s). Dead air, start-up silence and the tts section come from the run report
(``dead_air_s``, ``startup_silence_s``, ``tts``); the routes that spoke come from a tap on
``speech.ready``. Writes its store and caches to a temporary folder.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from app import events
from tests.bench.common import print_table, write_json
from tests.bench.demo import looped_recording
from tests.standins.gptsovits import StandinServer

RTF = 0.3


def _config(tmp: Path, url: str, voices: list[str]) -> Path:
    sections = "\n".join(
        f"[voice.{name}]\nref_audio = refs/{name}.wav\nprompt_text = 参考文本\n"
        f"gpt_weights = GPT_weights/{name}.ckpt\nsovits_weights = SoVITS_weights/{name}.pth\n" for name in voices)
    path = tmp / "config.ini"
    path.write_text(f"""[bus]
url = memory
[llm]
provider = none
[tts]
servers = {url}
voices = {", ".join(voices)}
cache_dir = {tmp / 'tts-cache'}
[audio]
backend = null
[store]
db_path = {tmp / 'live.sqlite3'}
{sections}""", encoding="utf-8")
    return path


def run_room(name: str, seconds: float, faults: dict[str, str], voices: list[str]) -> dict:
    from app.runtime import Runtime

    with tempfile.TemporaryDirectory(prefix=f"bench-faults-{name}-") as tmpdir:
        tmp = Path(tmpdir)
        replay = tmp / "room.feed"
        looped_recording(replay, seconds + 30)
        srv = StandinServer(rtf=RTF, faults=faults, hang_s=3600).start()
        routes: list[str] = []
        lock = threading.Lock()

        def tap(ev) -> None:
            if isinstance(ev, events.SpeechReady):
                with lock:
                    routes.append(ev.route)

        runtime = Runtime(_config(tmp, srv.url, voices), sink="null", replay=replay)
        runtime.bus.subscribe(events.Channel.SPEECH_READY, tap)
        try:
            runtime.start()
            time.sleep(seconds)
            report = runtime.report()
        finally:
            runtime.close()
            srv.stop()
    tts = report["tts"]
    played = report["played"]
    with lock:
        gpt = sum(1 for r in routes if "gptsovits" in r and "espeak" not in r)
        fb = sum(1 for r in routes if "espeak" in r)
    return {
        f"{name}_dead_air_s": report["dead_air_s"],
        f"{name}_startup_silence_s": report.get("startup_silence_s"),
        f"{name}_played": len(played),
        f"{name}_published": len(routes),
        f"{name}_published_gptsovits": gpt,
        f"{name}_published_fallback": fb,
        f"{name}_fallback_sentences": tts.get("fallback_used", 0),
        f"{name}_deadline_takeovers": tts.get("deadline_takeovers", 0),
        f"{name}_silent_takeovers": tts.get("silent_takeovers", 0),
        f"{name}_abandoned_hung": tts.get("abandoned_hung", 0),
        f"{name}_benched": ", ".join(sorted(tts.get("ever_benched", {}))) or "-",
        f"{name}_hang_voice_requests": srv.requests_by_model.get("SoVITS_weights/hang.pth", 0),
        f"{name}_failures_to_bench": next((n for label, n in tts.get("failures_to_bench", {}).items()
                                                if label.startswith("voice hang ")), None),
        f"{name}_longest_played_s": max(((p["ended_at"] or 0) - (p["started_at"] or 0) for p in played), default=0.0),
        f"{name}_last_fallback_reason": tts.get("last_fallback_reason", ""),
    }


def measure(quick: bool = False, seconds: float | None = None) -> dict:
    """Named figures for ``python -m tests.bench``."""
    length = seconds or (60.0 if quick else 180.0)
    out = run_room("hang", length, {"SoVITS_weights/hang.pth": "hang"}, ["hang", "good"])
    out.update(run_room("all", length, {"*": "freeze"}, ["a", "b"]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="60 s runs instead of 180 s")
    ap.add_argument("--seconds", type=float, help="length of each run")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    out = measure(args.quick, args.seconds)
    print_table("TTS faults in a headless room (seconds unless named)", ["figure", "value"],
                [[k, "-" if v is None else v] for k, v in out.items()])
    write_json(args.json, out)
    bench_n = out["hang_failures_to_bench"]
    ok = out["hang_dead_air_s"] == 0 and bench_n is not None and bench_n <= 2 and out["all_dead_air_s"] <= 4.0
    print(f"\none voice hangs: dead air {out['hang_dead_air_s']:.2f} s, hanging voice benched after {bench_n} "
          f"failure(s); every route hangs: dead air {out['all_dead_air_s']:.2f} s → {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
