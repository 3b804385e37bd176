"""Issue 12's ticket findings, through the real window: paper venue, real services, real SQLite.

Each test is named for the finding it closes (the issue's numbered list; QA report numbers in
the docstrings). Typing goes through QTest key clicks on the real widgets.
"""

from __future__ import annotations

import pytest

from grace_desktop.domain import mango_health, margin
from grace_desktop.domain.order_checks import guard_trigger
from grace_desktop.domain.position_after import position_after
from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.order_ticket import LEVERAGE_SCALE
from grace_desktop.ui.qt import QtCore
from tests.ui.conftest import START, wait_until

QLocale = QtCore.QLocale
QTest = __import__("PySide6.QtTest", fromlist=["QTest"]).QTest

BTC, SOL = "BTC-PERP", "SOL-PERP"


def type_into(edit, text: str) -> None:
    edit.clear()
    QTest.keyClicks(edit, text)


def prepare(window, market: str, side: str, leverage: float, locale: str = "en_US"):
    ticket = window.ticket
    ticket.setLocale(QLocale(locale))
    ticket.set_market(market)
    ticket.set_side(side)
    ticket.leverage_slider.setValue(round(leverage * LEVERAGE_SCALE))
    return ticket


async def position(window, market: str):
    positions = await window.services.paper.positions("paper")
    return next((p for p in positions if p.market == market), None)


# ----- 1. the decimal comma (QA 1, 21) ---------------------------------------------------------
async def test_1_decimal_comma_is_a_half_in_de_DE_and_that_is_what_fills(window):
    ticket = prepare(window, SOL, "buy", 2, "de_DE")
    type_into(ticket.size_edit, "0,5")
    assert ticket.submit_button.text() == "Buy 0,50 SOL-PERP"  # parsed, in the locale, to the lot (0.01)
    assert ticket.preview.size == 0.5
    assert ticket.risk.position_after_label.text().startswith("long 0,50 @")  # the preview writes it alike
    assert ticket.submit_button.isEnabled(), ticket.reason_label.text()
    ticket.submit_button.click()
    await wait_until(lambda: ticket.result_label.text().startswith("filled"), timeout=15, what="fill")
    held = await position(window, SOL)
    assert held is not None and held.size == pytest.approx(0.5)


async def test_1_decimal_comma_is_refused_as_ambiguous_in_en_US(window):
    ticket = prepare(window, SOL, "buy", 2, "en_US")
    type_into(ticket.size_edit, "0,5")
    assert not ticket.submit_button.isEnabled()
    assert "size: '0,5' is ambiguous in en_US" in ticket.reason_label.text()
    assert ticket.size_edit.property("invalid") is True
    assert ticket.submit_button.text() == "Buy SOL-PERP"  # never the raw text
    type_into(ticket.size_edit, "1,000.5")  # grouping as en_US writes it: fine (refused only by margin)
    assert ticket.preview.size == 1000.5
    assert ticket.submit_button.text() == "Buy 1,000.50 SOL-PERP"
    type_into(ticket.size_edit, "0.5")
    assert ticket.submit_button.isEnabled(), ticket.reason_label.text()


async def test_1_a_dot_in_de_DE_is_refused_not_read_as_thousands(window):
    ticket = prepare(window, SOL, "buy", 2, "de_DE")
    type_into(ticket.size_edit, "0.5")
    assert not ticket.submit_button.isEnabled()
    assert "ambiguous in de_DE" in ticket.reason_label.text()
    ticket.exits.setChecked(True)
    type_into(ticket.size_edit, "0,5")
    type_into(ticket.sl_edit, "140,5")  # exits parse in the locale too
    assert ticket.preview.stop == 140.5


# ----- 2. a stop past the liquidation price (QA 5) ---------------------------------------------
async def test_2_stop_past_liquidation_is_refused_in_ticket_and_service(window):
    ticket = prepare(window, BTC, "buy", 10)
    spec = window.services.trading.spec(BTC)
    type_into(ticket.size_edit, "0.1")
    ticket.exits.setChecked(True)
    type_into(ticket.sl_edit, "55000")
    liq = ticket.preview.liquidation_price
    assert 55_000 < liq < START[BTC]
    assert not ticket.submit_button.isEnabled()
    assert f"stop_loss: liquidated at {liq:,.1f} before the stop at 55,000.0" in ticket.reason_label.text()
    assert ticket.sl_edit.property("invalid") is True
    # Within 1 % of liquidation: warned, still allowed.
    near = round(liq * 1.005, 1)
    type_into(ticket.sl_edit, str(near))
    assert ticket.submit_button.isEnabled(), ticket.reason_label.text()
    assert "slippage may reach liquidation first" in ticket.reason_label.text()
    # A script cannot bypass it: the service refuses the same order.
    result = await window.services.trading.execute_trade(
        "buy", 0.1, BTC, "paper", leverage=10, conditions=TradeConditions(stop_loss=55_000))
    assert not result.success and "before the stop at 55,000.0" in result.message
    assert await position(window, BTC) is None
    assert spec is not None


