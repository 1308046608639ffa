"""The runtime in its own process, for the desktop app.

Why: at 2,000 events/s the stages' threads hold the GIL so often that the GUI thread, which
needs it for every call into a Python table model while painting, stalls for 60–110 ms. With
the stages in a child process (``main.py run --headless --child``) the GUI process only
decodes what it shows.

``open_runtime`` gives the desktop app what it drives: a ``RuntimeProcess`` when the bus is a
Redis both processes can reach (the default embedded one included), else the in-process
``Runtime`` (the memory bus, e.g. Windows without a Redis). Both offer the same surface: ``bus``,
``config``, ``library``, ``compliance``, ``llm_client``, ``demo``, ``running``, ``health()``,
``start()``, ``stop()``, ``close()``; operator commands travel on the bus's control channel.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app import events, paths
from app.logs import get_logger
from app.runtime import Runtime

log = get_logger("runtime.process")

START_TIMEOUT_S = 60.0  # a cold start on a slow laptop imports numpy, webrtcvad, word lists …
STOP_TIMEOUT_S = 8.0  # the child stops its stages within ~2 s; then it is terminated
STDERR_TAIL = 40  # lines kept to explain a failed start or a crash


class RuntimeProcessError(RuntimeError):
    """The child runtime could not start, or stopped on its own; the message says why."""


def open_runtime(config_path: Path | str | None, *, demo: bool, sink: str | None = None) -> Any:
    """What the desktop app runs: see the module docstring."""
    local = Runtime(config_path, demo=demo)
    if local.bus.backend == "memory":
        return local
    return RuntimeProcess(local, sink=sink)


def child_command(*args: str) -> list[str]:
    """How to run this app's command line in a new process, from source or from the build."""
    if paths.is_frozen():
        return [sys.executable, *args]
    return [sys.executable, str(paths.app_dir() / "main.py"), *args]


class RuntimeProcess:
    """Stages in a child process, driven over the bus this process owns.

    ``local`` is a ``Runtime`` that is never started: in this process it holds what the views
    edit and show (config store, product library, compliance filter, LLM client) and the bus.
    Its config store is the one that announces config.ini edits; the child applies them quietly.
    """

    def __init__(self, local: Runtime, *, sink: str | None = None):
        self.local = local
        self.sink = sink
        self.on_exit: Callable[[str], None] | None = None  # the child stopped without being asked
        self._proc: subprocess.Popen | None = None
        self._asked_to_stop: set[int] = set()  # pids we stopped: their exit is no surprise
        self._stderr_reader: threading.Thread | None = None
        self._lock = threading.Lock()
        self._tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL)

    # what the views use, from this process
    bus = property(lambda self: self.local.bus)
    config = property(lambda self: self.local.config)
    library = property(lambda self: self.local.library)
    compliance = property(lambda self: self.local.compliance)
    demo = property(lambda self: self.local.demo)

    def llm_client(self):
        return self.local.llm_client()

    def health(self) -> dict[str, events.Health]:
        return self.local.health()

    @property
    def running(self) -> bool:
        proc = self._proc
        return proc is not None and proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # ---- lifecycle -------------------------------------------------------------------------------

    def command(self) -> list[str]:
        bus = self.local.bus
        args = ["run", "--headless", "--child", "--config", str(self.local.config_path),
                "--bus-url", bus.url, "--bus-namespace", bus.namespace]
        if self.demo:
            args.append("--demo")
        if self.sink:
            args += ["--sink", self.sink]
        return child_command(*args)

    def start(self) -> None:
        """Start the child and return once its stages run; raises ``RuntimeProcessError``."""
        with self._lock:
            if self.running:
                return
            self.local.config.apply_restart_options()  # the child reads them fresh: clear the marks
            self._tail.clear()
            env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"}
            flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console window on Windows
            proc = subprocess.Popen(self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=env, creationflags=flags)
            self._proc = proc
            ready = threading.Event()
            said_started: list[bool] = []
            threading.Thread(target=self._read_stdout, args=(proc, ready, said_started),
                             name="runtime-stdout", daemon=True).start()
            self._stderr_reader = threading.Thread(target=self._read_stderr, args=(proc,),
                                                   name="runtime-stderr", daemon=True)
            self._stderr_reader.start()
            if not ready.wait(START_TIMEOUT_S) or not said_started:
                self._asked_to_stop.add(proc.pid)
                _end(proc, STOP_TIMEOUT_S)
                self._proc = None
                self._stderr_reader.join(2)  # its last words say why
                raise RuntimeProcessError(self._explain(proc, "did not start"))
            log.info("runtime process %d started", proc.pid)

    def stop(self) -> None:
        """Ask the child to stop (close its stdin) and wait; terminate it if it hangs."""
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is None:
                return
            self._asked_to_stop.add(proc.pid)
            code = _end(proc, STOP_TIMEOUT_S)
            log.info("runtime process %d stopped (exit %s)", proc.pid, code)

    def close(self) -> None:
        self.stop()
        self.local.close()

    # ---- the child's output ----------------------------------------------------------------------

    def _read_stdout(self, proc: subprocess.Popen, ready: threading.Event, said_started: list[bool]) -> None:
        for raw in proc.stdout:
            if raw.strip() == b"started":
                said_started.append(True)
                ready.set()
        ready.set()  # EOF before "started": the child is gone

    def _read_stderr(self, proc: subprocess.Popen) -> None:
        """File the child's JSON log lines under their own loggers here; keep a tail to explain
        a failure. Runs until the child closes stderr, i.e. exits."""
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if not line:
                continue
            try:
                rec = json.loads(line)
                level, name, msg = int(rec["level"]), str(rec["name"]), str(rec["msg"])
            except (ValueError, KeyError, TypeError):
                level, name, msg = logging.WARNING, log.name, line  # not a log record: a crash, a print
            self._tail.append(msg)
            logging.getLogger(name).log(level, "%s", msg)
        code = proc.wait()
        if proc.pid not in self._asked_to_stop and self.on_exit is not None:
            self.on_exit(self._explain(proc, f"stopped on its own (exit {code})"))

    def _explain(self, proc: subprocess.Popen, what: str) -> str:
        tail = [line for line in self._tail if line.strip()][-6:]
        detail = "\n".join(tail) if tail else "(no output)"
        return f"runtime process {proc.pid} {what}:\n{detail}"


def _end(proc: subprocess.Popen, timeout: float) -> int:
    """Close the child's stdin (its signal to stop), wait, then terminate, then kill."""
    try:
        proc.stdin.close()
    except OSError:
        pass
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        log.warning("runtime process %d did not stop in %.0f s: terminating it", proc.pid, timeout)
        proc.terminate()
    try:
        return proc.wait(3)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()
