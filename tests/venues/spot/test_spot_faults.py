"""The spot venue against the loopback router and RPC: what is signed and sent, and every fault's
outcome — each one clear, and never a second swap (distinct signatures that landed on the chain)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.transaction import VersionedTransaction

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import OrderRequest
from grace_desktop.venues.base import NotSent, OrderRejected, RateLimited, VenueTimeout
from grace_desktop.venues.events import VenueNotice
from grace_desktop.venues.spot.keys import Wallet
from grace_desktop.venues.spot.signing import SigningRefused, decode_transaction, is_signed_by, sign_swap
from grace_desktop.venues.spot.tokens import SOL_MINT, USDC_MINT
from tests.venues.spot.stack import MARKET, SpotLoop, spot_loop

ACCOUNT = "spot-test"


def buy(loop: SpotLoop, size: float = 1.0) -> OrderRequest:
    return OrderRequest(ACCOUNT, MARKET, "buy", size, client_id=loop.venue.new_client_id())


async def final(loop: SpotLoop, client_id: str, timeout: float = 5.0) -> OrderStatus:
    async def poll() -> OrderStatus:
        while True:
            order = await loop.venue.order_by_client_id(ACCOUNT, client_id)
            if order is not None and order.status.is_final:
                return order.status
            await asyncio.sleep(0.01)

    return await asyncio.wait_for(poll(), timeout)


async def test_what_is_submitted_is_signed_by_the_wallet_and_carries_the_quoted_message(tmp_path: Path) -> None:
    async with spot_loop(tmp_path, api_key="jup-key") as loop:
        order = await loop.venue.place_order(buy(loop))
        assert await final(loop, order.client_id) is OrderStatus.FILLED
        [raw] = loop.loopback.submitted
        tx = VersionedTransaction.from_bytes(raw)
        assert is_signed_by(tx, loop.keypair.pubkey()) and all(tx.verify_with_results())
        assert bytes(tx.message) in loop.chain.quotes  # exactly the message the router quoted
        assert str(tx.signatures[0]) == order.venue_order_id
        assert loop.loopback.headers["order"]["x-api-key"] == "jup-key"
        assert loop.loopback.params["order"]["taker"] == loop.owner
        assert loop.loopback.calls["execute"] == 1 and loop.distinct_swaps() == 1
        filled = await loop.venue.order_by_client_id(ACCOUNT, order.client_id)
        assert filled is not None and filled.filled_size == pytest.approx(1.0) and filled.avg_fill_price == pytest.approx(100.0)


async def test_keyless_jupiter_sends_no_key(tmp_path: Path) -> None:
    async with spot_loop(tmp_path) as loop:
        await loop.venue.place_order(buy(loop, 0.5))
        assert "x-api-key" not in loop.loopback.headers["order"]


async def test_signing_refuses_a_foreign_fee_payer_or_missing_mints(tmp_path: Path) -> None:
    async with spot_loop(tmp_path) as loop:
        stranger = Keypair()
        quote = loop.chain.quote(str(stranger.pubkey()), USDC_MINT, SOL_MINT, 10**6, 50)
        tx = decode_transaction(__import__("base64").b64encode(loop.chain.unsigned(quote)).decode())
        wallet = Wallet(loop.keypair)
        with pytest.raises(SigningRefused, match="fee payer"):
            sign_swap(tx, wallet, input_mint=USDC_MINT, output_mint=SOL_MINT)
        mine = loop.chain.quote(loop.owner, USDC_MINT, SOL_MINT, 10**6, 50)
        tx = VersionedTransaction.from_bytes(loop.chain.unsigned(mine))
        with pytest.raises(SigningRefused, match="quoted mint"):
            sign_swap(tx, wallet, input_mint=USDC_MINT, output_mint="JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN")
        assert is_signed_by(sign_swap(tx, wallet, input_mint=USDC_MINT, output_mint=SOL_MINT), loop.keypair.pubkey())
        assert "secret" not in repr(wallet) and str(loop.keypair) not in repr(wallet)


async def test_execute_quote_expired_is_rejected_not_sent(tmp_path: Path) -> None:
    async with spot_loop(tmp_path) as loop:
        loop.loopback.fault("execute", "quote_expired")
        request = buy(loop)
        with pytest.raises(OrderRejected, match="-2003"):
            await loop.venue.place_order(request)
        order = await loop.venue.order_by_client_id(ACCOUNT, request.client_id)
        assert order is not None and order.status is OrderStatus.REJECTED and "not sent" in order.reason
        assert loop.distinct_swaps() == 0 and await loop.venue.positions(ACCOUNT) == []


async def test_execute_failed_to_land_stays_unknown_until_the_blockhash_expires(tmp_path: Path) -> None:
    async with spot_loop(tmp_path) as loop:
        loop.loopback.fault("execute", "failed_to_land")
        order = await loop.venue.place_order(buy(loop))
        assert order.status is OrderStatus.UNKNOWN and "-1000" in order.reason
        await asyncio.sleep(0.1)  # still within its blockhash: it stays unknown, nothing is sent again
        assert (await loop.venue.order_by_client_id(ACCOUNT, order.client_id)).status is OrderStatus.UNKNOWN  # type: ignore[union-attr]
        loop.chain.advance(200)
        assert await final(loop, order.client_id) is OrderStatus.EXPIRED
        assert loop.distinct_swaps() == 0 and loop.loopback.calls["execute"] == 1


@pytest.mark.parametrize("endpoint", ["execute", "sendTransaction"])
async def test_a_reply_lost_after_acceptance_resolves_to_one_swap(tmp_path: Path, endpoint: str) -> None:
    async with spot_loop(tmp_path, via_rpc=endpoint == "sendTransaction") as loop:
        loop.loopback.fault(endpoint, "lose_reply")
        request = buy(loop)
        try:
            placed = await loop.venue.place_order(request)
            assert placed.status in (OrderStatus.UNKNOWN, OrderStatus.SUBMITTED, OrderStatus.FILLED)
        except VenueTimeout:
            pass  # maybe sent: the caller asks by client id, never sends again
        assert await final(loop, request.client_id) is OrderStatus.FILLED
        await asyncio.sleep(0.15)  # re-broadcasts of the same bytes may happen; a second swap may not
        assert loop.distinct_swaps() == 1
        assert len({bytes(VersionedTransaction.from_bytes(raw).message) for raw in loop.loopback.submitted}) == 1
        [position] = await loop.venue.positions(ACCOUNT)
        assert position.size == pytest.approx(1.0)


@pytest.mark.parametrize(("fault", "error", "status", "words"), [
    ("blockhash", OrderRejected, OrderStatus.REJECTED, "blockhash not found"),
    ("slippage", OrderRejected, OrderStatus.REJECTED, "6001 (slippage tolerance exceeded)"),
    ("unhealthy", NotSent, OrderStatus.FAILED, "unhealthy"),
    ("429", RateLimited, OrderStatus.FAILED, "429"),
])
async def test_rpc_refusals_are_not_sent(tmp_path: Path, fault: str, error: type[Exception], status: OrderStatus,
                                         words: str) -> None:
    async with spot_loop(tmp_path, via_rpc=True) as loop:
        loop.loopback.fault("sendTransaction", fault)
        request = buy(loop)
        with pytest.raises(error, match=words.split(" (")[0]):
            await loop.venue.place_order(request)
        order = await loop.venue.order_by_client_id(ACCOUNT, request.client_id)
        assert order is not None and order.status is status and words in order.reason
        assert loop.loopback.params["order"]["excludeRouters"] == "jupiterz"
        await asyncio.sleep(0.1)
        assert loop.distinct_swaps() == 0 and loop.loopback.calls["sendTransaction"] == 1  # never re-sent


async def test_a_landed_swap_whose_program_failed_is_rejected_with_the_reason(tmp_path: Path) -> None:
    async with spot_loop(tmp_path, via_rpc=True) as loop:
        loop.loopback.fault("sendTransaction", "on_chain_slippage")
        order = await loop.venue.place_order(buy(loop))
        assert order.status is OrderStatus.SUBMITTED
        assert await final(loop, order.client_id) is OrderStatus.REJECTED
        found = await loop.venue.order_by_client_id(ACCOUNT, order.client_id)
        assert found is not None and "landed but failed" in found.reason and "6001" in found.reason
        assert loop.distinct_swaps() == 0


async def test_a_429_on_the_quote_is_not_sent_and_falls_back_to_gmgn_when_allowed(tmp_path: Path) -> None:
    async with spot_loop(tmp_path) as loop:
        loop.loopback.fault("order", "429")
        with pytest.raises(RateLimited):
            await loop.venue.place_order(buy(loop))
        assert loop.distinct_swaps() == 0 and loop.loopback.calls["execute"] == 0
    from tests.venues.spot.servers import GMGN_KEY

    async with spot_loop(tmp_path / "fb", fallback=True, fallback_api_key=GMGN_KEY) as loop:
        events = loop.venue.events()
        loop.loopback.fault("order", "429")
        order = await loop.venue.place_order(buy(loop))
        assert await final(loop, order.client_id) is OrderStatus.FILLED
        notice = await asyncio.wait_for(anext(aiter(events)), 2.0)
        assert isinstance(notice, VenueNotice) and "gmgn" in notice.text and "429" in notice.text
        assert loop.loopback.params["gmgn_route"]["slippage"] == "0.5"  # 50 bps as GMGN's percent
        assert loop.loopback.headers["gmgn_route"]["x-route-key"] == GMGN_KEY
        assert loop.loopback.calls["gmgn_send"] == 1 and loop.distinct_swaps() == 1
        assert "gmgn" in (await loop.venue.health()).detail


async def test_gmgn_429_on_submit_is_not_sent(tmp_path: Path) -> None:
    async with spot_loop(tmp_path, router="gmgn") as loop:
        loop.loopback.fault("gmgn_send", "429")
        with pytest.raises(RateLimited):
            await loop.venue.place_order(buy(loop))
        assert loop.distinct_swaps() == 0
        order = await loop.venue.place_order(buy(loop))  # a new order is a new quote, sent once
        assert await final(loop, order.client_id) is OrderStatus.FILLED
        assert loop.distinct_swaps() == 1
        quote = loop.venue.lander.quote_of(loop.venue._records.swaps[order.client_id])
        assert await loop.venue.routers[0].status(order.venue_order_id or "", quote) == "success"
