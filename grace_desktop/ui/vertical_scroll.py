"""A scroll area that scrolls vertically only and stays as wide as its widget needs.

The ticket is tall, so on a short screen (1366x768) it scrolls instead of pushing the window
off-screen. It must never be cut at the right, where the horizontal scroll bar is off: its minimum
width changes with what it shows (a spot token's six-decimal prices are wider than paper's), so
the area follows every layout change of the widget rather than the width it had when built.
"""

from __future__ import annotations

from grace_desktop.ui.qt import QScrollArea, Qt, QtCore, QWidget


class VerticalScroll(QScrollArea):
    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.setObjectName(f"{widget.objectName()}Scroll")
        self.setWidget(widget)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        widget.installEventFilter(self)
        self._fit_width()

    def _fit_width(self) -> None:
        widget = self.widget()
        if widget is not None:
            need = widget.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
            if need != self.minimumWidth():
                self.setMinimumWidth(need)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.widget() and event.type() == QtCore.QEvent.Type.LayoutRequest:
            self._fit_width()
        return super().eventFilter(watched, event)
