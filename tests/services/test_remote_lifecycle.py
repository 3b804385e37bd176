"""Issue 8, finding 1: a remote venue answers late or loses its reply; the order is never failed
while it may still execute, never sent twice, and what was attached to it still protects it.

Each test drives the real stack (build_services, SQLite in tmp_path, the paper engine inside
the remote double) and injects faults only at the venue's edge.
"""

from __future__ import annotations

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.services.trade_types import CONFIRMING, TradeConditions
from grace_desktop.storage import open_storage
from tests.services.conftest import configure, settle, wait_until
from tests.services.remote_stack import (
    DEADLINE,
    REMOTE,
    Recorder,
    make_double,
    remote_stack,
    row,
    start_services,
    status_is,
)
from tests.venues.remote_double import Fault

M = "SOL-PERP"


async def held(double, account: str, market: str = M) -> float:
    return sum(p.size for p in await double.positions(account) if p.market == market)


async def test_a_fill_after_the_deadline_is_filled_told_right_and_protected(tmp_path):
    async with remote_stack(tmp_path) as (services, double):
        seen = Recorder(services)
        await configure(services, auto_trading_enabled=True)
        # The venue takes the order only after the caller has given up waiting for it.
        double.set_fault("place_order", Fault(act_after=DEADLINE * 3, times=1))
        result = await services.trading.execute_trade(
            "buy", 2.0, M, services.account, leverage=2.0,
            conditions=TradeConditions(take_profit=110.0, stop_loss=95.0))
        client_id = result.order.client_id

        assert result.success, result.reasons
        assert result.message.startswith(CONFIRMING) and "not placed" not in result.message
        assert result.order.status is OrderStatus.UNKNOWN
        assert row(services, client_id).order.status is OrderStatus.UNKNOWN

        await wait_until(lambda: status_is(services, client_id, OrderStatus.FILLED), timeout=3)
        await settle(services)
        assert await held(double, services.account) == 2.0
        assert double.place_calls[client_id] == 1  # resolved by asking, never by sending again
        assert OrderStatus.FAILED not in seen.statuses(client_id)
        # The exits sent with it wait for its outcome, then protect the position.
        watch = services.monitor.watched(services.account, M, REMOTE)
        assert watch is not None
        assert watch.levels["take_profit"][0] == 110.0 and watch.levels["stop_loss"][0] == 95.0
        kinds = sorted(c.kind for c in services.store.conditions.armed(account=services.account, market=M))
        assert kinds == ["stop_loss", "take_profit"]

        # And they act: the stop closes it once, on the venue that holds it.
        await double.push_tick(M, 94.0)
        await settle(services)
        assert await held(double, services.account) == 0.0
        closes = [r for r in services.store.orders.page(account=services.account, market=M) if r.order.request.reduce_only]
        assert [(r.purpose, r.order.status) for r in closes] == [("stop_loss", OrderStatus.FILLED)]


async def test_a_lost_reply_is_unknown_then_resolved_in_the_background_and_never_resent(tmp_path):
    async with remote_stack(tmp_path) as (services, double):
        seen = Recorder(services)
        # The venue fills the order, the reply is lost, and the first look-up fails too.
        double.set_fault("place_order", Fault(lose_reply=True, times=1))
        double.set_fault("order_by_client_id", Fault(rate_limit=0.05, times=1))
        result = await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=2.0)
        client_id = result.order.client_id

        assert result.success and result.order.status is OrderStatus.UNKNOWN
        assert result.message.startswith(CONFIRMING)
        assert await held(double, services.account) == 1.0  # it did execute
        await wait_until(lambda: status_is(services, client_id, OrderStatus.FILLED), timeout=3)
        await settle(services)
        assert double.place_calls[client_id] == 1
        assert len(double.place_calls) == 1  # and nothing else was sent in its place
        assert OrderStatus.FAILED not in seen.statuses(client_id)
        # The round trip is journaled once: the fill reached the trade journal's ledger.
        [ledger] = services.store.ledger.all(REMOTE, services.account)
        assert ledger.size == 1.0


async def test_a_close_whose_look_up_also_fails_stays_unknown_until_resolved(tmp_path):
    async with remote_stack(tmp_path) as (services, double):
        seen = Recorder(services)
        assert (await services.trading.execute_trade("buy", 3.0, M, services.account, leverage=2.0)).success
        # The close lands late; every way of finding out fails for a while.
        double.set_fault("place_order", Fault(act_after=DEADLINE * 2, times=1))
        double.set_fault("order_by_client_id", Fault(rate_limit=0.05, times=3))
        closing = await services.trading.close_position(services.account, M, venue=REMOTE)
        client_id = closing.order.client_id
        double.set_fault("fills", Fault(rate_limit=0.05, times=2))
        double.set_fault("positions", Fault(rate_limit=0.05, times=1))

        assert closing.success and closing.order.status is OrderStatus.UNKNOWN
        assert closing.message.startswith(CONFIRMING) and "not placed" not in closing.message
        assert row(services, client_id).order.status is OrderStatus.UNKNOWN
        await wait_until(lambda: status_is(services, client_id, OrderStatus.FILLED), timeout=4)
        await settle(services)
        assert OrderStatus.FAILED not in seen.statuses(client_id)
        assert set(seen.statuses(client_id)) <= {OrderStatus.UNKNOWN, OrderStatus.FILLED}
        assert double.place_calls[client_id] == 1
        assert await held(double, services.account) == 0.0
        [trade] = services.store.trades.page(account=services.account)
        assert trade.size == 3.0 and trade.close_reason == "manual"


