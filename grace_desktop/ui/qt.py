"""The one place the UI imports the Qt binding from, plus the theme and icon helpers.

Importing PySide6 here before anything imports qasync pins qasync to PySide6 (it otherwise
picks the first binding it can import; see QT_NOTES §2.1).
"""

from __future__ import annotations

import os
from functools import cache

from grace_desktop.paths import asset, resources_dir

os.environ.setdefault("QT_API", "pyside6")

from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402
from PySide6.QtCore import (  # noqa: E402,F401
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QShortcut  # noqa: E402,F401
from PySide6.QtWidgets import (  # noqa: E402,F401
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QStackedWidget,
    QStatusBar,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QSystemTrayIcon,
    QTabBar,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["QtCore", "QtGui", "QtWidgets", "RESOURCES", "icon", "stylesheet", "create_qapp"]

# Found next to the code (checkout or bundle), never via the CWD.
RESOURCES = resources_dir()

# Colours shared by the stylesheet and the code that paints (PnL, levels, chart lines).
GREEN = "#3fb950"
RED = "#f85149"
AMBER = "#d29922"
BLUE = "#58a6ff"
MUTED = "#8b949e"
TEXT = "#e6edf3"
PANEL = "#161b22"
BACKGROUND = "#0d1117"


@cache
def icon(name: str) -> QIcon:
    """Icon `name` from resources/icons (svg preferred); an empty icon, with a warning, if it is missing."""
    svg, png = RESOURCES / "icons" / f"{name}.svg", RESOURCES / "icons" / f"{name}.png"
    path = svg if svg.is_file() else png if png.is_file() else asset(f"icons/{name}.svg")  # asset() warns
    return QIcon(str(path)) if path is not None else QIcon()


def stylesheet(name: str = "dark") -> str:
    """The theme; an empty one (Qt's Fusion look), with a warning, if the file is missing."""
    path = asset(f"style/{name}.qss")
    return path.read_text(encoding="utf-8") if path is not None else ""


def create_qapp(argv: list[str] | None = None) -> QApplication:
    """The application object, themed. Reuses an existing instance (tests, pytest-qt)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else ["grace-desktop"])
    assert isinstance(app, QApplication)
    if app.property("graceThemed"):
        # Theming again re-polishes every widget alive (a long test session keeps thousands):
        # a second window in the same process reuses the theme the first one set.
        return app
    app.setApplicationName("Grace Desktop")
    app.setOrganizationName("grace-desktop")
    app.setStyle("Fusion")
    palette = app.palette()
    palette.setColor(QtGui.QPalette.ColorRole.Highlight, QColor("#1f3a5f"))
    palette.setColor(QtGui.QPalette.ColorRole.HighlightedText, QColor(TEXT))
    app.setPalette(palette)
    # Lets the stylesheet name images as url(icons:name.svg) wherever the app is installed.
    QtCore.QDir.setSearchPaths("icons", [str(RESOURCES / "icons")])
    app.setStyleSheet(stylesheet())
    app.setWindowIcon(icon("app"))
    app.setProperty("graceThemed", True)
    return app
