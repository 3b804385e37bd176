"""Paper plus a Mango account (the loopback mango-v3-service over HTTP): spot trades go where the
market is listed, and our margin figures are cross-checked with the service's `/mango/account`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from grace_desktop.domain import mango_health
from grace_desktop.domain.settings import AccountSettings
from grace_desktop.domain.venue_settings import VenueSettings
from grace_desktop.services.container import MANGO, Services, build_services
from grace_desktop.services.margin_check import AGAIN_TITLE, TITLE, MarginCrossCheck
from grace_desktop.services.selector import NoVenueError, VenueSelector
from grace_desktop.storage import open_storage
from grace_desktop.venues.paper import PaperVenue
from tests.services.conftest import START_PRICES, wait_until
from tests.venues.mango_service import Fault, MangoService


@asynccontextmanager
async def paper_and_mango(tmp_path: Path, **options: object) -> AsyncIterator[tuple[Services, MangoService]]:
    service = MangoService().start()
    store = open_storage(tmp_path)
    settings = VenueSettings(mango_enabled=True, mango_url=service.url, mango_poll_seconds=0.5)
    services = await build_services(store, "paper", feed=None, sweep_interval=3600, venue_settings=settings,
                                    **options)  # type: ignore[arg-type]
    for market, price in START_PRICES.items():
        await services.paper.push_tick(market, price)
    try:
        yield services, service
    finally:
        await services.stop()
        store.close()
        service.stop()


async def test_spot_trades_go_to_paper_when_mango_is_primary_and_say_so(tmp_path: Path) -> None:
    async with paper_and_mango(tmp_path) as (services, service):
        assert services.selector.primary == MANGO
        assert "SOL/USDC" not in services.trading.market_data.venue_markets(MANGO)
        spot = await services.trading.execute_trade("buy", 1.0, "SOL/USDC", services.account)
        assert spot.success and spot.venue == "paper", spot.message
        assert "mango_v3 lists no spot market SOL/USDC; spot trades go to paper" in spot.message
        assert service.place_calls == {}  # nothing reached the service
        perp = await services.trading.execute_trade("buy", 1.0, "SOL-PERP", services.account, leverage=2)
        assert perp.success and perp.venue == MANGO, perp.message


def test_selector_spot_routing_without_a_listing_venue_is_refused() -> None:
    venues = {"mango_v3": PaperVenue(), "paper": PaperVenue()}
    selector = VenueSelector(venues, primary="mango_v3")
    listed = {"paper": {"SOL/USDC"}, "mango_v3": set()}

    def lists(venue: str, market: str) -> bool:
        return market in listed[venue]

    choice = selector.select(leverage_trade=False, settings=AccountSettings(), market="SOL/USDC", lists=lists)
    assert choice.name == "paper" and "lists no spot market" in choice.reason
    with pytest.raises(NoVenueError, match="no configured venue lists the spot market JUP/USDC"):
        selector.select(leverage_trade=False, settings=AccountSettings(), market="JUP/USDC", lists=lists)
    for _ in range(3):
        selector.record_failure("paper", "disk full")
    with pytest.raises(NoVenueError, match="paper is unhealthy .disk full."):
        selector.select(leverage_trade=False, settings=AccountSettings(), market="SOL/USDC", lists=lists)
    # A primary that lists the spot market keeps it, as before.
    listed["mango_v3"].add("SOL/USDC")
    assert selector.select(leverage_trade=False, settings=AccountSettings(), market="SOL/USDC",
                           lists=lists).name == "mango_v3"


def check_of(services: Services) -> MarginCrossCheck:
    return services.margin_checks[MANGO][0]


def alerts(services: Services, title: str) -> list[str]:
    return [a.text for a in services.store.alerts.recent(limit=100) if a.title == title]


async def test_the_services_figures_agree_with_ours_on_an_open_position(tmp_path: Path) -> None:
    async with paper_and_mango(tmp_path) as (services, service):
        opened = await services.trading.execute_trade("buy", 5.0, "SOL-PERP", services.account, leverage=5)
        assert opened.success, opened.message
        await wait_until(lambda: "SOL-PERP" in service.state.holdings)
        service.state.set_price("SOL-PERP", 96.0)  # the position is under water: health moved, both must see it
        venue = services.venues[MANGO]
        await wait_until(lambda: venue.last_price("SOL-PERP") == pytest.approx(96.0))
        assert await check_of(services).check_once() == []
        portfolio = await venue.portfolio(services.account)
        ours = mango_health.margin_available(
            mango_health.account_health(portfolio, await venue.markets()).init, 0.05)
        reported = (await venue.account_info()).margin_available["SOL-PERP"]
        assert ours == pytest.approx(reported, rel=1e-6) and ours < 10_000 * 20


@pytest.mark.slow
async def test_a_disagreement_alerts_once_per_episode_and_never_crashes(tmp_path: Path) -> None:
    async with paper_and_mango(tmp_path, margin_check_interval=0.05) as (services, service):
        check = check_of(services)
        await wait_until(lambda: check.checks >= 2)
        assert alerts(services, TITLE) == []
        # A SOL deposit the service counts as collateral and our USDC-only view does not: an episode.
        service.state.sol_spot = 10.0
        await wait_until(lambda: check.disagreeing, timeout=5)
        seen = check.checks
        await wait_until(lambda: check.checks >= seen + 2, timeout=5)  # it goes on checking, silently
        await services.store.write(lambda: None)  # alerts are journaled behind queued writes
        [text] = alerts(services, TITLE)
        # 10 SOL at 100, weighed 0.8: 800 USDC of init health the service has and we miss, x20 at init.
        assert "BTC-PERP: ours 200,000.00 USDC, the service's 216,000.00 USDC" in text and "more market" in text
        # The service stops answering for a while: rounds are skipped, the task lives on.
        service.fault("GET /api/mango/account", Fault("500", times=3))
        await wait_until(lambda: service.faults.get("GET /api/mango/account") is None, timeout=5)
        task = services.margin_checks[MANGO][1]
        assert not task.done()
        service.state.sol_spot = 0.0  # the episode ends: said once
        await wait_until(lambda: not check.disagreeing, timeout=5)
        await services.store.write(lambda: None)
        assert len(alerts(services, AGAIN_TITLE)) == 1
        service.state.sol_spot = 5.0  # a new episode: a new alert
        await wait_until(lambda: len(alerts(services, TITLE)) == 2, timeout=5)


async def test_removing_the_mango_account_stops_its_check(tmp_path: Path) -> None:
    async with paper_and_mango(tmp_path) as (services, _service):
        task = services.margin_checks[MANGO][1]
        await services.remove_venue(MANGO)
        assert task.done() and MANGO not in services.margin_checks
