"""Resting limit orders (fill only when crossed, maker fee), cancels, and periodic funding."""

from __future__ import annotations

import math

import pytest

from grace_desktop.domain import funding
from grace_desktop.domain.enums import OrderStatus, Side
from grace_desktop.storage import Storage
from grace_desktop.venues.base import OrderRejected
from grace_desktop.venues.paper import PaperVenue
from grace_desktop.venues.paper.events import FillEvent, FundingEvent, OrderEvent
from tests.venues.helpers import Clock, place


async def test_buy_limit_fills_only_when_crossed_at_its_price_with_rebate(venue: PaperVenue, store: Storage) -> None:
    fills: list[FillEvent] = []
    venue.add_fill_listener(fills.append)
    await venue.push_tick("BTC-PERP", 60_000.0)
    resting = await place(venue, "BTC-PERP", "buy", 0.1, leverage=10, order_type="limit", price=59_000.0,
                          client_id="bid-1")
    assert resting.status is OrderStatus.OPEN and resting.filled_size == 0
    assert [o.client_id for o in await venue.open_orders("alice")] == ["bid-1"]
    assert store.paper.order("bid-1") == resting  # accepted orders are persisted while they rest

    for price in (59_500.0, 59_000.1, 61_000.0):
        await venue.push_tick("BTC-PERP", price)
    assert await venue.positions("alice") == [] and fills == []

    await venue.push_tick("BTC-PERP", 58_900.0)  # gaps through the bid: filled at the bid, as a maker
    [pos] = await venue.positions("alice")
    assert pos.entry_price == 59_000.0 and pos.size == 0.1 and pos.collateral == pytest.approx(590.0)
    assert (await venue.portfolio("alice")).balance == pytest.approx(10_000 + 5_900 * 0.0003)  # maker rebate
    [event] = fills
    assert event.reason == "limit" and event.fill.maker and event.fill.fee == pytest.approx(-1.77)
    final = await venue.order_by_client_id("alice", "bid-1")
    assert final is not None and final.status is OrderStatus.FILLED and final.avg_fill_price == 59_000.0
    assert await venue.open_orders("alice") == []
    stored = store.paper.order("bid-1")
    assert stored is not None and stored.status is OrderStatus.FILLED


async def test_sell_limit_at_exact_price_fills(venue: PaperVenue) -> None:
    await venue.push_tick("SOL-PERP", 100.0)
    await place(venue, "SOL-PERP", "sell", 5.0, leverage=5, order_type="limit", price=105.0)
    await venue.push_tick("SOL-PERP", 104.99)
    assert await venue.positions("alice") == []
    await venue.push_tick("SOL-PERP", 105.0)
    [pos] = await venue.positions("alice")
    assert pos.side is Side.SHORT and pos.entry_price == 105.0


