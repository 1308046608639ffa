"""One request at a time per GPT-SoVITS server, across processes (protocols §7.7).

``api_v2.py`` runs inference inline on its event loop: a second request only queues on the
server, and with a short timeout it fails while the first still computes. The live room, the
``self-test`` and ``tts`` commands and the GUI's voice preview may all use the same server, so
every request holds a lock file keyed by the server's URL (``filelock``: ``flock`` on Unix,
``msvcrt.locking`` on Windows; two handles conflict even inside one process). With a per-server
limit N > 1 there are N slot files and a request takes any free one.

Beside the locks a small state file names the client that used the server last. The loaded
weights are process-global state of the server (§7.6): when another client used it since our
last request, what we believe is loaded is stale and the weights must be sent again.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock, Timeout

from app.logs import get_logger

log = get_logger("tts")


def server_key(url: str) -> str:
    norm = url.strip().rstrip("/").lower()
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:16]


class GateBusy(Exception):
    """The server stayed in use by another program (or another request) past the deadline."""


class ServerGate:
    def __init__(self, url: str, lock_dir: Path | str | None, *, slots: int = 1):
        self.url = url
        self.token = uuid.uuid4().hex  # this client, for the "who used it last" check
        self._mutex = threading.Lock()
        self._free: list[FileLock] = []
        self._state: Path | None = None
        if lock_dir is not None:
            folder = Path(lock_dir)
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # an unwritable data folder must not stop the room from speaking
                log.warning("no cross-process lock for %s: cannot create %s (%s)", url, folder, exc)
                return
            key = server_key(url)
            self._free = [FileLock(folder / f"gptsovits-{key}-{i}.lock", thread_local=False)
                          for i in range(max(1, slots))]
            self._state = folder / f"gptsovits-{key}.state"

    @property
    def enabled(self) -> bool:
        return self._state is not None

    def enter(self, wait_s: float, cancelled: Callable[[], bool] = lambda: False) -> FileLock | None:
        """Hold a slot of this server; returns the held lock (None when locking is off).
        Raises GateBusy after ``wait_s`` and when ``cancelled()`` turns true."""
        if not self.enabled:
            return None
        end = time.monotonic() + wait_s
        while True:
            with self._mutex:
                candidates = list(self._free)
            for lock in candidates:
                with self._mutex:
                    if lock not in self._free:
                        continue
                    self._free.remove(lock)
                try:
                    lock.acquire(timeout=0)
                    return lock
                except Timeout:
                    with self._mutex:
                        self._free.append(lock)
                except OSError as exc:  # the lock file cannot be used: speak without it
                    with self._mutex:
                        self._free.append(lock)
                    log.warning("cross-process lock %s unusable (%s); going on without it", lock.lock_file, exc)
                    return None
            if cancelled():
                raise GateBusy("cancelled while waiting for the server")
            left = end - time.monotonic()
            if left <= 0:
                raise GateBusy(f"server {self.url} stayed busy with another program's request for {wait_s:g} s "
                               f"(另一个程序正在使用这台 GPT-SoVITS 服务器)")
            time.sleep(min(0.05, left))

    def leave(self, lock: FileLock | None) -> None:
        if lock is None:
            return
        try:
            self._write_state()
        finally:
            try:
                lock.release()
            finally:
                with self._mutex:
                    self._free.append(lock)

    def used_by_other(self) -> bool:
        """True when the last request on this server came from another client (call while
        holding a slot). Unknown (no state yet) counts as ours: nothing to re-assert."""
        if self._state is None:
            return False
        try:
            data = json.loads(self._state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(data, dict) and data.get("token") not in (None, self.token)

    def _write_state(self) -> None:
        assert self._state is not None
        tmp = self._state.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            tmp.write_text(json.dumps({"token": self.token, "pid": os.getpid(), "at": time.time()}),
                           encoding="utf-8")
            os.replace(tmp, self._state)
        except OSError:
            tmp.unlink(missing_ok=True)
