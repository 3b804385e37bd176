"""Opening, adding, reducing, closing and flipping positions on the paper venue: worked numbers."""

from __future__ import annotations

import pytest

from grace_desktop.domain import margin
from grace_desktop.domain.enums import OrderStatus, Side
from grace_desktop.venues.paper import PaperVenue
from grace_desktop.venues.paper.events import FillEvent, trade_record
from tests.venues.helpers import Clock, place


async def test_long_add_partial_close_close_worked_numbers(venue: PaperVenue, clock: Clock) -> None:
    fills: list[FillEvent] = []
    venue.add_fill_listener(fills.append)
    await venue.push_tick("BTC-PERP", 60_000.0)

    opened = await place(venue, "BTC-PERP", "buy", 0.1, leverage=10)
    assert opened.status is OrderStatus.FILLED and opened.avg_fill_price == 60_000.0
    [pos] = await venue.positions("alice")
    assert (pos.side, pos.size, pos.entry_price, pos.leverage) == (Side.LONG, 0.1, 60_000.0, 10.0)
    assert pos.collateral == pytest.approx(600.0)  # size * entry / L
    assert (await venue.portfolio("alice")).balance == pytest.approx(10_000 - 2.4)  # taker 4 bps of 6,000
    # The venue liquidates where the ticket says: P0 (1 - 1/L) / (1 - m).
    ticket = margin.liquidation_price("long", 60_000.0, 10, 0.025)
    assert ticket == pytest.approx(55_384.615384615, rel=1e-12)
    assert await venue.liquidation_price("alice", "BTC-PERP") == pytest.approx(ticket, rel=1e-12)

    clock.advance(60)
    await venue.push_tick("BTC-PERP", 62_000.0)
    await place(venue, "BTC-PERP", "buy", 0.1, leverage=10)
    [pos] = await venue.positions("alice")
    assert pos.size == pytest.approx(0.2) and pos.entry_price == pytest.approx(61_000.0)  # average entry
    assert pos.collateral == pytest.approx(1_220.0) and pos.leverage == 10.0
    assert await venue.liquidation_price("alice", "BTC-PERP") == pytest.approx(
        margin.liquidation_price("long", 61_000.0, 10, 0.025), rel=1e-12
    )

    clock.advance(60)
    await venue.push_tick("BTC-PERP", 63_000.0)
    await place(venue, "BTC-PERP", "sell", 0.05)
    [pos] = await venue.positions("alice")
    assert pos.size == pytest.approx(0.15) and pos.entry_price == pytest.approx(61_000.0)
    assert pos.collateral == pytest.approx(915.0)  # shrinks pro rata: liquidation price unchanged
    balance = (await venue.portfolio("alice")).balance
    assert balance == pytest.approx(10_000 - 2.4 - 2.48 + 100.0 - 1.26)
    closed = fills[-1].closed
    assert closed is not None and not closed.fully_closed
    assert (closed.size, closed.entry_price, closed.exit_price) == (0.05, pytest.approx(61_000.0), 63_000.0)
    assert closed.realized_pnl == pytest.approx(100.0)
    assert closed.fees == pytest.approx(1.26 + (2.4 + 2.48) * 0.25)  # close fee + closed share of entry fees

    clock.advance(60)
    await venue.push_tick("BTC-PERP", 59_000.0)
    await place(venue, "BTC-PERP", "sell", 0.15)
    assert await venue.positions("alice") == []
    portfolio = await venue.portfolio("alice")
    assert portfolio.balance == pytest.approx(10_000 - 200.0 - (2.4 + 2.48 + 1.26 + 3.54))
    closed = fills[-1].closed
    assert closed is not None and closed.fully_closed and closed.realized_pnl == pytest.approx(-300.0)
    assert closed.fees == pytest.approx(3.54 + (2.4 + 2.48) * 0.75)
    assert closed.opened_at == opened.created_at and closed.closed_at == clock.t
    record = trade_record(closed)
    assert (record.market, record.side, record.size, record.close_reason) == ("BTC-PERP", Side.LONG, 0.15, "market")
    # Round trip fees add up to every fee charged.
    assert sum(f.closed.fees for f in fills if f.closed) == pytest.approx(sum(f.fill.fee for f in fills))


