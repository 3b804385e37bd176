"""Builds and starts the service graph (venues, selector, trading, monitor, alerts) on the running loop."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grace_desktop.services.alerts import AlertStream
from grace_desktop.services.away_report import TITLE as AWAY_TITLE
from grace_desktop.services.away_report import AwayReport, LastRunClock, report_since_last_run
from grace_desktop.services.events import EventBus, VenueStatusChanged
from grace_desktop.services.monitor import PositionMonitor
from grace_desktop.services.round_trips import VenueJournal
from grace_desktop.services.selector import VenueSelector
from grace_desktop.services.tasks import TaskSupervisor
from grace_desktop.services.trading import TradingService
from grace_desktop.storage import Storage
from grace_desktop.venues.base import Venue
from grace_desktop.venues.feeds.fallback import FeedNotice

log = logging.getLogger(__name__)

DEFAULT_ACCOUNT = "paper"


class VenueUnavailableError(Exception):
    """The requested venue cannot be built here; the message says why."""


@dataclass
class Services:
    store: Storage
    account: str
    events: EventBus
    alerts: AlertStream
    selector: VenueSelector
    trading: TradingService
    monitor: PositionMonitor
    journal: VenueJournal
    venues: dict[str, Venue] = field(default_factory=dict)
    away: AwayReport | None = None  # what changed since the last run (None: first run)
    last_run: LastRunClock | None = None
    _stopped: bool = False

    @property
    def paper(self) -> Any:
        return self.venues.get("paper")

    def accounts(self) -> list[str]:
        return [a.name for a in self.store.accounts.list()]

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.last_run is not None:
            await self.last_run.stop()  # a clean exit: the next start reports from here
        self.journal.stop()
        await self.trading.orders.stop()
        await self.monitor.stop()
        for name, venue in self.venues.items():
            try:
                await venue.close()
            except Exception:
                log.exception("closing venue %s failed", name)


SIMULATED = "simulated"
GIL_SWITCH_S = 0.0002
BUILT_VENUES = ("paper", "mango_v3")


def check_venue(name: str) -> None:
    """Refuse a venue this build cannot run, before start-up creates the data dir or the database."""
    if name not in BUILT_VENUES:
        raise VenueUnavailableError(f"the {name} venue adapter is not part of this build yet; use --venue paper")


async def probe_venue(name: str, *, mango_url: str | None = None, timeout: float = 5.0) -> None:
    """Refuse, before any file is made, a remote venue whose service does not answer."""
    if name != "mango_v3":
        return
    from grace_desktop.venues.base import VenueError
    from grace_desktop.venues.mango_v3 import DEFAULT_URL, MangoV3Client

    url = mango_url or DEFAULT_URL
    client = MangoV3Client(url, timeout=timeout, read_attempts=2)
    try:
        await client.markets()
    except VenueError as exc:
        raise VenueUnavailableError(f"the mango_v3 venue cannot use the mango-v3-service at {url} ({exc}); "
                                    "start the service or pass --mango-url") from None
    finally:
        await client.aclose()


def build_venue(name: str, store: Storage, *, feed: Any = SIMULATED, mango_url: str | None = None,
                feed_url: str | None = None, on_feed_notice: Callable[[FeedNotice], None] | None = None) -> Venue:
    """`feed` for the paper venue: "simulated" (the default live-looking prices), "replay", "live"
    (public prices from `feed_url`, simulated when unreachable), None (prices are pushed by the
    caller, as tests do) or any async iterable of Ticks (e.g. a ReplayFeed)."""
    check_venue(name)
    if name == "mango_v3":
        from grace_desktop.venues.mango_v3 import DEFAULT_URL, create_venue

        return create_venue(mango_url or DEFAULT_URL)
    from grace_desktop.venues.feeds import make_feed
    from grace_desktop.venues.paper import PaperVenue

    if isinstance(feed, str):
        feed = make_feed(feed, feed_url, on_notice=on_feed_notice)
    return PaperVenue(store, feed=feed)


def feed_notice_alerts(alerts: AlertStream) -> Callable[[FeedNotice], None]:
    """The price source's notices as alerts: the fallback to simulated prices is a warning the user must see."""
    titles = {"live": ("info", "Live prices"), "fallback": ("warning", "Live prices unavailable"),
              "interrupted": ("warning", "Live prices interrupted"), "restored": ("info", "Live prices back")}

    def notice(n: FeedNotice) -> None:
        level, title = titles[n.kind]
        alerts.raise_alert(level, title, n.text)

    return notice


async def build_services(
    store: Storage, venue: str = "paper", *, mango_url: str | None = None, feed: Any = SIMULATED,
    feed_url: str | None = None,
    account: str | None = None, sweep_interval: float = 3.0, retry_delays: tuple[float, ...] | None = None,
    venues: dict[str, Venue] | None = None, internal_account: bool = False, order_timeout: float = 10.0,
) -> Services:
    """Build everything for `venue` and start it on the running loop; stop() undoes it all.

    `venues` replaces the built venues (tests pass doubles, or a second venue as a fallback);
    its entry named `venue` is the primary.
    """
    # The storage writer thread journals a close's intent before the close may be sent; with the
    # default 5 ms GIL switch interval it waits up to 5 ms per hand-over whenever the loop is busy
    # with ticks. 0.2 ms keeps tick -> close near the loop's own cost (tests/benchmarks/bench_monitor.py).
    if sys.getswitchinterval() > GIL_SWITCH_S:
        sys.setswitchinterval(GIL_SWITCH_S)
    bus = EventBus()
    alerts = AlertStream(store, bus)
    tasks = TaskSupervisor()
    tasks.set_failure_hook(lambda name, exc: alerts.error("Internal error", f"{name} stopped: {exc}"))
    built: dict[str, Venue] = venues if venues is not None else {
        venue: build_venue(venue, store, feed=feed, mango_url=mango_url, feed_url=feed_url,
                           on_feed_notice=feed_notice_alerts(alerts))}
    account = account or (DEFAULT_ACCOUNT if venue == "paper" else venue)
    await store.write(store.accounts.ensure, account, venue, internal=internal_account)
    for v in built.values():
        await v.start()
    selector = VenueSelector(built, primary=venue)
    trading = TradingService(store, selector, bus, alerts, tasks=tasks, order_timeout=order_timeout)
    await trading.load_markets()
    monitor_kwargs: dict[str, Any] = {"sweep_interval": sweep_interval}
    if retry_delays is not None:
        monitor_kwargs["retry_delays"] = retry_delays
    monitor = PositionMonitor(trading, store, bus, alerts, **monitor_kwargs)
    journal = VenueJournal(store, bus, alerts, trading.market_data, trading.orders, tasks, clock=time.time)
    for name, v in built.items():
        await journal.catch_up(name, v)
        journal.attach(name, v)
    settled = await trading.reconcile_intents()
    if settled:
        alerts.info("Recovered orders", f"{len(settled)} order(s) left open by the last run were resolved")
    away = await report_since_last_run(store, settled)
    if away is not None and not away.empty:
        alerts.raise_alert("warning" if away.liquidations or away.lost else "info", AWAY_TITLE, away.text())
    last_run = LastRunClock(store)
    last_run.start()
    await monitor.start([account])
    for name, v in built.items():
        health = await v.health()
        bus.publish(VenueStatusChanged(name, health.ok, health.detail))
    return Services(store, account, bus, alerts, selector, trading, monitor, journal, built, away, last_run)