# ----- 3. an entry trigger the mark already crossed (QA 7) -------------------------------------
async def test_3_entry_already_crossed_is_refused(window):
    ticket = prepare(window, BTC, "buy", 2)
    type_into(ticket.size_edit, "0.01")
    ticket.exits.setChecked(True)
    type_into(ticket.entry_below_edit, "70566.8")  # "when <= 70,566.8" while the mark is 60,000
    assert not ticket.submit_button.isEnabled()
    assert "entry_below: the mark 60,000 is already at or below 70,566.8" in ticket.reason_label.text()
    assert ticket.entry_below_edit.property("invalid") is True
    type_into(ticket.entry_below_edit, "58000")
    assert ticket.submit_button.isEnabled(), ticket.reason_label.text()
    result = await window.services.trading.execute_trade(
        "buy", 0.01, BTC, "paper", leverage=2, conditions=TradeConditions(entry_above=59_000))
    assert not result.success and "already at or above 59,000" in result.message
    armed = window.services.store.conditions.armed(account="paper", market=BTC)
    assert [c for c in armed if c.kind == "entry"] == []


# ----- 4. leverage typed above the maximum (QA 8) ----------------------------------------------
async def test_4_leverage_20_over_max_10_is_refused_with_the_reason_not_changed(window):
    assert window.services.trading.settings("paper").max_leverage == 10
    ticket = prepare(window, BTC, "buy", 2)
    type_into(ticket.size_edit, "0.01")
    ticket.leverage_spin.lineEdit().selectAll()
    QTest.keyClicks(ticket.leverage_spin, "20")
    assert ticket.leverage_spin.value() == 20.0  # what was typed, not 2.0
    assert not ticket.submit_button.isEnabled()
    assert "leverage 20x refused: maximum leverage is 10x" in ticket.reason_label.text()
    assert ticket.leverage_spin.property("invalid") is True
    ticket.leverage_spin.lineEdit().selectAll()
    QTest.keyClicks(ticket.leverage_spin, "500")
    assert ticket.leverage_spin.value() == 500.0
    assert "leverage: 500x exceeds BTC-PERP's maximum 20x" in ticket.reason_label.text()
    ticket.leverage_spin.lineEdit().selectAll()
    QTest.keyClicks(ticket.leverage_spin, "7")
    assert ticket.submit_button.isEnabled(), ticket.reason_label.text()
    assert ticket.leverage_slider.value() == 7 * LEVERAGE_SCALE


# ----- 7. the position after the order; free collateral net of resting orders (QA 4) ----------
async def test_7_liquidation_after_an_add_at_other_leverage_and_after_a_reduce(window):
    trading = window.services.trading
    spec = trading.spec(BTC)
    opened = await trading.execute_trade("buy", 0.1, BTC, "paper", leverage=3)
    assert opened.success, opened.message
    await wait_until(lambda: trading.portfolio("paper").position(BTC) is not None, what="position cached")
    held = trading.portfolio("paper").position(BTC)
    ticket = prepare(window, BTC, "buy", 10)
    type_into(ticket.size_edit, "0.05")
    check_price = START[BTC] * 1.005  # a market buy is judged at the worst price it may fill at
    expected = position_after(held, spec, "buy", 0.05, check_price, 10)
    assert expected.kind == "add" and expected.position.leverage != 10
    fresh = margin.liquidation_price("long", check_price, 10, spec.maint_margin)
    assert ticket.risk.liquidation_label.text() == fmt.liquidation(expected.liquidation_price, spec.tick_size)
    assert ticket.risk.liquidation_label.text() != fmt.liquidation(fresh, spec.tick_size)
    assert "long 0.1500" in ticket.risk.position_after_label.text()
    ticket.set_side("sell")  # a reduce: what remains keeps its own liquidation price
    reduced = position_after(held, spec, "sell", 0.05, START[BTC] * 0.995, 10)
    assert reduced.kind == "reduce"
    assert reduced.liquidation_price == pytest.approx(margin.position_liquidation_price(held, spec.maint_margin))
    assert ticket.risk.liquidation_label.text() == fmt.liquidation(reduced.liquidation_price, spec.tick_size)
    assert "long 0.0500" in ticket.risk.position_after_label.text()
    type_into(ticket.size_edit, "0.3")  # a flip: the rest opens short at 10x
    assert "short 0.2000" in ticket.risk.position_after_label.text()
    assert "(flips)" in ticket.risk.position_after_label.text()


