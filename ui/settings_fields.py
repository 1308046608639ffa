"""The settings form's fields: one widget per option, chosen by the option's type, and the
words the form uses for an option (what may be written, when a change takes effect)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from PyQt6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QLineEdit, QSpinBox, QWidget

from app.config import Option
from app.config.schema import AT_RESTART, AT_START, LIVE
from app.config.types import Choice, Float, Int, IntChoice, ListOf
from ui.settings_labels import value_label

Key = tuple[str, str]


@dataclass
class Field:
    section: str  # as in the file ("voice.alice" for pattern sections)
    option: Option
    widget: QWidget
    label: QLabel
    loaded_text: str = ""
    tip: str = ""  # the label's tooltip without the "modified" note

    @property
    def name(self) -> str:
        return f"{self.section}.{self.option.key}"

    def text(self) -> str:
        w = self.widget
        t = self.option.type
        if isinstance(w, QCheckBox):
            return t.format(w.isChecked())
        if isinstance(w, QComboBox):
            return str(w.currentData())
        if isinstance(w, QSpinBox):
            return t.format(w.value())
        if isinstance(w, QDoubleSpinBox):
            return t.format(round(w.value(), w.decimals()))
        return w.text().strip()

    def set_value(self, value: Any) -> None:
        w = self.widget
        t = self.option.type
        w.blockSignals(True)
        try:
            if self.option.secret:
                w.setText("")
                self.loaded_text = ""
                return
            if isinstance(w, QCheckBox):
                w.setChecked(bool(value))
            elif isinstance(w, QComboBox):
                i = w.findData(str(value))
                w.setCurrentIndex(max(0, i))
            elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
                w.setValue(value)
            else:
                w.setText(t.format(value))
            self.loaded_text = self.text()
        finally:
            w.blockSignals(False)

    @property
    def dirty(self) -> bool:
        return self.text() != self.loaded_text


def widget_for(opt: Option, section: str) -> QWidget:
    t = opt.type
    if opt.secret:
        w = QLineEdit()
        w.setEchoMode(QLineEdit.EchoMode.Password)
        w.setPlaceholderText("已隐藏；输入新值并保存即存入系统钥匙串" + (f"（或用环境变量 {opt.env}）" if opt.env else ""))
        return w
    if t.kind == "bool":
        return QCheckBox()
    if isinstance(t, (Choice, IntChoice)):
        w = QComboBox()
        for c in t.choices:
            w.addItem(value_label(section, opt.key, str(c)), str(c))
        return w
    if isinstance(t, Int):
        w = QSpinBox()
        w.setRange(t.min if t.min is not None else -2_000_000_000, t.max if t.max is not None else 2_000_000_000)
        w.setGroupSeparatorShown(False)
        return w
    if isinstance(t, Float):
        w = QDoubleSpinBox()
        w.setDecimals(3)
        w.setRange(t.min if t.min is not None else -1e12, t.max if t.max is not None else 1e12)
        w.setSingleStep(0.1)
        return w
    w = QLineEdit()
    if isinstance(t, ListOf):
        w.setPlaceholderText("多个值用逗号分隔")
    return w


def allowed_zh(opt: Option, section: str) -> str:
    """What may be written, in words: the choices, or the range of a number."""
    t = opt.type
    if isinstance(t, (Choice, IntChoice)):
        return "、".join(value_label(section, opt.key, str(c)) for c in t.choices)
    if isinstance(t, (Int, Float)) and (t.min is not None or t.max is not None):
        lo = "" if t.min is None else f"{t.min:g}"
        hi = "" if t.max is None else f"{t.max:g}"
        return f"{lo} 到 {hi} 之间的数" if lo and hi else (f"不小于 {lo}" if lo else f"不大于 {hi}")
    if t.kind == "bool":
        return "勾选或不勾选"
    return ""


def voice_name_problem(name: str, taken: set[str]) -> str:
    if not name:
        return "音色名称不能为空"
    if name in taken:
        return f"音色“{name}”已经存在，请换一个名称"
    if not all(c.isascii() and (c.isalnum() or c in "_-") for c in name):
        return f"音色名称“{name}”只能用英文字母、数字、_ 或 -（它会写成 config.ini 里的 [voice.{name}]）"
    return ""


#: When a saved change takes effect, by ``Option.applies``: (tag, sentence, colour of the tag).
#: A live option has a registered consumer that applies it at once (tests/unit/config).
WHEN = {
    LIVE: ("立即生效", "保存后立即生效，直播中也是", "#15803d"),
    AT_START: ("开播生效", "下次开播时生效（直播中修改的，停播后重新开播时生效）", "#b45309"),
    AT_RESTART: ("需重启程序", "重新打开程序后生效", "#b91c1c"),
}


def takes_effect(opt: Option) -> tuple[str, str, str]:
    """(tag, sentence, colour) saying when a change of ``opt`` takes effect."""
    return WHEN[opt.applies]


def option_label(section: str, opt: Option) -> str:
    """The option's short Chinese name for notices: "随机微调语速的幅度", "语速倍率（音色 default）"."""
    name = re.split(r"[（：，；(]", opt.zh, maxsplit=1)[0]
    instance = section.partition(".")[2]
    return f"{name}（音色 {instance}）" if instance else name


def save_notice(saved: list[tuple[str, Option]], not_applied: dict[str, str]) -> str:
    """The notice after a save: how many, and by name which applied at once, which did not
    (``not_applied``: "section.key" → why), which apply at the next 开播 and which after the app
    is opened again."""
    groups: dict[str, list[str]] = {LIVE: [], AT_START: [], AT_RESTART: []}
    failed = []
    for section, opt in saved:
        name = option_label(section, opt)
        if f"{section}.{opt.key}" in not_applied:
            failed.append(name)
        else:
            groups[opt.applies].append(name)
    parts = [f"已保存 {len(saved)} 项设置"]
    for names, what in ((groups[LIVE], "已立即生效"), (failed, "没能立即生效（详见日志，下次开播时会再读取）"),
                        (groups[AT_START], "下次开播时生效"), (groups[AT_RESTART], "重新打开程序后生效")):
        if names:
            parts.append(f"{what}：{'、'.join(names)}")
    return "；".join(parts)


def connect_change(widget: QWidget, slot) -> None:
    if isinstance(widget, QCheckBox):
        widget.toggled.connect(slot)
    elif isinstance(widget, QComboBox):
        widget.currentIndexChanged.connect(slot)
    elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        widget.valueChanged.connect(slot)
    else:
        widget.textChanged.connect(slot)


def set_text(field: Field, text: str) -> None:
    w = field.widget
    if isinstance(w, QLineEdit):
        w.setText(text)
        return
    loaded = field.loaded_text
    try:
        field.set_value(field.option.type.parse(text))
    except ValueError:
        return
    field.loaded_text = loaded  # still an unsaved edit
