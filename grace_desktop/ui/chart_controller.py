"""Wires the chart to the services: price history, dragged levels, orders, entries, fills, book.

- History: PriceHistoryKeeper loads each shown series once (stored, then the venue's) and saves.
- A dragged TP/SL/trailing line: the change is checked (domain.exit_levels) and shown in the
  chart's confirm bar; Apply runs services.exit_levels.set_exit_level as a task — the same
  monitor path the ticket's exits take for an open position. Nothing changes before Apply.
- Resting orders, armed entry conditions and fills of the chart's market are drawn; the venue's
  order book (if it publishes one) is polled while the price tab is on screen.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any

from grace_desktop.services.exit_levels import preview_level, set_exit_level
from grace_desktop.services.order_moves import describe_move, move_order
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.candles_series import CandleBook
from grace_desktop.ui.chart_types import MarkerLine
from grace_desktop.ui.price_history import PriceHistoryKeeper
from grace_desktop.ui.qt import QTimer

log = logging.getLogger(__name__)

BOOK_POLL_MS = 1000
OVERLAY_POLL_MS = 3000
BOOK_DEPTH = 12
VENUE_DEADLINE_S = 5.0
FILLS_SHOWN = 500
FILLS_SINCE_S = 30 * 86_400


class ChartController:
    def __init__(self, window: Any, services: Any, controller: Any) -> None:
        self.window = window
        self.chart = window.chart
        self.services = services
        self.trading = services.trading
        self.controller = controller
        self.venue_name = services.selector.primary
        self.venue = services.selector.venues.get(self.venue_name)
        self.history = PriceHistoryKeeper(self.chart.book, services.store, self.venue_name, self.venue,
                                          window.tasks, self.chart.history_loaded, window)
        window.add_cleanup(lambda: self.history.close())  # whichever venue's keeper is current then
        self._busy: set[str] = set()
        self._orders: dict[str, Any] = {}  # client id -> resting Order drawn on the chart
        c = self.chart
        c.market_selected.connect(lambda _m: self.on_series())
        c.timeframe_changed.connect(lambda _t: self.on_series())
        c.level_moved.connect(self.on_level_moved)
        c.level_change_confirmed.connect(self.apply_level)
        c.price_clicked.connect(self.price_to_ticket)
        controller.bridge.orders_updated.connect(lambda _o: self.refresh_overlays())
        controller.bridge.trades_closed.connect(lambda _t: self.refresh_overlays())
        self.book_timer = QTimer(window)
        self.book_timer.setInterval(BOOK_POLL_MS)
        self.book_timer.timeout.connect(self.poll_book)
        self.overlay_timer = QTimer(window)
        self.overlay_timer.setInterval(OVERLAY_POLL_MS)
        self.overlay_timer.timeout.connect(self.refresh_overlays)
        if getattr(self.venue, "orderbook", None) is not None:
            self.book_timer.start()
        self.overlay_timer.start()
        window.add_cleanup(self.book_timer.stop)
        window.add_cleanup(self.overlay_timer.stop)
        self.on_series()

    @property
    def account(self) -> str:
        return self.window.ticket.account_combo.currentText() or self.controller.account

    def switch_venue(self) -> None:
        """The primary venue changed (a Mango account connected or removed): the chart shows that
        venue's prices, so its candles, stored history and order book replace the old venue's."""
        name = self.services.selector.primary
        if name == self.venue_name:
            return
        self.window.tasks.spawn(self.history.close(), "save price history")  # the old venue's last bars
        self.chart.book = CandleBook()
        self.venue_name, self.venue = name, self.services.selector.venues.get(name)
        self.history = PriceHistoryKeeper(self.chart.book, self.services.store, self.venue_name, self.venue,
                                          self.window.tasks, self.chart.history_loaded, self.window)
        if getattr(self.venue, "orderbook", None) is not None:
            self.book_timer.start()
        else:
            self.book_timer.stop()
        self.chart.history_loaded(self.chart.market, self.chart.timeframe)  # an empty series until loaded
        self.on_series()

    # --- history ------------------------------------------------------------------------
    def on_series(self) -> None:
        self.history.ensure(self.chart.market, self.chart.timeframe)
        self.refresh_overlays()

    # --- dragged levels -----------------------------------------------------------------
    def on_level_moved(self, kind: str, price: float) -> None:
        market = self.chart.market
        if kind.startswith("order:"):
            order = self._orders.get(kind.removeprefix("order:"))
            if order is None:
                self.chart.show_level_change(kind, price, "That order is no longer resting", False)
                return
            tick = self.chart.tick_size
            price = round(round(price / tick) * tick, 12)  # a limit price is on the tick grid
            text = describe_move(order, price, fmt.price(price, tick), fmt.price(float(order.request.price), tick))
            self.chart.show_level_change(kind, price, text, price > 0)
            return
        position = self.trading.portfolio(self.account).position(market)
        if position is None:
            self.chart.show_level_change(kind, price, f"No open {market} position to move a level of", False)
            return
        change = preview_level(self.trading, position, kind, price)
        self.chart.show_level_change(kind, price, change.summary(fmt.price(price, self.chart.tick_size)), change.allowed)

    def apply_level(self, kind: str, price: float) -> asyncio.Task[Any] | None:
        if kind.startswith("order:"):
            return self.window.tasks.spawn(self._move_order(kind, price), "move order")
        return self.window.tasks.spawn(self._apply(self.account, self.chart.market, kind, price), f"move {kind}")

    async def _move_order(self, kind: str, price: float) -> None:
        ok, message = False, "not moved"
        try:
            order = self._orders.get(kind.removeprefix("order:"))
            if order is None:
                message = "That order is no longer resting; nothing changed"
                return
            move = await move_order(self.trading, self.venue_name, order, price)
            ok, message = move.ok, ("Order " + move.message)
        except Exception as exc:
            message = f"Not moved: {exc}"
            raise
        finally:
            self.chart.level_change_done(kind, ok, message)
            self.window.journal.refresh()
            self.refresh_overlays()

    async def _apply(self, account: str, market: str, kind: str, price: float) -> None:
        ok, message = False, "not applied"
        try:
            change = await set_exit_level(self.services.monitor, account, market, kind, price)
            ok = change.allowed
            text = change.summary(fmt.price(price, self.chart.tick_size))
            message = ("Applied: " + text) if ok else text
        except Exception as exc:
            message = f"Not applied: {exc}"
            raise
        finally:
            self.chart.level_change_done(kind, ok, message)
            self.controller.refresh_levels()

    # --- orders, entries, fills ---------------------------------------------------------
    def refresh_overlays(self) -> None:
        if self.chart.isVisible() or not self.window.isVisible():
            if "overlays" not in self._busy:
                self._busy.add("overlays")
                self.window.tasks.spawn(self._overlays(), "chart overlays")

    async def _overlays(self) -> None:
        try:
            market, account = self.chart.market, self.account
            store = self.services.store
            markers: list[MarkerLine] = []
            open_orders = getattr(self.venue, "open_orders", None)
            if open_orders is not None:
                try:
                    # asyncio.timeout, not wait_for(coro): it refuses before the venue's coroutine is
                    # made when no loop runs (qasync's last event pass), so none is left un-awaited.
                    async with asyncio.timeout(VENUE_DEADLINE_S):
                        orders = await open_orders(account)
                except Exception as exc:
                    log.debug("open orders for the chart: %s", exc)
                    orders = []
                self._orders = {o.client_id: o for o in orders if o.request.market == market and o.request.price}
                for o in orders:
                    req = o.request
                    if req.market == market and req.price:
                        markers.append(MarkerLine(f"order:{o.client_id}", f"{req.side.value.title()} {o.remaining:g} @",
                                                  float(req.price), "order"))
            armed = await store.read(store.conditions.armed, account=account, market=market)
            for cond in armed:
                if cond.kind != "entry":
                    continue
                for bound, word in (("price_below", "≤"), ("price_above", "≥")):
                    value = cond.params.get(bound)
                    if value:
                        markers.append(MarkerLine(f"entry:{cond.id}:{bound}", f"Entry {cond.params.get('side', '')} {word}",
                                                  float(value), "entry"))
            fills = await store.read(store.fills.since, self.venue_name, account, time.time() - FILLS_SINCE_S)
            points = [(f.ts, f.price, f.side.value if hasattr(f.side, "value") else str(f.side))
                      for f in fills if f.market == market][-FILLS_SHOWN:]
            if market == self.chart.market:
                self.chart.set_markers(markers)
                self.chart.set_fills([(ts, px, "buy" if side in ("buy", "long") else "sell") for ts, px, side in points])
        finally:
            self._busy.discard("overlays")

    # --- order book ---------------------------------------------------------------------
    def poll_book(self) -> None:
        if "book" in self._busy or not self.chart.isVisible() or self.chart.currentIndex() != 0:
            return
        self._busy.add("book")
        self.window.tasks.spawn(self._book(self.chart.market), "order book")

    async def _book(self, market: str) -> None:
        try:
            async with asyncio.timeout(VENUE_DEADLINE_S):  # not wait_for(coro): see _overlays
                book = await self.venue.orderbook(market, BOOK_DEPTH)
            if book:
                self.chart.set_order_book(market, book["bids"], book["asks"])
        except Exception as exc:
            log.debug("order book %s: %s", market, exc)
        finally:
            self._busy.discard("book")

    def price_to_ticket(self, price: float) -> None:
        """An order-book level clicked: a limit order at that price in the ticket."""
        ticket = self.window.ticket
        decimals = max(0, -math.floor(math.log10(self.chart.tick_size))) if self.chart.tick_size < 1 else 0
        ticket.set_market(self.chart.market)
        ticket.limit_type.setChecked(True)
        ticket.price_edit.setText(f"{price:.{decimals}f}")
