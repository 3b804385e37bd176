"""The non-modal bar that asks before a dragged level is applied (never a dialog: a modal
exec() would run a nested event loop under the coroutines that apply changes)."""

from __future__ import annotations

from grace_desktop.ui.qt import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget, Signal
from grace_desktop.ui.widgets import set_role


class LevelConfirmBar(QFrame):
    confirmed = Signal(str, float)
    cancelled = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("levelConfirmBar")
        self.kind = ""
        self.price = 0.0
        self.label = QLabel("", self)
        self.label.setObjectName("levelChangeLabel")
        self.label.setWordWrap(True)
        self.apply_button = QPushButton("Apply", self)
        self.apply_button.setObjectName("applyLevelButton")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelLevelButton")
        self.apply_button.clicked.connect(self._apply)
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.apply_button)
        layout.addWidget(self.cancel_button)
        self.setVisible(False)

    def ask(self, kind: str, price: float, text: str, allowed: bool) -> None:
        self.kind, self.price = kind, price
        set_role(self.label, text, "note" if allowed else "error")
        self.apply_button.setVisible(allowed)
        self.apply_button.setEnabled(allowed)
        self.cancel_button.setText("Cancel" if allowed else "Dismiss")
        self.setVisible(True)

    def _apply(self) -> None:
        self.apply_button.setEnabled(False)
        set_role(self.label, self.label.text() + " — applying…", "note")
        self.confirmed.emit(self.kind, self.price)

    def _cancel(self) -> None:
        kind = self.kind
        self.dismiss()
        if kind:
            self.cancelled.emit(kind)

    def done(self, ok: bool, message: str) -> None:
        """The service's answer: kept on screen (with Dismiss) so a refusal is read, not missed."""
        set_role(self.label, message, "ok" if ok else "error")
        self.apply_button.setVisible(False)
        self.cancel_button.setText("Dismiss")
        self.kind = ""

    def dismiss(self) -> None:
        self.kind = ""
        self.setVisible(False)
