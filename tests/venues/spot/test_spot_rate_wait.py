"""A quote that the router's rate limit (or a 429's Retry-After) would hold longer than the venue's
quote wait is refused at once as not sent, saying when to try again — not left hanging until the
trading service's deadline calls it "sent, outcome not known"."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.venues.base import RateLimited
from grace_desktop.venues.spot.http import RateLimiter
from tests.venues.spot.stack import MARKET, spot_services


async def test_a_quote_held_back_by_a_429_is_not_sent_and_says_when(tmp_path: Path) -> None:
    async with spot_services(tmp_path, quote_wait=1.0) as (loop, services):
        loop.venue.routers[0].api.limiter.back_off(60)  # Jupiter said 429, Retry-After: 60
        result = await services.trading.execute_trade("buy", 1.0, MARKET, services.account)
        assert not result.success and result.order is not None
        assert result.order.status is OrderStatus.FAILED  # final: nothing went out
        assert "not sent" in result.message and "rate limit: next call allowed in" in result.message
        assert loop.loopback.calls["order"] == 0 and loop.distinct_swaps() == 0


async def test_a_caller_that_may_not_wait_is_not_queued_behind_one_sleeping_out_a_429() -> None:
    limiter = RateLimiter(0.01)
    limiter.back_off(60)
    poll = asyncio.ensure_future(limiter.acquire())  # a price poll: waits as long as it takes
    await asyncio.sleep(0)
    try:
        with pytest.raises(RateLimited, match="next call allowed in 60"):
            await asyncio.wait_for(limiter.acquire(max_wait=1.0), 5.0)
        assert not poll.done()
    finally:
        poll.cancel()
