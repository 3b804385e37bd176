"""Issue 9 from the window: the loopback mango-v3-service on 127.0.0.1, the Mango account chosen in
Settings through its widgets, a 5x long from the ticket, and in Positions the service's entry price
and our (domain.mango_health) liquidation price."""

from __future__ import annotations

import asyncio

import pytest

from grace_desktop.app import create_main_window
from grace_desktop.domain import mango_health, margin
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.order_ticket import LEVERAGE_SCALE
from grace_desktop.ui.positions_model import COL_ENTRY, COL_LIQ
from grace_desktop.ui.qt import QCheckBox, QLineEdit, QPushButton, Qt
from tests.ui.conftest import wait_until
from tests.venues.mango_service import MangoService

SOL = "SOL-PERP"
SIZE = 350.0  # 35,000 USDC of SOL on a 10,000 USDC account ...
BTC, BTC_SIZE = "BTC-PERP", 0.2  # ... and a 12,000 USDC BTC short beside it: 4.7x, under the ticket's 5x


@pytest.fixture
def service():
    svc = MangoService().start()
    # Book depth: 50 SOL and 0.1 BTC a level, so both orders fill within the IOC's 1 % cap.
    svc.state.markets[SOL].depth_lots = 5_000
    svc.state.markets[BTC].depth_lots = 1_000
    yield svc
    svc.stop()


@pytest.fixture
async def window(tmp_path):
    win = await create_main_window(tmp_path, "paper", use_tray=False, feed=None, sweep_interval=0.5)
    for market, price in {"SOL-PERP": 150.0, "BTC-PERP": 60_000.0, "ETH-PERP": 3_000.0}.items():
        await win.services.paper.push_tick(market, price)  # paper's prices differ from the service's on purpose
    yield win
    if not win.is_closed:
        win.close()
        await asyncio.wait_for(win.wait_closed(), 10)


async def connect_mango(win, qtbot, url: str) -> None:
    """Settings → Mango account: tick "Use", type the URL, save, as a user would."""
    box = win.settings_panel.venues
    enable = box.findChild(QCheckBox, "venue_mango_enabled")
    url_edit = box.findChild(QLineEdit, "venue_mango_url")
    poll_edit = box.findChild(QLineEdit, "venue_mango_poll_seconds")
    save = box.findChild(QPushButton, "saveVenueButton")
    assert None not in (enable, url_edit, poll_edit, save)
    qtbot.mouseClick(enable, Qt.MouseButton.LeftButton, pos=enable.rect().topLeft() + enable.rect().center() / 4)
    assert enable.isChecked()
    url_edit.clear()
    qtbot.keyClicks(url_edit, url)
    poll_edit.clear()
    qtbot.keyClicks(poll_edit, "0.2")
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    await wait_until(lambda: "connected" in box.status.text(), timeout=15, what="Mango account connected")
    assert box.confirm_box is None  # loopback http needs no confirmation


async def open_from_ticket(win, qtbot, side: str, market: str, size: float, leverage: int) -> None:
    ticket = win.ticket
    ticket.set_market(market)
    qtbot.mouseClick(ticket.buy_button if side == "buy" else ticket.sell_button, Qt.MouseButton.LeftButton)
    ticket.leverage_slider.setValue(leverage * LEVERAGE_SCALE)
    ticket.size_edit.clear()
    qtbot.keyClicks(ticket.size_edit, f"{size:g}")
    await wait_until(lambda: ticket.submit_button.isEnabled(), what=f"submit enabled ({ticket.reason_label.text()})")
    qtbot.mouseClick(ticket.submit_button, Qt.MouseButton.LeftButton)


