"""Horizontal level lines on the candle chart: a position's entry, TP, SL, trailing stop and
liquidation (the exits draggable), the ticket's would-be liquidation, resting orders and armed
entry conditions.

Labels sit at staggered places along their lines: when the view is zoomed out (liquidation
shown) entry, TP and SL are a few pixels apart and labels at one place covered each other.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg

from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.candles_labels import LevelLabels
from grace_desktop.ui.chart_types import (
    DRAGGABLE,
    ENTRY_COLOUR,
    LABEL_POSITION,
    LEVEL_STYLE,
    ORDER_COLOUR,
    ChartLevels,
    MarkerLine,
    Qt,
)
from grace_desktop.ui.qt import QObject, Signal


def _line(labels: LevelLabels, label: str, colour: str, style: Qt.PenStyle, position: float,
          movable: bool = False) -> pg.InfiniteLine:
    line = pg.InfiniteLine(angle=0, movable=movable, pen=pg.mkPen(colour, width=1.2, style=style),
                           hoverPen=pg.mkPen(colour, width=3))
    labels.add(line, label, colour, position)
    line.setVisible(False)
    return line


class LevelLines(QObject):
    """`moved(kind, price)` when the user releases a dragged exit line."""

    moved = Signal(str, float)

    def __init__(self, plot: pg.PlotWidget) -> None:
        super().__init__(plot)
        self.plot = plot
        self.tick_size = 0.01
        self.values = ChartLevels()
        self.pending: dict[str, float] = {}  # dragged, waiting for confirmation: keeps the line where dropped
        self.lines: dict[str, pg.InfiniteLine] = {}
        self.labels = LevelLabels()
        self.plot.addItem(self.labels, ignoreBounds=True)
        for name, (label, colour, style) in LEVEL_STYLE.items():
            line = _line(self.labels, label, colour, style, LABEL_POSITION[name], movable=name in DRAGGABLE)
            line.setZValue(10 if name in DRAGGABLE else 8)
            if name in DRAGGABLE:
                line.setToolTip("Drag to move; the change is applied once you confirm it")
                line.sigPositionChangeFinished.connect(lambda ln, n=name: self._released(n, ln))
                line.sigPositionChanged.connect(lambda ln, n=name: self._dragging(n, ln))
            self.plot.addItem(line, ignoreBounds=True)
            self.lines[name] = line
        self.markers: dict[str, pg.InfiniteLine] = {}
        self._marker_info: dict[str, MarkerLine] = {}

    def set_levels(self, levels: ChartLevels, tick_size: float) -> None:
        self.values = levels
        self.tick_size = tick_size
        for name, value in levels.items():
            line = self.lines[name]
            if value is None or value <= 0:
                line.setVisible(False)
                continue
            if name in self.pending or line.moving:
                continue  # the user's drag (or its confirmation) owns this line now
            line.setVisible(True)
            if line.value() != value:
                line.blockSignals(True)
                line.setValue(value)
                line.blockSignals(False)
            line.label.setFormat(f"{LEVEL_STYLE[name][0]} {fmt.price(value, tick_size)}")
        self.labels.update()

    def _dragging(self, name: str, line: pg.InfiniteLine) -> None:
        if line.moving:
            marker = self._marker_info.get(name)
            label = marker.label if marker is not None else LEVEL_STYLE[name][0]
            line.label.setFormat(f"{label} → {fmt.price(line.value(), self.tick_size)}")
            self.labels.update()

    def _released(self, name: str, line: pg.InfiniteLine) -> None:
        price = float(line.value())
        self.pending[name] = price
        self.moved.emit(name, price)

    def settle(self, name: str, keep: bool) -> None:
        """The dragged change was applied (keep) or dropped: the line shows the stored level again."""
        self.pending.pop(name, None)
        marker = self._marker_info.get(name)
        if marker is not None:
            if not keep and name in self.markers:
                line = self.markers[name]
                line.blockSignals(True)
                line.setValue(marker.price)
                line.blockSignals(False)
                line.label.setFormat(f"{marker.label} {fmt.price(marker.price, self.tick_size)}")
            return
        if not keep:
            value = getattr(self.values, name)
            if value:
                self.lines[name].blockSignals(True)
                self.lines[name].setValue(value)
                self.lines[name].blockSignals(False)
        self.set_levels(self.values, self.tick_size)

    def set_markers(self, markers: Sequence[MarkerLine]) -> None:
        """Resting orders and armed entry conditions of the chart's market."""
        wanted = {m.key: m for m in markers}
        for key in list(self.markers):
            if key not in wanted:
                line = self.markers.pop(key)
                self.labels.remove(line)
                self.plot.removeItem(line)
                self._marker_info.pop(key, None)
                self.pending.pop(key, None)
        for i, (key, marker) in enumerate(sorted(wanted.items())):
            line = self.markers.get(key)
            text = f"{marker.label} {fmt.price(marker.price, self.tick_size)}"
            self._marker_info[key] = marker
            if line is None:
                movable = marker.kind == "order"  # a resting order can be moved; an entry is re-armed in the ticket
                colour = ORDER_COLOUR if movable else ENTRY_COLOUR
                line = _line(self.labels, text, colour, Qt.PenStyle.DashDotLine, 0.68 + 0.1 * (i % 3), movable=movable)
                line.setZValue(9)
                if movable:
                    line.setToolTip("Drag to move the order; it is re-placed once you confirm")
                    line.sigPositionChangeFinished.connect(lambda ln, k=key: self._released(k, ln))
                    line.sigPositionChanged.connect(lambda ln, k=key: self._dragging(k, ln))
                self.plot.addItem(line, ignoreBounds=True)
                self.markers[key] = line
            if key in self.pending or line.moving:
                continue
            line.setVisible(True)
            line.blockSignals(True)
            line.setValue(marker.price)
            line.blockSignals(False)
            line.label.setFormat(text)
        self.labels.update()

    def in_view(self, fit_liquidation: bool) -> list[float]:
        """Prices the y-range keeps in view: entry and exits always, liquidation on request."""
        out = []
        for name, value in self.values.items():
            if value and value > 0 and name != "preview_liquidation" and (name != "liquidation" or fit_liquidation):
                out.append(self.pending.get(name, value))
        return out
