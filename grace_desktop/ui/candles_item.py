"""A pyqtgraph item that paints candles and volume for the visible range only.

Like pyqtgraph's own fast items: the visible slice is found by binary search, and when there
are more bars than pixels they are merged into chunks (open of the first, close of the last,
extremes and summed volume in between) so a fully zoomed-out view of 100,000 candles paints
a few hundred rectangles. Chunks are aligned to absolute bar indices, so panning does not make
the merged candles shimmer. Rectangles and wicks go to QPainter in single drawRects/drawLines
calls through pyqtgraph's primitive arrays (contiguous memory, no per-candle Python objects).
Volume is drawn in the bottom fifth of the view, scaled to the visible bars' largest volume.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from grace_desktop.ui.candles_series import CandleSeries
from grace_desktop.ui.qt import GREEN, PANEL, RED, QtCore, QtGui

# Pixels per drawn candle before neighbours are merged; below ~3 px bodies and wicks blur together.
MIN_PX_PER_CANDLE = 3.0
BODY_FRACTION = 0.7  # of the bucket's width
VOLUME_FRACTION = 0.18  # of the view's height


def _mix(colour: QtGui.QColor, background: str, weight: float) -> QtGui.QColor:
    bg = QtGui.QColor(background)
    return QtGui.QColor(*(round(getattr(colour, c)() * weight + getattr(bg, c)() * (1 - weight))
                          for c in ("red", "green", "blue")))


class CandlesItem(pg.GraphicsObject):
    def __init__(self) -> None:
        super().__init__()
        self.series: CandleSeries | None = None
        self._bounds = QtCore.QRectF()
        self._bounds_version = -1
        self._cache_key: tuple[object, ...] | None = None
        self._cache: tuple[np.ndarray, ...] | None = None
        self._bodies = {k: pg.Qt.internals.PrimitiveArray(QtCore.QRectF, 4) for k in ("up", "down", "vup", "vdown")}
        self._wicks = {k: pg.Qt.internals.PrimitiveArray(QtCore.QLineF, 4) for k in ("up", "down")}
        up, down = QtGui.QColor(GREEN), QtGui.QColor(RED)
        self._pens = {"up": pg.mkPen(up, width=1, cosmetic=True), "down": pg.mkPen(down, width=1, cosmetic=True)}
        self._brushes = {"up": pg.mkBrush(up), "down": pg.mkBrush(down)}
        # Volume in colours pre-mixed with the background: an opaque fill rasterizes several
        # times faster than an alpha-blended one in software (bench_chart profile).
        self._vbrushes = {"vup": pg.mkBrush(_mix(up, PANEL, 0.3)), "vdown": pg.mkBrush(_mix(down, PANEL, 0.3))}
        self.last_drawn = 0  # candles painted by the last paint (tests and the benchmark read it)
        self._last_k = 1  # bars per drawn candle in the last paint
        self._vmax_drawn = 0.0  # the volume scale of the last paint
        self._painted_shape: tuple[int, int] | None = None
        self.setFlag(self.GraphicsItemFlag.ItemUsesExtendedStyleOption, False)

    def set_series(self, series: CandleSeries | None) -> None:
        self.series = series
        self._cache_key = None
        self.data_changed()

    def data_changed(self) -> None:
        """The series changed (a batch of ticks, history loaded): new bounds, one repaint.

        When only the bar in progress changed (no new bar, same bounds) only its column is
        repainted — a live tick then costs a sliver of the view, not the axes and every candle.
        """
        s = self.series
        n = len(s) if s is not None else 0
        version = (id(s), s.version if s is not None else -1)
        same_shape = n and (id(s), n) == self._painted_shape
        old_bounds = QtCore.QRectF(self._bounds)
        if version != self._bounds_version:
            self._bounds_version = version  # type: ignore[assignment]
            if s is None or not len(s):
                rect = QtCore.QRectF()
            else:
                v = s.view
                x0, x1 = float(v[0, 0]), float(v[-1, 0]) + s.seconds
                lo, hi = float(v[:, 3].min()), float(v[:, 2].max())
                rect = QtCore.QRectF(x0, lo, x1 - x0, (hi - lo) or 1.0)
            if rect != self._bounds:
                self.prepareGeometryChange()
                self._bounds = rect
        vb = self.getViewBox()
        # Not when a bigger volume rescales every volume bar, nor when candles are merged (the
        # last merged candle's volume is a sum that may outgrow the scale as well).
        if (same_shape and self._bounds == old_bounds and vb is not None and s is not None and self._last_k == 1
                and s.data[n - 1, 5] <= self._vmax_drawn):
            (_x0, _x1), (y0, _y1) = vb.viewRange()
            last = s.data[n - 1]
            width = s.seconds * self._last_k
            start = float(last[0]) - width + s.seconds  # the drawn chunk that holds the last bar
            self.update(QtCore.QRectF(start - s.seconds, y0, width + 2 * s.seconds, float(last[2]) - y0))
            return
        self._painted_shape = (id(s), n)
        self.update()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        return self._bounds

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange: object = None) -> tuple[float, float] | None:  # noqa: N802,N803
        if self._bounds.isNull():
            return None
        b = self._bounds
        return (b.left(), b.right()) if ax == 0 else (b.top(), b.bottom())

    # --- what is visible -----------------------------------------------------------------
    def visible(self, x0: float, x1: float, pixels: float) -> tuple[np.ndarray, ...]:
        """(ts, width, open, high, low, close, volume) of the candles to draw between x0 and x1,
        merged `k` at a time when they would be narrower than MIN_PX_PER_CANDLE."""
        s = self.series
        if s is None or not len(s):
            empty = np.empty(0)
            return (empty,) * 7
        ts = s.column(0)
        i0 = max(0, int(np.searchsorted(ts, x0 - s.seconds, side="left")))
        i1 = int(np.searchsorted(ts, x1, side="right"))
        n = max(0, i1 - i0)
        k = max(1, math.ceil(n * MIN_PX_PER_CANDLE / max(pixels, 1.0)))
        if k > 1:
            k = 1 << (k - 1).bit_length()  # powers of two: zooming steps through few chunk sizes
            i0 -= i0 % k
        key = (id(s), s.version, i0, i1, k)
        if key == self._cache_key and self._cache is not None:
            return self._cache
        v = s.view[i0:i1]
        if k == 1 or not len(v):
            out = (v[:, 0], np.full(len(v), s.seconds * BODY_FRACTION), v[:, 1], v[:, 2], v[:, 3], v[:, 4], v[:, 5])
        else:
            starts = np.arange(0, len(v), k)
            ends = np.minimum(starts + k, len(v)) - 1
            t = v[starts, 0]
            width = (v[ends, 0] + s.seconds - t) * BODY_FRACTION
            out = (t, width, v[starts, 1], np.maximum.reduceat(v[:, 2], starts),
                   np.minimum.reduceat(v[:, 3], starts), v[ends, 4], np.add.reduceat(v[:, 5], starts))
        self._cache_key, self._cache = key, out
        return out

    # --- painting ------------------------------------------------------------------------
    def paint(self, p: QtGui.QPainter, *args: object) -> None:
        vb = self.getViewBox()
        if vb is None or self.series is None or not len(self.series):
            self.last_drawn = 0
            return
        (x0, x1), (y0, y1) = vb.viewRange()
        ts, width, o, h, lo, c, vol = self.visible(x0, x1, float(vb.width()))
        self.last_drawn = len(ts)
        self._last_k = int(self._cache_key[-1]) if self._cache_key else 1
        self._painted_shape = (id(self.series), len(self.series))
        if not len(ts):
            return
        # A flat candle (open == close) still shows as a one-pixel body.
        px_h = (y1 - y0) / max(float(vb.height()), 1.0)
        top = np.maximum(o, c)
        bottom = np.minimum(o, c)
        height = np.maximum(top - bottom, px_h)
        left = ts + width * (1 / BODY_FRACTION - 1) / 2  # centred in its bucket (or chunk of buckets)
        centre = left + width / 2
        vmax = float(vol.max()) if len(vol) else 0.0
        self._vmax_drawn = vmax
        vscale = (y1 - y0) * VOLUME_FRACTION / vmax if vmax > 0 else 0.0
        rising = c >= o
        for name, mask in (("up", rising), ("down", ~rising)):
            m = int(mask.sum())
            if not m:
                continue
            wick = self._wicks[name]
            wick.resize(m)
            w = wick.ndarray()
            w[:, 0] = centre[mask]
            w[:, 1] = lo[mask]
            w[:, 2] = centre[mask]
            w[:, 3] = h[mask]
            body = self._bodies[name]
            body.resize(m)
            b = body.ndarray()
            b[:, 0] = left[mask]
            b[:, 1] = bottom[mask]
            b[:, 2] = width[mask]
            b[:, 3] = height[mask]
            p.setPen(self._pens[name])
            p.drawLines(*wick.drawargs())
            # Bodies filled without an outline: half the rasterizing (the wick marks a thin body).
            p.setPen(QtCore.Qt.PenStyle.NoPen)
            p.setBrush(self._brushes[name])
            p.drawRects(*body.drawargs())
            if vscale:
                vbody = self._bodies["v" + name]
                vbody.resize(m)
                vb_ = vbody.ndarray()
                vb_[:, 0] = left[mask]
                vb_[:, 1] = y0
                vb_[:, 2] = width[mask]
                vb_[:, 3] = vol[mask] * vscale
                p.setPen(QtCore.Qt.PenStyle.NoPen)
                p.setBrush(self._vbrushes["v" + name])
                p.drawRects(*vbody.drawargs())
