"""Build the PyInstaller app and prove it works away from the source tree.

    .venv/bin/python scripts/build_check.py            # build, then check
    .venv/bin/python scripts/build_check.py --no-build # check the existing dist/live

Steps: build with build.spec; copy dist/live to a temporary folder outside the project; with
that copy (no Python from here, no source tree) run ``self-test --sink null``, a self-test of the
pygame/SDL output on the dummy driver, a 10-second ``run --headless --demo --sink wav:…``, and
(when the desktop window exists in ui/) start the GUI offscreen for a few seconds. Then check
that the WAV holds speech (webrtcvad voiced ratio), that the run report played at least one
utterance, and that the operator's files were written beside the copied executable. Prints a
table of timings and the folder size (target ≤ 250 MB); exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
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
        _check_demo(cli_exe, args.duration, args.min_voiced, env, work, record)
        _check_operator_files(app, record)
        if args.read_only:
            _check_read_only_install(app, env, work, record)
        if (ROOT / "ui" / "app.py").exists():
            _check_gui(gui_exe, env, work, record)
        else:
            rows.append(("gui start", "SKIP", "ui/app.py does not exist yet"))
            print("SKIP  gui start          ui/app.py does not exist yet")
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
               XDG_DATA_HOME=str(home / "per-user"))  # if it ever falls back, not into the real home
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
