"""The Venue contract: what every venue adapter does, whatever it talks to (see harness.VENUES)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from grace_desktop.domain.enums import OrderStatus, OrderType, Side
from grace_desktop.domain.models import OrderRequest
from grace_desktop.venues.base import Capability, OrderRejected, Tick, Venue, VenueError
from grace_desktop.venues.events import FillReported, OrderChanged, PositionChanged
from tests.venues.contract.harness import Harness

requires = pytest.mark.requires


async def read_until(events: Any, done: Callable[[list[Any]], bool], timeout: float = 5.0) -> list[Any]:
    """Events from a subscription until `done(seen)` holds (a TimeoutError if it never does)."""
    seen: list[Any] = []

    async def read() -> None:
        async for event in events:
            seen.append(event)
            if done(seen):
                return
        raise AssertionError(f"the event stream ended before the expected events; saw {seen}")

    await asyncio.wait_for(read(), timeout)
    return seen


def fills_of(seen: list[Any], client_id: str) -> list[FillReported]:
    return [e for e in seen if isinstance(e, FillReported) and e.fill.client_id == client_id]


def filled(size: float, client_id: str) -> Callable[[list[Any]], bool]:
    """`done` for read_until: the order's fills add up to `size` and a position change followed the last."""

    def done(seen: list[Any]) -> bool:
        mine = fills_of(seen, client_id)
        total = sum(e.fill.size for e in mine)
        return total >= size - 1e-9 and isinstance(seen[-1], PositionChanged)

    return done


def request(h: Harness, market: str, side: str, client_id: str, **fields: Any) -> OrderRequest:
    fields.setdefault("leverage", 2.0 if market == h.perp else 1.0)
    return OrderRequest(h.account, market, side, fields.pop("size", h.size), client_id=client_id, **fields)


async def test_the_venue_satisfies_the_protocol(harness: Harness) -> None:
    venue = harness.venue
    assert isinstance(venue, Venue)
    assert isinstance(venue.capabilities, frozenset) and venue.capabilities
    assert all(isinstance(c, Capability) for c in venue.capabilities)
    assert (await venue.health()).ok
    markets = await venue.markets()
    for capability, market in ((Capability.PERP, harness.perp), (Capability.SPOT, harness.spot)):
        if capability in venue.capabilities:
            assert market in markets and markets[market].is_perp is (capability is Capability.PERP)


async def test_client_ids_are_fresh_strings_in_the_venue_format(harness: Harness) -> None:
    ids = [harness.venue.new_client_id() for _ in range(500)]
    assert len(set(ids)) == 500 and all(isinstance(i, str) and i.strip() for i in ids)


@pytest.mark.parametrize("kind", [pytest.param("perp", marks=requires(Capability.PERP)),
                                  pytest.param("spot", marks=requires(Capability.SPOT))])
async def test_a_market_order_fills_and_shows_everywhere(harness: Harness, kind: str) -> None:
    venue, account = harness.venue, harness.account
    market = harness.perp if kind == "perp" else harness.spot
    events = venue.events()
    balance = (await venue.portfolio(account)).balance
    cid = venue.new_client_id()
    await venue.place_order(request(harness, market, "buy", cid))
    order = await harness.wait_final(cid)
    assert order.status is OrderStatus.FILLED and order.filled_size == pytest.approx(harness.size)
    assert order.client_id == cid and order.avg_fill_price == pytest.approx(harness.prices[market], rel=0.01)

    [position] = [p for p in await venue.positions(account) if p.market == market]
    assert position.side is Side.LONG and position.size == pytest.approx(harness.size)
    portfolio = await venue.portfolio(account)
    assert portfolio.position(market) == position and portfolio.balance < balance  # it paid fees

    fills = [f for f in await venue.fills(account) if f.client_id == cid]
    assert fills and sum(f.size for f in fills) == pytest.approx(harness.size)
    assert all(f.fill_id for f in fills) and len({f.fill_id for f in fills}) == len(fills)
    seen = await read_until(events, filled(harness.size, cid))
    assert [e.fill for e in fills_of(seen, cid)] == fills
    assert all(e.venue == venue.name and e.account == account for e in seen)
    last = [e for e in seen if isinstance(e, PositionChanged) and e.market == market][-1]
    assert last.position == position
    assert await venue.order_by_client_id(account, cid) == order
    assert await venue.order_by_client_id("someone-else", cid) is None
    assert await venue.order_by_client_id(account, venue.new_client_id()) is None


