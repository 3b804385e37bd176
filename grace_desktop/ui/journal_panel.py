"""Journal: closed trades and orders, paged from the database, filtered, totalled, exportable to CSV.

Storage calls run in a worker thread (asyncio.to_thread) so a slow disk never stalls a repaint.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path
from typing import Any

from grace_desktop.storage import OrderRecord, Storage, TradeRecord
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.qt import (
    GREEN,
    MUTED,
    RED,
    QCheckBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QtCore,
    QVBoxLayout,
    QWidget,
    icon,
)
from grace_desktop.ui.record_model import Column, RecordTableModel
from grace_desktop.ui.tasks import TaskKeeper
from grace_desktop.ui.widgets import combo

PAGE_SIZE = 100
ALL = "all"


def _pnl_colour(value: float) -> str | None:
    return GREEN if value > 0 else RED if value < 0 else None


TRADE_COLUMNS: list[Column[TradeRecord]] = [
    Column("Closed", lambda t: fmt.timestamp(t.closed_at)),
    Column("Account", lambda t: t.account),
    Column("Market", lambda t: t.market),
    Column("Side", lambda t: t.side.value.upper(), lambda t: GREEN if t.side.sign > 0 else RED),
    Column("Size", lambda t: f"{t.size:g}", right=True),
    Column("Entry", lambda t: f"{t.entry_price:,.4g}" if t.entry_price < 1 else f"{t.entry_price:,.2f}", right=True),
    Column("Exit", lambda t: f"{t.exit_price:,.4g}" if t.exit_price < 1 else f"{t.exit_price:,.2f}", right=True),
    Column("PnL", lambda t: fmt.money(t.realized_pnl, signed=True), lambda t: _pnl_colour(t.realized_pnl), right=True),
    Column("Fees", lambda t: fmt.money(t.fees), right=True),
    Column("Net", lambda t: fmt.money(t.realized_pnl - t.fees, signed=True),
           lambda t: _pnl_colour(t.realized_pnl - t.fees), right=True),
    Column("Reason", lambda t: t.close_reason),
    Column("Venue", lambda t: t.venue),
]

ORDER_COLUMNS: list[Column[OrderRecord]] = [
    Column("Created", lambda r: fmt.timestamp(r.order.created_at)),
    Column("Account", lambda r: r.order.request.account),
    Column("Market", lambda r: r.order.request.market),
    Column("Side", lambda r: r.order.request.side.value.upper(), lambda r: GREEN if r.order.request.side.sign > 0 else RED),
    Column("Type", lambda r: r.order.request.order_type.value),
    Column("Size", lambda r: f"{r.order.request.size:g}", right=True),
    Column("Price", lambda r: "market" if r.order.request.price is None else f"{r.order.request.price:,.2f}", right=True),
    Column("Lev.", lambda r: fmt.leverage(r.order.request.leverage), right=True),
    Column("Filled", lambda r: f"{r.order.filled_size:g}", right=True),
    Column("Avg fill", lambda r: fmt.price(r.order.avg_fill_price), right=True),
    Column("Status", lambda r: r.order.status.value,
           lambda r: RED if r.order.status.value in ("rejected", "failed") else MUTED if r.order.status.value == "cancelled" else None),
    Column("Reduce", lambda r: "yes" if r.order.request.reduce_only else ""),
    Column("Reason", lambda r: r.order.reason),
    Column("Venue", lambda r: r.venue),
]


def _table(model: RecordTableModel[Any], name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(24)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setDefaultSectionSize(92)
    view.horizontalHeader().resizeSection(0, 170)
    return view


class JournalPanel(QWidget):
    def __init__(self, tasks: TaskKeeper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.store: Storage | None = None
        self.trades = RecordTableModel(TRADE_COLUMNS, self)
        self.orders = RecordTableModel(ORDER_COLUMNS, self)
        # Keyset paging: the before_id that produced each page we've seen, so "Newer" can step back.
        self._trade_pages: list[int | None] = [None]
        self._order_pages: list[int | None] = [None]
        self._build()

    def _build(self) -> None:
        self.account_filter = combo(self, "journalAccountFilter")
        self.market_filter = combo(self, "journalMarketFilter")
        self.since_check = QCheckBox("From", self)
        self.since_edit = QDateEdit(QtCore.QDate.currentDate().addDays(-30), self)
        self.until_check = QCheckBox("to", self)
        self.until_edit = QDateEdit(QtCore.QDate.currentDate(), self)
        for edit in (self.since_edit, self.until_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(self._filters_changed)
        for widget in (self.account_filter, self.market_filter):
            widget.currentIndexChanged.connect(self._filters_changed)
        for check in (self.since_check, self.until_check):
            check.toggled.connect(self._filters_changed)
        self.export_button = QPushButton(icon("export"), "Export CSV…", self)
        self.export_button.setObjectName("exportCsvButton")
        self.export_button.clicked.connect(self.export)

        filters = QHBoxLayout()
        for w in (self.account_filter, self.market_filter, self.since_check, self.since_edit, self.until_check, self.until_edit):
            filters.addWidget(w)
        filters.addStretch(1)
        filters.addWidget(self.export_button)

        self.trade_view = _table(self.trades, "journalTable")
        self.order_view = _table(self.orders, "ordersTable")
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.trade_view, "Trades")
        self.tabs.addTab(self.order_view, "Orders")

        self.totals_label = QLabel("", self)
        self.totals_label.setObjectName("journalTotals")
        self.status_label = QLabel("", self)
        self.status_label.setObjectName("journalStatus")
        self.status_label.setStyleSheet(f"color: {MUTED};")
        self.newer_button = QPushButton("◀ Newer", self)
        self.older_button = QPushButton("Older ▶", self)
        self.newer_button.clicked.connect(lambda: self.page(-1))
        self.older_button.clicked.connect(lambda: self.page(+1))
        bottom = QHBoxLayout()
        bottom.addWidget(self.totals_label, 1)
        bottom.addWidget(self.status_label)
        bottom.addWidget(self.newer_button)
        bottom.addWidget(self.older_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        self.tabs.currentChanged.connect(self._set_paging_buttons)
        self._set_paging_buttons()

    # --- binding and filters ------------------------------------------------------------
    def bind(self, store: Storage, accounts: list[str], markets: list[str]) -> asyncio.Task[Any] | None:
        self.store = store
        for box, items, label in ((self.account_filter, accounts, "All accounts"), (self.market_filter, markets, "All markets")):
            box.blockSignals(True)
            box.clear()
            box.addItem(label, ALL)
            for item in items:
                box.addItem(item, item)
            box.blockSignals(False)
        return self.refresh()

    def filters(self) -> dict[str, Any]:
        account = self.account_filter.currentData()
        market = self.market_filter.currentData()
        since = until = None
        if self.since_check.isChecked():
            since = datetime.combine(self.since_edit.date().toPython(), time.min).timestamp()
        if self.until_check.isChecked():
            until = datetime.combine(self.until_edit.date().toPython(), time.max).timestamp()
        return {
            "account": None if account in (None, ALL) else account,
            "market": None if market in (None, ALL) else market,
            "since": since,
            "until": until,
        }

    def _filters_changed(self, *_: object) -> None:
        self._trade_pages = [None]
        self._order_pages = [None]
        self.refresh()

    # --- loading ------------------------------------------------------------------------
    def refresh(self) -> asyncio.Task[Any] | None:
        """Reload the current pages and totals; returns the task (tests await it)."""
        if self.store is None:
            return None
        return self.tasks.spawn(self._load(), "journal load")

    def page(self, step: int) -> asyncio.Task[Any] | None:
        pages = self._trade_pages if self.tabs.currentIndex() == 0 else self._order_pages
        model = self.trades if self.tabs.currentIndex() == 0 else self.orders
        if step > 0:
            records = model.records()
            if len(records) < PAGE_SIZE:
                return None
            last = records[-1]
            pages.append(last.id)
        elif len(pages) > 1:
            pages.pop()
        else:
            return None
        return self.refresh()

    async def _load(self) -> None:
        store = self.store
        assert store is not None
        f = self.filters()
        trades_before, orders_before = self._trade_pages[-1], self._order_pages[-1]

        def read() -> tuple[list[TradeRecord], Any, list[OrderRecord]]:
            trades = store.trades.page(limit=PAGE_SIZE, before_id=trades_before, **f)
            totals = store.trades.totals(**f)
            orders = store.orders.page(limit=PAGE_SIZE, before_id=orders_before, **f)
            return trades, totals, orders

        trades, totals, orders = await asyncio.to_thread(read)
        self.trades.set_records(trades)
        self.orders.set_records(orders)
        net = totals.realized_pnl - totals.fees
        colour = GREEN if net > 0 else RED if net < 0 else MUTED
        self.totals_label.setText(
            f"{totals.count} trade{'' if totals.count == 1 else 's'} · PnL {fmt.money(totals.realized_pnl, signed=True)} · fees {fmt.money(totals.fees)} · "
            f"net <span style='color:{colour}'>{fmt.money(net, signed=True)}</span> · "
            f"{totals.wins} won / {totals.losses} lost"
        )
        self._set_paging_buttons()

    def _set_paging_buttons(self, *_: object) -> None:
        # The buttons page the tab on show; judged by the other tab they were enabled and did nothing.
        trades = self.tabs.currentIndex() == 0
        pages = self._trade_pages if trades else self._order_pages
        model = self.trades if trades else self.orders
        self.newer_button.setEnabled(len(pages) > 1)
        self.older_button.setEnabled(model.rowCount() >= PAGE_SIZE)

    # --- export -------------------------------------------------------------------------
    @classmethod
    def choose_export_path(cls, parent: QWidget, on_chosen: Callable[[str], None]) -> None:
        """Ask for a CSV path without a modal loop (tests replace this classmethod)."""
        dialog = QFileDialog(parent, "Export trades as CSV", str(Path.home() / "trades.csv"), "CSV files (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(on_chosen)
        dialog.open()

    def export(self) -> None:
        if self.store is None:
            return
        type(self).choose_export_path(self, self._export_to)

    def _export_to(self, path: str) -> None:
        if path:
            self.last_export = self.tasks.spawn(self._write_csv(path), "journal export")

    async def _write_csv(self, path: str) -> int:
        assert self.store is not None
        store, f = self.store, self.filters()
        try:
            count = await asyncio.to_thread(store.trades.export_csv, path, **f)
        except OSError as exc:
            self.status_label.setText(f"Export failed: {exc.strerror or exc}")
            return 0
        self.status_label.setText(f"Exported {count} trades to {path}")
        return count
