"""`python main.py audio-devices [--json] [--test NAME]`: the playback devices SDL sees (the
names `[audio] device` and `[audio] monitor_device` take), the system default marked with *;
``--test`` speaks a short line on one of them (``--test ""`` = the default device).
Exit 0; 1 when the test could not play; 2 when there is no sound system at all."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser("audio-devices", help="list playback devices (for [audio] device / monitor_device); "
                              "--test NAME plays a short line on one")
    p.add_argument("--json", action="store_true", help="print a JSON list: [{name, default}]")
    p.add_argument("--test", metavar="NAME", help='speak a test line on this device ("" = system default)')
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.audio import devices, sdl

    try:
        found, driver = devices.list_outputs()
    except sdl.SdlError as exc:
        print(f"没有可用的声音系统：{exc}", file=sys.stderr)
        return 2
    if args.test is not None:
        return _test(args.test, [d.name for d in found])
    if args.json:
        print(json.dumps([{"name": d.name, "default": d.default} for d in found], ensure_ascii=False))
        return 0
    print(f"播放设备（声音系统：{driver or '未知'}；* = 系统默认）：")
    for d in found:
        print(f"{'*' if d.default else ' '} {d.name}")
    if not found:
        print("  （没有列出设备；留空 [audio] device 使用系统默认设备）")
    print('把名称原样填入 config.ini 的 [audio] device（直播输出）或 monitor_device（耳机监听）；'
          '用 --test "名称" 试听。')
    return 0


def _test(name: str, names: list[str]) -> int:
    from app.audio import devices, sdl
    from app.tts import espeak

    if name and name not in names:
        print(f"设备列表中没有「{name}」；可用的有：{'、'.join(names) or '（无）'}", file=sys.stderr)
        return 1
    try:
        samples, rate = espeak.synthesize(devices.TEST_LINE)
    except espeak.EspeakError as exc:
        print(f"无法生成测试语音：{exc}", file=sys.stderr)
        return 1
    try:
        took = devices.play_clip(name, samples, rate)
    except sdl.SdlError as exc:
        print(f"测试失败：{exc}", file=sys.stderr)
        return 1
    print(f"已在{devices.describe(name)}播放测试语音（{took:.1f} 秒）。")
    return 0
