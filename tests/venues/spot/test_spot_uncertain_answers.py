"""Answers whose meaning is not "nothing was sent" are followed over RPC by the swap's own signature,
never read as a refusal and never sent again: /execute's failure codes other than the documented
not-sent ones, GMGN's unexplained relay errors, and a node's "already processed" for our own bytes.
Also what a 429's headers and a blocked host's HTML page come to."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.venues.base import OrderRejected, VenueError
from grace_desktop.venues.spot.http import MAX_BACK_OFF, retry_after
from grace_desktop.venues.spot.routers import GmgnRouter
from tests.venues.spot.servers import GMGN_KEY
from tests.venues.spot.stack import spot_loop
from tests.venues.spot.test_spot_faults import ACCOUNT, buy, final


async def test_an_execute_failure_for_a_swap_that_landed_is_followed_to_its_fill(tmp_path: Path) -> None:
    async with spot_loop(tmp_path) as loop:
        loop.loopback.fault("execute", "rfq_failed_after_landing")  # -2000 "failed to land", yet it did
        order = await loop.venue.place_order(buy(loop))
        assert order.status is OrderStatus.UNKNOWN and "-2000" in order.reason
        assert await final(loop, order.client_id) is OrderStatus.FILLED
        assert loop.distinct_swaps() == 1 and loop.loopback.calls["execute"] == 1
        [position] = await loop.venue.positions(ACCOUNT)
        assert position.size == pytest.approx(1.0)


async def test_already_processed_on_the_first_send_is_sent_not_refused(tmp_path: Path) -> None:
    async with spot_loop(tmp_path, via_rpc=True) as loop:
        loop.loopback.fault("sendTransaction", "already_processed")
        order = await loop.venue.place_order(buy(loop))
        assert order.status is OrderStatus.SUBMITTED
        assert await final(loop, order.client_id) is OrderStatus.FILLED
        assert loop.distinct_swaps() == 1


async def test_a_gmgn_relay_error_stays_unknown_until_the_blockhash_expires(tmp_path: Path) -> None:
    async with spot_loop(tmp_path, router="gmgn") as loop:
        loop.loopback.fault("gmgn_send", "relay_error")
        order = await loop.venue.place_order(buy(loop))
        assert order.status is OrderStatus.UNKNOWN and "relay failed" in order.reason
        loop.chain.advance(200)
        assert await final(loop, order.client_id) is OrderStatus.EXPIRED
        assert loop.distinct_swaps() == 0 and loop.loopback.calls["gmgn_send"] == 1


async def test_a_blocked_gmgn_host_says_so_in_words(tmp_path: Path) -> None:
    async with spot_loop(tmp_path, router="gmgn", api_key="not-" + GMGN_KEY) as loop:
        with pytest.raises(VenueError, match=r"HTTP 403, not JSON \(text/html.*access refused: check the API key"):
            await loop.venue.place_order(buy(loop))
        assert loop.distinct_swaps() == 0 and loop.loopback.calls["gmgn_send"] == 0


async def test_an_execute_request_refused_with_a_400_is_not_sent(tmp_path: Path) -> None:
    async with spot_loop(tmp_path) as loop:
        loop.loopback.fault("execute", "bad_request")
        request = buy(loop)
        with pytest.raises(OrderRejected, match="not sent: Jupiter /execute refused the request: Invalid request body"):
            await loop.venue.place_order(request)
        order = await loop.venue.order_by_client_id(ACCOUNT, request.client_id)
        assert order is not None and order.status is OrderStatus.REJECTED and loop.distinct_swaps() == 0


def test_gmgn_anti_mev_needs_its_minimum_fee() -> None:
    with pytest.raises(ValueError, match="at least 0.002 SOL"):
        GmgnRouter(api_key=GMGN_KEY, anti_mev=True, fee_sol=0.0005)
    assert GmgnRouter(api_key=GMGN_KEY, anti_mev=True, fee_sol=0.002).anti_mev


def _429(**headers: str) -> httpx.Response:
    return httpx.Response(429, headers=headers)


def test_a_429s_wait_from_each_documented_header() -> None:
    now = time.time()
    assert retry_after(_429(**{"retry-after": "3"}), default=1.0) == 3.0
    assert retry_after(_429(**{"x-ratelimit-reset": "7"}), default=1.0) == 7.0  # seconds from now
    assert retry_after(_429(**{"x-ratelimit-reset": str(int(now) + 20)}), default=1.0) == pytest.approx(20, abs=1.5)
    # An epoch in milliseconds (the unit is not documented) is not read as 50,000 years.
    assert retry_after(_429(**{"x-ratelimit-reset": str(int(now * 1000) + 30_000)}), default=1.0) == pytest.approx(30, abs=1.5)
    assert retry_after(_429(**{"x-ratelimit-reset": "999999999"}), default=1.0) == MAX_BACK_OFF  # capped
    assert retry_after(_429(**{"x-ratelimit-reset": "soon"}), default=2.0) == 2.0
    assert retry_after(_429(), default=2.0) == 2.0
