"""The tray (positions with PnL, auto-trading, Flatten all, critical notifications) through its notifier
interface, and the "while you were away" summary shown once, in the real window on real storage."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from grace_desktop.app import create_main_window
from grace_desktop.services.away_report import TITLE
from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.storage import open_storage
from grace_desktop.ui.away_report import AwayReportDialog
from grace_desktop.ui.qt import QAction, QtWidgets
from grace_desktop.ui.tray import TrayController, TrayPosition
from tests.services.test_away_report import act_while_away, back_date_last_run
from tests.ui.conftest import wait_until

BTC = "BTC-PERP"


class RecordingNotifier:
    """A Notifier that keeps what it was asked to show."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str, str]] = []

    def show_message(self, title: str, text: str, level: str) -> None:
        self.shown.append((title, text, level))


async def close(win) -> None:
    if not win.is_closed:
        win.close()
        async with asyncio.timeout(10):
            await win.wait_closed()


@pytest.fixture
async def window(tmp_path):
    win = create_main_window(tmp_path, "paper", feed=None, sweep_interval=0.5)
    notifier = RecordingNotifier()
    win.tray.notifier = notifier  # before start-up runs: the away summary would go through it too
    await win
    for market, price in {BTC: 60_000.0, "ETH-PERP": 3_000.0}.items():
        await win.services.paper.push_tick(market, price)
    await wait_until(lambda: win.services.trading.mark(BTC) == 60_000.0, what="first BTC mark")
    win.notifier = notifier
    yield win
    await close(win)


async def test_tray_lists_positions_with_pnl_and_flattens_through_the_window_action(window) -> None:
    tray = window.tray
    assert tray.menu_texts()[0] == "No open positions"
    result = await window.services.trading.execute_trade("buy", 0.01, BTC, window.services.account, leverage=5)
    assert result.success, result.reasons
    await window.services.paper.push_tick(BTC, 61_000.0)
    await wait_until(lambda: tray._positions and tray._positions[0].pnl > 0, what="tray PnL")
    flatten = window.findChild(QAction, "flattenAllAction")  # the window's own action, not a copy
    fired: list[bool] = []
    flatten.triggered.connect(lambda: fired.append(True))
    tray.rebuild_menu()  # what opening the menu does (aboutToShow)
    texts = tray.menu_texts()
    assert texts[0] == "Open positions (1)"
    assert texts[1].startswith("BTC-PERP long 0.01   PnL +")
    pnl = tray._positions[0].pnl
    assert pytest.approx(pnl, abs=0.5) == 0.01 * (61_000.0 - result.order.avg_fill_price)
    assert texts[2:] == ["---", "Auto-trading", "Flatten all…", "---", "Show / hide window", "Quit"]
    next(a for a in tray.menu.actions() if a.text() == "Flatten all…").trigger()
    assert fired == [True]
    selected = []
    tray.position_selected.connect(lambda account, market: selected.append(market))
    window.ticket.set_market("ETH-PERP")
    tray.position_actions[0].trigger()
    assert selected == [BTC] and window.ticket.market_combo.currentText() == BTC


async def test_auto_trading_toggle_in_the_tray_saves_the_setting(window) -> None:
    tray = window.tray
    before = window.services.trading.settings(window.services.account).auto_trading_enabled
    tray.auto_action.trigger()
    await wait_until(lambda: window.services.trading.settings(window.services.account).auto_trading_enabled != before,
                     what="setting saved")
    assert window.auto_action.isChecked() == (not before)


async def test_critical_alerts_reach_the_notifier_and_routine_ones_do_not(window) -> None:
    notifier, alerts = window.notifier, window.services.alerts
    sl = 59_000.0
    result = await window.services.trading.execute_trade("buy", 0.01, BTC, window.services.account, leverage=5,
                                                         conditions=TradeConditions(stop_loss=sl))
    assert result.success, result.reasons
    await window.services.paper.push_tick(BTC, 58_900.0)  # the stop fires: the monitor closes and says so
    alerts.error("Stop loss: close failed (attempt 1)", "BTC-PERP: venue timeout; retrying")
    alerts.warning("Prices stale", "ETH-PERP on paper: no price for 12 s")
    alerts.warning("Liquidation guard", "BTC-PERP mark within 5 % of liquidation")
    alerts.info("Settings saved", "paper")
    def fired(t: str) -> bool:
        return "stop loss" in t.lower() and "failed" not in t

    # The monitor's close (and its alert) runs on its own task: wait for it as well as the alerts raised here.
    await wait_until(lambda: any(t.startswith("Liquidation guard") for t, _, _ in notifier.shown)
                     and any(fired(t) for t, _, _ in notifier.shown), timeout=15, what="notified")
    titles = [t for t, _, _ in notifier.shown]
    assert any(fired(t) for t in titles), titles  # the stop that fired
    assert "Stop loss: close failed (attempt 1)" in titles and "Prices stale" in titles
    assert "Settings saved" not in titles
    levels = {t: lvl for t, _, lvl in notifier.shown}
    assert levels["Stop loss: close failed (attempt 1)"] == "error" and levels["Prices stale"] == "warning"


def test_tray_menu_rebuilds_keep_its_own_actions(qtbot) -> None:
    notifier = RecordingNotifier()
    tray = TrayController(notifier=notifier)
    tray.set_positions([TrayPosition("paper", "ETH-PERP", "short", "0.5", -12.5, -0.8)])
    tray.rebuild_menu()
    tray.rebuild_menu()  # clearing the menu must not delete the controller's own actions
    assert tray.menu_texts()[:2] == ["Open positions (1)", "ETH-PERP short 0.5   PnL -12.50 (-0.8 %)"]
    assert tray.auto_action.text() == "Auto-trading" and tray.quit_action.text() == "Quit"
    assert tray.notify_away(TITLE, "Closed 1 position(s)") and notifier.shown == [(TITLE, "Closed 1 position(s)", "info")]


async def test_away_summary_shown_once_in_the_window_and_as_one_notification(tmp_path: Path) -> None:
    # Only the second run's window is shown: the others are there for the last-run time they keep.
    first = await create_main_window(tmp_path, "paper", use_tray=False, show=False, feed=None, sweep_interval=3600)
    assert first.controller.away_report is None  # a first run: nothing to be away from
    await close(first)
    store = open_storage(tmp_path)
    try:
        await act_while_away(store, back_date_last_run(store))  # in the past: no waiting for the clock
    finally:
        store.close()

    win = create_main_window(tmp_path, "paper", feed=None, sweep_interval=3600)
    notifier = RecordingNotifier()
    win.tray.notifier = notifier
    try:
        await win
        dialog = win.findChild(QtWidgets.QDialog, "awayReport")
        assert isinstance(dialog, AwayReportDialog) and dialog is win.controller.away_report
        await wait_until(dialog.isVisible, what="away report shown")
        assert not dialog.isModal() and dialog.windowModality() == dialog.windowModality().NonModal
        lines = dialog.lines()
        assert lines[0].startswith("Liquidated: long 1 SOL-PERP") and lines[1].startswith("Lost: sell 0.01 BTC-PERP")
        assert [(t, lvl) for t, _, lvl in notifier.shown] == [(TITLE, "warning")]  # one tray notification
        assert notifier.shown[0][1].startswith("Liquidated: long 1 SOL-PERP")
        dialog.dismiss_button.click()
        assert not dialog.isVisible()
    finally:
        await close(win)
    again = await create_main_window(tmp_path, "paper", use_tray=False, show=False, feed=None, sweep_interval=3600)
    try:
        assert again.controller.away_report is None  # shown once: nothing changed since
    finally:
        await close(again)
