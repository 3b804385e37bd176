"""Edit a position's exits in place: take-profit, stop-loss and trailing-stop %, set or removed."""

from __future__ import annotations

from grace_desktop.ui.confirm import parse_number
from grace_desktop.ui.qt import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget, Signal
from grace_desktop.ui.widgets import mark_invalid, set_role


class PositionExitsEditor(QWidget):
    """Emits `apply_requested(dict)` with take_profit, stop_loss, trailing_percent (None = none) and alert_only."""

    apply_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("positionExitsEditor")
        self.title = QLabel("Exits of —", self)
        self.tp_edit = self._edit("positionTpEdit", "TP price")
        self.sl_edit = self._edit("positionSlEdit", "SL price")
        self.trail_edit = self._edit("positionTrailEdit", "Trail %")
        self.alert_only = QCheckBox("Alert only", self)
        self.alert_only.setObjectName("positionAlertOnlyCheck")
        self.alert_only.setToolTip("Only alert when a level is reached; never send an order")
        self.apply_button = QPushButton("Set exits", self)
        self.apply_button.setObjectName("setExitsButton")
        self.apply_button.setToolTip("Replace this position's TP / SL / trailing stop (empty removes it)")
        self.apply_button.clicked.connect(self.apply)
        self.status = QLabel("", self)
        self.status.setObjectName("positionExitsStatus")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.title)
        for w in (self.tp_edit, self.sl_edit, self.trail_edit):
            row.addWidget(w)
        row.addWidget(self.alert_only)
        row.addWidget(self.apply_button)
        row.addWidget(self.status, 1)
        self.setEnabled(False)

    def _edit(self, name: str, hint: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setPlaceholderText(hint)
        edit.setMaximumWidth(110)
        edit.textEdited.connect(lambda _t, e=edit: mark_invalid(e, False))
        return edit

    def show_position(self, label: str, take_profit: float | None, stop_loss: float | None,
                      trailing_percent: float | None, alert_only: bool = False) -> None:
        self.setEnabled(bool(label))
        self.title.setText(f"Exits of {label or '—'}")
        for edit, value in ((self.tp_edit, take_profit), (self.sl_edit, stop_loss), (self.trail_edit, trailing_percent)):
            edit.setText("" if value is None else f"{value:.10g}")
            mark_invalid(edit, False)
        self.alert_only.setChecked(alert_only)
        set_role(self.status, "", "note")

    def values(self) -> dict[str, object] | None:
        out: dict[str, object] = {"alert_only": self.alert_only.isChecked()}
        for key, edit, what in (("take_profit", self.tp_edit, "take-profit"), ("stop_loss", self.sl_edit, "stop-loss"),
                                ("trailing_percent", self.trail_edit, "trailing %")):
            try:
                value = parse_number(edit.text(), what)
            except ValueError as exc:
                mark_invalid(edit, True)
                set_role(self.status, str(exc), "error")
                return None
            if value is not None and value <= 0:
                mark_invalid(edit, True)
                set_role(self.status, f"{what}: must be more than 0, got {value:g}", "error")
                return None
            out[key] = value
        return out

    def apply(self) -> bool:
        values = self.values()
        if values is None:
            return False
        set_role(self.status, "setting…", "note")
        self.apply_requested.emit(values)
        return True

    def show_result(self, text: str, ok: bool) -> None:
        set_role(self.status, text, "ok" if ok else "error")
