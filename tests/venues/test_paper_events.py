"""The paper venue's typed events and its own history: liquidations, funding, restarts, no drops."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from grace_desktop.domain import margin
from grace_desktop.domain.enums import OrderStatus
from grace_desktop.storage import Storage
from grace_desktop.venues.events import FillReported, FundingPaid, Liquidated, OrderChanged, PositionChanged
from grace_desktop.venues.paper import PaperVenue
from tests.venues.helpers import Clock, place


def drain(subscription: Any) -> list[Any]:
    """What a subscription has buffered so far (the venue pushes synchronously, before the call returns)."""
    out = []
    while len(subscription):
        out.append(subscription._buffer.popleft())
    return out


async def test_liquidation_reports_its_fee_as_what_was_booked_beyond_the_price_pnl(
    venue: PaperVenue, store: Storage
) -> None:
    await venue.push_tick("BTC-PERP", 60_000.0)
    await place(venue, "BTC-PERP", "buy", 0.1, leverage=10, client_id="open")
    await place(venue, "BTC-PERP", "sell", 0.05, order_type="limit", price=70_000.0, reduce_only=True, client_id="tp")
    before = (await venue.portfolio("alice")).balance
    events = venue.events()
    await venue.push_tick("BTC-PERP", 55_000.0)
    seen = drain(events)
    kinds = [type(e).__name__ for e in seen]
    assert kinds == ["Liquidated", "PositionChanged", "OrderChanged"]
    liquidated, flat, cancelled = seen
    liq = margin.liquidation_price("long", 60_000.0, 10, 0.025)
    assert isinstance(liquidated, Liquidated) and liquidated.venue == "paper" and liquidated.mark == 55_000.0
    fill = liquidated.fill
    assert fill.liquidation and fill.price == pytest.approx(liq) and fill.fill_id == f"{fill.client_id}:1"
    price_pnl = 0.1 * (fill.price - 60_000.0)
    after = (await venue.portfolio("alice")).balance
    assert after - before - price_pnl == pytest.approx(-fill.fee)  # balance moved by price PnL minus the fee
    assert fill.fee == pytest.approx(0.0125 * 0.1 * liq)
    assert isinstance(cancelled, OrderChanged) and cancelled.order.client_id == "tp"
    assert cancelled.order.status is OrderStatus.CANCELLED
    assert flat == PositionChanged("paper", "alice", "BTC-PERP", None)
    # The venue's own history has the liquidation fill, saved with the change.
    assert [f.fill_id for f in await venue.fills("alice")] == ["open:1", fill.fill_id]
    assert [f.fill_id for f in store.paper.fills("alice")] == ["open:1", fill.fill_id]


async def test_funding_is_reported_with_a_unique_id_and_kept_across_restarts(
    make_venue: Callable[..., Any], clock: Clock
) -> None:
    venue = await make_venue(funding_interval_s=3600.0, index_halflife_s=600.0)
    await venue.push_tick("SOL-PERP", 100.0)
    await place(venue, "SOL-PERP", "buy", 10.0, leverage=5)
    events = venue.events()
    payments: list[FundingPaid] = []
    for hour in range(1, 4):
        clock.advance(3600)
        await venue.push_tick("SOL-PERP", 100.0 + 5 * hour)  # above its index: longs pay
        payments += [e for e in drain(events) if isinstance(e, FundingPaid)]
    assert len(payments) == 3 and len({p.funding_id for p in payments}) == 3
    assert all(p.amount < 0 and p.daily_rate > 0 and p.venue == "paper" for p in payments)
    [position] = await venue.positions("alice")
    assert position.realized_pnl == pytest.approx(-10 * 100 * 0.0004 + sum(p.amount for p in payments))
    assert await venue.funding("alice") == payments
    assert await venue.funding("alice", since=payments[1].ts) == payments[1:]
    await venue.close()

    again = await make_venue()
    assert await again.funding("alice") == payments
    assert len(await again.fills("alice")) == 1


async def test_each_subscription_gets_every_event_even_unread_and_all_end_on_close(venue: PaperVenue) -> None:
    slow, fast = venue.events(), venue.events()
    await venue.push_tick("SOL-PERP", 100.0)
    for i in range(300):
        await place(venue, "SOL-PERP", "buy" if i % 2 == 0 else "sell", 0.01, client_id=f"o{i}")
    got_fast = drain(fast)
    assert len(got_fast) == 600  # a FillReported and a PositionChanged per order
    assert [e.fill.fill_id for e in got_fast if isinstance(e, FillReported)] == [f"o{i}:1" for i in range(300)]
    assert len(slow) == 600  # nothing dropped for the reader that never read
    await venue.close()
    collected = [e async for e in slow]
    assert collected == got_fast
    assert [e async for e in venue.events()] == []  # subscribing after close: ends at once


async def test_a_reader_waiting_for_events_wakes_on_a_fill_and_on_close(venue: PaperVenue) -> None:
    await venue.push_tick("SOL-PERP", 100.0)
    subscription = venue.events()

    async def read() -> list[Any]:
        return [e async for e in subscription]

    reader = asyncio.ensure_future(read())
    await asyncio.sleep(0)
    await place(venue, "SOL-PERP", "buy", 1.0, client_id="x")
    await asyncio.sleep(0)
    await venue.close()
    events = await asyncio.wait_for(reader, 2)
    assert [type(e) for e in events] == [FillReported, PositionChanged]


async def test_without_a_store_the_history_is_kept_in_memory(clock: Clock) -> None:
    venue = PaperVenue(None, slippage_bps=0.0, clock=clock)
    await venue.start()
    await venue.push_tick("SOL-PERP", 100.0)
    await place(venue, "SOL-PERP", "buy", 1.0, client_id="a")
    clock.advance(10)
    await place(venue, "SOL-PERP", "sell", 1.0, client_id="b")
    assert [f.fill_id for f in await venue.fills("alice")] == ["a:1", "b:1"]
    assert [f.fill_id for f in await venue.fills("alice", since=clock.t)] == ["b:1"]
    assert await venue.fills("bob") == [] and await venue.funding("alice") == []
    ids = {venue.new_client_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(isinstance(i, str) and i for i in ids)
    await venue.close()


def test_history_is_saved_with_the_change_or_not_at_all(store: Storage) -> None:
    from grace_desktop.domain.models import Fill
    from grace_desktop.storage.paper import PaperFunding

    fill = Fill("c1", "SOL-PERP", "buy", 1.0, 100.0, 0.04, 10.0, fill_id="c1:1")
    paid = PaperFunding("f1", "alice", "SOL-PERP", -0.5, 0.01, 20.0)
    store.paper.save("alice", balance=999.0, fills=[fill], funding=[paid])
    with pytest.raises(Exception, match="UNIQUE|fill_id"):  # the same fill twice: the whole change is refused
        store.paper.save("alice", balance=1.0, fills=[fill])
    with pytest.raises(ValueError, match="funding"):  # someone else's funding
        store.paper.save("alice", balance=1.0, funding=[PaperFunding("f2", "bob", "SOL-PERP", 1.0, 0.0, 30.0)])
    assert store.paper.load("alice").balance == 999.0
    assert store.paper.fills("alice") == [fill] and store.paper.funding("alice") == [paid]
    assert store.paper.fills("alice", since=10.5) == [] and store.paper.funding("alice", since=20.0) == [paid]
    assert store.paper.fills("bob") == []
