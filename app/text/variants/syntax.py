"""Parsing variant templates (design §6) into a small tree, with every error of a text at once.

Syntax: ``{a|b|c}`` picks one option (options nest, an option may be empty: ``{|呢}``);
``\\{ \\} \\| \\$ \\\\`` are literal characters; ``${name}`` is a variable filled after
rendering. A variant must not span a paragraph break (a blank line).

The text is normalised first (BOM dropped, CRLF/CR → LF) and positions are reported on the
normalised text as 1-based ``line:col`` where ``col`` counts Unicode code points, so an emoji
is one column, like an editor shows it.

Tokenising is one compiled regex over the text, so a 100 KB script parses in milliseconds
(no per-character Python loop).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

#: Variables every template may use; callers may allow more (``extra_variables``).
KNOWN_VARIABLES: frozenset[str] = frozenset({
    "nickname", "names", "gift", "count", "total", "product", "price", "time", "date",
    "online", "likes", "coupon", "shop", "brand", "anchor", "minutes", "segment", "level", "receiver",
})

#: Marks a variable inside a raw rendering. NUL never survives parsing (it is an error in a
#: template), so a raw rendering splits unambiguously on it.
VAR_MARK = "\x00"

_TOKEN = re.compile(r"""
    (?P<text>[^{}|\\$\n\x00]+)
  | (?P<esc>\\[{}|\\$])
  | (?P<var>\$\{(?P<name>[^{}|\n\x00]*)(?P<varclose>\})?)
  | (?P<para>\n(?:[ \t\u3000\f\v]*\n)+)
  | (?P<nl>\n)
  | (?P<open>\{)
  | (?P<close>\})
  | (?P<bar>\|)
  | (?P<nul>\x00)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)


@dataclass(frozen=True, order=True)
class VariantError:
    """One problem in a template, at a 1-based line and column (Unicode characters)."""

    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.line}:{self.col}: {self.message}"


class VariantSyntaxError(ValueError):
    """A template with errors; ``errors`` lists all of them in text order."""

    def __init__(self, errors: list[VariantError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


class MissingVariable(KeyError):
    """A rendering needs a variable value the caller did not give."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"no value given for variable ${{{self.name}}}"


class Group:
    """``{…|…}``: options are either a plain string or a tuple of parts."""

    __slots__ = ("options", "n")

    def __init__(self, options: tuple):
        self.options = options
        self.n = len(options)


class Var:
    __slots__ = ("name", "marker")

    def __init__(self, name: str):
        self.name = name
        self.marker = f"{VAR_MARK}{name}{VAR_MARK}"


def normalise(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _Frame:
    __slots__ = ("start", "options", "current")

    def __init__(self, start: int):
        self.start = start
        self.options: list[list] = []
        self.current: list = []


def parse_tree(text: str, allowed: frozenset[str]) -> tuple[tuple, frozenset[str], list[VariantError]]:
    """(root parts, variable names used, errors) of already-normalised ``text``."""
    raw_errors: list[tuple[int, str]] = []  # (offset, message); turned into line:col at the end
    root = _Frame(-1)
    stack = [root]
    used: set[str] = set()
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        frame = stack[-1]
        if kind == "text" or kind == "nl" or kind == "other":
            frame.current.append(m.group())
        elif kind == "esc":
            frame.current.append(m.group()[1])
        elif kind == "open":
            stack.append(_Frame(m.start()))
        elif kind == "bar":
            if frame is root:
                raw_errors.append((m.start(), "'|' outside a variant (write \\| for a literal bar)"))
            else:
                frame.options.append(frame.current)
                frame.current = []
        elif kind == "close":
            if frame is root:
                raw_errors.append((m.start(), "unmatched '}' (write \\} for a literal brace)"))
                continue
            stack.pop()
            options = frame.options + [frame.current]
            if len(options) == 1 and not options[0]:
                raw_errors.append((frame.start, "empty variant '{}'"))
                continue
            stack[-1].current.append(Group(tuple(_seq(o) for o in options)))
        elif kind == "var":
            name = m.group("name")
            if m.group("varclose") is None:
                raw_errors.append((m.start(), "unterminated variable '${' (missing '}')"))
            elif not name.isidentifier():
                raw_errors.append((m.start(), f"invalid variable name {name!r}"))
            elif name not in allowed:
                raw_errors.append((m.start(), f"unknown variable '${{{name}}}' (known: {', '.join(sorted(allowed))})"))
            else:
                used.add(name)
                frame.current.append(Var(name))
        elif kind == "para":
            if frame is root:
                frame.current.append(m.group())
            else:
                # Reported at the blank line, naming the brace left open. Parsing goes on inside
                # the variant: if its '}' follows, that was the only mistake; if it never comes,
                # "unclosed '{'" is reported too.
                blank = m.start() + 1
                raw_errors.append((blank, f"paragraph break inside a variant (the '{{' at "
                                          f"{_pos_str(text, stack[1].start)} is not closed before this blank line)"))
                frame.current.append(m.group())
        elif kind == "nul":
            raw_errors.append((m.start(), "NUL character is not allowed"))
    for frame in stack[1:]:
        raw_errors.append((frame.start, "unclosed '{'"))
    errors = []
    if raw_errors:
        starts = _line_starts(text)
        errors = sorted(VariantError(*_pos(starts, off), msg) for off, msg in raw_errors)
    return _parts(root.current), frozenset(used), errors


def _parts(items: list) -> tuple:
    """Adjacent strings merged, empty strings dropped."""
    out: list = []
    for item in items:
        if item.__class__ is str:
            if not item:
                continue
            if out and out[-1].__class__ is str:
                out[-1] += item
                continue
        out.append(item)
    return tuple(out)


def _seq(items: list):
    parts = _parts(items)
    if not parts:
        return ""
    if len(parts) == 1 and parts[0].__class__ is str:
        return parts[0]
    return parts


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _pos(starts: list[int], offset: int) -> tuple[int, int]:
    i = bisect.bisect_right(starts, offset) - 1
    return i + 1, offset - starts[i] + 1


def _pos_str(text: str, offset: int) -> str:
    line, col = _pos(_line_starts(text), offset)
    return f"{line}:{col}"
