"""Reading config.ini: parse (configupdater, the same parser the writer uses), validate the
whole file against the schema and return a ``Snapshot`` — or raise ``ConfigErrors`` listing
every problem at once as ``config.ini:LINE: [section] key: what is wrong (allowed: …)``.

Values are never echoed for secrets or for unknown keys (a mistyped ``api_kye = sk-…`` must not
print the key into a log).

Half-written files: an editor that saves in two steps can leave a file cut short for a moment.
When ``previous`` (the last good snapshot) is given, an option it had in the file that is now
missing is an error rather than a silent return to the default, so such a file is rejected and
the next complete write is applied.
"""

from __future__ import annotations

import configparser
import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from configupdater import ConfigUpdater
from configupdater.option import Option as IniOption
from configupdater.section import Section as IniSection

from app.config.catalog import SCHEMA
from app.config.schema import Option, Schema, SectionSpec
from app.config.snapshot import Key, Snapshot
from app.config.types import Secret
from app.redaction import redact, remember_secret


class ConfigErrors(Exception):
    """Every problem found in one config file. ``errors`` are ready-to-show lines."""

    def __init__(self, path: Path | str, errors: list[str] | tuple[str, ...]):
        self.path = str(path)
        self.errors = tuple(errors)
        super().__init__("\n".join(self.errors))


def new_updater() -> ConfigUpdater:
    """The parser settings shared by reading and writing: inline comments after whitespace,
    a blank line always ends a value, duplicates reported by us rather than fatal."""
    return ConfigUpdater(strict=False, inline_comment_prefixes=("#", ";"), empty_lines_in_values=False)


@dataclass
class _Found:
    section: str
    key: str
    text: str
    line: int
    lines: int  # physical lines the option spans


def load(path: str | Path, *, schema: Schema = SCHEMA, previous: Snapshot | None = None) -> Snapshot:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigErrors(path, [f"{path}: file not found"]) from None
    except OSError as exc:
        raise ConfigErrors(path, [f"{path}: cannot read ({exc.strerror or exc})"]) from None
    return loads_bytes(raw, path=path, schema=schema, previous=previous)


def loads(text: str, *, path: str | Path = "config.ini", schema: Schema = SCHEMA,
          previous: Snapshot | None = None) -> Snapshot:
    return _validate(text, Path(path), schema, previous)


def loads_bytes(raw: bytes, *, path: Path, schema: Schema = SCHEMA,
                previous: Snapshot | None = None) -> Snapshot:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigErrors(path, [f"{path.name}:{line}: not valid UTF-8 text (save the file as UTF-8)"]) from None
    return _validate(text, path, schema, previous)


# ---- parsing -----------------------------------------------------------------------------------


def _parse(text: str, name: str, errors: list[tuple[int, str]]) -> list[tuple[str, int, list[_Found]]]:
    """Sections as (name, header line, options). Lines configparser cannot read are reported
    and blanked, so the rest of the file is still checked with correct line numbers."""
    lines = text.splitlines(keepends=True)
    for _ in range(2):
        updater = new_updater()
        try:
            updater.read_string("".join(lines))
            break
        except configparser.MissingSectionHeaderError as exc:
            errors.append((exc.lineno, f"{name}:{exc.lineno}: a setting before any [section] header"))
            lines[exc.lineno - 1] = "\n"
        except configparser.ParsingError as exc:
            for lineno, _ in exc.errors:  # the bad text is not echoed: it may hold a secret
                errors.append((lineno, f"{name}:{lineno}: not a `key = value` line, a [section] header or "
                                       f"a comment"))
                lines[lineno - 1] = "\n"
    else:
        return []
    sections: list[tuple[str, int, list[_Found]]] = []
    line = 1
    for block in updater.iter_blocks():
        if isinstance(block, IniSection):
            found: list[_Found] = []
            sections.append((block.name, line, found))
            line += len(block.lines)
            for sub in block.iter_blocks():
                if isinstance(sub, IniOption):
                    found.append(_Found(block.name, sub.key, sub.value or "", line, len(sub.lines)))
                line += len(sub.lines)
        else:
            line += len(block.lines)
    return sections


# ---- validating --------------------------------------------------------------------------------


