"""Restarts keep the paper account; bad orders are refused with a reason and write nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from grace_desktop.domain.enums import OrderStatus, Side
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import OrderRequest, Portfolio
from grace_desktop.storage import Storage, open_storage
from grace_desktop.venues.base import OrderRejected, Venue, VenueError
from grace_desktop.venues.paper import PaperVenue
from grace_desktop.venues.paper.events import LiquidationEvent
from tests.venues.helpers import Clock, order, place


async def test_paper_venue_satisfies_the_venue_protocol(venue: PaperVenue) -> None:
    assert isinstance(venue, Venue)
    assert venue.name == "paper" and venue.supports_leverage
    markets = await venue.markets()
    assert {"BTC-PERP", "ETH-PERP", "SOL-PERP", "SOL/USDC", "JUP/USDC", "BONK/USDC"} <= set(markets)
    btc = markets["BTC-PERP"]
    assert (btc.init_margin, btc.maint_margin, btc.max_leverage, btc.liquidation_fee) == (0.05, 0.025, 20.0, 0.0125)
    assert (btc.taker_fee, btc.maker_fee, btc.tick_size, btc.lot_size) == (0.0004, -0.0003, 0.1, 0.0001)
    assert markets["SOL/USDC"].max_leverage == 1.0
    assert (await venue.health()).ok


async def test_restart_keeps_positions_balance_and_orders(make_venue: Callable[..., Any], clock: Clock,
                                                          data_dir: Any) -> None:
    first = await make_venue()
    await first.push_tick("BTC-PERP", 60_000.0)
    await first.push_tick("SOL-PERP", 100.0)
    await place(first, "BTC-PERP", "buy", 0.1, leverage=10, client_id="open-btc")
    await place(first, "SOL-PERP", "sell", 20.0, leverage=5, client_id="open-sol")
    await place(first, "SOL-PERP", "buy", 5.0, order_type="limit", price=95.0, reduce_only=True, client_id="tp-sol")
    portfolio = await first.portfolio("alice")
    await first.close()

    with open_storage(data_dir) as other_handle:  # a different connection sees the committed state
        assert other_handle.paper.load("alice").balance == pytest.approx(portfolio.balance)

    second = await make_venue()
    again = await second.portfolio("alice")
    assert again.balance == pytest.approx(portfolio.balance)
    assert sorted(again.positions, key=lambda p: p.market) == sorted(portfolio.positions, key=lambda p: p.market)
    [resting] = await second.open_orders("alice")
    assert resting.client_id == "tp-sol" and resting.status is OrderStatus.OPEN
    filled = await second.order_by_client_id("alice", "open-btc")
    assert filled is not None and filled.status is OrderStatus.FILLED and filled.avg_fill_price == 60_000.0

    # The reloaded venue still runs the resting order and the liquidation engine.
    liquidations: list[LiquidationEvent] = []
    second.add_liquidation_listener(liquidations.append)
    await second.push_tick("SOL-PERP", 94.0)
    sol = next(p for p in await second.positions("alice") if p.market == "SOL-PERP")
    assert sol.size == pytest.approx(15.0) and sol.side is Side.SHORT
    await second.push_tick("BTC-PERP", 55_000.0)
    assert [e.market for e in liquidations] == ["BTC-PERP"]


async def test_duplicate_client_id_returns_the_first_order(make_venue: Callable[..., Any], store: Storage) -> None:
    venue = await make_venue()
    await venue.push_tick("ETH-PERP", 3_000.0)
    first = await place(venue, "ETH-PERP", "buy", 1.0, leverage=5, client_id="dup")
    balance = (await venue.portfolio("alice")).balance
    second = await place(venue, "ETH-PERP", "buy", 1.0, leverage=5, client_id="dup")
    assert second == first
    [pos] = await venue.positions("alice")
    assert pos.size == 1.0 and (await venue.portfolio("alice")).balance == balance
    with pytest.raises(OrderRejected, match="client_id: 'dup' is already used by another account"):
        await place(venue, "ETH-PERP", "buy", 1.0, account="bob", client_id="dup")
    await venue.close()

    restarted = await make_venue()  # a crashed client retrying after a restart gets the same answer
    assert await place(restarted, "ETH-PERP", "buy", 1.0, leverage=5, client_id="dup") == first
    assert (await restarted.positions("alice"))[0].size == 1.0
    assert await restarted.order_by_client_id("alice", "dup") == first
    assert await restarted.order_by_client_id("bob", "dup") is None
    assert await restarted.order_by_client_id("alice", "never-sent") is None


BAD_ORDERS = [
    (dict(market="DOGE-PERP", side="buy", size=1.0), "market: unknown market 'DOGE-PERP'"),
    (dict(market="BTC-PERP", side="buy", size=0.00005), "size: 5e-05 is below the lot size 0.0001"),
    (dict(market="SOL-PERP", side="buy", size=1.005), "size: 1.005 is not a multiple of the lot size 0.01"),
    (dict(market="SOL-PERP", side="sell", size=1.0, reduce_only=True), "reduce_only: there is no open SOL-PERP"),
    (dict(market="BTC-PERP", side="buy", size=0.01, reduce_only=True), "reduce_only: a buy would increase the long"),
    (dict(market="BTC-PERP", side="sell", size=0.2, reduce_only=True), "exceeds the 0.1 BTC-PERP position"),
    (dict(market="BTC-PERP", side="buy", size=2.0, leverage=10), "collateral: insufficient for 2 BTC-PERP at 10x"),
    (dict(market="BTC-PERP", side="buy", size=0.1, leverage=25), "leverage: 25x exceeds BTC-PERP's maximum 20x"),
    (dict(market="SOL/USDC", side="sell", size=1.0), "SOL/USDC is spot; cannot sell 1 SOL, only 0 held"),
    (dict(market="SOL/USDC", side="buy", size=1.0, leverage=2), "leverage: SOL/USDC is a spot market"),
    (dict(market="ETH-PERP", side="buy", size=1.0), "market: no price for ETH-PERP yet"),
    (dict(market="BTC-PERP", side="buy", size=0.01, order_type="limit", price=59_000.05), "tick size 0.1"),
    (dict(market="BTC-PERP", side="buy", size=0.01, client_id=" "), "client_id: every order needs a client id"),
]


@pytest.mark.parametrize(("fields", "reason"), BAD_ORDERS, ids=[r for _, r in BAD_ORDERS])
async def test_bad_orders_are_refused_and_nothing_is_written(
    venue: PaperVenue, store: Storage, fields: dict[str, Any], reason: str
) -> None:
    await venue.push_tick("BTC-PERP", 60_000.0)
    await venue.push_tick("SOL/USDC", 150.0)
    await place(venue, "BTC-PERP", "buy", 0.1, leverage=10)
    before_state = store.paper.load("alice")
    before_portfolio = await venue.portfolio("alice")
    request = order(**{"client_id": "bad-1", **fields})
    with pytest.raises(OrderRejected) as refused:
        await venue.place_order(request)
    assert reason in str(refused.value)
    assert store.paper.load("alice") == before_state
    assert store.paper.order("bad-1") is None and await venue.order_by_client_id("alice", "bad-1") is None
    assert await venue.portfolio("alice") == before_portfolio
    assert await venue.open_orders("alice") == []


def test_limit_without_price_is_refused_before_it_reaches_the_venue() -> None:
    with pytest.raises(DomainError, match="price: a limit order needs a price"):
        OrderRequest("alice", "BTC-PERP", "buy", 0.1, "limit", client_id="x")


async def test_bad_ticks_are_refused(venue: PaperVenue) -> None:
    for price in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(DomainError, match="price"):
            await venue.push_tick("BTC-PERP", price)
    assert venue.last_price("BTC-PERP") is None


async def test_a_failed_write_changes_nothing(venue: PaperVenue, store: Storage) -> None:
    await venue.push_tick("SOL-PERP", 100.0)
    await place(venue, "SOL-PERP", "buy", 1.0, leverage=5)
    await place(venue, "SOL-PERP", "sell", 1.0, order_type="limit", price=105.0, reduce_only=True, client_id="tp")
    before = await venue.portfolio("alice")
    before_state = store.paper.load("alice")
    # A real SQLite failure half-way through the venue's transaction (after the balance row is written).
    with sqlite3.connect(store.path) as saboteur:
        saboteur.execute(
            "CREATE TRIGGER refuse_orders BEFORE INSERT ON paper_orders BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )
    with pytest.raises(VenueError, match="could not save the account: disk says no") as failed:
        await place(venue, "SOL-PERP", "buy", 1.0, leverage=5, client_id="lost")
    assert failed.value.retryable
    assert await venue.portfolio("alice") == before
    assert await venue.order_by_client_id("alice", "lost") is None
    assert store.paper.load("alice") == before_state  # the balance write was rolled back with the rest

    # A tick whose fill cannot be saved is not applied either; the order stays armed for the next tick.
    await venue.push_tick("SOL-PERP", 106.0)
    assert await venue.portfolio("alice") == Portfolio("alice", before.balance, before.positions, {"SOL-PERP": 106.0})
    assert [o.client_id for o in await venue.open_orders("alice")] == ["tp"]
    with sqlite3.connect(store.path) as saboteur:
        saboteur.execute("DROP TRIGGER refuse_orders")
    await venue.push_tick("SOL-PERP", 105.5)
    assert await venue.positions("alice") == [] and await venue.open_orders("alice") == []
    assert store.paper.load("alice").positions == []


async def test_a_closed_database_is_a_retryable_venue_error(make_venue: Callable[..., Any], data_dir: Any) -> None:
    own = open_storage(data_dir)
    venue = await make_venue(store=own)
    await venue.push_tick("SOL-PERP", 100.0)
    before = await venue.portfolio("alice")
    own.close()
    with pytest.raises(VenueError, match="paper venue could not") as failed:
        await place(venue, "SOL-PERP", "buy", 1.0, leverage=5)
    assert failed.value.retryable
    assert await venue.portfolio("alice") == before


async def test_opening_fees_survive_a_restart_so_the_round_trip_reports_them(tmp_path):
    from grace_desktop.domain.models import OrderRequest
    from grace_desktop.storage import open_storage
    from grace_desktop.venues.paper import PaperVenue
    from grace_desktop.venues.paper.events import FillEvent

    store = open_storage(tmp_path)
    venue = PaperVenue(store, slippage_bps=0.0)
    await venue.start()
    await venue.push_tick("SOL-PERP", 100.0)
    await venue.place_order(OrderRequest("acct", "SOL-PERP", "buy", 10.0, leverage=2.0, client_id="open"))
    await venue.close()

    again = PaperVenue(store, slippage_bps=0.0)
    await again.start()
    await again.push_tick("SOL-PERP", 110.0)
    fills: list[FillEvent] = []
    again.add_fill_listener(fills.append)
    await again.place_order(OrderRequest("acct", "SOL-PERP", "sell", 10.0, leverage=2.0, reduce_only=True,
                                         client_id="close"))
    closed = fills[-1].closed
    taker = 0.0004
    assert closed.fees == pytest.approx(10 * 100.0 * taker + 10 * 110.0 * taker)  # open fee + close fee
    await again.close()
    store.close()
