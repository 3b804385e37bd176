"""Cancelling a spot venue call ends it, even when the reply arrives in the same instant.

The hang this guards against: on Python 3.11 `asyncio.wait_for` returns the inner result when its
caller is cancelled just as that result lands, so the cancel is lost. The price poll loop, cancelled
by `close()` that way, kept polling and `close()` waited on it for good (seen as minutes-long stalls in
test_spot_faults). The transport below is in-process only so the reply's timing can be set exactly.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from grace_desktop.venues.spot.http import JsonApi
from tests.venues.spot.stack import spot_loop


class _GatedTransport(httpx.AsyncBaseTransport):
    """Answers 200 {} once `gate` is set; `entered` tells the test the request is waiting."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.entered.set()
        await self.gate.wait()
        return httpx.Response(200, json={})


@pytest.mark.parametrize("yields", range(6))
async def test_a_cancel_that_meets_the_reply_is_not_swallowed(yields: int) -> None:
    transport = _GatedTransport()
    api = JsonApi("test", "http://127.0.0.1:9", interval=0.0, deadline=5.0, transport=transport)
    try:
        call = asyncio.ensure_future(api.call("GET", "/x"))
        await asyncio.wait_for(transport.entered.wait(), 2.0)
        transport.gate.set()  # the reply lands ...
        for _ in range(yields):  # ... at each point of the loop's turn ...
            await asyncio.sleep(0)
        cancelled = call.cancel()  # ... as the caller is cancelled
        done, _ = await asyncio.wait({call}, timeout=2.0)
        assert done, "the call neither returned nor ended"
        # Either the cancel arrived too late to matter (the call had already returned), or it ended the call.
        assert call.cancelled() if cancelled else call.result() == (200, {})
    finally:
        await api.close()


async def test_close_ends_within_its_deadline_while_prices_poll_without_pause(tmp_path: Path) -> None:
    for _ in range(5):  # the price loop polls back-to-back, so close() keeps meeting replies in flight
        async with spot_loop(tmp_path, price_interval=0.0) as loop:
            await asyncio.sleep(0.05)
            started = time.monotonic()
            await loop.venue.close()
            assert time.monotonic() - started < loop.venue.close_wait
            assert not loop.venue._tasks
