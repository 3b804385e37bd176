"""Screenshots of the tray menu and the "while you were away" summary, in a real X session with a tray host.

    Xvfb :98 -screen 0 1600x1000x24 &
    DISPLAY=:98 trayer --edge top --align right --widthtype pixel --width 120 --height 28 &
    DISPLAY=:98 QT_QPA_PLATFORM=xcb .venv/bin/python tests/ui/make_tray_screenshots.py docs/

(`make screenshots` does all three.) A first short run leaves its last-run time; the paper venue
then trades on the same file without the app (a fill, a manual close, funding, a liquidation,
and an intent never sent), so the second start has something to report.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import qasync  # noqa: E402

from grace_desktop.app import create_main_window  # noqa: E402
from grace_desktop.services.away_report import read_last_run  # noqa: E402
from grace_desktop.storage import open_storage  # noqa: E402
from grace_desktop.ui.qt import QAction, QApplication, QtCore, create_qapp  # noqa: E402
from grace_desktop.venues.feeds import SimulatedFeed  # noqa: E402
from tests.services.test_away_report import act_while_away  # noqa: E402


def save(pixmap: object, path: Path) -> None:
    pixmap.save(str(path))  # type: ignore[attr-defined]
    print(f"saved {path} ({pixmap.width()}x{pixmap.height()})")  # type: ignore[attr-defined]


async def run(out: Path) -> None:
    data = Path(tempfile.mkdtemp(prefix="grace-tray-shots-"))
    first = await create_main_window(data, "paper", feed=None, use_tray=False)
    first.close()
    await first.wait_closed()
    store = open_storage(data)
    try:
        last_run = read_last_run(store)
        assert last_run is not None
        await act_while_away(store, last_run)
    finally:
        store.close()
    await asyncio.sleep(0.5)

    window = create_main_window(data, "paper", feed=SimulatedFeed(seed=5, tick_rate_hz=10, speed=30))
    await window
    window.move(0, 40)
    window.resize(1300, 900)
    # Flatten all comes from the ticket helper's window action; stand in for it if this build lacks it.
    if window.findChild(QAction, "flattenAllAction") is None:
        stand_in = QAction("Flatten all", window)
        stand_in.setObjectName("flattenAllAction")
    trading = window.services.trading
    await asyncio.sleep(3)
    for action, market, size, lev in (("buy", "BTC-PERP", 0.02, 5), ("sell", "ETH-PERP", 0.4, 3)):
        result = await trading.execute_trade(action, size, market, "paper", leverage=lev)
        print(market, result.message)
    await window.controller.set_auto_trading(True)
    await asyncio.sleep(4)
    dialog = window.controller.away_report
    if dialog is not None:
        dialog.move(380, 260)
        dialog.raise_()
        await asyncio.sleep(1)
        save(dialog.grab(), out / "screenshot-away-report.png")
        screen = window.screen()
        save(screen.grabWindow(0, 0, 0, 1300, 940), out / "screenshot-away-report-window.png")
        dialog.close()
    tray = window.tray
    print("tray available:", tray.available, "icon:", tray.icon is not None)
    where = tray.icon.geometry() if tray.icon is not None else QtCore.QRect(1480, 0, 24, 24)
    tray.menu.popup(QtCore.QPoint(where.x() - 260, where.bottom() + 2))
    await asyncio.sleep(1.5)
    screen = QApplication.primaryScreen()
    full = screen.grabWindow(0)
    save(full.copy(900, 0, 700, 330), out / "screenshot-tray-menu.png")
    tray.menu.hide()
    window.close()
    await window.wait_closed()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs").resolve()
    out.mkdir(parents=True, exist_ok=True)
    app = create_qapp(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    started = time.monotonic()
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        runner.run(run(out))
    print(f"done in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
