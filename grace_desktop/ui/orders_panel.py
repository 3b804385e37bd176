"""Orders and conditions: resting limit orders and armed conditions (entries, TP, SL, trailing with its
current level), per account, with cancel and edit.

A few dozen rows at most, refreshed on order events and once a second while shown (a trailing
stop's level moves with the price), so a plain QTableWidget is enough.
"""

from __future__ import annotations

from dataclasses import dataclass

from grace_desktop.services.flatten import ArmedRow
from grace_desktop.storage.records import OrderRecord
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.confirm import parse_number
from grace_desktop.ui.qt import (
    GREEN,
    MUTED,
    RED,
    QColor,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QtWidgets,
    QVBoxLayout,
    QWidget,
    Signal,
)
from grace_desktop.ui.widgets import combo, mark_invalid, set_role

COLUMNS = ("Kind", "Market", "Side", "Size", "Trigger / price", "Detail", "Account", "Venue")
KIND_LABELS = {"entry": "Entry", "take_profit": "Take profit", "stop_loss": "Stop loss",
               "trailing_stop": "Trailing stop"}
ALL_ACCOUNTS = "All accounts"


@dataclass(frozen=True, slots=True)
class OrdersRow:
    """One line of the table: a resting order (`client_id`) or an armed condition (`condition_id`)."""

    kind: str
    market: str
    side: str
    size: str
    level: float | None
    detail: str
    account: str
    venue: str
    client_id: str = ""
    condition_id: int | None = None
    size_value: float = 0.0
    edit_value: float | None = None  # what the edit field starts from: the price, or a trailing stop's %

    @property
    def editable_as(self) -> str:
        if self.client_id:
            return "limit price"
        return "trailing %" if self.kind == "trailing_stop" else "trigger price"


def rows_from(orders: list[OrderRecord], armed: list[ArmedRow]) -> list[OrdersRow]:
    out: list[OrdersRow] = []
    for rec in orders:
        r = rec.order.request
        left = rec.order.remaining
        filled = f"; {rec.order.filled_size:g} filled" if rec.order.filled_size else ""
        flags = " reduce-only" if r.reduce_only else ""
        out.append(OrdersRow("limit", r.market, r.side.value, f"{left:g}", r.price,
                             f"{rec.order.status.value}{flags} at {r.leverage:g}x{filled}", r.account, rec.venue,
                             client_id=r.client_id, size_value=r.size, edit_value=r.price))
    for row in armed:
        c = row.condition
        side = str(c.params.get("side", "")) if c.kind == "entry" else "close"
        size = f"{c.params.get('size'):g}" if c.kind == "entry" and c.params.get("size") is not None else "all"
        detail = row.detail + (" · alert only" if c.alert_only else "")
        edit = c.params.get("percent") if c.kind == "trailing_stop" else row.level
        out.append(OrdersRow(c.kind, c.market, side, size, row.level, detail, c.account, c.venue or "",
                             condition_id=c.id, edit_value=edit))
    return out


