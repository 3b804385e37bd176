"""Main window: chart in the middle, dockable panels around it, layout saved per data dir."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grace_desktop.launch import seconds_since_launch
from grace_desktop.storage import AlertRecord
from grace_desktop.ui.alerts_panel import AlertsPanel
from grace_desktop.ui.journal_panel import JournalPanel
from grace_desktop.ui.order_ticket import OrderTicket
from grace_desktop.ui.orders_panel import OrdersPanel
from grace_desktop.ui.positions_panel import PositionsPanel
from grace_desktop.ui.qt import (
    QAction,
    QApplication,
    QDockWidget,
    QKeySequence,
    QMainWindow,
    QScrollArea,
    QSettings,
    QShortcut,
    Qt,
    QtCore,
    QtGui,
    QWidget,
    Signal,
    icon,
)
from grace_desktop.ui.settings_panel import SettingsPanel
from grace_desktop.ui.status_bar import TradingStatusBar
from grace_desktop.ui.tasks import TaskKeeper
from grace_desktop.ui.tray import TrayController
from grace_desktop.ui.vertical_scroll import VerticalScroll

if TYPE_CHECKING:  # the chart (pyqtgraph + numpy) is imported after the first paint: see `chart`
    from grace_desktop.ui.chart_panel import ChartPanel

log = logging.getLogger(__name__)

SETTINGS_FILE = "grace-desktop-ui.ini"
# Bump when the dock set changes so an old saved state is not applied to a different layout.
LAYOUT_VERSION = 2
BOTTOM_DOCK_HEIGHT = 300  # positions / journal / settings, below the chart

SHORTCUTS = {
    "buy": "Ctrl+B",
    "sell": "Ctrl+S",
    "close_selected": "Ctrl+Shift+X",
    "focus_ticket": "Ctrl+T",
    "submit": "Ctrl+Return",
}
FLATTEN_ALL_SHORTCUT = "Ctrl+Shift+F"
# Height the bottom dock area takes for each of its tabs: the journal shows a dozen rows and the
# settings their whole form (QA 19, 20); positions and orders leave the chart its room.
BOTTOM_HEIGHTS = {"positions": 300, "orders": 300, "journal": 430, "settings": 470}

# How long quitting waits for in-flight orders and closes before cancelling them.
SHUTDOWN_GRACE = 5.0

Cleanup = Callable[[], Awaitable[None] | None]


class MainWindow(QMainWindow):
    shut_down = Signal()

    def __init__(self, data_dir: Path, *, use_tray: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("Grace Desktop")
        self.setWindowIcon(icon("app"))
        self.data_dir = Path(data_dir)
        self.qsettings = QSettings(str(self.data_dir / SETTINGS_FILE), QSettings.Format.IniFormat)
        self.tasks = TaskKeeper(on_error=self._on_task_error)
        self._cleanups: list[Cleanup] = []
        self._startup: asyncio.Task[Any] | None = None
        self._closing = False
        self._closed = asyncio.Event()
        self.painted = False
        self.painted_since_launch = 0.0  # seconds from process launch to the first paint
        self._first_paint = asyncio.Event()
        self._after_first_paint: list[Callable[[], Any]] = [lambda: self.chart]

        # A placeholder until the chart is built right after the first paint (or when first used).
        self._chart: ChartPanel | None = None
        self._layout_restored = False
        placeholder = QWidget(self)
        placeholder.setObjectName("chartPlaceholder")
        self.setCentralWidget(placeholder)
        self.ticket = OrderTicket(parent=self)
        self.positions = PositionsPanel(parent=self)
        self.orders_panel = OrdersPanel(self)
        self.journal = JournalPanel(self.tasks, self)
        self.alerts = AlertsPanel(self)
        self.settings_panel = SettingsPanel(self.tasks, self)
        self.status = TradingStatusBar(self)
        self.setStatusBar(self.status)

        self.docks: dict[str, QDockWidget] = {}
        self._dock("ticket", "Order ticket", VerticalScroll(self.ticket), Qt.DockWidgetArea.RightDockWidgetArea, "ticket")
        self._dock("alerts", "Alerts", self.alerts, Qt.DockWidgetArea.RightDockWidgetArea, "bell")
        self._dock("positions", "Positions", self.positions, Qt.DockWidgetArea.BottomDockWidgetArea, "positions")
        self._dock("orders", "Orders", self.orders_panel, Qt.DockWidgetArea.BottomDockWidgetArea, "journal")
        self._dock("journal", "Journal", self.journal, Qt.DockWidgetArea.BottomDockWidgetArea, "journal")
        self._dock("settings", "Settings", self.settings_panel, Qt.DockWidgetArea.BottomDockWidgetArea, "settings")
        self.tabifyDockWidget(self.docks["positions"], self.docks["orders"])
        self.tabifyDockWidget(self.docks["orders"], self.docks["journal"])
        self.tabifyDockWidget(self.docks["journal"], self.docks["settings"])
        self.docks["positions"].raise_()
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self._fit_to_screen(1500, 920)
        self._fit_ticket()
        self.resizeDocks([self.docks["ticket"]], [390], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["positions"]], [BOTTOM_DOCK_HEIGHT], Qt.Orientation.Vertical)
        self._default_state = self.saveState(LAYOUT_VERSION)

        self.tray = TrayController(self) if use_tray else None
        self._build_menus()
        self._build_shortcuts()
        self.restore_layout()
        for key, height in BOTTOM_HEIGHTS.items():
            self.docks[key].visibilityChanged.connect(lambda shown, k=key, h=height: shown and self._fit_bottom(k, h))
        self.ticket.exits.toggled.connect(self._on_exits_toggled)

    # --- construction -------------------------------------------------------------------
    @property
    def chart(self) -> ChartPanel:
        """The chart panel, built on first use: importing pyqtgraph and numpy costs about 0.3 s, which
        the first paint does not wait for."""
        if self._chart is None:
            from grace_desktop.ui.chart_panel import ChartPanel

            self._chart = ChartPanel(parent=self)
            self.setCentralWidget(self._chart)
            if not self._layout_restored:  # sized against the placeholder, the bottom docks took its height
                # (once the new central widget is laid out: resizing in the same pass has no effect)
                QtCore.QTimer.singleShot(0, self, lambda: self.resizeDocks(
                    [self.docks["positions"]], [BOTTOM_DOCK_HEIGHT], Qt.Orientation.Vertical))
        return self._chart

    def after_first_paint(self, build: Callable[[], Any]) -> None:
        """Run `build` once the window has been painted (at once if it already was): the hook for
        whatever the first paint does not need."""
        if self.painted:
            build()
        else:
            self._after_first_paint.append(build)

    async def first_paint(self, timeout: float = 2.0) -> None:
        """Wait for the first paint of a shown window (a hidden one returns at once), at most `timeout`."""
        if self.painted or not self.isVisible():
            return
        try:
            async with asyncio.timeout(timeout):  # not wait_for: on 3.11 it can drop the caller's cancellation
                await self._first_paint.wait()
        except TimeoutError:
            log.debug("no paint within %.1f s; building the rest of the window anyway", timeout)

    def _run_after_first_paint(self) -> None:
        builds, self._after_first_paint = self._after_first_paint, []
        for build in builds:
            try:
                build()
            except Exception as exc:
                log.exception("building after the first paint failed")
                self._on_task_error("window", exc)

    def _fit_to_screen(self, width: int, height: int) -> None:
        """Default size, shrunk to the screen's free area so nothing starts off-screen on a small display."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is not None:
            free = screen.availableGeometry()
            width, height = min(width, free.width()), min(height, free.height())
            self.move(free.topLeft())
        self.resize(width, height)

    def _fit_ticket(self) -> None:
        """Give the ticket its whole height (down to the submit button); alerts take what is left."""
        ticket_height = self.ticket.sizeHint().height() + 40
        self.resizeDocks([self.docks["ticket"], self.docks["alerts"]],
                         [ticket_height, max(120, self.height() - ticket_height - 80)], Qt.Orientation.Vertical)

    def _fit_bottom(self, key: str, height: int) -> None:
        dock = self.docks[key]
        if dock.isFloating() or self.dockWidgetArea(dock) != Qt.DockWidgetArea.BottomDockWidgetArea:
            return
        self.resizeDocks([dock], [min(height, int(self.height() * 0.6))], Qt.Orientation.Vertical)

    def _on_exits_toggled(self, _open: bool) -> None:
        # Opening the exits group used to push the submit button below the fold of the
        # ticket's scroll area; grow the dock (as far as the alerts allow), then scroll to it.
        self._fit_ticket()
        scroll = self.docks["ticket"].widget()
        if isinstance(scroll, QScrollArea):
            QtCore.QTimer.singleShot(0, lambda: scroll.ensureWidgetVisible(self.ticket.submit_button, 0, 30))

    def _dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea, icon_name: str) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{key}Dock")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        dock.toggleViewAction().setIcon(icon(icon_name))
        self.addDockWidget(area, dock)
        self.docks[key] = dock

    def _build_menus(self) -> None:
        bar = self.menuBar()
        app_menu = bar.addMenu("&Grace")
        self.auto_action = QAction("Auto-trading", self)
        self.auto_action.setCheckable(True)
        app_menu.addAction(self.auto_action)
        # Triggered from the menu, its shortcut, or the tray (which finds it by object name).
        self.flatten_action = QAction(icon("close"), "Flatten all…", self)
        self.flatten_action.setObjectName("flattenAllAction")
        self.flatten_action.setShortcut(QKeySequence(FLATTEN_ALL_SHORTCUT))
        self.flatten_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.flatten_action.setToolTip("Cancel every resting order and condition, close every position at market")
        self.addAction(self.flatten_action)  # its shortcut works with the menu bar hidden too
        app_menu.addAction(self.flatten_action)
        app_menu.addSeparator()
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        app_menu.addAction(quit_action)
        view = bar.addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        reset = QAction("Reset layout", self)
        reset.triggered.connect(self.reset_layout)
        view.addAction(reset)
        if self.tray is not None:
            self.tray.show_hide_requested.connect(self.toggle_visible)
            self.tray.quit_requested.connect(self.close)

    def _build_shortcuts(self) -> None:
        actions: dict[str, Callable[[], Any]] = {
            "buy": lambda: self._side_shortcut("buy"),
            "sell": lambda: self._side_shortcut("sell"),
            "close_selected": lambda: self.positions.close_selected(1.0),
            "focus_ticket": self.focus_ticket,
            "submit": self.ticket.submit,
        }
        self.shortcuts: dict[str, QShortcut] = {}
        for name, keys in SHORTCUTS.items():
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(actions[name])
            self.shortcuts[name] = shortcut

    def _side_shortcut(self, side: str) -> None:
        self.ticket.set_side(side)
        self.focus_ticket()

    def focus_ticket(self) -> None:
        dock = self.docks["ticket"]
        dock.show()
        dock.raise_()
        self.ticket.size_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.ticket.size_edit.selectAll()

    # --- layout -------------------------------------------------------------------------
    def restore_layout(self) -> None:
        geometry = self.qsettings.value("window/geometry")
        state = self.qsettings.value("window/state")
        if isinstance(geometry, QtCore.QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QtCore.QByteArray):
            self._layout_restored = self.restoreState(state, LAYOUT_VERSION)
            if not self._layout_restored:
                log.info("saved window layout is from another version; using the default")

    def save_layout(self) -> None:
        self.qsettings.setValue("window/geometry", self.saveGeometry())
        self.qsettings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.qsettings.sync()

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, LAYOUT_VERSION)
        for dock in self.docks.values():
            dock.show()

    def toggle_visible(self) -> None:
        if self.isVisible() and not self.isMinimized():
            self.hide()
        else:
            self.showNormal()
            self.raise_()
            self.activateWindow()

    # --- lifetime -----------------------------------------------------------------------
    def begin_startup(self, startup: Coroutine[Any, Any, None]) -> None:
        """Run the services' start-up as a task the window owns (closing the window cancels it)."""
        self._startup = asyncio.get_running_loop().create_task(startup, name="start-up")
        self._startup.add_done_callback(self._startup_done)

    def _startup_done(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            return
        exc = task.exception()  # retrieved here, so an un-awaited failure is reported once, readably
        if exc is not None:
            log.error("start-up failed: %s", exc)
            self._on_task_error("start-up", exc)

    async def ready(self) -> MainWindow:
        """Wait until start-up has finished; re-raises its error."""
        if self._startup is not None:
            await asyncio.shield(self._startup)
        return self

    def __await__(self) -> Generator[Any, None, MainWindow]:
        return self.ready().__await__()

    def add_cleanup(self, cleanup: Cleanup) -> None:
        """Run at shutdown, last added first (services before the storage they write to)."""
        self._cleanups.append(cleanup)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.painted:
            self.painted = True
            self.painted_since_launch = seconds_since_launch()
            self._first_paint.set()
            QtCore.QTimer.singleShot(0, self._run_after_first_paint)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        # Shutdown is async (stop services, close storage); the window goes away when it is done.
        if self._closed.is_set():
            event.accept()
            return
        event.ignore()
        self.request_shutdown()

    def request_shutdown(self) -> None:
        if self._closing:
            return
        self._closing = True
        self.save_layout()
        self.hide()
        self._shutdown_task = asyncio.get_running_loop().create_task(self._shutdown(), name="window shutdown")

    async def _shutdown(self) -> None:
        try:
            if self._startup is not None and not self._startup.done():
                self._startup.cancel()
                await asyncio.gather(self._startup, return_exceptions=True)
            await self.tasks.close(grace=SHUTDOWN_GRACE)
            for cleanup in reversed(self._cleanups):
                try:
                    result = cleanup()
                    if asyncio.iscoroutine(result):
                        await result
                except Exception:
                    log.exception("cleanup %r failed", cleanup)
            if self.tray is not None:
                self.tray.hide()
        finally:
            self._closed.set()
            self.shut_down.emit()
            self.close()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    @property
    def is_closed(self) -> bool:
        return self._closed.is_set()

    def _on_task_error(self, name: str, exc: BaseException) -> None:
        self.alerts.add_alert(AlertRecord(time.time(), "error", f"{name} failed", str(exc) or type(exc).__name__))
