"""execute_trade: refusals with every reason, routing, journaling and reconciliation of intents."""

from __future__ import annotations

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import Order, OrderRequest
from tests.services.conftest import configure


async def test_refusal_lists_every_reason_and_is_journaled(services):
    await configure(services, max_account_leverage=2.0, max_leverage=10.0)
    result = await services.trading.execute_trade("buy", 2000.0, "SOL-PERP", services.account, leverage=15.0)
    assert not result.success
    text = " | ".join(result.reasons)
    assert "leverage 15x refused" in text
    assert "required margin" in text and "free collateral" in text
    assert "account leverage after the trade" in text
    assert result.decision is not None and result.decision.account_leverage_after > 2.0
    [row] = services.store.orders.page(account=services.account)
    assert row.order.status is OrderStatus.REJECTED and "required margin" in row.order.reason
    assert await services.paper.positions(services.account) == []


async def test_bad_input_is_refused_with_the_field_named(services):
    cases = {
        ("buy", -1.0, "SOL-PERP"): "size",
        ("buy", 1.0, "DOGE-PERP"): "market",
        ("hold", 1.0, "SOL-PERP"): "side",
        ("buy", 0.001, "SOL-PERP"): "lot size",
    }
    for (action, amount, market), field in cases.items():
        result = await services.trading.execute_trade(action, amount, market, services.account)
        assert not result.success and field in result.message, result.message
    spot = await services.trading.execute_trade("buy", 1.0, "SOL/USDC", services.account, leverage=3.0)
    assert not spot.success and "spot market" in spot.message


async def test_default_leverage_from_settings_and_spot_at_1x(services):
    await configure(services, default_leverage=4.0)
    perp = await services.trading.execute_trade("buy", 1.0, "SOL-PERP", services.account)
    assert perp.success and perp.order.request.leverage == 4.0
    spot = await services.trading.execute_trade("buy", 1.0, "SOL/USDC", services.account)
    assert spot.success and spot.order.request.leverage == 1.0


async def test_reconcile_records_what_the_venue_has_and_fails_the_rest(services):
    store, account = services.store, services.account
    sent = OrderRequest(account, "SOL-PERP", "buy", 1.0, leverage=2.0, client_id="sent-before-crash")
    lost = OrderRequest(account, "SOL-PERP", "buy", 1.0, leverage=2.0, client_id="never-sent")
    for request in (sent, lost):
        store.orders.record_intent(Order(request, OrderStatus.INTENT), "paper")
    await services.paper.place_order(sent)  # the venue got it, then the app "crashed"
    settled = await services.trading.reconcile_intents()
    assert {o.client_id: o.status for o in settled} == {
        "sent-before-crash": OrderStatus.FILLED, "never-sent": OrderStatus.FAILED,
    }
    assert store.orders.pending_intents() == []
    assert await services.paper.order_by_client_id(account, "never-sent") is None  # never resent
