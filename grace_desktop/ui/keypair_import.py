"""The settings panel's wallet row: import the spot wallet's keypair once into the OS keyring.

A base58 string or a Solana CLI key file's list is pasted into a password field, or a key file is
chosen with "Import keypair…"; either is checked (services/spot_keys.py) and stored as base58 in the
"spot_keypair" keyring slot. The field is cleared at once and the row afterwards shows the wallet's
public key only. A refusal names the file or the fix, never the key.
"""

from __future__ import annotations

import asyncio
from typing import Any

from grace_desktop.services import secrets, spot_keys
from grace_desktop.ui.qt import QFileDialog, QLabel, QLineEdit, QPushButton, Qt, QVBoxLayout, QWidget
from grace_desktop.ui.tasks import TaskKeeper
from grace_desktop.ui.widgets import hrow, set_role


class KeypairImport(QWidget):
    def __init__(self, tasks: TaskKeeper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("keypairImport")
        self.tasks = tasks
        self.edit = QLineEdit(self)
        self.edit.setObjectName("keypairText")
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText("paste a base58 keypair, or choose the key file")
        self.import_button = QPushButton("Import", self)
        self.import_button.setObjectName("importKeypairText")
        self.import_button.clicked.connect(self.import_pasted)
        self.file_button = QPushButton("Import keypair…", self)
        self.file_button.setObjectName("importKeypairFile")
        self.file_button.clicked.connect(self.choose_file)
        self.forget_button = QPushButton("Forget", self)
        self.forget_button.setObjectName("forgetKeypair")
        self.forget_button.clicked.connect(self.forget)
        self.state = QLabel("", self)
        self.state.setObjectName("keypairState")
        self.state.setWordWrap(True)
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # the public key can be copied
        self.dialog: QFileDialog | None = None
        self._version = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # The key on its own row, the buttons under it: in one row they widened the Venues column
        # past a 1366-px screen's bottom dock.
        layout.addWidget(self.edit)
        layout.addWidget(hrow(self.import_button, self.file_button, self.forget_button))
        layout.addWidget(self.state)

    # --- actions ------------------------------------------------------------------------
    def import_pasted(self) -> asyncio.Task[Any] | None:
        text = self.edit.text().strip()
        self.edit.clear()  # never kept in the window, whatever happens next
        if not text:
            set_role(self.state, "Paste the keypair first, or use Import keypair… for a key file.", "error")
            return None
        return self.tasks.spawn(self._import(text), "import spot keypair")

    def import_file(self, path: str) -> asyncio.Task[Any] | None:
        return self.tasks.spawn(self._import(path), "import spot keypair file") if path else None

    def choose_file(self) -> None:
        # Non-modal: a modal exec() would nest a Qt loop under the asyncio loop.
        if self.dialog is not None:
            self.dialog.raise_()
            return
        dialog = QFileDialog(self, "Import a Solana keypair file")
        dialog.setObjectName("keypairFileDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["Solana key files (*.json)", "All files (*)"])
        dialog.fileSelected.connect(self.import_file)
        dialog.finished.connect(self._dialog_closed)
        self.dialog = dialog
        dialog.open()

    def _dialog_closed(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None

    def forget(self) -> asyncio.Task[Any] | None:
        return self.tasks.spawn(self._forget(), "forget spot keypair")

    def refresh(self) -> asyncio.Task[Any] | None:
        return self.tasks.spawn(self._refresh(), "probe spot keypair")

    # --- work -----------------------------------------------------------------------------
    async def _import(self, source: str) -> None:
        self._version += 1
        set_role(self.state, "Importing…", "note")
        try:
            pubkey = await spot_keys.import_keypair(source)
        except spot_keys.KeypairImportError as exc:
            set_role(self.state, f"Not imported: {exc}", "error")
            return
        set_role(self.state, f"Wallet {pubkey} — imported into the system keyring.", "ok")

    async def _forget(self) -> None:
        try:
            await secrets.forget_secret(spot_keys.KEYPAIR_SLOT)
        except secrets.SecretStoreError as exc:
            set_role(self.state, f"Not forgotten: {exc}", "error")
            return
        await self._refresh()

    async def _refresh(self) -> None:
        # A probe that started before an import must not overwrite that newer outcome.
        self._version += 1
        version = self._version
        try:
            pubkey = await spot_keys.stored_wallet()
        except spot_keys.KeypairImportError as exc:
            text, role = str(exc), "error"
        else:
            text, role = (f"Wallet {pubkey} (in the system keyring)", "ok") if pubkey else \
                ("No keypair imported.", "note")
        if version == self._version:
            set_role(self.state, text, role)