async def test_marketable_limit_fills_now_as_taker_no_worse_than_its_price(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = await make_venue(slippage_bps=50.0)
    await venue.push_tick("SOL-PERP", 100.0)
    order = await place(venue, "SOL-PERP", "buy", 1.0, order_type="limit", price=100.2)
    assert order.status is OrderStatus.FILLED and order.avg_fill_price == 100.2  # slipped 100.5 capped at the limit
    assert (await venue.portfolio("alice")).balance == pytest.approx(10_000 - 100.2 * 0.0004)


async def test_cancelled_limit_never_fills(venue: PaperVenue, store: Storage) -> None:
    events: list[OrderEvent] = []
    venue.add_order_listener(events.append)
    await venue.push_tick("ETH-PERP", 3_000.0)
    await place(venue, "ETH-PERP", "buy", 1.0, order_type="limit", price=2_900.0, client_id="e1")
    assert await venue.cancel_order("alice", "e1") is True
    assert await venue.cancel_order("alice", "e1") is False  # already final
    assert await venue.cancel_order("bob", "nope") is False
    await venue.push_tick("ETH-PERP", 2_800.0)
    assert await venue.positions("alice") == []
    stored = store.paper.order("e1")
    assert stored is not None and stored.status is OrderStatus.CANCELLED
    assert [e.order.status for e in events] == [OrderStatus.OPEN, OrderStatus.CANCELLED]


async def test_reduce_only_take_profit_limit_and_its_cancel_when_flat(venue: PaperVenue) -> None:
    fills: list[FillEvent] = []
    cancels: list[OrderEvent] = []
    venue.add_fill_listener(fills.append)
    venue.add_order_listener(cancels.append)
    await venue.push_tick("SOL-PERP", 100.0)
    await place(venue, "SOL-PERP", "buy", 10.0, leverage=5)
    await place(venue, "SOL-PERP", "sell", 4.0, order_type="limit", price=110.0, reduce_only=True, client_id="tp")
    await place(venue, "SOL-PERP", "sell", 6.0, order_type="limit", price=120.0, reduce_only=True, client_id="tp2")
    await venue.push_tick("SOL-PERP", 110.0)
    [pos] = await venue.positions("alice")
    assert pos.size == pytest.approx(6.0)
    closed = fills[-1].closed
    assert closed is not None and closed.reason == "limit" and closed.realized_pnl == pytest.approx(40.0)
    await place(venue, "SOL-PERP", "sell", 6.0)  # closed by hand: the second TP has nothing left to reduce
    await venue.push_tick("SOL-PERP", 121.0)
    assert await venue.positions("alice") == []
    tp2 = await venue.order_by_client_id("alice", "tp2")
    assert tp2 is not None and tp2.status is OrderStatus.CANCELLED and "no SOL-PERP position" in tp2.reason
    assert cancels[-1].order.client_id == "tp2"


async def test_resting_orders_hold_margin(venue: PaperVenue) -> None:
    await venue.push_tick("BTC-PERP", 60_000.0)
    await place(venue, "BTC-PERP", "buy", 1.0, leverage=10, order_type="limit", price=50_000.0)  # holds 5,000 + fee
    with pytest.raises(OrderRejected, match="collateral: insufficient.*other open orders"):
        await place(venue, "BTC-PERP", "buy", 1.0, leverage=10, order_type="limit", price=55_000.0)
    with pytest.raises(OrderRejected, match="collateral: insufficient"):
        await place(venue, "BTC-PERP", "buy", 0.1, leverage=1)  # 6,000 > what the bid leaves free


async def test_funding_long_pays_short_receives_and_is_booked(make_venue, clock: Clock, store: Storage) -> None:  # type: ignore[no-untyped-def]
    venue = await make_venue(funding_interval_s=60.0, index_halflife_s=600.0)
    events: list[FundingEvent] = []
    venue.add_funding_listener(events.append)
    t0 = clock.t
    await venue.push_tick("SOL-PERP", 100.0, ts=t0)
    await place(venue, "SOL-PERP", "buy", 10.0, account="long", leverage=5)
    await place(venue, "SOL-PERP", "sell", 10.0, account="short", leverage=5)
    await venue.push_tick("SOL-PERP", 100.5, ts=t0 + 30)
    assert events == []  # not due yet
    await venue.push_tick("SOL-PERP", 100.5, ts=t0 + 60)

    keep = 2 ** (-30 / 600)  # EWMA index: half-life 600 s, ticks 30 s apart
    index = 100.0
    for _ in range(2):
        index = index * keep + 100.5 * (1 - keep)
    rate = 100.5 / index - 1
    assert 0 < rate < 0.05 and venue.index_price("SOL-PERP") == pytest.approx(index)
    assert venue.funding_rate("SOL-PERP") == pytest.approx(rate)
    paid = 10 * index * rate * 60 / 86_400
    by_account = {e.account: e for e in events}
    assert by_account["long"].amount == pytest.approx(-paid) and by_account["short"].amount == pytest.approx(paid)
    assert by_account["long"].daily_rate == pytest.approx(rate) and by_account["long"].elapsed_s == 60
    fee = 1000 * 0.0004
    assert (await venue.portfolio("long")).balance == pytest.approx(10_000 - fee - paid)
    assert (await venue.portfolio("short")).balance == pytest.approx(10_000 - fee + paid)
    [long_pos] = await venue.positions("long")
    assert long_pos.realized_pnl == pytest.approx(-fee - paid)
    assert long_pos.collateral == pytest.approx(200.0)  # funding never moves the liquidation price
    assert store.paper.load("long").balance == pytest.approx(10_000 - fee - paid)  # persisted

    await venue.push_tick("SOL-PERP", 100.5, ts=t0 + 90)
    assert len(events) == 2  # next payment only after another full interval


async def test_funding_rate_is_capped_at_5_percent_a_day(make_venue, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    venue = await make_venue(funding_interval_s=3_600.0, index_halflife_s=7_200.0)
    events: list[FundingEvent] = []
    venue.add_funding_listener(events.append)
    await venue.push_tick("ETH-PERP", 3_000.0, ts=clock.t)
    await place(venue, "ETH-PERP", "sell", 1.0, leverage=2)
    await venue.push_tick("ETH-PERP", 3_600.0, ts=clock.t + 3_600)  # +20 % against a lagging index
    [event] = events
    assert event.daily_rate == funding.MAX_DAILY_RATE
    assert event.amount == pytest.approx(1.0 * venue.index_price("ETH-PERP") * 0.05 * 3_600 / 86_400)
    assert math.isclose(funding.premium_rate(90.0, 100.0), -0.05)
