"""Issue 12's positions / orders / settings findings, through the real window (paper venue, real
services, real SQLite): 5 (orders can be seen and cancelled), 6 (settings bounded, messages), 8
(attached exits execute with auto-trading off; a settings rule that closes at once asks first),
flatten all, reverse, close 25 %, exits edited in place, QA 12-14, 16-17, 19-20, 25."""

from __future__ import annotations

import asyncio
import time

import pytest

from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.ui.order_ticket import LEVERAGE_SCALE
from grace_desktop.ui.qt import QAction, QPushButton, Qt, QTableView, QtWidgets
from tests.ui.conftest import wait_until

BTC, SOL = "BTC-PERP", "SOL-PERP"


def orders_table(win) -> QtWidgets.QTableWidget:
    table = win.findChild(QtWidgets.QTableWidget, "ordersTable")
    assert table is not None
    return table


def table_texts(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


async def buy(win, market, size, leverage=2, **exits):
    t = win.ticket
    t.set_market(market)
    t.set_side("buy")
    t.leverage_slider.setValue(leverage * LEVERAGE_SCALE)
    t.size_edit.setText(str(size))
    if exits:
        t.exits.setChecked(True)
        for name, value in exits.items():
            getattr(t, name).setText(str(value))
    assert t.submit_button.isEnabled(), t.reason_label.text()
    await win.controller.submit(t.preview.order)
    return win.controller.results[-1]


def confirm(win, name):
    box = win.findChild(QtWidgets.QMessageBox, name)
    assert box is not None and box.isVisible(), f"no {name} box"
    box.findChild(QPushButton, f"{name}Yes").click()
    return box


async def test_tp_attached_with_auto_trading_off_closes_the_position(window):
    """Finding 8: the default is auto-trading off, and the TP the user attached still closes."""
    assert not window.services.trading.settings("paper").auto_trading_enabled
    result = await buy(window, BTC, 0.01, leverage=5, tp_edit=61_200)
    assert result.success, result.message
    model = window.positions.model
    await wait_until(lambda: model.row_of("paper", BTC) is not None, what="BTC position row")
    await window.services.paper.push_tick(BTC, 61_300.0)
    await wait_until(lambda: model.row_of("paper", BTC) is None, what="position closed by the attached TP")
    closes = [r for r in window.services.store.orders.page(account="paper", market=BTC, limit=10)
              if r.order.request.reduce_only]
    assert len(closes) == 1 and closes[0].purpose == "take_profit"


async def test_resting_limit_and_entry_are_listed_cancelled_and_edited(window):
    """Finding 5 / QA 4: a resting limit order and an armed entry are visible and can be cancelled or edited."""
    t = window.ticket
    t.set_market(SOL)
    t.set_side("buy")
    t.size_edit.setText("1")
    t.limit_type.setChecked(True)
    t.price_edit.setText("140")
    assert t.submit_button.isEnabled(), t.reason_label.text()
    await window.controller.submit(t.preview.order)
    assert window.controller.results[-1].order.status.value == "open"
    svc = window.services
    await svc.trading.execute_trade("buy", 2.0, SOL, "paper", leverage=2.0,
                                    conditions=TradeConditions(entry_below=130.0))
    table = orders_table(window)
    await window.controller.orders.refresh()
    await wait_until(lambda: table.rowCount() == 2, what="two rows in the orders table")
    rows = table_texts(table)
    assert rows[0][:5] == ["Limit", SOL, "buy", "1", "140.00"]
    assert rows[1][0] == "Entry" and rows[1][4] == "130.00"

    panel = window.orders_panel
    panel.select(0)
    panel.edit.setText("141")
    panel.apply_button.click()
    await wait_until(lambda: table.rowCount() == 2 and table.item(0, 4).text() == "141.00", what="limit moved to 141")
    assert [o.request.price for o in await svc.paper.open_orders("paper") if not o.status.is_final] == [141.0]

    panel.select(1)
    panel.cancel_button.click()
    await wait_until(lambda: table.rowCount() == 1, what="entry cancelled")
    assert svc.store.conditions.armed() == []
    panel.select(0)
    panel.cancel_button.click()
    await wait_until(lambda: table.rowCount() == 0, what="limit cancelled")
    assert all(o.status.is_final for o in await svc.paper.open_orders("paper"))
    await svc.store.write(lambda: None)  # decisions are journaled behind queued writes
    decisions = [d.action for d in svc.store.decisions.recent()]
    assert "cancel order" in decisions and "cancel entry" in decisions and "replace order" in decisions


async def test_settings_bounded_by_the_venue_and_messages_say_the_rule(window):
    """Finding 6 / QA 12, 17."""
    panel = window.settings_panel
    store = window.services.store
    before = store.settings.get("paper")
    panel.editors["max_account_leverage"].setText("100000")
    assert panel.save() is None
    assert "max_account_leverage" in panel.status.text() and "at most 100x" in panel.status.text()
    panel.reload()
    panel.editors["max_account_leverage"].setText("50")  # below the hard cap, above the perps' 20x
    await panel.save()
    assert "at most 20x" in panel.status.text() and "venue" in panel.status.text()
    assert panel.editors["max_account_leverage"].property("invalid")
    panel.reload()
    panel.editors["take_profit_percentage"].setText("0")
    assert panel.save() is None
    assert "between 0 and 100" not in panel.status.text() and "more than 0 %" in panel.status.text()
    assert store.settings.get("paper") == before


async def test_enabling_a_stop_loss_that_closes_at_once_asks_first(window):
    """QA 13: saving lists the positions it would close, and nothing closes until the user says yes."""
    await window.controller.set_auto_trading(True)
    await buy(window, SOL, 2)
    model = window.positions.model
    await wait_until(lambda: model.row_of("paper", SOL) is not None, what="SOL position")
    await window.services.paper.push_tick(SOL, 145.0)  # −3.3 %
    await wait_until(lambda: window.services.trading.mark(SOL) == 145.0, what="SOL at 145")
    panel = window.settings_panel
    panel.reload()
    panel.editors["stop_loss_enabled"].setChecked(True)
    panel.editors["stop_loss_percentage"].setText("2")
    assert panel.save() is None
    box = window.findChild(QtWidgets.QMessageBox, "settingsCloseConfirm")
    assert box is not None and SOL in box.informativeText() and "stop loss" in box.informativeText()
    await asyncio.sleep(0.3)
    assert model.row_of("paper", SOL) is not None  # not saved, nothing closed
    assert not window.services.trading.settings("paper").stop_loss_enabled
    confirm(window, "settingsCloseConfirm")
    await wait_until(lambda: window.services.trading.settings("paper").stop_loss_enabled, what="saved")
    await window.services.paper.push_tick(SOL, 145.1)  # the next tick fires the stop now in charge
    await wait_until(lambda: model.row_of("paper", SOL) is None, what="closed after the user said yes")


async def test_flatten_all_from_the_menu_action(window):
    await buy(window, BTC, 0.01)
    await buy(window, SOL, 1)
    svc = window.services
    await svc.trading.execute_trade("buy", 1.0, SOL, "paper", leverage=2.0, order_type="limit", price=120.0)
    model = window.positions.model
    await wait_until(lambda: model.rowCount() == 2, what="two positions")
    action = window.findChild(QAction, "flattenAllAction")
    assert action is not None and action.shortcut().toString() == "Ctrl+Shift+F"
    action.trigger()
    box = window.findChild(QtWidgets.QMessageBox, "flattenConfirm")
    assert "close BTC-PERP long 0.01" in box.informativeText()
    confirm(window, "flattenConfirm")
    await wait_until(lambda: model.rowCount() == 0, what="every position closed")
    await wait_until(lambda: window.controller.orders.flatten_reports, what="flatten report")
    report = window.controller.orders.flatten_reports[-1]
    assert report.ok and report.orders_cancelled == 1 and report.positions_closed == 2
    assert "flattened" in window.positions.result_label.text()


async def test_close_25_percent_reverse_and_edit_exits_in_place(window):
    await buy(window, SOL, 4)
    panel, model = window.positions, window.positions.model
    await wait_until(lambda: model.row_of("paper", SOL) is not None, what="SOL position")
    panel.table.selectRow(0)
    panel.fraction_buttons[0.25].click()
    await wait_until(lambda: model.row_at(model.row_of("paper", SOL)).position.size == pytest.approx(3.0),
                     what="25 % closed")

    editor = panel.exits_editor
    assert editor.isEnabled()
    editor.tp_edit.setText("170")
    editor.sl_edit.setText("140")
    editor.apply_button.click()
    await wait_until(lambda: editor.status.text().startswith(("set:", "Not set")), what="exits set")
    assert editor.status.text().startswith("set:"), editor.status.text()
    watch = window.services.monitor.watched("paper", SOL)
    assert watch.levels["take_profit"][0] == 170 and watch.levels["stop_loss"][0] == 140
    editor.sl_edit.setText("155")  # above the mark for a long: would fire at once
    editor.apply_button.click()
    await wait_until(lambda: editor.status.text().startswith("Not set"), what="refused")
    assert "below the mark" in editor.status.text()

    reverse = window.findChild(QPushButton, "reverseButton")
    reverse.click()
    confirm(window, "reverseConfirm")
    await wait_until(lambda: model.rowCount() == 1 and model.row_at(0).position.side.value == "short",
                     what="reversed to a short")
    assert model.row_at(0).position.size == pytest.approx(3.0)


async def test_positions_show_margin_and_funding_and_title_is_not_redundant(window):
    """QA 25 (title), funding and margin columns."""
    assert window.windowTitle() == "Grace Desktop — paper"
    await buy(window, BTC, 0.01, leverage=5)
    model = window.positions.model
    await wait_until(lambda: model.rowCount() == 1, what="row")
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert "Margin" in headers and "Funding" in headers and "Venue" in headers
    row = model.row_at(0)
    text, _ = row.cells()
    held = row.position.collateral
    assert held == pytest.approx(0.01 * row.position.entry_price / 5, rel=1e-3)  # 0.01 BTC at 5x
    assert text[headers.index("Margin")] == f"{held:,.2f}"
    assert window.positions.table.isColumnHidden(headers.index("Venue"))  # one venue: no venue column
    store = window.services.store
    await store.write(store.funding.record, "paper", "paper", BTC, -1.25, 0.01, row.position.opened_at + 1, "f1")
    window.controller.orders._funding_at = -1e9
    window.controller.orders.refresh_funding(0.0)
    await wait_until(lambda: model.row_at(0).funding == -1.25, what="funding shown")
    assert model.row_at(0).cells()[0][headers.index("Funding")] == "-1.25"


async def test_named_seams(window):
    assert window.findChild(QtWidgets.QTableWidget, "ordersTable") is not None
    assert window.findChild(QAction, "flattenAllAction") is not None
    assert window.findChild(QPushButton, "reverseButton") is not None
    assert isinstance(window.findChild(QTableView, "positionsTable"), QTableView)


async def test_ticket_shows_the_volatility_estimate_age_and_whether_the_cap_applies(window):
    """Finding 10: the ticket says how much market time the estimate rests on and whether it caps."""
    ticket = window.ticket
    ticket.set_market(BTC)
    ticket.recompute()
    assert "vol: no data yet" in ticket.mark_label.text()
    t0 = time.time() + 1  # market time goes on from the fixture's first ticks (stamped now)
    for i in range(1, 13):  # two minutes of market time, a tick every 10 s
        await window.services.paper.push_tick(BTC, 60_000.0 + (-1) ** i * 30, ts=t0 + 10 * i)
    await wait_until(lambda: window.services.trading.volatility(BTC).daily is not None, what="estimate")
    ticket.recompute()
    assert "2 min: no cap yet" in ticket.mark_label.text()
    for i in range(13, 100):  # past a quarter of the one-hour half-life
        await window.services.paper.push_tick(BTC, 60_000.0 + (-1) ** i * 30, ts=t0 + 10 * i)
    await wait_until(lambda: window.services.trading.volatility(BTC).trusted, what="trusted")
    ticket.recompute()
    assert "no cap yet" not in ticket.mark_label.text() and "/day over 1" in ticket.mark_label.text()


async def test_equity_tab_ends_at_the_equity_now(window):
    """QA 14: the curve's headline is the equity the status bar shows, not the last minute's point."""
    from grace_desktop.domain import margin
    from grace_desktop.ui import formatting as fmt

    await buy(window, BTC, 0.05, leverage=5)
    await window.services.paper.push_tick(BTC, 60_900.0)
    await wait_until(lambda: window.services.trading.mark(BTC) == 60_900.0, what="mark moved")
    await window.services.trading.refresh_portfolio("paper")
    await window.controller.refresh_equity(force=True)
    now = margin.equity(window.services.trading.portfolio("paper"))
    assert fmt.money(now) in window.chart.equity_label.text()
    assert "over 1 points" not in window.chart.equity_label.text()


async def test_journal_and_settings_get_room_when_raised(window):
    """QA 19, 20: the journal showed about 4 rows; the settings' Trailing-stop % was cut off."""
    from grace_desktop.ui.qt import QApplication

    window.show()
    window.docks["journal"].raise_()
    for _ in range(5):
        QApplication.processEvents()
        await asyncio.sleep(0.02)
    table = window.journal.findChild(QTableView, "journalTable")
    rows_visible = table.viewport().height() // table.verticalHeader().defaultSectionSize()
    assert rows_visible >= 8, rows_visible
    window.docks["settings"].raise_()
    for _ in range(5):
        QApplication.processEvents()
        await asyncio.sleep(0.02)
    field = window.settings_panel.editors["trailing_stop_percentage"]
    bottom = field.mapTo(window.settings_panel, field.rect().bottomLeft()).y()
    assert field.isVisible() and bottom <= window.settings_panel.height(), (bottom, window.settings_panel.height())


def test_positions_of_every_venue_with_a_venue_column(qtbot):
    """Positions held on a second venue are listed beside the primary's, each with its venue."""
    from grace_desktop.domain.models import Portfolio, Position
    from grace_desktop.ui.positions_model import COL_VENUE
    from grace_desktop.ui.positions_panel import PositionsPanel
    from tests.ui.domain_backend import SPECS

    panel = PositionsPanel()
    qtbot.addWidget(panel)
    panel.model.set_markets(SPECS)
    panel.model.primary_venue = "paper"
    pos = Position("paper", BTC, "long", 0.1, 60_000.0, leverage=5, collateral=1_200.0)
    panel.model.set_portfolio(Portfolio("paper", 10_000.0, (pos,), {BTC: 60_500.0}), "paper")
    panel.model.set_portfolio(Portfolio("paper", 5_000.0, (pos,), {BTC: 59_000.0}), "mango_v3")
    assert panel.model.rowCount() == 2
    assert sorted(panel.model.row_at(r).cells()[0][COL_VENUE] for r in range(2)) == ["mango_v3", "paper"]
    panel.model.update_marks({BTC: 61_000.0})  # the window's ticks are the primary venue's
    marks = {panel.model.row_at(r).venue: panel.model.row_at(r).mark for r in range(2)}
    assert marks == {"paper": 61_000.0, "mango_v3": 59_000.0}
    panel.set_venue_column_visible(True)
    assert not panel.table.isColumnHidden(COL_VENUE)
    panel.table.selectRow(1)
    with qtbot.waitSignal(panel.close_requested_at, timeout=1000) as sig:
        panel.close_selected(0.75)
    assert sig.args[0] == panel.model.row_at(panel.proxy.mapToSource(panel.proxy.index(1, 0)).row()).venue
    assert sig.args[1:] == ["paper", BTC, 0.75]
