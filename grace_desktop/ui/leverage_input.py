"""The ticket's leverage: a slider over what is allowed and a box that takes what is typed.

The box is deliberately wider than the slider: typing 20 where 10 is allowed keeps 20 (and the
ticket refuses it with the reason, or the policy clamps it and says so). A QDoubleSpinBox whose
range is the allowed one silently turns "20" into 2.0 and "500" into 5.0 (QA finding 8).
"""

from __future__ import annotations

from grace_desktop.ui.qt import QDoubleSpinBox, QHBoxLayout, QSlider, Qt, QWidget, Signal

# The slider moves in tenths of a leverage unit; QSlider only holds integers.
LEVERAGE_SCALE = 10
# The box takes any value up to this; above the allowed maximum the ticket says why it is refused.
LEVERAGE_TYPING_MAX = 1000.0


class LeverageInput(QWidget):
    changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._syncing = False
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("leverageSlider")
        self.slider.setRange(LEVERAGE_SCALE, LEVERAGE_SCALE)
        self.slider.setSingleStep(LEVERAGE_SCALE)
        self.slider.setPageStep(5 * LEVERAGE_SCALE)
        self.spin = QDoubleSpinBox(self)
        self.spin.setObjectName("leverageSpin")
        self.spin.setDecimals(1)
        self.spin.setSingleStep(0.5)
        self.spin.setRange(1.0, LEVERAGE_TYPING_MAX)
        self.spin.setSuffix("x")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin, 0)
        self.slider.valueChanged.connect(self._on_slider)
        self.spin.valueChanged.connect(self._on_spin)

    def value(self) -> float:
        return round(self.spin.value(), 1)

    def set_value(self, value: float) -> None:
        self.spin.setValue(value)

    def allowed(self) -> float:
        return self.slider.maximum() / LEVERAGE_SCALE

    def set_allowed(self, allowed: float) -> None:
        """The slider spans [1, allowed]; the box keeps whatever was typed, so the ticket can refuse it."""
        top = max(1.0, allowed)
        self._syncing = True
        try:
            self.slider.setRange(LEVERAGE_SCALE, round(top * LEVERAGE_SCALE))
            self.slider.setValue(round(min(self.spin.value(), top) * LEVERAGE_SCALE))
        finally:
            self._syncing = False

    def set_usable(self, usable: bool) -> None:
        self.slider.setEnabled(usable)
        self.spin.setEnabled(usable)

    def mark_invalid(self, invalid: bool) -> None:
        if bool(self.spin.property("invalid")) != invalid:
            self.spin.setProperty("invalid", invalid)
            self.spin.style().unpolish(self.spin)
            self.spin.style().polish(self.spin)

    def _on_slider(self, value: int) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.spin.setValue(value / LEVERAGE_SCALE)
        finally:
            self._syncing = False
        self.changed.emit(self.value())

    def _on_spin(self, value: float) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.slider.setValue(round(value * LEVERAGE_SCALE))
        finally:
            self._syncing = False
        self.changed.emit(self.value())
