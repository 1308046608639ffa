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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app import events, paths, process_records
from app.config.schema import AT_RESTART
from app.logs import get_logger
from app.runtime import Runtime

log = get_logger("runtime.process")

START_TIMEOUT_S = 60.0  # a cold start on a slow laptop imports numpy, webrtcvad, word lists …
STOP_TIMEOUT_S = 8.0  # the child stops its stages within ~2 s; then it is terminated
STDERR_TAIL = 40  # lines kept to explain a failed start or a crash
BUS_URL_ENV = "LIVE_BUS_URL"  # how the bus url reaches the child: a Redis password stays off the command line
#: The app's values of the options read at its launch (the edited folders): the child runs with
#: them, not with the file's, so an option the settings call 需重启程序 is not applied at a 开播.
PINNED_ENV = "LIVE_PINNED_OPTIONS"


class RuntimeProcessError(RuntimeError):
    """The child runtime could not start, or stopped on its own; the message says why."""


def open_runtime(config_path: Path | str | None, *, demo: bool, sink: str | None = None) -> Any:
    """What the desktop app runs: see the module docstring."""
    local = Runtime(config_path, demo=demo)
    if local.bus.backend == "memory":
        return local
    return RuntimeProcess(local, sink=sink)


def child_pinned_options() -> dict[str, str]:
    """In the child: the app's values of the options read at its launch (``PINNED_ENV``)."""
    raw = os.environ.get(PINNED_ENV, "")
    return json.loads(raw) if raw else {}


def child_command(*args: str) -> list[str]:
    """How to run this app's command line in a new process, from source or from the build."""
    if not paths.is_frozen():
        return [sys.executable, str(paths.app_dir() / "main.py"), *args]
    exe = Path(sys.executable)
    cli = exe.with_name("live-cli.exe")
    if sys.platform == "win32" and cli.exists():
        # live.exe is a windowed program: no reliable stdio, and an uncaught error opens a
        # dialog that keeps the process alive; live-cli.exe is the same program with a console
        return [str(cli), *args]
    return [str(exe), *args]


