"""Operator commands, sent to the runtime when one is attached, else published on ``control``.

Every method returns at once: the runtime's command methods publish on the bus, and start/stop
(which may take a second) run on a worker thread (``RuntimeHost``).

The commands that act on what the room is saying (插播, 插播音频, 跳过, 清空队列) need a running
room: with a runtime attached that is not running, nothing would take them off the bus, so they
are refused (``False``) and the caller tells the operator instead of dropping them silently.
"""

from __future__ import annotations

from typing import Any

from app import events
from app.events import Channel

#: What the operator is told when a command that needs the live is given while not live.
NOT_LIVE = "直播未开始，{what}没有发出：开播后可用"


class Controls:
    def __init__(self, bus: Any, runtime: Any | None = None):
        self.bus = bus
        self.runtime = runtime

    @property
    def live(self) -> bool:
        """Can the room take a command now? Without a runtime (tests, a headless room on the
        bus) the command goes out on ``control`` for whoever runs the room."""
        return self.runtime is None or bool(getattr(self.runtime, "running", True))

    def _send(self, method: str, event: Any, *args: Any) -> None:
        if self.runtime is not None and hasattr(self.runtime, method):
            getattr(self.runtime, method)(*args)
        elif self.bus is not None:
            self.bus.publish(Channel.CONTROL, event)

    def _send_live(self, method: str, event: Any, *args: Any) -> bool:
        if not self.live:
            return False
        self._send(method, event, *args)
        return True

    def pause(self) -> None:
        self._send("pause", events.Pause())

    def resume(self) -> None:
        self._send("resume", events.Resume())

    def skip(self) -> bool:
        return self._send_live("skip", events.Skip())

    def clear_queue(self) -> bool:
        return self._send_live("clear_queue", events.ClearQueue())

    def say_now(self, text: str, priority: int) -> bool:
        return self._send_live("say_now", events.SayNow(text=text, priority=priority), text, priority)

    def switch_product(self, slug: str) -> None:
        self._send("switch_product", events.SwitchProduct(slug=slug), slug)

    def pin_product(self, slug: str | None) -> None:
        self._send("pin_product", events.PinProduct(slug=slug), slug)

    def play_file(self, path: str, label: str = "", priority: int = int(events.Priority.EMERGENCY)) -> bool:
        return self._send_live("play_file", events.PlayFile(path=path, label=label, priority=priority),
                               path, label, priority)