@requires(Capability.PERP)
async def test_a_reduce_only_close_goes_flat(harness: Harness) -> None:
    venue, account, market = harness.venue, harness.account, harness.perp
    opened = venue.new_client_id()
    await venue.place_order(request(harness, market, "sell", opened))
    await harness.wait_final(opened)
    [position] = await venue.positions(account)
    assert position.side is Side.SHORT
    events = venue.events()
    closing = venue.new_client_id()
    await venue.place_order(request(harness, market, "buy", closing, size=position.size, reduce_only=True))
    assert (await harness.wait_final(closing)).status is OrderStatus.FILLED
    assert await venue.positions(account) == []
    seen = await read_until(events, lambda s: isinstance(s[-1], PositionChanged) and s[-1].position is None)
    assert sum(e.fill.size for e in fills_of(seen, closing)) == pytest.approx(position.size)
    with pytest.raises(OrderRejected):  # nothing left to reduce
        await venue.place_order(request(harness, market, "buy", venue.new_client_id(), reduce_only=True))


@requires(Capability.PERP, Capability.RESTING_ORDERS)
async def test_a_limit_away_from_the_market_rests(harness: Harness) -> None:
    venue, account, market = harness.venue, harness.account, harness.perp
    events = venue.events()
    cid = venue.new_client_id()
    price = harness.prices[market] * 0.9
    placed = await venue.place_order(request(harness, market, "buy", cid, order_type=OrderType.LIMIT, price=price))
    assert placed.status is OrderStatus.OPEN and placed.filled_size == 0
    assert [o.client_id for o in await venue.open_orders(account)] == [cid]
    [changed] = await read_until(events, lambda s: True)
    assert isinstance(changed, OrderChanged) and changed.order.status is OrderStatus.OPEN
    assert changed.order.client_id == cid and changed.venue == venue.name
    assert await venue.positions(account) == []
    found = await venue.order_by_client_id(account, cid)
    assert found is not None and found.status is OrderStatus.OPEN


@requires(Capability.PERP, Capability.RESTING_ORDERS, Capability.CANCEL)
async def test_a_resting_limit_cancels(harness: Harness) -> None:
    venue, account, market = harness.venue, harness.account, harness.perp
    cid = venue.new_client_id()
    price = harness.prices[market] * 1.1
    await venue.place_order(request(harness, market, "sell", cid, order_type=OrderType.LIMIT, price=price))
    events = venue.events()
    assert await venue.cancel_order(account, cid) is True
    [changed] = await read_until(events, lambda s: True)
    assert isinstance(changed, OrderChanged) and changed.order.status is OrderStatus.CANCELLED
    assert await venue.open_orders(account) == []
    found = await venue.order_by_client_id(account, cid)
    assert found is not None and found.status is OrderStatus.CANCELLED
    assert await venue.cancel_order(account, cid) is False  # already final
    assert await venue.cancel_order(account, venue.new_client_id()) is False  # unknown
    await harness.set_price(market, price * 1.05)  # crossing it now fills nothing
    assert await venue.positions(account) == []


