"""Builds and starts the service graph (venues, selector, trading, monitor, alerts) on the running loop."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grace_desktop.domain.venue_settings import VenueSettings
from grace_desktop.services.alerts import AlertStream
from grace_desktop.services.away_report import TITLE as AWAY_TITLE
from grace_desktop.services.away_report import AwayReport, LastRunClock, report_since_last_run
from grace_desktop.services.events import EventBus, VenueStatusChanged
from grace_desktop.services.margin_check import DEFAULT_INTERVAL, MarginCrossCheck, has_account_endpoint
from grace_desktop.services.monitor import PositionMonitor
from grace_desktop.services.monitor_streams import unwatch_venue, watch_venue
from grace_desktop.services.round_trips import VenueJournal
from grace_desktop.services.selector import VenueSelector, VenueState
from grace_desktop.services.tasks import TaskSupervisor
from grace_desktop.services.trading import TradingService
from grace_desktop.storage import Storage
from grace_desktop.venues.base import Venue
from grace_desktop.venues.feeds.notice import FeedNotice

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
    venue_settings: VenueSettings = field(default_factory=VenueSettings)
    margin_check_interval: float = DEFAULT_INTERVAL
    margin_checks: dict[str, tuple[MarginCrossCheck, asyncio.Task[None]]] = field(default_factory=dict)
    _stopped: bool = False

    @property
    def paper(self) -> Any:
        return self.venues.get("paper")

    def accounts(self) -> list[str]:
        return [a.name for a in self.store.accounts.list()]

    async def add_venue(self, name: str, venue: Venue, *, primary: bool = False) -> None:
        """Start `venue` and trade, journal and monitor through it from now on (one already named
        `name` is removed first); `primary` makes it the perp venue the selector tries first."""
        if name in self.venues:
            await self.remove_venue(name)
        await venue.start()
        self.venues[name] = venue
        self.selector.venues[name] = venue
        self.selector.states[name] = VenueState()
        previous = self.selector.primary
        if primary:
            self.selector.primary = name
        try:
            await self.trading.load_markets()
            await self.journal.catch_up(name, venue)
        except BaseException:
            self.selector.primary = previous
            await self.remove_venue(name)
            raise
        self.journal.attach(name, venue)
        watch_venue(self.monitor, name, venue)
        self.start_margin_check(name, venue)
        await self.monitor.sync_account(self.account, name)
        health = await venue.health()
        self.events.publish(VenueStatusChanged(name, health.ok, health.detail))

    async def remove_venue(self, name: str) -> None:
        """Stop using `name` (never paper, the embedded default); positions held there stop being watched."""
        if name == "paper" or name not in self.venues:
            raise ValueError(f"venue {name!r} cannot be removed" if name == "paper" else f"no venue {name!r}")
        watched = await unwatch_venue(self.monitor, name)
        await self.journal.detach(name)
        await self.stop_margin_check(name)
        venue = self.venues.pop(name)
        self.selector.venues.pop(name, None)
        self.selector.states.pop(name, None)
        if self.selector.primary == name:
            self.selector.primary = "paper" if "paper" in self.selector.venues else next(iter(self.selector.venues))
        if self.selector.spot == name:
            self.selector.spot = None
        try:
            await venue.close()
        except Exception:
            log.exception("closing venue %s failed", name)
        await self.trading.load_markets()
        self.events.publish(VenueStatusChanged(name, False, "removed"))
        if watched:
            self.alerts.warning(f"{name} removed", f"{watched} open position(s) there are no longer watched: "
                                "their stops and liquidation guard do not run")

    async def apply_venue_settings(self, settings: VenueSettings) -> str:
        """Make the running services match saved venue settings: connect, replace or remove the Mango
        account. Raises (VenueUnavailableError, KeyFileError, DomainError, VenueError) without changing
        anything when the new Mango venue cannot be built or started."""
        before, self.venue_settings = self.venue_settings, settings
        if not settings.mango_enabled:
            if MANGO in self.venues:
                await self.remove_venue(MANGO)
                return "Mango account disconnected; leverage trades go to paper"
            return "Saved."
        if MANGO in self.venues and mango_config(before) == mango_config(settings):
            return "Saved; the Mango account is unchanged."
        try:
            await self.add_venue(MANGO, build_mango_venue(settings), primary=True)
        except BaseException:
            self.venue_settings = before
            raise
        return f"Mango account at {settings.mango_url} connected; leverage trades go there first"

    def start_margin_check(self, name: str, venue: Venue) -> None:
        """A venue that reports its own margin figures (Mango's /mango/account) is cross-checked with ours."""
        if not has_account_endpoint(venue) or name in self.margin_checks:
            return
        check = MarginCrossCheck(name, venue, self.account, lambda: self.trading.market_data.venue_markets(name),  # type: ignore[arg-type]
                                 self.alerts, interval=self.margin_check_interval)
        self.margin_checks[name] = (check, self.trading.tasks.spawn(check.run(), f"{name} margin check",
                                                                    long_lived=True))

    async def stop_margin_check(self, name: str) -> None:
        _check, task = self.margin_checks.pop(name, (None, None))
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for name in list(self.margin_checks):
            await self.stop_margin_check(name)
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
BUILT_VENUES = ("paper", "mango_v3", "spot")


def check_venue(name: str) -> None:
    """Refuse a venue this build cannot run, before start-up creates the data dir or the database."""
    if name not in BUILT_VENUES:
        raise VenueUnavailableError(f"the {name} venue adapter is not part of this build yet; use --venue paper")


MANGO = "mango_v3"


def mango_config(settings: VenueSettings) -> tuple[object, ...]:
    """What the Mango venue is built from: a change in any of it means a new venue."""
    return (settings.mango_enabled, settings.mango_url, settings.mango_key_file, settings.mango_poll_seconds)


def build_mango_venue(settings: VenueSettings) -> Venue:
    """The Mango V3 venue for the saved account (not started). An unconfirmed plain-http URL to
    another machine and a key file others can read are refused with what fixes them."""
    from grace_desktop.venues.keyfiles import check_key_file

    settings.check_mango_url_confirmed()
    key_file = str(check_key_file(settings.mango_key_file)) if settings.mango_key_file else None
    try:
        from grace_desktop.venues.mango_v3 import create_venue  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        raise VenueUnavailableError("the mango_v3 venue adapter is not part of this build yet") from None
    venue: Venue = create_venue(settings.mango_url, key_file=key_file, poll_interval=settings.mango_poll_seconds)
    return venue


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
                feed_url: str | None = None, on_feed_notice: Callable[[FeedNotice], None] | None = None,
                spot_options: dict[str, Any] | None = None) -> Venue:
    """`feed` for the paper venue: "simulated" (the default live-looking prices), "replay", "live"
    (public prices from `feed_url`, simulated when unreachable), None (prices are pushed by the
    caller, as tests do) or any async iterable of Ticks (e.g. a ReplayFeed).
    `spot_options` are `venues.spot.create_venue`'s keyword arguments (services.spot_options builds
    them from the settings); the swap record goes next to the database."""
    check_venue(name)
    if name == "spot":
        from grace_desktop.venues.spot import create_venue as create_spot_venue

        options = dict(spot_options or {})
        if not options.get("rpc_url"):
            raise VenueUnavailableError("the spot venue needs a Solana RPC URL (--rpc-url or settings)")
        options.setdefault("data_dir", store.path.parent)
        try:
            spot: Venue = create_spot_venue(**options)
        except ValueError as exc:
            raise VenueUnavailableError(f"spot venue: {exc}") from None
        return spot
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


