"""The service stack on a remote-venue double: real SQLite in tmp_path, the real paper engine behind faults.

`remote_stack` builds everything with `build_services`, the double ("remote") as the primary
venue and, optionally, the embedded paper venue as a second one (the fallback). Nothing of
ours is mocked: faults are injected only at the venue's edge, as a remote venue would produce them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.services.container import Services, build_services
from grace_desktop.services.events import AlertRaised, OrderUpdated
from grace_desktop.storage import Storage, open_storage
from grace_desktop.storage.records import OrderRecord
from grace_desktop.venues.base import Venue
from grace_desktop.venues.paper import PaperVenue
from tests.services.conftest import START_PRICES
from tests.venues.remote_double import RemoteDouble

REMOTE = "remote"
DEADLINE = 0.2  # the double's own per-call deadline: a reply later than this is a timeout


def make_double(**kwargs: Any) -> RemoteDouble:
    kwargs.setdefault("deadline", DEADLINE)
    kwargs.setdefault("landing_window", 1.0)
    kwargs.setdefault("slippage_bps", 0.0)
    return RemoteDouble(name=REMOTE, **kwargs)


async def start_services(
    store: Storage, venues: dict[str, Venue], *, primary: str = REMOTE, order_timeout: float = 1.0,
    sweep_interval: float = 3600, prices: dict[str, float] | None = None,
) -> Services:
    services = await build_services(store, primary, venues=venues, sweep_interval=sweep_interval,
                                     retry_delays=(0.01, 0.02), order_timeout=order_timeout)
    for venue in venues.values():
        for market, price in (prices or START_PRICES).items():
            await venue.push_tick(market, price)  # type: ignore[attr-defined]
    return services


@asynccontextmanager
async def remote_stack(
    data_dir: Path, *, double: RemoteDouble | None = None, paper: bool | PaperVenue = False,
    paper_store: bool = True, **kwargs: Any,
) -> AsyncIterator[tuple[Services, RemoteDouble]]:
    """Services on `double` (primary, "remote") and, with `paper`, the embedded paper venue too."""
    store = open_storage(data_dir)
    double = double or make_double()
    venues: dict[str, Venue] = {REMOTE: double}
    if isinstance(paper, PaperVenue):
        venues["paper"] = paper
    elif paper:
        venues["paper"] = PaperVenue(store if paper_store else None, feed=None, slippage_bps=0.0)
    services = await start_services(store, venues, **kwargs)
    try:
        yield services, double
    finally:
        await services.stop()
        store.close()


class Recorder:
    """Everything the bus carried that a test asserts on: order updates and alerts."""

    def __init__(self, services: Services) -> None:
        self.orders: list[OrderUpdated] = []
        self.alerts: list[AlertRaised] = []
        services.events.subscribe(self._on)

    def _on(self, event: object) -> None:
        if isinstance(event, OrderUpdated):
            self.orders.append(event)
        elif isinstance(event, AlertRaised):
            self.alerts.append(event)

    def statuses(self, client_id: str) -> list[OrderStatus]:
        return [e.order.status for e in self.orders if e.order.client_id == client_id]

    def titled(self, text: str) -> list[AlertRaised]:
        return [a for a in self.alerts if text.lower() in a.alert.title.lower()]


def row(services: Services, client_id: str) -> OrderRecord:
    record = services.store.orders.get(client_id)
    assert record is not None, f"order {client_id} is not in the journal"
    return record


def status_is(services: Services, client_id: str, status: OrderStatus) -> bool:
    record = services.store.orders.get(client_id)
    return record is not None and record.order.status is status
