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
    from app import paths
    from app.tts.postprocess import PostSettings
    from app.tts.preview import synthesize_text
    from app.tts.settings import PoolSettings, ServerSpec, VoiceModel

    if args.server and not args.ref:
        print("tts: --ref (the reference audio path on the server) is required with --server")
        return 2
    voices = [VoiceModel(name="cli", ref_audio=args.ref, prompt_text=args.prompt)] if args.server else []
    # the same cross-process server lock as the live room: wait for its request, never compete
    settings = PoolSettings(workers=1, request_timeout_s=args.timeout, lock_wait_s=args.timeout,
                            lock_dir=str(paths.data_dir() / "cache" / "locks"),
                            post=PostSettings(output_rate=args.rate))
    result = synthesize_text(args.text, servers=[ServerSpec(u, api_version=args.api) for u in args.server],
                             voices=voices, settings=settings, out_path=args.out)
    if not result.ok:
        print(f"tts: failed: {result.why}")
        return 1
    print(f"{args.out}: {result.duration_s:.2f} s at {result.sample_rate} Hz via {result.route} "
          f"({result.attempts} attempt(s)); sentences start at {list(result.sentence_starts)}")
    if result.why:
        print(f"tts: GPT-SoVITS 没有给出可用的声音，改用了离线声音 espeak-ng / fallback voice because: {result.why}")
    elif "espeak" in result.route.split(",") and not args.server:
        print("tts: 只用了离线声音 espeak-ng（没有指定 --server）/ offline voice only: no --server given")
    return 0
