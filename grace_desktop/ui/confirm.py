"""One non-modal confirmation box (a modal exec() would nest a Qt loop under the asyncio loop)."""

from __future__ import annotations

from collections.abc import Callable

from grace_desktop.ui.qt import QtWidgets, QWidget

QMessageBox = QtWidgets.QMessageBox


def ask(parent: QWidget, name: str, title: str, text: str, on_yes: Callable[[], object], *,
        details: list[str] | None = None, yes_label: str = "Yes") -> QtWidgets.QMessageBox:
    """Show `text` (and `details`, one per line) with Yes / Cancel; `on_yes` runs only on Yes.

    The box is returned (and kept on the parent under `name`) so tests can press its buttons.
    """
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Cancel, parent)
    box.setObjectName(name)
    yes = box.addButton(yes_label, QMessageBox.ButtonRole.AcceptRole)
    yes.setObjectName(f"{name}Yes")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)  # Enter must not close positions by accident
    if details:
        box.setInformativeText("\n".join(details))
    box.buttonClicked.connect(lambda button: on_yes() if button is yes else None)
    box.finished.connect(box.deleteLater)
    setattr(parent, f"_{name}", box)  # a strong reference until it closes
    box.open()
    return box


def parse_number(text: str, field: str = "value") -> float | None:
    """A number as the user's locale writes it (ui.number_input: what is ambiguous there is
    refused, never guessed); None when empty. Raises DomainError (a ValueError) naming `field`."""
    from grace_desktop.ui.number_input import NumberReader

    return NumberReader().parse(field, text)
