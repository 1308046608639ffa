"""The saved review: one self-contained HTML file (charts as inline SVG, tables, no external
files or scripts) plus the data behind it as CSV (UTF-8 with BOM, for Excel), in a folder of
its own beside the logs (``data/logs/reviews/<date>-<time>-第N场/``).
"""

from __future__ import annotations

import csv
import html
import io
import time
from pathlib import Path

from app import paths
from app.review.charts import Chart, make_charts
from app.review.data import ReviewData, latency_bin_labels
from app.run_report import percentiles
from app.store.labels import AIR_CLASS_ZH, AIR_CLASSES, SESSION_END_ZH

QUESTIONS_SHOWN = 500  # rows in the HTML table; the CSV has them all


def default_out_dir() -> Path:
    return paths.logs_dir() / "reviews"


def _t(ts: float, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return time.strftime(fmt, time.localtime(ts))


def _dur(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h} 小时 {m} 分" if h else f"{m} 分 {s} 秒"


def summary(data: ReviewData) -> list[tuple[str, str]]:
    """The headline figures, (label, value), shown on top of the page and in the GUI."""
    total = data.spoken_s
    air = data.airtime_total
    share = {c: (air[c] / total * 100 if total else 0.0) for c in AIR_CLASSES}
    lat = percentiles(data.latencies)
    asked = sum(data.questions_asked)
    answered = sum(data.answered)
    out = [("直播时长", _dur(data.end - data.start)), ("播出总时长", _dur(total))]
    out += [(f"{AIR_CLASS_ZH[c]}占比", f"{share[c]:.0f}%") for c in AIR_CLASSES]
    out += [("弹幕", str(sum(data.comments))), ("观众提问", str(asked)),
            ("已回答", f"{answered}（{answered / asked * 100:.0f}%）" if asked else "0"),
            ("回答用时 中位数 / 95%", "—" if lat["p50"] is None else f"{lat['p50']} 秒 / {lat['p95']} 秒"),
            ("礼物", f"{data.gift_units} 个"), ("钻石", str(sum(data.diamonds))),
            ("合规改写", f"{len(data.replacements)} 句")]
    return out


def _svg(chart: Chart) -> str:
    buf = io.StringIO()
    chart.figure.savefig(buf, format="svg")
    text = buf.getvalue()
    return text[text.find("<svg"):]  # drop the XML declaration and doctype: inline SVG


def _table(headers: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f"<p class='muted'>{html.escape(empty)}</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STATE_ZH = {"answered": "已回答", "unanswered": "未回答", "waiting": "未处理完"}


def question_rows(data: ReviewData) -> list[list[str]]:
    return [[_t(q.ts, "%H:%M:%S"), q.viewer, q.text, _STATE_ZH.get(q.state, q.state),
             q.answer if q.state == "answered" else q.reason,
             "" if q.latency_s is None else f"{q.latency_s:.1f}"] for q in data.questions]


_CSS = """
body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","Noto Sans SC",sans-serif;margin:24px auto;
max-width:980px;color:#111827;background:#f9fafb}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-left:4px solid #2563eb;padding-left:8px}
.muted{color:#6b7280}.note{background:#fffbeb;border:1px solid #fde68a;padding:6px 10px;border-radius:6px}.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;margin-top:14px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:6px;padding:8px 10px}
.card b{display:block;font-size:18px}.card span{font-size:12px;color:#6b7280}
.chart{background:#fff;border:1px solid #e5e7eb;border-radius:6px;padding:6px;margin:8px 0}
.chart svg{width:100%;height:auto}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border:1px solid #e5e7eb;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f3f4f6}
"""


def render_html(data: ReviewData, charts: list[Chart] | None = None) -> str:
    charts = charts if charts is not None else make_charts(data)
    s = data.session
    title = f"直播复盘 · 第 {s.session_id} 场"
    mode = "（演示模式）" if s.demo else ""
    ended = SESSION_END_ZH.get(s.end_reason, s.end_reason) if s.ended_at is not None else SESSION_END_ZH[""]
    cards = "".join(f"<div class='card'><b>{html.escape(v)}</b><span>{html.escape(k)}</span></div>"
                    for k, v in summary(data))
    parts = [f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_CSS}</style></head><body>",
             f"<h1>{html.escape(title)}{mode}</h1>",
             f"<div class='muted'>{_t(data.start)} — {_t(data.end)} · 结束方式：{html.escape(ended)}</div>",
             *[f"<p class='note'>{html.escape(n)}</p>" for n in data.notes],
             f"<div class='cards'>{cards}</div>"]
    for chart in charts:
        parts.append(f"<h2>{html.escape(chart.title)}</h2><div class='chart' id='chart-{chart.key}'>{_svg(chart)}</div>")
    parts.append("<h2>未回答的原因</h2>" + _table(
        ["原因", "问题数"], [[r, n] for r, n in data.unanswered_reasons.most_common()], "所有问题都已回答"))
    parts.append("<h2>送礼榜</h2>" + _table(
        ["观众", "钻石", "礼物数"], [[g.nickname, g.diamonds, g.gifts] for g in data.top_gifters], "本场没有收到礼物"))
    parts.append("<h2>被问最多的问题</h2>" + _table(
        ["问题", "次数"], [[t, n] for t, n in data.top_questions], "本场没有观众提问"))
    parts.append("<h2>合规改写明细</h2>" + _table(
        ["时间", "过滤前原文", "播出内容", "改动"],
        [[_t(r.at, "%H:%M:%S"), r.original, r.spoken, "；".join(r.changes)] for r in data.replacements],
        "本场没有被合规过滤改写的内容"))
    rows = question_rows(data)
    more = f"（共 {len(rows)} 个，这里列出前 {QUESTIONS_SHOWN} 个，全部见 questions.csv）" if len(rows) > QUESTIONS_SHOWN else ""
    parts.append(f"<h2>全部提问{more}</h2>" + _table(
        ["时间", "观众", "问题", "状态", "回答 / 未回答原因", "用时（秒）"], rows[:QUESTIONS_SHOWN], "本场没有观众提问"))
    parts.append(f"<p class='muted'>生成于 {_t(time.time())}。数据来自本场的播出记录、直播事件和提问记录。</p></body></html>")
    return "".join(parts)


def _write_csv(path: Path, headers: list[str], rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(headers)
        w.writerows(rows)


def write_review(data: ReviewData, out_dir: str | Path | None = None, charts: list[Chart] | None = None) -> Path:
    """Write ``review.html`` and the CSVs into a new folder under ``out_dir``; returns the HTML path."""
    base = Path(out_dir) if out_dir is not None else default_out_dir()
    folder = base / f"{_t(data.start, '%Y%m%d-%H%M')}-第{data.session.session_id}场"
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / "review.html"
    tmp = page.with_suffix(".tmp")
    tmp.write_text(render_html(data, charts), encoding="utf-8")
    tmp.replace(page)
    _write_csv(folder / "minutes.csv",
               ["分钟", *[f"{AIR_CLASS_ZH[c]}（秒）" for c in AIR_CLASSES], "弹幕", "提问", "已回答", "未回答",
                "钻石"],
               [[m + 1, *[data.airtime[c][m] for c in AIR_CLASSES], data.comments[m], data.questions_asked[m],
                 data.answered[m], data.unanswered[m], data.diamonds[m]] for m in range(data.minutes)])
    _write_csv(folder / "questions.csv", ["时间", "观众", "问题", "状态", "回答 / 未回答原因", "用时（秒）"],
               question_rows(data))
    _write_csv(folder / "gifters.csv", ["观众", "钻石", "礼物数"],
               [[g.nickname, g.diamonds, g.gifts] for g in data.top_gifters])
    _write_csv(folder / "replacements.csv", ["时间", "过滤前原文", "播出内容", "改动"],
               [[_t(r.at), r.original, r.spoken, "；".join(r.changes)] for r in data.replacements])
    _write_csv(folder / "latency.csv", ["回答用时", "问题数"],
               [[label, n] for label, n in zip(latency_bin_labels(), data.latency_histogram(), strict=True)])
    return page
