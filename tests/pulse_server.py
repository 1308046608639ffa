"""A private PulseAudio server with virtual (null) sinks, for tests that play through a real
sound server by device name and record what each device got (its ``.monitor`` source).

Each server has its own runtime folder and socket, so it neither needs nor disturbs a desktop
session's sound server; ``env()`` is what a process needs to talk to it. Like a desktop's
(PulseAudio 14+), a stream whose sink vanishes is moved to another sink, not killed.

When the server cannot run, tests skip with the reason — unless ``LIVE_REQUIRE_SOUND_SERVER=1``
(set by ``.ci/run``), where a missing server is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

REQUIRE_ENV = "LIVE_REQUIRE_SOUND_SERVER"
TOOLS = ("pulseaudio", "pactl", "parec")


def unavailable(reason: str):
    """Skip — or fail where CI requires the sound server."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1: the sound-server tests must run here)")
    pytest.skip(reason)


class PulseServer:
    def __init__(self, sinks: dict[str, str], *, root: Path | None = None):
        self.sinks = dict(sinks)  # sink name -> description (the device name SDL shows)
        self.root = Path(root or tempfile.mkdtemp(prefix="pulse-"))
        self.socket = self.root / "native"
        self.proc: subprocess.Popen | None = None
        self.modules: dict[str, int] = {}

    def env(self, base: dict | None = None) -> dict:
        env = dict(os.environ if base is None else base)
        env.update(PULSE_SERVER=f"unix:{self.socket}", PULSE_RUNTIME_PATH=str(self.root / "run"),
                   XDG_RUNTIME_DIR=str(self.root / "run"), HOME=str(self.root / "home"),
                   PULSE_COOKIE=str(self.root / "cookie"))
        env.pop("SDL_AUDIODRIVER", None)  # the real driver, not the tests' dummy one
        return env

    def start(self, timeout: float = 15.0) -> PulseServer:
        missing = [t for t in TOOLS if shutil.which(t) is None]
        if missing:
            unavailable(f"no sound server here: {', '.join(missing)} not installed "
                        "(apt-get install pulseaudio pulseaudio-utils)")
        for sub in ("run", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
            os.chmod(self.root / sub, 0o700)
        args = ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--system=false",
                "--disallow-exit=yes", "--log-target=file:" + str(self.root / "pulse.log"),
                "-L", f"module-native-protocol-unix auth-anonymous=1 socket={self.socket}"]
        for name, desc in self.sinks.items():
            args += ["-L", f"module-null-sink sink_name={name} {_described(desc)}"]
        self.proc = subprocess.Popen(args, env=self.env(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = (self.root / "pulse.log").read_text(errors="replace")[-1500:] if (
                    self.root / "pulse.log").exists() else ""
                self.proc = None
                unavailable(f"pulseaudio exited at start: {log}")
            if self.socket.exists() and self.pactl("info", check=False).returncode == 0:
                self._learn_modules()
                return self
            time.sleep(0.1)
        self.stop()
        unavailable(f"pulseaudio did not answer within {timeout:.0f} s")
        return self

    def pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(["pactl", *args], env=self.env(), capture_output=True, text=True, timeout=10)
        if check and done.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)}: {done.stderr.strip()}")
        return done

    def _learn_modules(self) -> None:
        for line in self.pactl("list", "short", "modules").stdout.splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and parts[1] == "module-null-sink":
                for name in self.sinks:
                    if f"sink_name={name} " in parts[2] + " ":
                        self.modules[name] = int(parts[0])

    def set_default(self, sink: str) -> None:
        self.pactl("set-default-sink", sink)

    def remove_sink(self, sink: str) -> None:
        """The device disappears (unplugged, cable driver restarted)."""
        self.pactl("unload-module", str(self.modules.pop(sink)))

    def add_sink(self, sink: str) -> None:
        out = self.pactl("load-module", "module-null-sink", f"sink_name={sink}", _described(self.sinks[sink]))
        self.modules[sink] = int(out.stdout.strip())

    def record(self, sink: str, rate: int = 32000) -> Recording:
        return Recording(self, sink, rate)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None
        shutil.rmtree(self.root, ignore_errors=True)


def _described(desc: str) -> str:
    """The module argument naming a sink as devices lists show it (spaces, brackets, CJK)."""
    return f"sink_properties='device.description=\"{desc}\"'"


class Recording:
    """``parec`` on a sink's monitor: everything played on that device, as mono float."""

    def __init__(self, server: PulseServer, sink: str, rate: int):
        self.rate = rate
        self.path = server.root / f"rec-{sink}-{time.monotonic_ns()}.raw"
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            ["parec", "-d", f"{sink}.monitor", "--raw", "--format=s16le", f"--rate={rate}", "--channels=1",
             "--latency-msec=20"], env=server.env(), stdout=self._file, stderr=subprocess.DEVNULL)

    def stop(self) -> np.ndarray:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._file.close()
        data = self.path.read_bytes()
        return np.frombuffer(data[: len(data) // 2 * 2], "<i2").astype(np.float32) / 32768.0
