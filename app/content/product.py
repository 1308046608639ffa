"""A product as loaded from ``data/products/<slug>/``: ``product.json`` plus script segments.

Segments are text files in ``segments/``: ``<name>.base.txt`` (the plain base script) and
``<name>.tpl.txt`` (its variant template, design §6). A segment is spoken from its template;
with no template file its base script is spoken as plain text. A template with errors is kept
(nothing typed is lost) but the segment is not speakable until it is fixed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from app.content.textfile import (
    UnreadableFile,
    json_lines,
    line_of,
    read_operator_text,
    without_final_newlines,
)
from app.content.timed import TimedTask, TimedTaskError, timed_from_dict
from app.text.keywords import KeywordRule, RuleError, rule_from_dict
from app.text.variants import Template, VariantError, check, literal, parse

BASE_SUFFIX = ".base.txt"
TEMPLATE_SUFFIX = ".tpl.txt"
SEGMENT_NAME = re.compile(r"^[\w-]+$")
DEFAULT_SEGMENTS = ("opening", "selling_points", "urging", "after_sales")


class ProductError(ValueError):
    """A product folder that cannot be loaded: every problem, each prefixed with the file."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__("\n".join(p if p.startswith(str(path)) else f"{path}: {p}" for p in problems))


@dataclass(frozen=True)
class Segment:
    name: str
    base: str  # the plain base script ("" if none)
    template_text: str | None  # the variant template as saved (None if no file)
    template: Template | None  # parsed, None when invalid or absent and base is empty
    errors: tuple[VariantError, ...] = ()
    template_path: Path | None = None
    #: files of this segment that could not be read, as ``path:line: reason`` (not speakable)
    read_problems: tuple[str, ...] = ()
    #: files converted on reading (GBK → UTF-8), as Chinese notices
    notices: tuple[str, ...] = ()

    @property
    def speakable(self) -> bool:
        return self.template is not None and not self.errors and not self.read_problems

    def error_lines(self) -> list[str]:
        return list(self.read_problems) + [f"{self.template_path}:{e}" for e in self.errors]


@dataclass(frozen=True)
class Product:
    slug: str
    name: str
    price: str
    path: Path  # the product folder
    selling_points: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()  # short statements that ground LLM answers
    faq: tuple[KeywordRule, ...] = ()
    segments: tuple[Segment, ...] = ()  # in speaking order
    timed: tuple[TimedTask, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)  # extra ${…} values (brand, coupon …)
    enabled: bool = True
    extra: dict = field(default_factory=dict)  # keys of product.json this loader does not use
    notices: tuple[str, ...] = ()  # files converted on reading (GBK → UTF-8)

    def segment(self, name: str) -> Segment | None:
        return next((s for s in self.segments if s.name == name), None)

    @property
    def speakable_segments(self) -> tuple[Segment, ...]:
        return tuple(s for s in self.segments if s.speakable)

    def template_values(self) -> dict[str, str]:
        """Variable values this product supplies to its templates."""
        return {"product": self.name, "price": self.price, **self.variables}

    def facts_text(self) -> str:
        """Name, price, selling points and facts as one block for an LLM prompt."""
        lines = [f"商品：{self.name}", f"价格：{self.price}"]
        lines += [f"卖点：{p}" for p in self.selling_points]
        lines += [f"事实：{f}" for f in self.facts]
        return "\n".join(lines)


def _read_segment_file(path: Path, problems: list[str], notices: list[str]) -> str | None:
    """The file's text, or None when it is absent or unreadable (then ``problems`` says why,
    naming this file, never product.json)."""
    if not path.exists():
        return None
    try:
        text, notice = read_operator_text(path)
    except UnreadableFile as exc:
        problems.append(str(exc))
        return None
    except OSError as exc:
        problems.append(f"{path}:1: 无法读取（{exc.strerror or exc}）")
        return None
    if notice:
        notices.append(notice)
    return text


def load_segment(folder: Path, name: str, extra_variables: frozenset[str]) -> Segment:
    base_path = folder / f"{name}{BASE_SUFFIX}"
    tpl_path = folder / f"{name}{TEMPLATE_SUFFIX}"
    problems: list[str] = []
    notices: list[str] = []
    base = _read_segment_file(base_path, problems, notices) or ""
    text = _read_segment_file(tpl_path, problems, notices)
    if problems:
        return Segment(name, base, text, None, (), tpl_path, tuple(problems), tuple(notices))
    # an editor's final newline is not spoken (issue 19.5); error positions are unchanged
    source = without_final_newlines(text if text is not None else literal(base))
    if not source.strip():
        return Segment(name, base, text, None, (), tpl_path, (), tuple(notices))
    errors = check(source, extra_variables)
    template = None if errors else parse(source, extra_variables)
    return Segment(name, base, text, template, tuple(errors), tpl_path, (), tuple(notices))


def segment_names_on_disk(folder: Path) -> set[str]:
    names = set()
    if folder.is_dir():
        for p in folder.iterdir():
            for suffix in (BASE_SUFFIX, TEMPLATE_SUFFIX):
                if p.name.endswith(suffix) and SEGMENT_NAME.match(p.name[: -len(suffix)]):
                    names.add(p.name[: -len(suffix)])
    return names


