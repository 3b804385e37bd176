"""A restart while a swap is in flight (the process killed after the router took it, before it was
known): the next start follows the same signature from spot_swaps.json and never sends another swap."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from solders.keypair import Keypair

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import OrderRequest
from grace_desktop.venues.base import NotSent
from tests.venues.spot.chain import Chain
from tests.venues.spot.stack import MARKET, SpotLoop, spot_loop

ACCOUNT = "spot"


async def status_of(loop: SpotLoop, client_id: str, wanted: OrderStatus) -> None:
    async def poll() -> None:
        while (order := await loop.venue.order_by_client_id(ACCOUNT, client_id)) is None or order.status is not wanted:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), 5.0)


async def test_a_swap_in_flight_at_a_crash_is_followed_by_its_signature_after_the_restart(tmp_path: Path) -> None:
    chain, keypair, data = Chain(), Keypair(), tmp_path / "spot"
    async with spot_loop(data, chain=chain, keypair=keypair) as first:
        first.loopback.fault("execute", "failed_to_land")  # the router took it and could not say it landed
        request = OrderRequest(ACCOUNT, MARKET, "buy", 1.0, client_id=first.venue.new_client_id())
        order = await first.venue.place_order(request)
        assert order.status is OrderStatus.UNKNOWN
        [signed] = first.loopback.submitted
    # The first run is gone with the swap still unknown (close() ends its tasks as a kill would).
    async with spot_loop(data, chain=chain, keypair=keypair) as second:
        after = await second.venue.order_by_client_id(ACCOUNT, request.client_id)
        assert after is not None and after.status is OrderStatus.UNKNOWN and after.venue_order_id == order.venue_order_id
        chain.land(signed)  # the very bytes the first run signed land late
        await status_of(second, request.client_id, OrderStatus.FILLED)
        assert second.loopback.submitted == [] and second.venue.lander.sent == []  # nothing sent again
        assert second.distinct_swaps() == 1
        [position] = await second.venue.positions(ACCOUNT)
        assert position.size == 1.0


async def test_a_swap_in_flight_at_a_crash_that_never_lands_expires_and_nothing_is_sent(tmp_path: Path) -> None:
    chain, keypair, data = Chain(), Keypair(), tmp_path / "spot"
    async with spot_loop(data, chain=chain, keypair=keypair) as first:
        first.loopback.fault("execute", "failed_to_land")
        request = OrderRequest(ACCOUNT, MARKET, "buy", 1.0, client_id=first.venue.new_client_id())
        await first.venue.place_order(request)
    async with spot_loop(data, chain=chain, keypair=keypair) as second:
        busy = OrderRequest(ACCOUNT, MARKET, "buy", 1.0, client_id=second.venue.new_client_id())
        with pytest.raises(NotSent, match="still landing; one swap at a time"):
            await second.venue.place_order(busy)
        chain.advance(200)  # past its lastValidBlockHeight: it can no longer land
        await status_of(second, request.client_id, OrderStatus.EXPIRED)
        assert second.loopback.submitted == [] and second.distinct_swaps() == 0
