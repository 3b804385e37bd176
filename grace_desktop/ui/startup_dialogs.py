"""The dialogs the window shows when it cannot start: another instance has the data dir, or start-up failed.

They are opened with `open()`, never `exec()`: a nested Qt loop inside the start-up coroutine
would break qasync (QT_NOTES §2.2). `wait_finished` lets that coroutine await the close.
"""

from __future__ import annotations

import asyncio

from grace_desktop.storage.errors import InstanceLockedError
from grace_desktop.ui.qt import QtWidgets, QWidget, icon

QMessageBox = QtWidgets.QMessageBox

SECOND_INSTANCE = "secondInstanceDialog"
STARTUP_ERROR = "startupErrorDialog"


def show_startup_failure(exc: BaseException, line: str, parent: QWidget | None = None) -> QMessageBox:
    """Open (non-blocking) the dialog for a start-up failure; `line` is what stderr got."""
    box = QMessageBox(parent)
    box.setWindowTitle("Grace Desktop")
    box.setWindowIcon(icon("app"))
    detail = line.removeprefix("grace-desktop: ")
    if isinstance(exc, InstanceLockedError):
        box.setObjectName(SECOND_INSTANCE)
        box.setIcon(QMessageBox.Icon.Information)
        box.setText("Grace Desktop is already running for this data folder.")
        box.setInformativeText(
            f"{detail[:1].upper()}{detail[1:]}.\n\nSwitch to that window (or stop the headless monitor) "
            "to keep a single copy trading from this data."
        )
    else:
        box.setObjectName(STARTUP_ERROR)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setText("Grace Desktop could not start.")
        box.setInformativeText(detail)
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.open()
    return box


async def wait_finished(dialog: QtWidgets.QDialog) -> int:
    """Wait until the dialog is closed (any button, Esc or the title bar's X); its result code."""
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def finished(result: int) -> None:
        if not done.done():
            done.set_result(result)

    dialog.finished.connect(finished)
    if not dialog.isVisible():  # closed before we started waiting
        return dialog.result()
    return await done
