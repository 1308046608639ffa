"""``tts TEXT``: synthesise one text through the TTS stage (servers, check, rotation, fallback)
and write the WAV — to try a GPT-SoVITS setup or hear the espeak-ng fallback.

``--voice NAME`` speaks with a voice of config.ini (``[voice.NAME]``: its reference, and its
GPT/SoVITS weights, loaded on the server first — as the live room does, so it also shows the
voice is right after a GPT-SoVITS restart); ``--server``/``--ref`` try a server by hand with
whatever model it has loaded."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser("tts", help="synthesise TEXT to a WAV (GPT-SoVITS with checks; espeak-ng fallback)")
    p.add_argument("text")
    p.add_argument("--out", required=True, help="WAV file to write")
    p.add_argument("--voice", metavar="NAME", help="a voice of config.ini ([voice.NAME]) with its servers and weights")
    p.add_argument("--config", metavar="FILE", help="config.ini for --voice (default: this app's)")
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

    if args.voice:
        return _run_voice(args)
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


def _run_voice(args: argparse.Namespace) -> int:
    from app import paths
    from app.config.loader import ConfigErrors, load
    from app.tts.preview import synthesize_line

    if args.server or args.ref:
        print("tts: --voice 使用 config.ini 里的服务器和参考音频，不能同时给 --server/--ref "
              "/ --voice takes the servers and reference from config.ini")
        return 2
    path = args.config or paths.default_config_path()
    try:
        snapshot = load(path)
    except (ConfigErrors, OSError) as exc:
        print(f"tts: 读不了配置文件 {path}：{exc}")
        return 2
    try:
        wav, route, why = synthesize_line(snapshot, args.text, args.voice, out_path=args.out)
    except ValueError as exc:
        print(f"tts: {exc}")
        return 2
    if wav is None:
        print(f"tts: failed: {why}")
        return 1
    print(f"{args.out}: via {route}")
    if why:
        print(f"tts: GPT-SoVITS 没有给出可用的声音，改用了离线声音 espeak-ng / fallback voice because: {why}")
    return 0
