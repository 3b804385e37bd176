"""The "while you were away" summary, shown once at start-up in a non-modal window (`awayReport`).

Non-modal on purpose: the user may want to act on a position at once (a liquidation or a lost
stop is listed first), and a modal dialog would block the window and the event loop's repaints
of everything behind it. It closes itself with its button; the same text stays in the Alerts.
"""

from __future__ import annotations

from typing import Any

from grace_desktop.services.away_report import TITLE, AwayReport
from grace_desktop.ui.qt import AMBER, MUTED, QLabel, QPushButton, Qt, QtCore, QtWidgets, QVBoxLayout, QWidget

SERIOUS = ("Liquidated:", "Lost:")


class AwayReportDialog(QtWidgets.QDialog):
    def __init__(self, report: AwayReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("awayReport")
        self.setWindowTitle(TITLE)
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.report = report
        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        first, *_ = report.text().split("\n", 1)
        heading = QLabel(f"<b>{TITLE}</b> <span style='color:{MUTED}'>— {first}</span>")
        heading.setObjectName("awayReportHeading")
        layout.addWidget(heading)
        self.line_labels: list[QLabel] = []
        for line in report.lines() or ["Nothing changed."]:
            label = QLabel(line)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            if line.startswith(SERIOUS):
                label.setStyleSheet(f"color: {AMBER}; font-weight: 600")
            layout.addWidget(label)
            self.line_labels.append(label)
        note = QLabel("The same summary is kept in the Alerts panel.")
        note.setStyleSheet(f"color: {MUTED}")
        layout.addWidget(note)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setObjectName("awayReportDismiss")
        self.dismiss_button.clicked.connect(self.close)
        layout.addWidget(self.dismiss_button, alignment=Qt.AlignmentFlag.AlignRight)
        self.setMinimumWidth(460)

    def lines(self) -> list[str]:
        return [label.text() for label in self.line_labels]


def show_away_report(window: Any, report: AwayReport | None) -> AwayReportDialog | None:
    """Once per start-up: the summary in the window (non-modal) and as one tray notification.

    Nothing to show on a first run or when nothing changed (the alert is not raised then either).
    """
    if report is None or report.empty:
        return None
    dialog = AwayReportDialog(report, window)
    level = "warning" if report.liquidations or report.lost else "info"
    tray = getattr(window, "tray", None)
    if tray is not None:
        tray.notify_away(TITLE, "\n".join(report.lines()[:4]), level)
    if window.isVisible():
        dialog.show()
    else:  # started hidden (tests, --gui-smoke before the first paint): shown with the window
        window.installEventFilter(_ShowWith(dialog, window))
    return dialog


class _ShowWith(QtCore.QObject):
    """Shows `dialog` the first time `window` is shown, then removes itself."""

    def __init__(self, dialog: AwayReportDialog, window: Any) -> None:
        super().__init__(window)
        self.dialog = dialog

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QtCore.QEvent.Type.Show:
            watched.removeEventFilter(self)
            self.dialog.show()
        return False
