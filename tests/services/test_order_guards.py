"""TradingService refuses, for any caller (the ticket, the monitor, a script), what the position after
the order makes wrong: a stop past liquidation, a crossed entry trigger, a position inside the
guard's buffer; it counts resting orders' margin as the venue does; it refuses options the venue lacks."""

from __future__ import annotations

import pytest

from grace_desktop.domain import margin
from grace_desktop.services.trade_types import TradeConditions
from tests.services.conftest import configure, position, settle

BTC = "BTC-PERP"


async def test_stop_past_liquidation_refused_by_price_percent_and_trailing(services):
    trading, account = services.trading, services.account
    liq = margin.liquidation_price("long", 60_000 * 1.005, 10, 0.025)  # judged at the worst fill price
    for conditions, field in ((TradeConditions(stop_loss=55_000.0), "stop_loss"),
                              (TradeConditions(stop_loss_percent=12.0), "stop_loss_percent"),
                              (TradeConditions(trailing_percent=15.0), "trailing_percent")):
        result = await trading.execute_trade("buy", 0.01, BTC, account, leverage=10, conditions=conditions)
        assert not result.success
        assert result.reasons[0].startswith(f"{field}: liquidated at {liq:,.1f} before the stop at"), result.reasons
        assert [r.code for r in result.decision.reasons] == ["stop"]
    assert await position(services, BTC) is None
    ok = await trading.execute_trade("buy", 0.01, BTC, account, leverage=10,
                                     conditions=TradeConditions(stop_loss=57_000.0))
    assert ok.success, ok.message


async def test_a_reduce_only_close_is_never_stopped_by_the_guards(services):
    trading, account = services.trading, services.account
    await configure(services, liquidation_guard_buffer_pct=1.0)
    assert (await trading.execute_trade("buy", 0.01, BTC, account, leverage=10)).success
    await configure(services, liquidation_guard_buffer_pct=30.0)  # now the position is "inside"
    closed = await trading.close_position(account, BTC)
    assert closed.success, closed.message


async def test_crossed_entry_refused_and_not_armed(services):
    trading, account = services.trading, services.account
    result = await trading.execute_trade("sell", 0.01, BTC, account, leverage=2,
                                         conditions=TradeConditions(entry_below=61_000.0))
    assert not result.success and result.reasons[0].startswith("entry_below: the mark 60,000 is already at or below")
    assert [c for c in services.store.conditions.armed(account=account) if c.kind == "entry"] == []
    armed = await trading.execute_trade("sell", 0.01, BTC, account, leverage=2,
                                        conditions=TradeConditions(entry_below=59_000.0))
    assert armed.success and armed.message.startswith("entry condition #")


async def test_inside_the_guard_buffer_refused_unless_the_guard_is_off(services):
    trading, account = services.trading, services.account
    await configure(services, liquidation_guard_buffer_pct=9.0)
    refused = await trading.execute_trade("buy", 0.01, BTC, account, leverage=10)
    assert not refused.success and "inside the liquidation guard's 9 % buffer" in refused.reasons[0]
    assert trading.preview("buy", 0.01, BTC, account, leverage=10).approved is False
    await configure(services, liquidation_guard_enabled=False)
    assert (await trading.execute_trade("buy", 0.01, BTC, account, leverage=10)).success


async def test_resting_orders_margin_is_not_free(services):
    trading, account = services.trading, services.account
    rest = await trading.execute_trade("buy", 0.5, BTC, account, leverage=5, order_type="limit", price=54_000.0)
    assert rest.success and rest.order.status.value == "open"
    held = 0.5 * 54_000 / 5
    assert trading.reserved_margin(account) == pytest.approx(held)
    free = margin.free_collateral(trading.portfolio(account))
    decision = trading.preview("buy", 0.01, BTC, account, leverage=5)
    assert decision.free_collateral == pytest.approx(free - held)
    # What the venue would refuse is refused before sending: 10,000 − 5,400 held leaves ~4,600.
    big = await trading.execute_trade("buy", 0.4, BTC, account, leverage=5)  # 4,824 margin
    assert not big.success and "exceeds free collateral" in big.reasons[0]
    assert await services.paper.cancel_order(account, rest.order.client_id)
    await settle(services)
    assert trading.reserved_margin(account) == 0.0


async def test_time_in_force_needs_a_limit_order(services):
    result = await services.trading.execute_trade("buy", 0.01, BTC, services.account, leverage=2,
                                                  time_in_force="ioc")
    assert not result.success and result.reasons == ("time_in_force: ioc applies to limit orders only",)
    bad = await services.trading.execute_trade("buy", 0.01, BTC, services.account, leverage=2,
                                               order_type="limit", price=59_000.0, time_in_force="fok")
    assert not bad.success and bad.reasons[0].startswith("time_in_force: must be")
