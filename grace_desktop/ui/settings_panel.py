"""Settings: every AccountSettings field per account, plus venue connections (venue_settings_box.py).

A value is checked by building the domain object; a refusal shows the DomainError message
next to the field and nothing is saved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import fields
from typing import Any

from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.settings import AccountSettings
from grace_desktop.ui.number_input import NumberReader
from grace_desktop.ui.qt import (
    MUTED,
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    Signal,
)
from grace_desktop.ui.tasks import TaskKeeper
from grace_desktop.ui.venue_settings_box import VenueLoader, VenueSaver, VenueSettingsBox
from grace_desktop.ui.widgets import combo, mark_invalid, set_role

# Sections and labels for the known fields; a field added to AccountSettings later still
# appears (under "Other") with a label made from its name.
SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Auto-trading", (
        ("auto_trading_enabled", "Auto-trading enabled"),
        ("take_profit_enabled", "Take profit"), ("take_profit_percentage", "Take profit %"),
        ("stop_loss_enabled", "Stop loss"), ("stop_loss_percentage", "Stop loss %"),
        ("trailing_stop_enabled", "Trailing stop"), ("trailing_stop_percentage", "Trailing stop %"),
    )),
    ("Leverage limits", (
        ("default_leverage", "Default leverage (x)"), ("max_leverage", "Max leverage (x)"),
        ("max_account_leverage", "Max account leverage (x)"),
        ("clamp_leverage", "Clamp to the limit (else refuse)"),
    )),
    ("Volatility caps", (
        ("vol_threshold_1", "Threshold 1"), ("vol_cap_1", "Cap 1 (x)"),
        ("vol_threshold_2", "Threshold 2"), ("vol_cap_2", "Cap 2 (x)"),
        ("vol_threshold_3", "Threshold 3"), ("vol_cap_3", "Cap 3 (x)"),
    )),
    ("Liquidation guard", (
        ("liquidation_guard_enabled", "Liquidation guard"),
        ("liquidation_guard_buffer_pct", "Act within % of liquidation"),
        ("liquidation_guard_reduce_fraction", "Reduce by (fraction)"),
    )),
    ("Routing", (("allow_paper_fallback", "Paper fallback if a venue is down"),)),
)

# A group box title sets its minimum width; long explanations go under the title, wrapped.
NOTES = {
    "Volatility caps": "When daily volatility (a fraction: 0.05 = 5 %) passes a threshold, "
                       "leverage is capped at that cap.",
}

Loader = Callable[[str], AccountSettings]
Saver = Callable[[str, AccountSettings], Awaitable[None]]
# (account, settings, save) -> True to save now; False when it asked the user first (then `save` runs on yes).
Confirmer = Callable[[str, AccountSettings, Callable[[], object]], bool]


class SettingsPanel(QWidget):
    settings_saved = Signal(str, object)  # account, AccountSettings

    def __init__(self, tasks: TaskKeeper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsPanel")
        self.tasks = tasks
        self._loader: Loader | None = None
        self._saver: Saver | None = None
        self.confirm: Confirmer | None = None  # asks before settings that close positions at once
        self.editors: dict[str, QCheckBox | QLineEdit] = {}
        self.venues = VenueSettingsBox(tasks, self)

        self.account_combo = combo(self, "settingsAccountCombo")
        self.account_combo.currentTextChanged.connect(self.reload)
        self.status = QLabel("", self)
        self.status.setObjectName("settingsStatus")
        self.status.setWordWrap(True)
        self.save_button = QPushButton("Save account settings", self)
        self.save_button.setObjectName("saveSettingsButton")
        self.save_button.clicked.connect(self.save)
        revert = QPushButton("Revert", self)
        revert.clicked.connect(self.reload)

        top = QHBoxLayout()
        top.setContentsMargins(6, 6, 6, 0)
        top.addWidget(QLabel("Account", self))
        top.addWidget(self.account_combo)
        top.addWidget(self.save_button)
        top.addWidget(revert)
        top.addWidget(self.status, 1)

        # Sections side by side: a wide bottom dock shows everything without scrolling.
        body = QWidget()
        grid = QGridLayout(body)
        known = set()
        boxes = []
        for title, entries in SECTIONS:
            known.update(name for name, _ in entries)
            boxes.append(self._section(title, entries))
        other = tuple((f.name, f.name.replace("_", " ").capitalize()) for f in fields(AccountSettings) if f.name not in known)
        if other:
            boxes.append(self._section("Other", other))
        boxes.append(self.venues)
        venues = len(boxes) - 1
        columns = ((0, 4), (1, 2), (3, venues)) if not other else ((0, 4, 5), (1, 2), (3, venues))
        for col, indexes in enumerate(columns):
            column = QVBoxLayout()
            for i in indexes:
                column.addWidget(boxes[i])
            column.addStretch(1)
            grid.addLayout(column, 0, col)
            # Venue URLs and paths are long; the columns of short numbers need little room.
            grid.setColumnStretch(col, 2 if col == len(columns) - 1 else 1)

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)

    # --- construction -------------------------------------------------------------------
    def _section(self, title: str, entries: tuple[tuple[str, str], ...]) -> QGroupBox:
        box = QGroupBox(title, self)
        form = QFormLayout(box)
        if title in NOTES:
            form.addRow(_note(NOTES[title], box))
        types = {f.name: f.type for f in fields(AccountSettings)}
        for name, label in entries:
            if types[name] in ("bool", bool):
                editor: QCheckBox | QLineEdit = QCheckBox(label, box)
                form.addRow(editor)  # spans both columns: no empty label column widening the box
            else:
                editor = QLineEdit(box)
                editor.setMaximumWidth(100)
                editor.textEdited.connect(lambda _t, e=editor: mark_invalid(e, False))
                form.addRow(label, editor)
            editor.setObjectName(f"setting_{name}")
            self.editors[name] = editor
        return box

    # --- account settings ---------------------------------------------------------------
    def bind(self, accounts: list[str], loader: Loader, saver: Saver, venue_loader: VenueLoader | None = None,
             venue_saver: VenueSaver | None = None) -> None:
        self._loader, self._saver = loader, saver
        self.account_combo.blockSignals(True)
        self.account_combo.clear()
        self.account_combo.addItems(accounts)
        self.account_combo.blockSignals(False)
        self.reload()
        if venue_loader is not None and venue_saver is not None:
            self.venues.bind(venue_loader, venue_saver)

    def account(self) -> str:
        return self.account_combo.currentText()

    def reload(self, *_: object) -> None:
        if self._loader is None or not self.account():
            return
        self.show_settings(self._loader(self.account()))
        self._set_status("", "note")

    def show_settings(self, settings: AccountSettings) -> None:
        if self.status.property("role") == "error":
            # The fields now show stored values (e.g. auto-trading toggled from the menu), so
            # an old "Not saved — …" would describe a value that is no longer on screen.
            self._set_status("", "note")
        for name, editor in self.editors.items():
            value = getattr(settings, name)
            if isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            else:
                editor.setText(self.locale().toString(float(value), "g", 12))
                mark_invalid(editor, False)

    def values(self) -> dict[str, Any]:
        """The fields as typed; numbers read in the user's locale ("0,5" is a half where the comma
        is the decimal mark; what is ambiguous there raises DomainError naming the field)."""
        reader = NumberReader(self.locale())
        out: dict[str, Any] = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QCheckBox):
                out[name] = editor.isChecked()
            else:
                number = reader.parse(name, editor.text())
                out[name] = editor.text().strip() if number is None else number
        return out

    def validate(self) -> AccountSettings | None:
        """The settings as typed, or None with the domain's refusal shown at the field."""
        for editor in self.editors.values():
            if isinstance(editor, QLineEdit):
                mark_invalid(editor, False)
        try:
            return AccountSettings.from_dict(self.values())
        except DomainError as exc:
            editor = self.editors.get(exc.field)
            if isinstance(editor, QLineEdit):
                mark_invalid(editor, True)
                editor.setFocus()
            self._set_status(f"Not saved — {exc}", "error")
            return None

    def save(self) -> asyncio.Task[Any] | None:
        settings = self.validate()
        if settings is None or self._saver is None:
            return None
        account = self.account()
        if self.confirm is not None and not self.confirm(
                account, settings, lambda: self.tasks.spawn(self._save(account, settings), "save settings")):
            self._set_status("Not saved yet: these settings would close positions at once — confirm or cancel.",
                             "note")
            return None
        return self.tasks.spawn(self._save(account, settings), "save settings")

    async def _save(self, account: str, settings: AccountSettings) -> None:
        assert self._saver is not None
        self.save_button.setEnabled(False)
        try:
            await self._saver(account, settings)
        except DomainError as exc:  # e.g. a limit above what the venue's markets allow
            editor = self.editors.get(exc.field)
            if isinstance(editor, QLineEdit):
                mark_invalid(editor, True)
            self._set_status(f"Not saved — {exc}", "error")
            return
        finally:
            self.save_button.setEnabled(True)
        self._set_status(f"Saved settings for {account}.", "ok")
        self.settings_saved.emit(account, settings)

    def _set_status(self, text: str, role: str) -> None:
        set_role(self.status, text, role)


def _note(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {MUTED};")
    return label
