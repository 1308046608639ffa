"""``tts TEXT``: synthesise one text through the TTS stage (servers, check, rotation, fallback)
and write the WAV — to try a GPT-SoVITS setup or hear the espeak-ng fallback."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser("tts", help="synthesise TEXT to a WAV (GPT-SoVITS with checks; espeak-ng fallback)")
    p.add_argument("text")
    p.add_argument("--out", required=True, help="WAV file to write")
    p.add_argument("--server", action="append", default=[], metavar="URL",
                   help="GPT-SoVITS server (repeatable); none = espeak-ng only")
    p.add_argument("--api", choices=("v2", "v1"), default="v2")
    p.add_argument("--ref", default="", help="reference audio path on the server")
    p.add_argument("--prompt", default="", help="text spoken in the reference audio")
    p.add_argument("--rate", type=int, default=44100, help="output sample rate")
    p.add_argument("--timeout", type=float, default=30.0)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import shutil
    import tempfile

    from app import events
    from app.bus.memory import MemoryBus
    from app.tts.pool import TtsPool
    from app.tts.postprocess import PostSettings
    from app.tts.settings import PoolSettings, ServerSpec, VoiceModel

    if args.server and not args.ref:
        print("tts: --ref (the reference audio path on the server) is required with --server")
        return 2
    voices = [VoiceModel(name="cli", ref_audio_path=args.ref, prompt_text=args.prompt)] if args.server else []
    results: list = []
    why_fallback: list[str] = []  # the pool says why it fell back in its "tts" health

    def on_system(ev) -> None:
        if isinstance(ev, events.Health) and ev.component == "tts" and ev.status == "degraded":
            why_fallback.append(ev.detail.removeprefix("espeak-ng fallback speaking: "))

    with MemoryBus("tts-cli") as bus, tempfile.TemporaryDirectory() as tmp:
        bus.subscribe(events.Channel.SPEECH_READY, results.append)
        bus.subscribe(events.Channel.SYSTEM, on_system)
        pool = TtsPool(bus, servers=[ServerSpec(u, api=args.api) for u in args.server], voices=voices, out_dir=tmp,
                       settings=PoolSettings(workers=1, read_timeout_s=args.timeout,
                                             post=PostSettings(output_rate=args.rate))).start()
        try:
            pool.submit(events.SpeechRequest(id="cli", text=args.text, kind="system", priority=0))
            pool.wait_idle(args.timeout * 10)
            stats = pool.report()
        finally:
            pool.stop()
        if not results:
            print("tts: no result")
            return 1
        result = results[0]
        if isinstance(result, events.SpeechFailed):
            print(f"tts: failed: {result.reason}")
            return 1
        shutil.copyfile(result.audio_path, args.out)
    print(f"{args.out}: {result.duration_s:.2f} s at {result.sample_rate} Hz via {result.route} "
          f"({result.attempts} attempt(s)); sentences start at {list(result.sentence_starts)}")
    if "espeak" in result.route.split(","):
        print(_fallback_reason(args.server, why_fallback, stats))
    return 0


def _fallback_reason(servers: list[str], why: list[str], stats: dict) -> str:
    """Why the offline voice spoke (issue 18.4: "via espeak (2 attempts)" alone said nothing)."""
    if not servers:
        return "tts: 只用了离线声音 espeak-ng（没有指定 --server）/ offline voice only: no --server given"
    rejected = stats.get("rejected_by_reason") or {}
    counts = ", ".join(f"{k} × {v}" for k, v in rejected.items())
    reason = why[-1] if why else "no GPT-SoVITS route could be used"
    return (f"tts: GPT-SoVITS 没有给出可用的声音，改用了离线声音 espeak-ng。原因 / fell back because: {reason}"
            + (f" [rejected: {counts}]" if counts else ""))
