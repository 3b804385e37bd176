"""System tray (when the platform has one): open positions with their PnL, auto-trading on/off,
Flatten all, show/hide and quit; desktop notifications for the alerts that need the user now
(a stop or guard fired, a close failing, prices stale, liquidation near) and one for the
"while you were away" summary.

Notifications go through a `Notifier` (the tray icon's balloon by default), so tests record
them with a notifier of their own instead of reading a platform's notification daemon.
The menu is rebuilt each time it opens: positions and their PnL are always current, and
Flatten all appears only when the window has that action (`flattenAllAction`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from grace_desktop.ui.qt import QAction, QMenu, QObject, QSystemTrayIcon, Signal, icon

# Alerts whose title mentions one of these words are worth a desktop notification even at
# info level: they mean the auto-trader acted on a position.
NOTIFY_WORDS = ("take profit", "take-profit", "stop loss", "stop-loss", "trailing", "guard", "liquidat", "entry")
FLATTEN_ACTION = "flattenAllAction"
MAX_POSITIONS_SHOWN = 12


def should_notify(level: str, title: str) -> bool:
    if level in ("error", "critical", "warning"):
        return True
    lowered = title.lower()
    return any(word in lowered for word in NOTIFY_WORDS)


class Notifier(Protocol):
    """Where desktop notifications go: `level` is an alert level (info, warning, error, critical)."""

    def show_message(self, title: str, text: str, level: str) -> None: ...


class TrayIconNotifier:
    """The tray icon's own balloon / notification-daemon message."""

    KINDS = {"critical": QSystemTrayIcon.MessageIcon.Critical, "error": QSystemTrayIcon.MessageIcon.Critical,
             "warning": QSystemTrayIcon.MessageIcon.Warning}

    def __init__(self, tray_icon: QSystemTrayIcon, timeout_ms: int = 8000) -> None:
        self.icon = tray_icon
        self.timeout_ms = timeout_ms

    def show_message(self, title: str, text: str, level: str) -> None:
        kind = self.KINDS.get(level, QSystemTrayIcon.MessageIcon.Information)
        self.icon.showMessage(title, text, kind, self.timeout_ms)


@dataclass(frozen=True, slots=True)
class TrayPosition:
    """One open position as the tray lists it."""

    account: str
    market: str
    side: str
    size: str  # formatted for the market's lot
    pnl: float
    pnl_pct: float

    def label(self) -> str:
        return f"{self.market} {self.side} {self.size}   PnL {self.pnl:+,.2f} ({self.pnl_pct:+.1f} %)"


