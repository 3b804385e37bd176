"""What the wallet already held becomes a position once seen, booked at the mark and journaled like a
fill, with native SOL's fee reserve left alone; and one swap at a time, so each swap's amounts are
read from the wallet's balance changes without another swap's mixed in."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from solders.keypair import Keypair

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import OrderRequest
from grace_desktop.venues.base import NotSent
from grace_desktop.venues.events import FillReported, VenueNotice
from grace_desktop.venues.spot.tokens import SOL_MINT, USDC_MINT
from grace_desktop.venues.spot.wallet_holdings import SOL_RESERVE_LAMPORTS, untracked_units
from tests.venues.spot.chain import Chain
from tests.venues.spot.stack import MARKET, START_LAMPORTS, START_USDC, spot_loop

ACCOUNT = "spot"  # the app's account on the spot venue is the venue's name
LAMPORTS = 10**9


def test_untracked_units_keep_the_sol_reserve_and_whole_lots():
    # 2.5 SOL beyond the 0.1 reserve, 1 SOL of it bought here: 1.5 SOL untracked.
    in_wallet = SOL_RESERVE_LAMPORTS + 2_500_000_000
    assert untracked_units(in_wallet, 1.0, decimals=9, lot_units=1000, native=True) == 1_500_000_000
    assert untracked_units(SOL_RESERVE_LAMPORTS + 999, 0.0, decimals=9, lot_units=1000, native=True) == 0  # dust
    assert untracked_units(SOL_RESERVE_LAMPORTS - 5000, 0.0, decimals=9, lot_units=1000, native=True) == 0
    assert untracked_units(30_000_123, 0.0, decimals=6, lot_units=1, native=False) == 30_000_123  # no reserve
    assert untracked_units(1_000_000, 2.0, decimals=6, lot_units=1, native=False) == 0  # moved out: none


def funded_chain(keypair: Keypair, extra_lamports: int) -> Chain:
    chain = Chain()
    chain.fund(keypair.pubkey(), USDC_MINT, START_USDC * 10**6)
    chain.fund(keypair.pubkey(), SOL_MINT, START_LAMPORTS + extra_lamports)
    return chain


async def adopted_events(loop, timeout: float = 5.0) -> list[object]:
    events = loop.venue.events()
    seen: list[object] = []

    async def read() -> None:
        async for event in events:
            seen.append(event)
            if any(isinstance(e, FillReported) for e in seen):
                return

    await asyncio.wait_for(read(), timeout)
    return seen


async def test_sol_held_before_becomes_the_position_at_the_mark_and_sells_with_pnl(tmp_path: Path) -> None:
    keypair = Keypair()
    chain = funded_chain(keypair, 2_500_000_000)  # 2.5 SOL beyond the reserve
    async with spot_loop(tmp_path, chain=chain, keypair=keypair) as loop:
        assert await loop.venue.positions(ACCOUNT) == []  # nobody listens yet: its fill would reach no journal
        listening = loop.venue.events()
        # Booked once someone listens and a price is in: the price is 100 on the loopback.
        for _ in range(500):
            if await loop.venue.positions(ACCOUNT):
                break
            await asyncio.sleep(0.01)
        [held] = await loop.venue.positions(ACCOUNT)
        assert held.size == pytest.approx(2.5) and held.entry_price == pytest.approx(100.0)
        [fill] = await loop.venue.fills(ACCOUNT)
        assert fill.side.value == "buy" and fill.size == pytest.approx(2.5) and fill.fee == 0.0 and fill.fill_id
        portfolio = await loop.venue.portfolio(ACCOUNT)
        assert portfolio.margin_mode == "spot" and portfolio.balance == pytest.approx(START_USDC)
        assert loop.distinct_swaps() == 0  # nothing was swapped to find it
        # Read again: booked once, not on every read.
        await loop.venue.positions(ACCOUNT)
        assert len(await loop.venue.fills(ACCOUNT)) == 1

        await loop.set_price(MARKET, 110.0)
        order = await loop.venue.place_order(OrderRequest(ACCOUNT, MARKET, "sell", 2.5,
                                                          client_id=loop.venue.new_client_id()))
        for _ in range(500):
            order = await loop.venue.order_by_client_id(ACCOUNT, order.client_id)
            if order.status.is_final:
                break
            await asyncio.sleep(0.01)
        assert order.status is OrderStatus.FILLED
        assert await loop.venue.positions(ACCOUNT) == []  # the reserve is not a position
        sol_left = chain.balance(loop.owner, SOL_MINT)
        assert SOL_RESERVE_LAMPORTS - 2 * 5000 <= sol_left < SOL_RESERVE_LAMPORTS + LAMPORTS // 1000
        assert loop.venue._records.holdings[(ACCOUNT, MARKET)].realized_pnl == pytest.approx(25.0, rel=0.02)
        listening.close()


async def test_the_adoption_is_reported_as_a_fill_and_a_notice(tmp_path: Path) -> None:
    async with spot_loop(tmp_path) as loop:
        await asyncio.sleep(0.1)  # what the first price looked for (nothing yet) is done
        reading = asyncio.ensure_future(adopted_events(loop))
        await asyncio.sleep(0)
        loop.chain.fund(loop.keypair.pubkey(), SOL_MINT, 1_000_000_000)  # 1 SOL sent to the wallet from elsewhere
        await loop.venue.positions(ACCOUNT)
        seen = await reading
        [notice] = [e for e in seen if isinstance(e, VenueNotice)]
        assert notice.title == "Wallet holding adopted" and "1 SOL already in the wallet" in notice.text
        assert "earlier cost is unknown" in notice.text
        [reported] = [e for e in seen if isinstance(e, FillReported)]
        assert reported.fill.size == pytest.approx(1.0) and reported.order.status is OrderStatus.FILLED


async def test_a_wallet_with_only_the_reserve_has_no_position(tmp_path: Path) -> None:
    async with spot_loop(tmp_path) as loop:
        await asyncio.sleep(0.05)
        assert await loop.venue.positions(ACCOUNT) == [] and await loop.venue.fills(ACCOUNT) == []


async def test_one_swap_at_a_time_the_second_is_not_sent(tmp_path: Path) -> None:
    async with spot_loop(tmp_path) as loop:
        loop.loopback.fault("execute", "failed_to_land")  # the first stays in flight until its blockhash expires
        first, second = (OrderRequest(ACCOUNT, MARKET, "buy", 1.0, client_id=loop.venue.new_client_id())
                         for _ in range(2))
        results = await asyncio.gather(loop.venue.place_order(first), loop.venue.place_order(second),
                                       return_exceptions=True)
        [refused] = [r for r in results if isinstance(r, NotSent)]
        [placed] = [r for r in results if not isinstance(r, BaseException)]
        assert placed.status is OrderStatus.UNKNOWN
        assert "still landing" in str(refused) and "one swap at a time" in str(refused)
        assert loop.loopback.calls["execute"] == 1
        loop.chain.advance(200)  # the first expires: the next swap goes through
        for _ in range(500):
            if (await loop.venue.order_by_client_id(ACCOUNT, placed.client_id)).status.is_final:
                break
            await asyncio.sleep(0.01)
        third = await loop.venue.place_order(OrderRequest(ACCOUNT, MARKET, "buy", 1.0,
                                                          client_id=loop.venue.new_client_id()))
        assert third.status is not OrderStatus.REJECTED and loop.loopback.calls["execute"] == 2


async def test_tokens_sent_after_a_buy_join_the_position_at_an_average(tmp_path: Path) -> None:
    async with spot_loop(tmp_path) as loop:
        listening = loop.venue.events()
        order = await loop.venue.place_order(OrderRequest(ACCOUNT, MARKET, "buy", 1.0,
                                                          client_id=loop.venue.new_client_id()))
        for _ in range(500):
            if (await loop.venue.order_by_client_id(ACCOUNT, order.client_id)).status.is_final:
                break
            await asyncio.sleep(0.01)
        await loop.set_price(MARKET, 110.0)
        loop.chain.fund(loop.keypair.pubkey(), SOL_MINT, 1_000_000_000)  # 1 SOL more, sent from elsewhere
        [held] = await loop.venue.positions(ACCOUNT)
        assert held.size == pytest.approx(2.0, abs=1e-3)
        assert held.entry_price == pytest.approx((100.0 * 1.0 + 110.0 * 1.0) / 2.0, rel=0.01)
        notices = []
        while (event := listening.take_ready()) is not None:
            if isinstance(event, VenueNotice) and event.title == "Wallet holding adopted":
                notices.append(event.text)
        [text] = notices
        # About 1 SOL: the swap's network fee came out of the 0.1 SOL reserve, which is made whole first.
        assert " SOL already in the wallet is now a SOL/USDC position at 110, the price when first seen" in text
        assert "in all" in text
        listening.close()
