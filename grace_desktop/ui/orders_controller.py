"""Wires the orders panel, the positions panel's actions and "Flatten all" to PositionActions.

Confirmations are non-modal boxes (ui.confirm); every service call runs as a window task.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from grace_desktop.domain.errors import DomainError
from grace_desktop.services.flatten import PositionActions
from grace_desktop.services.settings_impact import closes_at_once
from grace_desktop.ui.confirm import ask
from grace_desktop.ui.qt import QTimer

if TYPE_CHECKING:
    from grace_desktop.domain.settings import AccountSettings
    from grace_desktop.services.container import Services
    from grace_desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)

ORDERS_REFRESH_MS = 1000  # a trailing stop's level moves with the price
FUNDING_REFRESH_S = 5.0


class OrdersController:
    def __init__(self, window: MainWindow, services: Services) -> None:
        self.window = window
        self.services = services
        self.actions = PositionActions(services.trading, services.monitor)
        self._funding_at = -FUNDING_REFRESH_S
        self.flatten_reports: list[Any] = []
        w = window
        w.orders_panel.set_accounts(services.accounts() or [services.account])
        w.orders_panel.tick_sizes = {m: spec.tick_size for m, spec in services.trading.markets().items()}
        w.orders_panel.cancel_order_requested.connect(
            lambda venue, account, cid: self._spawn(self._cancel_order(venue, account, cid), "cancel order"))
        w.orders_panel.edit_order_requested.connect(
            lambda venue, account, cid, price, size: self._spawn(self._edit_order(venue, account, cid, price, size),
                                                                 "edit order"))
        w.orders_panel.cancel_condition_requested.connect(
            lambda cid: self._spawn(self._cancel_condition(cid), "cancel condition"))
        w.orders_panel.edit_condition_requested.connect(
            lambda cid, level: self._spawn(self._edit_condition(cid, level), "edit condition"))
        w.positions.reverse_requested.connect(self.confirm_reverse)
        w.positions.exits_requested.connect(
            lambda venue, account, market, values: self._spawn(self._edit_exits(venue, account, market, values),
                                                               "edit exits"))
        w.positions.selected_row_changed.connect(self.show_exits_of)
        w.flatten_action.triggered.connect(self.confirm_flatten)
        self.timer = QTimer(window)
        self.timer.setInterval(ORDERS_REFRESH_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        window.add_cleanup(self.timer.stop)
        self.refresh()

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any] | None:
        return self.window.tasks.spawn(coro, name)

    # --- orders panel -------------------------------------------------------------------
    def refresh(self) -> asyncio.Task[Any] | None:
        return self._spawn(self._refresh(), "orders panel")

    async def _refresh(self) -> None:
        orders = await self.actions.resting_orders()
        armed = await self.services.store.read(self.actions.armed)
        self.window.orders_panel.set_data(orders, armed)

    def _tick(self) -> None:
        if self.window.docks["orders"].isVisible() and self.window.isVisible():
            self.refresh()

    async def _cancel_order(self, venue: str, account: str, client_id: str) -> None:
        done = await self.actions.cancel_order(venue, account, client_id)
        self.window.orders_panel.show_result("cancelled" if done else "not cancelled: the venue no longer has it "
                                             "resting, or did not answer", done)
        await self._refresh()

    async def _edit_order(self, venue: str, account: str, client_id: str, price: float, size: float) -> None:
        result = await self.actions.replace_order(venue, account, client_id, price, size)
        self.window.orders_panel.show_result(result.message or "; ".join(result.reasons), result.success)
        await self._refresh()

    async def _cancel_condition(self, condition_id: int) -> None:
        await self.actions.cancel_condition(condition_id)
        self.window.orders_panel.show_result(f"condition #{condition_id} cancelled", True)
        await self._refresh()

    async def _edit_condition(self, condition_id: int, level: float) -> None:
        result = await self.actions.edit_condition(condition_id, level)
        self.window.orders_panel.show_result(result.message or "; ".join(result.reasons), result.success)
        await self._refresh()

    # --- positions ----------------------------------------------------------------------
    def show_exits_of(self, key: tuple[str, str, str] | None) -> None:
        editor = self.window.positions.exits_editor
        if key is None:
            editor.show_position("", None, None, None)
            return
        venue, account, market = key
        armed = self.services.store.conditions.armed(account, market, venue or None)
        by_kind = {c.kind: c for c in armed if c.kind != "entry"}
        watch = self.services.monitor.watched(account, market, venue or None)
        levels = watch.levels if watch is not None else {}

        def level(kind: str) -> float | None:
            cond = by_kind.get(kind)
            if cond is None:
                return None  # a settings rule is not the position's own: editing here attaches one
            entry = levels.get(kind)
            return entry[0] if entry else cond.params.get("price")

        trail = by_kind.get("trailing_stop")
        editor.show_position(f"{market}" + (f" on {venue}" if len(self.window.positions.model.venues()) > 1 else ""),
                             level("take_profit"), level("stop_loss"), trail.params.get("percent") if trail else None,
                             any(c.alert_only for c in by_kind.values()))

    async def _edit_exits(self, venue: str, account: str, market: str, values: dict[str, Any]) -> None:
        editor = self.window.positions.exits_editor
        try:
            detail = await self.actions.edit_exits(
                venue or None, account, market, take_profit=values.get("take_profit"),
                stop_loss=values.get("stop_loss"), trailing_percent=values.get("trailing_percent"),
                alert_only=bool(values.get("alert_only")))
        except DomainError as exc:
            editor.show_result(f"Not set — {exc}", False)
            return
        editor.show_result(f"set: {detail}", True)
        await self._refresh()
        self.window.controller.refresh_levels()

    def confirm_reverse(self, venue: str, account: str, market: str) -> None:
        ask(self.window, "reverseConfirm", "Reverse position",
            f"Close the {market} position and open the same size the other way?",
            lambda: self._spawn(self._reverse(venue, account, market), "reverse"), yes_label="Reverse")

    async def _reverse(self, venue: str, account: str, market: str) -> None:
        self.window.positions.show_result(f"Reverse {market}: sending…", "note")
        result = await self.actions.reverse(venue or None, account, market)
        detail = result.message or "; ".join(result.reasons)
        self.window.positions.show_result(f"Reverse {market}: {detail}", "ok" if result.success else "error")
        self.window.journal.refresh()

    async def close(self, venue: str | None, account: str, market: str, fraction: float) -> Any:
        return await self.actions.close(venue, account, market, fraction)

    # --- flatten all ----------------------------------------------------------------------
    def accounts(self) -> list[str]:
        return self.services.accounts() or [self.services.account]

    def confirm_flatten(self) -> None:
        w = self.window
        positions = w.positions.model.positions()
        orders = [r for r in w.orders_panel.rows if r.client_id]
        conditions = [r for r in w.orders_panel.rows if r.condition_id is not None]
        details = [f"close {p.market} {p.side.value} {p.size:g} ({p.account})" for p in positions]
        details.append(f"cancel {len(orders)} resting order(s) and {len(conditions)} armed condition(s)")
        ask(w, "flattenConfirm", "Flatten all",
            "Cancel every resting order and condition and close every position at market?",
            lambda: self._spawn(self._flatten(), "flatten all"), details=details, yes_label="Flatten all")

    async def _flatten(self) -> None:
        self.window.positions.show_result("Flatten all: sending…", "note")
        report = await self.actions.flatten_all(self.accounts())
        self.flatten_reports.append(report)
        self.window.positions.show_result(report.summary, "ok" if report.ok else "error")
        if not report.ok:
            self.services.alerts.error("Flatten all incomplete", report.summary)
        self.window.journal.refresh()
        await self._refresh()

    # --- settings that would close positions at once ---------------------------------------
    def confirm_settings(self, account: str, settings: AccountSettings, save: Any) -> bool:
        """Ask before saving `settings` when they would close positions at once; False when asked."""
        hits = closes_at_once(self.services.monitor, account, settings)
        if not hits:
            return True
        ask(self.window, "settingsCloseConfirm", "These settings close positions now",
            f"Saving closes {len(hits)} position(s) at market right away:", save,
            details=[h.text for h in hits], yes_label="Save and close them")
        return False

    # --- funding --------------------------------------------------------------------------
    def refresh_funding(self, now: float) -> asyncio.Task[Any] | None:
        if now - self._funding_at < FUNDING_REFRESH_S:
            return None
        self._funding_at = now
        rows = [(r.venue, r.position.account, r.position.market, r.position.opened_at)
                for r in self.window.positions.model.rows()]
        if not rows:
            return None
        return self._spawn(self._load_funding(rows), "position funding")

    async def _load_funding(self, rows: list[tuple[str, str, str, float]]) -> None:
        totals = await self.services.store.read(self.services.store.funding.since_opened, rows)
        self.window.positions.model.set_funding(totals)
