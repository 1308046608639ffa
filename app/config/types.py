"""Value types of config options: how the text in config.ini becomes a typed value, what is
allowed (for the error message and the settings form), and how a value is written back.

A type's ``parse`` raises ``ValueError`` with a short reason ("is not an integer", "must be at
least 256"); the loader adds file, line, section and key around it. A type never puts the raw
text into the reason itself when the option is a secret (``Secret`` never fails on content).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class ValueType:
    """Base of all option types. ``kind`` tells a generated form which widget to use."""

    kind: str = "str"

    def parse(self, text: str) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def format(self, value: Any) -> str:
        return str(value)

    def allowed(self) -> str:
        """Human description of the allowed values, for "(allowed: …)"."""
        return "any text"

    def describe(self) -> dict[str, Any]:
        """Introspection for the settings form (JSON-ready)."""
        return {"kind": self.kind, "allowed": self.allowed()}


_TOKEN = re.compile(r"[A-Za-z0-9_\-.+/=]{16,}")


def looks_like_token(text: str) -> bool:
    """True for text that looks like an API key or password (long, no spaces, letters and
    digits mixed): such text is never echoed in an error, whatever option it was put in."""
    t = text.strip()
    return bool(_TOKEN.fullmatch(t)) and "://" not in t and any(c.isdigit() for c in t) \
        and any(c.isalpha() for c in t)


def _show(text: str) -> str:
    if looks_like_token(text):
        return "the value (hidden: it looks like a key or password)"
    # Long values are shortened so one bad line cannot flood the error list.
    return repr(text if len(text) <= 60 else text[:57] + "...")


@dataclass(frozen=True)
class Int(ValueType):
    min: int | None = None
    max: int | None = None
    kind = "int"

    def parse(self, text: str) -> int:
        try:
            value = int(text.strip().replace("_", ""), 10)
        except ValueError:
            raise ValueError(f"{_show(text)} is not a whole number") from None
        _check_range(value, self.min, self.max)
        return value

    def allowed(self) -> str:
        return _range_text("whole number", self.min, self.max)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "min": self.min, "max": self.max}


@dataclass(frozen=True)
class Float(ValueType):
    min: float | None = None
    max: float | None = None
    kind = "float"

    def parse(self, text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise ValueError(f"{_show(text)} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{_show(text)} is not a finite number")
        _check_range(value, self.min, self.max)
        return value

    def format(self, value: Any) -> str:
        return repr(float(value)).removesuffix(".0") if float(value).is_integer() else repr(float(value))

    def allowed(self) -> str:
        return _range_text("number", self.min, self.max)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "min": self.min, "max": self.max}


def num(x: float) -> str:
    """A number as people write it: 1000000 (not 1e+06), 0.85, 30."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _check_range(value: float, lo: float | None, hi: float | None) -> None:
    if lo is not None and value < lo:
        raise ValueError(f"{num(value)} is below the minimum {num(lo)}")
    if hi is not None and value > hi:
        raise ValueError(f"{num(value)} is above the maximum {num(hi)}")


def _range_text(noun: str, lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{noun} {num(lo)}..{num(hi)}"
    if lo is not None:
        return f"{noun} >= {num(lo)}"
    if hi is not None:
        return f"{noun} <= {num(hi)}"
    return noun


@dataclass(frozen=True)
class Bool(ValueType):
    kind = "bool"

    def parse(self, text: str) -> bool:
        word = text.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ValueError(f"{_show(text)} is not true or false")

    def format(self, value: Any) -> str:
        return "true" if value else "false"

    def allowed(self) -> str:
        return "true, false (also yes/no, on/off, 1/0)"


@dataclass(frozen=True)
class Choice(ValueType):
    choices: tuple[str, ...]
    kind = "choice"

    def parse(self, text: str) -> str:
        word = text.strip()
        if word in self.choices:
            return word
        lowered = {c.lower(): c for c in self.choices}
        if word.lower() in lowered:  # "Pygame" is obviously "pygame"
            return lowered[word.lower()]
        raise ValueError(f"{_show(text)} is not one of the choices")

    def allowed(self) -> str:
        return " | ".join(self.choices)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "choices": list(self.choices)}


@dataclass(frozen=True)
class IntChoice(ValueType):
    choices: tuple[int, ...]
    kind = "int_choice"

    def parse(self, text: str) -> int:
        value = Int().parse(text)
        if value not in self.choices:
            raise ValueError(f"{value} is not one of the choices")
        return value

    def allowed(self) -> str:
        return " | ".join(str(c) for c in self.choices)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "choices": list(self.choices)}


