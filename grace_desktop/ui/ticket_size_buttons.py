"""The ticket's Safe, Max and Risk buttons: each writes a size into the size field, in the user's
locale and to the lot, or says in the result line why no size fits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from grace_desktop.domain.errors import DomainError
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui import ticket_preview as tp
from grace_desktop.ui.ticket_sizing import risk_size
from grace_desktop.ui.widgets import mark_invalid, set_role

if TYPE_CHECKING:
    from grace_desktop.ui.number_input import NumberReader
    from grace_desktop.ui.qt import QCheckBox, QComboBox, QLabel, QLineEdit


class SizeButtons:
    """Mixed into OrderTicket, which owns these widgets and the preview."""

    backend: tp.TicketBackend | None
    preview: tp.TicketPreview
    account_combo: QComboBox
    size_edit: QLineEdit
    risk_edit: QLineEdit
    result_label: QLabel
    exits: QCheckBox

    def inputs(self) -> tp.TicketInput: ...  # pragma: no cover - OrderTicket's
    def leverage(self) -> float: ...  # pragma: no cover - OrderTicket's
    def numbers(self) -> NumberReader: ...  # pragma: no cover - OrderTicket's

    def fill_safe_size(self) -> None:
        self._fill_size(tp.safe_size)

    def fill_max_size(self) -> None:
        def compute_max(backend: tp.TicketBackend, account: str, spec: object, price: float, lev: float) -> float:
            return tp.max_size(backend, self.inputs(), spec, price, lev)  # type: ignore[arg-type]

        self._fill_size(compute_max)

    def _fill_size(self, how: object) -> None:
        p = self.preview
        if self.backend is None or p.spec is None or p.price is None:
            set_role(self.result_label, "size: needs a market and a price first", "error")
            return
        try:
            value = how(self.backend, self.account_combo.currentText(), p.spec, p.price, self.leverage())  # type: ignore[operator]
        except DomainError as exc:
            set_role(self.result_label, str(exc), "error")
            return
        if value <= 0:
            set_role(self.result_label, "size: no size fits the free collateral and limits now", "error")
            return
        self.size_edit.setText(self.numbers().format(value, fmt.decimals_for(p.spec.lot_size)))

    def fill_risk_size(self) -> None:
        """Size from the risk % and the stop distance; says how it was sized and which cap bit."""
        if self.backend is None:
            return
        if not self.exits.isChecked():
            self.exits.setChecked(True)  # the stop it sizes from lives there
        try:
            sized = risk_size(self.backend, self.inputs(), self.preview, self.risk_edit.text())
        except DomainError as exc:
            mark_invalid(self.risk_edit, exc.field == "risk_percent")
            set_role(self.result_label, str(exc), "error")
            return
        mark_invalid(self.risk_edit, False)
        if sized.size <= 0:
            set_role(self.result_label, f"size: nothing fits — {sized.explanation}", "error")
            return
        self.size_edit.setText(self.numbers().format(sized.size, fmt.decimals_for(sized.lot_size)))
        set_role(self.result_label, sized.explanation, "note")

