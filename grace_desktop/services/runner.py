"""Window-less entry points: `--headless` (protection running on a server) and `--self-test`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from grace_desktop.domain import margin
from grace_desktop.domain.enums import OrderStatus
from grace_desktop.services.container import Services, VenueUnavailableError, build_services
from grace_desktop.storage import open_storage

log = logging.getLogger("grace_desktop")


def _setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


async def _headless(args: argparse.Namespace) -> int:
    store = open_storage(args.data_dir)
    try:
        services = await build_services(store, args.venue, mango_url=args.mango_url)
    except VenueUnavailableError as exc:
        print(f"grace-desktop: {exc}", file=sys.stderr)
        store.close()
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("headless: monitoring account %s on %s (data: %s); Ctrl-C to stop", services.account, args.venue,
             store.path)
    try:
        await stop.wait()
    finally:
        await services.stop()
        store.close()
    log.info("headless: stopped cleanly")
    return 0


def run_headless(args: argparse.Namespace) -> int:
    _setup_logging()
    return asyncio.run(_headless(args))


async def _self_test(args: argparse.Namespace) -> int:
    store = open_storage(args.data_dir)
    services: Services | None = None
    try:
        services = await build_services(store, args.venue, mango_url=args.mango_url, account="self-test")
        return await _round_trip(services)
    except VenueUnavailableError as exc:
        print(f"self-test FAILED: {exc}")
        return 2
    finally:
        if services is not None:
            await services.stop()
        store.close()


async def _round_trip(services: Services) -> int:
    trading, account = services.trading, services.account
    markets = trading.markets()
    market = next((m for m, s in markets.items() if s.is_perp), None) or next(iter(markets))
    spec = markets[market]
    for _ in range(200):  # the simulated feed's first tick arrives within a fraction of a second
        if trading.mark(market) is not None:
            break
        await asyncio.sleep(0.05)
    else:
        print(f"self-test FAILED: no price for {market} after 10 s")
        return 1
    leverage = 2.0 if spec.is_perp else 1.0
    size = spec.lot_size
    print(f"self-test: venue {services.selector.primary}, account {account}, data {services.store.path}")
    opened = await trading.execute_trade("buy", size, market, account, leverage=leverage)
    if not opened.success or opened.order is None:
        print(f"self-test FAILED: opening order refused: {opened.message}")
        return 1
    print(f"  opened: buy {size:g} {market} at {leverage:g}x -> {opened.order.status.value} "
          f"@ {opened.order.avg_fill_price}")
    closed = await trading.close_position(account, market, reason="self-test")
    if not closed.success or closed.order is None:
        print(f"self-test FAILED: closing order refused: {closed.message}")
        return 1
    print(f"  closed: {closed.order.request.side.value} {closed.order.request.size:g} {market} -> "
          f"{closed.order.status.value} @ {closed.order.avg_fill_price}")
    for order in (opened.order, closed.order):
        record = services.store.orders.get(order.client_id)
        if record is None or record.order.status is not OrderStatus.FILLED:
            print(f"self-test FAILED: journal does not show order {order.client_id} as filled")
            return 1
    positions = await services.selector.venues[services.selector.primary].positions(account)
    if any(p.market == market for p in positions):
        print(f"self-test FAILED: a {market} position is still open after the close")
        return 1
    trades = services.store.trades.page(account=account, market=market, limit=5)
    if not any(t.client_id == closed.order.client_id for t in trades):
        print("self-test FAILED: the closed round trip is missing from the trade journal")
        return 1
    portfolio = await trading.refresh_portfolio(account)
    print(f"  journal: both orders recorded as filled; equity now {margin.equity(portfolio):,.2f}")
    print("self-test OK")
    return 0


def run_self_test(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return asyncio.run(_self_test(args))
