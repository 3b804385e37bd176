"""Service tests run the real stack: a SQLite file in tmp_path, the paper venue, prices pushed by the test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from grace_desktop.services.container import Services, build_services
from grace_desktop.storage import open_storage

START_PRICES = {"SOL-PERP": 100.0, "BTC-PERP": 60_000.0, "ETH-PERP": 3_000.0, "SOL/USDC": 100.0}


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.002)


async def settle(services: Services) -> None:
    """Let the monitor evaluate every pushed tick and its spawned close/entry tasks run to completion."""
    for _ in range(3):  # a finished task may start another (a close re-reads the position)
        for _ in range(20):
            await asyncio.sleep(0)
        await wait_until(lambda: services.monitor.backlog == 0 and services.monitor.pending_tasks == 0
                         and services.journal.backlog == 0)  # venue events journaled, not just received
    await services.store.write(lambda: None)  # FIFO: every write queued before (alerts...) is done


@pytest.fixture
async def services(tmp_path) -> AsyncIterator[Services]:
    store = open_storage(tmp_path)
    svc = await build_services(store, "paper", feed=None, sweep_interval=3600, retry_delays=(0.01, 0.02))
    for market, price in START_PRICES.items():
        await svc.paper.push_tick(market, price)
    try:
        yield svc
    finally:
        await svc.stop()
        store.close()


async def configure(services: Services, **changes: object) -> None:
    account = services.account
    settings = services.trading.settings(account).updated(**changes)
    await services.trading.save_settings(account, settings)
    await settle(services)  # the monitor re-plans on the SettingsChanged event


async def position(services: Services, market: str):
    positions = await services.paper.positions(services.account)
    return next((p for p in positions if p.market == market), None)


def close_orders(services: Services, market: str) -> list:
    rows = services.store.orders.page(account=services.account, market=market, limit=1000)
    return [r for r in rows if r.order.request.reduce_only]
