"""The ticket's optional exits and entry condition: a checkable group that folds when unchecked."""

from __future__ import annotations

from grace_desktop.ui.qt import QFormLayout, QGroupBox, QLineEdit, QVBoxLayout, QWidget
from grace_desktop.ui.widgets import hrow


class ExitsBox(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Exits and entry condition (optional)", parent)
        self.setObjectName("conditionsBox")
        self.setCheckable(True)
        self.setChecked(False)
        # Unchecked, the group folds to its title so the submit button stays on short screens.
        self.fields = QWidget(self)
        QVBoxLayout(self).addWidget(self.fields)
        form = QFormLayout(self.fields)
        form.setContentsMargins(0, 0, 0, 0)
        self.tp_edit = self._edit("takeProfitEdit", "price")
        self.tp_pct_edit = self._edit("takeProfitPctEdit", "%")
        self.sl_edit = self._edit("stopLossEdit", "price")
        self.sl_pct_edit = self._edit("stopLossPctEdit", "%")
        self.trailing_edit = self._edit("trailingEdit", "% from the best price")
        self.entry_below_edit = self._edit("entryBelowEdit", "when ≤ price")
        self.entry_above_edit = self._edit("entryAboveEdit", "when ≥ price")
        self.entry_below_edit.setToolTip("Rest the order until the price falls to this level")
        self.entry_above_edit.setToolTip("Rest the order until the price rises to this level")
        form.addRow("Take profit", hrow(self.tp_edit, self.tp_pct_edit))
        form.addRow("Stop loss", hrow(self.sl_edit, self.sl_pct_edit))
        form.addRow("Trailing stop", self.trailing_edit)
        form.addRow("Entry", hrow(self.entry_below_edit, self.entry_above_edit))
        self.toggled.connect(self._fold)
        self._fold(False)

    def edits(self) -> list[QLineEdit]:
        return [self.tp_edit, self.tp_pct_edit, self.sl_edit, self.sl_pct_edit, self.trailing_edit,
                self.entry_below_edit, self.entry_above_edit]

    def _edit(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        return edit

    def _fold(self, open_: bool) -> None:
        self.fields.setVisible(open_)
        self.setProperty("folded", not open_)
        self.style().unpolish(self)  # re-apply the stylesheet for the new property
        self.style().polish(self)
