"""Composition root: QApplication, one qasync loop, storage, services, the window — and an orderly exit.

`create_main_window` is the seam tests and scripts use; `main(args)` is what the CLI runs.
Order of shutdown (window close -> UI tasks cancelled -> bridge detached -> services
stopped -> storage closed -> loop closed) is what keeps "event loop is closed" noise and
orphaned tasks away.

Start-up checks, cheapest and least invasive first: a display (before Qt can abort), the
venue (before any file is created), the data dir, its instance lock and grace.db (before
the window). A failure prints one line on stderr, shows a dialog, and exits 2 when the
dialog is closed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grace_desktop.startup_imports import import_sqlite_utils_without_numpy

import_sqlite_utils_without_numpy()  # before storage: numpy loads with the chart, after the first paint

from grace_desktop.launch import seconds_since_launch  # noqa: E402
from grace_desktop.services.container import build_services  # noqa: E402
from grace_desktop.services.runner import (  # noqa: E402
    failure_line,
    install_error_hooks,
    preflight,
    report_startup_failure,
    setup_logging,
)
from grace_desktop.storage import AlertRecord, Storage, open_storage, resolve_data_dir  # noqa: E402
from grace_desktop.storage.paths import private_file  # noqa: E402
from grace_desktop.ui.event_loop import QEventLoop  # noqa: E402
from grace_desktop.ui.main_window import SETTINGS_FILE, MainWindow  # noqa: E402
from grace_desktop.ui.qt import QApplication, QSettings, QTimer, create_qapp  # first: pins qasync to PySide6
from grace_desktop.ui.startup_dialogs import show_startup_failure, wait_finished  # noqa: E402
from grace_desktop.ui.venue_config import window_venue_settings  # noqa: E402

log = logging.getLogger(__name__)

SMOKE_TIMEOUT = 20.0
STARTUP_FAILED = 2
# Qt platforms that draw without a display server.
NO_DISPLAY_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl", "vnc", "linuxfb", "eglfs",
                                  "vkkhrdisplay", "directfb", "webgl"})


def create_main_window(
    data_dir: str | Path | None = None,
    venue: str = "paper",
    *,
    mango_url: str | None = None,
    use_tray: bool = True,
    show: bool = True,
    store: Storage | None = None,
    cli_args: Any = None,
    **service_options: Any,
) -> MainWindow:
    """Show the main window at once and start storage + services for it on the running qasync loop.

    Returns the QMainWindow; `await` it (or `await window.ready()`) to wait until the services
    run — a start-up error (e.g. an unavailable venue) is raised there. Closing the window stops
    the services and closes the database; `await window.wait_closed()` waits for that.
    `service_options` go to `build_services` (e.g. feed=..., sweep_interval=...). `store`, if
    given, is an already opened Storage for `data_dir` that the window then owns and closes.
    Venue settings come from the database; `cli_args` (the parsed command line) override them.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "create_main_window needs a running qasync loop: call it from a coroutine run with "
            "asyncio.Runner(loop_factory=grace_desktop.ui.event_loop.QEventLoop)"
        ) from None
    create_qapp()
    folder = resolve_data_dir(data_dir)
    private_file(folder / SETTINGS_FILE)  # QSettings keeps the mode of a file it rewrites
    window = MainWindow(folder, use_tray=use_tray)
    if store is not None:  # registered now: a window closed before start-up ran still closes it
        window.add_cleanup(store.close)
    window.begin_startup(_start_services(window, folder, venue, mango_url, service_options, store, cli_args))
    if show:
        window.show()
    return window


async def _start_services(
    window: MainWindow, folder: Path, venue: str, mango_url: str | None, options: dict[str, Any],
    store: Storage | None = None, cli_args: Any = None,
) -> None:
    if store is None:
        store = open_storage(folder, mode="window")
        window.add_cleanup(store.close)
    if "venue_settings" not in options:
        qsettings = QSettings(str(folder / SETTINGS_FILE), QSettings.Format.IniFormat)
        options["venue_settings"] = await window_venue_settings(store, qsettings, cli_args)
    if mango_url is None and venue == "mango_v3":
        mango_url = options["venue_settings"].mango_url
    if venue == "spot" and "spot_options" not in options:
        from grace_desktop.services.spot_options import spot_options

        options["spot_options"] = await spot_options(options["venue_settings"])
    if "feed" not in options:
        options["feed"] = options["venue_settings"].feed
        options.setdefault("feed_url", options["venue_settings"].feed_url)
    services = await build_services(store, venue, mango_url=mango_url, **options)
    window.add_cleanup(services.stop)  # runs before store.close: cleanups go last-added first
    window.services = services  # type: ignore[attr-defined]
    # The controller drives the chart (pyqtgraph + numpy): imported once the window is on screen.
    await window.first_paint()
    from grace_desktop.ui.controller import TradingController

    window.controller = TradingController(window, services)  # type: ignore[attr-defined]


async def _run(app: QApplication, args: Any) -> int:
    smoke = bool(getattr(args, "gui_smoke", False))
    debug = bool(getattr(args, "debug", False))
    venue = getattr(args, "venue", "paper")
    notifier = _WindowNotifier()
    uninstall = install_error_hooks(asyncio.get_running_loop(), notifier)
    try:
        return await _run_window(args, notifier, smoke=smoke, debug=debug, venue=venue)
    finally:
        uninstall()


