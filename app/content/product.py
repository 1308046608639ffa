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

    @property
    def speakable(self) -> bool:
        return self.template is not None and not self.errors

    def error_lines(self) -> list[str]:
        return [f"{self.template_path}:{e}" for e in self.errors]


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


def load_segment(folder: Path, name: str, extra_variables: frozenset[str]) -> Segment:
    from app.content.atomic import read_text

    base_path = folder / f"{name}{BASE_SUFFIX}"
    tpl_path = folder / f"{name}{TEMPLATE_SUFFIX}"
    base = read_text(base_path) if base_path.exists() else ""
    text = read_text(tpl_path) if tpl_path.exists() else None
    source = text if text is not None else literal(base)
    if not source.strip():
        return Segment(name, base, text, None, (), tpl_path)
    errors = check(source, extra_variables)
    template = None if errors else parse(source, extra_variables)
    return Segment(name, base, text, template, tuple(errors), tpl_path)


def segment_names_on_disk(folder: Path) -> set[str]:
    names = set()
    if folder.is_dir():
        for p in folder.iterdir():
            for suffix in (BASE_SUFFIX, TEMPLATE_SUFFIX):
                if p.name.endswith(suffix) and SEGMENT_NAME.match(p.name[: -len(suffix)]):
                    names.add(p.name[: -len(suffix)])
    return names


def product_from_json(slug: str, folder: Path, raw: str) -> Product:
    """Validate product.json text and load the segments; ProductError lists every problem."""
    path = folder / "product.json"
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ProductError(path, [f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"]) from None
    if not isinstance(data, dict):
        raise ProductError(path, [f"the top level must be an object, got {type(data).__name__}"])
    problems: list[str] = []
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("'name' must be a non-empty string")
    price = data.get("price")
    if isinstance(price, bool) or not isinstance(price, (int, float, str)) or str(price).strip() == "":
        problems.append("'price' must be a number or a string such as \"99元\"")
    points = _str_list(data, "selling_points", problems)
    facts_raw = data.get("facts", [])
    facts: list[str] = []
    if isinstance(facts_raw, dict):
        for k, v in facts_raw.items():
            if isinstance(v, (str, int, float)) and not isinstance(v, bool):
                facts.append(f"{k}：{v}")
            else:
                problems.append(f"'facts.{k}' must be a string or number")
    else:
        facts = _str_list(data, "facts", problems)
    variables_raw = data.get("variables", {})
    variables: dict[str, str] = {}
    if not isinstance(variables_raw, dict):
        problems.append("'variables' must be an object of name → text")
    else:
        for k, v in variables_raw.items():
            if not k.isidentifier() or isinstance(v, bool) or not isinstance(v, (str, int, float)):
                problems.append(f"'variables.{k}': names must be identifiers and values text or numbers")
            else:
                variables[k] = str(v)
    faq: list[KeywordRule] = []
    for i, item in enumerate(_list(data, "faq", problems)):
        try:
            faq.append(rule_from_dict(item, where=f"faq[{i}]", product=slug, index=i))
        except RuleError as exc:
            problems.append(str(exc))
    timed: list[TimedTask] = []
    for i, item in enumerate(_list(data, "timed", problems)):
        try:
            timed.append(timed_from_dict(item, where=f"timed[{i}]", product=slug))
        except TimedTaskError as exc:
            problems.append(str(exc))
    order = _str_list(data, "segments", problems)
    for s in order:
        if not SEGMENT_NAME.match(s):
            problems.append(f"segment name {s!r} may only contain letters, digits, '_' and '-'")
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append("'enabled' must be true or false")
    if problems:
        raise ProductError(path, problems)
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
                   extra={k: v for k, v in data.items() if k not in known})


def _list(data: dict, key: str, problems: list[str]) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        problems.append(f"'{key}' must be a list")
        return []
    return value


def _str_list(data: dict, key: str, problems: list[str]) -> list[str]:
    value = _list(data, key, problems)
    bad = [i for i, v in enumerate(value) if not isinstance(v, str) or not v.strip()]
    if bad:
        problems.append(f"'{key}[{bad[0]}]' must be a non-empty string")
        return []
    return value
