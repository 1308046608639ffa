"""Product facts (name, price, selling points, facts, variables) and FAQ keyword rules, edited
as the product.json data they come from. Keys this form does not know are kept as they were."""

from __future__ import annotations

import copy
from typing import Any

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

FAQ_COLUMNS = ("编号", "任一关键词", "同时包含", "排除词", "优先级", "回复模板")


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]


class KeyValueTable(QTableWidget):
    def __init__(self, headers: tuple[str, str]):
        super().__init__(0, 2)
        self.setHorizontalHeaderLabels(list(headers))
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().setVisible(False)

    def set_rows(self, rows: list[tuple[str, str]]) -> None:
        self.setRowCount(0)
        for k, v in rows:
            self.add_row(k, v)

    def add_row(self, key: str = "", value: str = "") -> None:
        r = self.rowCount()
        self.insertRow(r)
        self.setItem(r, 0, QTableWidgetItem(key))
        self.setItem(r, 1, QTableWidgetItem(value))

    def indexed_rows(self) -> list[tuple[int, str, str]]:
        """(table row, key, value) of every row that is not empty."""
        out = []
        for r in range(self.rowCount()):
            k = (self.item(r, 0).text() if self.item(r, 0) else "").strip()
            v = (self.item(r, 1).text() if self.item(r, 1) else "").strip()
            if k or v:
                out.append((r, k, v))
        return out

    def rows(self) -> list[tuple[str, str]]:
        return [(k, v) for _, k, v in self.indexed_rows()]

    def show_row(self, row: int, column: int = 0) -> None:
        if 0 <= row < self.rowCount():
            self.setCurrentCell(row, column)
            self.scrollToItem(self.item(row, column))
            self.setFocus()


def _with_buttons(table: QTableWidget, add, remove_label: str = "删除所选行") -> QWidget:
    w = QWidget()
    lay = QVBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(table)
    row = QHBoxLayout()
    add_b = QPushButton("添加一行")
    del_b = QPushButton(remove_label)
    add_b.clicked.connect(lambda: add())  # clicked(bool) must not reach add's parameter
    del_b.clicked.connect(lambda: [table.removeRow(r) for r in
                                   sorted({i.row() for i in table.selectedIndexes()}, reverse=True)])
    row.addWidget(add_b)
    row.addWidget(del_b)
    row.addStretch(1)
    lay.addLayout(row)
    return w


class ProductForm(QWidget):
    edited = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._data: dict = {}
        self._loading = False
        lay = QFormLayout(self)
        self.name = QLineEdit()
        self.price = QLineEdit()
        self.price.setPlaceholderText("例如 89元")
        self.enabled = QCheckBox("参与话术循环")
        self.points = QPlainTextEdit()
        self.points.setPlaceholderText("每行一个卖点")
        self.points.setMaximumHeight(110)
        self.facts = KeyValueTable(("项目", "内容"))
        self.facts.setToolTip("大模型回答观众问题时只依据这些资料")
        self.variables = KeyValueTable(("变量名", "值"))
        self.variables.setToolTip("模板里用 ${变量名} 引用，例如变量名填“券”，模板里写 ${券}")
        self.variables.setMaximumHeight(120)
        lay.addRow("商品名称", self.name)
        lay.addRow("价格", self.price)
        lay.addRow("", self.enabled)
        lay.addRow("卖点", self.points)
        lay.addRow("商品资料", _with_buttons(self.facts, lambda: self.facts.add_row()))
        lay.addRow("模板变量", _with_buttons(self.variables, lambda: self.variables.add_row()))
        for w in (self.name, self.price):
            w.textChanged.connect(self._changed)
        self.enabled.toggled.connect(self._changed)
        self.points.textChanged.connect(self._changed)
        self.facts.itemChanged.connect(self._changed)
        self.variables.itemChanged.connect(self._changed)
        self.facts.model().rowsRemoved.connect(self._changed)
        self.variables.model().rowsRemoved.connect(self._changed)

    def _changed(self, *args) -> None:
        if not self._loading:
            self.edited.emit()

    def load(self, data: dict) -> None:
        self._loading = True
        try:
            self._data = copy.deepcopy(data)
            self.name.setText(str(data.get("name", "")))
            self.price.setText(str(data.get("price", "")))
            self.enabled.setChecked(bool(data.get("enabled", True)))
            self.points.setPlainText("\n".join(data.get("selling_points", []) or []))
            facts = data.get("facts", {}) or {}
            rows = list(facts.items()) if isinstance(facts, dict) else [("", str(f)) for f in facts]
            self.facts.set_rows([(str(k), str(v)) for k, v in rows])
            self.variables.set_rows([(str(k), str(v)) for k, v in (data.get("variables", {}) or {}).items()])
        finally:
            self._loading = False

    def data(self) -> dict:
        out = copy.deepcopy(self._data)
        out["name"] = self.name.text().strip()
        out["price"] = self.price.text().strip()
        out["enabled"] = self.enabled.isChecked()
        out["selling_points"] = [p.strip() for p in self.points.toPlainText().splitlines() if p.strip()]
        rows = self.facts.rows()
        # Facts stay an object when every row has a name, else become a list of statements.
        out["facts"] = dict(rows) if all(k for k, _ in rows) else [f"{k}：{v}" if k else v for k, v in rows]
        out["variables"] = dict(self.variables.rows())
        return out


