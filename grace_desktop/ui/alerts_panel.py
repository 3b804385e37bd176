"""The in-app alert stream: newest first, coloured by level. Always shown, tray or not."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from grace_desktop.ui.qt import (
    AMBER,
    BLUE,
    MUTED,
    RED,
    QColor,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    icon,
)

LEVELS = ("info", "warning", "error", "critical")
LEVEL_COLOURS = {"info": BLUE, "warning": AMBER, "error": RED, "critical": "#ff7b72"}
# Enough history to scroll back through a busy session without an unbounded list widget.
MAX_ITEMS = 1000


class AlertLike(Protocol):
    ts: float
    level: str
    title: str
    text: str
    account: str
    market: str


class AlertsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setObjectName("alertsList")
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(False)
        # Wrap to the visible width instead of scrolling sideways.
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.level_filter = QComboBox(self)
        self.level_filter.setObjectName("alertLevelFilter")
        self.level_filter.addItems(["all levels", "warning and above", "errors only"])
        self.level_filter.currentIndexChanged.connect(self._apply_filter)
        self.count_label = QLabel("", self)
        self.count_label.setStyleSheet(f"color: {MUTED};")
        clear = QPushButton("Clear", self)
        clear.setToolTip("Clear the list (the journal keeps every alert)")
        clear.clicked.connect(self.clear)
        bar = QHBoxLayout()
        bar.addWidget(self.level_filter)
        bar.addWidget(self.count_label, 1)
        bar.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.list)
        self._update_count()

    def add_alerts(self, alerts: Iterable[AlertLike]) -> None:
        """Add alerts given oldest first; each goes on top, so the newest ends up first."""
        for alert in alerts:
            self.list.insertItem(0, self._item(alert))
        while self.list.count() > MAX_ITEMS:
            self.list.takeItem(self.list.count() - 1)
        self._apply_filter()

    def add_alert(self, alert: AlertLike) -> None:
        self.add_alerts([alert])

    def load_recent(self, alerts_newest_first: list[AlertLike]) -> None:
        """Fill from storage (`store.alerts.recent`, newest first)."""
        self.list.clear()
        self.add_alerts(reversed(alerts_newest_first))

    def clear(self) -> None:
        self.list.clear()
        self._update_count()

    def titles(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole)[1] for i in range(self.list.count())]

    def _item(self, alert: AlertLike) -> QListWidgetItem:
        level = alert.level if alert.level in LEVELS else "info"
        when = datetime.fromtimestamp(alert.ts).strftime("%H:%M:%S")
        where = " · ".join(x for x in (alert.account, alert.market) if x)
        head = f"{when}  {alert.title}" + (f"  [{where}]" if where else "")
        item = QListWidgetItem(icon(level), f"{head}\n{alert.text}" if alert.text else head)
        item.setForeground(QColor(LEVEL_COLOURS[level]))
        item.setToolTip(f"{level.upper()} · {datetime.fromtimestamp(alert.ts):%Y-%m-%d %H:%M:%S}\n{alert.text}")
        item.setData(Qt.ItemDataRole.UserRole, (level, alert.title))
        return item

    def _apply_filter(self, *_: object) -> None:
        minimum = {0: 0, 1: 1, 2: 2}[self.level_filter.currentIndex()]
        for i in range(self.list.count()):
            item = self.list.item(i)
            level = item.data(Qt.ItemDataRole.UserRole)[0]
            item.setHidden(LEVELS.index(level) < minimum)
        self._update_count()

    def _update_count(self) -> None:
        n = self.list.count()
        self.count_label.setText(f"{n} alert{'s' if n != 1 else ''}" if n else "no alerts yet")
