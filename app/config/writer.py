"""Writing config.ini: change values while keeping everything the operator wrote (comments,
order, blank lines, unknown sections, inline comments after a value) and replace the file
atomically, so a crash mid-write leaves the old file whole and the hot reloader never sees a
half-written file from us. Also renders the shipped default file from the schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from configupdater.option import Option as IniOption

from app.config.catalog import SCHEMA
from app.config.loader import ConfigErrors, new_updater
from app.config.schema import AT_RESTART, AT_START, Option, Schema
from app.config.types import Choice, Float, Int, IntChoice, num
from app.fileio import write_text_atomic
from app.logs import get_logger

log = get_logger("config")

BOM = "\ufeff"

HEADER = """\
# 抖音无人直播控制台 · 配置文件 / Douyin unattended-livestream controller · settings
# 这里只写值；每项上方是简短说明。标 [开播生效] 的项在下次开播时生效，标 [需重启程序] 的项在
# 重新打开程序后生效，其余保存后立即生效（直播中也是）。
# Values only; each option has a one-line note above it. Options marked [at the next start] apply
# at the next 开播, [app restart] after the app is opened again, all others as soon as the file is
# saved, also during a live.
# 密钥（如方舟 API Key）不写在这里：用 `python main.py config set-secret llm.api_key` 存入系统
# 钥匙串，或设置环境变量 ARK_API_KEY。 / Secrets are not kept here: use the OS keyring
# (`python main.py config set-secret llm.api_key`) or an environment variable (ARK_API_KEY).
"""


def write_values(path: str | Path, values: Mapping[tuple[str, str], Any], *,
                 schema: Schema = SCHEMA) -> list[str]:
    """Set options in config.ini and return the "section.key" names written.

    Values may be typed (``4096``, ``True``, ``("a", "b")``) or text as it would appear in the
    file; each is validated first and nothing is written if any is invalid. Secrets are refused:
    they belong in the keyring (``set_secret``), not in the file.
    """
    path = Path(path)
    texts, errors = _texts_for(values, schema)
    if errors:
        raise ConfigErrors(path, errors)
    original = path.read_bytes().decode("utf-8-sig") if path.exists() else render_default(schema)
    had_bom = path.exists() and path.read_bytes().startswith(BOM.encode())
    if original and not original.endswith("\n"):
        original += "\n"
    # New sections go at the end, each after a blank line, like the operator's own.
    for section in dict.fromkeys(section for section, _ in texts):
        if f"[{section}]" not in original:
            original += f"\n[{section}]\n"
    updater = new_updater()
    try:
        updater.read_string(original)
    except Exception as exc:  # configparser errors: the file must be fixed by hand first
        raise ConfigErrors(path, [f"{path.name}: cannot be edited automatically until it parses ({exc})"]) \
            from None
    written = []
    for (section, key), text in texts.items():
        _set(updater, section, key, text)
        written.append(f"{section}.{key}")
    atomic_write(path, (BOM if had_bom else "") + str(updater))
    return written


def _texts_for(values: Mapping[tuple[str, str], Any], schema: Schema) -> tuple[dict, list[str]]:
    texts: dict[tuple[str, str], str] = {}
    errors: list[str] = []
    for (section, key), value in values.items():
        opt = schema.option(section, key) if schema.section_for(section) else None
        if opt is None:
            errors.append(f"[{section}] {key}: not a config option")
            continue
        if opt.secret:
            errors.append(f"[{section}] {key}: is a secret; store it with set_secret, not in config.ini")
            continue
        text = value if isinstance(value, str) else opt.type.format(value)
        try:
            opt.type.parse(text)
        except ValueError as exc:
            errors.append(f"[{section}] {key}: {exc} (allowed: {opt.type.allowed()})")
            continue
        if "\n" in text or "\r" in text:
            errors.append(f"[{section}] {key}: must be one line")
            continue
        texts[section, key] = text.strip()
    return texts, errors


def _set(updater, section: str, key: str, text: str) -> None:
    if not updater.has_section(section):
        updater.add_section(section)
    sect = updater[section]
    existing = sect.get(key)
    if isinstance(existing, IniOption):
        existing.value = text + _inline_comment(existing.lines[0] if existing.lines else "")
        return
    options = list(sect.iter_options())
    blocks = list(sect.iter_blocks())
    if options:
        options[-1].add_after.option(key, text)
    elif blocks:
        blocks[0].add_before.option(key, text)
    else:
        sect.set(key, text)


def _inline_comment(line: str) -> str:
    """The operator's inline comment on an option line (with the spaces before it), or "".
    Same rule as the parser: '#' or ';' preceded by whitespace."""
    body = line.rstrip("\r\n")
    for i, ch in enumerate(body):
        if ch in "#;" and i > 0 and body[i - 1].isspace():
            start = len(body[:i].rstrip())
            return body[start:]
    return ""


atomic_write = write_text_atomic  # the one implementation, in app/fileio.py


# ---- the default file --------------------------------------------------------------------------


def _short_allowed(opt: Option) -> str:
    t = opt.type
    if isinstance(t, (Choice, IntChoice)):
        return " (" + " | ".join(str(c) for c in t.choices) + ")"
    if isinstance(t, (Int, Float)) and t.min is not None and t.max is not None:
        return f" ({num(t.min)}..{num(t.max)})"
    return ""


#: How the shipped file marks an option not applied at once.
WHEN_NOTE = {AT_START: " [开播生效 at the next start]", AT_RESTART: " [需重启程序 app restart]"}


def render_default(schema: Schema = SCHEMA) -> str:
    """The shipped config.ini: every option with its default and a one-line note."""
    out = [HEADER]
    for spec in schema.sections:
        name = f"{spec.name}.{spec.example}" if spec.pattern else spec.name
        out.append(f"\n# ==== {spec.zh} / {spec.en} ====\n")
        if spec.pattern:
            out.append(f"# 可复制本段并改名为 [{spec.name}.其他名称] / copy this section as "
                       f"[{spec.name}.OTHER] for more\n")
        out.append(f"[{name}]\n")
        for opt in spec.options:
            restart = WHEN_NOTE.get(opt.applies, "")
            env = f" (env {opt.env})" if opt.env else ""
            out.append(f"# {opt.zh} / {opt.en}{_short_allowed(opt)}{env}{restart}\n")
            value = opt.default_text
            out.append(f"{opt.key} = {value}\n" if value else f"{opt.key} =\n")
    return "".join(out)


def ensure_config(path: str | Path, schema: Schema = SCHEMA) -> bool:
    """Create config.ini with the defaults if it does not exist or is empty. True if written."""
    return create_default_config(path, schema) is not None


def create_default_config(path: str | Path, schema: Schema = SCHEMA, *, when_missing: bool = True) -> str | None:
    """Write the default config.ini when the file is missing (if ``when_missing``) or empty
    (nothing but whitespace: nothing of the operator's is lost). Returns the notice that says
    so — Chinese and English, for the log and for the app to show — or None when the file was
    left alone. An empty file is never taken as "all defaults" without a word (issue 18.4)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if not when_missing:
            return None
        what = ("不存在", "was missing")
    except OSError:
        return None  # unreadable: the loader reports it
    else:
        if raw.decode("utf-8-sig", "replace").strip():
            return None
        what = ("是空的", "was empty")
    atomic_write(path, render_default(schema))
    notice = (f"配置文件 {path} {what[0]}，已按默认设置新建，请在“设置”中检查。"
              f" / {path} {what[1]}: written with the default settings.")
    log.warning("%s", notice)
    return notice