async def test_start_up_resolves_unknown_and_submitted_orders_not_only_intents(tmp_path):
    data_dir = tmp_path / "data"
    double = make_double(landing_window=30.0)
    # Run 1: an order whose reply never comes; the app goes down before the venue acts on it.
    store = open_storage(data_dir)
    services = await start_services(store, {REMOTE: double})
    account = services.account
    double.set_fault("place_order", Fault(act_after=DEADLINE * 3, times=1))
    sent = await services.trading.execute_trade("buy", 1.0, M, account, leverage=2.0)
    unknown_id = sent.order.client_id
    assert sent.order.status is OrderStatus.UNKNOWN
    # Down without closing the venue: a remote venue lives on after the app exits.
    services.journal.stop()
    await services.trading.orders.stop()
    await services.monitor.stop()
    await double.settle()  # the venue acts while nobody is listening
    assert row(services, unknown_id).order.status is OrderStatus.UNKNOWN

    # A second order the last run saw acknowledged ("submitted") before it went down; it filled since.
    from grace_desktop.domain.models import Order, OrderRequest

    request = OrderRequest(account, "ETH-PERP", "buy", 0.5, leverage=2.0, client_id=double.new_client_id())
    await store.write(store.orders.record_intent, Order(request, OrderStatus.INTENT, created_at=1.0), REMOTE,
                      purpose="manual")
    assert (await double.place_order(request)).status is OrderStatus.FILLED
    await store.write(store.orders.update, request.client_id, status=OrderStatus.SUBMITTED)
    store.close()

    # Run 2 on the same data dir: start-up asks the venue about both, sends nothing.
    store = open_storage(data_dir)
    services = await start_services(store, {REMOTE: double})
    try:
        await settle(services)
        assert status_is(services, unknown_id, OrderStatus.FILLED)
        assert status_is(services, request.client_id, OrderStatus.FILLED)
        assert store.orders.unresolved() == []
        assert double.place_calls[unknown_id] == 1 and double.place_calls[request.client_id] == 1
        assert {r.market: r.size for r in store.ledger.all(REMOTE, account)} == {M: 1.0, "ETH-PERP": 0.5}
        assert any(a.title == "Recovered orders" for a in store.alerts.recent())
    finally:
        await services.stop()
        store.close()


async def test_the_guards_reduce_under_a_timeout_never_exceeds_its_fraction(tmp_path):
    async with remote_stack(tmp_path) as (services, double):
        account = services.account
        settings = services.trading.settings(account).updated(
            auto_trading_enabled=True, liquidation_guard_enabled=True, liquidation_guard_reduce_fraction=0.5,
            liquidation_guard_buffer_pct=2.0)
        await services.trading.save_settings(account, settings)
        assert (await services.trading.execute_trade("buy", 10.0, M, account, leverage=10.0)).success
        await settle(services)
        guard = services.monitor.watched(account, M, REMOTE).levels["liquidation_guard"][0]

        # The reduce times out and lands after the caller gave up; ticks keep coming in the zone.
        double.set_fault("place_order", Fault(act_after=DEADLINE * 3, times=1))
        await double.push_tick(M, guard * 0.999)
        await wait_until(lambda: any(status_is(services, c, OrderStatus.UNKNOWN) for c in double.place_calls), timeout=2)
        [reduce_id] = [c for c in double.place_calls if status_is(services, c, OrderStatus.UNKNOWN)]
        for price in (guard * 0.998, guard * 0.997):
            await double.push_tick(M, price)
        await double.settle()  # the late request lands
        await wait_until(lambda: status_is(services, reduce_id, OrderStatus.FILLED), timeout=3)
        await settle(services)

        assert await held(double, account) == 5.0  # 10 lots -> 5: never 2.5, never 0
        reduces = [r for r in services.store.orders.page(account=account, market=M) if r.order.request.reduce_only]
        assert [(r.order.request.size, r.order.status, r.purpose) for r in reduces] == [
            (5.0, OrderStatus.FILLED, "liquidation_guard")]
        assert double.place_calls[reduce_id] == 1
