"""The Settings panel's venue part: Mango account, spot router, price feed, and write-only secret fields.

Values are checked by building the domain's VenueSettings (a refusal is shown at its field),
then saved to the database through the services, which connect, replace or remove the Mango
venue at once. A plain-http Mango URL to another machine is saved only after the user confirms
it in a window-modal box opened with open() (never exec(): no nested Qt loop under asyncio).
Secrets go to their own keyring slots and are never read back into a widget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.venue_settings import FEEDS, SPOT_ROUTERS, VenueSettings
from grace_desktop.services import secrets
from grace_desktop.ui.keypair_import import KeypairImport
from grace_desktop.ui.qt import (
    MUTED,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QtWidgets,
    QVBoxLayout,
    QWidget,
    Signal,
)
from grace_desktop.ui.tasks import TaskKeeper
from grace_desktop.ui.widgets import mark_invalid, set_role

QMessageBox = QtWidgets.QMessageBox
VenueLoader = Callable[[], VenueSettings]
VenueSaver = Callable[[VenueSettings], Awaitable[str]]

MANGO_FIELDS = (
    ("mango_enabled", "Use this Mango account", ""),
    ("mango_url", "Service base URL", "http://localhost:3000/api"),
    ("mango_key_file", "Key file (optional)", "path to a key file the service needs"),
    ("mango_poll_seconds", "Poll every (s)", "1.0"),
)
SPOT_FIELDS = (
    ("spot_router", "Router", ""),
    ("spot_router_url", "Router root URL", "https://api.jup.ag"),
    ("spot_rpc_url", "Solana RPC URL", "https://…"),
    ("spot_keypair_file", "Key file used in place", "optional: a Solana key file only you can read"),
    ("spot_slippage_bps", "Slippage (bps)", "50"),
    ("spot_tokens", "Tokens", "SOL, USDC, …"),
    ("spot_allow_fallback", "Fall back to the other router",
     "Swap through the other router (Jupiter ↔ GMGN) when this one fails"),
)
FEED_FIELDS = (
    ("feed", "Paper venue prices", ""),
    ("feed_url", "Live feed URL", "https://api.hyperliquid.xyz/info"),
)
SECRET_ROWS = (("jupiter_api_key", "Jupiter API key"), ("gmgn_api_key", "GMGN route key"))

Editor = QCheckBox | QComboBox | QLineEdit


class VenueSettingsBox(QWidget):
    venue_settings_saved = Signal(object)  # VenueSettings

    def __init__(self, tasks: TaskKeeper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("venueSettings")
        self.tasks = tasks
        self._loader: VenueLoader | None = None
        self._saver: VenueSaver | None = None
        self._loaded = VenueSettings()
        self.editors: dict[str, Editor] = {}
        self.secret_edits: dict[str, QLineEdit] = {}
        self.secret_states: dict[str, QLabel] = {}
        self._secret_version: dict[str, int] = {}
        self.confirm_box: Any = None  # the open "plain http" confirmation, for tests and to avoid two

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        mango = self._box("Mango account", MANGO_FIELDS, "The service has no authentication: whoever "
                          "reaches its URL trades on the account. Keep it on this machine or behind https.")
        spot = self._box("Spot", SPOT_FIELDS, "")
        spot_form = spot.layout()
        assert isinstance(spot_form, QFormLayout)
        for slot, label in SECRET_ROWS:
            spot_form.addRow(label, self._secret_row(slot, spot))
        self.keypair = KeypairImport(tasks, spot)
        spot_form.addRow("Wallet keypair", self.keypair)
        spot_form.addRow(_note("Keys are stored in the system keyring, one entry each, and never shown again; "
                               "of the wallet only its public key is shown.", spot))
        feed = self._box("Price feed", FEED_FIELDS, "")
        self.status = QLabel("", self)
        self.status.setObjectName("venueStatus")
        self.status.setWordWrap(True)
        self.save_button = QPushButton("Save venue settings", self)
        self.save_button.setObjectName("saveVenueButton")
        self.save_button.clicked.connect(self.save)
        for box in (mango, spot, feed):
            layout.addWidget(box)
        layout.addWidget(self.save_button)
        layout.addWidget(self.status)

    # --- construction -------------------------------------------------------------------
    def _box(self, title: str, entries: tuple[tuple[str, str, str], ...], note: str) -> QGroupBox:
        box = QGroupBox(title, self)
        form = QFormLayout(box)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # long URLs go under their label
        if note:
            form.addRow(_note(note, box))
        for name, label, hint in entries:
            editor: Editor
            if name in ("mango_enabled", "spot_allow_fallback"):
                editor = QCheckBox(label, box)
                if hint:
                    editor.setToolTip(hint)
                form.addRow(editor)
            elif name in ("spot_router", "feed"):
                editor = QComboBox(box)
                editor.addItems(SPOT_ROUTERS if name == "spot_router" else FEEDS)
                form.addRow(label, editor)
            else:
                editor = QLineEdit(box)
                editor.setPlaceholderText(hint)
                editor.textEdited.connect(lambda _t, e=editor: mark_invalid(e, False))
                if name.endswith("_file"):
                    browse = QPushButton("…", box)
                    browse.setFixedWidth(30)
                    browse.clicked.connect(lambda _c=False, e=editor: self._browse(e))
                    form.addRow(label, _row(box, editor, browse))
                else:
                    form.addRow(label, editor)
            editor.setObjectName(f"venue_{name}")
            self.editors[name] = editor
        return box

    def _secret_row(self, slot: str, parent: QWidget) -> QWidget:
        # Write-only: starts empty every time and is cleared as soon as it is stored.
        edit = QLineEdit(parent)
        edit.setObjectName(f"secret_{slot}")
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setPlaceholderText("paste to store in the system keyring")
        state = QLabel("", parent)
        state.setObjectName(f"secretState_{slot}")
        state.setWordWrap(True)
        store = QPushButton("Store", parent)
        store.clicked.connect(lambda _c=False, s=slot: self.store_secret(s))
        forget = QPushButton("Forget", parent)
        forget.clicked.connect(lambda _c=False, s=slot: self.forget_secret(s))
        self.secret_edits[slot], self.secret_states[slot] = edit, state
        column = QWidget(parent)
        v = QVBoxLayout(column)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(_row(parent, edit, store, forget))
        v.addWidget(state)
        return column

    # --- values -------------------------------------------------------------------------
    def bind(self, loader: VenueLoader, saver: VenueSaver) -> None:
        self._loader, self._saver = loader, saver
        self.show_settings(loader())
        for slot in self.secret_edits:
            self.tasks.spawn(self._refresh_secret(slot), f"probe keyring {slot}")
        self.keypair.refresh()

    def show_settings(self, settings: VenueSettings) -> None:
        self._loaded = settings
        for name, editor in self.editors.items():
            value = getattr(settings, name)
            if isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            else:
                editor.setText(", ".join(value) if isinstance(value, tuple) else f"{value:g}"
                               if isinstance(value, float) else str(value))
                mark_invalid(editor, False)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QCheckBox):
                out[name] = editor.isChecked()
            elif isinstance(editor, QComboBox):
                out[name] = editor.currentText()
            else:
                out[name] = editor.text().strip()
        # A confirmation holds for the URL it was given for, not for one typed later.
        out["mango_insecure_confirmed"] = (self._loaded.mango_insecure_confirmed
                                           and out["mango_url"].rstrip("/") == self._loaded.mango_url)
        return out

    def validate(self) -> VenueSettings | None:
        for editor in self.editors.values():
            if isinstance(editor, QLineEdit):
                mark_invalid(editor, False)
        try:
            return VenueSettings.from_dict({**self._loaded.to_dict(), **self.values()})
        except DomainError as exc:
            self._refuse(exc.field, f"Not saved — {exc}")
            return None

    def _refuse(self, field: str, text: str) -> None:
        editor = self.editors.get(field)
        if isinstance(editor, QLineEdit):
            mark_invalid(editor, True)
            editor.setFocus()
        set_role(self.status, text, "error")

    # --- saving -------------------------------------------------------------------------
    def save(self) -> asyncio.Task[Any] | None:
        """Save now, or ask first (returns None; the answer saves or not) for plain http to another machine."""
        settings = self.validate()
        if settings is None or self._saver is None:
            return None
        if settings.mango_enabled and settings.mango_url_needs_confirmation and not settings.mango_insecure_confirmed:
            self._ask_insecure(settings)
            return None
        return self.tasks.spawn(self._save(settings), "save venue settings")

    def _ask_insecure(self, settings: VenueSettings) -> None:
        if self.confirm_box is not None:
            self.confirm_box.raise_()
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Plain http to another machine",
                          f"{settings.mango_url} is not encrypted and not on this machine. The Mango service has "
                          "no authentication: anyone who can reach that address can trade and withdraw on the "
                          "account.\n\nUse it anyway?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("insecureMangoUrlBox")
        box.setDefaultButton(QMessageBox.StandardButton.No)

        def answered(_result: int) -> None:
            self.confirm_box = None
            yes = box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Yes
            box.deleteLater()
            if yes:
                self.tasks.spawn(self._save(settings.updated(mango_insecure_confirmed=True)), "save venue settings")
            else:
                self._refuse("mango_url", "Not saved — use https or a loopback address, or confirm the risk.")

        box.finished.connect(answered)
        self.confirm_box = box
        box.open()  # window-modal without a nested event loop

    async def _save(self, settings: VenueSettings) -> None:
        assert self._saver is not None
        self.save_button.setEnabled(False)
        set_role(self.status, "Saving…", "note")
        try:
            message = await self._saver(settings)
        except DomainError as exc:
            self._refuse(exc.field, f"Not saved — {exc}")
            return
        except Exception as exc:  # KeyFileError and the like: the message says what fixes it
            field = "mango_key_file" if settings.mango_key_file and settings.mango_key_file in str(exc) \
                else "spot_keypair_file"
            self._refuse(field, f"Not saved — {exc}")
            return
        finally:
            self.save_button.setEnabled(True)
        self._loaded = settings
        failed = message.startswith("Saved, but")
        set_role(self.status, message, "error" if failed else "ok")
        self.venue_settings_saved.emit(settings)

    # --- secrets ------------------------------------------------------------------------
    def store_secret(self, slot: str) -> asyncio.Task[Any] | None:
        edit = self.secret_edits[slot]
        secret = edit.text().strip()
        edit.clear()
        if not secret:
            set_role(self.secret_states[slot], "Paste it first.", "error")
            return None
        return self.tasks.spawn(self._store(slot, secret), f"store {slot}")

    def forget_secret(self, slot: str) -> asyncio.Task[Any] | None:
        return self.tasks.spawn(self._forget(slot), f"forget {slot}")

    async def _store(self, slot: str, secret: str) -> None:
        self._bump(slot)
        try:
            await secrets.set_secret(slot, secret)
        except Exception as exc:  # noqa: BLE001 - keyring backends raise many types; no secret in the text
            set_role(self.secret_states[slot], f"Not stored: {exc}", "error")
            return
        set_role(self.secret_states[slot], "Stored in the system keyring.", "ok")

    async def _forget(self, slot: str) -> None:
        try:
            await secrets.forget_secret(slot)
        except Exception as exc:  # noqa: BLE001
            set_role(self.secret_states[slot], f"Not forgotten: {exc}", "error")
            return
        await self._refresh_secret(slot)

    def _bump(self, slot: str) -> int:
        self._secret_version[slot] = self._secret_version.get(slot, 0) + 1
        return self._secret_version[slot]

    async def _refresh_secret(self, slot: str) -> None:
        # A probe that started before a store/forget must not overwrite that newer outcome.
        version = self._bump(slot)
        try:
            stored: bool | None = await secrets.get_secret(slot) is not None
            problem = ""
        except secrets.SecretStoreError as exc:  # no usable keyring here: say so, not "nothing stored"
            stored, problem = None, str(exc)
        if version != self._secret_version[slot]:
            return
        if stored is None:
            set_role(self.secret_states[slot], f"Keyring unavailable: {problem}", "error")
            return
        set_role(self.secret_states[slot], "Stored in the system keyring." if stored else "Nothing stored.",
                 "ok" if stored else "note")

    def _browse(self, edit: QLineEdit) -> None:
        # Non-modal: a modal exec() would nest a Qt loop under the asyncio loop.
        dialog = QFileDialog(self, "Choose a key file")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(edit.setText)
        dialog.open()


def _row(parent: QWidget, *widgets: QWidget) -> QWidget:
    row = QWidget(parent)
    h = QHBoxLayout(row)
    h.setContentsMargins(0, 0, 0, 0)
    for i, widget in enumerate(widgets):
        h.addWidget(widget, 1 if i == 0 else 0)
    return row


def _note(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {MUTED};")
    return label
