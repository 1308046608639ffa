"""The feed recording format, read by the replay server and by ``parse-feed``.

A recording is UTF-8 text, one dy-barrage-grab frame per line, exactly as it came off the
WebSocket. A line may carry a time offset for paced replay:

    <seconds since the recording started>\\t<frame>
    12.500\\t{"Type":1,"ProcessName":"chrome","Data":"{...}"}

- Offsets are decimal seconds (``0``, ``1.25``), measured from the start of the recording, and
  should not decrease; a line whose offset is lower than the previous one is sent at once.
- A line without an offset is a plain frame: a file of plain frames is replayed without pacing
  (as fast as the client reads), and in a mixed file a plain frame follows the previous one at
  once.
- Blank lines and lines starting with ``#`` are comments (a frame always starts with ``{``).

The frame text itself is never rewritten, so what is replayed is byte-for-byte what was
recorded (except ``--loop`` passes after the first, see ``shift_msg_ids``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

_OFFSET = re.compile(r"^(\d+(?:\.\d*)?)\t")
# MsgId inside the string-encoded Data object: \"MsgId\":1234
_MSG_ID = re.compile(r'(\\"MsgId\\":)(\d+)')


@dataclass(frozen=True)
class RecordedFrame:
    line: int  # 1-based line number in the file (0 when not from a file)
    offset: float | None  # seconds since the recording started; None = no pacing
    frame: str


def parse_line(text: str, line: int = 0) -> RecordedFrame | None:
    """One line of a recording → a frame, or None for a blank/comment line."""
    text = text.rstrip("\r\n")
    if not text.strip() or text.startswith("#"):
        return None
    m = _OFFSET.match(text)
    if m:
        return RecordedFrame(line, float(m.group(1)), text[m.end():])
    return RecordedFrame(line, None, text)


def iter_lines(lines: Iterable[str]) -> Iterator[RecordedFrame]:
    for n, text in enumerate(lines, 1):
        rec = parse_line(text, n)
        if rec is not None:
            yield rec


def read_recording(path: str | Path) -> Iterator[RecordedFrame]:
    """Frames of a recording file, lazily (a recording may be far larger than memory).

    Invalid UTF-8 is not fatal here: the bad bytes become U+FFFD, and the decoder then judges
    the frame. Use ``parse-feed`` to find such lines.
    """
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        yield from iter_lines(fh)


def format_line(frame: str, offset: float | None = None) -> str:
    if "\n" in frame or "\r" in frame:
        raise ValueError("a frame must be a single line (dy-barrage-grab frames contain no raw newline)")
    return frame if offset is None else f"{offset:.3f}\t{frame}"


def shift_msg_ids(frame: str, shift: int) -> str:
    """The frame with its MsgId moved by ``shift``: a looped replay then looks like new
    messages instead of duplicates a consumer would rightly drop."""
    if not shift:
        return frame
    return _MSG_ID.sub(lambda m: f"{m.group(1)}{(int(m.group(2)) + shift) % (1 << 63)}", frame, count=1)
