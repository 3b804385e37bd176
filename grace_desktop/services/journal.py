"""Journals what venues report after the fact: closed round trips, liquidations, funding."""

from __future__ import annotations

import logging
from dataclasses import replace
from collections.abc import Callable
from typing import Any

from grace_desktop.services.alerts import AlertStream
from grace_desktop.services.events import EventBus, OrderUpdated, TradeClosed
from grace_desktop.storage import Storage
from grace_desktop.venues.paper.events import (
    ClosedPart, FillEvent, FundingEvent, LiquidationEvent, OrderEvent, trade_record,
)

log = logging.getLogger(__name__)


class TradeJournal:
    def __init__(
        self, store: Storage, bus: EventBus, alerts: AlertStream, purposes: dict[str, str] | None = None
    ) -> None:
        self.store = store
        self._purposes = purposes if purposes is not None else {}
        self.bus = bus
        self.alerts = alerts
        self._detach: list[Callable[[], None]] = []

    def attach(self, venue_name: str, venue: Any) -> None:
        """Listen to a venue's fill, liquidation, order and funding reports, where it gives them."""

        def listener(event: object) -> None:
            self.on_event(venue_name, event)

        for method in ("add_fill_listener", "add_liquidation_listener", "add_order_listener", "add_funding_listener"):
            add = getattr(venue, method, None)
            if add is not None:
                self._detach.append(add(listener))

    def detach(self) -> None:
        for undo in self._detach:
            undo()
        self._detach.clear()

    def on_event(self, venue_name: str, event: object) -> None:
        try:
            if isinstance(event, LiquidationEvent):
                self._record_close(venue_name, event.closed)
                self.alerts.raise_alert(
                    "critical", "Position liquidated",
                    f"{event.side.value} {event.size:g} {event.market} liquidated at {event.liquidation_price:,.4f} "
                    f"(mark {event.mark:,.4f}); loss {event.realized_pnl:,.2f}, fee {event.liquidation_fee:,.2f}",
                    account=event.account, market=event.market,
                )
            elif isinstance(event, FillEvent):
                if event.closed is not None:
                    self._record_close(venue_name, event.closed)
                if event.reason == "limit":
                    self._update_order(venue_name, event.account, event.order)
            elif isinstance(event, OrderEvent):
                self._update_order(venue_name, event.account, event.order)
            elif isinstance(event, FundingEvent):
                log.debug("funding %s %s %.6f", event.account, event.market, event.amount)
        except Exception:
            log.exception("could not journal %s from %s", type(event).__name__, venue_name)

    def _record_close(self, venue_name: str, closed: ClosedPart) -> None:
        # The rule that sent the close (stop_loss, manual...) says more than the order type does.
        trade = replace(trade_record(closed, venue_name), close_reason=self._purposes.get(closed.client_id, closed.reason))
        trade_id = self.store.trades.record(trade)
        self.bus.publish(TradeClosed(replace(trade, id=trade_id)))

    def _update_order(self, venue_name: str, account: str, order: Any) -> None:
        """Resting orders change state at the venue later (fills, cancels): keep the journal in step."""
        if self.store.orders.get(order.client_id) is None:
            return
        self.store.orders.update(
            order.client_id, status=order.status, venue_order_id=order.venue_order_id,
            filled_size=order.filled_size, avg_fill_price=order.avg_fill_price, reason=order.reason or None,
        )
        self.bus.publish(OrderUpdated(account, order))