class FaqTable(QWidget):
    """FAQ keyword rules: matching words and the reply template."""

    edited = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._loading = False
        lay = QVBoxLayout(self)
        hint = QLabel("观众弹幕命中关键词时，用回复模板作答（支持 {a|b} 变体和 ${变量}），优先于大模型。"
                      "多个词用逗号分隔；优先级数字越小越优先。")
        hint.setWordWrap(True)
        hint.setObjectName("muted")
        self.table = QTableWidget(0, len(FAQ_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(FAQ_COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        h = self.table.horizontalHeader()
        for c in range(len(FAQ_COLUMNS) - 1):
            h.setSectionResizeMode(c, QHeaderView.ResizeMode.Interactive)
        h.setStretchLastSection(True)
        for c, w in enumerate((110, 180, 90, 80, 56)):
            self.table.setColumnWidth(c, w)
        lay.addWidget(hint)
        lay.addWidget(_with_buttons(self.table, self.add_rule, "删除所选规则"))
        self.table.itemChanged.connect(self._changed)
        self.table.model().rowsRemoved.connect(self._changed)

    def _changed(self, *args) -> None:
        if not self._loading:
            self.edited.emit()

    def add_rule(self, rule: dict[str, Any] | None = None) -> None:
        rule = rule or {}
        r = self.table.rowCount()
        self.table.insertRow(r)
        vals = [rule.get("id", ""), ", ".join(_as_list(rule.get("any"))), ", ".join(_as_list(rule.get("all"))),
                ", ".join(_as_list(rule.get("none"))), str(rule.get("priority", 0)), rule.get("reply", "")]
        for c, v in enumerate(vals):
            self.table.setItem(r, c, QTableWidgetItem(str(v)))

    def load(self, rules: list) -> None:
        self._loading = True
        try:
            self.table.setRowCount(0)
            for rule in rules or []:
                self.add_rule(rule if isinstance(rule, dict) else {})
        finally:
            self._loading = False

    def rules(self) -> list[dict]:
        return [rule for _, rule in self.indexed_rules()]

    def show_cell(self, row: int, column: int) -> None:
        if 0 <= row < self.table.rowCount():
            self.table.setCurrentCell(row, column)
            self.table.scrollToItem(self.table.item(row, column))
            self.table.setFocus()

    def indexed_rules(self) -> list[tuple[int, dict]]:
        """(table row, rule) of every row that is not empty."""
        out = []
        for r in range(self.table.rowCount()):
            cell = [(self.table.item(r, c).text() if self.table.item(r, c) else "").strip()
                    for c in range(len(FAQ_COLUMNS))]
            if not any(cell):
                continue
            rule: dict[str, Any] = {}
            if cell[0]:
                rule["id"] = cell[0]
            for key, text in (("any", cell[1]), ("all", cell[2]), ("none", cell[3])):
                if _split(text):
                    rule[key] = _split(text)
            try:
                rule["priority"] = int(cell[4] or 0)
            except ValueError:
                rule["priority"] = cell[4]  # the product check reports it with the rule's index
            rule["reply"] = cell[5]
            out.append((r, rule))
        return out


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]
