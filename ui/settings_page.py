"""One page of the settings form: a config section's options as labelled widgets.

Each option gets the widget its type picks (``settings_fields.widget_for``), a label with the
tag saying when a change takes effect, and a Chinese tooltip (config.ini key, allowed values,
default); a [voice.NAME] page starts with 试听. Kept apart from ``SettingsView`` so the view
holds what the form does (pages, voices, saving) and this what one page looks like.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QScrollArea, QWidget

from app.config.types import Choice, IntChoice
from ui.settings_fields import Field, Key, allowed_zh, connect_change, takes_effect, widget_for
from ui.settings_labels import value_label
from ui.voice_preview import VoicePreview, snapshot_with_edits


def build_page(section: str, spec, *, store: Any, fields: dict[Key, Field], is_live: Callable[[], bool],
               on_edit: Callable[..., None]) -> tuple[QScrollArea, str]:
    """The page of ``section`` and its title. Its fields are added to ``fields`` (the view's
    own dict: 试听 reads every unsaved edit from it); ``on_edit`` is called on each edit."""
    title = spec.zh if not spec.pattern else f"{spec.zh.split('（')[0]}：{section.partition('.')[2]}"
    page = QWidget()
    form = QFormLayout(page)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    head = QLabel(f"<b>{title}</b>　<span style='color:#6b7280'>config.ini 的 [{section}] 段</span>")
    form.addRow(head)
    if spec.pattern and spec.name == "voice":  # 试听: hear this voice as the form sets it
        voice = section.partition(".")[2]
        form.addRow(QLabel("试听"), VoicePreview(
            voice, lambda: snapshot_with_edits(store, fields, voice), is_live=lambda: is_live()))
    for opt in spec.options:
        widget = widget_for(opt, section)
        when = takes_effect(opt)
        tag = "\u2060".join(when[0])  # word joiners: the tag never breaks across lines
        label = QLabel(f"{opt.zh}　<span style='color:{when[2]}'>{tag}</span>")
        label.setWordWrap(True)
        label.setMinimumWidth(260)
        label.setMaximumWidth(420)
        if not isinstance(widget, QLineEdit):
            widget.setMaximumWidth(320 if isinstance(widget, QComboBox) else 240)
        allowed = allowed_zh(opt, section)
        default = opt.default_text or "（空）"
        if isinstance(opt.type, (Choice, IntChoice)):
            default = value_label(section, opt.key, opt.default_text)
        elif opt.type.kind == "bool":
            default = "勾选" if opt.default else "不勾选"
        tip = (f"<b>{opt.zh}</b><br>config.ini：[{section}] {opt.key}"
               + (f"<br>可填：{allowed}" if allowed else "") + f"<br>默认：{default}"
               + f"<br><b>{when[1]}</b>")
        label.setToolTip(tip)
        widget.setToolTip(tip)
        widget.setObjectName(f"opt:{section}.{opt.key}")
        form.addRow(label, widget)
        field = Field(section, opt, widget, label, tip=tip)
        fields[(section, opt.key)] = field
        connect_change(widget, on_edit)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(page)
    return scroll, title
