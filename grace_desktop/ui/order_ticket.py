"""The order ticket: inputs on top, a live risk preview under them, and one submit button.

Every change (side, type, size, price, leverage, a new mark) recomputes `ticket_preview.compute`
at once; the submit button stays disabled, with the policy's reason shown, while the order
would be refused.
"""

from __future__ import annotations

from grace_desktop.ui import formatting as fmt
from grace_desktop.ui import ticket_preview as tp
from grace_desktop.ui.leverage_input import LEVERAGE_SCALE, LeverageInput
from grace_desktop.ui.number_input import NumberReader
from grace_desktop.ui.qt import (
    AMBER,
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from grace_desktop.ui.ticket_exits import ExitsBox
from grace_desktop.ui.ticket_risk import RiskBox
from grace_desktop.ui.ticket_size_buttons import SizeButtons
from grace_desktop.ui.volatility_note import volatility_note
from grace_desktop.ui.widgets import combo, hrow, mark_invalid, set_role

__all__ = ["LEVERAGE_SCALE", "OrderTicket"]


class OrderTicket(SizeButtons, QWidget):
    submit_requested = Signal(object)  # TicketOrder
    market_changed = Signal(str)
    preview_changed = Signal(object)  # TicketPreview

    def __init__(self, backend: tp.TicketBackend | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("orderTicket")
        self.backend = backend
        self.preview = tp.TicketPreview()
        self._busy = False
        self._syncing = False
        self._limit_text = ""  # the limit price kept aside while Market is selected
        self._reader: NumberReader | None = None
        self._build()
        self._connect()

    # --- construction -------------------------------------------------------------------
    def _build(self) -> None:
        self.account_combo = combo(self, "accountCombo")
        self.market_combo = combo(self, "marketCombo")
        self.buy_button = QPushButton("Buy / Long", self)
        self.buy_button.setObjectName("buyButton")
        self.sell_button = QPushButton("Sell / Short", self)
        self.sell_button.setObjectName("sellButton")
        self.market_type = QPushButton("Market", self)
        self.market_type.setObjectName("marketTypeButton")
        self.limit_type = QPushButton("Limit", self)
        self.limit_type.setObjectName("limitTypeButton")
        self.side_group = QButtonGroup(self)
        self.type_group = QButtonGroup(self)
        for group, buttons in ((self.side_group, (self.buy_button, self.sell_button)),
                               (self.type_group, (self.market_type, self.limit_type))):
            for b in buttons:
                b.setCheckable(True)
                group.addButton(b)
        self.buy_button.setChecked(True)
        self.market_type.setChecked(True)

        self.mark_label = QLabel("—", self)
        self.mark_label.setObjectName("markLabel")
        self.size_edit = QLineEdit(self)
        self.size_edit.setObjectName("sizeEdit")
        self.size_edit.setPlaceholderText("size in base units")
        self.safe_button = QPushButton("Safe", self)
        self.safe_button.setObjectName("safeSizeButton")
        self.safe_button.setToolTip("Safe size: free collateral × L × min(1, 3/L) / price × 0.8, to the lot size")
        self.max_button = QPushButton("Max", self)
        self.max_button.setObjectName("maxSizeButton")
        self.max_button.setToolTip("Largest size the risk policy accepts now")
        self.risk_edit = QLineEdit(self)
        self.risk_edit.setObjectName("riskPercentEdit")
        self.risk_edit.setPlaceholderText("risk %")
        self.risk_edit.setMaximumWidth(70)
        self.risk_edit.setToolTip("Size from the stop: lose this % of equity if the stop-loss fills "
                                  "(rounded down to the lot, capped by Safe and Max). Press Enter or Risk")
        self.risk_button = QPushButton("Risk", self)
        self.risk_button.setObjectName("riskSizeButton")
        self.reduce_only_check = QCheckBox("Reduce only", self)
        self.reduce_only_check.setObjectName("reduceOnlyCheck")
        self.reduce_only_check.setToolTip("Only reduce the open position; never open or add")
        self.price_edit = QLineEdit(self)
        self.price_edit.setObjectName("priceEdit")
        self.price_edit.setPlaceholderText("limit price")
        self.tif_combo = combo(self, "timeInForceCombo")
        self.tif_combo.setToolTip("GTC rests until cancelled; Post-only is refused if it would take; "
                                  "IOC fills what it can at once and the rest expires")

        self.leverage_input = LeverageInput(self)
        self.leverage_slider, self.leverage_spin = self.leverage_input.slider, self.leverage_input.spin
        self.cap_label = QLabel("", self)
        self.cap_label.setObjectName("volatilityCapLabel")
        self.cap_label.setWordWrap(True)
        self.cap_label.setStyleSheet(f"color: {AMBER};")
        self.cap_label.hide()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Account", self.account_combo)
        form.addRow("Market", self.market_combo)
        form.addRow("", self.mark_label)
        form.addRow("Side", hrow(self.buy_button, self.sell_button))
        form.addRow("Type", hrow(self.market_type, self.limit_type))
        form.addRow("Size", hrow(self.size_edit, self.safe_button, self.max_button, stretch_first=True))
        form.addRow("", hrow(self.risk_edit, self.risk_button, self.reduce_only_check, stretch_first=False))
        form.addRow("Price", hrow(self.price_edit, self.tif_combo, stretch_first=True))
        form.addRow("Leverage", self.leverage_input)
        form.addRow("", self.cap_label)

        self.risk = RiskBox(self)
        risk = self.risk
        self.liquidation_label, self.free_after_label = risk.liquidation_label, risk.free_after_label

        self.exits = ExitsBox(self)
        box = self.exits
        self.tp_edit, self.tp_pct_edit, self.sl_edit, self.sl_pct_edit = box.tp_edit, box.tp_pct_edit, box.sl_edit, box.sl_pct_edit
        self.trailing_edit, self.entry_below_edit, self.entry_above_edit = (
            box.trailing_edit, box.entry_below_edit, box.entry_above_edit)
        for edit in box.edits():
            edit.textChanged.connect(self.recompute)
        for check in box.checks():
            check.toggled.connect(self.recompute)

        self.reason_label = QLabel("", self)
        self.reason_label.setObjectName("ticketReasonLabel")
        self.reason_label.setWordWrap(True)
        self.reason_label.setProperty("role", "error")
        self.result_label = QLabel("", self)
        self.result_label.setObjectName("ticketResultLabel")
        self.result_label.setWordWrap(True)
        self.submit_button = QPushButton("Buy", self)
        self.submit_button.setObjectName("submitOrderButton")
        self.submit_button.setMinimumHeight(34)
        self.submit_button.setToolTip("Send the order (Ctrl+Return)")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(form)
        layout.addWidget(risk)
        layout.addWidget(self.exits)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.submit_button)
        layout.addWidget(self.result_label)
        layout.addStretch(1)

    def _connect(self) -> None:
        self.account_combo.currentTextChanged.connect(self._on_context_changed)
        self.market_combo.currentTextChanged.connect(self._on_context_changed)
        self.side_group.buttonToggled.connect(lambda *_: self.recompute())
        self.type_group.buttonToggled.connect(self._on_type)
        self.size_edit.textChanged.connect(self.recompute)
        self.price_edit.textChanged.connect(self.recompute)
        self.leverage_input.changed.connect(self.recompute)
        self.exits.toggled.connect(lambda *_: self.recompute())
        self.safe_button.clicked.connect(self.fill_safe_size)
        self.max_button.clicked.connect(self.fill_max_size)
        self.risk_button.clicked.connect(self.fill_risk_size)
        self.risk_edit.returnPressed.connect(self.fill_risk_size)
        self.reduce_only_check.toggled.connect(self.recompute)
        self.tif_combo.currentIndexChanged.connect(self.recompute)
        self.submit_button.clicked.connect(self.submit)

    # --- public -------------------------------------------------------------------------
    def set_backend(self, backend: tp.TicketBackend, accounts: list[str]) -> None:
        self.backend = backend
        self._syncing = True
        try:
            self.account_combo.clear()
            self.account_combo.addItems(accounts)
            self.market_combo.clear()
            self.market_combo.addItems(sorted(backend.markets()))
        finally:
            self._syncing = False
        self._on_context_changed()

    def set_side(self, action: str) -> None:
        (self.buy_button if action == "buy" else self.sell_button).setChecked(True)

    def set_market(self, market: str) -> None:
        i = self.market_combo.findText(market)
        if i >= 0:
            self.market_combo.setCurrentIndex(i)

    def leverage(self) -> float:
        return self.leverage_input.value()

    def set_leverage(self, value: float) -> None:
        self.leverage_spin.setValue(value)

    def on_marks(self, marks: dict[str, float]) -> None:
        """New prices arrived (already coalesced by the bridge): refresh if ours moved."""
        if self.market_combo.currentText() in marks:
            self.recompute()

    def show_result(self, ok: bool, message: str) -> None:
        """The outcome of the last submission; stays until the next one (prices keep moving)."""
        self._busy = False
        set_role(self.result_label, message, "ok" if ok else "error")
        self.recompute()

    def inputs(self) -> tp.TicketInput:
        use_exits = self.exits.isChecked()

        def cond(edit: QLineEdit) -> str:
            return edit.text() if use_exits else ""

        return tp.TicketInput(
            account=self.account_combo.currentText(),
            market=self.market_combo.currentText(),
            action="buy" if self.buy_button.isChecked() else "sell",
            order_type="limit" if self.limit_type.isChecked() else "market",
            size_text=self.size_edit.text(),
            price_text=self.price_edit.text(),
            leverage=self.leverage(),
            take_profit_text=cond(self.tp_edit), stop_loss_text=cond(self.sl_edit),
            take_profit_pct_text=cond(self.tp_pct_edit), stop_loss_pct_text=cond(self.sl_pct_edit),
            trailing_pct_text=cond(self.trailing_edit), entry_below_text=cond(self.entry_below_edit),
            entry_above_text=cond(self.entry_above_edit),
            reduce_only=self.reduce_only_check.isChecked() and self.reduce_only_check.isVisibleTo(self),
            time_in_force=str(self.tif_combo.currentData() or "gtc"),
            alert_only=self.exits.alert_only() if use_exits else frozenset(),
            numbers=self.numbers().parse,
        )

    def numbers(self) -> NumberReader:
        """Reads and writes numbers in the ticket's locale (the user's, unless a test sets another)."""
        locale = self.locale()
        if self._reader is None or self._reader.name != locale.name():
            self._reader = NumberReader(locale)  # kept: the ticket recomputes on every price flush
        return self._reader

    # --- behaviour ----------------------------------------------------------------------
    def _on_context_changed(self, *_: object) -> None:
        """Account or market changed: reset the leverage range and default from settings."""
        if self._syncing or self.backend is None:
            return
        account, market = self.account_combo.currentText(), self.market_combo.currentText()
        spec = self.backend.markets().get(market)
        if spec is None or not account:
            self.recompute()
            return
        default = self.backend.settings(account).default_leverage
        allowed, _cap = self.backend.allowed_leverage(account, market)
        self.leverage_input.set_allowed(allowed)
        self.leverage_input.set_value(min(default, allowed))
        self._show_options(self.backend.order_options(account, market))
        self.size_edit.setPlaceholderText(f"size in {spec.base} (lot {fmt.size(spec.lot_size, spec.lot_size)})")
        self.price_edit.setPlaceholderText(f"limit price in {spec.quote}")
        self.market_changed.emit(market)
        self.recompute()

    def _show_options(self, options: frozenset[str]) -> None:
        """Only what the selected venue supports: time-in-force choices and reduce-only."""
        kept = self.tif_combo.currentData()
        self.tif_combo.blockSignals(True)
        self.tif_combo.clear()
        for label, value in (("GTC", "gtc"), ("Post-only", "post_only"), ("IOC", "ioc")):
            if value == "gtc" or value in options:
                self.tif_combo.addItem(label, value)
        self.tif_combo.setCurrentIndex(max(0, self.tif_combo.findData(kept)))
        self.tif_combo.blockSignals(False)
        self.reduce_only_check.setVisible("reduce_only" in options)

    def _on_type(self, *_: object) -> None:
        """Market hides the limit price (a greyed stale price looks live); Limit brings it back."""
        market = self.market_type.isChecked()
        if market and self.price_edit.text():
            self._limit_text = self.price_edit.text()
            self.price_edit.clear()
        elif not market and not self.price_edit.text() and self._limit_text:
            self.price_edit.setText(self._limit_text)
        self.price_edit.setPlaceholderText("at market (near the mark)" if market else "limit price")
        self.recompute()

    def recompute(self, *_: object) -> None:
        if self.backend is None:
            return
        inp = self.inputs()
        if inp.account and inp.market:
            allowed, _cap = self.backend.allowed_leverage(inp.account, inp.market)
            if round(allowed * LEVERAGE_SCALE) != self.leverage_slider.maximum():
                self.leverage_input.set_allowed(allowed)
                inp = self.inputs()
        self.preview = tp.compute(self.backend, inp)
        self._show(self.preview, inp)
        self.preview_changed.emit(self.preview)

    def _show(self, p: tp.TicketPreview, inp: tp.TicketInput) -> None:
        spec = p.spec
        tick = spec.tick_size if spec else 0.01
        perp = bool(spec and spec.is_perp)
        self.price_edit.setEnabled(inp.order_type == "limit")
        self.tif_combo.setEnabled(inp.order_type == "limit")
        self.leverage_input.set_usable(perp)
        vol = volatility_note(self.backend, spec.name if spec else "")  # its age, and whether the cap applies
        self.mark_label.setWordWrap(True)  # the note may take a second line rather than widen the ticket
        self.mark_label.setText(f"Mark {fmt.price(p.mark, tick)}{vol}" if spec else "—")
        if p.cap is not None:
            self.cap_label.setText(f"Max leverage lowered to {p.allowed_leverage:g}x — {p.cap.reason}")
        self.cap_label.setVisible(p.cap is not None)
        reader = self.numbers()
        self.risk.show_preview(p, lambda value, lot: reader.format(value, fmt.decimals_for(lot)))
        size = self.shown_size(p)
        spends = f" for {fmt.money(p.spends)} {p.spec.quote}" if p.spends is not None and p.spec else ""
        self.submit_button.setText(" ".join(
            x for x in ("Buy" if inp.action == "buy" else "Sell", f"≈{size}" if spends else size, inp.market) if x)
            + spends)
        self.submit_button.setProperty("side", inp.action)
        self.submit_button.style().unpolish(self.submit_button)
        self.submit_button.style().polish(self.submit_button)
        named = {r.split(":", 1)[0] for r in p.reasons}
        for name, edit in self._field_edits().items():
            mark_invalid(edit, name in named and bool(edit.text().strip()))  # empty is "not yet", not wrong
        self.leverage_input.mark_invalid(any(r.startswith("leverage") for r in p.reasons))
        notes = "; ".join(p.warnings)
        set_role(self.reason_label, "\n".join(p.reasons) if p.reasons else notes, "error" if p.reasons else "note")
        self.submit_button.setToolTip(self.reason_label.text() or "Send the order (Ctrl+Return)")
        self._update_submit()

    def shown_size(self, p: tp.TicketPreview) -> str:
        """The parsed size in the user's locale to the lot: exactly what is sent (never the raw text)."""
        if p.size is None or p.spec is None:
            return ""
        return self.numbers().format(p.size, fmt.decimals_for(p.spec.lot_size))  # the preview writes it the same

    def _field_edits(self) -> dict[str, QLineEdit]:
        """The edit each refusal's field name (the text before its colon) points at."""
        return {
            "size": self.size_edit, "price": self.price_edit,
            "take_profit": self.tp_edit, "take_profit_percent": self.tp_pct_edit,
            "stop_loss": self.sl_edit, "stop_loss_percent": self.sl_pct_edit,
            "trailing_percent": self.trailing_edit,
            "entry_below": self.entry_below_edit, "entry_above": self.entry_above_edit,
            "risk_percent": self.risk_edit,
        }

    def _update_submit(self) -> None:
        self.submit_button.setEnabled(self.preview.can_submit and not self._busy)

    def submit(self) -> None:
        self.recompute()
        if self.preview.can_submit and not self._busy and self.preview.order is not None:
            self._busy = True
            self._update_submit()
            set_role(self.result_label, "sending…", "note")
            self.submit_requested.emit(self.preview.order)

