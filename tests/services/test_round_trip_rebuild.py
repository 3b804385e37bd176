"""Issue 8, finding 6: a fill can reach the venue but not the trade journal. At the next start-up the
round trips are rebuilt from the venue's fills, so the balance equals the journal's PnL, fees and funding.

Real stack: the embedded paper venue on the same SQLite file, as the app runs it.
"""

from __future__ import annotations

import asyncio

import pytest

from grace_desktop.domain.models import OrderRequest
from grace_desktop.services.container import Services, build_services
from grace_desktop.storage import Storage, open_storage
from grace_desktop.venues.paper import PaperVenue
from tests.services.conftest import START_PRICES, settle

M = "SOL-PERP"
START = 10_000.0


async def start(store: Storage) -> Services:
    services = await build_services(store, "paper", feed=None, sweep_interval=3600, retry_delays=(0.01, 0.02))
    for market, price in START_PRICES.items():
        await services.paper.push_tick(market, price)
    return services


def journal_balance(store: Storage, account: str) -> float:
    """What the journal says the balance is: start + round trips (PnL − fees) + funding − fees of what is open."""
    open_fees = sum(p.entry_fees for p in store.ledger.all("paper", account))
    return START + store.trades.net("paper", account) + store.funding.total("paper", account) - open_fees


async def test_fills_made_while_the_services_were_down_are_rebuilt_into_round_trips_at_start_up(tmp_path):
    store = open_storage(tmp_path)
    services = await start(store)
    account = services.account
    assert (await services.trading.execute_trade("buy", 2.0, M, account, leverage=2.0)).success
    await settle(services)
    await services.stop()

    # With the services down, the venue still trades: half the position is closed at a profit and
    # another market is opened (another client, or the last run's fills its journal never saw).
    venue = PaperVenue(store, feed=None)
    await venue.start()
    await venue.push_tick(M, 110.0)
    await venue.push_tick("ETH-PERP", 3_000.0)
    await venue.place_order(OrderRequest(account, M, "sell", 1.0, leverage=2.0, reduce_only=True,
                                         client_id="elsewhere-1"))
    await venue.place_order(OrderRequest(account, "ETH-PERP", "buy", 0.5, leverage=2.0, client_id="elsewhere-2"))
    balance = (await venue.portfolio(account)).balance
    await venue.close()
    assert store.trades.page(account=account) == []  # the journal has not seen any of it

    services = await start(store)
    try:
        [trade] = store.trades.page(account=account)
        assert (trade.market, trade.size) == (M, 1.0)
        assert (trade.entry_price, trade.exit_price) == (pytest.approx(100.0, rel=1e-3), pytest.approx(110.0, rel=1e-3))
        assert trade.realized_pnl == pytest.approx(10.0, rel=0.01)
        assert {p.market: p.size for p in store.ledger.all("paper", account)} == {M: 1.0, "ETH-PERP": 0.5}
        assert (await services.paper.portfolio(account)).balance == pytest.approx(balance)
        assert journal_balance(store, account) == pytest.approx(balance, abs=1e-9)
        # Start-up again finds nothing more to add: rebuilt once, never doubled.
        assert await services.journal.catch_up("paper", services.paper) == 0
        assert len(store.trades.page(account=account)) == 1
    finally:
        await services.stop()
        store.close()


async def test_a_fill_the_trade_journal_missed_while_running_is_rebuilt_at_the_next_start(tmp_path):
    store = open_storage(tmp_path)
    services = await start(store)
    account = services.account
    assert (await services.trading.execute_trade("buy", 3.0, M, account, leverage=2.0)).success
    await settle(services)
    # The journal's event consumer dies (as in a crash between the order journal and the trade journal).
    [consumer] = [t for t in asyncio.all_tasks() if t.get_name() == "events-paper"]
    consumer.cancel()
    await asyncio.gather(consumer, return_exceptions=True)
    await services.paper.push_tick(M, 95.0)
    closed = await services.trading.close_position(account, M)
    assert closed.success and closed.order.status.value == "filled"
    assert store.trades.page(account=account) == []  # the order is journaled, the round trip is not
    assert store.orders.get(closed.order.client_id).order.status.value == "filled"
    balance = (await services.paper.portfolio(account)).balance
    await services.stop()

    services = await start(store)
    try:
        [trade] = store.trades.page(account=account)
        assert (trade.size, trade.exit_price, trade.close_reason) == (3.0, pytest.approx(95.0, rel=1e-3), "manual")
        assert store.ledger.all("paper", account) == []
        assert journal_balance(store, account) == pytest.approx(balance, abs=1e-9)
    finally:
        await services.stop()
        store.close()