class _Child:
    """One child process and what is known about it (never reused across starts)."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.started = threading.Event()  # it printed "started"
        self.output_done = threading.Event()  # stdout reached EOF: it is exiting
        self.asked_to_stop = threading.Event()  # its exit is no surprise
        self.tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL)
        self.stderr_reader: threading.Thread | None = None
        self.record: Path | None = None  # app.process_records: stopped at the next start if orphaned


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
        self._child: _Child | None = None
        self._lock = threading.Lock()
        local.start_upkeep()  # the editor's compliance markers follow config and word-list edits

    # what the views use, from this process
    bus = property(lambda self: self.local.bus)
    config = property(lambda self: self.local.config)
    library = property(lambda self: self.local.library)
    templates = property(lambda self: self.local.templates)
    compliance = property(lambda self: self.local.compliance)
    demo = property(lambda self: self.local.demo)

    def llm_client(self):
        return self.local.llm_client()

    def health(self) -> dict[str, events.Health]:
        return self.local.health()

    @property
    def running(self) -> bool:
        child = self._child
        return child is not None and child.started.is_set() and child.proc.poll() is None

    @property
    def pid(self) -> int | None:
        child = self._child
        return child.proc.pid if child is not None else None

    # ---- lifecycle -------------------------------------------------------------------------------

    def command(self) -> list[str]:
        args = ["run", "--headless", "--child", "--config", str(self.local.config_path),
                "--bus-namespace", self.local.bus.namespace]
        if self.demo:
            args.append("--demo")
        if self.sink:
            args += ["--sink", self.sink]
        return child_command(*args)

    def start(self) -> None:
        """Start the child and return once its stages run; raises ``RuntimeProcessError``."""
        with self._lock:
            if self._child is not None and self._child.proc.poll() is None:
                return
            self.local.config.apply_restart_options()  # marks what the child reads fresh as applied
            for line in process_records.sweep():  # a room an earlier crash of the app left running
                log.warning("%s", line)
            env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1",
                   BUS_URL_ENV: self.local.bus.url,
                   PINNED_ENV: json.dumps(self.local.config.running_values(AT_RESTART), ensure_ascii=False)}
            flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console window on Windows
            child = _Child(subprocess.Popen(self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, env=env, creationflags=flags))
            self._child = child
            # it stops by itself when our end of its stdin closes (so also when this app dies);
            # the record is for a child that could not (hung) when the app was killed
            child.record = process_records.remember(
                "runtime", child.proc.pid, marks=["--child", str(self.local.config_path)])
            threading.Thread(target=self._read_stdout, args=(child,), name="runtime-stdout", daemon=True).start()
            child.stderr_reader = threading.Thread(target=self._read_stderr, args=(child,),
                                                   name="runtime-stderr", daemon=True)
            child.stderr_reader.start()
        # waited for outside the lock: closing the window mid-start must be able to stop it
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (child.started.is_set() or child.output_done.is_set()) and time.monotonic() < deadline:
            child.started.wait(0.1)
        if child.started.is_set():
            log.info("直播进程 %d 已启动", child.proc.pid)
            return
        timed_out = not child.output_done.is_set()
        child.asked_to_stop.set()
        _end(child.proc, STOP_TIMEOUT_S)
        child.stderr_reader.join(2)  # its last words say why
        with self._lock:
            if self._child is child:
                self._child = None
        what = f"did not start within {START_TIMEOUT_S:.0f} s" if timed_out else "did not start"
        raise RuntimeProcessError(self._explain(child, what))

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Ask the child to stop (close its stdin) and wait; terminate it if it hangs."""
        with self._lock:
            child, self._child = self._child, None
        if child is None:
            return
        child.asked_to_stop.set()
        code = _end(child.proc, timeout)
        log.info("直播进程 %d 已结束（退出码 %s）", child.proc.pid, code)

    def kill(self) -> None:
        """The app is going away and could not wait: end the child now."""
        child = self._child
        if child is not None and child.proc.poll() is None:
            child.asked_to_stop.set()
            child.proc.kill()
            child.proc.stdin.close()

    def close(self) -> None:
        self.stop()
        self.local.close()

    # ---- the child's output ----------------------------------------------------------------------

    def _read_stdout(self, child: _Child) -> None:
        with child.proc.stdout:
            for raw in child.proc.stdout:
                if raw.strip() == b"started":
                    child.started.set()
        child.output_done.set()

    def _read_stderr(self, child: _Child) -> None:
        """File the child's JSON log lines under their own loggers here; keep a tail to explain
        a failure. Runs until the child closes stderr, i.e. exits."""
        with child.proc.stderr:
            self._relay_log(child)
        code = child.proc.wait()
        process_records.forget(child.record)
        try:
            child.proc.stdin.close()  # the child is gone: nobody reads it any more
        except OSError:
            pass
        # a child that never started is start()'s to report; one we stopped is no surprise
        if child.started.is_set() and not child.asked_to_stop.is_set() and self.on_exit is not None:
            self.on_exit(self._explain(child, f"stopped on its own (exit {code})"))

    @staticmethod
    def _relay_log(child: _Child) -> None:
        for raw in child.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if not line:
                continue
            try:
                rec = json.loads(line)
                level, name, msg = int(rec["level"]), str(rec["name"]), str(rec["msg"])
            except (ValueError, KeyError, TypeError):
                level, name, msg = logging.WARNING, log.name, line  # not a log record: a crash, a print
            child.tail.append(msg)
            logging.getLogger(name).log(level, "%s", msg)

    @staticmethod
    def _explain(child: _Child, what: str) -> str:
        from app.redaction import redact

        tail = [line for line in child.tail if line.strip()][-6:]
        detail = "\n".join(tail) if tail else "(no output)"
        return redact(f"runtime process {child.proc.pid} {what}:\n{detail}")


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
