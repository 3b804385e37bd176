"""Order options through the real ticket on the paper venue: post-only, IOC, reduce-only, stop entries."""

from __future__ import annotations

import pytest

from grace_desktop.ui.order_ticket import LEVERAGE_SCALE
from grace_desktop.ui.qt import QtCore
from tests.ui.conftest import close_window, paper_window, wait_until

QLocale = QtCore.QLocale
QTest = __import__("PySide6.QtTest", fromlist=["QTest"]).QTest
BTC = "BTC-PERP"


@pytest.fixture
async def window(tmp_path):
    win = await paper_window(tmp_path)
    ticket = win.ticket
    ticket.setLocale(QLocale("en_US"))
    ticket.set_market(BTC)
    ticket.set_side("buy")
    ticket.leverage_slider.setValue(2 * LEVERAGE_SCALE)
    yield win
    await close_window(win)


def limit(ticket, price: str, tif: str) -> None:
    ticket.limit_type.setChecked(True)
    ticket.price_edit.setText(price)
    ticket.tif_combo.setCurrentIndex(ticket.tif_combo.findData(tif))
    assert ticket.tif_combo.currentData() == tif


async def send(ticket) -> str:
    assert ticket.submit_button.isEnabled(), ticket.reason_label.text()
    ticket.submit_button.click()
    await wait_until(lambda: ticket.result_label.text() not in ("", "sending…"), timeout=15, what="result")
    return ticket.result_label.text()


async def test_the_paper_venue_offers_every_option(window):
    ticket = window.ticket
    assert [ticket.tif_combo.itemData(i) for i in range(ticket.tif_combo.count())] == ["gtc", "post_only", "ioc"]
    assert ticket.reduce_only_check.isVisibleTo(ticket)
    assert window.services.trading.order_options("paper", BTC) >= {"ioc", "post_only", "reduce_only", "stop"}


async def test_post_only_rests_below_the_mark_and_is_refused_when_it_would_take(window):
    ticket = window.ticket
    ticket.size_edit.setText("0.01")
    limit(ticket, "60500", "post_only")
    assert "would take liquidity" in await send(ticket)
    limit(ticket, "59000", "post_only")
    assert (await send(ticket)).startswith("open: buy 0.01 BTC-PERP @ 59,000")


async def test_ioc_fills_when_marketable_and_expires_otherwise(window):
    ticket = window.ticket
    ticket.size_edit.setText("0.01")
    limit(ticket, "59000", "ioc")
    text = await send(ticket)
    assert text.startswith("not placed: ioc: nothing to fill at 59000"), text
    assert await window.services.paper.open_orders("paper") == []
    limit(ticket, "60500", "ioc")
    assert (await send(ticket)).startswith("filled: buy 0.01 BTC-PERP")


async def test_reduce_only_never_opens(window):
    ticket = window.ticket
    ticket.size_edit.setText("0.01")
    ticket.reduce_only_check.setChecked(True)
    assert "no open BTC-PERP position to reduce" in await send(ticket)
    assert await window.services.paper.positions("paper") == []


async def test_stop_limit_entry_is_held_then_sends_its_limit(window):
    ticket, trading = window.ticket, window.services.trading
    await window.controller.set_auto_trading(True)  # entries alert only when it is off (the monitor's rule today)
    ticket.size_edit.setText("0.01")
    limit(ticket, "61050", "gtc")
    ticket.exits.setChecked(True)
    ticket.entry_above_edit.setText("61000")
    assert "stop-limit entry, held here: when the mark is ≥ 61,000, a buy limit at 61,050 is sent" \
        in ticket.reason_label.text()
    assert (await send(ticket)).startswith("entry condition #")
    entry = next(c for c in window.services.store.conditions.armed(account="paper", market=BTC) if c.kind == "entry")
    assert entry.params["order_type"] == "limit" and entry.params["price"] == 61_050.0
    await window.services.paper.push_tick(BTC, 61_000.0)
    await wait_until(lambda: trading.portfolio("paper").position(BTC) is not None, timeout=10, what="stop fired")
    fills = await window.services.paper.fills("paper")
    assert fills[-1].size == pytest.approx(0.01) and fills[-1].price <= 61_050.0
