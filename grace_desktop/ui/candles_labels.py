"""The level lines' labels, painted by one item in screen pixels.

pyqtgraph's own line labels are items of their own that re-compute their place on every pan,
zoom and y-range change (about 0.5 ms each, per step — a third of a pan frame with four lines,
bench_chart). Here each line carries a plain `LineLabel` (text, colour, where along the line)
and one overlay paints them all from the lines' current values: nothing is done per view
change, a few drawText calls per paint.
"""

from __future__ import annotations

import pyqtgraph as pg

from grace_desktop.ui.qt import PANEL, QtCore, QtGui

PAD_X, PAD_Y = 3, 1


class LineLabel:
    """What InfiniteLine's label offered the chart: `format` (the text) and `setFormat`."""

    __slots__ = ("format", "colour", "position", "overlay")

    def __init__(self, text: str, colour: str, position: float, overlay: LevelLabels) -> None:
        self.format = text
        self.colour = QtGui.QColor(colour)
        self.position = position  # 0 = the view's left edge, 1 = its right edge
        self.overlay = overlay

    def setFormat(self, text: str) -> None:  # noqa: N802 (the name InfiniteLine's label had)
        if text != self.format:
            self.format = text
            self.overlay.update()


class LevelLabels(pg.GraphicsObject):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[pg.InfiniteLine] = []
        self._fill = QtGui.QColor(PANEL)
        self.setZValue(20)
        self.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)  # the lines under it take the drags
        self.rects: dict[str, QtCore.QRectF] = {}  # label text -> where it was painted (device px; tests)
        self._rect = QtCore.QRectF()

    def add(self, line: pg.InfiniteLine, text: str, colour: str, position: float) -> LineLabel:
        label = LineLabel(text, colour, position, self)
        line.label = label
        self.lines.append(line)
        return label

    def remove(self, line: pg.InfiniteLine) -> None:
        if line in self.lines:
            self.lines.remove(line)
            self.update()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802
        # Cached, and changed only after prepareGeometryChange(): a bounding rect that moves
        # behind the scene's back corrupts its item index (a crash, later, in C++).
        return self._rect

    def viewTransformChanged(self) -> None:  # noqa: N802
        """The view moved or was resized: the labels cover it, wherever it now is."""
        vb = self.getViewBox()
        rect = QtCore.QRectF() if vb is None else self.mapRectFromScene(vb.sceneBoundingRect())
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect

    def paint(self, p: QtGui.QPainter, *args: object) -> None:
        vb = self.getViewBox()
        if vb is None:
            return
        to_device = p.transform()
        area = to_device.mapRect(self.boundingRect())
        p.save()
        p.resetTransform()
        metrics = p.fontMetrics()
        self.rects = {}
        for line in self.lines:
            label = getattr(line, "label", None)
            if not isinstance(label, LineLabel) or not line.isVisible() or not label.format:
                continue
            y = to_device.map(QtCore.QPointF(0.0, float(line.value()))).y()
            if not area.top() <= y <= area.bottom():
                continue
            width = metrics.horizontalAdvance(label.format) + 2 * PAD_X
            height = metrics.height() + 2 * PAD_Y
            x = area.left() + 4 + (area.width() - width - 8) * label.position
            rect = QtCore.QRectF(x, y - height, width, height)
            p.fillRect(rect, self._fill)
            p.setPen(label.colour)
            p.drawText(rect, int(QtCore.Qt.AlignmentFlag.AlignCenter), label.format)
            self.rects[label.format] = rect
        p.restore()
