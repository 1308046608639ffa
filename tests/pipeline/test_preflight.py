"""Pre-flight (issue 19.3) against stand-ins that speak the real protocols: the dy-barrage-grab
replay server, the GPT-SoVITS stand-in and the Ollama stand-in, good and failing. Every check
keeps its deadline whatever the services do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.live.replay import ReplayServer
from app.paths import bundled_data_dir
from app.preflight import run_preflight
from app.preflight.runner import GRACE_S
from tests.redis_server import free_port
from tests.standins.dybarrage import Room, Viewer
from tests.standins.gptsovits import StandinServer
from tests.standins.llm_common import Behaviour
from tests.standins.ollama_server import OllamaStandin

MODEL = "qwen2.5:0.5b"
ROOM = Room()
ROOT = Path(__file__).resolve().parents[2]
FRAMES = [ROOM.stats(7400000000000000001, online=120, total=3400),
          ROOM.comment(7400000000000000002, Viewer(1, "小王"), "多少钱")]


def write_config(tmp_path, *, feed: str, tts: str = "", voices=("main",), llm: str = "", products=None) -> object:
    path = tmp_path / "config.ini"
    voice_sections = "".join(f"[voice.{v}]\nref_audio = refs/{v}.wav\nprompt_text = 你好\n" for v in voices)
    path.write_text(f"""[bus]
