"""The operator's context on the dashboard, beside now-playing: the product on air (当前讲解)
with one-click switch and pin, the airtime split (script / answers / thanks / other) of the last
minute and of the whole run, and the AI-content label viewers must see."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QPainter
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import events
from app.store.labels import AIR_CLASS_ZH, AIR_CLASSES

AIR_COLORS = {"script": "#2563eb", "answer": "#16a34a", "thanks": "#f59e0b", "other": "#94a3b8"}
DEFAULT_AI_LABEL = "本直播间部分内容由AI生成"


def data_table(model, stretch_col: int, widths: dict[int, int]) -> QTableView:
    """A read-only, row-selecting table view for one of ``ui.models``' models."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(24)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    for col, width in widths.items():
        view.setColumnWidth(col, width)
    header.setSectionResizeMode(stretch_col, QHeaderView.ResizeMode.Stretch)
    return view


class Counter(QFrame):
    def __init__(self, title: str):
        super().__init__()
        self.setObjectName("counter")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(0)
        self.value = QLabel("0")
        self.value.setObjectName("counterValue")
        self.value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label = QLabel(title)
        label.setObjectName("counterTitle")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.value)
        lay.addWidget(label)

    def set(self, text: str, tip: str = "") -> None:
        self.value.setText(text)
        self.setToolTip(tip)


def shares(seconds: dict[str, float]) -> dict[str, float]:
    """Fractions of the spoken time by airtime class (0 when nothing was spoken)."""
    total = sum(max(0.0, seconds.get(c, 0.0)) for c in AIR_CLASSES)
    return {c: (max(0.0, seconds.get(c, 0.0)) / total if total > 0 else 0.0) for c in AIR_CLASSES}


class ShareBar(QWidget):
    """One stacked bar of the four airtime classes; repaints lazily like the progress strip."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._shares = {c: 0.0 for c in AIR_CLASSES}
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_shares(self, values: dict[str, float]) -> None:
        if values != self._shares:
            self._shares = dict(values)
            self.update()

    def sizeHint(self) -> QSize:
        return QSize(200, 14)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        rect = QRectF(self.rect()).adjusted(0.5, 2.5, -0.5, -2.5)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#e5e7eb"))
        p.drawRect(rect)
        x = rect.left()
        for c in AIR_CLASSES:
            w = rect.width() * self._shares.get(c, 0.0)
            if w > 0:
                p.setBrush(QColor(AIR_COLORS[c]))
                p.drawRect(QRectF(x, rect.top(), w, rect.height()))
                x += w


class AirtimePanel(QGroupBox):
    """播出构成: the last minute and the whole run, as bars and as percentages."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("播出构成", parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 4, 8, 4)
        grid.setVerticalSpacing(2)
        self.bars: dict[str, ShareBar] = {}
        self.texts: dict[str, QLabel] = {}
        for row, (key, title) in enumerate((("last_minute", "近 1 分钟"), ("total", "全场"))):
            grid.addWidget(QLabel(title), row, 0)
            self.bars[key] = ShareBar()
            grid.addWidget(self.bars[key], row, 1)
            self.texts[key] = QLabel("—")
            self.texts[key].setObjectName("muted")
            grid.addWidget(self.texts[key], row, 2)
        legend = "  ".join(f"<span style='color:{AIR_COLORS[c]}'>■</span> {AIR_CLASS_ZH[c]}" for c in AIR_CLASSES)
        self.since_script = QLabel("")
        self.since_script.setObjectName("muted")
        foot = QHBoxLayout()
        foot.addWidget(QLabel(legend))
        foot.addStretch(1)
        foot.addWidget(self.since_script)
        grid.addLayout(foot, 2, 0, 1, 3)
        grid.setColumnStretch(1, 1)
        self.set_report(None)

    def set_report(self, report: events.AirtimeReport | None) -> None:
        for key in ("last_minute", "total"):
            seconds = getattr(report, key, {}) if report is not None else {}
            share = shares(seconds)
            self.bars[key].set_shares(share)
            if report is None or not any(seconds.values()):
                self.texts[key].setText("暂无播出")
            else:
                self.texts[key].setText(" · ".join(f"{AIR_CLASS_ZH[c]} {share[c] * 100:.0f}%" for c in AIR_CLASSES))
            self.texts[key].setToolTip("\n".join(f"{AIR_CLASS_ZH[c]}：{seconds.get(c, 0.0):.0f} 秒"
                                                 for c in AIR_CLASSES))
        if report is None:
            self.since_script.setText("")
        else:
            self.since_script.setText(f"距上次讲话术 {report.since_script_s:.0f} 秒")


class ProductPanel(QGroupBox):
    """当前讲解: the product on air, a product list, 切换 (takes effect at the next sentence
    end) and 固定 (stay on this product; click again to let rotation go on)."""

    def __init__(self, products: Callable[[], list[tuple[str, str]]], *,
                 on_air: Callable[[], events.ProductOnAir | None],
                 switch: Callable[[str], None], pin: Callable[[str | None], None], parent: QWidget | None = None):
        super().__init__("当前讲解", parent)
        self._products = products
        self._on_air = on_air  # the dashboard's one copy (DashboardState.on_air)
        self._switch, self._pin = switch, pin
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        self.on_air_label = QLabel("（尚未开始讲解）")
        self.on_air_label.setObjectName("onAir")
        self.on_air_label.setMinimumWidth(150)
        self.choice = QComboBox()
        self.choice.setMinimumContentsLength(8)
        self.choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.switch_button = QPushButton("切换到此商品")
        self.switch_button.setToolTip("当前这句话说完后切换到所选商品")
        self.pin_button = QPushButton("固定讲解")
        self.pin_button.setToolTip("只讲所选商品，不再轮换；再点一次取消固定")
        lay.addWidget(self.on_air_label, 1)
        lay.addWidget(self.choice)
        lay.addWidget(self.switch_button)
        lay.addWidget(self.pin_button)
        self.switch_button.clicked.connect(self._switch_clicked)
        self.pin_button.clicked.connect(self._pin_clicked)
        self.refresh_products()

    def refresh_products(self) -> None:
        current = self.choice.currentData()
        try:
            items = self._products()
        except Exception:  # a product being edited must not break the dashboard
            items = []
        if [(self.choice.itemData(i), self.choice.itemText(i)) for i in range(self.choice.count())] == \
                [(slug, name) for slug, name in items]:
            return
        self.choice.blockSignals(True)
        self.choice.clear()
        for slug, name in items:
            self.choice.addItem(name, slug)
        index = self.choice.findData(current)
        self.choice.setCurrentIndex(max(0, index))
        self.choice.blockSignals(False)
        enabled = bool(items)
        self.switch_button.setEnabled(enabled)
        self.pin_button.setEnabled(enabled)

    def show_on_air(self) -> None:
        ev = self._on_air()
        if ev is None or not ev.slug:
            self.on_air_label.setText("（尚未开始讲解）")
            self.pin_button.setText("固定讲解")
            return
        name = ev.name or ev.slug
        self.on_air_label.setText(f"<b>{name}</b>" + ("　<span style='color:#b45309'>已固定</span>" if ev.pinned else ""))
        self.pin_button.setText("取消固定" if ev.pinned else "固定讲解")

    def _switch_clicked(self) -> None:
        slug = self.choice.currentData()
        if slug:
            self._switch(slug)

    def _pin_clicked(self) -> None:
        on_air = self._on_air()
        if on_air is not None and on_air.pinned:
            self._pin(None)
        else:
            slug = self.choice.currentData()
            if slug:
                self._pin(slug)