def product_from_json(slug: str, folder: Path, raw: str) -> Product:
    """Validate product.json text and load the segments; ProductError lists every problem as
    ``product.json:LINE: …`` (in Chinese, naming the key). A segment file that cannot be read
    does not break the product: that segment is not speakable and names its own file."""
    path = folder / "product.json"
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ProductError(path, [f"{path}:{exc.lineno}:{exc.colno}: JSON 格式错误（{exc.msg}）："
                                  f"检查这里附近的逗号、引号和括号"]) from None
    except RecursionError:
        raise ProductError(path, [f"{path}:1: JSON 嵌套层数过多，无法读取"]) from None
    if not isinstance(data, dict):
        raise ProductError(path, [f"{path}:1: 最外层必须是 {{…}} 对象，现在是 {_kind(data)}"])
    problems: list[tuple[tuple, str]] = []  # (where in the JSON, what is wrong)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append((("name",), "'name'（商品名）必须是非空的文字"))
    price = data.get("price")
    if isinstance(price, bool) or not isinstance(price, (int, float, str)) or str(price).strip() == "":
        problems.append((("price",), "'price'（价格）必须是数字，或 \"99元\" 这样的文字"))
    points = _str_list(data, "selling_points", problems)
    facts_raw = data.get("facts", [])
    facts: list[str] = []
    if isinstance(facts_raw, dict):
        for k, v in facts_raw.items():
            if isinstance(v, (str, int, float)) and not isinstance(v, bool):
                facts.append(f"{k}：{v}")
            else:
                problems.append((("facts", k), f"'facts.{k}' 必须是文字或数字，现在是 {_kind(v)}"))
    else:
        facts = _str_list(data, "facts", problems)
    variables_raw = data.get("variables", {})
    variables: dict[str, str] = {}
    if not isinstance(variables_raw, dict):
        problems.append((("variables",), f"'variables' 必须是 {{\"名称\": \"文字\"}} 对象，现在是 "
                                         f"{_kind(variables_raw)}"))
    else:
        for k, v in variables_raw.items():
            if not k.isidentifier() or isinstance(v, bool) or not isinstance(v, (str, int, float)):
                problems.append((("variables", k), f"'variables.{k}'：名称只能用字母、数字和下划线，"
                                                   f"值必须是文字或数字"))
            else:
                variables[k] = str(v)
    faq: list[KeywordRule] = []
    for i, item in enumerate(_list(data, "faq", problems)):
        try:
            faq.append(rule_from_dict(item, where=f"faq[{i}]", product=slug, index=i))
        except RuleError as exc:
            problems.append((("faq", i), str(exc)))
    timed: list[TimedTask] = []
    for i, item in enumerate(_list(data, "timed", problems)):
        try:
            timed.append(timed_from_dict(item, where=f"timed[{i}]", product=slug))
        except TimedTaskError as exc:
            problems.append((("timed", i), str(exc)))
    order = _str_list(data, "segments", problems)
    for i, s in enumerate(order):
        if not SEGMENT_NAME.match(s):
            problems.append((("segments", i), f"段落名 {s!r} 只能包含字母、数字、'_' 和 '-'"))
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append((("enabled",), "'enabled' 必须是 true 或 false"))
    if problems:
        lines = json_lines(raw)
        raise ProductError(path, [f"{path}:{line_of(lines, where) or 1}: {what}" for where, what in problems])
    seg_folder = folder / "segments"
    on_disk = segment_names_on_disk(seg_folder)
    names = [s for s in dict.fromkeys(order)] + sorted(on_disk - set(order))
    allowed = frozenset(variables)
    segments = tuple(load_segment(seg_folder, n, allowed) for n in names
                     if n in on_disk)
    known = {"name", "price", "selling_points", "facts", "variables", "faq", "timed", "segments", "enabled"}
    return Product(slug=slug, name=name.strip(), price=str(price), path=folder,
                   selling_points=tuple(points), facts=tuple(facts), faq=tuple(faq),
                   segments=segments, timed=tuple(timed), variables=variables, enabled=enabled,
                   extra={k: v for k, v in data.items() if k not in known},
                   notices=tuple(n for seg in segments for n in seg.notices))


def _kind(value: object) -> str:
    return {dict: "对象", list: "列表", str: "文字", bool: "true/false", type(None): "null"}.get(
        type(value), "数字" if isinstance(value, (int, float)) else type(value).__name__)


def _list(data: dict, key: str, problems: list[tuple[tuple, str]]) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        problems.append(((key,), f"'{key}' 必须是列表 [ … ]，现在是 {_kind(value)}"))
        return []
    return value


def _str_list(data: dict, key: str, problems: list[tuple[tuple, str]]) -> list[str]:
    value = _list(data, key, problems)
    bad = [i for i, v in enumerate(value) if not isinstance(v, str) or not v.strip()]
    for i in bad:
        problems.append(((key, i), f"'{key}[{i}]' 必须是非空的文字"))
    return [] if bad else value
