"""The app on live prices (a loopback stand-in of Hyperliquid's /info), and on simulated prices when
the live source is unreachable: start-up never waits for it, and trading works either way."""

from __future__ import annotations

import time
from pathlib import Path

from grace_desktop.services.container import build_services
from grace_desktop.storage import open_storage
from grace_desktop.venues.feeds import FallbackFeed
from tests.services.conftest import wait_until
from tests.venues.hyperliquid_standin import HyperliquidStandIn
from tests.venues.test_live_feed import closed_port_url


async def test_paper_trades_on_live_prices(tmp_path: Path) -> None:
    standin = await HyperliquidStandIn().start()
    store = open_storage(tmp_path)
    services = await build_services(store, "paper", feed="live", feed_url=standin.url, sweep_interval=3600)
    try:
        paper = services.paper
        await wait_until(lambda: paper.last_price("BTC-PERP") is not None, timeout=10)
        assert paper.last_price("BTC-PERP") == 67012.5 and paper.last_price("SOL-PERP") == 148.93
        result = await services.trading.execute_trade("buy", 0.01, "BTC-PERP", services.account, leverage=2)
        assert result.success, result.reasons
        assert abs(result.order.avg_fill_price - 67012.5) / 67012.5 < 0.001  # filled at the live mid (+ slippage)
        standin.mids["BTC"] = "68000"
        await wait_until(lambda: paper.last_price("BTC-PERP") == 68000.0, timeout=10)
        await store.write(lambda: None)  # alerts are journaled behind queued writes
        titles = [a.title for a in store.alerts.recent()]
        assert "Live prices" in titles and "Live prices unavailable" not in titles
    finally:
        await services.stop()
        store.close()
        await standin.stop()


async def test_starts_and_trades_on_simulated_prices_when_live_is_unreachable(tmp_path: Path) -> None:
    store = open_storage(tmp_path)
    started = time.monotonic()
    services = await build_services(store, "paper", feed="live", feed_url=closed_port_url(), sweep_interval=3600)
    try:
        assert time.monotonic() - started < 5  # start-up did not wait for the live source
        paper = services.paper
        feed = paper._feed
        assert isinstance(feed, FallbackFeed)
        await wait_until(lambda: feed.source == "simulated", timeout=15)
        await wait_until(lambda: paper.last_price("ETH-PERP") is not None, timeout=5)
        result = await services.trading.execute_trade("sell", 0.1, "ETH-PERP", services.account, leverage=3)
        assert result.success, result.reasons
        await services.store.write(lambda: None)  # alerts are journaled behind queued writes
        alerts = {a.title: a for a in store.alerts.recent()}
        fallback = alerts["Live prices unavailable"]
        assert fallback.level == "warning" and "simulated prices" in fallback.text
    finally:
        await services.stop()
        store.close()