async def test_short_profit_and_leverage_kept(venue: PaperVenue) -> None:
    await venue.push_tick("ETH-PERP", 3_000.0)
    await place(venue, "ETH-PERP", "sell", 1.0, leverage=5)
    [pos] = await venue.positions("alice")
    assert pos.side is Side.SHORT and pos.collateral == pytest.approx(600.0)
    assert await venue.liquidation_price("alice", "ETH-PERP") == pytest.approx(3_000 * 1.2 / 1.025)
    await venue.push_tick("ETH-PERP", 2_900.0)
    assert (await venue.portfolio("alice")).positions[0].unrealized_pnl(2_900.0) == pytest.approx(100.0)
    await place(venue, "ETH-PERP", "buy", 1.0, reduce_only=True)
    assert await venue.positions("alice") == []
    assert (await venue.portfolio("alice")).balance == pytest.approx(10_000 + 100 - 1.2 - 1.16)


async def test_flip_closes_then_opens_the_rest(venue: PaperVenue) -> None:
    fills: list[FillEvent] = []
    venue.add_fill_listener(fills.append)
    await venue.push_tick("SOL-PERP", 100.0)
    await place(venue, "SOL-PERP", "buy", 10.0, leverage=4)
    await venue.push_tick("SOL-PERP", 110.0)
    await place(venue, "SOL-PERP", "sell", 30.0, leverage=2)
    [pos] = await venue.positions("alice")
    assert (pos.side, pos.size, pos.entry_price, pos.leverage) == (Side.SHORT, 20.0, 110.0, 2.0)
    assert pos.collateral == pytest.approx(20 * 110 / 2)
    closed = fills[-1].closed
    assert closed is not None and closed.fully_closed and closed.realized_pnl == pytest.approx(100.0)
    fee = 30 * 110 * 0.0004
    assert closed.fees == pytest.approx(fee / 3 + 10 * 100 * 0.0004)
    assert pos.realized_pnl == pytest.approx(-fee * 2 / 3)  # the new position carries its own opening fee


async def test_add_at_other_leverage_recomputes_it_from_collateral(venue: PaperVenue) -> None:
    await venue.push_tick("SOL-PERP", 100.0)
    await place(venue, "SOL-PERP", "buy", 10.0, leverage=10)
    await place(venue, "SOL-PERP", "buy", 10.0, leverage=5)
    [pos] = await venue.positions("alice")
    assert pos.collateral == pytest.approx(100 + 200)
    assert pos.leverage == pytest.approx(2_000 / 300)
    assert await venue.liquidation_price("alice", "SOL-PERP") == pytest.approx(
        margin.liquidation_price_from_collateral("long", 100.0, 20.0, 300.0, 0.025)
    )


async def test_market_orders_pay_slippage_rounded_to_tick(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = await make_venue(slippage_bps=10.0)
    await venue.push_tick("BTC-PERP", 60_000.0)
    bought = await place(venue, "BTC-PERP", "buy", 0.01, leverage=2)
    assert bought.avg_fill_price == 60_060.0  # 10 bps against the buyer
    sold = await place(venue, "BTC-PERP", "sell", 0.01)
    assert sold.avg_fill_price == 59_940.0
    await venue.push_tick("SOL-PERP", 123.45)
    order = await place(venue, "SOL-PERP", "buy", 1.0)
    assert order.avg_fill_price == 123.58  # 123.5734... rounded up to the 0.01 tick, never in the taker's favour


async def test_spot_buy_and_sell_at_1x(venue: PaperVenue) -> None:
    await venue.push_tick("SOL/USDC", 150.0)
    await place(venue, "SOL/USDC", "buy", 10.0)
    [pos] = await venue.positions("alice")
    assert (pos.side, pos.leverage, pos.collateral) == (Side.LONG, 1.0, pytest.approx(1_500.0))
    assert await venue.liquidation_price("alice", "SOL/USDC") is None
    await venue.push_tick("SOL/USDC", 1.0)  # a 1x spot holding is never liquidated
    assert len(await venue.positions("alice")) == 1
    await venue.push_tick("SOL/USDC", 160.0)
    await place(venue, "SOL/USDC", "sell", 4.0)
    [pos] = await venue.positions("alice")
    assert pos.size == pytest.approx(6.0)
    assert (await venue.portfolio("alice")).balance == pytest.approx(10_000 + 40 - 0.6 - 0.256)


async def test_accounts_are_separate(venue: PaperVenue) -> None:
    await venue.push_tick("BTC-PERP", 60_000.0)
    await place(venue, "BTC-PERP", "buy", 0.01, account="alice", leverage=5)
    assert await venue.positions("bob") == []
    assert (await venue.portfolio("bob")).balance == 10_000.0
    assert venue.accounts() == ["alice", "bob"]
