"""A venue that fails the first closes: the monitor retries with backoff, alerts, and closes once."""

from __future__ import annotations

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.venues.base import VenueError
from tests.services.conftest import close_orders, configure, position, settle, wait_until

M = "SOL-PERP"


async def test_failed_closes_are_retried_alerted_and_close_once(services):
    await configure(services, auto_trading_enabled=True, stop_loss_enabled=True, stop_loss_percentage=3.0)
    opened = await services.trading.execute_trade("buy", 10.0, M, services.account, leverage=2.0)
    assert opened.success
    venue = services.paper
    real_place = venue.place_order
    failures = {"left": 4, "seen": 0}

    async def flaky_place(request):
        if request.reduce_only and failures["left"] > 0:
            failures["left"] -= 1
            failures["seen"] += 1
            raise VenueError("venue unreachable (injected)", retryable=True)
        return await real_place(request)

    venue.place_order = flaky_place  # fault injection on the real paper venue
    await venue.push_tick(M, 96.0)
    await wait_until(lambda: failures["left"] == 0, timeout=5)
    await settle(services)
    await wait_until(lambda: services.monitor.pending_tasks == 0, timeout=5)
    assert await position(services, M) is None
    closes = close_orders(services, M)
    statuses = sorted(r.order.status.value for r in closes)
    assert statuses == ["failed"] * 4 + ["filled"]  # each attempt journaled; exactly one close filled
    failed_alerts = [a for a in services.store.alerts.recent() if "failed" in a.title]
    assert failed_alerts and failed_alerts[-1].level == "error"  # the first failure is raised at once
    decisions = [d.action for d in reversed(services.store.decisions.recent())]
    assert decisions.count("close failed") == 4 and decisions[-1] == "close"
    # Ticks after the close do nothing more.
    await venue.push_tick(M, 90.0)
    await settle(services)
    assert len([r for r in close_orders(services, M) if r.order.status is OrderStatus.FILLED]) == 1
    assert services.trading.selector.healthy("paper")


async def test_switching_auto_trading_off_stops_the_retries(services):
    await configure(services, auto_trading_enabled=True, stop_loss_enabled=True, stop_loss_percentage=3.0)
    assert (await services.trading.execute_trade("buy", 10.0, M, services.account, leverage=2.0)).success
    venue = services.paper
    attempts = []

    async def always_down(request):
        attempts.append(request.client_id)
        raise VenueError("venue unreachable (injected)", retryable=True)

    venue.place_order = always_down
    await venue.push_tick(M, 96.0)
    await wait_until(lambda: len(attempts) >= 2, timeout=5)
    await configure(services, auto_trading_enabled=False, stop_loss_enabled=True, stop_loss_percentage=3.0)
    await wait_until(lambda: services.monitor.pending_tasks == 0, timeout=5)
    tried = len(attempts)
    await settle(services)
    assert len(attempts) == tried  # no more attempts once the user stepped in
    assert await position(services, M) is not None
    assert any("abandoned" in a.title for a in services.store.alerts.recent())
