"""The ticket's optional exits and entry condition: a checkable group that folds when unchecked."""

from __future__ import annotations

from grace_desktop.ui.qt import QCheckBox, QFormLayout, QGroupBox, QLineEdit, QVBoxLayout, QWidget
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
        # An attached exit executes (closes the position) whatever the auto-trading switch; only
        # alerting instead is the user's explicit choice, per exit.
        self.tp_alert_check = self._alert_check("tpAlertOnlyCheck", "TP")
        self.sl_alert_check = self._alert_check("slAlertOnlyCheck", "SL")
        self.trailing_alert_check = self._alert_check("trailingAlertOnlyCheck", "trailing")
        form.addRow("Take profit", hrow(self.tp_edit, self.tp_pct_edit))
        form.addRow("Stop loss", hrow(self.sl_edit, self.sl_pct_edit))
        form.addRow("Trailing stop", self.trailing_edit)
        form.addRow("Alert only", hrow(self.tp_alert_check, self.sl_alert_check, self.trailing_alert_check))
        form.addRow("Entry", hrow(self.entry_below_edit, self.entry_above_edit))
        self.toggled.connect(self._fold)
        self._fold(False)

    def edits(self) -> list[QLineEdit]:
        return [self.tp_edit, self.tp_pct_edit, self.sl_edit, self.sl_pct_edit, self.trailing_edit,
                self.entry_below_edit, self.entry_above_edit]

    def alert_only(self) -> frozenset[str]:
        """The exits the user asked only to be alerted about (TradeConditions.alert_only)."""
        checks = (("take_profit", self.tp_alert_check), ("stop_loss", self.sl_alert_check),
                  ("trailing_stop", self.trailing_alert_check))
        return frozenset(kind for kind, check in checks if check.isChecked())

    def checks(self) -> list[QCheckBox]:
        return [self.tp_alert_check, self.sl_alert_check, self.trailing_alert_check]

    def _alert_check(self, name: str, text: str) -> QCheckBox:
        check = QCheckBox(text, self)
        check.setObjectName(name)
        check.setToolTip("Checked: only alert when the price reaches this exit. Unchecked (default): the exit "
                         "closes the position, whatever the auto-trading switch")
        return check

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
