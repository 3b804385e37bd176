"""Auto-trading exits on a scripted price path: TP, SL, trailing, shorts, one close per gap tick."""

from __future__ import annotations

import pytest

from grace_desktop.domain.enums import OrderStatus, Side
from grace_desktop.services.trade_types import TradeConditions
from tests.services.conftest import close_orders, configure, position, settle, wait_until

M = "SOL-PERP"


async def open_position(services, action="buy", size=10.0, leverage=2.0, conditions=None):
    result = await services.trading.execute_trade(action, size, M, services.account, leverage=leverage,
                                                  conditions=conditions)
    assert result.success, result.message
    assert result.order.status is OrderStatus.FILLED
    return await position(services, M)


async def test_long_take_profit_closes_once_at_first_tick_past_5_percent(services):
    await configure(services, auto_trading_enabled=True, take_profit_enabled=True, take_profit_percentage=5.0)
    pos = await open_position(services)
    target = pos.entry_price * 1.05
    for price in (101.0, 103.0, 104.9, round(target - 0.01, 2)):
        await services.paper.push_tick(M, price)
        await settle(services)
        assert await position(services, M) is not None, f"closed early at {price}"
    fire = round(target + 0.01, 2)
    await services.paper.push_tick(M, fire)
    await settle(services)
    await wait_until(lambda: len(close_orders(services, M)) == 1)
    assert await position(services, M) is None
    for price in (fire + 1, fire + 2):  # later ticks must not close again
        await services.paper.push_tick(M, price)
        await settle(services)
    closes = close_orders(services, M)
    assert len(closes) == 1 and closes[0].order.status is OrderStatus.FILLED
    decisions = services.store.decisions.recent(account=services.account)
    assert decisions[0].rule == "take_profit" and decisions[0].price == fire and decisions[0].action == "close"
    trades = services.store.trades.page(account=services.account, market=M)
    assert len(trades) == 1 and trades[0].exit_price > target * 0.999
    assert trades[0].close_reason == "take_profit"  # the journal says why, not just "market"
    assert any(a.title.startswith("Take profit") for a in services.store.alerts.recent())


async def test_long_stop_loss(services):
    await configure(services, auto_trading_enabled=True, stop_loss_enabled=True, stop_loss_percentage=3.0)
    pos = await open_position(services)
    stop = pos.entry_price * 0.97
    await services.paper.push_tick(M, round(stop + 0.05, 2))
    await settle(services)
    assert await position(services, M) is not None
    await services.paper.push_tick(M, round(stop - 0.05, 2))
    await settle(services)
    assert await position(services, M) is None
    assert services.store.decisions.recent()[0].rule == "stop_loss"


async def test_trailing_stop_follows_the_high_and_fires_on_the_retrace(services):
    await configure(services, auto_trading_enabled=True)
    await open_position(services, conditions=TradeConditions(trailing_percent=2.0))
    for price in (102.0, 110.0, 108.5, 115.0, 113.0):  # 113 is above 115·0.98 = 112.7
        await services.paper.push_tick(M, price)
        await settle(services)
        assert await position(services, M) is not None, f"trailing stop fired early at {price}"
    watch = services.monitor.watched(services.account, M)
    assert watch.trailing.extreme == 115.0 and watch.trailing.stop_price == pytest.approx(112.7)
    await services.paper.push_tick(M, 112.6)
    await settle(services)
    assert await position(services, M) is None
    assert services.store.decisions.recent()[0].rule == "trailing_stop"
    assert len(close_orders(services, M)) == 1


async def test_short_take_profit_and_stop_loss_are_mirrored(services):
    await configure(services, auto_trading_enabled=True, take_profit_enabled=True, take_profit_percentage=4.0,
                    stop_loss_enabled=True, stop_loss_percentage=2.0)
    pos = await open_position(services, action="sell")
    assert pos.side is Side.SHORT
    await services.paper.push_tick(M, round(pos.entry_price * 1.019, 2))  # adverse but inside the stop
    await services.paper.push_tick(M, round(pos.entry_price * 0.965, 2))  # favourable but short of TP
    await settle(services)
    assert await position(services, M) is not None
    await services.paper.push_tick(M, round(pos.entry_price * 0.959, 2))
    await settle(services)
    assert await position(services, M) is None
    assert services.store.decisions.recent()[0].rule == "take_profit"

    pos = await open_position(services, action="sell")
    await services.paper.push_tick(M, round(pos.entry_price * 1.021, 2))
    await settle(services)
    assert await position(services, M) is None
    assert services.store.decisions.recent()[0].rule == "stop_loss"


