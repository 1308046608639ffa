"""Operator commands, sent to the runtime when one is attached, else published on ``control``.

Every method returns at once: the runtime's command methods publish on the bus, and start/stop
(which may take a second) run on a worker thread (``RuntimeHost``).
"""

from __future__ import annotations

from typing import Any

from app import events
from app.events import Channel


class Controls:
    def __init__(self, bus: Any, runtime: Any | None = None):
        self.bus = bus
        self.runtime = runtime

    def _send(self, method: str, event: Any, *args: Any) -> None:
        if self.runtime is not None and hasattr(self.runtime, method):
            getattr(self.runtime, method)(*args)
        elif self.bus is not None:
            self.bus.publish(Channel.CONTROL, event)

    def pause(self) -> None:
        self._send("pause", events.Pause())

    def resume(self) -> None:
        self._send("resume", events.Resume())

    def skip(self) -> None:
        self._send("skip", events.Skip())

    def clear_queue(self) -> None:
        self._send("clear_queue", events.ClearQueue())

    def say_now(self, text: str, priority: int) -> None:
        self._send("say_now", events.SayNow(text=text, priority=priority), text, priority)

    def switch_product(self, slug: str) -> None:
        self._send("switch_product", events.SwitchProduct(slug=slug), slug)

    def pin_product(self, slug: str | None) -> None:
        self._send("pin_product", events.PinProduct(slug=slug), slug)

    def play_file(self, path: str, label: str = "", priority: int = int(events.Priority.EMERGENCY)) -> None:
        self._send("play_file", events.PlayFile(path=path, label=label, priority=priority), path, label, priority)