class TrayController(QObject):
    show_hide_requested = Signal()
    auto_trading_toggled = Signal(bool)
    quit_requested = Signal()
    position_selected = Signal(str, str)  # account, market

    def __init__(self, parent: QObject | None = None, *, notifier: Notifier | None = None,
                 force_icon: bool = False) -> None:
        super().__init__(parent)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.icon: QSystemTrayIcon | None = None
        self.menu = QMenu()
        self.menu.setObjectName("trayMenu")
        # Owned by the controller, not the menu: rebuilding the menu (clear) deletes what the menu owns.
        self.show_action = QAction("Show / hide window", self)
        self.show_action.triggered.connect(self.show_hide_requested)
        self.auto_action = QAction("Auto-trading", self)
        self.auto_action.setCheckable(True)
        self.auto_action.toggled.connect(self._on_auto_toggled)
        self.quit_action = QAction("Quit", self)
        self.quit_action.triggered.connect(self.quit_requested)
        self.flatten_action: QAction | None = None  # the window's, found when the menu is built
        self.position_actions: list[QAction] = []
        self._positions: list[TrayPosition] = []
        self.notifications: list[tuple[str, str]] = []  # what was shown, newest last (bounded)
        if self.available or force_icon:
            self.icon = QSystemTrayIcon(icon("tray"), self)
            self.icon.setToolTip("Grace Desktop")
            self.icon.setContextMenu(self.menu)
            self.icon.activated.connect(self._on_activated)
            self.icon.show()
        self.notifier: Notifier | None = notifier or (TrayIconNotifier(self.icon) if self.icon is not None else None)
        self.menu.aboutToShow.connect(self.rebuild_menu)
        self.rebuild_menu()

    # --- the menu -----------------------------------------------------------------------
    def set_positions(self, positions: Iterable[TrayPosition]) -> None:
        """The open positions to list (the menu shows them next time it opens, or at once if open)."""
        self._positions = sorted(positions, key=lambda p: (p.account, p.market))
        if self.menu.isVisible():
            self._update_position_labels()

    def rebuild_menu(self) -> None:
        menu = self.menu
        menu.clear()
        self.position_actions = []
        header = QAction(f"Open positions ({len(self._positions)})" if self._positions else "No open positions", menu)
        header.setEnabled(False)
        menu.addAction(header)
        for position in self._positions[:MAX_POSITIONS_SHOWN]:
            action = QAction(position.label(), menu)
            action.setIcon(icon("arrow-up" if position.pnl >= 0 else "arrow-down"))
            action.triggered.connect(lambda _=False, p=position: self.position_selected.emit(p.account, p.market))
            menu.addAction(action)
            self.position_actions.append(action)
        if len(self._positions) > MAX_POSITIONS_SHOWN:
            more = QAction(f"… {len(self._positions) - MAX_POSITIONS_SHOWN} more in the window", menu)
            more.setEnabled(False)
            menu.addAction(more)
        menu.addSeparator()
        menu.addAction(self.auto_action)
        self.flatten_action = self._find_flatten()
        if self.flatten_action is not None:
            menu.addAction(self.flatten_action)  # the window's own action: same handler, same enabled state
        menu.addSeparator()
        menu.addAction(self.show_action)
        menu.addAction(self.quit_action)

    def _find_flatten(self) -> QAction | None:
        owner = self.parent()
        if owner is None:
            return None
        found = owner.findChild(QAction, FLATTEN_ACTION)
        return found if isinstance(found, QAction) else None

    def _update_position_labels(self) -> None:
        if len(self.position_actions) != min(len(self._positions), MAX_POSITIONS_SHOWN):
            self.rebuild_menu()
            return
        for action, position in zip(self.position_actions, self._positions, strict=False):
            action.setText(position.label())

    def menu_texts(self) -> list[str]:
        """The menu's entries as shown (separators as '---'): what tests and the screenshot check."""
        return ["---" if a.isSeparator() else a.text() for a in self.menu.actions() if a.isVisible()]

    def set_auto_trading(self, on: bool) -> None:
        """Reflect the state without re-emitting the toggle."""
        self.auto_action.blockSignals(True)
        self.auto_action.setChecked(on)
        self.auto_action.blockSignals(False)
        if self.icon is not None:
            self.icon.setIcon(icon("tray-auto" if on else "tray"))
            self.icon.setToolTip(f"Grace Desktop — auto-trading {'on' if on else 'off'}")

    # --- notifications ------------------------------------------------------------------
    def notify(self, level: str, title: str, text: str) -> bool:
        """Show a desktop notification when it matters; returns whether one was shown."""
        if not should_notify(level, title):
            return False
        return self._show(title, text, level)

    def notify_away(self, title: str, text: str, level: str = "info") -> bool:
        """The "while you were away" summary: always one notification, whatever its level."""
        return self._show(title, text, level)

    def _show(self, title: str, text: str, level: str) -> bool:
        self.notifications.append((title, text))
        del self.notifications[:-50]
        if self.notifier is None:
            return False
        self.notifier.show_message(title, text, level)
        return True

    def _on_auto_toggled(self, on: bool) -> None:
        self.auto_trading_toggled.emit(on)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.show_hide_requested.emit()

    def hide(self) -> None:
        if self.icon is not None:
            self.icon.hide()