@requires(Capability.PERP, Capability.PARTIAL_FILLS)
async def test_an_order_filled_in_parts_reports_each_part(harness: Harness) -> None:
    venue, account, market = harness.venue, harness.account, harness.perp
    events = venue.events()
    cid = venue.new_client_id()
    first = await venue.place_order(request(harness, market, "buy", cid))
    assert first.status in (OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED)
    seen = await read_until(events, filled(harness.size, cid))
    parts = fills_of(seen, cid)
    assert len(parts) >= 2
    assert [e.order.status for e in parts] == [OrderStatus.PARTIALLY_FILLED] * (len(parts) - 1) + [OrderStatus.FILLED]
    sizes = [e.order.filled_size for e in parts]
    assert sizes == sorted(sizes) and sizes[-1] == pytest.approx(harness.size)
    assert len({e.fill.fill_id for e in parts}) == len(parts)
    order = await harness.wait_final(cid)
    assert order.status is OrderStatus.FILLED and order.filled_size == pytest.approx(harness.size)
    assert [f.fill_id for f in await venue.fills(account) if f.client_id == cid] == [e.fill.fill_id for e in parts]
    [position] = await venue.positions(account)
    assert position.size == pytest.approx(harness.size)


async def test_an_unknown_market_or_a_bad_size_is_rejected_and_changes_nothing(harness: Harness) -> None:
    venue, account = harness.venue, harness.account
    market = harness.perp if Capability.PERP in venue.capabilities else harness.spot
    lot = (await venue.markets())[market].lot_size
    before = await venue.portfolio(account)
    bad = [
        request(harness, "NO-SUCH-MARKET", "buy", venue.new_client_id(), leverage=1.0),
        request(harness, market, "buy", venue.new_client_id(), size=lot * 1.5),
    ]
    for order in bad:
        with pytest.raises(OrderRejected) as refused:
            await venue.place_order(order)
        assert str(refused.value).split(":")[0] in ("market", "size")
        assert await venue.order_by_client_id(account, order.client_id) is None
    assert await venue.portfolio(account) == before
    assert await venue.fills(account) == []


async def test_ticks_carry_the_venue(harness: Harness) -> None:
    venue = harness.venue
    market = harness.perp if Capability.PERP in venue.capabilities else harness.spot
    prices = venue.subscribe_prices([market])
    await harness.set_price(market, harness.prices[market] * 1.01)

    async def moved() -> Tick:
        # A venue may first hand a new subscriber the last price it had (the spot venue does, so a
        # late subscriber is not left without a mark until the next change): the moved price follows.
        async for tick in prices:
            if tick.price != pytest.approx(harness.prices[market]):
                return tick
        raise AssertionError("the price stream ended")

    tick = await asyncio.wait_for(moved(), harness.timeout)
    assert tick.market == market and tick.venue == venue.name
    assert tick.price == pytest.approx(harness.prices[market] * 1.01)
    assert venue.last_price(market) == pytest.approx(tick.price)


async def test_a_closed_venue_refuses_calls_and_ends_its_streams(harness: Harness) -> None:
    venue, account = harness.venue, harness.account
    market = harness.perp if Capability.PERP in venue.capabilities else harness.spot
    events = venue.events()
    prices = venue.subscribe_prices([market])
    reader = asyncio.ensure_future(read_until(events, lambda s: False, timeout=harness.timeout))
    await asyncio.sleep(0.01)
    await venue.close()
    with pytest.raises(AssertionError, match="stream ended"):  # the waiting reader was let go
        await reader
    assert [e async for e in venue.events()] == []
    # The stream ends; at most the last price handed over when it was opened is still buffered.
    assert [t.price for t in [t async for t in prices]] in ([], [pytest.approx(harness.prices[market])])
    calls: list[Any] = [
        lambda: venue.place_order(request(harness, market, "buy", venue.new_client_id())),
        lambda: venue.positions(account),
        lambda: venue.portfolio(account),
        lambda: venue.open_orders(account),
        lambda: venue.fills(account),
        lambda: venue.order_by_client_id(account, "x"),
    ]
    for call in calls:
        with pytest.raises(VenueError):
            await call()
    try:  # health may answer (not ok) or refuse like any other call
        assert not (await venue.health()).ok
    except VenueError:
        pass
