"""Adding and removing instances of a pattern section (``[voice.NAME]``) in config.ini.

Both keep everything else in the file as the operator wrote it and replace it atomically, like
``write_values``. A removed section is appended to ``config.deleted.ini`` beside the file, so a
voice deleted by mistake can be pasted back; its name is also taken out of any list option
that names instances (``[tts] voices``), or the file would no longer validate.
"""

from __future__ import annotations

import time
from pathlib import Path

from app.config.catalog import SCHEMA
from app.config.loader import ConfigErrors, _parse, new_updater
from app.config.schema import INSTANCE_NAME, Schema, SectionSpec
from app.config.writer import BOM, _set, atomic_write

#: List options whose items are instance names of a pattern section.
INSTANCE_LISTS: dict[str, tuple[str, str]] = {"voice": ("tts", "voices")}

DELETED_FILE = "config.deleted.ini"


def _read(path: Path) -> tuple[str, bool]:
    if not path.exists():
        raise ConfigErrors(path, [f"{path}: file not found"])
    raw = path.read_bytes()
    return raw.decode("utf-8-sig"), raw.startswith(BOM.encode())


def _sections(path: Path, text: str) -> list:
    errors: list[tuple[int, str]] = []
    sections = _parse(text, path.name, errors)
    if errors:
        raise ConfigErrors(path, [f"{path.name}: cannot be edited automatically until it parses"]
                           + [message for _, message in errors])
    return sections


def _pattern_spec(path: Path, base: str, schema: Schema) -> SectionSpec:
    spec = next((s for s in schema.sections if s.name == base), None)
    if spec is None or not spec.pattern:
        raise ConfigErrors(path, [f"[{base}.NAME]: {base} is not a section that can repeat"])
    return spec


def add_instance(path: str | Path, base: str, name: str, *, copy_from: str | None = None,
                 schema: Schema = SCHEMA) -> str:
    """Append ``[base.name]`` with every option: the values of ``[base.copy_from]`` when given,
    else the defaults. Returns the new section's name."""
    path = Path(path)
    spec = _pattern_spec(path, base, schema)
    name = name.strip()
    if not INSTANCE_NAME.fullmatch(name):
        raise ConfigErrors(path, [f"[{base}.{name}]: a name is letters, digits, _ or - (no spaces)"])
    text, had_bom = _read(path)
    sections = {s[0]: s for s in _sections(path, text)}
    section = f"{base}.{name}"
    if section in sections:
        raise ConfigErrors(path, [f"{path.name}:{sections[section][1]}: [{section}] already exists"])
    values = {opt.key: opt.default_text for opt in spec.options if not opt.secret}
    if copy_from is not None:
        source = sections.get(f"{base}.{copy_from}")
        if source is None:
            raise ConfigErrors(path, [f"[{base}.{copy_from}]: no such section to copy"])
        values.update({found.key: found.text.strip() for found in source[2] if found.key in values})
    if text and not text.endswith("\n"):
        text += "\n"
    text += f"\n[{section}]\n"
    updater = new_updater()
    updater.read_string(text)
    for key, value in values.items():
        _set(updater, section, key, value)
    atomic_write(path, (BOM if had_bom else "") + str(updater))
    return section


def remove_instance(path: str | Path, base: str, name: str, *, schema: Schema = SCHEMA) -> str:
    """Remove ``[base.name]`` (header, options and the comments between them; comments after
    its last option stay, they usually introduce what follows), save it to config.deleted.ini
    and drop the name from the list option that names instances. Returns the removed text."""
    path = Path(path)
    _pattern_spec(path, base, schema)
    text, had_bom = _read(path)
    section = f"{base}.{name}"
    found = [s for s in _sections(path, text) if s[0] == section]
    if not found:
        raise ConfigErrors(path, [f"[{section}]: no such section in {path.name}"])
    _, header, options = found[0]
    lines = text.splitlines(keepends=True)
    end = max((o.line + o.lines - 1 for o in options), default=header)
    removed = "".join(lines[header - 1:end])
    del lines[header - 1:end]
    if header >= 2 and lines[header - 2].strip() == "" and (header - 1 >= len(lines) or lines[header - 1].strip() == ""):
        del lines[header - 2]  # no double blank line where the section was
    updater = new_updater()
    updater.read_string("".join(lines))
    if base in INSTANCE_LISTS:
        list_section, list_key = INSTANCE_LISTS[base]
        list_type = schema.option(list_section, list_key).type  # read and written as the schema does
        if updater.has_option(list_section, list_key):
            listed = list_type.parse(updater[list_section][list_key].value or "")
            if name in listed:
                _set(updater, list_section, list_key, list_type.format(tuple(v for v in listed if v != name)))
    _keep_removed(path, removed)
    atomic_write(path, (BOM if had_bom else "") + str(updater))
    return removed


def _keep_removed(path: Path, removed: str) -> None:
    """Append the removed section, dated, to config.deleted.ini (never overwritten)."""
    keep = path.with_name(DELETED_FILE)
    old = keep.read_text(encoding="utf-8-sig") if keep.exists() else (
        "# 从 config.ini 删除的段落，需要时复制回去 / sections removed from config.ini; paste one back to restore\n")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    atomic_write(keep, old.rstrip("\n") + f"\n\n# 删除于 {stamp} / removed at {stamp}\n" + removed.rstrip("\n") + "\n")
