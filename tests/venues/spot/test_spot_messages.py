"""What a trader reads for each spot fault, through TradingService (the ticket shows these lines): a
429 said once as "not sent", a "failed to land" said as maybe sent with its cause, and its expiry said
as nothing swapped — never still "confirming" once it is over."""

from __future__ import annotations

import asyncio
from pathlib import Path

from grace_desktop.domain.enums import OrderStatus
from tests.venues.spot.stack import MARKET, spot_services


async def test_the_lines_a_trader_reads_for_429_and_failed_to_land(tmp_path: Path) -> None:
    async with spot_services(tmp_path) as (loop, services):
        account = services.account
        loop.loopback.fault("order", "429")
        limited = await services.trading.execute_trade("buy", 1.0, MARKET, account)
        assert not limited.success
        assert limited.message.startswith("not placed: not sent: jupiter: Jupiter /swap/v2/order: too many")
        assert limited.message.count("not sent") == 1

        loop.loopback.fault("execute", "failed_to_land")
        unknown = await services.trading.execute_trade("buy", 1.0, MARKET, account)
        assert unknown.success and unknown.order is not None
        assert unknown.message == (f"sent, confirming… buy 1 {MARKET} on spot; maybe sent (Jupiter /execute: "
                                   "Failed to land (-1000)); confirming the signature until its blockhash expires")
        loop.chain.advance(200)  # its blockhash expires without it landing

        async def expired() -> str:
            while True:
                record = services.store.orders.get(unknown.order.client_id)
                if record is not None and record.order.status is OrderStatus.EXPIRED:
                    return record.order.reason
                await asyncio.sleep(0.02)

        reason = await asyncio.wait_for(expired(), 10)
        assert reason.startswith("not landed: its blockhash expired at block height")
        assert "nothing was swapped, safe to trade again (it was maybe sent (Jupiter /execute: Failed to land " \
               "(-1000)))" in reason and "confirming" not in reason
        assert loop.distinct_swaps() == 0