async def test_7_free_collateral_is_net_of_resting_orders_and_max_is_what_the_venue_takes(window):
    trading = window.services.trading
    rest = await trading.execute_trade("buy", 0.1, BTC, "paper", leverage=3, order_type="limit", price=54_000.0)
    assert rest.success and rest.order.status.value == "open", rest.message
    held = 0.1 * 54_000 / 3  # margin the venue holds (plus the maker fee, a rebate here: none)
    assert trading.reserved_margin("paper") == pytest.approx(held)
    # The status bar's Free is the same figure as the ticket's: net of what the order holds (QA 4).
    free = mango_health.free_collateral(trading.portfolio("paper"), trading.markets()) - held
    await wait_until(lambda: fmt.money(free) in window.status.free_label.text(), what="status bar Free net of orders")
    assert "held by resting orders" in window.status.free_label.toolTip()
    ticket = prepare(window, BTC, "buy", 3)
    ticket.fill_max_size()
    size = ticket.preview.size
    assert size is not None and size > 0
    assert "held by orders" in ticket.risk.free_after_label.text()
    assert ticket.submit_button.isEnabled(), ticket.reason_label.text()
    ticket.submit_button.click()
    await wait_until(lambda: ticket.result_label.text() not in ("", "sending…"), timeout=15, what="result")
    assert ticket.result_label.text().startswith("filled"), ticket.result_label.text()  # the venue agreed


# ----- 9. an order inside the liquidation guard's buffer (QA 6) --------------------------------
async def test_9_order_inside_the_guard_buffer_is_refused(window):
    trading = window.services.trading
    settings = trading.settings("paper").updated(liquidation_guard_buffer_pct=9.0)
    await trading.save_settings("paper", settings)
    ticket = prepare(window, BTC, "buy", 10)
    type_into(ticket.size_edit, "0.1")
    liq = ticket.preview.liquidation_price
    assert START[BTC] <= guard_trigger(ticket.preview.after.side, liq, 9.0)
    assert not ticket.submit_button.isEnabled()
    assert "inside the liquidation guard's 9 % buffer" in ticket.reason_label.text()
    result = await trading.execute_trade("buy", 0.1, BTC, "paper", leverage=10)
    assert not result.success and "liquidation guard's 9 % buffer" in result.message
    ticket.leverage_slider.setValue(5 * LEVERAGE_SCALE)  # 5x: about 18 % away, outside the buffer
    assert ticket.submit_button.isEnabled(), ticket.reason_label.text()


# ----- risk-% sizing and the alert-only choice ---------------------------------------------------
async def test_risk_percent_sizes_from_the_stop(window):
    ticket = prepare(window, SOL, "buy", 2)
    ticket.exits.setChecked(True)
    type_into(ticket.sl_edit, "142.5")
    type_into(ticket.risk_edit, "0.5")
    QTest.keyClick(ticket.risk_edit, QtCore.Qt.Key.Key_Return)
    equity = margin.equity(window.services.trading.portfolio("paper"))
    entry = START[SOL] * 1.005  # a market buy is sized at the worst price it may fill at
    raw = int(equity * 0.005 / (entry - 142.5) / 0.01) * 0.01
    assert ticket.preview.size == pytest.approx(raw)  # below Safe and Max here: the risk size itself
    assert "risk 0.5 % of equity" in ticket.result_label.text()
    assert ticket.preview.loss_at_stop is not None and ticket.preview.loss_at_stop <= equity * 0.005 + 1e-6


async def test_alert_only_is_an_explicit_choice_stored_on_the_condition(window):
    ticket = prepare(window, BTC, "buy", 2)
    type_into(ticket.size_edit, "0.01")
    ticket.exits.setChecked(True)
    type_into(ticket.tp_edit, "63000")
    type_into(ticket.sl_edit, "58000")
    ticket.exits.tp_alert_check.setChecked(True)
    ticket.submit_button.click()
    await wait_until(lambda: ticket.result_label.text().startswith("filled"), timeout=15, what="fill")
    armed = {c.kind: c for c in window.services.store.conditions.armed(account="paper", market=BTC)}
    assert armed["take_profit"].alert_only is True
    assert armed["stop_loss"].alert_only is False  # the default: it executes


async def test_market_mode_hides_the_limit_price(window):
    ticket = prepare(window, BTC, "buy", 2)
    ticket.limit_type.setChecked(True)
    type_into(ticket.price_edit, "60207.9")
    ticket.market_type.setChecked(True)
    assert ticket.price_edit.text() == "" and not ticket.price_edit.isEnabled()
    assert "market" in ticket.price_edit.placeholderText()
    ticket.limit_type.setChecked(True)
    assert ticket.price_edit.text() == "60207.9"
