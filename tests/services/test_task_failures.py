"""Issue 8, finding 8: nothing fails silently. A spawned task that raises is logged and alerted; a
conditional entry that raises goes through the alert and decision path; a price stream that ends
is alerted and reconnected; stale prices are published and alerted as running the stops blind.
"""

from __future__ import annotations

import logging

import pytest

from grace_desktop.services.events import MarketStale, VenueStatusChanged
from grace_desktop.services.trade_types import TradeConditions
from tests.services.conftest import configure, settle, wait_until
from tests.services.remote_stack import REMOTE, Recorder, remote_stack

M = "SOL-PERP"


async def test_a_spawned_task_that_raises_is_logged_and_alerted(tmp_path, caplog):
    async with remote_stack(tmp_path) as (services, _double):
        seen = Recorder(services)

        async def broken() -> None:
            raise RuntimeError("boom in the background")

        caplog.set_level(logging.ERROR)
        services.monitor.spawn(broken(), name="a-background-job")
        await wait_until(lambda: bool(seen.titled("Internal error")))
        [alert] = seen.titled("Internal error")
        assert alert.alert.level == "error" and "a-background-job" in alert.alert.text
        assert "boom in the background" in alert.alert.text
        assert any("a-background-job" in r.getMessage() and r.exc_info for r in caplog.records)
        await services.store.write(lambda: None)  # the alert's journal write is queued: FIFO, so it is done now
        assert services.store.alerts.recent()[0].title == "Internal error"  # journaled too


async def test_a_conditional_entry_that_raises_is_alerted_and_decided_never_lost(tmp_path):
    async with remote_stack(tmp_path) as (services, double):
        account = services.account
        seen = Recorder(services)
        await configure(services, auto_trading_enabled=True)
        armed = await services.trading.execute_trade("buy", 1.0, M, account, leverage=2.0,
                                                     conditions=TradeConditions(entry_below=95.0))
        assert armed.success and "armed" in armed.message
        [entry] = services.store.conditions.armed(account=account)

        async def garbled_portfolio(account: str):
            raise ValueError("unexpected reply shape from the venue")  # not a VenueError: execute_trade raises

        double.portfolio = garbled_portfolio  # the fault sits at the venue's edge, not in our code
        await double.push_tick(M, 94.0)
        await settle(services)

        [alert] = seen.titled("Conditional entry refused")
        assert "unexpected reply shape" in alert.alert.text
        assert services.store.conditions.get(entry.id).status == "fired"  # once: it never fires again
        [decision] = [d for d in services.store.decisions.recent() if d.rule == "entry"]
        assert decision.action == "refused" and "unexpected reply shape" in decision.detail
        assert await double.positions(account) == [] and double.place_calls == {}


@pytest.mark.parametrize("error", [False, True], ids=["ends", "fails"])
async def test_a_price_stream_that_ends_is_alerted_and_reconnected(tmp_path, error):
    async with remote_stack(tmp_path) as (services, double):
        seen = Recorder(services)
        statuses: list[VenueStatusChanged] = []
        services.events.subscribe(lambda e: statuses.append(e) if isinstance(e, VenueStatusChanged) else None)

        double.end_price_streams(error=error)
        await wait_until(lambda: bool(seen.titled("price stream interrupted")))
        [alert] = seen.titled("price stream interrupted")
        assert alert.alert.level == "warning" and alert.alert.title.startswith(REMOTE)
        assert any(not s.ok and "reconnecting" in s.detail for s in statuses)

        # The monitor opens a new stream (after its backoff) and prices flow again.
        await wait_until(lambda: len(double._streams) == 1, timeout=3)
        await double.push_tick(M, 101.5)
        await wait_until(lambda: services.trading.mark(M, REMOTE) == 101.5)
        assert statuses[-1].ok and "connected" in statuses[-1].detail


async def test_stale_prices_are_published_and_say_the_stops_are_running_blind(tmp_path):
    async with remote_stack(tmp_path) as (services, double):
        account = services.account
        seen = Recorder(services)
        stale: list[MarketStale] = []
        services.events.subscribe(lambda e: stale.append(e) if isinstance(e, MarketStale) else None)
        await configure(services, auto_trading_enabled=True)
        assert (await services.trading.execute_trade("buy", 1.0, M, account, leverage=2.0,
                                                     conditions=TradeConditions(stop_loss=90.0))).success
        await settle(services)
        services.monitor.staleness.default_after = 0.05  # the threshold: no tick for longer is stale

        await wait_until(lambda: any(e.venue == REMOTE and e.market == M and e.stale for e in stale), timeout=3)
        assert services.monitor.is_blind(REMOTE, M)
        [alert] = [a for a in seen.titled("Prices stale") if a.alert.market == M]
        assert alert.alert.level == "warning" and REMOTE in alert.alert.text
        assert "running blind" in alert.alert.text and "1 position" in alert.alert.text

        await double.push_tick(M, 100.5)  # prices are back...
        services.monitor.staleness.default_after = 30.0  # ...and fresh by a threshold the 1 s check can see
        await wait_until(lambda: any(e.market == M and not e.stale for e in stale), timeout=3)
        assert any(a.alert.market == M for a in seen.titled("Prices back"))
        assert not services.monitor.is_blind(REMOTE, M)
