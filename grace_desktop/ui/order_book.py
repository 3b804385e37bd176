"""Order book beside the chart, for venues that publish one: asks above, bids below, a click on a
level puts its price into the ticket (the window connects `price_clicked`)."""

from __future__ import annotations

from collections.abc import Sequence

from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.qt import GREEN, MUTED, RED, QColor, QLabel, Qt, QtWidgets, QVBoxLayout, QWidget, Signal

QTableWidget = QtWidgets.QTableWidget
QTableWidgetItem = QtWidgets.QTableWidgetItem

Level = tuple[float, float]  # (price, size)


class OrderBookView(QWidget):
    price_clicked = Signal(float)

    def __init__(self, parent: QWidget | None = None, depth: int = 12) -> None:
        super().__init__(parent)
        self.depth = depth
        self.tick_size = 0.01
        self.title = QLabel("Order book", self)
        self.title.setStyleSheet(f"color: {MUTED};")
        self.table = QTableWidget(2 * depth, 2, self)
        self.table.setObjectName("orderBookView")
        self.table.setHorizontalHeaderLabels(["Price", "Size"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setShowGrid(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(18)
        self.table.setToolTip("Click a level to use its price in the order ticket")
        self.table.cellClicked.connect(self._clicked)
        self._prices: list[float | None] = [None] * (2 * depth)
        self._colours = {"ask": QColor(RED), "bid": QColor(GREEN)}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        self.setMinimumWidth(170)
        self.setMaximumWidth(240)

    def set_book(self, market: str, bids: Sequence[Level], asks: Sequence[Level], tick_size: float) -> None:
        """Best bid and ask meet in the middle of the table."""
        self.tick_size = tick_size
        d = self.depth
        asks_shown = list(asks[:d])[::-1]  # highest ask on top, best ask just above the middle
        rows: list[tuple[str, Level] | None] = [None] * (d - len(asks_shown)) + [("ask", a) for a in asks_shown]
        rows += [("bid", b) for b in bids[:d]]
        rows += [None] * (2 * d - len(rows))
        spread = f" · spread {fmt.price(asks[0][0] - bids[0][0], tick_size)}" if bids and asks else ""
        self.title.setText(f"Order book {market}{spread}")
        for r, row in enumerate(rows):
            if row is None:
                self._prices[r] = None
                for c in (0, 1):
                    self.table.setItem(r, c, QTableWidgetItem(""))
                continue
            side, (price, size) = row
            self._prices[r] = price
            p = QTableWidgetItem(fmt.price(price, tick_size))
            p.setForeground(self._colours[side])
            s = QTableWidgetItem(f"{size:,.4g}")
            s.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(r, 0, p)
            self.table.setItem(r, 1, s)

    def clear(self) -> None:
        self.set_book("", [], [], self.tick_size)
        self.title.setText("Order book")

    def _clicked(self, row: int, _column: int) -> None:
        price = self._prices[row] if 0 <= row < len(self._prices) else None
        if price is not None:
            self.price_clicked.emit(price)
