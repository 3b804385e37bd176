"""Issue 9: the Mango V3 adapter through TradingService, against the loopback mango-v3-service over HTTP.

Faults are injected only at the service (tests/venues/mango_service.py): the order is found by its
client id, never sent twice; `--self-test` opens and closes exactly once even when a reply is lost.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.services.container import Services, build_services
from grace_desktop.storage import open_storage
from grace_desktop.venues.mango_v3 import MangoV3Venue, create_venue
from tests.services.conftest import wait_until
from tests.services.remote_stack import row, status_is
from tests.venues.mango_service import Fault, MangoService

M = "SOL-PERP"
ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def mango_stack(tmp_path: Path, **venue_opts: object) -> AsyncIterator[tuple[Services, MangoService]]:
    service = MangoService().start()
    venue_opts = {"poll_interval": 0.05, "rate": 500, "burst": 50, "timeout": 1.5, "landing_window": 3.0,
                  "confirm_window": 0.3, **venue_opts}
    venue: MangoV3Venue = create_venue(service.url, **venue_opts)  # type: ignore[arg-type]
    store = open_storage(tmp_path)
    services = await build_services(store, "mango_v3", venues={"mango_v3": venue}, sweep_interval=3600,
                                    retry_delays=(0.01, 0.02), order_timeout=2.0)
    try:
        yield services, service
    finally:
        await services.stop()
        store.close()
        service.stop()


async def held(services: Services) -> float:
    positions = await services.selector.venues["mango_v3"].positions(services.account)
    return sum(p.side.sign * p.size for p in positions if p.market == M)


async def test_a_5x_long_shows_the_service_entry_and_closes_flat(tmp_path: Path) -> None:
    async with mango_stack(tmp_path) as (services, service):
        trading, account = services.trading, services.account
        assert account == "mango_v3"
        result = await trading.execute_trade("buy", 2.0, M, account, leverage=5.0)
        assert result.success and result.order is not None, result.reasons
        await wait_until(lambda: status_is(services, result.order.client_id, OrderStatus.FILLED), timeout=5)
        [position] = await services.selector.venues["mango_v3"].positions(account)
        assert position.entry_price == pytest.approx(service.state.holdings[M].entry)  # the service's entry
        body = service.place_bodies[-1]
        # "At market" on Mango is an IOC limit capped around the mark (the service's market orders are unbounded).
        assert body["type"] == "limit" and body["ioc"] is True and body["price"] == pytest.approx(101.0)
        assert body["postOnlySlide"] is False and isinstance(body["clientId"], int)
        closed = await trading.close_position(account, M, reason="manual")
        assert closed.success, closed.reasons
        await wait_until(lambda: status_is(services, closed.order.client_id, OrderStatus.FILLED), timeout=5)
        assert await held(services) == 0 and M not in service.state.holdings
        assert service.place_bodies[-1]["size"] == pytest.approx(2.0)  # sized from the fresh position
        await wait_until(lambda: any(t.client_id == closed.order.client_id
                                     for t in services.store.trades.page(account=account, market=M, limit=5)))


@pytest.mark.parametrize("fault", [Fault("drop_after"), Fault("truncated"), Fault("late", delay=3.0)])
async def test_a_lost_or_late_reply_is_found_by_client_id_never_sent_twice(tmp_path: Path, fault: Fault) -> None:
    async with mango_stack(tmp_path) as (services, service):
        service.fault("POST /api/orders", fault)
        result = await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=2.0)
        assert result.success and result.order is not None, result.reasons
        cid = result.order.client_id
        await wait_until(lambda: status_is(services, cid, OrderStatus.FILLED), timeout=5)
        assert service.place_calls[cid] == 1
        assert await held(services) == pytest.approx(1.0)


@pytest.mark.parametrize("kind", ["no_answer", "500", "html", "success_false"])
async def test_an_order_the_service_never_executed_fails_after_the_landing_window(tmp_path: Path,
                                                                                 kind: str) -> None:
    async with mango_stack(tmp_path) as (services, service):
        service.fault("POST /api/orders", Fault(kind, delay=3.0))  # "no_answer": held past the 1.5 s timeout
        result = await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=2.0)
        cid = result.order.client_id
        assert result.order.status is OrderStatus.UNKNOWN  # nothing final while it might still land
        await wait_until(lambda: status_is(services, cid, OrderStatus.FAILED), timeout=10)
        assert service.place_calls[cid] == 1 and await held(services) == 0


async def test_a_429_is_not_sent_and_says_so(tmp_path: Path) -> None:
    async with mango_stack(tmp_path) as (services, service):
        service.fault("POST /api/orders", Fault("429", retry_after=0.5))
        result = await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=2.0)
        assert not result.success and "429" in result.message
        assert row(services, result.order.client_id).order.status is OrderStatus.FAILED
        await asyncio.sleep(0.6)  # every call, reads too, waits out the Retry-After
        assert await held(services) == 0 and service.place_calls[result.order.client_id] == 1


async def test_a_reduce_only_close_never_goes_beyond_the_position(tmp_path: Path) -> None:
    async with mango_stack(tmp_path) as (services, service):
        venue = services.selector.venues["mango_v3"]
        opened = await services.trading.execute_trade("sell", 1.0, M, services.account, leverage=2.0)
        await wait_until(lambda: status_is(services, opened.order.client_id, OrderStatus.FILLED), timeout=5)
        result = await services.trading.execute_trade("buy", 3.0, M, services.account, reduce_only=True,
                                                      venue="mango_v3")
        assert result.success, result.reasons
        assert service.place_bodies[-1]["size"] == pytest.approx(1.0)  # the service would have flipped us long
        assert await venue.positions(services.account) == []


async def test_btc_0_0157_is_booked_as_157_lots(tmp_path: Path) -> None:
    async with mango_stack(tmp_path) as (services, service):
        result = await services.trading.execute_trade("buy", 0.0157, "BTC-PERP", services.account, leverage=2.0)
        assert result.success, result.reasons
        await wait_until(lambda: status_is(services, result.order.client_id, OrderStatus.FILLED), timeout=5)
        assert service.state.holdings["BTC-PERP"].base_lots == 157


def run_self_test(url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "grace_desktop", "--venue", "mango_v3", "--mango-url", url,
                           "--self-test", "--data-dir", str(data_dir)], capture_output=True, text=True,
                          timeout=120, env=env, cwd=ROOT)


@pytest.mark.slow
@pytest.mark.parametrize("fault", [None, "drop_after"])
def test_self_test_opens_and_closes_exactly_once(tmp_path: Path, fault: str | None) -> None:
    service = MangoService().start()
    try:
        service.state.set_price("MNGO-PERP", 0.02)
        if fault is not None:
            service.fault("POST /api/orders", Fault(fault))  # the opening order's reply is lost
        done = run_self_test(service.url, tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "self-test OK" in done.stdout
        assert sorted(service.place_calls.values()) == [1, 1]  # one open, one close, nothing re-sent
        assert service.state.holdings == {}  # flat
    finally:
        service.stop()
