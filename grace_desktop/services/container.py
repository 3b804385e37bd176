"""Builds and starts the service graph (venues, selector, trading, monitor, alerts) on the running loop."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from grace_desktop.services.alerts import AlertStream
from grace_desktop.services.events import EventBus, VenueStatusChanged
from grace_desktop.services.monitor import PositionMonitor
from grace_desktop.services.round_trips import VenueJournal
from grace_desktop.services.selector import VenueSelector
from grace_desktop.services.tasks import TaskSupervisor
from grace_desktop.services.trading import TradingService
from grace_desktop.storage import Storage
from grace_desktop.venues.base import Venue

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
BUILT_VENUES = ("paper", "spot")


def check_venue(name: str) -> None:
    """Refuse a venue this build cannot run, before start-up creates the data dir or the database."""
    if name not in BUILT_VENUES:
        raise VenueUnavailableError(f"the {name} venue adapter is not part of this build yet; use --venue paper")


def build_venue(name: str, store: Storage, *, feed: Any = SIMULATED, mango_url: str | None = None,
                spot_options: dict[str, Any] | None = None) -> Venue:
    """`feed` for the paper venue: "simulated" (the default live-looking prices), None (prices are
    pushed by the caller, as tests do) or any async iterable of Ticks (e.g. a ReplayFeed).
    `spot_options` are `venues.spot.create_venue`'s keyword arguments (router, router_url, rpc_url,
    keypair, api_key, tokens, slippage_bps, fallback...); the swap record goes next to the database."""
    check_venue(name)
    if name == "spot":
        from grace_desktop.venues.spot import create_venue

        options = dict(spot_options or {})
        if not options.get("rpc_url"):
            raise VenueUnavailableError("the spot venue needs a Solana RPC URL (--rpc-url or settings)")
        options.setdefault("data_dir", store.path.parent)
        try:
            venue: Venue = create_venue(**options)
        except ValueError as exc:
            raise VenueUnavailableError(f"spot venue: {exc}") from None
        return venue
    from grace_desktop.venues.feeds import SimulatedFeed
    from grace_desktop.venues.paper import PaperVenue

    if feed == SIMULATED:
        feed = SimulatedFeed(seed=int(time.time()))
    return PaperVenue(store, feed=feed)


async def build_services(
    store: Storage, venue: str = "paper", *, mango_url: str | None = None, feed: Any = SIMULATED,
    account: str | None = None, sweep_interval: float = 3.0, retry_delays: tuple[float, ...] | None = None,
    venues: dict[str, Venue] | None = None, internal_account: bool = False, order_timeout: float = 10.0,
    spot_options: dict[str, Any] | None = None,
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
        venue: build_venue(venue, store, feed=feed, mango_url=mango_url, spot_options=spot_options)}
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
    await monitor.start([account])
    for name, v in built.items():
        health = await v.health()
        bus.publish(VenueStatusChanged(name, health.ok, health.detail))
    return Services(store, account, bus, alerts, selector, trading, monitor, journal, built)
