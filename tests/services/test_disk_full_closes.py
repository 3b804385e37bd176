"""Issue 8, finding 7: with the disk full (a real SQLITE_FULL from max_page_count on the writer's
connection), a new trade is refused with the reason and a critical alert, yet a stop-loss close
is still sent and fills; when space returns, the close is journaled by the sweep.

The remote venue keeps its own books (not on this disk), as Mango or a router would.
"""

from __future__ import annotations

import itertools

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import Fill, Order, OrderRequest
from grace_desktop.services.container import Services
from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.storage import StorageFullError
from tests.services.conftest import configure, settle, wait_until
from tests.services.remote_stack import Recorder, remote_stack

M = "SOL-PERP"
_filler_ids = itertools.count()


async def fill_the_disk(services: Services) -> int:
    """Cap the file at its size, then fill the pages of the tables a close adds to (its order, its fill)
    until even the smallest row fails: those inserts fail as on a full disk. (An update in place
    still fits, which a really full disk would refuse too: the WAL cannot grow.)"""
    store = services.store

    def cap() -> None:
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages}").fetchone()

    def an_order(tag: str) -> None:
        request = OrderRequest(services.account, M, "buy", 1.0, client_id=tag)
        store.orders.record_intent(Order(request, OrderStatus.INTENT), "filler")

    def a_fill(tag: str) -> None:
        store.fills.record(Fill(tag, M, "buy", 1.0, 1.0, 0.0, 0.0, fill_id=tag), services.account, "filler")

    await store.write(cap)
    written = 0
    for write in (an_order, a_fill):
        for padding in (400, 100, 20, 0):  # rows no bigger than a real one's, so a real one cannot fit
            while True:
                try:
                    await store.write(write, f"f{next(_filler_ids)}{'x' * padding}")
                except StorageFullError:
                    break
                written += 1
                assert written < 10_000, "the cap did not take"
    return written


async def free_the_disk(services: Services) -> None:
    store = services.store
    await store.write(lambda: store.conn.execute("PRAGMA max_page_count = 1073741823").fetchone())


async def test_disk_full_refuses_new_trades_but_the_stop_loss_still_closes_and_is_journaled_later(tmp_path):
    async with remote_stack(tmp_path, sweep_interval=0.1) as (services, double):
        account, trading = services.account, services.trading
        seen = Recorder(services)
        await configure(services, auto_trading_enabled=True)
        opened = await trading.execute_trade("buy", 2.0, M, account, leverage=2.0,
                                             conditions=TradeConditions(stop_loss=95.0))
        assert opened.success and opened.order.status is OrderStatus.FILLED
        await settle(services)
        assert services.monitor.watched(account, M).levels["stop_loss"][0] == 95.0
        [stop] = services.store.conditions.armed(account=account)

        await fill_the_disk(services)
        refused = await trading.execute_trade("buy", 1.0, "ETH-PERP", account, leverage=2.0)
        assert not refused.success
        assert "journal could not record the order" in refused.message and "no space left" in refused.message
        assert refused.order is not None and refused.order.status is OrderStatus.REJECTED
        full = seen.titled("Disk full")
        assert full and full[0].alert.level == "critical"
        assert (await double.positions(account))[0].market == M  # nothing new was sent
        assert len(double.place_calls) == 1

        # The stop is crossed while the disk is still full: the close goes out anyway, and fills.
        await double.push_tick(M, 94.0)
        await wait_until(lambda: len(double.place_calls) == 2)
        [close_id] = [c for c in double.place_calls if c != opened.order.client_id]
        await wait_until(lambda: any(e.order.client_id == close_id and e.order.status is OrderStatus.FILLED
                                     for e in seen.orders))
        assert await double.positions(account) == []
        assert services.store.orders.get(close_id) is None  # no room to journal it yet
        assert any("sending the stop_loss close anyway" in a.alert.text for a in seen.titled("Disk full"))

        # Space returns, and the user trades again at once, before the journal has caught up.
        await double.push_tick(M, 94.5)
        await free_the_disk(services)
        assert (await trading.execute_trade("buy", 1.0, M, account, leverage=2.0)).success

        # The sweep journals the close, as it went: a filled stop-loss.
        await wait_until(lambda: services.store.orders.get(close_id) is not None
                         and services.store.orders.get(close_id).order.status is OrderStatus.FILLED, timeout=15)
        record = services.store.orders.get(close_id)
        assert record.purpose == "stop_loss" and record.venue == "remote" and record.order.request.reduce_only
        assert record.order.filled_size == 2.0
        assert double.place_calls[close_id] == 1

        # The fill the journal had no room for is read back from the venue, in order with the new one:
        # the round trip is the old position's, named by the rule that fired; the ledger holds the new one.
        def round_trip():
            return services.store.trades.page(account=account, market=M)

        await wait_until(lambda: len(round_trip()) == 1, timeout=15)  # the journal retries at 0.2, 0.5, 1, 2, 5 s
        await settle(services)
        [trade] = round_trip()
        assert (trade.close_reason, trade.size, trade.entry_price, trade.exit_price) == ("stop_loss", 2.0, 100.0, 94.0)
        assert [(p.size, p.entry_price) for p in services.store.ledger.all("remote", account)] == [(1.0, 94.5)]
        # The old position's stop ended with it (fired with the fill, or cancelled by the monitor when the
        # position went: an update in place still fits under max_page_count; a really full disk refuses it too).
        assert services.store.conditions.get(stop.id).status in ("fired", "cancelled")
        assert services.store.conditions.armed(account=account) == []
        # So the new position does not inherit the old position's stop.
        assert "stop_loss" not in services.monitor.watched(account, M).levels
        await double.push_tick(M, 93.0)
        await settle(services)
        assert [p.size for p in await double.positions(account)] == [1.0]
