"""The application's look: a CJK-capable font, a light, calm style sheet, and Qt's own Chinese
translation (the texts Qt draws itself: a text box's right-click menu, standard dialog buttons)."""

from __future__ import annotations

from PyQt6.QtCore import QLibraryInfo, QLocale, QTranslator
from PyQt6.QtGui import QFont, QFontDatabase
from PyQt6.QtWidgets import QApplication

from app.logs import get_logger

log = get_logger("ui")

CJK_FAMILIES = ("Microsoft YaHei UI", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC",
                "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "SimHei")

STYLE = """
QMainWindow, QWidget { font-size: 10pt; }
QGroupBox { font-weight: bold; border: 1px solid #d1d5db; border-radius: 6px; margin-top: 10px; padding-top: 6px; }
QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; }
QLabel#pageTitle { font-size: 13pt; font-weight: bold; padding-right: 12px; }
QLabel#sectionTitle { font-weight: bold; }
QLabel#muted { color: #6b7280; }
QLabel#nowText { font-size: 13pt; }
QLabel#guide { background: #eff6ff; color: #1e3a8a; border: 1px solid #bfdbfe; border-radius: 4px; padding: 6px; }
QLabel#errorBanner { background: #fef2f2; color: #991b1b; border: 1px solid #fecaca; border-radius: 4px; padding: 6px; }
QFrame#counter { background: #f9fafb; border: 1px solid #e5e7eb; border-radius: 6px; }
QLabel#counterValue { font-size: 16pt; font-weight: bold; color: #111827; }
QLabel#counterTitle { color: #6b7280; }
QPushButton { padding: 4px 12px; }
QPushButton#primary { background: #2563eb; color: white; border: 1px solid #1d4ed8; border-radius: 4px; }
QPushButton#primary:disabled { background: #93c5fd; }
QToolBar { spacing: 6px; padding: 4px; }
QToolBar QToolButton { padding: 4px 10px; }
QTabBar::tab { padding: 6px 16px; }
"""


def apply_style(app: QApplication) -> None:
    families = set(QFontDatabase.families())
    family = next((f for f in CJK_FAMILIES if f in families), None)
    font = QFont(family) if family else QFont(app.font())
    font.setPointSize(10)
    app.setFont(font)
    app.setStyleSheet(STYLE)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if install_translations(app):
        log.info("Qt 自带文字使用中文翻译（%s）", folder)
    else:  # e.g. a build that left the .qm files out: the operator sees English menus, say why
        log.warning("找不到 Qt 的中文翻译 qtbase_zh_CN.qm（%s），右键菜单等 Qt 自带文字将显示英文", folder)


def install_translations(app: QApplication) -> bool:
    """Load Qt's zh_CN translation (shipped with the Qt wheel). False when it is not there: Qt's
    few own texts stay English, everything of ours is Chinese anyway."""
    if getattr(app, "_zh_translator", None) is not None:
        return True
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.load(QLocale(QLocale.Language.Chinese, QLocale.Country.China), "qtbase", "_", folder):
        return False
    app.installTranslator(translator)
    app._zh_translator = translator  # kept alive with the app
    return True
