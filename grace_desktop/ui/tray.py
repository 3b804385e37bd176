"""System tray icon (when the platform has a tray): show/hide, auto-trading on/off, quit,
and desktop notifications for fired exits, guards, liquidations and errors."""

from __future__ import annotations

from grace_desktop.ui.qt import QAction, QMenu, QObject, QSystemTrayIcon, Signal, icon

# Alerts whose title mentions one of these words are worth a desktop notification even at
# info level: they mean the auto-trader acted on a position.
NOTIFY_WORDS = ("take profit", "take-profit", "stop loss", "stop-loss", "trailing", "guard", "liquidat", "entry")


def should_notify(level: str, title: str) -> bool:
    if level in ("error", "critical", "warning"):
        return True
    lowered = title.lower()
    return any(word in lowered for word in NOTIFY_WORDS)


class TrayController(QObject):
    show_hide_requested = Signal()
    auto_trading_toggled = Signal(bool)
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.icon: QSystemTrayIcon | None = None
        self.menu = QMenu()
        self.show_action = QAction("Show / hide window", self.menu)
        self.show_action.triggered.connect(self.show_hide_requested)
        self.auto_action = QAction("Auto-trading", self.menu)
        self.auto_action.setCheckable(True)
        self.auto_action.toggled.connect(self._on_auto_toggled)
        self.quit_action = QAction("Quit", self.menu)
        self.quit_action.triggered.connect(self.quit_requested)
        self.menu.addAction(self.show_action)
        self.menu.addAction(self.auto_action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.notifications: list[tuple[str, str]] = []  # what was shown, newest last (bounded)
        if self.available:
            self.icon = QSystemTrayIcon(icon("tray"), self)
            self.icon.setToolTip("Grace Desktop")
            self.icon.setContextMenu(self.menu)
            self.icon.activated.connect(self._on_activated)
            self.icon.show()

    def set_auto_trading(self, on: bool) -> None:
        """Reflect the state without re-emitting the toggle."""
        self.auto_action.blockSignals(True)
        self.auto_action.setChecked(on)
        self.auto_action.blockSignals(False)
        if self.icon is not None:
            self.icon.setIcon(icon("tray-auto" if on else "tray"))
            self.icon.setToolTip(f"Grace Desktop — auto-trading {'on' if on else 'off'}")

    def notify(self, level: str, title: str, text: str) -> bool:
        """Show a desktop notification when it matters; returns whether one was shown."""
        if not should_notify(level, title):
            return False
        self.notifications.append((title, text))
        del self.notifications[:-50]
        if self.icon is None:
            return False
        kind = {
            "critical": QSystemTrayIcon.MessageIcon.Critical,
            "error": QSystemTrayIcon.MessageIcon.Critical,
            "warning": QSystemTrayIcon.MessageIcon.Warning,
        }.get(level, QSystemTrayIcon.MessageIcon.Information)
        self.icon.showMessage(title, text, kind, 8000)
        return True

    def _on_auto_toggled(self, on: bool) -> None:
        self.auto_trading_toggled.emit(on)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.show_hide_requested.emit()

    def hide(self) -> None:
        if self.icon is not None:
            self.icon.hide()