async def _start_saved_mango(settings: VenueSettings, alerts: AlertStream) -> Venue | None:
    """The Mango venue of the saved settings, started; None (said in an alert) if it cannot be:
    a broken or unreachable Mango account must not keep the paper venue from starting."""
    try:
        mango = build_mango_venue(settings)
        await mango.start()
    except Exception as exc:  # noqa: BLE001 - any refusal is shown, paper runs on
        log.warning("Mango account not connected: %s", exc)
        alerts.warning("Mango account not connected", f"{exc}; trading on paper until it is fixed in Settings")
        return None
    return mango


async def build_services(
    store: Storage, venue: str = "paper", *, mango_url: str | None = None, feed: Any = SIMULATED,
    feed_url: str | None = None,
    account: str | None = None, sweep_interval: float = 3.0, retry_delays: tuple[float, ...] | None = None,
    venues: dict[str, Venue] | None = None, internal_account: bool = False, order_timeout: float = 10.0,
    venue_settings: VenueSettings | None = None, margin_check_interval: float = DEFAULT_INTERVAL,
    spot_options: dict[str, Any] | None = None,
) -> Services:
    """Build everything for `venue` and start it on the running loop; stop() undoes it all.

    `venues` replaces the built venues (tests pass doubles, or a second venue as a fallback);
    its entry named `venue` is the primary. `venue_settings` (the database's, with the command
    line's overrides): when its Mango account is on, the paper run also gets the Mango venue,
    first for leverage trades.
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
                           on_feed_notice=feed_notice_alerts(alerts),
                           spot_options=spot_options)}
    settings = venue_settings or VenueSettings()
    account = account or (DEFAULT_ACCOUNT if venue == "paper" else venue)
    await store.write(store.accounts.ensure, account, venue, internal=internal_account)
    for v in built.values():
        await v.start()
    primary = venue
    if settings.mango_enabled and MANGO not in built:
        mango = await _start_saved_mango(settings, alerts)
        if mango is not None:
            built = {**built, MANGO: mango}
            primary = MANGO  # Mango first for leverage when configured; paper stays for its fallback
    selector = VenueSelector(built, primary=primary)
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
    services = Services(store, account, bus, alerts, selector, trading, monitor, journal, built, away, last_run,
                        venue_settings=settings, margin_check_interval=margin_check_interval)
    for name, v in built.items():
        services.start_margin_check(name, v)
    return services
