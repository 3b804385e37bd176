"""Exits sent with a trade are stored with its intent and follow the order's outcome, crash or not."""

from __future__ import annotations

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import Order, OrderRequest
from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.storage.records import ConditionRecord
from grace_desktop.venues.base import OrderRejected
from tests.services.conftest import configure, settle

M = "SOL-PERP"


def armed(services, kind):
    return [c for c in services.store.conditions.armed(account=services.account, market=M) if c.kind == kind]


async def test_a_refused_order_does_not_strip_the_position_of_its_stop(services):
    await configure(services, auto_trading_enabled=True)
    first = await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=2.0,
                                                 conditions=TradeConditions(stop_loss=95.0))
    assert first.success
    real = services.paper.place_order

    async def refuse(request):
        raise OrderRejected("market halted (injected)")

    services.paper.place_order = refuse
    second = await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=2.0,
                                                  conditions=TradeConditions(stop_loss=90.0))
    services.paper.place_order = real
    assert not second.success and "halted" in second.message
    assert [c.params["price"] for c in armed(services, "stop_loss")] == [95.0]
    assert services.monitor.watched(services.account, M).levels["stop_loss"][0] == 95.0


async def test_a_filled_order_replaces_older_exits_of_the_same_kind(services):
    await configure(services, auto_trading_enabled=True)
    await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=2.0,
                                         conditions=TradeConditions(stop_loss=95.0, take_profit=120.0))
    await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=2.0,
                                         conditions=TradeConditions(stop_loss=97.0))
    assert [c.params["price"] for c in armed(services, "stop_loss")] == [97.0]
    assert [c.params["price"] for c in armed(services, "take_profit")] == [120.0]  # other kinds stay


async def test_exits_staged_before_a_crash_follow_the_reconciled_outcome(services):
    store, account = services.store, services.account
    sent = OrderRequest(account, M, "buy", 1.0, leverage=2.0, client_id="filled-then-crash")
    lost = OrderRequest(account, "ETH-PERP", "buy", 0.1, leverage=2.0, client_id="crash-before-send")
    for request, stop in ((sent, 95.0), (lost, 2_900.0)):  # what OrderLifecycle.send writes before sending
        store.orders.record_intent(Order(request, OrderStatus.INTENT), "paper")
        store.conditions.add(ConditionRecord(account, request.market, "stop_loss",
                                             {"price": stop, "percent": None, "client_id": request.client_id},
                                             created_at=0.0, venue="paper"))
    await services.paper.place_order(sent)  # the venue filled it; the app died before recording that
    await services.trading.reconcile_intents()
    await settle(services)
    assert [c.params["price"] for c in armed(services, "stop_loss")] == [95.0]
    assert store.conditions.armed(account=account, market="ETH-PERP") == []
    assert services.monitor.watched(account, M).levels["stop_loss"][0] == 95.0
