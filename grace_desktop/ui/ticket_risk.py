"""The ticket's risk preview: the position the order leaves, its liquidation price, margin, loss at the stop.

Every figure comes from `ticket_preview.compute` (domain math through TradingService), so what
is shown is what the service will decide.
"""

from __future__ import annotations

from collections.abc import Callable

from grace_desktop.ui import formatting as fmt
from grace_desktop.ui import ticket_preview as tp
from grace_desktop.ui.qt import MUTED, QGridLayout, QGroupBox, QLabel, Qt, QWidget
from grace_desktop.ui.widgets import set_role

_KINDS = {"open": "opens", "add": "adds", "reduce": "reduces", "close": "closes", "flip": "flips"}


class RiskBox(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Risk preview", parent)
        self.setObjectName("riskPreviewBox")
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(10)
        self.position_after_label = self._value("positionAfterLabel")
        self.liquidation_label = self._value("liquidationPriceLabel")
        self.distance_label = self._value("liquidationDistanceLabel")
        self.margin_label = self._value("requiredMarginLabel")
        self.free_after_label = self._value("freeCollateralAfterLabel")
        self.account_lev_label = self._value("accountLeverageAfterLabel")
        self.loss_label = self._value("lossAtStopLabel")
        self.fee_label = self._value("feeLabel")
        rows = (("Position after", self.position_after_label), ("Liquidation price", self.liquidation_label),
                ("Distance to liq.", self.distance_label), ("Required margin", self.margin_label),
                ("Free collateral after", self.free_after_label),
                ("Account leverage after", self.account_lev_label), ("Loss at stop", self.loss_label),
                ("Fee", self.fee_label))
        for i, (name, label) in enumerate(rows):
            caption = QLabel(name, self)
            caption.setStyleSheet(f"color: {MUTED};")
            grid.addWidget(caption, i, 0)
            grid.addWidget(label, i, 1, Qt.AlignmentFlag.AlignRight)
        self.free_after_label.setToolTip("Free collateral after the order, net of the margin your resting "
                                          "orders hold (what the venue checks)")

    def _value(self, name: str) -> QLabel:
        label = QLabel("—", self)
        label.setObjectName(name)
        label.setProperty("role", "value")
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def show_preview(self, p: tp.TicketPreview, write_size: Callable[[float, float], str] = fmt.size) -> None:
        """`write_size(value, lot)` writes sizes (the ticket passes its locale's writer, as the button uses)."""
        spec = p.spec
        tick = spec.tick_size if spec else 0.01
        lot = spec.lot_size if spec else 0.0001
        perp = bool(spec and spec.is_perp)
        after = p.after
        if after is None:
            self.position_after_label.setText("—")
        elif after.position is None:
            self.position_after_label.setText(f"flat ({_KINDS[after.kind]} {write_size(after.closed_size, lot)})")
        else:
            pos = after.position
            lev = f" · {fmt.leverage(pos.leverage)}" if perp else ""
            kind = "" if after.kind == "open" else f" ({_KINDS[after.kind]})"
            self.position_after_label.setText(
                f"{pos.side.value} {write_size(pos.size, lot)} @ {fmt.price(pos.entry_price, tick)}{lev}{kind}")
        if not perp and spec is not None:
            self.liquidation_label.setText("none (spot)")
        elif after is not None and after.position is None:
            self.liquidation_label.setText("none (flat)")
        else:
            self.liquidation_label.setText(fmt.liquidation(p.liquidation_price, tick))
        if p.distance_pct is not None and p.liquidation_price:
            self.distance_label.setText(f"{fmt.percent(p.distance_pct)} · {fmt.vol_multiple(p.distance_sigmas)}")
        else:
            self.distance_label.setText("—")
        d = p.decision
        self.margin_label.setText(fmt.money(d.required_margin) if d else "—")
        free_after = d.free_collateral_after if d else None
        free_text = fmt.money(free_after) if d else f"{fmt.money(p.free_collateral)} now"
        if d is not None and d.reserved_margin > 0:
            free_text += f" ({fmt.money(d.reserved_margin)} held by orders)"
        # Below zero the order cannot be margined: say so in red, not only in the reason line.
        set_role(self.free_after_label, free_text, "error" if free_after is not None and free_after < 0 else "value")
        self.account_lev_label.setText(fmt.leverage(d.account_leverage_after) if d else "—")
        if p.loss_at_stop is not None and p.stop is not None:
            share = f" · {fmt.percent(100 * p.loss_at_stop / p.equity)} of equity" if p.equity and p.equity > 0 else ""
            self.loss_label.setText(f"{fmt.money(-p.loss_at_stop, signed=True)}{share}")
            self.loss_label.setToolTip(f"If the stop at {fmt.price(p.stop, tick)} closes the whole position, "
                                       "before fees and slippage")
        else:
            self.loss_label.setText("— (no stop)")
        self.fee_label.setText(fmt.money(d.fee) if d else "—")
