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


def parse_number(text: str) -> float | None:
    """A number as the user's locale writes it (then as plain C notation); None when empty.

    Raises ValueError naming what was typed when it is not a number in either.
    """
    from grace_desktop.ui.qt import QtCore

    text = text.strip()
    if not text:
        return None
    value, ok = QtCore.QLocale().toDouble(text)
    if not ok and "," not in text:  # a comma is never guessed at: in C notation it has no meaning
        value, ok = QtCore.QLocale.c().toDouble(text)
    if not ok:
        raise ValueError(f"not a number: {text!r}")
    return float(value)
