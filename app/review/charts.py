"""The review's charts as matplotlib figures (no pyplot, no global state: safe off the GUI
thread). The same figures go into the saved HTML (as SVG, text left as text so the browser's
Chinese fonts draw it) and into the GUI (a Qt canvas).

Every series drawn is taken from ``ReviewData`` unchanged, and each bar group carries its
series name as its label, so a test can read the numbers back from the figure.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from matplotlib import font_manager, rcParams
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from app.review.data import ReviewData, latency_bin_labels
from app.store.labels import AIR_CLASS_ZH, AIR_CLASSES

AIR_COLORS = {"script": "#2563eb", "answer": "#16a34a", "thanks": "#f59e0b", "other": "#94a3b8"}
#: Fonts with Chinese glyphs, most common first (Windows, macOS, Linux).
CJK_FAMILIES = ("Microsoft YaHei", "SimHei", "PingFang SC", "Noto Sans CJK SC", "Noto Sans SC",
                "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback")
_FONT_FILE_HINTS = ("notosanscjk", "msyh", "simhei", "pingfang", "wqy", "sourcehansans", "droidsansfallback")
_fonts_lock = threading.Lock()
_fonts_ready = False
_drawable: frozenset[int] | None = None  # code points the font chain has glyphs for


@dataclass
class Chart:
    key: str
    title: str
    figure: Figure


def setup_fonts() -> str | None:
    """Make matplotlib draw Chinese: the first installed CJK family goes first in the sans-serif
    list (glyphs it lacks fall back to the next). Fonts installed after matplotlib built its
    cache are found by scanning the system font folders once. Returns the family used."""
    global _fonts_ready
    with _fonts_lock:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        if not _fonts_ready and not any(f in installed for f in CJK_FAMILIES):
            for path in font_manager.findSystemFonts():
                if any(hint in path.lower().replace("-", "").replace("_", "") for hint in _FONT_FILE_HINTS):
                    try:
                        font_manager.fontManager.addfont(path)
                    except (OSError, RuntimeError, ValueError):
                        continue
            installed = {f.name for f in font_manager.fontManager.ttflist}
        _fonts_ready = True
        found = [f for f in CJK_FAMILIES if f in installed]
        rcParams["font.sans-serif"] = found + [f for f in rcParams["font.sans-serif"] if f not in found]
        rcParams["font.family"] = "sans-serif"
        rcParams["axes.unicode_minus"] = False
        rcParams["svg.fonttype"] = "none"  # SVG text stays text: the browser draws it
        rcParams["text.parse_math"] = False  # viewers' nicknames and questions may hold "$"; no chart uses formulas
        global _drawable
        _drawable = None  # the chain may have changed
        return found[0] if found else None


def font_chain_glyphs() -> frozenset[int]:
    """Every code point some font of the sans-serif chain (as setup_fonts left it) can draw."""
    global _drawable
    with _fonts_lock:
        if _drawable is None:
            from matplotlib.ft2font import FT2Font

            cover: set[int] = set()
            seen: set[str] = set()
            for family in rcParams["font.sans-serif"]:
                try:
                    path = font_manager.findfont(family, fallback_to_default=False)
                except ValueError:  # not installed
                    continue
                if path in seen:
                    continue
                seen.add(path)
                try:
                    cover.update(FT2Font(path).get_charmap())
                except (OSError, RuntimeError):
                    continue
            _drawable = frozenset(cover)
        return _drawable


def drawable(text: str, empty: str = "？") -> str:
    """``text`` without the characters no chart font can draw (emoji in nicknames, mostly): they
    would show as empty boxes and make matplotlib warn on stderr for each. The saved page's
    tables keep the text as written; ``empty`` stands in for a label left with nothing."""
    glyphs = font_chain_glyphs()
    if not glyphs:  # no font found at all: leave the text to matplotlib's own fallback
        return text
    kept = "".join(ch for ch in text if ord(ch) in glyphs or ch.isspace())
    kept = " ".join(kept.split())
    return kept or empty


def _figure(height: float = 2.8) -> tuple[Figure, object]:
    fig = Figure(figsize=(8.6, height), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _minutes_axis(ax, data: ReviewData) -> list[int]:
    xs = list(range(data.minutes))
    ax.set_xlabel("开播后第几分钟")
    step = max(1, data.minutes // 15)
    ax.set_xticks(xs[::step], [str(x + 1) for x in xs[::step]])
    return xs


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#6b7280", fontsize=12)
    ax.set_xticks([])
    ax.set_yticks([])


def airtime_chart(data: ReviewData) -> Chart:
    fig, ax = _figure()
    xs = _minutes_axis(ax, data)
    bottom = [0.0] * data.minutes
    for c in AIR_CLASSES:
        values = data.airtime[c]
        ax.bar(xs, values, bottom=bottom, label=AIR_CLASS_ZH[c], color=AIR_COLORS[c], width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("秒", rotation=0, labelpad=10)
    ax.set_ylim(0, 60)
    ax.legend(loc="upper right", ncols=4, frameon=False, fontsize=9)
    return Chart("airtime", "播出时长构成（每分钟）", fig)


def activity_chart(data: ReviewData) -> Chart:
    fig, ax = _figure()
    xs = _minutes_axis(ax, data)
    ax.bar(xs, data.comments, label="弹幕", color="#93c5fd", width=0.8)
    ax.plot(xs, data.questions_asked, label="提问", color="#dc2626", marker="o", markersize=3, linewidth=1.5)
    ax.set_ylabel("条", rotation=0, labelpad=10)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper right", ncols=2, frameon=False, fontsize=9)
    return Chart("activity", "弹幕与提问（每分钟）", fig)


def answers_chart(data: ReviewData) -> Chart:
    fig, ax = _figure()
    xs = _minutes_axis(ax, data)
    bottom = [0] * data.minutes
    for label, values, color in (("已回答", data.answered, "#16a34a"), ("未回答", data.unanswered, "#dc2626"),
                                 ("未处理完", data.waiting, "#9ca3af")):
        ax.bar(xs, values, bottom=bottom, label=label, color=color, width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("问题数")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper right", ncols=3, frameon=False, fontsize=9)
    return Chart("answers", "提问的回答情况（按提问时间，每分钟）", fig)


def latency_chart(data: ReviewData) -> Chart:
    fig, ax = _figure()
    if not data.latencies:
        _empty(ax, "本场没有已回答的问题")
    else:
        labels = latency_bin_labels()
        ax.bar(labels, data.latency_histogram(), label="已回答的问题", color="#16a34a", width=0.7)
        ax.set_ylabel("问题数")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("从提问到回答开始播出的时间")
    return Chart("latency", "回答用时分布", fig)


def gifts_chart(data: ReviewData) -> Chart:
    fig, ax = _figure()
    xs = _minutes_axis(ax, data)
    ax.bar(xs, data.diamonds, label="钻石", color="#f59e0b", width=0.8)
    ax.set_ylabel("钻石", rotation=0, labelpad=14)
    return Chart("gifts", "礼物价值（每分钟，钻石）", fig)


def _ranking(key: str, title: str, names: list[str], values: list[float], label: str, color: str,
             empty: str, unit: str) -> Chart:
    fig, ax = _figure(height=max(2.2, 0.32 * len(names) + 1.0))
    if not names:
        _empty(ax, empty)
        return Chart(key, title, fig)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    ys = list(range(len(names)))[::-1]  # first place at the top
    bars = ax.barh(ys, values, label=label, color=color, height=0.65)
    ax.bar_label(bars, padding=3, fontsize=9)
    names = [drawable(n) for n in names]  # viewers' nicknames and questions: emoji the fonts lack go
    ax.set_yticks(ys, [n if len(n) <= 24 else n[:23] + "…" for n in names])
    ax.set_xlabel(unit)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return Chart(key, title, fig)


def gifters_chart(data: ReviewData) -> Chart:
    g = data.top_gifters
    return _ranking("gifters", "送礼榜（钻石）", [x.nickname or "（无昵称）" for x in g], [x.diamonds for x in g],
                    "钻石", "#f59e0b", "本场没有收到礼物", "钻石")


def questions_chart(data: ReviewData) -> Chart:
    q = data.top_questions
    return _ranking("questions", "被问最多的问题", [t for t, _ in q], [n for _, n in q], "次数", "#dc2626",
                    "本场没有观众提问", "次")


def compliance_chart(data: ReviewData) -> Chart:
    terms = data.replaced_terms.most_common(10)
    return _ranking("compliance", "合规替换（过滤前→播出）", [t for t, _ in terms], [n for _, n in terms],
                    "次数", "#7c3aed", "本场没有被合规过滤改写的内容", "次")


def make_charts(data: ReviewData) -> list[Chart]:
    setup_fonts()
    return [airtime_chart(data), activity_chart(data), answers_chart(data), latency_chart(data),
            gifts_chart(data), gifters_chart(data), questions_chart(data), compliance_chart(data)]