async def _run_window(args: Any, notifier: _WindowNotifier, *, smoke: bool, debug: bool,
                      venue: str) -> int:
    try:
        # Everything that can refuse to start, before the window: venue, data dir, lock, grace.db.
        prepared = await preflight(args)
        store = open_storage(getattr(args, "data_dir", None), mode="window")
    except Exception as exc:
        return await _startup_failed(exc, debug=debug, dialog=not smoke)
    try:
        window = create_main_window(store.path.parent, venue, mango_url=getattr(args, "mango_url", None),
                                    store=store, cli_args=args, **prepared)
    except BaseException as exc:
        store.close()
        if not isinstance(exc, Exception):
            raise
        return await _startup_failed(exc, debug=debug, dialog=not smoke)
    notifier.window = weakref.ref(window)
    try:
        await window.ready()
    except Exception as exc:
        window.close()
        await window.wait_closed()
        return await _startup_failed(exc, debug=debug, dialog=not smoke)
    _close_on_signals(window)
    if smoke:
        return await _smoke(window)
    await window.wait_closed()
    return 0


async def _smoke(window: MainWindow) -> int:
    """The window painted, the first prices on the chart, painted again with them, then an orderly exit."""
    deadline = time.monotonic() + SMOKE_TIMEOUT
    await window.first_paint(timeout=SMOKE_TIMEOUT)
    painted = window.painted
    first_paint = window.painted_since_launch
    trading = window.services.trading  # type: ignore[attr-defined]
    while painted and trading.mark(window.chart.market) is None and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    priced = painted and trading.mark(window.chart.market) is not None
    frame = window.grab() if priced else None  # renders every widget, the chart with its prices included
    elapsed = seconds_since_launch()
    window.close()
    await window.wait_closed()
    if not painted:
        print("gui-smoke: the window was never painted", file=sys.stderr)
        return 1
    if frame is None or frame.isNull():
        print(f"gui-smoke: no price for {window.chart.market} within {SMOKE_TIMEOUT:g}s", file=sys.stderr)
        return 1
    print(f"gui-smoke ok: first paint after {first_paint:.3f}s from launch, "
          f"{window.chart.market} priced and painted at {elapsed:.3f}s")
    return 0


async def _startup_failed(exc: BaseException, *, debug: bool, dialog: bool) -> int:
    """One line on stderr; in the window also a dialog, and exit 2 once the user closed it."""
    code = report_startup_failure(exc, debug=debug)
    if dialog:
        box = show_startup_failure(exc, failure_line(exc))
        await wait_finished(box)
        box.deleteLater()
    return code


class _WindowNotifier:
    """Shows an uncaught error in the window: an alert in the Alerts panel and the status bar."""

    def __init__(self) -> None:
        self.window: weakref.ref[MainWindow] | None = None

    def __call__(self, title: str, text: str) -> None:
        window = self.window() if self.window is not None else None
        if window is None or window.is_closed:
            return
        window.alerts.add_alert(AlertRecord(time.time(), "error", title, text))
        window.status.showMessage(f"{title}: {text}", 15_000)


def display_problem(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> str | None:
    """Why a window cannot open here (no X11/Wayland display), or None. Checked before Qt, which
    would otherwise abort the process with a message about xcb plugins."""
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None
    requested = [p.split(":")[0].strip().lower() for p in environ.get("QT_QPA_PLATFORM", "").split(";") if p.strip()]
    has_x, has_wayland = bool(environ.get("DISPLAY")), bool(environ.get("WAYLAND_DISPLAY"))
    if not requested:
        if has_x or has_wayland:
            return None
        missing = "DISPLAY is not set"
    else:
        for name in requested:
            wayland = name.startswith("wayland")
            if name in NO_DISPLAY_PLATFORMS or (name == "xcb" and has_x) or (wayland and has_wayland):
                return None
            if name != "xcb" and not wayland:
                return None  # a platform we do not know: let Qt judge
        wayland_only = all(n.startswith("wayland") for n in requested)
        missing = "WAYLAND_DISPLAY is not set" if wayland_only else "DISPLAY is not set"
    return f"no display found ({missing}); run with --headless to keep the monitor running without a window"


def _close_on_signals(window: MainWindow) -> None:
    """Ctrl+C / SIGTERM close the window the normal way (services stopped, database closed)."""

    def handler(_signum: int, _frame: object) -> None:
        QTimer.singleShot(0, window.close)

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, handler)
        except ValueError:  # not the main thread (embedded use)
            return
    # Python only runs signal handlers between bytecodes; a light timer gives it the chance
    # while Qt sits in its C++ event loop.
    window._signal_timer = QTimer(window)  # type: ignore[attr-defined]
    window._signal_timer.timeout.connect(lambda: None)  # type: ignore[attr-defined]
    window._signal_timer.start(250)  # type: ignore[attr-defined]


def main(args: Any) -> int:
    setup_logging(bool(getattr(args, "debug", False)))
    problem = display_problem()
    if problem is not None:
        print(f"grace-desktop: {problem}", file=sys.stderr)
        return STARTUP_FAILED
    app = create_qapp(sys.argv[:1])
    # We decide when to quit: after the async shutdown has finished, not when a window hides.
    app.setQuitOnLastWindowClosed(False)
    # Ours, not qasync's: its close() frees the loop's Qt timers on the GUI thread (see ui/event_loop.py).
    with asyncio.Runner(loop_factory=QEventLoop) as runner:
        return runner.run(_run(app, args))