@pytest.mark.slow
async def test_a_5x_long_on_mango_shows_the_service_entry_and_our_liquidation_price(window, qtbot, service):
    await connect_mango(window, qtbot, service.url)
    services = window.services
    assert services.selector.primary == "mango_v3"
    assert services.store.app_settings.venue_settings().mango_url == service.url  # saved in the database
    assert window.windowTitle().endswith("on mango_v3")
    await wait_until(lambda: services.trading.mark(SOL) == pytest.approx(100.0), what="the service's SOL mark")

    await open_from_ticket(window, qtbot, "buy", SOL, SIZE, 5)
    model = window.positions.model
    await wait_until(lambda: model.row_of("paper", SOL) is not None, timeout=10, what="SOL position row")
    try:
        await wait_until(lambda: window.ticket.result_label.text().startswith("filled"), timeout=10)
    except AssertionError:
        raise AssertionError(window.ticket.result_label.text()) from None
    [body] = service.place_bodies
    assert body["type"] == "limit" and body["ioc"] is True and body["size"] == pytest.approx(SIZE)

    await open_from_ticket(window, qtbot, "sell", BTC, BTC_SIZE, 5)
    await wait_until(lambda: model.row_of("paper", BTC) is not None, timeout=10, what="BTC position row")
    await wait_until(lambda: window.ticket.result_label.text().startswith("filled: sell"), timeout=10,
                     what="BTC short filled")

    spec = services.trading.spec(SOL, "mango_v3")
    specs = services.trading.market_data.venue_markets("mango_v3")
    entry = service.state.holdings[SOL].entry
    row_index = model.row_of("paper", SOL)
    row = model.row_at(row_index)
    assert row.position.entry_price == pytest.approx(entry)  # the service's entryPrice, as shown
    assert model.data(model.index(row_index, COL_ENTRY)) == fmt.price(entry, spec.tick_size)

    portfolio = services.trading.portfolio("paper")
    assert portfolio.margin_mode == "mango_cross" and len(portfolio.positions) == 2
    ours = mango_health.liquidation_price(portfolio, specs, SOL)
    # Maint health at zero with BTC held at its mark: USDC + 350·P·(1 − 1/40) − 350·entry + BTC's maint health = 0.
    btc = portfolio.position(BTC)
    btc_maint = -btc.size * portfolio.mark(BTC, 0) * (1 + specs[BTC].maint_margin) + btc.size * btc.entry_price
    assert ours == pytest.approx((SIZE * entry - portfolio.balance - btc_maint) / (SIZE * (1 - spec.maint_margin)),
                                 rel=1e-6)
    await wait_until(lambda: model.data(model.index(row_index, COL_LIQ)) == fmt.liquidation(ours, spec.tick_size),
                     what="the cross-margin liquidation price in Positions")  # at the window's next revaluation
    # The isolated formula on the venue's per-position share of equity would show another price.
    isolated = margin.position_liquidation_price(row.position, spec.maint_margin)
    assert abs(isolated - ours) > 10 * spec.tick_size

    window.ticket.set_market(SOL)  # the chart follows the ticket: its liquidation line is the same figure
    await wait_until(lambda: window.chart.market == SOL, what="SOL chart")
    window.controller.refresh_levels()
    assert window.chart.levels().liquidation == pytest.approx(ours)

    # The status bar shows the account's free collateral: Mango's init health.
    def free() -> float:
        return mango_health.account_health(services.trading.portfolio("paper"), specs).init

    await wait_until(lambda: fmt.money(free()) in window.status.free_label.text(),
                     what=f"free collateral {fmt.money(free())} in the status bar")

    # The service's price moves: the mark and the distance follow, the liquidation price stays ours;
    # paper's own SOL-PERP price (150) never values the Mango position.
    service.state.set_price(SOL, 95.0)
    await wait_until(lambda: model.row_at(model.row_of("paper", SOL)).mark == pytest.approx(95.0), timeout=10,
                     what="new SOL mark in Positions")
    await services.paper.push_tick(SOL, 150.0)
    await asyncio.sleep(0.3)  # a few flushes of the window's price bridge
    row = model.row_at(model.row_of("paper", SOL))
    assert row.mark == pytest.approx(95.0) and row.liq == pytest.approx(ours)
    assert row.distance == pytest.approx(margin.distance_to_liquidation_pct(row.position.side, 95.0, ours))
