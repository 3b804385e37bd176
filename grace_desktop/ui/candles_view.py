"""The candle plot: candles and volume, crosshair with an OHLC readout, zoom and pan that keep
the live edge, level lines (TP/SL/trailing draggable), resting orders, entry conditions and fills."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pyqtgraph as pg

from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.candles_item import VOLUME_FRACTION, CandlesItem
from grace_desktop.ui.candles_levels import LevelLines
from grace_desktop.ui.candles_series import CandleSeries
from grace_desktop.ui.qt import GREEN, MUTED, RED, TEXT, QLabel, QObject, QWidget, Signal

# The view opens on this many bars, the newest one a few bars from the right edge.
DEFAULT_BARS = 120
RIGHT_MARGIN_BARS = 4
MIN_BARS = 10
Y_KEEP_FILL = 0.8  # keep the y-range while the candles fill at least this much of it
Y_SLACK = 0.03  # and give a new range this much room on each side


class CandleChart(QObject):
    range_changed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(parent, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.plot.setObjectName("priceChart")
        self.plot.setMenuEnabled(False)
        item = self.plot.getPlotItem()
        item.hideButtons()
        self.plot.showAxis("right")
        self.plot.hideAxis("left")
        for name in ("right", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(MUTED))
            axis.setTextPen(pg.mkPen(MUTED))
        # A fixed width: tick labels changing length must not re-lay out (and repaint) the plot.
        self.plot.getAxis("right").setWidth(72)
        self.vb = self.plot.getViewBox()
        self.vb.setMouseEnabled(x=True, y=False)  # y follows the visible candles
        self.vb.disableAutoRange()
        self.candles = CandlesItem()
        self.plot.addItem(self.candles)
        self.fills = pg.ScatterPlotItem(size=14, pxMode=True)
        self.fills.setZValue(5)
        self.plot.addItem(self.fills, ignoreBounds=True)
        self.levels = LevelLines(self.plot)
        # The crosshair is in the scene only while the mouse is over the plot: every line in a
        # view is re-laid out on every pan, zoom and y-range change, hidden or not.
        pen = pg.mkPen(MUTED, width=1, style=pg.QtCore.Qt.PenStyle.DotLine)
        self.cross_v = pg.InfiniteLine(angle=90, movable=False, pen=pen)
        self.cross_h = pg.InfiniteLine(angle=0, movable=False, pen=pen)
        self._cross_shown = False
        self.ohlc_label = QLabel("", parent)
        self.ohlc_label.setObjectName("ohlcLabel")
        self.ohlc_label.setStyleSheet(f"color: {MUTED};")
        self.series: CandleSeries | None = None
        self.tick_size = 0.01
        self.follow = True  # keep the newest bar in view as bars arrive
        self._opened = False  # the x-range has been set for the current series
        self._fit_extra: tuple[float, ...] = ()
        self._fitting = False
        self.vb.sigRangeChangedManually.connect(self._on_user_range)
        self.vb.sigXRangeChanged.connect(self._on_x_range)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse)

    # --- data ----------------------------------------------------------------------------
    def set_series(self, series: CandleSeries | None, tick_size: float) -> None:
        """Show another market or timeframe: opens on the newest bars, following the live edge."""
        self.series = series
        self.tick_size = tick_size
        self.candles.set_series(series)
        self.follow = True
        self._opened = False
        self.show_latest()

    def show_latest(self, bars: int = DEFAULT_BARS) -> None:
        s = self.series
        if s is None or not len(s):
            return
        last = float(s.data[s.n - 1, 0])
        right = last + s.seconds * RIGHT_MARGIN_BARS
        self.follow = True
        self._opened = True
        # A short history starts at the left edge rather than after an empty stretch.
        left = max(right - s.seconds * bars, float(s.data[0, 0]) - s.seconds * RIGHT_MARGIN_BARS)
        self._set_x(left, right)

    def show_all(self) -> None:
        s = self.series
        if s is None or not len(s):
            return
        self.follow = True
        self._set_x(float(s.data[0, 0]), float(s.data[s.n - 1, 0]) + s.seconds * RIGHT_MARGIN_BARS)

    def data_changed(self) -> None:
        """New bars or a changed bar in progress: repaint; at the live edge, scroll with it."""
        s = self.series
        if s is None or not len(s):
            return
        self.candles.data_changed()
        if not self._opened:
            self.show_latest()
            return
        (x0, x1), _ = self.vb.viewRange()
        right = float(s.data[s.n - 1, 0]) + s.seconds * RIGHT_MARGIN_BARS
        if self.follow and x1 < right:
            # Widen up to the default width (a young history), then scroll at the same zoom.
            keep_left = right - x0 <= s.seconds * DEFAULT_BARS
            self._set_x(x0 if keep_left else x0 + right - x1, right)
        else:
            self.fit_y()

    def set_fit_extra(self, prices: Sequence[float]) -> None:
        """Prices the y-range must also include (entry, exits; liquidation on request)."""
        extra = tuple(p for p in prices if p and p > 0)
        if extra != self._fit_extra:
            self._fit_extra = extra
            self.fit_y()

    def set_fills(self, fills: Sequence[tuple[float, float, str]]) -> None:
        """(ts, price, "buy"|"sell") marked on the candles: green ▲ buys, red ▼ sells."""
        if not fills:
            self.fills.setData([], [])
            return
        self.fills.setData(
            x=[f[0] for f in fills], y=[f[1] for f in fills],
            symbol=["t1" if f[2] == "buy" else "t" for f in fills],
            brush=[pg.mkBrush(GREEN if f[2] == "buy" else RED) for f in fills],
            pen=[pg.mkPen(TEXT, width=1) for _ in fills],
        )

    # --- ranges --------------------------------------------------------------------------
    def _set_x(self, x0: float, x1: float) -> None:
        self.vb.setXRange(x0, x1, padding=0)
        self.fit_y()

    def visible_bounds(self) -> tuple[float, float] | None:
        s = self.series
        if s is None or not len(s):
            return None
        (x0, x1), _ = self.vb.viewRange()
        ts = s.column(0)
        i0 = max(0, int(np.searchsorted(ts, x0 - s.seconds)))
        i1 = int(np.searchsorted(ts, x1, side="right"))
        if i1 <= i0:
            i0, i1 = max(0, s.n - 1), s.n
        view = s.data[i0:i1]
        return float(view[:, 3].min()), float(view[:, 2].max())

    def fit_y(self) -> None:
        bounds = self.visible_bounds()
        if bounds is None or self._fitting:
            return
        lo, hi = bounds
        for p in self._fit_extra:
            lo, hi = min(lo, p), max(hi, p)
        pad = (hi - lo) * 0.06 or max(abs(hi) * 0.001, self.tick_size)
        span = hi - lo + 2 * pad
        # Room below the candles for the volume bars.
        bottom = lo - pad - span * VOLUME_FRACTION / (1 - VOLUME_FRACTION)
        top = hi + pad
        _, (cy0, cy1) = self.vb.viewRange()
        # Hysteresis: while the candles still fit and fill most of the height, keep the y-range.
        # Re-ranging on every pan step re-generated the price axis and moved every level line
        # (most of a pan frame's cost, bench_chart).
        if cy0 <= bottom and cy1 >= top and (top - bottom) >= (cy1 - cy0) * Y_KEEP_FILL:
            return
        slack = (top - bottom) * Y_SLACK
        bottom, top = bottom - slack, top + slack
        self._fitting = True
        try:
            self.vb.setYRange(bottom, top, padding=0)
        finally:
            self._fitting = False

    def _on_x_range(self, *_args: object) -> None:
        self.fit_y()
        self.range_changed.emit()

    def _on_user_range(self, *_args: object) -> None:
        """A pan or zoom by the user: keep following only while the newest bar stays in view."""
        s = self.series
        if s is None or not len(s):
            return
        (_x0, x1), _ = self.vb.viewRange()
        self.follow = x1 >= float(s.data[s.n - 1, 0]) + s.seconds

    # --- crosshair -----------------------------------------------------------------------
    def _on_mouse(self, pos: object) -> None:
        s = self.series
        inside = s is not None and self.vb.sceneBoundingRect().contains(pos)  # type: ignore[arg-type]
        if inside != self._cross_shown:
            self._cross_shown = inside
            for line in (self.cross_v, self.cross_h):
                if inside:
                    self.plot.addItem(line, ignoreBounds=True)
                else:
                    self.plot.removeItem(line)
        if not inside:
            return
        point = self.vb.mapSceneToView(pos)
        self.cross_v.setPos(point.x())
        self.cross_h.setPos(point.y())
        self.ohlc_label.setText(self.readout(point.x(), point.y()))

    def readout(self, x: float, y: float) -> str:
        s = self.series
        i = s.index_at(x) if s is not None else None
        at = fmt.price(y, self.tick_size)
        if s is None or i is None:
            return f"— · {at}"
        ts, o, h, lo, c, v = (float(n) for n in s.data[i])
        when = datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
        p = lambda n: fmt.price(n, self.tick_size)  # noqa: E731
        change = (c - o) / o * 100 if o else 0.0
        return (f"{when}  O {p(o)}  H {p(h)}  L {p(lo)}  C {p(c)}  ({change:+.2f} %)  V {v:,.4g}  · {at}")
