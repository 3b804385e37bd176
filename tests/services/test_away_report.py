""""While you were away": the venue acts between two runs of the app (the paper venue on the same file,
without the app's journal listening), and the next start-up reports it once, after reconciliation."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import Order
from grace_desktop.services.away_report import LAST_RUN_KEY, TITLE, AwayReport, LastRunClock, read_last_run
from grace_desktop.services.container import Services, build_services
from grace_desktop.storage import Storage, open_storage
from grace_desktop.venues.paper import PaperVenue
from tests.services.conftest import wait_until
from tests.venues.helpers import order


async def run_app(store: Storage) -> Services:
    return await build_services(store, "paper", feed=None, sweep_interval=3600, retry_delays=(0.01, 0.02))


def back_date_last_run(store: Storage) -> float:
    """The last run as if it ended a second earlier: what act_while_away then does (up to 0.3 s after
    it, in tick time) is already in the past, so nobody waits for the wall clock to pass it."""
    last_run = read_last_run(store)
    assert last_run is not None
    store.meta.set(LAST_RUN_KEY, repr(last_run - 1.0))
    return last_run - 1.0


async def act_while_away(store: Storage, last_run: float) -> None:
    """What a venue does while the window is closed: fills, a manual close, funding, a liquidation."""
    # Its clock stands still at last_run: orders are stamped at the latest tick's time, so the whole
    # away stretch is in tick time and a last_run in the past puts all of it in the past.
    venue = PaperVenue(store, feed=None, slippage_bps=0.0, funding_interval_s=0.1, clock=lambda: last_run)
    await venue.start()
    try:
        await venue.push_tick("SOL-PERP", 100.0, last_run + 0.01)
        await venue.push_tick("ETH-PERP", 3000.0, last_run + 0.01)
        await venue.place_order(order("SOL-PERP", "buy", 1.0, account="paper", leverage=10))
        await venue.place_order(order("ETH-PERP", "buy", 0.5, account="paper", leverage=2))
        await venue.push_tick("ETH-PERP", 3100.0, last_run + 0.2)  # funding falls due
        await venue.place_order(order("ETH-PERP", "sell", 0.5, account="paper", reduce_only=True))
        await venue.push_tick("SOL-PERP", 90.0, last_run + 0.3)  # through the 10x long's liquidation price
    finally:
        await venue.close()
    # An intent the last run journaled and never sent (killed in between): lost at the venue.
    lost = order("BTC-PERP", "sell", 0.01, account="paper", client_id="lost-1", reduce_only=True)
    await store.write(store.orders.record_intent, Order(lost, OrderStatus.INTENT, created_at=time.time()), "paper",
                      "stop_loss")


async def test_first_run_reports_nothing_and_records_the_last_run(tmp_path: Path) -> None:
    store = open_storage(tmp_path)
    try:
        before = time.time()
        services = await run_app(store)
        assert services.away is None
        await services.stop()
        last = read_last_run(store)
        assert last is not None and last >= before
        assert not [a for a in store.alerts.recent() if a.title == TITLE]
    finally:
        store.close()


async def test_report_after_a_restart_names_what_the_venue_did(tmp_path: Path) -> None:
    store = open_storage(tmp_path)
    try:
        services = await run_app(store)
        await services.stop()
        last_run = back_date_last_run(store)
        await act_while_away(store, last_run)

        services = await run_app(store)
        report = services.away
        await services.stop()
        assert isinstance(report, AwayReport) and not report.empty
        assert report.since == last_run
        assert [t.market for t in report.liquidations] == ["SOL-PERP"]
        assert report.closes_by_rule == {"market": 1, "liquidation": 1}
        assert sum(f.count for f in report.fills) == 4 and sum(f.liquidations for f in report.fills) == 1
        assert report.funding and report.funding_total != 0
        assert [o.client_id for o in report.lost] == ["lost-1"]
        lines = report.lines()
        assert lines[0].startswith("Liquidated: long 1 SOL-PERP")
        assert lines[1].startswith("Lost: sell 0.01 BTC-PERP")
        assert any(line.startswith("Closed 2 position(s): 1 by market, 1 by liquidation") for line in lines)
        assert any(line.startswith("Funding: ") for line in lines)
        kept = [a for a in store.alerts.recent() if a.title == TITLE]
        assert len(kept) == 1 and kept[0].level == "warning" and kept[0].text == report.text()

        # Nothing happened since that clean exit: the third start reports an empty absence, not again.
        services = await run_app(store)
        third = services.away
        await services.stop()
        assert third is not None and third.empty and third.text().endswith("Nothing changed.")
        assert len([a for a in store.alerts.recent() if a.title == TITLE]) == 1
    finally:
        store.close()


async def test_heartbeat_keeps_the_last_run_fresh_and_survives_a_write_failure(tmp_path: Path) -> None:
    store = open_storage(tmp_path)
    try:
        now = [1000.0]
        clock = LastRunClock(store, interval=0.01, clock=lambda: now[0])
        clock.start()
        await wait_until(lambda: read_last_run(store) == 1000.0, timeout=5)  # beats land on the writer thread
        now[0] = 1005.0
        await wait_until(lambda: read_last_run(store) == 1005.0, timeout=5)
        now[0] = 1010.0
        await clock.stop()
        assert read_last_run(store) == 1010.0
        await store.write(store.meta.set, LAST_RUN_KEY, "garbage")
        assert read_last_run(store) is None
        with pytest.raises(ValueError):
            store.meta.set(LAST_RUN_KEY, 12.5)  # type: ignore[arg-type]
    finally:
        store.close()
