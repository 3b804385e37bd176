"""Composition root: QApplication, one qasync loop, storage, services, the window — and an orderly exit.

`create_main_window` is the seam tests and scripts use; `main(args)` is what the CLI runs.
Order of shutdown (window close -> UI tasks cancelled -> bridge detached -> services
stopped -> storage closed -> loop closed) is what keeps "event loop is closed" noise and
orphaned tasks away.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Any

from grace_desktop.ui.qt import QApplication, QSettings, QTimer, create_qapp  # first: pins qasync to PySide6

import qasync  # noqa: E402

from grace_desktop.services.container import VenueUnavailableError, build_services  # noqa: E402
from grace_desktop.storage import open_storage, resolve_data_dir  # noqa: E402
from grace_desktop.ui.controller import TradingController  # noqa: E402
from grace_desktop.ui.main_window import SETTINGS_FILE, MainWindow  # noqa: E402
from grace_desktop.ui.venue_config import VenueConfig  # noqa: E402

log = logging.getLogger(__name__)

SMOKE_TIMEOUT = 20.0


def create_main_window(
    data_dir: str | Path | None = None,
    venue: str = "paper",
    *,
    mango_url: str | None = None,
    use_tray: bool = True,
    show: bool = True,
    **service_options: Any,
) -> MainWindow:
    """Show the main window at once and start storage + services for it on the running qasync loop.

    Returns the QMainWindow; `await` it (or `await window.ready()`) to wait until the services
    run — a start-up error (e.g. an unavailable venue) is raised there. Closing the window stops
    the services and closes the database; `await window.wait_closed()` waits for that.
    `service_options` go to `build_services` (e.g. feed=..., sweep_interval=...).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "create_main_window needs a running qasync loop: call it from a coroutine run with "
            "asyncio.Runner(loop_factory=qasync.QEventLoop) or qasync.run(...)"
        ) from None
    create_qapp()
    folder = resolve_data_dir(data_dir)
    if mango_url is None and venue == "mango_v3":
        stored = VenueConfig.load(QSettings(str(folder / SETTINGS_FILE), QSettings.Format.IniFormat))
        mango_url = stored.mango_url or None
    window = MainWindow(folder, use_tray=use_tray)
    window.begin_startup(_start_services(window, folder, venue, mango_url, service_options))
    if show:
        window.show()
    return window


async def _start_services(
    window: MainWindow, folder: Path, venue: str, mango_url: str | None, options: dict[str, Any]
) -> None:
    store = open_storage(folder)
    window.add_cleanup(store.close)
    services = await build_services(store, venue, mango_url=mango_url, **options)
    window.add_cleanup(services.stop)  # runs before store.close: cleanups go last-added first
    window.services = services  # type: ignore[attr-defined]
    window.controller = TradingController(window, services)  # type: ignore[attr-defined]


async def _run(app: QApplication, args: Any) -> int:
    started = time.perf_counter()
    window = create_main_window(
        getattr(args, "data_dir", None), getattr(args, "venue", "paper"),
        mango_url=getattr(args, "mango_url", None),
    )
    try:
        await window.ready()
    except VenueUnavailableError as exc:
        print(f"grace-desktop: {exc}", file=sys.stderr)
        window.close()
        await window.wait_closed()
        return 2
    _close_on_signals(window)
    if getattr(args, "gui_smoke", False):
        deadline = time.monotonic() + SMOKE_TIMEOUT
        while not window.painted and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        painted = window.painted
        elapsed = time.perf_counter() - started
        window.close()
        await window.wait_closed()
        if not painted:
            print("gui-smoke: the window was never painted", file=sys.stderr)
            return 1
        print(f"gui-smoke ok: first paint after {elapsed:.3f}s")
        return 0
    await window.wait_closed()
    return 0


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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_qapp(sys.argv[:1])
    # We decide when to quit: after the async shutdown has finished, not when a window hides.
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        return runner.run(_run(app, args))
