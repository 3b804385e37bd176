"""Chart panel (pyqtgraph): live price of the selected market with entry / TP / SL / liquidation
lines, and an equity-curve tab from the journal."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg  # noqa: E402  (after ui.qt so pyqtgraph binds to PySide6)

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
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTabBar,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from grace_desktop.ui.widgets import combo

# No antialiasing: at live repaint rates an antialiased path and grid cost several ms per frame
# in software rendering, for no visible gain on a 1-px price line.
pg.setConfigOptions(antialias=False, background=PANEL, foreground=MUTED)

# The price line repaints at most this often, however fast prices arrive (tables keep 30 Hz).
CHART_MIN_INTERVAL_S = 0.1

LEVEL_STYLE = {
    "entry": ("Entry", BLUE, pg.QtCore.Qt.PenStyle.SolidLine),
    "take_profit": ("TP", GREEN, pg.QtCore.Qt.PenStyle.DashLine),
    "stop_loss": ("SL", RED, pg.QtCore.Qt.PenStyle.DashLine),
    "trailing_stop": ("Trail", AMBER, pg.QtCore.Qt.PenStyle.DashLine),
    "liquidation": ("Liq.", "#f0883e", pg.QtCore.Qt.PenStyle.DotLine),
    "preview_liquidation": ("Ticket liq.", "#a371f7", pg.QtCore.Qt.PenStyle.DotLine),
}


GRID = "#1c2230"


def _axes(plot: pg.PlotWidget, grid: bool) -> None:
    """Muted axes; a grid only where repaints are rare. pyqtgraph's grid is replayed from a
    QPicture on every paint and cost ~5 ms per frame of the live price chart (bench_ui)."""
    for name in ("left", "right", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(GRID if grid else MUTED))
        axis.setTextPen(pg.mkPen(MUTED))
        axis.setGrid(255 if grid else False)


# The narrowest time span the price chart shows, in seconds.
MIN_X_RANGE_S = 30.0


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


class ChartPanel(QWidget):
    """A tab bar and the live labels on top, the two plots in a stack below.

    Not a QTabWidget: under the app stylesheet a QTabWidget repaints its whole page when any
    child label changes, which made every price-label update redraw the plot (bench_ui).
    """

    market_selected = Signal(str)

    def __init__(self, history: PriceHistory | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tab_bar = QTabBar(self)
        self.tab_bar.setObjectName("chartTabs")
        self.tab_bar.addTab("Price")
        self.tab_bar.addTab("Equity")
        self.tab_bar.setExpanding(False)
        self.tab_bar.setDrawBase(False)
        self.stack = QStackedWidget(self)
        self.tab_bar.currentChanged.connect(self.setCurrentIndex)
        self.history = history or PriceHistory()
        self.market = ""
        self.tick_size = 0.01
        self._levels = ChartLevels()
        self._last_live = 0.0
        self._live_pending = False
        self._levels_dirty = False
        self._build_price_tab()
        self._build_equity_tab()
        top = QHBoxLayout()
        top.setContentsMargins(4, 4, 4, 0)
        top.addWidget(self.tab_bar)
        top.addWidget(self.market_combo)
        top.addWidget(self.last_label, 1)
        top.addWidget(self.liq_label)
        top.addWidget(self.fit_levels)
        top.addWidget(self.equity_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        self.setCurrentIndex(0)

    def setCurrentIndex(self, index: int) -> None:  # noqa: N802 (QTabWidget-compatible name)
        self.stack.setCurrentIndex(index)
        if self.tab_bar.currentIndex() != index:
            self.tab_bar.setCurrentIndex(index)
        price = index == 0
        for widget in (self.market_combo, self.last_label, self.liq_label, self.fit_levels):
            widget.setVisible(price)
        self.equity_label.setVisible(not price)

    def currentIndex(self) -> int:  # noqa: N802
        return self.stack.currentIndex()

    # --- construction -------------------------------------------------------------------
    def _build_price_tab(self) -> None:
        page = QWidget(self)
        self.market_combo = combo(page, "chartMarketCombo")
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
        self.plot = pg.PlotWidget(page, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.plot.setObjectName("priceChart")
        _axes(self.plot, grid=False)
        self.plot.setMenuEnabled(False)
        self.plot.getPlotItem().hideButtons()
        self.plot.getAxis("right").setStyle(showValues=True)
        self.plot.showAxis("right")
        self.plot.hideAxis("left")
        # A fixed width: tick labels changing length must not re-lay out (and repaint) the plot.
        self.plot.getAxis("right").setWidth(72)
        # Right after start the history spans seconds and the date axis labelled it with
        # fractions ("06.250"); a 30 s floor keeps clock labels (HH:MM:SS).
        self.plot.setLimits(minXRange=MIN_X_RANGE_S)
        self.curve = self.plot.plot([], [], pen=pg.mkPen(TEXT, width=1))
        # The view always shows the whole ring buffer (≤ 3000 points), so neither clipping nor
        # downsampling helps; both re-process the data on every range change (a second paint).
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
        layout.setContentsMargins(4, 0, 4, 4)
        layout.addWidget(self.plot, 1)
        self.stack.addWidget(page)

    def _build_equity_tab(self) -> None:
        page = QWidget(self)
        self.equity_plot = pg.PlotWidget(page, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.equity_plot.setObjectName("equityChart")
        _axes(self.equity_plot, grid=True)
        self.equity_plot.setMenuEnabled(False)
        self.equity_plot.getPlotItem().hideButtons()
        self.equity_plot.setLimits(minXRange=MIN_X_RANGE_S)
        fill = pg.mkBrush(63, 185, 80, 40)
        self.equity_curve = self.equity_plot.plot([], [], pen=pg.mkPen(GREEN, width=1.5), fillLevel=0, brush=fill)
        self.equity_label = QLabel("No equity history yet", page)
        self.equity_label.setObjectName("equityLabel")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 0, 4, 4)
        layout.addWidget(self.equity_plot, 1)
        self.stack.addWidget(page)

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
        self._levels_dirty = True
        self.refresh()
        self.market_selected.emit(market)

    def add_ticks(self, ticks: Sequence[tuple[str, float, float]]) -> None:
        """(market, ts, price) points, every one kept so the line has no gaps at 30 repaints/s."""
        for market, ts, price in ticks:
            self.history.add(market, ts, price)

    def set_levels(self, levels: ChartLevels) -> None:
        """New level lines; drawn with the next (rate-limited) repaint, since the ticket's
        preview level moves with every price flush."""
        if levels != self._levels:
            self._levels = levels
            self._levels_dirty = True
            self.refresh_live()

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

    def refresh_live(self) -> None:
        """A coalesced price flush: redraw, but not more than every CHART_MIN_INTERVAL_S."""
        now = time.monotonic()
        if now - self._last_live < CHART_MIN_INTERVAL_S:
            if not self._live_pending:
                self._live_pending = True
                QTimer.singleShot(round(CHART_MIN_INTERVAL_S * 1000), self._deferred_refresh)
            return
        self._last_live = now
        self.refresh()

    def _deferred_refresh(self) -> None:
        self._live_pending = False
        self._last_live = time.monotonic()
        self.refresh()

    def refresh(self) -> None:
        """Redraw the selected market's line now."""
        if self._levels_dirty:
            self._levels_dirty = False
            self._apply_levels()
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
        t0, t1 = float(ts[0]), float(ts[-1])
        span = (t1 - t0) or 1.0
        # One setRange call: one view update, one repaint.
        self.plot.setRange(xRange=(t0 - span * 0.02, t0 + span * 1.02), yRange=(lo - pad, hi + pad), padding=0)

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
            f"Equity {fmt.money(float(eq[-1]))} · <span style='color:{colour}'>{change:+,.2f}</span> over "
            f"{len(eq)} point{'' if len(eq) == 1 else 's'}"
        )
