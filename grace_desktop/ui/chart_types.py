"""Level lines' names, styles and values for the chart, free of pyqtgraph (importing the window
must not import the plotting library; the chart builds its plot after first paint if asked)."""

from __future__ import annotations

from dataclasses import dataclass

from grace_desktop.ui.qt import AMBER, BLUE, GREEN, RED, QtCore

Qt = QtCore.Qt
LEVEL_STYLE = {
    "entry": ("Entry", BLUE, Qt.PenStyle.SolidLine),
    "take_profit": ("TP", GREEN, Qt.PenStyle.DashLine),
    "stop_loss": ("SL", RED, Qt.PenStyle.DashLine),
    "trailing_stop": ("Trail", AMBER, Qt.PenStyle.DashLine),
    "liquidation": ("Liq.", "#f0883e", Qt.PenStyle.DotLine),
    "preview_liquidation": ("Ticket liq.", "#a371f7", Qt.PenStyle.DotLine),
}
DRAGGABLE = ("take_profit", "stop_loss", "trailing_stop")
# Where along the line (0 = left edge, 1 = right) each label sits; no two share a place.
LABEL_POSITION = {"entry": 0.02, "take_profit": 0.13, "stop_loss": 0.24, "trailing_stop": 0.35,
                  "liquidation": 0.46, "preview_liquidation": 0.57}
ORDER_COLOUR = "#a371f7"
ENTRY_COLOUR = "#39c5cf"


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


@dataclass(frozen=True, slots=True)
class MarkerLine:
    """A resting order (draggable: it is re-placed at the new price) or an armed entry condition."""

    key: str
    label: str
    price: float
    kind: str = "order"  # "order" | "entry"