async def test_tp_and_sl_crossing_in_one_gap_tick_send_exactly_one_close(services):
    await configure(services, auto_trading_enabled=True)
    # A stop raised above the take-profit (a locked-in profit stop) and a gap that crosses both.
    await open_position(services, conditions=TradeConditions(take_profit=105.0, stop_loss=106.0))
    await services.paper.push_tick(M, 105.5)
    await settle(services)
    assert await position(services, M) is None
    closes = close_orders(services, M)
    assert len(closes) == 1
    decisions = [d for d in services.store.decisions.recent() if d.action == "close"]
    assert len(decisions) == 1 and decisions[0].rule == "stop_loss"  # the protective rule names it
    fired = [c for c in services.store.conditions.armed(account=services.account)]
    assert fired == []


async def test_without_auto_trading_only_alerts(services):
    await configure(services, auto_trading_enabled=False, take_profit_enabled=True, take_profit_percentage=5.0)
    pos = await open_position(services)
    await services.paper.push_tick(M, round(pos.entry_price * 1.06, 2))
    await services.paper.push_tick(M, round(pos.entry_price * 1.07, 2))
    await settle(services)
    assert await position(services, M) is not None
    assert close_orders(services, M) == []
    reached = [a for a in services.store.alerts.recent() if a.title == "Take profit reached"]
    assert len(reached) == 1 and "auto-trading is off" in reached[0].text


async def test_resting_limit_with_take_profit_is_guarded_once_it_fills(services):
    await configure(services, auto_trading_enabled=True)
    result = await services.trading.execute_trade(
        "buy", 2.0, M, services.account, leverage=2.0, order_type="limit", price=98.0,
        conditions=TradeConditions(take_profit=103.0),
    )
    assert result.success and result.order.status is OrderStatus.OPEN
    assert await position(services, M) is None
    await services.paper.push_tick(M, 97.9)  # crosses the limit: it fills at 98
    await settle(services)
    await wait_until(lambda: services.monitor.watched(services.account, M) is not None)
    assert services.monitor.watched(services.account, M).levels["take_profit"][0] == 103.0
    row = services.store.orders.get(result.order.client_id)
    assert row.order.status is OrderStatus.FILLED  # the journal followed the venue
    await services.paper.push_tick(M, 103.0)
    await settle(services)
    assert await position(services, M) is None
    assert services.store.decisions.recent()[0].rule == "take_profit"


async def test_switching_auto_trading_on_lets_an_alerted_rule_act(services):
    await configure(services, auto_trading_enabled=False, stop_loss_enabled=True, stop_loss_percentage=3.0)
    pos = await open_position(services)
    await services.paper.push_tick(M, round(pos.entry_price * 0.96, 2))
    await settle(services)
    assert await position(services, M) is not None  # alert only
    await configure(services, auto_trading_enabled=True, stop_loss_enabled=True, stop_loss_percentage=3.0)
    await services.paper.push_tick(M, round(pos.entry_price * 0.959, 2))
    await settle(services)
    assert await position(services, M) is None


async def test_a_stop_loss_saved_beyond_the_price_closes_without_waiting_for_a_tick(services):
    """The settings panel asked "saving closes SOL-PERP" and the user said yes: in a quiet market the
    close comes now, at the fresh mark, not at a next tick that may be minutes away."""
    await configure(services, auto_trading_enabled=True)
    pos = await open_position(services)
    await services.paper.push_tick(M, round(pos.entry_price * 0.96, 2))  # -4 %, no stop yet
    await settle(services)
    assert await position(services, M) is not None
    await configure(services, auto_trading_enabled=True, stop_loss_enabled=True, stop_loss_percentage=3.0)
    await wait_until(lambda: len(close_orders(services, M)) == 1)  # no tick pushed since
    await settle(services)
    assert await position(services, M) is None
    assert services.store.decisions.recent()[0].rule == "stop_loss"
