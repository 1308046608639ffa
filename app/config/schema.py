"""The declaration side of configuration: ``Option`` (one setting), ``SectionSpec`` (a section,
possibly a pattern such as ``[voice.NAME]`` that may appear several times), ``Rule`` (a check
across options) and ``Schema`` (lookup and introspection for the loader, the writer and the
generated settings form).

The option table itself lives in ``options_stream.py`` and ``options_room.py``; ``catalog.py``
assembles it into ``SCHEMA``. Adding an option is one ``Option(...)`` line there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from app.config.types import Secret, SecretValue, ValueType

#: Name allowed after the dot of a pattern section: [voice.NAME]
INSTANCE_NAME = re.compile(r"[A-Za-z0-9_\-]+")

# When a changed value takes effect (``Option.applies``). A LIVE option is applied while the room
# runs by the consumers registered for it (``app.config.live``; a test fails for a LIVE option
# nobody registers for); AT_START options are read when a run starts (the next 开播); AT_RESTART
# options are read when the app builds its runtime (the bus, the folders the views edit).
LIVE = "live"
AT_START = "start"
AT_RESTART = "restart"
APPLIES = (LIVE, AT_START, AT_RESTART)


@dataclass(frozen=True)
class Option:
    """One setting. ``section`` is the section name, or the pattern's base name ("voice") for
    options of a pattern section."""

    section: str
    key: str
    type: ValueType
    default: Any
    zh: str  # description shown in the Chinese UI
    en: str
    applies: str = LIVE  # LIVE, AT_START or AT_RESTART (see above)
    env: str | None = None  # environment variable that overrides it (secrets)

    @property
    def live(self) -> bool:
        return self.applies == LIVE

    @property
    def name(self) -> str:
        """``section.key`` (``voice.key`` for a pattern section's option)."""
        return f"{self.section}.{self.key}"

    @property
    def secret(self) -> bool:
        return isinstance(self.type, SecretValue)

    @property
    def default_value(self) -> Any:
        """The default as a snapshot holds it (a secret is wrapped so it cannot be printed)."""
        return Secret(self.default) if self.secret else self.default

    @property
    def default_text(self) -> str:
        return self.type.format(self.default)

    def describe(self) -> dict[str, Any]:
        return {
            "section": self.section, "key": self.key, "default": self.default_text,
            "zh": self.zh, "en": self.en, "applies": self.applies, "live": self.live,
            "secret": self.secret,
            "env": self.env, **self.type.describe(),
        }


@dataclass(frozen=True)
class SectionSpec:
    name: str
    zh: str
    en: str
    options: tuple[Option, ...]
    #: True for a section that appears as [name.INSTANCE] any number of times.
    pattern: bool = False
    #: Instance written into the shipped config.ini for a pattern section.
    example: str = "default"

    def option(self, key: str) -> Option | None:
        for opt in self.options:
            if opt.key == key:
                return opt
        return None

    @property
    def header(self) -> str:
        return f"{self.name}.NAME" if self.pattern else self.name


@dataclass(frozen=True)
class Rule:
    """A check across options. ``check(values)`` gets ``{(section, key): value}`` of the whole
    snapshot and returns a reason or None. The error is reported on the line of ``at`` — or the
    check returns ``[((section, key), reason), …]`` to report each on its own option's line."""

    at: tuple[str, str]
    check: Callable[[dict[tuple[str, str], Any]], str | None]


@dataclass(frozen=True)
class Schema:
    sections: tuple[SectionSpec, ...]
    rules: tuple[Rule, ...] = ()
    _by_name: dict[str, SectionSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for spec in self.sections:
            if spec.name in self._by_name:
                raise ValueError(f"section {spec.name!r} declared twice")
            keys = [o.key for o in spec.options]
            if len(set(keys)) != len(keys):
                raise ValueError(f"section {spec.name!r} declares a key twice")
            for opt in spec.options:
                if opt.applies not in APPLIES:
                    raise ValueError(f"option {opt.name}: applies must be one of {APPLIES}, got {opt.applies!r}")
                if opt.section != spec.name:
                    raise ValueError(f"option {opt.key!r} is in section {spec.name!r} but says {opt.section!r}")
                if not opt.secret:  # a default that its own type rejects is a schema bug
                    opt.type.parse(opt.default_text)
            self._by_name[spec.name] = spec

    # ---- lookup ------------------------------------------------------------------------------

    def section_for(self, name: str) -> tuple[SectionSpec, str | None] | None:
        """The spec of a section as written in a file, and the instance name for a pattern
        section ("voice.alice" → (voice spec, "alice")). None if unknown."""
        spec = self._by_name.get(name)
        if spec is not None and not spec.pattern:
            return spec, None
        base, dot, instance = name.partition(".")
        spec = self._by_name.get(base)
        if spec is not None and spec.pattern and dot and INSTANCE_NAME.fullmatch(instance):
            return spec, instance
        return None

    def option(self, section: str, key: str) -> Option | None:
        found = self.section_for(section)
        if found is None:
            found_spec = self._by_name.get(section)  # "voice" itself names the pattern
            if found_spec is None or not found_spec.pattern:
                return None
            return found_spec.option(key)
        return found[0].option(key)

    def spec(self, name: str) -> SectionSpec:
        return self._by_name[name]

    def __iter__(self) -> Iterator[Option]:
        for spec in self.sections:
            yield from spec.options

    def fixed_sections(self) -> Iterable[SectionSpec]:
        return (s for s in self.sections if not s.pattern)

    def pattern_sections(self) -> Iterable[SectionSpec]:
        return (s for s in self.sections if s.pattern)

    def section_names(self) -> list[str]:
        return [s.header for s in self.sections]

    def defaults(self) -> dict[tuple[str, str], Any]:
        """Values of every fixed-section option when nothing is configured."""
        return {(o.section, o.key): o.default_value for s in self.fixed_sections() for o in s.options}

    def describe(self) -> list[dict[str, Any]]:
        """Everything a generated settings form needs, JSON-ready."""
        return [
            {"name": s.name, "header": s.header, "pattern": s.pattern, "zh": s.zh, "en": s.en,
             "options": [o.describe() for o in s.options]}
            for s in self.sections
        ]
