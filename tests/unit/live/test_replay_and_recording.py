import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from app.cli import main as cli_main
from app.live.decoder import FrameDecoder
from app.live.recording import RecordedFrame, format_line, parse_line, read_recording, shift_msg_ids
from app.live.replay import LOOP_MSG_ID_SHIFT, ReplayServer
from tests.standins.dybarrage import Room, Viewer
from tests.unit.live.helpers import mixed_frames
from tests.unit.live.test_decoder import V276, V279, sample_lines

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "data" / "demo" / "room.feed"


# ---- recording format -------------------------------------------------------------------------


def test_recording_lines_with_and_without_offsets_and_comments(tmp_path):
    frame = Room().comment(1, Viewer(id=1, nickname="a"), "x")
    path = tmp_path / "r.feed"
    path.write_text(f"# header\n\n{format_line(frame, 1.25)}\n{frame}\n", encoding="utf-8")
    recs = list(read_recording(path))
    assert recs == [RecordedFrame(3, 1.25, frame), RecordedFrame(4, None, frame)]
    assert parse_line("abc\t{}") == RecordedFrame(0, None, "abc\t{}")  # not an offset: the decoder judges it


def test_shift_msg_ids_changes_only_the_message_id():
    frame = Room().comment(7412345678901234567, Viewer(id=7412345678901234567, nickname="a"), "MsgId")
    shifted = shift_msg_ids(frame, 5)
    event = FrameDecoder().decode(shifted)
    assert event.msg_id == "7412345678901234572" and event.user.id == "7412345678901234567" and event.text == "MsgId"


def test_the_frame_builder_reproduces_the_reference_samples_byte_for_byte():
    lines = sample_lines(V279)
    m = 7412345678901234567
    room = Room()
    club8 = Viewer(555, "小王", pay_level=12, club_name="甜甜团", club_level=8)
    assert room.comment(m, Viewer(111, "小明", pay_level=5), "这个多少钱") == lines[0]
    assert room.like(m, Viewer(222, "小红", gender=2, club_name="甜甜团", club_level=3), 15, 3210) == lines[1]
    assert Room(process="直播伴侣").enter(m, Viewer(333, "小刚"), 532) == lines[2]
    assert room.gift(m, club8, gift_id=5655, name="小心心", diamonds=1, increment=2, repeat=3,
                     group_id=1731234567890) == lines[4]
    assert room.stats(m, 532, 12034) == lines[5]
    assert room.live_end(m) == lines[8]
    assert V276.exists()


def test_demo_recording_is_several_minutes_of_every_type_and_decodes_cleanly():
    recs = list(read_recording(DEMO))
    decoder = FrameDecoder()
    events = [decoder.decode(r.frame) for r in recs]
    assert decoder.stats.decoded == len(recs) and decoder.stats.bad_frames == 0
    assert recs[-1].offset >= 180 and DEMO.stat().st_size < 1_000_000
    offsets = [r.offset for r in recs]
    assert offsets == sorted(offsets)
    assert {e.type for e in events} == {"comment", "gift", "like", "enter", "follow", "share", "fansclub",
                                         "stats", "live_end"}
    assert events[-1].type == "live_end"
    comments = " ".join(e.text for e in events if e.type == "comment")
    for word in ("多少钱", "尺码", "发货", "包邮", "成分"):
        assert word in comments
    gifts = [e.gift for e in events if e.type == "gift"]
    assert max(g.diamonds for g in gifts) >= 30000 and any(g.name == "火箭" for g in gifts)
    assert any(g.count > 1 and g.total > g.count for g in gifts)  # a combo step of more than one


# ---- replay server ----------------------------------------------------------------------------


