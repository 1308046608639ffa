"""Reading the operator's own text files (product.json, segment and template files) so that
none is silently dropped (issue 18.5).

UTF-8 (with or without Notepad's BOM) is read as is. A file that is not UTF-8 is almost always
one saved as "ANSI" by Notepad on a Chinese Windows, i.e. GBK. Such a file is **converted**:
rejecting it would leave an operator who did nothing unusual with a product that will not load
and a message about encodings; reading it as GBK is what they meant. The conversion is only
done when the GBK reading is plausibly Chinese text (most non-ASCII characters are CJK), so a
Latin-1 or binary file is not turned into nonsense: that one is rejected with its line and what
to do. The original bytes are kept beside the file (``<name>.gbk.bak``) and the conversion is
announced (log + ``notice``), so nothing the operator made is lost.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from pathlib import Path

from app.fileio import write_text_atomic
from app.logs import get_logger

log = get_logger("content")

BACKUP_SUFFIX = ".gbk.bak"
#: Share of the non-ASCII characters of a GBK reading that must be CJK for it to be believed.
CJK_SHARE = 0.6


class UnreadableFile(ValueError):
    """A file that cannot be read as text; ``str()`` is ``path:line: reason`` in Chinese."""

    def __init__(self, path: Path, line: int, reason: str):
        self.path, self.line, self.reason = Path(path), line, reason
        super().__init__(f"{path}:{line}: {reason}")


def read_operator_text(path: str | Path) -> tuple[str, str | None]:
    """``(text, notice)``: the file's text (line endings kept), and a Chinese notice when it was
    converted from GBK (else None). Raises ``UnreadableFile`` (not UTF-8 and not GBK Chinese)
    or ``OSError`` (missing, no permission)."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
    text = _as_gbk(raw)
    if text is None:
        raise UnreadableFile(path, line, "不是 UTF-8 编码的文本，从这一行起无法读取。请用记事本打开，"
                                         "“另存为”时编码选 UTF-8 后保存")
    backup = _free_backup_name(path)
    try:
        backup.write_bytes(raw)
        write_text_atomic(path, text)
        notice = f"{path}: 文件是 GBK 编码，已自动转换为 UTF-8；原文件备份为 {backup.name}"
    except OSError as exc:
        notice = f"{path}: 文件是 GBK 编码，已按 GBK 读取，但未能转换保存（{exc.strerror or exc}）"
    log.warning("%s", notice)
    return text, notice


def _as_gbk(raw: bytes) -> str | None:
    try:
        text = raw.decode("gbk")
    except UnicodeDecodeError:
        return None
    wide = [c for c in text if ord(c) > 0x7F]
    cjk = sum(1 for c in wide if _is_cjk(c))
    return text if wide and cjk >= CJK_SHARE * len(wide) else None


def _is_cjk(c: str) -> bool:
    o = ord(c)
    return (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x3000 <= o <= 0x303F
            or 0xFF00 <= o <= 0xFFEF or 0x2018 <= o <= 0x201D or o in (0x2026, 0x00B7, 0x2014))


def _free_backup_name(path: Path) -> Path:
    candidate = path.with_name(path.name + BACKUP_SUFFIX)
    n = 1
    while candidate.exists():  # an earlier conversion's backup is kept too
        candidate = path.with_name(f"{path.name}.{n}{BACKUP_SUFFIX}")
        n += 1
    return candidate


def without_final_newlines(text: str) -> str:
    """A template file's text as rendered: the line breaks an editor adds at the end of the
    file are not part of what is spoken (issue 19.5). Positions of errors are unchanged."""
    return text.rstrip("\r\n")


# ---- where a value sits in a JSON file ---------------------------------------------------------


def json_lines(raw: str) -> dict[tuple, int]:
    """For valid JSON text: the line of every value by its path (``("faq", 2, "reply")``); for an
    object member, the line of its key. Used to point a problem at its line. Empty when the text
    is not what was expected (the caller then names the file only)."""
    out: dict[tuple, int] = {}
    newlines = [i for i, c in enumerate(raw) if c == "\n"]
    decoder = json.JSONDecoder()
    n = len(raw)

    def line_at(i: int) -> int:
        return bisect_right(newlines, i - 1) + 1

    def skip(i: int) -> int:
        while i < n and raw[i] in " \t\r\n\ufeff":
            i += 1
        return i

    def value(i: int, path: tuple) -> int:
        i = skip(i)
        out.setdefault(path, line_at(i))
        if raw[i] == "{":
            i = skip(i + 1)
            if raw[i] == "}":
                return i + 1
            while True:
                i = skip(i)
                key, after = decoder.raw_decode(raw, i)
                out[path + (key,)] = line_at(i)
                i = skip(after) + 1  # past ':'
                i = skip(value(i, path + (key,)))
                if raw[i] == "}":
                    return i + 1
                i += 1  # ','
        if raw[i] == "[":
            i = skip(i + 1)
            if raw[i] == "]":
                return i + 1
            k = 0
            while True:
                i = skip(value(i, path + (k,)))
                k += 1
                if raw[i] == "]":
                    return i + 1
                i += 1
        _, end = decoder.raw_decode(raw, i)
        return end

    try:
        value(0, ())
    except (ValueError, IndexError, RecursionError):
        return {}
    return out


def line_of(lines: dict[tuple, int], path: tuple) -> int | None:
    """The line of ``path`` or of its nearest enclosing value that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())
