"""The settings form, generated from the config schema.

Each option's type picks its widget (spin box, check box, combo box, masked line edit for
secrets, line edit for text, lists, paths and URLs); the Chinese description is the label and
the full description, allowed values and default are the tooltip; restart-only options carry a
「开播生效」 tag (read again at each 开播) or 「需重启程序」 (the bus and the edited folders). Saving writes only the changed options through ``write_values`` (comments kept,
atomic) and reloads the store. An external edit of config.ini arrives as ConfigChanged (form
refreshed, fields the operator is editing are left alone) or ConfigError (shown; the running
settings stay the last good ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.config import ConfigErrors, Option, Secret, add_instance, remove_instance, write_values
from app.config.types import Choice, Float, Int, IntChoice, ListOf
from app.runtime import BUILT_ONCE
from ui import audio_devices

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


def _widget_for(opt: Option) -> QWidget:
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
            w.addItem(str(c), str(c))
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


class SettingsView(QWidget):
    notice = pyqtSignal(str, str)

    def __init__(self, store: Any, parent=None):
        super().__init__(parent)
        self.store = store
        self.fields: dict[Key, Field] = {}
        self._build()
        self.reload_form(force=True)

    # ---- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        head = QHBoxLayout()
        title = QLabel("设置")
        title.setObjectName("pageTitle")
        self.path_label = QLabel(str(self.store.path))
        self.path_label.setObjectName("muted")
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel("")
        self.status.setObjectName("muted")
        self.revert_b = QPushButton("放弃修改")
        self.save_b = QPushButton("保存到 config.ini")
        self.save_b.setObjectName("primary")
        head.addWidget(title)
        head.addWidget(self.path_label, 1)
        head.addWidget(self.status)
        head.addWidget(self.revert_b)
        head.addWidget(self.save_b)
        lay.addLayout(head)
        self.error_banner = QLabel("")
        self.error_banner.setObjectName("errorBanner")
        self.error_banner.setWordWrap(True)
        self.error_banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_banner.hide()
        lay.addWidget(self.error_banner)

        self.sections = QListWidget()
        self.pages = QStackedWidget()
        self.page_sections: list[str] = []  # the config section shown on each page
        self.sections.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.sections.currentRowChanged.connect(self._section_selected)
        side = QWidget()
        side.setMaximumWidth(220)
        side_lay = QVBoxLayout(side)
        side_lay.setContentsMargins(0, 0, 0, 0)
        side_lay.addWidget(self.sections, 1)
        voice_row = QHBoxLayout()
        self.add_voice_b = QPushButton("＋ 新增音色")
        self.add_voice_b.setToolTip("新增一个 [voice.名称] 音色段（复制当前选中的音色）")
        self.remove_voice_b = QPushButton("－ 删除音色")
        self.remove_voice_b.setToolTip("删除当前选中的音色段；删除的内容保存在 config.deleted.ini")
        voice_row.addWidget(self.add_voice_b)
        voice_row.addWidget(self.remove_voice_b)
        side_lay.addLayout(voice_row)
        self.add_voice_b.clicked.connect(lambda: self.add_voice())
        self.remove_voice_b.clicked.connect(lambda: self.remove_voice())
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(side)
        split.addWidget(self.pages)
        split.setStretchFactor(1, 1)
        lay.addWidget(split, 1)
        self.save_b.clicked.connect(self.save)
        self.revert_b.clicked.connect(lambda: self.reload_form(force=True))

    def _build_pages(self, snap) -> None:
        schema = self.store.schema
        self.fields.clear()
        while self.pages.count():
            w = self.pages.widget(0)
            self.pages.removeWidget(w)
            w.deleteLater()
        self.sections.clear()
        self.page_sections = []
        for spec in schema.sections:
            names = [spec.name] if not spec.pattern else [f"{spec.name}.{n}" for n in snap.instances(spec.name)]
            for section in names:
                title = spec.zh if not spec.pattern else f"{spec.zh.split('（')[0]}：{section.partition('.')[2]}"
                page = QWidget()
                form = QFormLayout(page)
                form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
                form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                head = QLabel(f"<b>{title}</b>　<span style='color:#6b7280'>[{section}] · {spec.en}</span>")
                form.addRow(head)
                for opt in spec.options:
                    widget = _widget_for(opt)
                    when = None if opt.live else _takes_effect(section, opt.key)
                    tag = "\u2060".join(when[0]) if when else ""  # word joiners: the tag never breaks across lines
                    label = QLabel(opt.zh + (f"　<span style='color:#b45309'>{tag}</span>" if when else ""))
                    label.setWordWrap(True)
                    label.setMinimumWidth(260)
                    label.setMaximumWidth(420)
                    if not isinstance(widget, QLineEdit):
                        widget.setMaximumWidth(240)
                    tip = (f"<b>[{section}] {opt.key}</b><br>{opt.zh}<br>{opt.en}<br>"
                           f"允许：{opt.type.allowed()}<br>默认：{opt.default_text or '（空）'}"
                           + (f"<br><b>{when[1]}</b>" if when else ""))
                    label.setToolTip(tip)
                    widget.setToolTip(tip)
                    widget.setObjectName(f"opt:{section}.{opt.key}")
                    form.addRow(label, widget)
                    field = Field(section, opt, widget, label, tip=tip)
                    self.fields[(section, opt.key)] = field
                    _connect_change(widget, self._edited)
                scroll = QScrollArea()
                scroll.setWidgetResizable(True)
                scroll.setWidget(page)
                self.pages.addWidget(scroll)
                self.sections.addItem(title)
                self.page_sections.append(section)
        audio_devices.attach(self)  # [audio] device fields: drop-down of devices + 测试
        self.sections.setCurrentRow(0)

    # ---- voices ([voice.NAME] sections) -------------------------------------------------------

    def selected_section(self) -> str | None:
        row = self.sections.currentRow()
        return self.page_sections[row] if 0 <= row < len(self.page_sections) else None

    def _section_selected(self, _row: int = -1) -> None:
        section = self.selected_section() or ""
        self.remove_voice_b.setEnabled(section.startswith("voice."))

    def show_section(self, section: str) -> None:
        if section in self.page_sections:
            self.sections.setCurrentRow(self.page_sections.index(section))

    def add_voice(self, name: str | None = None) -> str | None:
        """Add [voice.NAME], copying the selected voice (or the first one) so the operator only
        changes what differs. Returns the new section, or None if nothing was added."""
        voices = [s for s in self.page_sections if s.startswith("voice.")]
        selected = self.selected_section()
        source = selected if selected in voices else (voices[0] if voices else None)
        if name is None:
            name, ok = QInputDialog.getText(self, "新增音色", "音色名称（字母、数字、_ 或 -，如 sweet2）：")
            if not ok:
                return None
        try:
            section = add_instance(self.store.path, "voice", name,
                                   copy_from=source.partition(".")[2] if source else None)
        except ConfigErrors as exc:
            self.show_errors("没有新增音色：", exc.errors)
            return None
        self._after_instance_change()
        self.show_section(section)
        extra = f"（复制自 {source}）" if source else ""
        self.notice.emit("info", f"已新增音色 [{section}]{extra}，修改后保存即可；要参与轮换请确认 [tts] voices")
        return section

    def remove_voice(self, confirm: bool = True) -> bool:
        section = self.selected_section() or ""
        if not section.startswith("voice."):
            return False
        if confirm:
            answer = QMessageBox.question(
                self, "删除音色", f"确定删除音色 [{section}] 吗？\n删除的内容会保存到 config.deleted.ini，可以找回。")
            if answer != QMessageBox.StandardButton.Yes:
                return False
        try:
            remove_instance(self.store.path, "voice", section.partition(".")[2])
        except ConfigErrors as exc:
            self.show_errors("没有删除音色：", exc.errors)
            return False
        self._after_instance_change()
        self.notice.emit("info", f"已删除音色 [{section}]，原内容保存在 config.deleted.ini")
        return True

    def _after_instance_change(self) -> None:
        self.error_banner.hide()
        result = self.store.reload()
        if not result.ok:
            self.show_errors("config.ini 整体校验未通过，程序继续使用上次正确的设置：", result.errors)
        self.reload_form()

    # ---- values --------------------------------------------------------------------------------

    def reload_form(self, *, force: bool = False) -> None:
        """Show the file's last valid values. Fields being edited keep their text unless
        ``force``."""
        snap = self.store.on_disk
        wanted = {(s, k) for s, k in snap.keys()}
        if force or set(self.fields) != wanted:
            keep = {} if force else {k: f.text() for k, f in self.fields.items() if f.dirty}
            self._build_pages(snap)
            for key, field in self.fields.items():
                field.set_value(snap.get(*key))
            for key, text in keep.items():
                if key in self.fields:
                    _set_text(self.fields[key], text)
        else:
            for key, field in self.fields.items():
                if not field.dirty:
                    field.set_value(snap.get(*key))
        self._mark_pending()
        self._edited()

    def _mark_pending(self) -> None:
        pending = set(getattr(self.store, "pending_restart", ()) or ())
        for field in self.fields.values():
            style = "color:#b45309;font-weight:bold" if field.name in pending else ""
            field.label.setStyleSheet(style)
            note = f"<br>已修改，{_takes_effect(field.section, field.option.key)[1]}" if field.name in pending else ""
            field.label.setToolTip(field.tip + note)  # from the base tip: refreshes do not pile notes up

    def changed_values(self) -> dict[Key, str]:
        return {k: f.text() for k, f in self.fields.items() if f.dirty and not f.option.secret}

    def _edited(self, *args) -> None:
        n = sum(1 for f in self.fields.values() if f.dirty)
        self.status.setText(f"● {n} 项未保存" if n else "")

    @property
    def dirty(self) -> bool:
        return any(f.dirty for f in self.fields.values())

    def save(self) -> bool:
        from app.config import SecretError, set_secret

        values = self.changed_values()
        secrets = {k: f.text() for k, f in self.fields.items() if f.option.secret and f.text()}
        try:
            if values:
                write_values(self.store.path, values, schema=self.store.schema)
        except ConfigErrors as exc:
            self.show_errors("没有保存，下列设置有错误：", exc.errors)
            return False
        except OSError as exc:
            self.show_errors("无法写入 config.ini：", [str(exc)])
            return False
        for (section, key), value in secrets.items():
            try:
                set_secret(f"{section}.{key}", value)
            except (SecretError, ValueError) as exc:
                self.notice.emit("error", f"密钥 {section}.{key} 未保存：{exc}")
        self.error_banner.hide()
        result = self.store.reload()
        if not result.ok:
            # Written, but the whole file does not validate (a rule across options): keep what
            # the operator typed on screen and say what to fix; the run keeps the last good set.
            self.show_errors("已写入 config.ini，但整体校验未通过，程序继续使用上次正确的设置：", result.errors)
            return False
        for f in self.fields.values():
            if (f.section, f.option.key) in values:
                f.loaded_text = f.text()
        self.reload_form()
        if values or secrets:
            waiting = set(self.store.pending_restart)
            pending = [(s, k) for s, k in values if f"{s}.{k}" in waiting]
            msg = f"已保存 {len(values) + len(secrets)} 项设置"
            for _tag, text in sorted({_takes_effect(s, k) for s, k in pending}):
                n = sum(1 for s, k in pending if _takes_effect(s, k)[1] == text)
                msg += f"；其中 {n} 项{text}"
            self.notice.emit("info", msg)
        return True

    # ---- external edits (from the bridge) ------------------------------------------------------

    def on_config_changed(self, event: Any = None) -> None:
        self.error_banner.hide()
        self.reload_form()

    def on_config_error(self, event: Any) -> None:
        self.show_errors("config.ini 被修改但有错误，程序继续使用上次正确的设置：", list(event.errors))

    def show_errors(self, title: str, errors) -> None:
        self.error_banner.setText(title + "\n" + "\n".join(errors))
        self.error_banner.show()


def _takes_effect(section: str, key: str) -> tuple[str, str]:
    """(tag, sentence) for a restart-only option: most apply at the next 开播; the bus and the
    folders the views edit need the app restarted (``app.runtime.BUILT_ONCE``)."""
    if (section.partition(".")[0], key) in BUILT_ONCE:
        return "需重启程序", "重启程序后生效"
    return "开播生效", "停止后重新开播时生效"


def _connect_change(widget: QWidget, slot) -> None:
    if isinstance(widget, QCheckBox):
        widget.toggled.connect(slot)
    elif isinstance(widget, QComboBox):
        widget.currentIndexChanged.connect(slot)
    elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        widget.valueChanged.connect(slot)
    else:
        widget.textChanged.connect(slot)


def _set_text(field: Field, text: str) -> None:
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


__all__ = ["SettingsView", "Secret"]