class OrdersPanel(QWidget):
    cancel_order_requested = Signal(str, str, str)  # venue, account, client id
    edit_order_requested = Signal(str, str, str, float, float)  # venue, account, client id, price, size
    cancel_condition_requested = Signal(int)
    edit_condition_requested = Signal(int, float)  # id, new trigger price (trailing: percent)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ordersPanel")
        self.rows: list[OrdersRow] = []
        self.tick_sizes: dict[str, float] = {}  # per market, to print levels as the market quotes them
        self.account_combo = combo(self, "ordersAccountCombo")
        self.account_combo.addItem(ALL_ACCOUNTS)
        self.account_combo.currentTextChanged.connect(lambda _t: self._fill())
        self.summary = QLabel("", self)
        self.summary.setObjectName("ordersSummary")
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("ordersTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Detail"), QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(70)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.empty = QLabel("No resting orders or armed conditions", self.table.viewport())
        self.empty.setObjectName("ordersEmptyHint")
        self.empty.setStyleSheet(f"color: {MUTED};")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.edit = QLineEdit(self)
        self.edit.setObjectName("ordersEditLevel")
        self.edit.setPlaceholderText("new price")
        self.edit.setMaximumWidth(140)
        self.edit.textEdited.connect(lambda _t: mark_invalid(self.edit, False))
        self.edit.returnPressed.connect(self.apply_edit)
        self.apply_button = QPushButton("Apply", self)
        self.apply_button.setObjectName("ordersApplyButton")
        self.apply_button.clicked.connect(self.apply_edit)
        self.cancel_button = QPushButton("Cancel selected", self)
        self.cancel_button.setObjectName("ordersCancelButton")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.result = QLabel("", self)
        self.result.setObjectName("ordersResultLabel")

        top = QHBoxLayout()
        top.addWidget(QLabel("Account", self))
        top.addWidget(self.account_combo)
        top.addWidget(self.summary, 1)
        bottom = QHBoxLayout()
        self.edit_label = QLabel("Edit:", self)
        bottom.addWidget(self.edit_label)
        bottom.addWidget(self.edit)
        bottom.addWidget(self.apply_button)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.result, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self._on_selection()

    # --- data ---------------------------------------------------------------------------
    def set_accounts(self, accounts: list[str]) -> None:
        current = self.account_combo.currentText()
        self.account_combo.blockSignals(True)
        self.account_combo.clear()
        self.account_combo.addItems([ALL_ACCOUNTS, *accounts])
        self.account_combo.setCurrentText(current if current in accounts else ALL_ACCOUNTS)
        self.account_combo.blockSignals(False)

    def account(self) -> str | None:
        text = self.account_combo.currentText()
        return None if text in ("", ALL_ACCOUNTS) else text

    def set_data(self, orders: list[OrderRecord], armed: list[ArmedRow]) -> None:
        self.rows = rows_from(orders, armed)
        self._fill()

    def _visible(self) -> list[OrdersRow]:
        account = self.account()
        return [r for r in self.rows if account is None or r.account == account]

    def _fill(self) -> None:
        selected = self.selected()
        key = (selected.client_id, selected.condition_id) if selected is not None else None
        rows = self._visible()
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            level = "" if row.level is None else fmt.price(row.level, self.tick_sizes.get(row.market, 1e-6))
            cells = (KIND_LABELS.get(row.kind, "Limit"), row.market, row.side, row.size, level, row.detail,
                     row.account, row.venue)
            for col, text in enumerate(cells):
                item = self.table.item(i, col)
                if item is None:
                    item = QtWidgets.QTableWidgetItem()
                    self.table.setItem(i, col, item)
                if item.text() != text:
                    item.setText(text)
                if col == 2:
                    item.setForeground(QColor(GREEN if text == "buy" else RED if text == "sell" else MUTED))
            if key is not None and (row.client_id, row.condition_id) == key:
                self.table.selectRow(i)
        n_orders = sum(1 for r in rows if r.client_id)
        self.summary.setText(f"{n_orders} resting order(s) · {len(rows) - n_orders} armed condition(s)")
        self.empty.setVisible(not rows)
        self.empty.setGeometry(self.table.viewport().rect())

    # --- actions ------------------------------------------------------------------------
    def select(self, index: int) -> None:
        self.table.selectRow(index)

    def selected(self) -> OrdersRow | None:
        items = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        rows = self._visible()
        if not items or not 0 <= items[0].row() < len(rows):
            return None
        return rows[items[0].row()]

    def _on_selection(self) -> None:
        row = self.selected()
        for w in (self.edit, self.apply_button, self.cancel_button):
            w.setEnabled(row is not None)
        if row is None:
            self.edit.clear()
            return
        self.edit_label.setText(f"Edit {row.editable_as}:")
        self.edit.setText("" if row.edit_value is None else f"{row.edit_value:.10g}")
        mark_invalid(self.edit, False)

    def cancel_selected(self) -> bool:
        row = self.selected()
        if row is None:
            return False
        set_role(self.result, f"cancelling {KIND_LABELS.get(row.kind, 'limit order').lower()} {row.market}…", "note")
        if row.client_id:
            self.cancel_order_requested.emit(row.venue, row.account, row.client_id)
        elif row.condition_id is not None:
            self.cancel_condition_requested.emit(row.condition_id)
        return True

    def apply_edit(self) -> bool:
        row = self.selected()
        if row is None:
            return False
        try:
            value = parse_number(self.edit.text(), "new level")
        except ValueError as exc:
            value, why = None, getattr(exc, "detail", str(exc))
        else:
            why = "enter a value" if value is None else f"must be more than 0, got {value:g}"
        if value is None or value <= 0:
            mark_invalid(self.edit, True)
            set_role(self.result, f"{row.editable_as}: {why}", "error")
            return False
        set_role(self.result, f"editing {row.market}…", "note")
        if row.client_id:
            self.edit_order_requested.emit(row.venue, row.account, row.client_id, value, row.size_value)
        elif row.condition_id is not None:
            self.edit_condition_requested.emit(row.condition_id, value)
        return True

    def show_result(self, text: str, ok: bool) -> None:
        set_role(self.result, text, "ok" if ok else "error")

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self.empty.setGeometry(self.table.viewport().rect())
