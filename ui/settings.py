"""The settings form, generated from the config schema.

Each option's type picks its widget (spin box, check box, combo box, masked line edit for
secrets, line edit for text, lists, paths and URLs); the Chinese description is the label and
the description, the config.ini key, allowed values and default are the tooltip (all in Chinese);
pages are listed grouped in the order an operator needs them (``settings_labels``). Each option
carries a tag saying when a change takes effect, from its declaration (``Option.applies``):
「立即生效」 (a registered consumer applies it while the room runs), 「开播生效」 (read at each
开播) or 「需重启程序」 (the bus and the edited folders). Saving writes only the changed options
through ``write_values`` (comments kept, atomic), reloads the store and says by name which
changes applied at once, which wait for the next 开播 and which for the app to be opened again.
An external edit of config.ini arrives as ConfigChanged (form refreshed, fields the operator is
editing are left alone) or ConfigError (shown; the running settings stay the last good ones).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.config import ConfigErrors, Secret, add_instance, remove_instance, write_values
from ui import audio_devices
from ui.dialogs import ask_text, ask_to_save, confirm
from ui.settings_errors import config_error_zh
from ui.settings_fields import (
    Field,
    Key,
    allowed_zh,
    save_notice,
    set_text,
    takes_effect,
    voice_name_problem,
)
from ui.settings_labels import page_order
from ui.settings_page import build_page


class SettingsView(QWidget):
    notice = pyqtSignal(str, str)

    def __init__(self, store: Any, parent=None):
        super().__init__(parent)
        self.store = store
        self.fields: dict[Key, Field] = {}
        self._announced: set[str] = set()  # "section.key" whose change the last save's notice named
        self.is_live: Callable[[], bool] = lambda: False  # set by the main window (试听 warns while live)
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
        self.sections.setWordWrap(True)  # a long page name wraps instead of hiding behind a scroll bar
        self.sections.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pages = QStackedWidget()
        self.page_sections: list[str] = []  # the config section shown on each page
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
        self.save_b.clicked.connect(lambda: self.save())
        self.revert_b.clicked.connect(lambda: self.revert())

    def _build_pages(self, snap) -> None:
        """One page per section; the list shows them grouped, in the order an operator needs them
        (``settings_labels.GROUPS``), not in the file's order."""
        schema = self.store.schema
        keep = self.selected_section()
        self.fields.clear()
        while self.pages.count():
            w = self.pages.widget(0)
            self.pages.removeWidget(w)
            w.deleteLater()
        self.sections.blockSignals(True)
        self.sections.clear()
        self.page_sections = []
        specs = {}
        for spec in schema.sections:
            for section in [spec.name] if not spec.pattern else [f"{spec.name}.{n}" for n in snap.instances(spec.name)]:
                specs[section] = spec
        for group, sections in page_order(list(specs)):
            head = QListWidgetItem(group)
            head.setFlags(Qt.ItemFlag.NoItemFlags)
            font = head.font()
            font.setBold(True)
            head.setFont(font)
            head.setForeground(QColor("#374151"))
            self.sections.addItem(head)
            for section in sections:
                title = self._add_page(section, specs[section])
                item = QListWidgetItem("　" + title)
                item.setData(Qt.ItemDataRole.UserRole, len(self.page_sections) - 1)
                self.sections.addItem(item)
        self.sections.blockSignals(False)
        first = next(self.page_sections[self.sections.item(r).data(Qt.ItemDataRole.UserRole)]
                     for r in range(self.sections.count()) if self.sections.item(r).data(Qt.ItemDataRole.UserRole) is not None)
        audio_devices.attach(self)  # [audio] device fields: drop-down of devices + 测试
        self.show_section(keep if keep in self.page_sections else first)

    def _add_page(self, section: str, spec) -> str:
        page, title = build_page(section, spec, store=self.store, fields=self.fields,
                                 is_live=lambda: self.is_live(), on_edit=self._edited)
        self.pages.addWidget(page)
        self.page_sections.append(section)
        return title

    # ---- voices ([voice.NAME] sections) -------------------------------------------------------

    def selected_section(self) -> str | None:
        index = self.pages.currentIndex()
        return self.page_sections[index] if self.pages.count() and 0 <= index < len(self.page_sections) else None

    def _section_selected(self, row: int = -1) -> None:
        item = self.sections.item(row) if row >= 0 else None
        index = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if index is not None:
            self.pages.setCurrentIndex(index)
        section = self.selected_section() or ""
        self.remove_voice_b.setEnabled(section.startswith("voice."))

    def show_section(self, section: str) -> None:
        if section not in self.page_sections:
            return
        index = self.page_sections.index(section)
        for row in range(self.sections.count()):
            if self.sections.item(row).data(Qt.ItemDataRole.UserRole) == index:
                self.sections.setCurrentRow(row)
                self._section_selected(row)
                return

    def add_voice(self, name: str | None = None) -> str | None:
        """Add [voice.NAME], copying the selected voice (or the first one) so the operator only
        changes what differs. Returns the new section, or None if nothing was added."""
        voices = [s for s in self.page_sections if s.startswith("voice.")]
        selected = self.selected_section()
        source = selected if selected in voices else (voices[0] if voices else None)
        if name is None:
            name = ask_text(self, "新增音色", "音色名称（英文字母、数字、_ 或 -，如 tianmei2）：")
            if name is None:
                return None
        problem = voice_name_problem(name, {v.partition(".")[2] for v in voices})
        if problem:
            self.show_errors("没有新增音色：", [problem])
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

    def remove_voice(self, ask: bool = True) -> bool:
        section = self.selected_section() or ""
        if not section.startswith("voice."):
            return False
        if ask and not confirm(self, "删除音色", f"确定删除音色 [{section}] 吗？\n删除的内容会保存到 config.deleted.ini，可以找回。",
                               "删除", warning=True):
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
                    set_text(self.fields[key], text)
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
            note = f"<br>已修改，{takes_effect(field.option)[1]}" if field.name in pending else ""
            field.label.setToolTip(field.tip + note)  # from the base tip: refreshes do not pile notes up

    def changed_values(self) -> dict[Key, str]:
        return {k: f.text() for k, f in self.fields.items() if f.dirty and not f.option.secret}

    def _edited(self, *args) -> None:
        n = sum(1 for f in self.fields.values() if f.dirty)
        self.status.setText(f"● {n} 项未保存" if n else "")

    @property
    def dirty(self) -> bool:
        return any(f.dirty for f in self.fields.values())

    def maybe_save(self) -> bool:
        """Ask about unsaved settings. True = go on (saved or discarded), False = stay."""
        if not self.dirty:
            return True
        return ask_to_save(self, "未保存的设置", "设置有未保存的修改，要保存到 config.ini 吗？", self.save)

    def revert(self) -> None:
        """放弃修改: the file's values again, after asking."""
        if self.dirty and not confirm(self, "放弃修改", "放弃所有未保存的设置修改吗？", "放弃修改", warning=True):
            return
        self.reload_form(force=True)

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
        saved = [(key[0], self.fields[key].option) for key in [*values, *secrets]]
        self._announced = {f"{section}.{opt.key}" for section, opt in saved}
        if saved:
            failed = dict(result.live.failed)
            self.notice.emit("warning" if failed else "info", save_notice(saved, failed))
        return True

    # ---- external edits (from the bridge) ------------------------------------------------------

    def announced(self, option: str) -> bool:
        """Did the notice after the last save name this change ("section.key")? Once only: a
        later edit of the same option in the file is announced by the window again."""
        if option in self._announced:
            self._announced.discard(option)
            return True
        return False

    def on_config_changed(self, event: Any = None) -> None:
        self.error_banner.hide()
        self.reload_form()

    def on_config_error(self, event: Any) -> None:
        self.show_errors("config.ini 被修改但有错误，程序继续使用上次正确的设置：", list(event.errors))

    def show_errors(self, title: str, errors) -> None:
        lines = [config_error_zh(str(e), self.store.schema, allowed_zh) for e in errors]
        self.error_banner.setText(title + "\n" + "\n".join(lines))
        self.error_banner.show()


__all__ = ["SettingsView", "Secret"]