@dataclass(frozen=True)
class Str(ValueType):
    pattern: str | None = None  # full-match regex
    pattern_text: str = ""  # what the pattern means, for people
    non_empty: bool = False
    max_len: int | None = None
    kind = "str"

    def parse(self, text: str) -> str:
        value = text.strip()
        if self.non_empty and not value:
            raise ValueError("must not be empty")
        if self.max_len is not None and len(value) > self.max_len:
            raise ValueError(f"is {len(value)} characters long, more than {self.max_len}")
        if value and self.pattern and not re.fullmatch(self.pattern, value):
            raise ValueError(f"{_show(value)} is not {self.pattern_text or 'in the expected form'}")
        return value

    def allowed(self) -> str:
        parts = [self.pattern_text or ("non-empty text" if self.non_empty else "any text")]
        if self.max_len is not None:
            parts.append(f"at most {self.max_len} characters")
        return ", ".join(parts)


@dataclass(frozen=True)
class PathValue(Str):
    """A file or folder. Relative paths are relative to the folder of config.ini
    (see ``Snapshot.path``)."""

    kind = "path"

    def allowed(self) -> str:
        return "a file or folder path (relative to config.ini's folder)"


@dataclass(frozen=True)
class Url(ValueType):
    schemes: tuple[str, ...]
    keywords: tuple[str, ...] = ()  # plain words accepted besides URLs ("auto", "memory")
    kind = "url"

    def parse(self, text: str) -> str:
        value = text.strip()
        if value in self.keywords:
            return value
        try:
            parts = urlsplit(value)
            port = parts.port  # raises on a bad port number
        except ValueError as exc:
            raise ValueError(f"{_show(value)} is not a valid URL ({exc})") from None
        if parts.scheme not in self.schemes:
            raise ValueError(f"{_show(value)} does not start with {' or '.join(s + '://' for s in self.schemes)}")
        if not parts.hostname:
            raise ValueError(f"{_show(value)} has no host")
        del port
        return value

    def allowed(self) -> str:
        urls = ", ".join(f"{s}://host:port…" for s in self.schemes)
        return " | ".join([*self.keywords, urls]) if self.keywords else urls

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "schemes": list(self.schemes), "keywords": list(self.keywords)}


@dataclass(frozen=True)
class ListOf(ValueType):
    """Comma-separated items, each checked by ``item``. Stored as a tuple."""

    item: ValueType
    min_items: int = 0
    max_items: int | None = None
    increasing: bool = False
    unique: bool = True
    kind = "list"

    def parse(self, text: str) -> tuple[Any, ...]:
        pieces = [p.strip() for p in text.replace("，", ",").split(",")]
        if pieces == [""]:
            pieces = []
        out = []
        for i, piece in enumerate(pieces, 1):
            if not piece:
                raise ValueError(f"item {i} is empty (a doubled or trailing comma?)")
            try:
                out.append(self.item.parse(piece))
            except ValueError as exc:
                raise ValueError(f"item {i}: {exc}") from None
        if len(out) < self.min_items:
            raise ValueError(f"needs at least {self.min_items} item(s), got {len(out)}")
        if self.max_items is not None and len(out) > self.max_items:
            raise ValueError(f"allows at most {self.max_items} items, got {len(out)}")
        if self.unique and len(set(out)) != len(out):
            raise ValueError("lists an item twice")
        if self.increasing and any(b <= a for a, b in zip(out, out[1:], strict=False)):
            raise ValueError("items must be in increasing order")
        return tuple(out)

    def format(self, value: Sequence[Any]) -> str:
        return ", ".join(self.item.format(v) for v in value)

    def allowed(self) -> str:
        count = f"at least {self.min_items} " if self.min_items else ""
        return f"comma-separated list of {count}items, each {self.item.allowed()}"

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "item": self.item.describe(), "min_items": self.min_items,
                "max_items": self.max_items}


@dataclass(frozen=True)
class SecretValue(ValueType):
    """A secret. config.ini normally leaves it empty (the keyring or an environment variable
    holds it); a value written in the file still works but is never shown anywhere."""

    kind = "secret"

    def parse(self, text: str) -> Secret:
        return Secret(text.strip())

    def format(self, value: Any) -> str:
        return ""  # never written back from the schema side

    def allowed(self) -> str:
        return "leave empty; store it with `python main.py config set-secret` or an environment variable"


class Secret:
    """A secret value that cannot leak through str(), repr(), f-strings or logging.

    ``reveal()`` is the only way to the text, so every place that uses a secret is easy to find.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str = ""):
        object.__setattr__(self, "_value", value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Secret is immutable")

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self):  # pickling would write the text out in the clear
        raise TypeError("a Secret cannot be pickled")
