"""Playback devices chosen by name, kept working for the whole live.

``DeviceOutput`` holds one device the operator asked for (the stream output, e.g. a virtual
cable into 直播伴侣/OBS, or the monitor headphones). It notices when the device goes away —
SDL reports it stopped, or it stops taking audio — and then:

- the stream output falls back to the system default device at once (the room is never
  silent because a cable driver restarted) and goes back to the named device when it returns;
- the monitor does not fall back (the default device may be the very cable that goes on air,
  which would double the sound); it waits for its device to come back.

Every change is reported through ``on_change(status, detail)`` with a Chinese detail.

Threads: the mixer's render thread calls ``write``/``queued``; one maintenance thread calls
``open``/``maintain``/``set_target``/``close``. Opening a device can take a moment (a sound
server connection), so it happens outside the lock; only swapping the device is locked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.audio import sdl
from app.logs import get_logger

log = get_logger("audio")

DEFAULT_LABEL = "系统默认设备"


@dataclass(frozen=True)
class DeviceInfo:
    name: str
    default: bool = False


def list_outputs() -> tuple[list[DeviceInfo], str]:
    """The playback devices (the system default marked when SDL can tell) and the sound
    backend in use; raises ``sdl.SdlError`` when there is no sound system at all."""
    names = sdl.output_names()
    default = sdl.default_output_name()
    return [DeviceInfo(n, n == default) for n in names], sdl.driver()


def describe(target: str) -> str:
    return f"「{target}」" if target else DEFAULT_LABEL


class DeviceOutput:
    """One playback device that should be ``target`` (``""`` = the system default)."""

    GRACE_S = 3.0  # after opening, a sound server may take a while before it consumes

    def __init__(self, role: str, target: str, rate: int, *, fallback: bool = True,
                 opener: Callable[..., object] = sdl.QueueDevice, names: Callable[[], list[str]] = sdl.output_names,
                 clock: Callable[[], float] = time.monotonic, stall_s: float = 1.5, retry_s: float = 2.0,
                 on_change: Callable[[str, str], None] | None = None):
        self.role = role  # "输出" or "监听": used in messages
        self.target = target
        self.rate = rate
        self.fallback = fallback
        self.opener = opener
        self.names = names
        self.clock = clock
        self.stall_s = stall_s
        self.retry_s = retry_s
        self.on_change = on_change
        self._lock = threading.Lock()
        self.dev = None
        self.on_target = False
        self._failed = ""  # a write that SDL refused, handled by the next ``maintain``
        self._new_target: str | None = None
        self._lost_why = ""  # why the device was last lost, until it is open again
        self._closed = False  # closed for good: upkeep must not reopen it
        self.status = "down"
        self.detail = "未打开"
        self.changes: list[dict] = []  # for the run report
        self.lost_count = 0
        self._next_try = 0.0
        self._opened_at = 0.0
        self._written = 0  # samples queued on the open device
        self._last_played = 0
        self._last_progress = 0.0

    # ---- opening -------------------------------------------------------------------------

    def open(self) -> bool:
        """Open the target, else (stream output) the default device. False when nothing opened."""
        self._try_open(self.clock(), why="")
        return self.dev is not None

    def _try_open(self, now: float, why: str, *, back: bool = False) -> None:
        """Open the target; ``why`` it was closed, for the message; ``back``: it returned
        while the default device stood in."""
        self._next_try = now + self.retry_s
        error = ""
        try:
            self._use(self.opener(self.target or None, self.rate), on_target=True, now=now)
            note = "（设备已恢复，已切回）" if back else (f"（{why}，已重新打开）" if why else "")
            self._set("ok", f"{self.role}：{describe(self.target)}{note}")
            self._lost_why = ""
            return
        except sdl.SdlError as exc:
            error = str(exc)
        if self.fallback and self.target:
            try:
                self._use(self.opener(None, self.rate), on_target=False, now=now)
                self._set("degraded", f"{self.role}设备{describe(self.target)}不可用（{why or error}），"
                                      f"暂时改用{DEFAULT_LABEL}；设备恢复后自动切回")
                return
            except sdl.SdlError as exc:
                error = f"{error}；{DEFAULT_LABEL}也打不开：{exc}"
        if self._closed:
            return
        self._set("down", f"{self.role}设备{describe(self.target)}打不开（{why or error}），每 {self.retry_s:.0f} 秒重试"
                  + ("；直播照常进行，但观众听不到声音，请检查声卡或虚拟声卡" if self.role == "输出" else ""))

    def _use(self, dev, *, on_target: bool, now: float) -> None:
        self._close_dev()
        if self._closed:  # closed while this device was being opened
            dev.close()
            raise sdl.SdlError("已关闭")
        with self._lock:
            self.dev = dev
            self._failed = ""
            self._written = 0
        self.on_target = on_target
        self._opened_at = now
        self._last_played = 0
        self._last_progress = now

    def set_target(self, target: str) -> None:
        """Switch to another device (a live setting): done by the next ``maintain``."""
        self._new_target = target

    # ---- running -------------------------------------------------------------------------

    @property
    def pacing(self) -> bool:
        """Open and taking audio: its queue is the clock the mixer follows."""
        return self.dev is not None

    def queued(self) -> int:
        dev = self.dev
        return dev.queued_samples() if dev is not None else 0

    def write(self, pcm: bytes) -> None:
        with self._lock:
            dev = self.dev
            if dev is None or self._failed:
                return
            try:
                dev.queue(pcm)
                self._written += len(pcm) // 2
            except sdl.SdlError as exc:
                self._failed = f"写入失败：{exc}"

    def maintain(self, now: float | None = None) -> None:
        """Notice a lost device and reopen; go back to the named device when it returns.
        Called often (every render period); does real work at most every ``retry_s``."""
        if self._closed:
            return
        now = self.clock() if now is None else now
        new, self._new_target = self._new_target, None
        if new is not None and new != self.target:
            self.target = new
            self._close_dev()
            self._next_try = now
        dev = self.dev
        if dev is not None:
            if self._failed:
                self._lost(now, self._failed)
                return
            if dev.status() == sdl.STOPPED:
                self._lost(now, "设备已断开")
                return
            played = self._written - dev.queued_samples()  # what the device has taken so far
            if played > self._last_played or played == self._written:  # moving, or nothing to play
                self._last_progress = now
            self._last_played = played
            grace = self.GRACE_S if now - self._opened_at < self.GRACE_S else 0.0
            if now - self._last_progress > self.stall_s + grace:
                self._lost(now, f"设备 {now - self._last_progress:.1f} 秒没有播放")
                return
            if now < self._next_try:
                return
            self._next_try = now + self.retry_s
            present = not self.target or self.target in self._names()
            if self.on_target and not present:
                # a sound server may move our stream elsewhere when the device goes (PulseAudio's
                # rescue-streams): still "playing", but not where the operator wanted it
                self._lost(now, "已从系统设备列表中消失")
            elif not self.on_target and present:  # the named device is back
                self._try_open(now, why="", back=True)
            return
        if now >= self._next_try:
            if self.target and self.target not in self._names():
                self._next_try = now + self.retry_s
                why = self._lost_why or "设备不在列表中"
                if self.fallback:
                    self._try_open(now, why=why)
                else:
                    self._set("down", f"{self.role}设备{describe(self.target)}不可用（{why}），等待它恢复")
                return
            self._try_open(now, why=self._lost_why)

    def _names(self) -> list[str]:
        try:
            return self.names()
        except sdl.SdlError:
            return []

    def _lost(self, now: float, why: str) -> None:
        self.lost_count += 1
        log.warning("%s device %r lost: %s", self.role, self.target or "default", why)
        self._close_dev()
        self._lost_why = why
        self._next_try = now  # reopen (or fall back) at once
        self.maintain(now)

    def _set(self, status: str, detail: str) -> None:
        if (status, detail) == (self.status, self.detail):
            return
        self.status, self.detail = status, detail
        self.changes.append({"t": round(self.clock(), 3), "status": status, "detail": detail})
        del self.changes[:-50]
        (log.info if status == "ok" else log.warning)("audio %s: %s", self.role, detail)
        if self.on_change is not None:
            self.on_change(status, detail)

    def _close_dev(self) -> None:
        with self._lock:
            dev, self.dev = self.dev, None
        self.on_target = False
        if dev is not None:
            try:
                dev.close()
            except sdl.SdlError:
                pass

    def close(self) -> None:
        self._closed = True
        self._close_dev()
        self._set("off", f"{self.role}已停止")


TEST_LINE = "这是直播声音测试，听到这句话，说明设备选对了。"


def play_clip(target: str, samples, rate: int, *, opener: Callable[..., object] = sdl.QueueDevice,
              clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> float:
    """Play mono int16 ``samples`` on the device ``target`` (``""`` = system default) and return
    once they were played, at most the clip's length + 3 s later (a stuck device raises).
    Returns the seconds it took. Raises ``sdl.SdlError`` when the device cannot be used."""
    import numpy as np

    pcm = np.asarray(samples, dtype="<i2").tobytes()
    duration = len(pcm) / 2 / rate
    dev = opener(target or None, rate)
    start = clock()
    try:
        dev.queue(pcm)
        deadline = start + duration + 3.0
        while dev.queued_samples() > 0:
            if dev.status() == sdl.STOPPED:
                raise sdl.SdlError(f"设备{describe(target)}在播放中断开了")
            if clock() > deadline:
                raise sdl.SdlError(f"设备{describe(target)}没有在 {duration + 3:.0f} 秒内播完测试声音（设备卡住或被占用）")
            sleep(0.02)
        sleep(min(0.3, duration))  # the last period is still in the device after the queue empties
    finally:
        dev.close()
    return clock() - start
