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
    with MemoryBus("tts-cli") as bus, tempfile.TemporaryDirectory() as tmp:
        bus.subscribe(events.Channel.SPEECH_READY, results.append)
        pool = TtsPool(bus, servers=[ServerSpec(u, api=args.api) for u in args.server], voices=voices, out_dir=tmp,
                       settings=PoolSettings(workers=1, read_timeout_s=args.timeout,
                                             post=PostSettings(output_rate=args.rate))).start()
        try:
            pool.submit(events.SpeechRequest(id="cli", text=args.text, kind="system", priority=0))
            pool.wait_idle(args.timeout * 10)
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
    return 0
