"""The bridge coalesces a flood of service events into ≤ 30 flushes/s and loses nothing that matters."""

from __future__ import annotations

import asyncio
import time

from grace_desktop.domain.models import Portfolio
from grace_desktop.services.events import AlertRaised, EventBus, PortfolioChanged, PriceTick, VenueStatusChanged
from grace_desktop.storage import AlertRecord
from grace_desktop.ui.bridge import MIN_INTERVAL_MS, ServicesBridge
from tests.ui.conftest import wait_until


async def test_flood_is_coalesced_and_latest_price_wins():
    bus = EventBus()
    bridge = ServicesBridge(bus.subscribe)
    prices, alerts, ticks, portfolios = [], [], [], []
    bridge.prices_changed.connect(prices.append)
    bridge.alerts_raised.connect(alerts.extend)
    bridge.ticks_arrived.connect(ticks.extend)
    bridge.portfolios_changed.connect(portfolios.append)
    start = time.monotonic()
    sent = 0
    # ~1 s of 5,000 events/s, in bursts the way a feed delivers them.
    while time.monotonic() - start < 1.0:
        for i in range(50):
            bus.publish(PriceTick(f"M{i % 20}", 100.0 + sent, time.time()))
            sent += 1
        bus.publish(PortfolioChanged("paper", Portfolio("paper", float(sent))))
        await asyncio.sleep(0.01)
    bus.publish(AlertRaised(AlertRecord(time.time(), "warning", "last", "")))
    await wait_until(lambda: alerts, what="the last flush")  # a paused process flushes late, never not at all
    elapsed = time.monotonic() - start
    assert bridge.flush_count <= elapsed * 1000 / MIN_INTERVAL_MS + 2
    assert bridge.flush_count >= 10  # and it did keep flushing, not only at the end
    assert len(ticks) == sent  # every tick reaches the chart (bounded per flush, not dropped here)
    assert max(p for batch in prices for p in batch.values()) == 100.0 + sent - 1
    assert portfolios[-1]["paper"].balance == float(sent)
    assert [a.title for a in alerts] == ["last"]
    bridge.detach()


async def test_detach_stops_delivery():
    bus = EventBus()
    bridge = ServicesBridge(bus.subscribe)
    seen = []
    bridge.venues_changed.connect(seen.append)
    bus.publish(VenueStatusChanged("paper", True, "ok"))
    await asyncio.sleep(0.1)
    assert seen == [{"paper": (True, "ok")}]
    bridge.detach()
    bus.publish(VenueStatusChanged("paper", False, "down"))
    await asyncio.sleep(0.1)
    assert len(seen) == 1