def test_replay_server_speaks_like_dy_barrage_grab_pong_payload_any_path_text_frames():
    frames = mixed_frames(3)
    with ReplayServer(frames, speed=0) as server:
        async def client():
            async with connect(server.url + "/any/path?x=1", ping_interval=None, compression=None) as ws:
                got = [await asyncio.wait_for(ws.recv(), 2) for _ in range(3)]
                pong = await ws.ping(b"pong")  # the grabber answers every ping with b"pong"…
                await asyncio.wait_for(pong, 1)
                echo = await ws.ping(b"abcd")  # …and never echoes, so this one stays unanswered
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(echo), 0.3)
                await ws.send('{"Cmd":1,"Data":null}')  # commands are ignored, the link stays up
                await ws.ping(b"pong")
                return got
        got = asyncio.run(client())
    assert got == [f.frame for f in frames] and all(isinstance(g, str) for g in got)


def test_replay_pacing_follows_offsets_scaled_by_speed():
    frames = mixed_frames(5, step_s=0.5)  # 2 s of recording
    with ReplayServer(frames, speed=2.0) as server:
        async def client():
            async with connect(server.url, ping_interval=None) as ws:
                t0 = time.monotonic()
                for _ in range(5):
                    await ws.recv()
                return time.monotonic() - t0
        elapsed = asyncio.run(client())
    assert 0.9 <= elapsed < 1.6  # 1 s at double speed; 2 s would be speed ignored


def test_looping_replay_shifts_message_ids_so_passes_are_not_duplicates():
    frames = mixed_frames(3)
    with ReplayServer(frames, speed=0, loop=True) as server:
        async def client():
            # close_timeout: an endless unpaced stream fills the socket, so the close handshake
            # would wait behind it; the listener itself aborts instead of closing politely
            async with connect(server.url, ping_interval=None, close_timeout=0.1) as ws:
                return [await ws.recv() for _ in range(7)]
        got = asyncio.run(client())
    decoder = FrameDecoder()
    ids = [decoder.decode(g).msg_id for g in got]
    base = 7_400_000_000_000_000_000
    assert ids[:4] == [str(base), str(base + 1), str(base + 2), str(base + LOOP_MSG_ID_SHIFT)]
    assert decoder.stats.duplicates == 0


def test_replay_server_reports_a_port_in_use():
    with ReplayServer(mixed_frames(1)) as first:
        with pytest.raises(OSError):
            ReplayServer(mixed_frames(1), port=first.port).start()


# ---- CLI --------------------------------------------------------------------------------------


def test_parse_feed_prints_one_event_per_line_and_reports_bad_lines(tmp_path, capsysbinary):
    good = sample_lines(V279)
    path = tmp_path / "mixed.feed"
    path.write_bytes(("\n".join([good[0], '{"Type":1}', format_line(good[4], 2.5)]) + "\n").encode()
                     + b'{"Type":1,"Data":"\xff"}\n' + (good[1] + "\n").encode())
    assert cli_main(["parse-feed", str(path)]) == 0
    out, err = capsysbinary.readouterr()
    events = [json.loads(line) for line in out.decode().splitlines()]
    assert [e["type"] for e in events] == ["comment", "gift", "like"]
    assert events[0]["msg_id"] == "7412345678901234567" and events[1]["gift"]["total"] == 3
    err = err.decode()
    assert "line 2: frame has no 'Data'" in err and "line 4: not valid UTF-8" in err
    assert cli_main(["parse-feed", "--strict", str(path)]) == 1
    assert cli_main(["parse-feed", str(tmp_path / "missing.feed")]) == 2


def test_replay_server_cli_serves_a_file_to_a_real_client(tmp_path):
    frames = mixed_frames(4, step_s=0.01)
    path = tmp_path / "r.feed"
    path.write_text("\n".join(format_line(f.frame, f.offset) for f in frames) + "\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "replay-server", str(path), "--port", "0",
                             "--exit-when-done"], stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = proc.stderr.readline()
        assert "serving" in line, line
        url = line.split(" on ", 1)[1].split(" ", 1)[0]

        async def client():
            async with connect(url, ping_interval=None) as ws:
                return [await asyncio.wait_for(ws.recv(), 3) for _ in range(4)]
        assert asyncio.run(client()) == [f.frame for f in frames]
        assert proc.wait(5) == 0
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
