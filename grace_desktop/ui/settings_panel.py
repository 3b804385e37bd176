"""Settings: every AccountSettings field per account, plus venue connections (never a secret shown).

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
from grace_desktop.ui import venue_config as vc
from grace_desktop.ui.qt import (
    MUTED,
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSettings,
    QVBoxLayout,
    QWidget,
    Signal,
)
from grace_desktop.ui.tasks import TaskKeeper
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
    venue_config_saved = Signal(object)  # VenueConfig

    def __init__(self, tasks: TaskKeeper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsPanel")
        self.tasks = tasks
        self._loader: Loader | None = None
        self._saver: Saver | None = None
        self.confirm: Confirmer | None = None  # asks before settings that close positions at once
        self._qsettings: QSettings | None = None
        self.editors: dict[str, QCheckBox | QLineEdit] = {}
        self.venue_editors: dict[str, QLineEdit] = {}
        self._key_state_version = 0

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
        boxes.append(self._venue_section())
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

    def _venue_section(self) -> QGroupBox:
        box = QGroupBox("Venues", self)
        form = QFormLayout(box)
        # Long labels beside long URLs made this box wider than a 1366-px window; when narrow,
        # a field goes under its label instead.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        labels = {
            "mango_url": ("Mango V3 service URL", "http://localhost:3000"),
            "mango_key_file": ("Mango key file", "path to a Solana keypair JSON"),
            "spot_router_url": ("Spot router URL", "https://…"),
            "spot_rpc_url": ("Solana RPC URL", "https://…"),
            "spot_key_file": ("Spot wallet key file", "path to a Solana keypair JSON"),
            "spot_slippage_bps": ("Spot slippage (bps)", "50"),
        }
        for name, (label, hint) in labels.items():
            edit = QLineEdit(box)
            edit.setObjectName(f"venue_{name}")
            edit.setPlaceholderText(hint)
            edit.textEdited.connect(lambda _t, e=edit: mark_invalid(e, False))
            self.venue_editors[name] = edit
            if name.endswith("key_file"):
                browse = QPushButton("…", box)
                browse.setFixedWidth(30)
                browse.clicked.connect(lambda _c=False, e=edit: self._browse(e))
                row = QWidget(box)
                h = QHBoxLayout(row)
                h.setContentsMargins(0, 0, 0, 0)
                h.addWidget(edit, 1)
                h.addWidget(browse)
                form.addRow(label, row)
            else:
                form.addRow(label, edit)
        form.addRow(_note("Key files are read by the venue adapters on this machine; their contents are never shown or stored.", box))
        # The secret field is write-only: it starts empty every time and is cleared once stored.
        self.router_key_edit = QLineEdit(box)
        self.router_key_edit.setObjectName("routerApiKeyEdit")
        self.router_key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.router_key_edit.setPlaceholderText("paste to store in the system keyring")
        self.router_key_state = QLabel("", box)
        self.router_key_state.setObjectName("routerKeyState")
        self.router_key_state.setWordWrap(True)
        store_key = QPushButton("Store key", box)
        store_key.clicked.connect(self.store_router_key)
        forget_key = QPushButton("Forget", box)
        forget_key.clicked.connect(lambda: self.tasks.spawn(self._forget_key(), "forget router key"))
        # Buttons under the field, not beside it: side by side they squeezed the field to "p…"
        # and pushed "Forget" out of a 1366-px-wide window.
        buttons = QWidget(box)
        h = QHBoxLayout(buttons)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(store_key)
        h.addWidget(forget_key)
        h.addStretch(1)
        form.addRow("Router API key", self.router_key_edit)
        form.addRow("", buttons)
        form.addRow("", self.router_key_state)
        self.venue_status = QLabel("", box)
        self.venue_status.setObjectName("venueStatus")
        self.venue_status.setWordWrap(True)
        save = QPushButton("Save venue settings", box)
        save.setObjectName("saveVenueButton")
        save.clicked.connect(self.save_venue_config)
        form.addRow(save, self.venue_status)
        return box

    # --- account settings ---------------------------------------------------------------
    def bind(self, accounts: list[str], loader: Loader, saver: Saver, qsettings: QSettings | None = None) -> None:
        self._loader, self._saver = loader, saver
        self.account_combo.blockSignals(True)
        self.account_combo.clear()
        self.account_combo.addItems(accounts)
        self.account_combo.blockSignals(False)
        self.reload()
        if qsettings is not None:
            self._qsettings = qsettings
            self.show_venue_config(vc.VenueConfig.load(qsettings))
            self.tasks.spawn(self._refresh_key_state(), "probe keyring")

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
                editor.setText(f"{value:g}")
                mark_invalid(editor, False)

    def values(self) -> dict[str, Any]:
        return {
            name: editor.isChecked() if isinstance(editor, QCheckBox) else editor.text().strip()
            for name, editor in self.editors.items()
        }

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

    # --- venues -------------------------------------------------------------------------
    def show_venue_config(self, config: vc.VenueConfig) -> None:
        for name, edit in self.venue_editors.items():
            edit.setText(str(getattr(config, name)))
            mark_invalid(edit, False)

    def venue_values(self) -> dict[str, str]:
        return {name: edit.text() for name, edit in self.venue_editors.items()}

    def save_venue_config(self) -> vc.VenueConfig | None:
        for edit in self.venue_editors.values():
            mark_invalid(edit, False)
        try:
            config = vc.VenueConfig(**self.venue_values())  # type: ignore[arg-type]
        except DomainError as exc:
            if exc.field in self.venue_editors:
                mark_invalid(self.venue_editors[exc.field], True)
            set_role(self.venue_status, f"Not saved — {exc}", "error")
            return None
        if self._qsettings is not None:
            config.save(self._qsettings)
        set_role(self.venue_status, "Saved. Venue changes apply at the next start.", "ok")
        self.venue_config_saved.emit(config)
        return config

    def store_router_key(self) -> asyncio.Task[Any] | None:
        secret = self.router_key_edit.text()
        self.router_key_edit.clear()
        if not secret.strip():
            set_role(self.router_key_state, "Paste a key first.", "error")
            return None
        return self.tasks.spawn(self._store_key(secret.strip()), "store router key")

    async def _store_key(self, secret: str) -> None:
        self._key_state_version += 1
        try:
            await vc.store_router_key(secret)
        except Exception as exc:  # keyring backends raise many types; the key is never in the message
            set_role(self.router_key_state, f"Not stored: {exc}", "error")
            return
        set_role(self.router_key_state, "A key is stored in the system keyring.", "ok")

    async def _forget_key(self) -> None:
        await vc.forget_router_key()
        await self._refresh_key_state()

    async def _refresh_key_state(self) -> None:
        # A probe that started before a store/forget must not overwrite that newer outcome.
        self._key_state_version += 1
        version = self._key_state_version
        stored = await vc.router_key_is_stored()
        if version != self._key_state_version:
            return
        set_role(self.router_key_state, "A key is stored in the system keyring." if stored else "No key stored.",
                  "ok" if stored else "note")

    def _browse(self, edit: QLineEdit) -> None:
        # Non-modal: a modal exec() would nest a Qt loop under the asyncio loop.
        dialog = QFileDialog(self, "Choose a key file")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(edit.setText)
        dialog.open()

    def _set_status(self, text: str, role: str) -> None:
        set_role(self.status, text, role)


def _note(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {MUTED};")
    return label
