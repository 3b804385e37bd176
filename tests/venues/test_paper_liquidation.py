"""The liquidation engine fires exactly where domain.margin says, and nowhere else."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grace_desktop.domain import margin
from grace_desktop.domain.enums import OrderStatus, Side
from grace_desktop.domain.models import Position
from grace_desktop.storage import Storage
from grace_desktop.venues.base import OrderRejected, Tick
from grace_desktop.venues.paper import PaperVenue
from grace_desktop.venues.paper.events import FillEvent, LiquidationEvent
from grace_desktop.venues.paper.markets import DEFAULT_MARKETS
from tests.venues.helpers import Clock, place


async def test_long_liquidated_at_the_ticket_price_and_reported(venue: PaperVenue, store: Storage) -> None:
    liquidations: list[LiquidationEvent] = []
    fills: list[FillEvent] = []
    seen_by_tick_listener: list[tuple[Tick, list[Position]]] = []
    venue.add_liquidation_listener(liquidations.append)
    venue.add_fill_listener(fills.append)
    await venue.push_tick("BTC-PERP", 60_000.0)
    await place(venue, "BTC-PERP", "buy", 0.1, leverage=10)
    await place(venue, "BTC-PERP", "sell", 0.05, leverage=10, order_type="limit", price=70_000.0,
                reduce_only=True, client_id="tp")
    liq = margin.liquidation_price("long", 60_000.0, 10, 0.025)
    venue.add_tick_listener(
        lambda tick: seen_by_tick_listener.append((tick, list(venue._engine.state("alice").positions.values())))
    )

    await venue.push_tick("BTC-PERP", liq + 0.1)
    assert len(await venue.positions("alice")) == 1 and liquidations == []
    await venue.push_tick("BTC-PERP", 55_000.0)  # crosses 55,384.6
    assert await venue.positions("alice") == []
    [event] = liquidations
    assert event.liquidation_price == pytest.approx(liq, rel=1e-12) and event.mark == 55_000.0
    assert event.side is Side.LONG and event.size == 0.1 and event.collateral == pytest.approx(600.0)
    # Closed at the liquidation price: equity there is exactly the maintenance margin, minus the 1.25 % fee.
    assert event.realized_pnl == pytest.approx(0.1 * (liq - 60_000.0))
    assert 600.0 + event.realized_pnl == pytest.approx(0.025 * 0.1 * liq)
    assert event.liquidation_fee == pytest.approx(0.0125 * 0.1 * liq)
    assert event.balance == pytest.approx(10_000 - 2.4 + event.realized_pnl - event.liquidation_fee)
    assert event.closed.reason == "liquidation" and event.closed.fully_closed
    assert event.order.status is OrderStatus.FILLED and event.order.request.reduce_only
    assert event.fill.liquidation and event.fill.price == event.liquidation_price
    assert len(fills) == 1  # the open; a liquidation is reported to liquidation listeners only
    # The tick listener ran after the venue applied the tick: the position was already gone.
    assert seen_by_tick_listener[-1] == (Tick("BTC-PERP", 55_000.0, event.ts, "paper"), [])

    tp = await venue.order_by_client_id("alice", "tp")
    assert tp is not None and tp.status is OrderStatus.CANCELLED and "liquidated" in tp.reason
    stored = store.paper.load("alice")
    assert stored.positions == [] and stored.balance == pytest.approx(event.balance)
    assert store.paper.order(event.order.client_id) == event.order  # journaled like any order


async def test_short_liquidated_when_mark_rises_to_it(venue: PaperVenue) -> None:
    await venue.push_tick("SOL-PERP", 100.0)
    await place(venue, "SOL-PERP", "sell", 10.0, leverage=20)
    liq = margin.liquidation_price("short", 100.0, 20, 0.025)
    assert liq == pytest.approx(100 * 1.05 / 1.025)
    await venue.push_tick("SOL-PERP", 102.43)
    assert len(await venue.positions("alice")) == 1
    await venue.push_tick("SOL-PERP", round(liq, 2) + 0.01)
    assert await venue.positions("alice") == []


async def test_a_limit_add_in_the_same_tick_counts_for_liquidation(venue: PaperVenue) -> None:
    """A resting add fills and moves the liquidation price up; the same tick then liquidates."""
    liquidations: list[LiquidationEvent] = []
    venue.add_liquidation_listener(liquidations.append)
    await venue.push_tick("SOL-PERP", 100.0)
    await place(venue, "SOL-PERP", "buy", 1.0, leverage=2)  # liq far below (about 51.3)
    await place(venue, "SOL-PERP", "buy", 100.0, leverage=20, order_type="limit", price=96.0)
    await venue.push_tick("SOL-PERP", 91.0)
    [event] = liquidations
    assert event.size == pytest.approx(101.0) and event.liquidation_price > 91.0


@st.composite
def paths(draw: st.DrawFn) -> tuple[str, float, list[float], int | None]:
    side = draw(st.sampled_from(["buy", "sell"]))
    leverage = draw(st.sampled_from([2.0, 3.0, 5.0, 10.0, 17.5, 20.0]))
    steps = draw(st.lists(st.floats(-0.04, 0.04, allow_nan=False), min_size=1, max_size=40))
    exact_at = draw(st.none() | st.integers(0, len(steps) - 1))
    return side, leverage, steps, exact_at


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=paths())
def test_liquidation_fires_at_the_first_crossing_tick_only(case: tuple[str, float, list[float], int | None]) -> None:
    side, leverage, steps, exact_at = case
    asyncio.run(_run_path(side, leverage, steps, exact_at))


async def _run_path(side: str, leverage: float, steps: list[float], exact_at: int | None) -> None:
    clock = Clock()
    venue = PaperVenue(None, slippage_bps=3.0, clock=clock)  # in memory: this is about the engine
    liquidations: list[LiquidationEvent] = []
    venue.add_liquidation_listener(liquidations.append)
    spec = DEFAULT_MARKETS["ETH-PERP"]
    price = 3_000.0
    await venue.push_tick("ETH-PERP", price)
    await place(venue, "ETH-PERP", side, 1.0, leverage=leverage)
    [position] = await venue.positions("alice")
    liq = margin.position_liquidation_price(position, spec.maint_margin)
    ticket = margin.liquidation_price(position.side, position.entry_price, leverage, spec.maint_margin)
    assert liq == pytest.approx(ticket, rel=1e-12)  # the price the ticket showed for this fill

    crossed_at = None
    for i, step in enumerate(steps):
        price = liq if i == exact_at else max(spec.tick_size, round(price * (1 + step), 1))
        clock.advance(1)
        await venue.push_tick("ETH-PERP", price)
        crossed = price <= liq if position.side is Side.LONG else price >= liq
        alive = bool(await venue.positions("alice"))
        if crossed_at is None and not crossed:
            assert alive and liquidations == [], f"liquidated at {price} before crossing {liq}"
        elif crossed_at is None:
            crossed_at = i
            assert not alive, f"not liquidated at {price} although {liq} was crossed"
            [event] = liquidations
            assert event.mark == price and event.liquidation_price == liq and event.ts == clock.t
        if crossed_at is not None:
            break
    if crossed_at is None:
        assert liquidations == []
    await venue.close()


async def test_an_order_that_would_be_liquidated_at_once_is_refused(make_venue, store: Storage) -> None:  # type: ignore[no-untyped-def]
    venue = await make_venue(slippage_bps=300.0)  # absurd slippage: a 20x fill 3 % above the mark
    await venue.push_tick("SOL-PERP", 100.0)
    with pytest.raises(OrderRejected) as refused:
        await place(venue, "SOL-PERP", "buy", 1.0, leverage=20)
    assert str(refused.value).startswith("leverage: the SOL-PERP position would be liquidated at once (mark 100")
    assert store.paper.load("alice").balance is None and await venue.positions("alice") == []
    await place(venue, "SOL-PERP", "buy", 1.0, leverage=10)  # 10x leaves room for it
