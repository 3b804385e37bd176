"""End to end through the real window: paper venue, real services, real SQLite in tmp_path."""

from __future__ import annotations

import asyncio

import pytest

from grace_desktop.app import create_main_window
from grace_desktop.domain import margin
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.order_ticket import LEVERAGE_SCALE
from grace_desktop.ui.qt import QDockWidget, QLabel, QListWidget, QPushButton, QSlider, QTableView, QWidget
from tests.ui.conftest import START, wait_until

BTC = "BTC-PERP"


def find(win, cls, name):
    widget = win.findChild(cls, name)
    assert widget is not None, name
    return widget


async def test_named_seams_exist(window):
    for cls, name in [
        (QTableView, "positionsTable"), (QWidget, "orderTicket"), (QSlider, "leverageSlider"),
        (QWidget, "leverageSpin"), (QWidget, "sizeEdit"), (QLabel, "liquidationPriceLabel"),
        (QLabel, "requiredMarginLabel"), (QPushButton, "submitOrderButton"), (QWidget, "settingsPanel"),
        (QTableView, "journalTable"), (QListWidget, "alertsList"), (QWidget, "priceChart"),
    ]:
        find(window, cls, name)
    assert {d.objectName() for d in window.findChildren(QDockWidget)} >= {"ticketDock", "positionsDock", "journalDock"}


async def test_slider_shows_domain_liquidation_price(window):
    window.ticket.set_market(BTC)
    slider = find(window, QSlider, "leverageSlider")
    spec = window.services.trading.spec(BTC)
    allowed, _ = window.services.trading.allowed_leverage("paper", BTC)
    assert slider.maximum() == round(allowed * LEVERAGE_SCALE)
    for lev in (2, 5, allowed):
        slider.setValue(round(lev * LEVERAGE_SCALE))
        expected = margin.liquidation_price("long", START[BTC], lev, spec.maint_margin)
        assert find(window, QLabel, "liquidationPriceLabel").text() == fmt.liquidation(expected, spec.tick_size)
    window.ticket.set_side("sell")
    expected = margin.liquidation_price("short", START[BTC], allowed, spec.maint_margin)
    assert find(window, QLabel, "liquidationPriceLabel").text() == fmt.liquidation(expected, spec.tick_size)


async def test_order_to_position_then_take_profit_closes_it(window):
    ticket, model = window.ticket, window.positions.model
    await window.controller.set_auto_trading(True)
    ticket.set_market(BTC)
    ticket.set_side("buy")
    ticket.leverage_slider.setValue(5 * LEVERAGE_SCALE)
    ticket.size_edit.setText("0.01")
    ticket.exits.setChecked(True)
    ticket.tp_edit.setText("61200")
    assert ticket.submit_button.isEnabled(), ticket.reason_label.text()
    ticket.submit_button.click()
    await wait_until(lambda: model.row_of("paper", BTC) is not None, what="BTC position row")
    row = model.row_at(model.row_of("paper", BTC))
    assert row.position.size == pytest.approx(0.01) and row.position.leverage == 5
    await wait_until(lambda: ticket.result_label.text().startswith("filled"), what="ticket result")
    assert window.chart.market == BTC
    await wait_until(lambda: window.chart.levels().take_profit == 61_200, what="TP line on the chart")
    assert window.chart.levels().entry == pytest.approx(row.position.entry_price)

    await window.services.paper.push_tick(BTC, 61_300.0)
    await wait_until(lambda: model.row_of("paper", BTC) is None, what="position closed by TP")
    await wait_until(lambda: window.journal.trades.rowCount() == 1, what="trade row in the journal")
    trade = window.journal.trades.records()[0]
    assert trade.market == BTC and trade.realized_pnl > 0
    await wait_until(lambda: any("take profit" in t.lower() for t in window.alerts.titles()), what="TP alert")


async def test_close_button_closes_position(window):
    ticket, model = window.ticket, window.positions.model
    ticket.set_market("SOL-PERP")
    ticket.set_side("sell")
    ticket.size_edit.setText("2")
    ticket.submit()
    await wait_until(lambda: model.row_of("paper", "SOL-PERP") is not None, what="SOL position")
    await window.controller.close_position("paper", "SOL-PERP", 0.5)
    await wait_until(lambda: model.row_at(model.row_of("paper", "SOL-PERP")).position.size == pytest.approx(1.0),
                     what="half closed")
    # The panel says what the button did (a row shrinking alone was easy to miss).
    result = window.positions.result_label
    assert result.text().startswith("Reduce 50% of SOL-PERP: ") and "filled" in result.text()
    assert result.property("role") == "ok"
    window.positions.table.selectRow(0)
    window.shortcuts["close_selected"].activated.emit()
    await wait_until(lambda: model.row_of("paper", "SOL-PERP") is None, what="closed via shortcut")


