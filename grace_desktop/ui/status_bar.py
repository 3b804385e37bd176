"""Status bar: each venue's connection state, then equity, free collateral and account leverage."""

from __future__ import annotations

from collections.abc import Mapping

from grace_desktop.domain import mango_health, margin
from grace_desktop.domain.models import MarketSpec, Portfolio
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.qt import AMBER, GREEN, MUTED, RED, TEXT, QLabel, QStatusBar, Qt, QWidget


class TradingStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.setSizeGripEnabled(False)
        self.venue_labels: dict[str, QLabel] = {}
        self.venue_state: dict[str, tuple[bool, str]] = {}
        self.stale: dict[tuple[str, str], float] = {}  # (venue, market) -> age when it went stale
        self.stale_label = self._label("staleStatus")
        self.addWidget(self.stale_label)
        self.auto_label = self._label("autoTradingStatus")
        self.equity_label = self._label("equityStatus")
        self.free_label = self._label("freeCollateralStatus")
        self.leverage_label = self._label("accountLeverageStatus")
        for label in (self.auto_label, self.equity_label, self.free_label, self.leverage_label):
            self.addPermanentWidget(label)
        self.set_auto_trading(False)
        self.set_portfolio(None)

    def _label(self, name: str) -> QLabel:
        label = QLabel("", self)
        label.setObjectName(name)
        label.setTextFormat(Qt.TextFormat.RichText)
        return label

    def set_venue(self, venue: str, ok: bool, detail: str = "") -> None:
        label = self.venue_labels.get(venue)
        if label is None:
            label = self._label(f"venueStatus_{venue}")
            self.venue_labels[venue] = label
            self.addWidget(label)
        self.venue_state[venue] = (ok, detail)
        colour = GREEN if ok else RED
        state = "connected" if ok else "disconnected"
        label.setText(f"<span style='color:{colour}'>●</span> <span style='color:{TEXT}'>{venue}</span> {state}")
        label.setToolTip(detail or state)

    def set_stale(self, venue: str, market: str, stale: bool, age: float = 0.0) -> None:
        """Markets without a recent price: their stops and guard act on the last known price."""
        if stale:
            self.stale[(venue, market)] = age
        else:
            self.stale.pop((venue, market), None)
        if not self.stale:
            self.stale_label.setText("")
            self.stale_label.setToolTip("")
            return
        names = ", ".join(sorted(m for _v, m in self.stale))
        self.stale_label.setText(f"<span style='color:{AMBER}'>⚠ stale: {names}</span>")
        self.stale_label.setToolTip("No recent price from " + "; ".join(
            f"{v} for {m} ({a:.0f} s)" for (v, m), a in sorted(self.stale.items()))
            + ": stops and the liquidation guard are running blind there")

    def set_auto_trading(self, on: bool) -> None:
        colour = GREEN if on else MUTED
        self.auto_label.setText(f"<span style='color:{colour}'>auto-trading {'on' if on else 'off'}</span>")

    def set_portfolio(self, portfolio: Portfolio | None, max_account_leverage: float = 5.0,
                      specs: Mapping[str, MarketSpec] | None = None, reserved: float = 0.0) -> None:
        """`specs` (the markets' margins) are needed for a Mango account, whose free collateral is init health.
        `reserved`: margin the account's resting orders hold, not free for a new order (the ticket's figure)."""
        if portfolio is None:
            for label, name in ((self.equity_label, "Equity"), (self.free_label, "Free"), (self.leverage_label, "Leverage")):
                label.setText(f"<span style='color:{MUTED}'>{name}</span> —")
            return
        equity = margin.equity(portfolio)
        free = mango_health.free_collateral(portfolio, specs or {}) - max(0.0, reserved)
        lev = mango_health.account_leverage(portfolio) if mango_health.is_cross(portfolio) else \
            margin.account_leverage(portfolio)
        # Amber from 60 % of the account's leverage limit, red at the limit.
        lev_colour = RED if lev >= max_account_leverage else AMBER if lev >= 0.6 * max_account_leverage else TEXT
        self.equity_label.setText(f"<span style='color:{MUTED}'>Equity</span> {fmt.money(equity)}")
        self.free_label.setText(f"<span style='color:{MUTED}'>Free</span> {fmt.money(free)}")
        self.free_label.setToolTip(f"Free collateral, net of {fmt.money(reserved)} held by resting orders"
                                   if reserved > 0 else "Free collateral")
        self.leverage_label.setText(
            f"<span style='color:{MUTED}'>Leverage</span> <span style='color:{lev_colour}'>{fmt.leverage(lev)}</span>"
        )
