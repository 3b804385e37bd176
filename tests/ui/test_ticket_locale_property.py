"""Property: a size written in the user's locale and typed into the ticket is the size the venue fills.

For random markets (lots from 0.0001 to 0.1), sizes, locales (comma or dot decimal mark, dot,
space, apostrophe or Indian grouping) and leverages: the test formats its number as QLocale
writes it, types it into the real ticket of the real window (paper venue, real services, real
SQLite), and checks that the button and the preview say exactly that number and that the
paper venue's fill has exactly that size. Then it closes the position, for the next example.
"""

from __future__ import annotations

import asyncio
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grace_desktop.app import create_main_window
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.order_ticket import LEVERAGE_SCALE
from grace_desktop.ui.qt import QtCore
from tests.ui.conftest import wait_until

QLocale = QtCore.QLocale
QTest = __import__("PySide6.QtTest", fromlist=["QTest"]).QTest

LOCALES = ["en_US", "de_DE", "fr_FR", "de_CH", "en_IN", "es_ES", "ru_RU", "ja_JP", "pt_BR", "it_IT", "sv_SE",
           "nl_NL", "pl_PL"]
START = {"BTC-PERP": 60_000.0, "ETH-PERP": 3_000.0, "SOL-PERP": 150.0, "SOL/USDC": 150.0, "JUP/USDC": 0.8}
BUDGET = 1_500.0  # notional per order, so every example fits the account's margin and leverage limits


@pytest.fixture(scope="module")
def rig(tmp_path_factory, qapp):
    import qasync

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)

    async def start():
        win = await create_main_window(tmp_path_factory.mktemp("locale"), "paper", use_tray=False, feed=None,
                                       sweep_interval=3600)
        for market, price in START.items():
            await win.services.paper.push_tick(market, price)
        await wait_until(lambda: all(win.services.trading.mark(m) == p for m, p in START.items()), what="marks")
        return win

    win = loop.run_until_complete(start())
    yield loop, win

    async def stop():  # closing spawns the services' shutdown: only on the running loop
        win.close()
        await asyncio.wait_for(win.wait_closed(), 10)
        await asyncio.sleep(0.2)  # queued Qt signals land while the loop runs, not in a later sync test

    loop.run_until_complete(stop())
    loop.close()
    asyncio.set_event_loop(None)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    market=st.sampled_from(sorted(START)),
    draw=st.integers(min_value=1, max_value=10**9),
    locale=st.sampled_from(LOCALES),
    leverage_tenths=st.integers(min_value=10, max_value=50),
)
def test_typed_size_is_the_filled_size(rig, market, draw, locale, leverage_tenths):
    loop, win = rig
    # Clicks spawn tasks: the example runs as one coroutine on the window's qasync loop.
    loop.run_until_complete(_example(win, market, draw, locale, leverage_tenths))


async def _example(win, market, draw, locale, leverage_tenths):
    trading, ticket = win.services.trading, win.ticket
    spec = trading.spec(market)
    max_lots = max(1, math.floor(BUDGET / START[market] / spec.lot_size))
    lots = 1 + draw % max_lots
    size = round(lots * spec.lot_size, 12)
    loc = QLocale(locale)
    decimals = fmt.decimals_for(spec.lot_size)
    text = loc.toString(size, "f", decimals)
    await trading.refresh_portfolio("paper")
    held = trading.portfolio("paper").position(market)  # spot keeps dust below a lot after a sell
    total = size + (held.size if held is not None else 0.0)

    ticket.setLocale(loc)
    ticket.set_market(market)
    ticket.set_side("buy")
    if spec.is_perp:
        ticket.leverage_slider.setValue(leverage_tenths)
        assert ticket.leverage() == leverage_tenths / LEVERAGE_SCALE
    ticket.size_edit.clear()
    QTest.keyClicks(ticket.size_edit, text)

    assert ticket.preview.size == size, (text, ticket.reason_label.text())
    assert ticket.submit_button.text() == f"Buy {text} {market}"
    after = ticket.risk.position_after_label.text()
    assert after.startswith(f"long {loc.toString(total, 'f', decimals)} @"), after
    assert ticket.submit_button.isEnabled(), ticket.reason_label.text()

    before = len(await win.services.paper.fills("paper"))
    ticket.submit_button.click()
    await wait_until(lambda: ticket.result_label.text() not in ("", "sending…"), timeout=15, what="result")
    assert ticket.result_label.text().startswith("filled"), ticket.result_label.text()
    fills = await win.services.paper.fills("paper")
    assert len(fills) == before + 1 and fills[-1].market == market
    assert fills[-1].size == size  # what the venue received, exactly
    result = win.controller.results[-1]
    assert result.order is not None and result.order.request.size == size

    closed = await trading.close_position("paper", market, 1.0)  # spot: sells what is held
    assert closed.success, closed.message
