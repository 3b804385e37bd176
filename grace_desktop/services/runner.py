"""Window-less entry points (`--headless`, `--self-test`) and the start-up and error reporting all modes share.

Every start-up failure (venue refused, data dir unusable, grace.db refused, another instance
running) ends the same way in every mode: one line `grace-desktop: ...` on stderr and exit
code 2; `--debug` adds the traceback. Errors after start-up are logged with their traceback
and raised as alerts instead of passing silently.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from grace_desktop.domain import margin
from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import Order
from grace_desktop.domain.venue_settings import VenueSettings
from grace_desktop.services.container import (
    Services,
    VenueUnavailableError,
    build_services,
    check_venue,
    probe_venue,
)
from grace_desktop.services.protection import protection_lines
from grace_desktop.services.spot_options import probe_spot, spot_options
from grace_desktop.services.venue_settings import apply_cli_overrides, effective_venue_settings
from grace_desktop.storage import Storage, StorageError, open_storage
from grace_desktop.storage.app_settings import peek_venue_settings

log = logging.getLogger("grace_desktop")

STARTUP_FAILED = 2
SELF_TEST_ACCOUNT = "self-test"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

Notify = Callable[[str, str], None]


def setup_logging(debug: bool = False, level: int = logging.INFO) -> None:
    logging.basicConfig(level=logging.DEBUG if debug else level, stream=sys.stderr, format=LOG_FORMAT)
    if not debug:
        # httpx logs every request's full URL at INFO: a spot venue's polls are several lines a second,
        # and an RPC provider's key often sits in the URL's path.
        logging.getLogger("httpx").setLevel(logging.WARNING)


# -- start-up failures -------------------------------------------------------------------------

def failure_line(exc: BaseException) -> str:
    """The one line a start-up failure prints: `grace-desktop: <what and what to do>`."""
    if isinstance(exc, (StorageError, VenueUnavailableError)):
        text = str(exc)
    elif isinstance(exc, OSError) and exc.filename:
        text = f"{exc.filename}: {exc.strerror or exc}; check the path and its permissions"
    else:
        text = f"start-up failed: {type(exc).__name__}: {exc}; run with --debug for the traceback"
    return "grace-desktop: " + " ".join(text.split())


def report_startup_failure(exc: BaseException, *, debug: bool = False) -> int:
    """Print the failure (traceback first with --debug) and return the exit code, 2."""
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    print(failure_line(exc), file=sys.stderr, flush=True)
    return STARTUP_FAILED


# -- errors after start-up ---------------------------------------------------------------------

def install_error_hooks(loop: asyncio.AbstractEventLoop, notify: Notify | None = None) -> Callable[[], None]:
    """Log uncaught errors (main thread, other threads, the loop's callbacks and tasks) with their
    traceback at ERROR, and pass a one-line title/text to `notify` on the loop's thread.

    Returns a function that puts the previous hooks back.
    """

    def tell(title: str, text: str) -> None:
        if notify is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(_safe_notify, notify, title, text)
        except RuntimeError:  # the loop closed meanwhile
            pass

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        log.error("unexpected error: %s", exc, exc_info=(kind, exc, tb))
        tell("Unexpected error", _one_line(exc))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread else "a thread"
        log.error("unexpected error in %s: %s", name, args.exc_value,
                  exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
        tell(f"Unexpected error in {name}", _one_line(args.exc_value))

    def loop_handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = str(context.get("message") or "error in the event loop")
        where = context.get("task") or context.get("future") or context.get("handle")
        if isinstance(exc, BaseException):
            log.error("%s (%r): %s", message, where, exc, exc_info=exc)
            tell(message[:1].upper() + message[1:], _one_line(exc))
        else:
            log.error("%s (%r)", message, where)
            tell("Event loop error", message)

    previous = (sys.excepthook, threading.excepthook, loop.get_exception_handler())
    sys.excepthook = excepthook
    threading.excepthook = thread_hook
    loop.set_exception_handler(loop_handler)

    def uninstall() -> None:
        sys.excepthook, threading.excepthook = previous[0], previous[1]
        if not loop.is_closed():
            loop.set_exception_handler(previous[2])

    return uninstall


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _safe_notify(notify: Notify, title: str, text: str) -> None:
    try:
        notify(title, text)
    except Exception:  # the reporter must never become the next uncaught error
        log.debug("could not show the error", exc_info=True)


# -- the modes ---------------------------------------------------------------------------------

def startup_venue_settings(store: Storage, args: argparse.Namespace, *, self_test: bool = False) -> VenueSettings:
    """The database's venue settings with the command line's overrides (a bad flag is a start-up
    failure). The self-test trades only on the venue it was asked for: a saved Mango account joins
    a paper self-test only when --mango-url names it."""
    try:
        settings = effective_venue_settings(store, args)
    except DomainError as exc:
        raise VenueUnavailableError(f"venue settings: {exc}") from None
    if self_test and args.venue == "paper" and getattr(args, "mango_url", None) is None:
        settings = settings.updated(mango_enabled=False)
    return settings


def _saved_mango_url(args: argparse.Namespace) -> str | None:
    """The Mango URL saved in settings, read without creating a file (None: --venue is not
    mango_v3, or nothing saved yet); what build_services will connect to when no flag overrides it."""
    if args.venue != "mango_v3":
        return None
    saved = peek_venue_settings(args.data_dir)
    return saved.mango_url if saved is not None else None


async def _spot_options_before_start(args: argparse.Namespace) -> dict[str, Any]:
    """The spot venue's wallet, keys and URLs from the saved settings (read without creating a
    file) and the flags: a spot venue without a usable wallet is refused before the data dir exists."""
    try:
        settings = apply_cli_overrides(peek_venue_settings(args.data_dir) or VenueSettings(), args)
    except DomainError as exc:
        raise VenueUnavailableError(f"venue settings: {exc}") from None
    options = await spot_options(settings)
    await probe_spot(options)
    return options


async def preflight(args: argparse.Namespace) -> dict[str, Any]:
    """Everything about the venue that can refuse to start, before any file is made (the window
    runs it too): a venue this build lacks, an unreachable Mango service, a spot venue without a
    usable wallet. Returns what build_services needs from it (the spot venue's options)."""
    check_venue(args.venue)
    await probe_venue(args.venue, mango_url=getattr(args, "mango_url", None) or _saved_mango_url(args))
    return {"spot_options": await _spot_options_before_start(args)} if args.venue == "spot" else {}


async def _start(args: argparse.Namespace, mode: str, account: str | None = None) -> Services:
    """Venue first (a refused venue creates no files), then the locked, checked store, then services."""
    prepared = await preflight(args)
    store = open_storage(args.data_dir, mode=mode)
    try:
        if account is not None:
            # Internal: the self-test's account stays out of the user's account list.
            store.accounts.ensure(account, args.venue, internal=True)
        settings = startup_venue_settings(store, args, self_test=account is not None)
        mango_url = args.mango_url or (settings.mango_url if args.venue == "mango_v3" else None)
        feed = "simulated" if account is not None else settings.feed  # the self-test needs no network for prices
        return await build_services(store, args.venue, mango_url=mango_url, account=account,
                                    feed=feed, feed_url=settings.feed_url, venue_settings=settings,
                                    **prepared)
    except BaseException:
        store.close()
        raise


async def _headless(args: argparse.Namespace) -> int:
    try:
        services = await _start(args, "headless")
    except Exception as exc:
        return report_startup_failure(exc, debug=getattr(args, "debug", False))
    store = services.store
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    install_error_hooks(loop, lambda title, text: _alert(services, title, text))
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("headless: monitoring account %s on %s (data: %s); Ctrl-C to stop", services.account, args.venue,
             store.path)
    protected = protection_lines(services.monitor)
    log.info("headless: protecting %d position(s) and entry condition(s)%s", len(protected), ":" if protected else "")
    for line in protected:
        log.info("headless:   %s", line)
    try:
        await stop.wait()
    finally:
        await services.stop()
        store.close()
    log.info("headless: stopped cleanly")
    return 0


def run_headless(args: argparse.Namespace) -> int:
    setup_logging(getattr(args, "debug", False))
    return asyncio.run(_headless(args))


async def _self_test(args: argparse.Namespace) -> int:
    try:
        services = await _start(args, "self-test", account=SELF_TEST_ACCOUNT)
    except Exception as exc:
        return report_startup_failure(exc, debug=getattr(args, "debug", False))
    install_error_hooks(asyncio.get_running_loop())
    try:
        return await _round_trip(services)
    finally:
        await services.stop()
        services.store.close()


async def _round_trip(services: Services) -> int:
    trading, account = services.trading, services.account
    markets = trading.markets()
    venue = services.selector.venues[services.selector.primary]
    # A remote venue's account may hold the user's positions (one Mango account serves every app
    # account): trade only where it is flat, so the close sized from the position closes only ours.
    held = {p.market for p in await venue.positions(account)}
    market = next((m for m, s in markets.items() if s.is_perp and m not in held), None) or next(
        (m for m in markets if m not in held), None)
    if market is None:
        print("self-test FAILED: the venue holds a position in every market; nothing left to test on")
        return 1
    spec = markets[market]
    for _ in range(200):  # the simulated feed's first tick arrives within a fraction of a second
        if trading.mark(market) is not None:
            break
        await asyncio.sleep(0.05)
    else:
        why = ""
        try:  # the venue's own word on why (a price source it cannot reach, a 429)
            async with asyncio.timeout(5.0):
                health = await venue.health()
            why = f" ({health.detail})" if health.detail else ""
        except Exception as exc:  # noqa: BLE001 - the failure is reported either way
            why = f" ({exc})"
        print(f"self-test FAILED: no price for {market} after 10 s{why}")
        return 1
    leverage = 2.0 if spec.is_perp else 1.0
    size = spec.lot_size
    mark = trading.mark(market)
    if not spec.is_perp and mark:  # a spot lot can be dust a router refuses: swap about 1 unit of quote
        size = max(spec.lot_size, spec.round_size_down(1.0 / mark))
    print(f"self-test: venue {services.selector.primary}, account {account}, data {services.store.path}")
    opened = await trading.execute_trade("buy", size, market, account, leverage=leverage)
    if not opened.success or opened.order is None:
        print(f"self-test FAILED: opening order refused: {opened.message}")
        return 1
    opened_order = await _settled(services, opened.order)
    print(f"  opened: buy {size:g} {market} at {leverage:g}x -> {opened_order.status.value} "
          f"@ {opened_order.avg_fill_price}")
    if opened_order.status is not OrderStatus.FILLED:
        print(f"self-test FAILED: the opening order ended {opened_order.status.value}: {opened_order.reason}")
        return 1
    closed = await trading.close_position(account, market, reason="self-test")
    if not closed.success or closed.order is None:
        print(f"self-test FAILED: closing order refused: {closed.message}")
        return 1
    closed_order = await _settled(services, closed.order)
    print(f"  closed: {closed.order.request.side.value} {closed.order.request.size:g} {market} -> "
          f"{closed_order.status.value} @ {closed_order.avg_fill_price}")
    for order in (opened.order, closed.order):
        record = services.store.orders.get(order.client_id)
        if record is None or record.order.status is not OrderStatus.FILLED:
            print(f"self-test FAILED: journal does not show order {order.client_id} as filled")
            return 1
    positions = await services.selector.venues[services.selector.primary].positions(account)
    if any(p.market == market for p in positions):
        print(f"self-test FAILED: a {market} position is still open after the close")
        return 1
    for _ in range(100):  # the journal books the round trip from the venue's fill events
        trades = services.store.trades.page(account=account, market=market, limit=5)
        if any(t.client_id == closed.order.client_id for t in trades):
            break
        await asyncio.sleep(0.05)
    else:
        print("self-test FAILED: the closed round trip is missing from the trade journal")
        return 1
    portfolio = await trading.refresh_portfolio(account)
    print(f"  journal: both orders recorded as filled; equity now {margin.equity(portfolio):,.2f}")
    print("self-test OK")
    return 0


async def _settled(services: Services, order: Order, timeout: float = 120.0) -> Order:
    """The order once filled or final, and its fills journaled: a swap is confirmed on chain after the
    venue took it, so a remote venue's answer can be "submitted" first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        record = services.store.orders.get(order.client_id)
        if record is not None and (record.order.status.is_final or record.order.status is OrderStatus.FILLED):
            if services.journal.backlog == 0:
                return record.order
        await asyncio.sleep(0.05)
    return order


def run_self_test(args: argparse.Namespace) -> int:
    setup_logging(getattr(args, "debug", False), level=logging.WARNING)
    return asyncio.run(_self_test(args))


def _alert(services: Services, title: str, text: str) -> None:
    services.alerts.error(title, text)
