"""Records of the processes this app starts, so that one a crash left behind is stopped later.

The embedded redis-server and the desktop app's runtime child are started by the app and must
end with it. Normally they do (the app stops them; the child also stops when its stdin closes;
on Linux the redis-server gets SIGTERM when the app dies). But an app killed outright
(SIGKILL, "End task", a power cut of the process tree that missed one) can leave one running:
a redis-server holding memory and a port, or worse a room that goes on speaking.

Each started process gets a small JSON record in a per-user folder of the temp dir: its pid and
start time, words its command line must contain, and the pid and start time of the app that
owns it. ``sweep()`` (called whenever the app starts one of these processes) reads every record
and, for each whose owner is gone, stops the process — after checking it really is the process
recorded (same start time, same command-line words), because a pid alone may since belong to
something else. A record whose owner still runs (another copy of the app) is left alone.

Nothing here may stop the app: a folder that cannot be written or a record that cannot be read
is logged and skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from app.logs import get_logger

log = get_logger("process_records")

FOLDER_ENV = "LIVE_PROCESS_RECORDS"  # tests point the records elsewhere
START_TIME_TOLERANCE_S = 1.0  # the same process reads the same start time; a reused pid does not
STOP_WAIT_S = 3.0


@dataclass
class Record:
    role: str  # "redis-server", "runtime"
    pid: int
    started: float  # psutil create_time of that process
    marks: list[str]  # words its command line contains (socket path, port, --child …)
    owner_pid: int
    owner_started: float
    cleanup: list[str] = field(default_factory=list)  # folders to remove once it is gone


def folder() -> Path:
    """Per-user: /tmp is shared between users on Linux, and another user's records are not ours."""
    override = os.environ.get(FOLDER_ENV)
    if override:
        return Path(override)
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return Path(tempfile.gettempdir()) / f"douyin-live-processes-{user}"


def _started(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except (psutil.Error, OSError):
        return None


def remember(role: str, pid: int, *, marks: list[str], cleanup: list[str] | None = None) -> Path | None:
    """Write the record of a process this app just started; None when it could not be written."""
    started = _started(pid)
    me = os.getpid()
    owner_started = _started(me)
    if started is None or owner_started is None:
        return None  # it is already gone (then there is nothing to remember)
    rec = Record(role, pid, started, list(marks), me, owner_started, list(cleanup or ()))
    where = folder()
    path = where / f"{role}-{pid}.json"
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(rec)), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot record %s %d in %s (%s): if the app is killed it may be left running",
                    role, pid, where, exc)
        return None
    return path


def forget(path: Path | None) -> None:
    """The process ended normally: drop its record."""
    if path is not None:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


def _is_the_recorded(proc: psutil.Process, started: float, marks: list[str]) -> bool:
    try:
        if abs(proc.create_time() - started) > START_TIME_TOLERANCE_S:
            return False
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        command = " ".join(proc.cmdline())
    except (psutil.Error, OSError):
        return False
    return all(mark in command for mark in marks)


def _owner_alive(rec: Record) -> bool:
    try:
        owner = psutil.Process(rec.owner_pid)
        return (abs(owner.create_time() - rec.owner_started) <= START_TIME_TOLERANCE_S
                and owner.status() != psutil.STATUS_ZOMBIE)
    except (psutil.Error, OSError):
        return False


def _stop(proc: psutil.Process) -> None:
    try:
        proc.terminate()
        proc.wait(STOP_WAIT_S)
    except psutil.TimeoutExpired:
        proc.kill()
        proc.wait(STOP_WAIT_S)
    except psutil.NoSuchProcess:
        pass


def _read(path: Path) -> Record | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Record(str(data["role"]), int(data["pid"]), float(data["started"]),
                      [str(m) for m in data["marks"]], int(data["owner_pid"]),
                      float(data["owner_started"]), [str(c) for c in data.get("cleanup", [])])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("unreadable process record %s (%s): removed", path, exc)
        return None


def sweep() -> list[str]:
    """Stop every recorded process whose owning app is gone; one line per process stopped."""
    where = folder()
    try:
        paths = sorted(where.glob("*.json"))
    except OSError:
        return []
    stopped = []
    for path in paths:
        rec = _read(path)
        if rec is not None and _owner_alive(rec):
            continue  # another running copy of the app owns it
        if rec is not None:
            try:
                proc = psutil.Process(rec.pid)
            except (psutil.Error, OSError):
                proc = None
            if proc is not None and _is_the_recorded(proc, rec.started, rec.marks):
                _stop(proc)
                line = (f"stopped a {rec.role} (pid {rec.pid}) left running by an app that ended "
                        f"without stopping it (pid {rec.owner_pid})")
                log.warning("%s", line)
                stopped.append(line)
            for extra in rec.cleanup:
                shutil.rmtree(extra, ignore_errors=True)
        forget(path)
    return stopped