url = memory
[douyin]
url = {feed}
[tts]
servers = {tts}
voices = {", ".join(voices) if tts else ""}
{voice_sections if tts else ""}
[llm]
{f"provider = ollama{chr(10)}model = {MODEL}{chr(10)}ollama_host = {llm}" if llm else "provider = none"}
[script]
products_dir = {products or tmp_path / "products"}
[audio]
backend = wav
wav_path = {tmp_path / "out" / "room.wav"}
""", encoding="utf-8")
    return path


@pytest.fixture
def products(tmp_path):
    shutil.copytree(bundled_data_dir() / "products", tmp_path / "products")
    return tmp_path / "products"


@pytest.fixture
def feed():
    server = ReplayServer(FRAMES, speed=0).start()
    yield server
    server.stop()


def by_key(checks) -> dict:
    return {c.key: c for c in checks}


def test_everything_reachable_passes(tmp_path, products, feed):
    with StandinServer() as tts, OllamaStandin(Behaviour(default_answer="好的"), models={MODEL}) as llm:
        config = write_config(tmp_path, feed=feed.url, tts=tts.url, llm=llm.url, products=products)
        checks = run_preflight(config, timeout_s=8.0)
    assert [c.key for c in checks] == ["config", "feed", "voice", "fallback", "llm", "products", "audio"]
    got = by_key(checks)
    assert all(c.status == "ok" for c in checks), [(c.key, c.status, c.detail) for c in checks]
    assert "在线人数" in got["feed"].detail or "评论" in got["feed"].detail
    assert f"127.0.0.1:{tts.port}#main（" in got["voice"].detail
    assert "ollama" in got["llm"].detail and "已回答" in got["llm"].detail
    assert "云朵保湿面霜" in got["products"].detail
    assert not (tmp_path / "out" / "room.wav").exists()  # the run's recording is not touched


def test_everything_failing_fails_each_with_its_reason_within_the_deadline(tmp_path):
    (tmp_path / "products").mkdir()
    dead_feed = f"ws://127.0.0.1:{free_port()}"
    with StandinServer(faults={"*": "hang"}, hang_s=30) as tts, \
            OllamaStandin(Behaviour(failures=["500"] * 5)) as llm:
        config = write_config(tmp_path, feed=dead_feed, tts=tts.url, llm=llm.url)
        t0 = time.monotonic()
        checks = run_preflight(config, timeout_s=2.0)
        took = time.monotonic() - t0
    got = by_key(checks)
    assert took < 2.0 + GRACE_S + 1.0, f"pre-flight took {took:.1f} s with a 2 s deadline"
    assert got["config"].status == "ok"
    assert got["feed"].status == "fail" and "连不上" in got["feed"].detail and "dy-barrage-grab" in got["feed"].fix
    voice = got["voice"]
    assert voice.status == "fail" and "没有回应" in voice.detail and "只剩离线声音" in voice.detail
    assert "先等到超时" in voice.fix  # a hang is not passed off as a seamless fallback
    assert got["fallback"].status == "ok"  # the offline voice is reported on its own line
    assert got["llm"].status == "fail" and "ollama" in got["llm"].detail and "ollama serve" in got["llm"].fix
    assert got["products"].status == "fail" and "还没有商品" in got["products"].detail


def test_a_feed_that_sends_nothing_is_a_warning(tmp_path, products):
    quiet = ReplayServer([], speed=0).start()
    try:
        config = write_config(tmp_path, feed=quiet.url, products=products)
        checks = run_preflight(config, timeout_s=1.0)
    finally:
        quiet.stop()
    feed = by_key(checks)["feed"]
    assert feed.status == "warn" and "没有收到任何直播间数据" in feed.detail and "打开你的直播间" in feed.fix


def test_one_bad_voice_among_good_ones_is_a_warning_naming_the_route_and_reason(tmp_path, products, feed):
    with StandinServer(faults={"refs/bad.wav": "error400"}) as tts:
        config = write_config(tmp_path, feed=feed.url, tts=tts.url, voices=("main", "bad"), products=products)
        voice = by_key(run_preflight(config, timeout_s=8.0))["voice"]
    assert voice.status == "warn"
    assert "#main（" in voice.detail and "#bad：服务器拒绝了请求" in voice.detail and "refs/bad.wav" in voice.detail


def test_audio_rejected_by_the_check_is_not_a_working_voice(tmp_path, products, feed):
    with StandinServer(faults={"*": "zeros"}) as tts:
        config = write_config(tmp_path, feed=feed.url, tts=tts.url, products=products)
        voice = by_key(run_preflight(config, timeout_s=8.0))["voice"]
    assert voice.status == "fail" and "没通过检查" in voice.detail


def test_no_voice_configured_is_a_warning_and_an_unusable_one_a_failure(tmp_path, products, feed):
    config = write_config(tmp_path, feed=feed.url, tts="", products=products)
    voice = by_key(run_preflight(config, timeout_s=2.0))["voice"]
    assert voice.status == "warn" and "只有离线声音" in voice.detail
    config.write_text(config.read_text("utf-8").replace("servers = \n", "servers = http://127.0.0.1:9\n"), "utf-8")
    voice = by_key(run_preflight(config, timeout_s=2.0))["voice"]
    assert voice.status == "fail" and "没有任何 [voice.名称]" in voice.detail


def test_an_llm_that_hangs_or_lacks_the_model_fails_in_time(tmp_path, products, feed):
    with OllamaStandin(Behaviour(failures=["hang"], hang_s=20)) as hanging:
        config = write_config(tmp_path, feed=feed.url, llm=hanging.url, products=products)
        t0 = time.monotonic()
        llm = by_key(run_preflight(config, timeout_s=1.5))["llm"]
        assert time.monotonic() - t0 < 1.5 + GRACE_S + 1.0
    assert llm.status == "fail"
    with OllamaStandin(models={"other-model"}) as wrong:
        config = write_config(tmp_path, feed=feed.url, llm=wrong.url, products=products)
        llm = by_key(run_preflight(config, timeout_s=3.0))["llm"]
    assert llm.status == "fail" and "模型" in llm.detail


def test_a_broken_config_fails_and_the_rest_is_not_guessed(tmp_path):
    config = tmp_path / "config.ini"
    config.write_text("[audio]\nchunk_bytes = lots\n", encoding="utf-8")
    checks = run_preflight(config, timeout_s=1.0)
    assert checks[0].status == "fail" and "config.ini:2: [audio] chunk_bytes" in checks[0].detail
    assert all(c.status == "warn" and c.detail == "配置文件有错误，未检查" for c in checks[1:])


def test_a_broken_product_beside_good_ones_is_a_warning_with_its_file_and_line(tmp_path, products, feed):
    (products / "snack" / "product.json").write_text('{\n  "name": "坚果",\n  "price": true\n}\n', "utf-8")
    config = write_config(tmp_path, feed=feed.url, products=products)
    got = by_key(run_preflight(config, timeout_s=2.0))["products"]
    assert got.status == "warn" and f"{products / 'snack' / 'product.json'}:3: 'price'" in got.detail


def test_demo_needs_no_service(tmp_path):
    config = write_config(tmp_path, feed=f"ws://127.0.0.1:{free_port()}", tts="http://127.0.0.1:9")
    checks = run_preflight(config, demo=True, timeout_s=2.0)
    assert all(c.status == "ok" for c in checks), [(c.key, c.status, c.detail) for c in checks]


# ---- is it our room (issue 19.3, [douyin] room; dy-barrage-grab forwards every room on the PC) ----

OTHER = Room.other(2)
OURS_FRAMES = [ROOM.stats(7400000000000000011, online=120, total=3400),
               ROOM.comment(7400000000000000012, Viewer(1, "小王"), "多少钱")]
OTHER_FRAMES = [OTHER.stats(7400000000000000021, online=80, total=900),
                OTHER.comment(7400000000000000022, Viewer(3, "路人"), "主播好")]


def feed_check(tmp_path, products, frames, room: str, timeout_s: float = 1.5):
    server = ReplayServer(frames, speed=0).start()
    try:
        config = write_config(tmp_path, feed=server.url, products=products)
        config.write_text(config.read_text("utf-8").replace("[douyin]\n", f"[douyin]\nroom = {room}\n"), "utf-8")
        t0 = time.monotonic()
        got = by_key(run_preflight(config, timeout_s=timeout_s))["feed"]
        return got, time.monotonic() - t0
    finally:
        server.stop()


@pytest.mark.parametrize("setting", [ROOM.web_room_id, ROOM.owner["SecUid"], f"https://live.douyin.com/{ROOM.web_room_id}"])
def test_our_room_is_seen_after_another_rooms_frames(tmp_path, products, setting):
    """The other room's frames come first on the socket: the check keeps listening until ours."""
    got, _ = feed_check(tmp_path, products, OTHER_FRAMES + OURS_FRAMES, setting)
    assert got.status == "ok", got.detail
    assert "是设置的直播间：主播昵称（直播间号 940152769375）" in got.detail
    assert "另有 1 个直播间的消息会被忽略：别人的主播2" in got.detail


