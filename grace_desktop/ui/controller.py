"""Wires the services to the window: bridge signals to panels, panel requests to TradingService.

Every service call is awaited on the qasync loop through the window's TaskKeeper, so a
slow venue never freezes a repaint and no task is left unreferenced.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from grace_desktop.domain import mango_health, margin
from grace_desktop.domain.settings import AccountSettings
from grace_desktop.services.container import Services
from grace_desktop.services.venue_settings import load_venue_settings, save_and_apply
from grace_desktop.storage import AlertRecord
from grace_desktop.ui.away_report import show_away_report
from grace_desktop.ui.bridge import ServicesBridge
from grace_desktop.ui.chart_controller import ChartController
from grace_desktop.ui.chart_panel import ChartLevels
from grace_desktop.ui.main_window import MainWindow
from grace_desktop.ui.orders_controller import OrdersController
from grace_desktop.ui.qt import QTimer
from grace_desktop.ui.ticket_preview import TicketOrder, TicketPreview
from grace_desktop.ui.tray import TrayPosition

log = logging.getLogger(__name__)


EQUITY_REFRESH_MS = 5000
# Table, ticket and status bar revalue at most this often; the bridge flushes at 30 Hz. Painting
# 200 rows of live PnL text 30 times a second was the window's largest cost (bench_ui profile).
LIVE_TEXT_MIN_S = 0.1


class TradingController:
    def __init__(self, window: MainWindow, services: Services) -> None:
        self.window = window
        self.services = services
        self.trading = services.trading
        self.bridge = ServicesBridge(services.events.subscribe, window)
        self.bridge.primary_venue = services.selector.primary
        window.add_cleanup(self.bridge.detach)
        self.account = services.account
        self.results: list[Any] = []  # TradeResults of the session, newest last (tests read this)
        self._confirming: dict[str, str] = {}  # client id -> where its "sent, confirming…" was shown
        self._marks: dict[str, float] = {}  # prices not yet shown in the table and ticket
        self._marks_shown_at = 0.0
        self._marks_timer = QTimer(window)
        self._marks_timer.setSingleShot(True)
        self._marks_timer.timeout.connect(self._show_marks)
        window.add_cleanup(self._marks_timer.stop)
        self._bind_panels()
        self.orders = OrdersController(window, services)
        window.settings_panel.confirm = self.orders.confirm_settings  # asks before closing positions at once
        self._connect()
        self._load_initial()
        self.away_report = show_away_report(window, services.away)
        self.chart_data = ChartController(window, services, self)  # candles, dragged levels, book
        # The monitor records equity every sweep; redraw the curve while its tab is open.
        self.equity_timer = QTimer(window)
        self.equity_timer.setInterval(EQUITY_REFRESH_MS)
        self.equity_timer.timeout.connect(self.refresh_equity)
        self.equity_timer.start()
        window.add_cleanup(self.equity_timer.stop)

    # --- set-up -------------------------------------------------------------------------
    def _bind_panels(self) -> None:
        w, s = self.window, self.services
        accounts = s.accounts() or [self.account]
        specs = self.trading.markets()
        markets = sorted(specs)
        w.positions.model.set_markets(specs)
        w.positions.model.primary_venue = s.selector.primary
        w.positions.set_account_column_visible(len(accounts) > 1)
        w.positions.set_venue_column_visible(len(s.selector.venues) > 1)
        w.ticket.set_backend(self.trading, accounts)
        w.chart.set_markets(markets, {m: spec.tick_size for m, spec in specs.items()})
        first = next((m for m in markets if specs[m].is_perp), markets[0] if markets else "")
        w.ticket.set_market(first)
        w.chart.select_market(first)
        w.journal.bind(s.store, accounts, markets)
        w.settings_panel.bind(accounts, self.trading.settings, self.trading.save_settings,
                              lambda: load_venue_settings(s.store), lambda v: save_and_apply(s, v))
        # "paper on paper" said one thing twice (QA 25): name the venue only when it differs.
        where = self.account if self.account == s.selector.primary else f"{self.account} on {s.selector.primary}"
        w.setWindowTitle(f"Grace Desktop — {where}")

    def _connect(self) -> None:
        w, b = self.window, self.bridge
        b.prices_changed.connect(self._on_prices)
        b.ticks_arrived.connect(w.chart.add_ticks)
        b.portfolios_changed.connect(self._on_portfolios)
        b.venue_portfolios_changed.connect(self._on_venue_portfolios)
        b.trades_closed.connect(self._on_trades)
        b.alerts_raised.connect(self._on_alerts)
        b.venues_changed.connect(self._on_venues)
        b.orders_updated.connect(self._on_orders)
        b.staleness_changed.connect(
            lambda changes: [w.status.set_stale(c.venue, c.market, c.stale, c.age) for c in changes])
        w.ticket.submit_requested.connect(self.submit)
        w.ticket.market_changed.connect(w.chart.select_market)
        w.ticket.preview_changed.connect(self._on_preview)
        w.positions.close_requested_at.connect(
            lambda venue, account, market, fraction: self.close_position(account, market, fraction, venue))
        w.positions.selection_changed.connect(lambda _account, market: w.ticket.set_market(market))
        w.chart.market_selected.connect(lambda _market: self.refresh_levels())
        w.settings_panel.settings_saved.connect(self._on_settings_saved)
        w.settings_panel.venues.venue_settings_saved.connect(lambda _v: self._on_venues_changed())
        w.auto_action.toggled.connect(self.set_auto_trading)
        if w.tray is not None:
            w.tray.auto_trading_toggled.connect(self.set_auto_trading)
            w.tray.position_selected.connect(lambda _account, market: w.ticket.set_market(market))

    def _load_initial(self) -> None:
        w = self.window
        for account in self.services.accounts() or [self.account]:
            for venue in self.services.selector.venues:
                w.positions.model.set_portfolio(self.trading.portfolio(account, venue), venue)
        self._show_account_status()
        self._reflect_auto_trading(self.trading.settings(self.account).auto_trading_enabled)
        w.alerts.load_recent(self.services.store.alerts.recent(limit=200))
        self.refresh_equity(force=True)
        for name, _venue in self.services.selector.venues.items():
            w.status.set_venue(name, True, "starting")
        self.refresh_levels()

    # --- service -> UI ------------------------------------------------------------------
    def _on_prices(self, prices: dict[str, float]) -> None:
        w = self.window
        if w.chart.market in prices:
            w.chart.refresh_live()
        self._marks.update(prices)
        wait = self._marks_shown_at + LIVE_TEXT_MIN_S - time.monotonic()
        if wait <= 0:
            self._show_marks()
        elif not self._marks_timer.isActive():
            self._marks_timer.start(max(1, round(wait * 1000)))

    def _show_marks(self) -> None:
        """The coalesced marks into the table, ticket and status bar (latest price per market wins)."""
        prices, self._marks = self._marks, {}
        self._marks_shown_at = time.monotonic()
        if not prices:
            return
        w = self.window
        w.positions.model.update_marks(prices)
        w.ticket.on_marks(prices)
        self._show_account_status()
        self._update_tray()

    def _on_venue_portfolios(self, portfolios: dict[tuple[str, str], Any]) -> None:
        model = self.window.positions.model
        for (venue, _account), portfolio in portfolios.items():
            model.set_portfolio(portfolio, venue)
        self.window.positions.set_account_column_visible(len({p.account for p in model.positions()}) > 1)
        self.window.positions.set_venue_column_visible(len(self.services.selector.venues) > 1
                                                       or len(model.venues()) > 1)
        self.orders.refresh_funding(time.monotonic())

    def _on_portfolios(self, portfolios: dict[str, Any]) -> None:
        self._show_account_status()
        self._update_tray()
        self.window.ticket.recompute()
        self.refresh_levels()

    def _update_tray(self) -> None:
        tray = self.window.tray
        if tray is not None:
            tray.set_positions(TrayPosition(r.position.account, r.position.market, r.position.side.value,
                                            f"{r.position.size:g}", r.pnl, r.pnl_pct)
                               for r in self.window.positions.model.rows())

    def _on_trades(self, _trades: list[Any]) -> None:
        self.window.journal.refresh()
        self.orders.refresh()
        self.refresh_equity(force=True)

    def refresh_equity(self, force: bool = False) -> asyncio.Task[Any] | None:
        if not force and (self.window.chart.currentIndex() != 1 or not self.window.isVisible()):
            return None
        return self.window.tasks.spawn(self._load_equity(), "equity curve")

    async def _load_equity(self) -> None:
        points = await asyncio.to_thread(self.services.store.equity.curve, self.account)
        # The journal keeps a point a minute; the curve ends at the equity now, as the status bar shows it (QA 14).
        now = margin.equity(self.trading.portfolio(self.account))
        self.window.chart.set_equity_curve([*points, (time.time(), now)])

    def _on_alerts(self, alerts: list[Any]) -> None:
        self.window.alerts.add_alerts(alerts)
        if self.window.tray is not None:
            for alert in alerts:
                self.window.tray.notify(alert.level, alert.title, alert.text)

    def _on_orders(self, orders: list[tuple[str, Any]]) -> None:
        """An order that was 'sent, confirming…' has an answer now: say it where it was sent from."""
        self.window.journal.refresh()
        self.orders.refresh()
        for _account, order in orders:
            where = self._confirming.get(order.client_id)
            if where is None or order.status.needs_resolution:
                continue
            del self._confirming[order.client_id]
            req = order.request
            at = f" @ {order.avg_fill_price:,.6g}" if order.avg_fill_price else ""
            ok = order.status.value in ("filled", "open", "partially_filled")
            text = f"{order.status.value}: {req.side.value} {order.filled_size or req.size:g} {req.market}{at}"
            if not ok and order.reason:
                text += f" ({order.reason})"
            if where == "ticket":
                self.window.ticket.show_result(ok, text)
            else:
                self.window.positions.show_result(text, "ok" if ok else "error")

    def _on_venues(self, venues: dict[str, tuple[bool, str]]) -> None:
        for name, (ok, detail) in venues.items():
            self.window.status.set_venue(name, ok, detail)

    def _on_preview(self, preview: TicketPreview) -> None:
        if preview.spec is not None and preview.spec.name == self.window.chart.market:
            self.refresh_levels()

    def _show_account_status(self) -> None:
        settings = self.trading.settings(self.account)
        self.window.status.set_portfolio(self.trading.portfolio(self.account), settings.max_account_leverage,
                                         self.trading.markets(), self.trading.reserved_margin(self.account))

    def refresh_levels(self) -> None:
        """Entry, TP, SL, trailing and liquidation lines for the chart's market."""
        chart = self.window.chart
        account = self.window.ticket.account_combo.currentText() or self.account
        portfolio = self.trading.portfolio(account)
        position = portfolio.position(chart.market)
        if position is None:
            # No position here: show where the ticket's order would be liquidated instead.
            preview = self.window.ticket.preview
            liq = None
            if preview.spec is not None and preview.spec.name == chart.market and preview.spec.is_perp:
                liq = preview.liquidation_price
            chart.set_levels(ChartLevels(preview_liquidation=liq or None))
            return
        spec = self.trading.spec(chart.market)
        if mango_health.is_cross(portfolio):  # the same figure as the Positions panel: the account's
            liq = mango_health.position_liquidation_price(portfolio, position, self.trading.markets())
        else:
            liq = margin.position_liquidation_price(position, spec.maint_margin if spec and spec.is_perp else 0.0)
        watch = self.services.monitor.watched(account, chart.market)
        levels = watch.levels if watch is not None else {}

        def level(name: str) -> float | None:
            entry = levels.get(name)
            return entry[0] if entry else None

        chart.set_levels(ChartLevels(
            entry=position.entry_price, take_profit=level("take_profit"), stop_loss=level("stop_loss"),
            trailing_stop=level("trailing_stop"), liquidation=liq if liq > 0 else None,
        ))

    # --- UI -> services -----------------------------------------------------------------
    def submit(self, order: TicketOrder) -> asyncio.Task[Any] | None:
        return self.window.tasks.spawn(self._submit(order), "submit order")

    async def _submit(self, order: TicketOrder) -> None:
        ticket = self.window.ticket
        ok, message = False, "order failed"
        try:
            result = await self.trading.execute_trade(
                order.action, order.size, order.market, order.account, leverage=order.leverage,
                order_type=order.order_type, price=order.price, conditions=order.conditions,
                reduce_only=order.reduce_only, time_in_force=order.time_in_force,
            )
            self.results.append(result)
            ok, message = result.success, result.message or "; ".join(result.reasons)
            if result.order is not None and not result.order.status.is_final and result.order.status.needs_resolution:
                self._confirming[result.order.client_id] = "ticket"
        finally:
            ticket.show_result(ok, message)
            self.window.journal.refresh()
            self.refresh_levels()

    def close_position(self, account: str, market: str, fraction: float,
                       venue: str | None = None) -> asyncio.Task[Any] | None:
        return self.window.tasks.spawn(self._close(account, market, fraction, venue or None), f"close {market}")

    async def _close(self, account: str, market: str, fraction: float, venue: str | None = None) -> None:
        what = "Close" if fraction >= 1 else f"Reduce {fraction:.0%} of"
        self.window.positions.show_result(f"{what} {market}: sending…", "note")
        result = await self.orders.close(venue, account, market, fraction)  # journaled as a decision
        self.results.append(result)
        if result.order is not None and result.order.status.needs_resolution:
            self._confirming[result.order.client_id] = "positions"
        detail = result.message or "; ".join(result.reasons) or ("done" if result.success else "failed")
        self.window.positions.show_result(f"{what} {market}: {detail}", "ok" if result.success else "error")
        if not result.success:
            self.window.alerts.add_alert(
                AlertRecord(time.time(), "error", f"Close {market} failed", result.message, account, market)
            )
        self.window.journal.refresh()

    def set_auto_trading(self, on: bool) -> asyncio.Task[Any] | None:
        current = self.trading.settings(self.account)
        if current.auto_trading_enabled == on:
            self._reflect_auto_trading(on)
            return None
        wanted = current.updated(auto_trading_enabled=on)

        def save() -> asyncio.Task[Any] | None:
            self._reflect_auto_trading(on)
            return self.window.tasks.spawn(self._save_settings(wanted), "auto-trading")

        if not self.orders.confirm_settings(self.account, wanted, save):
            self._reflect_auto_trading(current.auto_trading_enabled)  # unchanged until the user says yes
            return None
        return save()

    async def _save_settings(self, settings: AccountSettings) -> None:
        await self.trading.save_settings(self.account, settings)
        self._on_settings_saved(self.account, settings)

    def _on_venues_changed(self) -> None:
        """A Mango account was connected or removed: its markets (and specs: tick sizes, margins) join
        the ticket, the chart and the positions' figures; the title names the new primary venue."""
        w, specs = self.window, self.trading.markets()
        market = w.ticket.market_combo.currentText()
        if self.bridge.primary_venue != self.services.selector.primary:
            # The window quotes the primary venue: another venue's prices must not value these positions.
            self.bridge.primary_venue = self.services.selector.primary
            w.positions.model.primary_venue = self.services.selector.primary
            self.chart_data.switch_venue()
        w.positions.model.set_markets(specs)
        w.chart.set_markets(sorted(specs), {m: spec.tick_size for m, spec in specs.items()})
        w.ticket.set_backend(self.trading, [w.ticket.account_combo.itemText(i)
                                            for i in range(w.ticket.account_combo.count())])
        w.ticket.set_market(market)
        w.setWindowTitle(f"Grace Desktop — {self.account} on {self.services.selector.primary}")

    def _on_settings_saved(self, account: str, settings: AccountSettings) -> None:
        if account == self.account:
            self._reflect_auto_trading(settings.auto_trading_enabled)
            if self.window.settings_panel.account() == account:
                self.window.settings_panel.show_settings(settings)
        self.window.ticket.recompute()
        self._show_account_status()
        # The monitor re-plans exits from settings on its next sync; ask for one now.
        self.window.tasks.spawn(self.services.monitor.sync_account(account), "resync monitor")

    def _reflect_auto_trading(self, on: bool) -> None:
        w = self.window
        w.auto_action.blockSignals(True)
        w.auto_action.setChecked(on)
        w.auto_action.blockSignals(False)
        w.status.set_auto_trading(on)
        if w.tray is not None:
            w.tray.set_auto_trading(on)
