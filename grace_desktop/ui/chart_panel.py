"""Chart panel (pyqtgraph): live price of the selected market with entry / TP / SL / liquidation
lines, and an equity-curve tab from the journal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.price_history import PriceHistory
from grace_desktop.ui.qt import (
    AMBER,
    BLUE,
    GREEN,
    MUTED,
    PANEL,
    RED,
    TEXT,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    Signal,
)

import pyqtgraph as pg  # noqa: E402  (after ui.qt so pyqtgraph binds to PySide6)

pg.setConfigOptions(antialias=True, background=PANEL, foreground=MUTED)

LEVEL_STYLE = {
    "entry": ("Entry", BLUE, pg.QtCore.Qt.PenStyle.SolidLine),
    "take_profit": ("TP", GREEN, pg.QtCore.Qt.PenStyle.DashLine),
    "stop_loss": ("SL", RED, pg.QtCore.Qt.PenStyle.DashLine),
    "trailing_stop": ("Trail", AMBER, pg.QtCore.Qt.PenStyle.DashLine),
    "liquidation": ("Liq.", "#f0883e", pg.QtCore.Qt.PenStyle.DotLine),
    "preview_liquidation": ("Ticket liq.", "#a371f7", pg.QtCore.Qt.PenStyle.DotLine),
}


@dataclass(frozen=True, slots=True)
class ChartLevels:
    entry: float | None = None
    take_profit: float | None = None
    stop_loss: float | None = None
    trailing_stop: float | None = None
    liquidation: float | None = None
    preview_liquidation: float | None = None

    def items(self) -> list[tuple[str, float | None]]:
        return [(name, getattr(self, name)) for name in LEVEL_STYLE]


class ChartPanel(QTabWidget):
    market_selected = Signal(str)

    def __init__(self, history: PriceHistory | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history or PriceHistory()
        self.market = ""
        self.tick_size = 0.01
        self._levels = ChartLevels()
        self._build_price_tab()
        self._build_equity_tab()

    # --- construction -------------------------------------------------------------------
    def _build_price_tab(self) -> None:
        page = QWidget(self)
        self.market_combo = QComboBox(page)
        self.market_combo.setObjectName("chartMarketCombo")
        self.market_combo.currentTextChanged.connect(self.select_market)
        self.last_label = QLabel("—", page)
        self.last_label.setObjectName("chartLastLabel")
        self.last_label.setStyleSheet(f"color: {TEXT}; font-weight: bold;")
        self.liq_label = QLabel("", page)
        self.liq_label.setObjectName("chartLiquidationLabel")
        self.liq_label.setStyleSheet("color: #f0883e;")
        self.fit_levels = QPushButton("Show liquidation", page)
        self.fit_levels.setObjectName("fitLevelsButton")
        self.fit_levels.setCheckable(True)
        self.fit_levels.setChecked(False)
        self.fit_levels.setToolTip("Zoom out to keep the liquidation line in view (entry, TP and SL always are)")
        self.fit_levels.toggled.connect(lambda _on: self.refresh())
        bar = QHBoxLayout()
        bar.addWidget(self.market_combo)
        bar.addWidget(self.last_label, 1)
        bar.addWidget(self.liq_label)
        bar.addWidget(self.fit_levels)

        self.plot = pg.PlotWidget(page, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.plot.setObjectName("priceChart")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setMenuEnabled(False)
        self.plot.getPlotItem().hideButtons()
        self.plot.getAxis("right").setStyle(showValues=True)
        self.plot.showAxis("right")
        self.plot.hideAxis("left")
        self.curve = self.plot.plot([], [], pen=pg.mkPen(TEXT, width=1.5))
        self.curve.setClipToView(True)
        self.curve.setDownsampling(auto=True, method="peak")
        self.lines: dict[str, pg.InfiniteLine] = {}
        for name, (label, colour, style) in LEVEL_STYLE.items():
            line = pg.InfiniteLine(
                angle=0, movable=False, pen=pg.mkPen(colour, width=1.2, style=style),
                label=label, labelOpts={"position": 0.04, "color": colour, "fill": PANEL, "anchors": [(0, 1), (0, 1)]},
            )
            line.setVisible(False)
            self.plot.addItem(line, ignoreBounds=True)
            self.lines[name] = line

        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.plot, 1)
        self.addTab(page, "Price")

    def _build_equity_tab(self) -> None:
        page = QWidget(self)
        self.equity_plot = pg.PlotWidget(page, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.equity_plot.setObjectName("equityChart")
        self.equity_plot.showGrid(x=True, y=True, alpha=0.15)
        self.equity_plot.setMenuEnabled(False)
        self.equity_plot.getPlotItem().hideButtons()
        fill = pg.mkBrush(63, 185, 80, 40)
        self.equity_curve = self.equity_plot.plot([], [], pen=pg.mkPen(GREEN, width=1.5), fillLevel=0, brush=fill)
        self.equity_label = QLabel("No equity history yet", page)
        self.equity_label.setObjectName("equityLabel")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.equity_label)
        layout.addWidget(self.equity_plot, 1)
        self.addTab(page, "Equity")

    # --- data ---------------------------------------------------------------------------
    def set_markets(self, markets: Sequence[str], tick_sizes: dict[str, float] | None = None) -> None:
        self._ticks = dict(tick_sizes or {})
        current = self.market
        self.market_combo.blockSignals(True)
        self.market_combo.clear()
        self.market_combo.addItems(list(markets))
        self.market_combo.blockSignals(False)
        self.select_market(current if current in markets else (markets[0] if markets else ""))

    def select_market(self, market: str) -> None:
        if not market or market == self.market:
            return
        self.market = market
        self.tick_size = getattr(self, "_ticks", {}).get(market, 0.01)
        i = self.market_combo.findText(market)
        if i >= 0 and self.market_combo.currentIndex() != i:
            self.market_combo.blockSignals(True)
            self.market_combo.setCurrentIndex(i)
            self.market_combo.blockSignals(False)
        self._levels = ChartLevels()
        self._apply_levels()
        self.refresh()
        self.market_selected.emit(market)

    def add_ticks(self, ticks: Sequence[tuple[str, float, float]]) -> None:
        """(market, ts, price) points, every one kept so the line has no gaps at 30 repaints/s."""
        for market, ts, price in ticks:
            self.history.add(market, ts, price)

    def set_levels(self, levels: ChartLevels) -> None:
        if levels != self._levels:
            self._levels = levels
            self._apply_levels()
            self.refresh()

    def levels(self) -> ChartLevels:
        return self._levels

    def _apply_levels(self) -> None:
        for name, value in self._levels.items():
            line = self.lines[name]
            if value is None or value <= 0:
                line.setVisible(False)
                continue
            # Visible first: pyqtgraph skips label text updates while the line is hidden.
            line.setVisible(True)
            line.setValue(value)
            line.label.setFormat(f"{LEVEL_STYLE[name][0]} {fmt.price(value, self.tick_size)}")

    def refresh(self) -> None:
        """Redraw the selected market's line (called by the bridge's coalesced flush)."""
        ts, px = self.history.arrays(self.market)
        self.curve.setData(ts, px, skipFiniteCheck=True)
        if len(px) == 0:
            self.last_label.setText(f"{self.market}  waiting for the first price…")
            return
        last = float(px[-1])
        self.last_label.setText(f"{self.market}  {fmt.price(last, self.tick_size)}")
        liq = self._levels.liquidation
        if liq:
            away = abs(last - liq) / last * 100
            self.liq_label.setText(f"Liq. {fmt.price(liq, self.tick_size)} ({away:.1f} % away)")
        else:
            self.liq_label.setText("")
        lo, hi = float(np.min(px)), float(np.max(px))
        # Entry and exits are always kept in view; the liquidation line (often far away) only on
        # request, its price and distance are in the bar above either way. The ticket's
        # hypothetical liquidation is drawn when in view, never zoomed out to.
        for name, value in self._levels.items():
            if value is None or value <= 0 or name == "preview_liquidation":
                continue
            if name != "liquidation" or self.fit_levels.isChecked():
                lo, hi = min(lo, value), max(hi, value)
        pad = (hi - lo) * 0.08 or max(abs(hi) * 0.001, self.tick_size)
        self.plot.setYRange(lo - pad, hi + pad, padding=0)
        t0, t1 = float(ts[0]), float(ts[-1])
        self.plot.setXRange(t0, t1 if t1 > t0 else t0 + 1, padding=0.02)

    def set_equity_curve(self, points: Sequence[tuple[float, float]]) -> None:
        if not points:
            self.equity_curve.setData([], [])
            self.equity_label.setText("No equity history yet")
            return
        ts = np.fromiter((p[0] for p in points), dtype=np.float64, count=len(points))
        eq = np.fromiter((p[1] for p in points), dtype=np.float64, count=len(points))
        self.equity_curve.setFillLevel(float(np.min(eq)))
        self.equity_curve.setData(ts, eq, skipFiniteCheck=True)
        change = eq[-1] - eq[0]
        colour = GREEN if change >= 0 else RED
        self.equity_label.setText(
            f"Equity {fmt.money(float(eq[-1]))} · <span style='color:{colour}'>{change:+,.2f}</span> over {len(eq)} points"
        )
