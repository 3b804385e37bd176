"""The monitor's price streams: one supervised subscription per venue, and the stale-price watch.

A stream that ends or fails is reopened with backoff (venues.supervisor) and said in the status
bar and an alert; a market without a recent price is published as stale, with an alert that the
stops and the liquidation guard of its positions are running blind until prices are back.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from grace_desktop.domain.trigger_book import TriggerBook
from grace_desktop.services.events import MarketStale, VenueStatusChanged
from grace_desktop.venues.base import Venue
from grace_desktop.venues.supervisor import StreamStatus, SupervisedStream

if TYPE_CHECKING:
    from grace_desktop.services.monitor import PositionMonitor

STALE_CHECK_S = 1.0


async def consume_prices(monitor: PositionMonitor, name: str, venue: Venue) -> None:
    def status(s: StreamStatus) -> None:
        monitor.bus.publish(VenueStatusChanged(name, s.state == "connected", f"prices {s.state}: {s.detail}".strip()))
        if s.state == "reconnecting" and s.attempt == 1:
            monitor.alerts.warning(f"{name}: price stream interrupted", f"{s.detail}; reconnecting")

    stream = SupervisedStream(name, lambda: venue.subscribe_prices(None), on_status=status)
    monitor.track_stream(name, stream)
    async for tick in stream:
        monitor.on_tick(tick)


async def watch_staleness(monitor: PositionMonitor) -> None:
    while monitor.running:
        await asyncio.sleep(STALE_CHECK_S)
        for change in monitor.staleness.check(time.monotonic()):
            monitor.bus.publish(MarketStale(change.venue, change.market, change.stale, change.age))
            if change.stale:
                blind = monitor.positions_in(change.venue, change.market)
                extra = f"; stops and the liquidation guard of {blind} position(s) are running blind" if blind else ""
                monitor.alerts.warning("Prices stale", f"{change.market} on {change.venue}: no price for "
                                       f"{change.age:.0f} s{extra}", market=change.market)
            else:
                monitor.alerts.info("Prices back", f"{change.market} on {change.venue} is quoted again",
                                    market=change.market)


# A venue added or removed while the services run (the Mango account saved in settings). These
# reach into the monitor's own state on purpose: they are its lifecycle, kept here for its size.

def watch_venue(monitor: PositionMonitor, name: str, venue: Venue) -> None:
    """Give `name` a fresh trigger book, expect its prices and consume them (its markets are loaded)."""
    monitor.books[name] = TriggerBook()
    now = time.monotonic()
    for market in monitor.trading.market_data.venue_markets(name):
        monitor.staleness.expect(name, market, now)
    monitor._loops.add(monitor.tasks.spawn(consume_prices(monitor, name, venue), name=f"prices-{name}"))


async def unwatch_venue(monitor: PositionMonitor, name: str) -> int:
    """Stop watching `name`: its price stream, watches and trigger book go. Returns how many
    positions were being watched there (no longer guarded: the caller says so)."""
    stopping = [t for t in monitor._loops if t.get_name() == f"prices-{name}"]
    for task in stopping:
        task.cancel()
        monitor._loops.discard(task)
    if stopping:
        await asyncio.gather(*stopping, return_exceptions=True)
    keys = [k for k in monitor._watches if k[0] == name]
    for key in keys:
        monitor._drop_watch(key)
    monitor.books.pop(name, None)
    monitor._streams.pop(name, None)
    for market in monitor.trading.market_data.venue_markets(name):
        monitor.staleness.forget(name, market)
    return len(keys)
