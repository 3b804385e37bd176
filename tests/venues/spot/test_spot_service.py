"""A spot buy and a take-profit sell through TradingService and the monitor, on the loopback router and
RPC: real SQLite journal, real signed transactions; the round trip is journaled with fees and PnL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from solders.keypair import Keypair

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.venues.spot.tokens import SOL_MINT, USDC_MINT
from tests.venues.spot.chain import Chain
from tests.venues.spot.stack import MARKET, START_LAMPORTS, START_USDC, spot_services


async def eventually(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


async def test_a_spot_buy_and_a_take_profit_sell_are_journaled_with_fees_and_pnl(tmp_path: Path) -> None:
    async with spot_services(tmp_path) as (loop, services):
        account = services.account
        # Auto-trading stays off: a TP the user attached executes whatever that switch says.
        opened = await services.trading.execute_trade("buy", 1.0, MARKET, account,
                                                      conditions=TradeConditions(take_profit=105.0))
        assert opened.success and opened.order is not None, opened.message
        cid = opened.order.client_id
        await eventually(lambda: (r := services.store.orders.get(cid)) is not None and r.order.status is OrderStatus.FILLED)
        await eventually(lambda: services.store.ledger.get("spot", account, MARKET) is not None)

        await loop.set_price(MARKET, 106.0)  # the monitor's take-profit fires a reduce-only sell
        await eventually(lambda: bool(services.store.trades.page(account=account, market=MARKET, limit=5)))
        [trade] = services.store.trades.page(account=account, market=MARKET, limit=5)
        assert trade.close_reason == "take_profit" and trade.venue == "spot"
        assert trade.entry_price == pytest.approx(100.0) and trade.exit_price == pytest.approx(106.0)
        assert trade.realized_pnl == pytest.approx(6.0)
        assert trade.fees == pytest.approx(2 * 5000 / 1e9 * 100, rel=0.1)  # two network fees, in USDC
        assert loop.distinct_swaps() == 2
        assert await loop.venue.positions(account) == []
        sell = services.store.orders.get(trade.client_id)
        assert sell is not None and sell.order.request.reduce_only and sell.order.status is OrderStatus.FILLED
        usdc = loop.chain.balance(loop.owner, "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
        assert usdc == 10_000 * 10**6 + 6 * 10**6  # bought 1 SOL for 100, sold it for 106


async def test_the_self_test_round_trip_runs_on_spot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from grace_desktop.services.runner import SELF_TEST_ACCOUNT, _round_trip

    async with spot_services(tmp_path, account=SELF_TEST_ACCOUNT) as (loop, services):
        assert await _round_trip(services) == 0, capsys.readouterr().out
        assert "self-test OK" in capsys.readouterr().out
        assert loop.distinct_swaps() == 2  # bought about 1 USDC of SOL and sold it back


async def test_the_self_test_leaves_sol_already_in_the_wallet_alone(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from grace_desktop.services.runner import SELF_TEST_ACCOUNT, _round_trip

    keypair = Keypair()
    chain = Chain()
    chain.fund(keypair.pubkey(), USDC_MINT, START_USDC * 10**6)
    chain.fund(keypair.pubkey(), SOL_MINT, START_LAMPORTS + 3 * 10**9)  # 3 SOL the user holds
    async with spot_services(tmp_path, account=SELF_TEST_ACCOUNT, chain=chain, keypair=keypair) as (loop, services):
        assert await _round_trip(services) == 0, capsys.readouterr().out
        assert loop.distinct_swaps() == 2
        # Its own ~1 USDC of SOL bought and sold back; the user's 3 SOL still in the wallet.
        assert chain.balance(loop.owner, SOL_MINT) >= START_LAMPORTS + 3 * 10**9 - 3 * 5000 - 10**7