def test_only_another_room_is_a_warning_naming_that_room(tmp_path, products):
    got, took = feed_check(tmp_path, products, OTHER_FRAMES, ROOM.web_room_id, timeout_s=1.0)
    assert got.status == "warn"
    assert "都来自其他直播间：别人的主播2（直播间号 880000000002）" in got.detail
    assert f"没有收到设置的直播间（[douyin] room = {ROOM.web_room_id}）的消息" in got.detail
    assert "[douyin] room" in got.fix
    assert took < 1.0 + GRACE_S + 1.0


def test_nothing_from_any_room_is_a_warning(tmp_path, products):
    got, _ = feed_check(tmp_path, products, [], ROOM.web_room_id, timeout_s=1.0)
    assert got.status == "warn" and "没有收到任何直播间数据" in got.detail and "打开你的直播间" in got.fix


def test_without_a_setting_it_says_which_room_it_would_lock_onto(tmp_path, products):
    got, _ = feed_check(tmp_path, products, OURS_FRAMES, "")
    assert got.status == "ok"
    assert "没有设置 [douyin] room，开播后会锁定第一个出现的直播间，现在是：主播昵称（直播间号 940152769375）" in got.detail


def test_without_a_setting_two_open_rooms_are_a_warning(tmp_path, products):
    got, _ = feed_check(tmp_path, products, OURS_FRAMES + OTHER_FRAMES, "")
    assert got.status == "warn"
    assert "电脑上开着 2 个直播间：主播昵称（直播间号 940152769375）、别人的主播2（直播间号 880000000002）" in got.detail
    assert "[douyin] room" in got.fix


def test_a_room_the_grabber_has_not_cached_cannot_be_checked_against_the_setting(tmp_path, products):
    uncached = ROOM.uncached()
    frames = [uncached.stats(7400000000000000031, online=120, total=3400)]
    got, _ = feed_check(tmp_path, products, frames, ROOM.web_room_id)
    assert got.status == "warn"
    assert f"来自房间 {ROOM.room_id}，但弹幕工具没有记下这个直播间的主播信息" in got.detail
    assert "刷新" in got.fix


def test_progress_reports_every_check_once_as_it_finishes(tmp_path, products, feed):
    config = write_config(tmp_path, feed=feed.url, products=products)
    told = []
    checks = run_preflight(config, timeout_s=2.0, progress=told.append)
    assert sorted(c.key for c in told) == sorted(c.key for c in checks)
    assert {c.key: c for c in told} == by_key(checks)


def test_no_sound_card_fails_the_audio_check_saying_what_to_do(tmp_path, products, feed):
    # SDL's audio starts once per process: a process of its own, whose SDL finds no output device
    config = write_config(tmp_path, feed=feed.url, products=products)
    probe = (
        "import json, sys\n"
        "from app.preflight import run_preflight\n"
        "checks = run_preflight(sys.argv[1], timeout_s=2.0, sink='device')\n"
        "audio = next(c for c in checks if c.key == 'audio')\n"
        "print(json.dumps({'status': audio.status, 'detail': audio.detail, 'fix': audio.fix}))\n"
    )
    env = {**os.environ, "SDL_AUDIODRIVER": "no_such_driver"}
    done = subprocess.run([sys.executable, "-c", probe, str(config)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    audio = json.loads(done.stdout.strip().splitlines()[-1])
    assert audio["status"] == "fail" and audio["detail"].startswith("打不开声卡，没有找到可用的声音输出设备（系统报告：")
    assert "“录到 WAV 文件”" in audio["fix"]
