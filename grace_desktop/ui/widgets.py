"""Small widget helpers shared by the panels (stylesheet roles, validity marks, rows)."""

from __future__ import annotations

from grace_desktop.ui.qt import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget


def set_role(label: QLabel, text: str, role: str) -> None:
    """Show `text` styled by the stylesheet's QLabel[role=...] rule (error / ok / note / value).

    Re-polishes only when the role changes: polishing costs far more than setting text, and
    the ticket updates its labels on every coalesced price flush.
    """
    if label.property("role") != role:
        label.setProperty("role", role)
        label.style().unpolish(label)
        label.style().polish(label)
    if label.text() != text:
        label.setText(text)


def mark_invalid(editor: QLineEdit, invalid: bool) -> None:
    """Red border (QLineEdit[invalid="true"]) on the field a DomainError named."""
    if bool(editor.property("invalid")) == invalid:
        return
    editor.setProperty("invalid", invalid)
    editor.style().unpolish(editor)
    editor.style().polish(editor)


def hrow(*widgets: QWidget, stretch_first: bool = False) -> QWidget:
    """Widgets side by side; all share the width, or the first takes what is left."""
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    for i, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if (stretch_first and i == 0) or not stretch_first else 0)
    return box


def combo(parent: QWidget, name: str) -> QComboBox:
    """A combo box that re-fits its items whenever they change.

    The default policy measures the items once, at first show; our combos are filled after
    the window is up (services start asynchronously), so they stayed sized for an empty list
    and clipped "BTC-PERP" to "BTC-PERI".
    """
    box = QComboBox(parent)
    box.setObjectName(name)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return box
