"""The remote-venue double's faults behave as a remote venue's do, and it never hides what really happened."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import OrderRequest
from grace_desktop.venues.base import RateLimited, VenueError, VenueTimeout
from grace_desktop.venues.events import FillReported
from tests.venues.remote_double import Fault, PartialFills, PriceStreamFault, RemoteDouble

DEADLINE = 0.2


@pytest.fixture
async def double() -> AsyncIterator[RemoteDouble]:
    venue = RemoteDouble(deadline=DEADLINE, slippage_bps=0.0)
    await venue.start()
    await venue.push_tick("SOL-PERP", 100.0)
    yield venue
    await venue.close()


def buy(venue: RemoteDouble, size: float = 1.0, **fields: Any) -> OrderRequest:
    return OrderRequest("acct", "SOL-PERP", "buy", size, leverage=2.0, client_id=venue.new_client_id(), **fields)


async def test_a_late_reply_times_out_at_the_deadline_and_the_order_is_found_by_client_id(
    double: RemoteDouble,
) -> None:
    double.set_fault("place_order", Fault(reply_after=2.0))
    order = buy(double)
    started = time.monotonic()
    with pytest.raises(VenueTimeout) as timed_out:
        await double.place_order(order)
    assert DEADLINE <= time.monotonic() - started < 1.5  # the adapter's deadline, not the venue's delay
    assert timed_out.value.retryable
    found = await double.order_by_client_id("acct", order.client_id)  # it acted before answering
    assert found is not None and found.status is OrderStatus.FILLED
    [position] = await double.positions("acct")
    assert position.size == 1.0
    assert double.place_calls[order.client_id] == 1


async def test_an_order_can_execute_after_the_call_timed_out(double: RemoteDouble) -> None:
    double.set_fault("place_order", Fault(act_after=2.0))
    events = double.events()
    order = buy(double)
    with pytest.raises(VenueTimeout):
        await double.place_order(order)
    assert await double.order_by_client_id("acct", order.client_id) is None  # not yet...
    assert await double.positions("acct") == []
    event = await asyncio.wait_for(anext(events), 5)  # ...then it fills
    assert isinstance(event, FillReported) and event.fill.client_id == order.client_id
    found = await double.order_by_client_id("acct", order.client_id)
    assert found is not None and found.status is OrderStatus.FILLED
    assert [f.client_id for f in await double.fills("acct")] == [order.client_id]


async def test_a_caller_cancelled_mid_call_does_not_stop_the_venue(double: RemoteDouble) -> None:
    double.set_fault("place_order", Fault(act_after=0.02))
    order = buy(double)
    call = asyncio.ensure_future(double.place_order(order))
    await asyncio.sleep(0.005)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    await double.settle()
    found = await double.order_by_client_id("acct", order.client_id)
    assert found is not None and found.status is OrderStatus.FILLED


async def test_a_lost_reply_acted(double: RemoteDouble) -> None:
    double.set_fault("place_order", Fault(lose_reply=True, times=1))
    events = double.events()
    order = buy(double)
    with pytest.raises(VenueTimeout, match="dropped"):
        await double.place_order(order)
    [fill] = await double.fills("acct")
    assert fill.client_id == order.client_id
    first = await asyncio.wait_for(anext(events), 1)
    assert isinstance(first, FillReported) and first.fill == fill
    found = await double.order_by_client_id("acct", order.client_id)
    assert found is not None and found.status is OrderStatus.FILLED
    # `times=1`: the next call answers normally.
    assert (await double.place_order(buy(double))).status is OrderStatus.FILLED


async def test_a_429_does_not_act_and_says_when_to_come_back(double: RemoteDouble) -> None:
    double.set_fault("place_order", Fault(rate_limit=1.5))
    order = buy(double)
    with pytest.raises(RateLimited) as limited:
        await double.place_order(order)
    assert limited.value.retry_after == 1.5 and limited.value.retryable
    await double.settle()
    assert await double.order_by_client_id("acct", order.client_id) is None
    assert await double.positions("acct") == [] and await double.fills("acct") == []
    assert double.place_calls[order.client_id] == 1  # received (and refused) once


async def test_every_call_kind_has_the_deadline(double: RemoteDouble) -> None:
    for kind, call in [
        ("positions", lambda: double.positions("acct")),
        ("portfolio", lambda: double.portfolio("acct")),
        ("open_orders", lambda: double.open_orders("acct")),
        ("fills", lambda: double.fills("acct")),
        ("order_by_client_id", lambda: double.order_by_client_id("acct", "1")),
        ("cancel_order", lambda: double.cancel_order("acct", "1")),
        ("markets", double.markets),
        ("health", double.health),
    ]:
        double.set_fault(kind, Fault(reply_after=1.0))
        with pytest.raises(VenueTimeout, match=kind):
            await call()
        double.set_fault(kind, None)
        await call()  # answers again once the fault is gone


async def test_client_ids_are_numeric_and_the_same_id_twice_is_the_first_order(double: RemoteDouble) -> None:
    ids = [double.new_client_id() for _ in range(100)]
    assert all(i.isdigit() for i in ids) and len(set(ids)) == 100
    order = buy(double)
    first = await double.place_order(order)
    again = await double.place_order(order)  # a re-send does not trade twice
    assert again == first and len(await double.fills("acct")) == 1
    assert double.place_calls[order.client_id] == 2


async def test_partial_fills_over_time_and_a_cancel_stops_the_rest() -> None:
    venue = RemoteDouble(deadline=1.0, slippage_bps=0.0, partial_fills=PartialFills(parts=4, interval=0.5))
    await venue.start()
    await venue.push_tick("SOL-PERP", 100.0)
    order = buy(venue, size=2.0)
    placed = await venue.place_order(order)
    assert placed.status is OrderStatus.PARTIALLY_FILLED and placed.filled_size == 0.5
    assert [o.client_id for o in await venue.open_orders("acct")] == [order.client_id]

    async def second_part() -> None:  # the cancel comes between the second part and the third
        while (await venue.order_by_client_id("acct", order.client_id)).filled_size < 1.0:  # type: ignore[union-attr]
            await asyncio.sleep(0.005)

    await asyncio.wait_for(second_part(), 5)
    assert await venue.cancel_order("acct", order.client_id) is True
    await venue.settle()
    final = await venue.order_by_client_id("acct", order.client_id)
    assert final is not None and final.status is OrderStatus.CANCELLED and final.filled_size == 1.0
    [position] = await venue.positions("acct")
    assert position.size == 1.0
    assert [f.fill_id for f in await venue.fills("acct")] == [f"{order.client_id}:1", f"{order.client_id}:2"]
    assert await venue.open_orders("acct") == []
    await venue.close()


async def test_the_rest_of_a_partial_fill_expires_when_it_can_no_longer_fill() -> None:
    venue = RemoteDouble(deadline=1.0, slippage_bps=0.0, partial_fills=PartialFills(parts=2, interval=0.02))
    await venue.start()
    await venue.push_tick("SOL-PERP", 100.0)
    opened = buy(venue, size=2.0)
    await venue.place_order(opened)
    await venue.settle()
    close = OrderRequest("acct", "SOL-PERP", "sell", 2.0, leverage=2.0, reduce_only=True,
                         client_id=venue.new_client_id())
    await venue.place_order(close)  # first half closes...
    await venue.place_order(OrderRequest("acct", "SOL-PERP", "sell", 1.0, leverage=2.0, reduce_only=True,
                                         client_id=venue.new_client_id()))  # ...someone closes the rest
    await venue.settle()
    final = await venue.order_by_client_id("acct", close.client_id)
    assert final is not None and final.status is OrderStatus.EXPIRED and final.filled_size == 1.0
    assert "reduce_only" in final.reason
    assert await venue.positions("acct") == []
    await venue.close()


async def test_a_price_stream_ends_or_fails_after_n_ticks(double: RemoteDouble) -> None:
    double.set_stream_fault(PriceStreamFault(after_ticks=2))
    ending = double.subscribe_prices(["SOL-PERP"])
    double.set_stream_fault(PriceStreamFault(after_ticks=3, error=True))
    failing = double.subscribe_prices(["SOL-PERP"])
    for price in (101.0, 102.0, 103.0, 104.0):
        await double.push_tick("SOL-PERP", price)
    assert [t.price async for t in ending] == [101.0, 102.0]
    got: list[float] = []
    with pytest.raises(VenueError, match="price stream"):
        async for tick in failing:
            got.append(tick.price)
    assert got == [101.0, 102.0, 103.0]


async def test_end_price_streams_now(double: RemoteDouble) -> None:
    quiet = double.subscribe_prices()
    loud = double.subscribe_prices()
    await double.push_tick("SOL-PERP", 101.0)
    reader = asyncio.ensure_future(anext(aiter(quiet)))
    assert (await reader).price == 101.0
    double.end_price_streams()
    assert [t async for t in quiet] == []
    fresh = double.subscribe_prices()
    await double.push_tick("SOL-PERP", 102.0)
    double.end_price_streams(error=True)
    assert (await anext(aiter(fresh))).price == 102.0  # what was delivered is still read...
    with pytest.raises(VenueError):  # ...then the failure
        await anext(aiter(fresh))
    assert [t.price async for t in loud] == [101.0]  # ended by the first call: read to its end, no error
