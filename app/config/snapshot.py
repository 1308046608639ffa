"""``Snapshot``: one validated, immutable view of config.ini.

Code reads options as ``snap.get("audio", "chunk_bytes")`` (the form the static check in
tests/unit/config finds) or ``snap.audio.chunk_bytes``. Pattern sections are read per instance:
``snap.instances("voice")`` → ``{"default": SectionView, …}`` in file order, or
``snap.get("voice.default", "speed")``. A reload never changes a snapshot; it makes a new one
and the store swaps the reference.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app.config.schema import Schema

Key = tuple[str, str]


class Snapshot:
    __slots__ = ("_values", "_lines", "_present", "source", "loaded_at", "schema")

    def __init__(self, values: Mapping[Key, Any], *, schema: Schema, path: Path | None = None,
                 lines: Mapping[Key, int] | None = None, present: frozenset[Key] = frozenset(),
                 loaded_at: float | None = None):
        setter = object.__setattr__
        setter(self, "_values", MappingProxyType(dict(values)))
        setter(self, "_lines", MappingProxyType(dict(lines or {})))
        setter(self, "_present", frozenset(present))
        setter(self, "source", path)  # the config file this came from
        setter(self, "loaded_at", time.time() if loaded_at is None else loaded_at)
        setter(self, "schema", schema)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a config Snapshot is immutable; reload to get a new one")

    __delattr__ = __setattr__

    # ---- reading -----------------------------------------------------------------------------

    def get(self, section: str, key: str) -> Any:
        try:
            return self._values[section, key]
        except KeyError:
            if self.schema.option(section, key) is None:
                raise KeyError(f"[{section}] {key} is not a config option (see app/config)") from None
            raise KeyError(f"[{section}] is not in this config") from None

    def __getattr__(self, name: str) -> SectionView:
        if name.startswith("_"):
            raise AttributeError(name)
        found = self.schema.section_for(name)
        if found is None or found[1] is not None and not any(s == name for s, _ in self._values):
            spec = next((s for s in self.schema.sections if s.name == name and s.pattern), None)
            hint = f"; [{name}.NAME] sections are read with instances({name!r})" if spec else ""
            raise AttributeError(f"no config section [{name}]{hint}")
        return SectionView(self, name)

    def section(self, name: str) -> SectionView:
        return self.__getattr__(name)

    def instances(self, base: str) -> dict[str, SectionView]:
        """Instances of a pattern section in file order: ``instances("voice")``."""
        names: dict[str, None] = {}
        for section, _ in self._values:
            head, dot, instance = section.partition(".")
            if dot and head == base:
                names.setdefault(instance, None)
        return {name: SectionView(self, f"{base}.{name}") for name in names}

    def path(self, section: str, key: str) -> Path:
        """A path option made absolute: relative paths start at config.ini's folder."""
        value = Path(self.get(section, key)).expanduser()
        if value.is_absolute() or self.source is None:
            return value
        return (self.source.parent / value).resolve()

    def line_of(self, section: str, key: str) -> int | None:
        return self._lines.get((section, key))

    def in_file(self, section: str, key: str) -> bool:
        """True if config.ini itself sets this option (False = the default applies)."""
        return (section, key) in self._present

    @property
    def present(self) -> frozenset[Key]:
        """(section, key) of every option config.ini itself sets."""
        return self._present

    def keys(self) -> Iterator[Key]:
        return iter(self._values)

    def items(self) -> Iterator[tuple[Key, Any]]:
        return iter(self._values.items())

    # ---- comparing and deriving --------------------------------------------------------------

    def diff(self, other: Snapshot) -> list[str]:
        """"section.key" of every option whose value differs (or exists in only one)."""
        keys = set(self._values) | set(other._values)
        return sorted(f"{s}.{k}" for s, k in keys
                      if self._values.get((s, k), _MISSING) != other._values.get((s, k), _MISSING))

    def replace(self, values: Mapping[Key, Any]) -> Snapshot:
        merged = dict(self._values)
        merged.update(values)
        return Snapshot(merged, schema=self.schema, path=self.source, lines=self._lines,
                        present=self._present, loaded_at=self.loaded_at)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Nested plain dict; secrets stay masked ``Secret`` objects."""
        out: dict[str, dict[str, Any]] = {}
        for (section, key), value in self._values.items():
            out.setdefault(section, {})[key] = value
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Snapshot) and dict(self._values) == dict(other._values)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        where = self.source.name if self.source else "defaults"
        return f"<Snapshot {where}: {len(self._values)} options>"


class SectionView:
    """Attribute access to one section of a snapshot: ``snap.audio.chunk_bytes``."""

    __slots__ = ("_snap", "_section")

    def __init__(self, snap: Snapshot, section: str):
        object.__setattr__(self, "_snap", snap)
        object.__setattr__(self, "_section", section)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a config Snapshot is immutable")

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self._snap.get(self._section, key)
        except KeyError as exc:
            raise AttributeError(exc.args[0]) from None

    __getitem__ = __getattr__

    @property
    def name(self) -> str:
        return self._section

    def keys(self) -> list[str]:
        return [k for s, k in self._snap.keys() if s == self._section]

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={self._snap.get(self._section, k)!r}" for k in self.keys())
        return f"[{self._section}] {body}"


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()
