"""Chart panel: candles of the selected market and timeframe with level lines and fills, an
order book beside them where the venue publishes one, and an equity-curve tab from the journal."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from grace_desktop.domain.candles import TIMEFRAMES
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.candles_series import CandleBook
from grace_desktop.ui.chart_types import LEVEL_STYLE, ChartLevels, MarkerLine
from grace_desktop.ui.level_confirm import LevelConfirmBar
from grace_desktop.ui.order_book import OrderBookView
from grace_desktop.ui.qt import (
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

__all__ = ["LEVEL_STYLE", "ChartLevels", "ChartPanel", "MarkerLine"]



def _pyqtgraph():  # type: ignore[no-untyped-def]
    """pyqtgraph, imported when the first chart is built, not when the window's module is: start-up
    can paint the window first. No antialiasing: at live repaint rates antialiased paths cost
    several ms per frame in software rendering, for no visible gain on 1-px candles and lines."""
    import pyqtgraph as pg  # after ui.qt, so pyqtgraph binds to PySide6

    pg.setConfigOptions(antialias=False, background=PANEL, foreground=MUTED)
    return pg


# The candles repaint at most this often, however fast prices arrive, and never in the same
# frame as the tables' 10 Hz text update (CHART_PHASE_S after it), so two costs never add up.
CHART_MIN_INTERVAL_S = 0.1
CHART_PHASE_S = 0.05
DEFAULT_TIMEFRAME = "1m"
MIN_X_RANGE_S = 30.0


class ChartPanel(QWidget):
    """A tab bar and the live labels on top, the candle plot (with the order book) and the
    equity plot in a stack below. Not a QTabWidget: under the app stylesheet it repainted its
    whole page whenever a label in it changed (bench_ui)."""

    market_selected = Signal(str)
    timeframe_changed = Signal(str)
    level_moved = Signal(str, float)  # an exit line was dropped at a price: the window checks it
    level_change_confirmed = Signal(str, float)  # the user confirmed that change
    price_clicked = Signal(float)  # an order-book level: into the ticket's price field

    def __init__(self, history: CandleBook | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tab_bar = QTabBar(self)
        self.tab_bar.setObjectName("chartTabs")
        self.tab_bar.addTab("Price")
        self.tab_bar.addTab("Equity")
        self.tab_bar.setExpanding(False)
        self.tab_bar.setDrawBase(False)
        self.stack = QStackedWidget(self)
        self.tab_bar.currentChanged.connect(self.setCurrentIndex)
        self.book = history or CandleBook()
        self.market = ""
        self.timeframe = DEFAULT_TIMEFRAME
        self.tick_size = 0.01
        self._ticks: dict[str, float] = {}
        self._last_live = 0.0
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.timeout.connect(self._live_refresh)
        self._build_price_tab()
        self._build_equity_tab()
        top = QHBoxLayout()
        top.setContentsMargins(4, 4, 4, 0)
        top.addWidget(self.tab_bar)
        for w in (self.market_combo, self.timeframe_combo):
            top.addWidget(w)
        top.addWidget(self.last_label)
        top.addWidget(self.view.ohlc_label, 1)
        top.addWidget(self.liq_label)
        top.addWidget(self.live_button)
        top.addWidget(self.fit_levels)
        top.addWidget(self.equity_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.confirm)
        layout.addWidget(self.stack, 1)
        self.setCurrentIndex(0)

    def setCurrentIndex(self, index: int) -> None:  # noqa: N802 (QTabWidget-compatible name)
        self.stack.setCurrentIndex(index)
        if self.tab_bar.currentIndex() != index:
            self.tab_bar.setCurrentIndex(index)
        price = index == 0
        for widget in (self.market_combo, self.timeframe_combo, self.last_label, self.view.ohlc_label,
                       self.liq_label, self.live_button, self.fit_levels):
            widget.setVisible(price)
        self.equity_label.setVisible(not price)

    def currentIndex(self) -> int:  # noqa: N802
        return self.stack.currentIndex()

    # --- construction -------------------------------------------------------------------
    def _build_price_tab(self) -> None:
        page = QWidget(self)
        self.market_combo = combo(page, "chartMarketCombo")
        self.market_combo.currentTextChanged.connect(self.select_market)
        self.timeframe_combo = combo(page, "timeframeCombo")
        self.timeframe_combo.addItems(list(TIMEFRAMES))
        self.timeframe_combo.setCurrentText(self.timeframe)
        self.timeframe_combo.currentTextChanged.connect(self.set_timeframe)
        self.last_label = QLabel("—", page)
        self.last_label.setObjectName("chartLastLabel")
        self.last_label.setStyleSheet(f"color: {TEXT}; font-weight: bold;")
        self.liq_label = QLabel("", page)
        self.liq_label.setObjectName("chartLiquidationLabel")
        self.liq_label.setStyleSheet("color: #f0883e;")
        self.live_button = QPushButton("Live", page)
        self.live_button.setObjectName("chartLiveButton")
        self.live_button.setToolTip("Back to the newest candles, following them as they form")
        self.live_button.clicked.connect(lambda: self.view.show_latest())
        self.fit_levels = QPushButton("Show liquidation", page)
        self.fit_levels.setObjectName("fitLevelsButton")
        self.fit_levels.setCheckable(True)
        self.fit_levels.setToolTip("Zoom out to keep the liquidation line in view (entry, TP and SL always are)")
        self.fit_levels.toggled.connect(lambda _on: self._fit_levels())
        from grace_desktop.ui.candles_view import CandleChart

        _pyqtgraph()
        self.view = CandleChart(page)
        self.plot = self.view.plot
        self.lines = self.view.levels.lines
        self.view.levels.moved.connect(self.level_moved)
        self.order_book = OrderBookView(page)
        self.order_book.price_clicked.connect(self.price_clicked)
        self.order_book.setVisible(False)  # shown once the venue publishes a book
        self.confirm = LevelConfirmBar(self)
        self.confirm.confirmed.connect(self._confirmed)
        self.confirm.cancelled.connect(lambda kind: self.view.levels.settle(kind, keep=False))
        layout = QHBoxLayout(page)
        layout.setContentsMargins(4, 0, 4, 4)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.order_book)
        self.stack.addWidget(page)

    def _build_equity_tab(self) -> None:
        pg = _pyqtgraph()
        page = QWidget(self)
        self.equity_plot = pg.PlotWidget(page, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.equity_plot.setObjectName("equityChart")
        for name in ("left", "bottom"):
            axis = self.equity_plot.getAxis(name)
            axis.setTextPen(pg.mkPen(MUTED))
            axis.setGrid(255)
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

    # --- market and timeframe -----------------------------------------------------------
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
        self.tick_size = self._ticks.get(market, 0.01)
        i = self.market_combo.findText(market)
        if i >= 0 and self.market_combo.currentIndex() != i:
            self.market_combo.blockSignals(True)
            self.market_combo.setCurrentIndex(i)
            self.market_combo.blockSignals(False)
        self.confirm.dismiss()
        self.view.levels.pending.clear()
        self.set_levels(ChartLevels())
        self.view.levels.set_markers([])
        self.view.set_fills([])
        self.order_book.clear()
        self._show_series()
        self.market_selected.emit(market)

    def set_timeframe(self, timeframe: str) -> None:
        if timeframe not in TIMEFRAMES or timeframe == self.timeframe:
            return
        self.timeframe = timeframe
        if self.timeframe_combo.currentText() != timeframe:
            self.timeframe_combo.setCurrentText(timeframe)
        self._show_series()
        self.timeframe_changed.emit(timeframe)

    def series(self, market: str | None = None, timeframe: str | None = None):  # type: ignore[no-untyped-def]
        return self.book.series(market or self.market, TIMEFRAMES[timeframe or self.timeframe])

    def _show_series(self) -> None:
        self.view.levels.tick_size = self.tick_size
        self.view.set_series(self.series() if self.market else None, self.tick_size)
        self._update_labels()

    # --- data ---------------------------------------------------------------------------
    def add_ticks(self, ticks: Sequence[tuple[str, float, float]]) -> None:
        """(market, ts, price) batches from the bridge, oldest first, into every timeframe's candles."""
        self.book.add_ticks(ticks)

    def history_loaded(self, market: str, timeframe: str) -> None:
        """Stored or venue candles were merged into the book: redraw if they are the ones shown."""
        if market == self.market and timeframe == self.timeframe:
            self.view.set_series(self.series(), self.tick_size)
            self._update_labels()

    def set_levels(self, levels: ChartLevels) -> None:
        self.view.levels.set_levels(levels, self.tick_size)
        self._fit_levels()
        self._update_labels()

    def levels(self) -> ChartLevels:
        return self.view.levels.values

    def set_markers(self, markers: Sequence[MarkerLine]) -> None:
        self.view.levels.set_markers(markers)

    def set_fills(self, fills: Sequence[tuple[float, float, str]]) -> None:
        self.view.set_fills(fills)

    def set_order_book(self, market: str, bids: Sequence[tuple[float, float]], asks: Sequence[tuple[float, float]]) -> None:
        if market != self.market:
            return
        self.order_book.setVisible(True)
        self.order_book.set_book(market, bids, asks, self.tick_size)

    def _fit_levels(self) -> None:
        self.view.set_fit_extra(self.view.levels.in_view(self.fit_levels.isChecked()))

    # --- dragged levels -----------------------------------------------------------------
    def show_level_change(self, kind: str, price: float, text: str, allowed: bool) -> None:
        """What the dropped line means; Apply only when the change is allowed."""
        self.confirm.ask(kind, price, text, allowed)
        if not allowed:
            self.view.levels.settle(kind, keep=False)

    def _confirmed(self, kind: str, price: float) -> None:
        self.level_change_confirmed.emit(kind, price)

    def level_change_done(self, kind: str, ok: bool, message: str) -> None:
        self.confirm.done(ok, message)
        self.view.levels.settle(kind, keep=ok)

    # --- repaint ------------------------------------------------------------------------
    def refresh_live(self) -> None:
        """A coalesced price flush: redraw not more than every CHART_MIN_INTERVAL_S, and a phase
        after the flush so the candles and the tables paint in different frames."""
        if self._live_timer.isActive():
            return
        wait = max(CHART_PHASE_S, self._last_live + CHART_MIN_INTERVAL_S - time.monotonic())
        self._live_timer.start(round(wait * 1000))

    def _live_refresh(self) -> None:
        self._last_live = time.monotonic()
        self.refresh()

    def refresh(self) -> None:
        """Redraw the selected market's candles now."""
        self.view.data_changed()
        self._update_labels()

    def _update_labels(self) -> None:
        s = self.series() if self.market else None
        if s is None or not len(s):
            self.last_label.setText(f"{self.market}  waiting for the first price…")
            self.liq_label.setText("")
            return
        last = float(s.data[s.n - 1, 4])
        self.last_label.setText(f"{self.market}  {fmt.price(last, self.tick_size)}")
        liq = self.levels().liquidation
        if liq:
            away = abs(last - liq) / last * 100
            self.liq_label.setText(f"Liq. {fmt.price(liq, self.tick_size)} ({away:.1f} % away)")
        else:
            self.liq_label.setText("")

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