async def test_refused_order_keeps_submit_disabled(window):
    window.ticket.set_market(BTC)
    window.ticket.leverage_slider.setValue(LEVERAGE_SCALE)
    window.ticket.size_edit.setText("5")  # 300,000 notional against a 10,000 paper balance
    assert not window.ticket.submit_button.isEnabled()
    assert "required margin" in window.ticket.reason_label.text()


async def test_invalid_settings_refused_valid_saved(window):
    panel = window.settings_panel
    store = window.services.store
    before = store.settings.get("paper")
    panel.editors["max_leverage"].setText("500")
    assert panel.save() is None
    assert "max_leverage" in panel.status.text() and "at most 100x" in panel.status.text()
    assert store.settings.get("paper") == before
    panel.reload()
    panel.editors["max_leverage"].setText("3")
    panel.editors["default_leverage"].setText("2")
    await panel.save()
    assert store.settings.get("paper").max_leverage == 3
    # The ticket follows the new limit at once.
    await wait_until(lambda: window.ticket.leverage_slider.maximum() == 3 * LEVERAGE_SCALE, what="slider max 3x")


async def test_auto_trading_toggle_saves_setting(window):
    assert not window.auto_action.isChecked()
    window.auto_action.trigger()
    await wait_until(lambda: window.services.store.settings.get("paper").auto_trading_enabled, what="auto on saved")
    assert "auto-trading on" in window.status.auto_label.text()


async def test_shortcuts_set_side_and_focus_ticket(window):
    window.activateWindow()
    window.shortcuts["sell"].activated.emit()
    assert window.ticket.sell_button.isChecked()
    window.shortcuts["buy"].activated.emit()
    assert window.ticket.buy_button.isChecked()


async def test_close_leaves_no_pending_tasks_and_layout_saved(window, tmp_path):
    window.ticket.size_edit.setText("0.01")
    window.ticket.submit()
    await wait_until(lambda: window.positions.model.rowCount() == 1, what="a position")
    window.close()
    await asyncio.wait_for(window.wait_closed(), 10)
    assert window.services.monitor.pending_tasks == 0
    assert window.tasks.pending == 0
    await asyncio.sleep(0)
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert others == []
    assert (tmp_path / "grace-desktop-ui.ini").exists()
    # The database was closed by the window: reopening it sees the position persisted.
    from grace_desktop.storage import open_storage

    store = open_storage(tmp_path)
    try:
        assert [p.market for p in store.paper.load("paper").positions] == [BTC]
    finally:
        store.close()


async def test_layout_restored_on_reopen(tmp_path):
    win = await create_main_window(tmp_path, use_tray=False, feed=None)
    win.docks["alerts"].hide()
    win.close()
    await win.wait_closed()
    again = await create_main_window(tmp_path, use_tray=False, feed=None)
    try:
        assert not again.docks["alerts"].isVisible()
        assert again.docks["ticket"].isVisible()
    finally:
        again.close()
        await again.wait_closed()


async def test_create_main_window_returns_the_window_at_once_and_can_be_awaited(tmp_path):
    from grace_desktop.ui.qt import QMainWindow

    win = create_main_window(tmp_path, use_tray=False, feed=None)
    assert isinstance(win, QMainWindow) and win.isVisible()
    assert await win is win  # awaiting waits for the services
    assert win.services.trading.markets()
    win.close()
    await asyncio.wait_for(win.wait_closed(), 10)


async def test_unreachable_venue_is_a_readable_error_and_closes_cleanly(tmp_path):
    from grace_desktop.venues.base import VenueError

    # Port 9 (discard) has no listener here: the Mango service cannot be reached.
    win = create_main_window(tmp_path, "mango_v3", mango_url="http://127.0.0.1:9/api", use_tray=False, feed=None)
    with pytest.raises(VenueError, match="cannot connect to the service"):
        await win
    win.close()
    await asyncio.wait_for(win.wait_closed(), 10)
    assert win.is_closed


def test_create_main_window_without_a_running_loop_says_what_it_needs(tmp_path):
    with pytest.raises(RuntimeError, match="running qasync loop"):
        create_main_window(tmp_path)
