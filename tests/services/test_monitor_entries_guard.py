"""Conditional entries (fire once, with risk checks) and the liquidation guard."""

from __future__ import annotations

from grace_desktop.domain import margin
from grace_desktop.domain.enums import OrderStatus
from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.venues.paper.events import LiquidationEvent
from tests.services.conftest import close_orders, configure, position, settle

M = "SOL-PERP"


async def test_conditional_entry_fires_once_with_risk_checks(services):
    await configure(services, auto_trading_enabled=True)
    result = await services.trading.execute_trade(
        "buy", 5.0, M, services.account, leverage=3.0,
        conditions=TradeConditions(entry_below=95.0, take_profit_percent=10.0),
    )
    assert result.success and result.order is None and "armed" in result.message
    await services.paper.push_tick(M, 96.0)
    await settle(services)
    assert await position(services, M) is None
    for price in (94.9, 94.0, 93.0):  # only the first crossing tick enters
        await services.paper.push_tick(M, price)
        await settle(services)
    pos = await position(services, M)
    assert pos is not None and pos.size == 5.0 and pos.leverage == 3.0
    orders = [r for r in services.store.orders.page(account=services.account, market=M) if not r.order.request.reduce_only]
    assert len(orders) == 1 and orders[0].order.status is OrderStatus.FILLED
    [cond] = [c for c in services.store.conditions.armed(account=services.account) if c.kind == "take_profit"]
    assert cond.params["percent"] == 10.0  # the entry's exits now guard the new position
    assert services.monitor.watched(services.account, M).levels["take_profit"][0] > pos.entry_price


async def test_conditional_entry_refused_with_reasons_when_margin_is_short(services):
    # 20x: the paper perps' maximum, which settings may not exceed.
    await configure(services, auto_trading_enabled=True, max_account_leverage=20.0, max_leverage=20.0)
    # 400 SOL at 105 and 5x needs 8,400 margin: fine now, but first spend most of the collateral.
    first = await services.trading.execute_trade("buy", 800.0, "SOL-PERP", services.account, leverage=10.0)
    assert first.success, first.message
    result = await services.trading.execute_trade(
        "buy", 400.0, "SOL-PERP", services.account, leverage=5.0, conditions=TradeConditions(entry_above=105.0)
    )
    assert result.success
    await services.paper.push_tick(M, 105.0)
    await settle(services)
    pos = await position(services, M)
    assert pos.size == 800.0  # unchanged: the entry was refused
    refused = [a for a in services.store.alerts.recent() if a.title == "Conditional entry refused"]
    assert len(refused) == 1 and "required margin" in refused[0].text and "free collateral" in refused[0].text
    cond = [c for c in services.store.conditions.armed(account=services.account) if c.kind == "entry"]
    assert cond == []  # fired (refused), not left armed to fire again
    await services.paper.push_tick(M, 106.0)
    await settle(services)
    assert len([a for a in services.store.alerts.recent() if a.title == "Conditional entry refused"]) == 1


async def test_liquidation_guard_reduces_then_closes_before_the_venue_liquidates(services):
    await configure(services, auto_trading_enabled=True, max_leverage=20.0, liquidation_guard_buffer_pct=2.0,
                    liquidation_guard_reduce_fraction=0.5)
    liquidations: list[LiquidationEvent] = []
    services.paper.add_liquidation_listener(liquidations.append)
    result = await services.trading.execute_trade("buy", 10.0, M, services.account, leverage=20.0)
    assert result.success, result.message
    pos = await position(services, M)
    liq = margin.position_liquidation_price(pos, 0.025)
    guard = liq * 1.02
    sizes = []
    price = 100.0
    while price > liq - 1:
        price = round(price - 0.1, 2)
        await services.paper.push_tick(M, price)
        await settle(services)
        current = await position(services, M)
        sizes.append((price, current.size if current else 0.0))
        if current is None:
            break
    assert liquidations == []
    assert all(size == 10.0 for p, size in sizes if p > guard)
    reduced = [(p, s) for p, s in sizes if s == 5.0]
    assert reduced and reduced[0][0] <= guard  # first the guard halves the position...
    closed_at = sizes[-1][0]
    assert sizes[-1][1] == 0.0 and closed_at > liq  # ...then closes it, before the liquidation price
    rules = [d.rule for d in services.store.decisions.recent() if d.action != "none"]
    assert rules.count("liquidation_guard") == 2
    assert len(close_orders(services, M)) == 2
    assert any(a.level == "critical" and "Liquidation guard" in a.title for a in services.store.alerts.recent())
