"""The one door between services and widgets: bus events in, coalesced Qt signals out.

The services' EventBus calls `on_event` synchronously on the loop thread for every tick,
fill and alert. Doing widget work there would tie repaint cost to the tick rate, so the
bridge only records what changed (latest price per market, latest portfolio per account,
queued trades/alerts/orders) and a single-shot QTimer flushes it at most every
`MIN_INTERVAL_MS` — ≤ 30 repaints/s whatever the feed does. Nothing is dropped except
superseded prices and portfolios; chart ticks are bounded per flush.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from grace_desktop.services.events import (
    AlertRaised,
    MarketStale,
    OrderUpdated,
    PortfolioChanged,
    PriceTick,
    TradeClosed,
    VenueStatusChanged,
)
from grace_desktop.ui.qt import QObject, Qt, QTimer, Signal

MIN_INTERVAL_MS = 33  # ≈ 30 flushes per second at most
# If the GUI stalls, keep at most this many raw ticks for the chart's line per flush.
MAX_CHART_TICKS = 20_000


class ServicesBridge(QObject):
    prices_changed = Signal(object)  # dict[str, float]: latest price per market moved since last flush
    ticks_arrived = Signal(object)  # list[(market, ts, price)] for the chart, oldest first
    portfolios_changed = Signal(object)  # dict[str, Portfolio]: latest per account, primary venue
    venue_portfolios_changed = Signal(object)  # dict[(venue, account), Portfolio]: every venue
    orders_updated = Signal(object)  # list[(account, Order)]
    trades_closed = Signal(object)  # list[TradeRecord]
    alerts_raised = Signal(object)  # list[AlertRecord]
    venues_changed = Signal(object)  # dict[str, (ok, detail)]
    staleness_changed = Signal(object)  # list[MarketStale]
    flushed = Signal()

    def __init__(self, subscribe: Callable[[Callable[[object], None]], Callable[[], None]] | None = None,
                 parent: QObject | None = None, interval_ms: int = MIN_INTERVAL_MS) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.primary_venue = ""
        self._prices: dict[str, float] = {}
        self._ticks: list[tuple[str, float, float]] = []
        self._portfolios: dict[str, Any] = {}
        self._venue_portfolios: dict[tuple[str, str], Any] = {}
        self._orders: list[tuple[str, Any]] = []
        self._trades: list[Any] = []
        self._alerts: list[Any] = []
        self._venues: dict[str, tuple[bool, str]] = {}
        self._stale: list[MarketStale] = []
        self._scheduled = False
        self._last_flush = 0.0
        self.flush_count = 0
        self.event_count = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self.flush)
        self._unsubscribe: Callable[[], None] | None = subscribe(self.on_event) if subscribe else None

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._timer.stop()

    # --- the hot path: called for every service event -------------------------------------
    def on_event(self, event: object) -> None:
        self.event_count += 1
        cls = type(event)
        if cls is PriceTick:
            if event.venue and event.venue != self.primary_venue:  # type: ignore[attr-defined]
                return  # the window quotes the primary venue's prices; others feed their own positions
            self._prices[event.market] = event.price  # type: ignore[attr-defined]
            self._ticks.append((event.market, event.ts, event.price))  # type: ignore[attr-defined]
        elif cls is PortfolioChanged:
            venue = event.venue or self.primary_venue  # type: ignore[attr-defined]
            if venue == self.primary_venue:
                self._portfolios[event.account] = event.portfolio  # type: ignore[attr-defined]
            self._venue_portfolios[(venue, event.account)] = event.portfolio  # type: ignore[attr-defined]
        elif cls is OrderUpdated:
            self._orders.append((event.account, event.order))  # type: ignore[attr-defined]
        elif cls is TradeClosed:
            self._trades.append(event.trade)  # type: ignore[attr-defined]
        elif cls is AlertRaised:
            self._alerts.append(event.alert)  # type: ignore[attr-defined]
        elif cls is VenueStatusChanged:
            self._venues[event.venue] = (event.ok, event.detail)  # type: ignore[attr-defined]
        elif cls is MarketStale:
            self._stale.append(event)  # type: ignore[arg-type]
        else:
            return
        if not self._scheduled:
            self._scheduled = True
            wait = self._last_flush + self.interval_ms / 1000.0 - time.monotonic()
            self._timer.start(max(0, round(wait * 1000)))

    # --- once per interval ----------------------------------------------------------------
    def flush(self) -> None:
        self._scheduled = False
        self._last_flush = time.monotonic()
        self.flush_count += 1
        # Swap before emitting: a slot that triggers new events must not see a half-drained batch.
        prices, self._prices = self._prices, {}
        ticks, self._ticks = self._ticks[-MAX_CHART_TICKS:], []
        portfolios, self._portfolios = self._portfolios, {}
        venue_portfolios, self._venue_portfolios = self._venue_portfolios, {}
        orders, self._orders = self._orders, []
        trades, self._trades = self._trades, []
        alerts, self._alerts = self._alerts, []
        venues, self._venues = self._venues, {}
        stale, self._stale = self._stale, []
        if stale:
            self.staleness_changed.emit(stale)
        if venues:
            self.venues_changed.emit(venues)
        if venue_portfolios:
            self.venue_portfolios_changed.emit(venue_portfolios)
        if portfolios:
            self.portfolios_changed.emit(portfolios)
        if ticks:
            self.ticks_arrived.emit(ticks)
        if prices:
            self.prices_changed.emit(prices)
        if orders:
            self.orders_updated.emit(orders)
        if trades:
            self.trades_closed.emit(trades)
        if alerts:
            self.alerts_raised.emit(alerts)
        self.flushed.emit()
