"""Reasoning text must never be spoken (issue 20.6, protocols §7.11–7.13).

Reasoning models write their thinking inline as ``<think>…</think>`` when the service does not
separate it (Ollama ≤ 0.12.3 puts it into ``content``; some models and gateways do so whatever
they are asked). ``ThinkStripper`` removes it from a stream of text deltas before sentence
splitting, whatever the chunking: a tag split across deltas (``"<thi"`` + ``"nk>"``), several
think blocks, and an unclosed one (everything after ``<think>`` is dropped: a model cut off by
its token limit while thinking has no answer to give). A stray ``</think>`` on its own is
removed. Tags are matched without regard to case.
"""

from __future__ import annotations

OPEN = "<think>"
CLOSE = "</think>"


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is a beginning of ``tag`` (a tag still arriving)."""
    lowered = text[-(len(tag) - 1):].lower() if len(tag) > 1 else ""
    for n in range(min(len(lowered), len(tag) - 1), 0, -1):
        if tag.startswith(lowered[-n:]):
            return n
    return 0


class ThinkStripper:
    def __init__(self) -> None:
        self._inside = False
        self._held = ""  # the end of the text seen so far that may be the start of a tag
        self._after_close = False  # strip the blank lines models put after </think>
        self.dropped_chars = 0  # reasoning characters removed (for the stats)
        self.blocks = 0

    def feed(self, delta: str) -> str:
        """The speakable part of ``delta`` (may be "", and may hold back a few characters that
        could be the beginning of a tag until the next delta)."""
        text = self._held + delta
        self._held = ""
        out: list[str] = []
        while text:
            if self._inside:
                i = text.lower().find(CLOSE)
                if i < 0:
                    keep = _partial_suffix(text, CLOSE)
                    self.dropped_chars += len(text) - keep
                    self._held = text[len(text) - keep:] if keep else ""
                    break
                self.dropped_chars += i
                text = text[i + len(CLOSE):]
                self._inside, self._after_close = False, True
                continue
            if self._after_close:
                text = text.lstrip()
                if not text:
                    break
                self._after_close = False
            lowered = text.lower()
            i, j = lowered.find(OPEN), lowered.find(CLOSE)
            if j >= 0 and (i < 0 or j < i):  # a stray closing tag: remove it, keep the rest
                out.append(text[:j])
                text = text[j + len(CLOSE):]
                continue
            if i >= 0:
                out.append(text[:i])
                text = text[i + len(OPEN):]
                self._inside = True
                self.blocks += 1
                continue
            keep = max(_partial_suffix(text, OPEN), _partial_suffix(text, CLOSE))
            out.append(text[:len(text) - keep])
            self._held = text[len(text) - keep:] if keep else ""
            break
        return "".join(out)

    def flush(self) -> str:
        """At the end of the stream: held characters that turned out not to be a tag, or nothing
        when the stream ended inside an unclosed think block."""
        held, self._held = self._held, ""
        if self._inside:
            self.dropped_chars += len(held)
            return ""
        return held