def _validate(text: str, path: Path, schema: Schema, previous: Snapshot | None) -> Snapshot:
    name = path.name
    text = text.removeprefix("\ufeff")  # Notepad's UTF-8 BOM
    errors: list[tuple[int, str]] = []
    sections = _parse(text, name, errors)

    values: dict[Key, Any] = {}
    lines: dict[Key, int] = {}
    section_lines: dict[str, int] = {}
    bad_values = False

    def report(line: int, section: str, key: str, what: str, opt: Option | None) -> None:
        allowed = f" (allowed: {opt.type.allowed()})" if opt is not None else ""
        errors.append((line, f"{name}:{line}: [{section}] {key}: {what}{allowed}"))

    for section, header_line, found in sections:
        known = schema.section_for(section)
        if known is None:
            hint = _suggest(section, [s.name for s in schema.fixed_sections()])
            errors.append((header_line, f"{name}:{header_line}: [{section}]: unknown section{hint} "
                                        f"(allowed: {', '.join(schema.section_names())})"))
            continue
        spec, _instance = known
        if section in section_lines:
            errors.append((header_line, f"{name}:{header_line}: [{section}]: section appears twice "
                                        f"(first at line {section_lines[section]}); merge them"))
        else:
            section_lines[section] = header_line
        for item in found:
            opt = spec.option(item.key)
            if opt is None:
                hint = _suggest(item.key, [o.key for o in spec.options])
                errors.append((item.line, f"{name}:{item.line}: [{section}] {item.key}: unknown key{hint} "
                                          f"(allowed: {', '.join(o.key for o in spec.options)})"))
                continue
            key = (section, item.key)
            if key in lines:
                report(item.line, section, item.key, f"set twice (first at line {lines[key]})", None)
                continue
            lines[key] = item.line
            if item.lines > 1:
                report(item.line, section, item.key, "the value continues on an indented next line; "
                                                     "write it on one line", opt)
                bad_values = True
                continue
            try:
                values[key] = opt.type.parse(item.text)
            except ValueError as exc:
                report(item.line, section, item.key, str(exc), opt)
                bad_values = True

    present = frozenset(lines)
    _fill_defaults(schema, values, section_lines)
    last_line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    if previous is not None:
        _missing_since_previous(previous, present, section_lines, last_line, name, errors, schema)
    if not bad_values:
        for rule in schema.rules:
            reason = rule.check(values)
            for at, text in ([(rule.at, reason)] if isinstance(reason, str) else reason or ()):
                section, key = at
                line = lines.get(at) or section_lines.get(section) or 1
                report(line, section, key, text, None)
    if errors:
        errors.sort(key=lambda e: e[0])
        _learn_secrets(schema, values)
        raise ConfigErrors(path, [redact(message) for _, message in errors])
    return Snapshot(values, schema=schema, path=path.resolve() if path.exists() else path,
                    lines=lines, present=present)


def _learn_secrets(schema: Schema, values: dict[Key, Any]) -> None:
    """Make the secrets this file or the environment holds known to ``redact``, so a key
    pasted into the wrong option is not echoed back in an error."""
    for opt in schema:
        if opt.secret:
            held = values.get((opt.section, opt.key))
            if isinstance(held, Secret) and held:
                remember_secret(held.reveal())
            if opt.env and os.environ.get(opt.env):
                remember_secret(os.environ[opt.env])


def _fill_defaults(schema: Schema, values: dict[Key, Any], section_lines: dict[str, int]) -> None:
    for spec in schema.sections:
        targets = [s for s in section_lines if s.partition(".")[0] == spec.name and "." in s] \
            if spec.pattern else [spec.name]
        for section in targets:
            for opt in spec.options:
                values.setdefault((section, opt.key), opt.default_value)


def _missing_since_previous(previous: Snapshot, present: frozenset[Key], section_lines: dict[str, int],
                            last_line: int, name: str, errors: list[tuple[int, str]],
                            schema: Schema) -> None:
    for section, key in sorted(previous.present - present):
        spec: SectionSpec = schema.section_for(section)[0]  # type: ignore[index]
        if spec.pattern and section not in section_lines:
            continue  # a whole [voice.NAME] removed is a deliberate edit, not a cut-off save
        opt = spec.option(key)
        line = section_lines.get(section, last_line)
        default = opt.default_text if opt is not None and not opt.secret else ""
        errors.append((line, f"{name}:{line}: [{section}] {key}: missing, but the file set it before "
                             f"(incomplete save?); to use the default write `{key} = {default}`"))


def _suggest(word: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f", did you mean {close[0]}?" if close else ""
