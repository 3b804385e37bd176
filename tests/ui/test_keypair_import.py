"""The settings panel imports the spot wallet's keypair once into the keyring and shows only its public key.

An in-process keyring stands in for the OS one (the test must never write into the developer's own).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os

import pytest
from solders.keypair import Keypair

from grace_desktop.domain.venue_settings import VenueSettings
from grace_desktop.services import secrets
from grace_desktop.services.spot_options import spot_options
from grace_desktop.services.venue_settings import load_venue_settings, save_venue_settings
from grace_desktop.storage import open_storage
from grace_desktop.ui.qt import QLabel, QLineEdit, QtWidgets
from grace_desktop.ui.settings_panel import SettingsPanel
from grace_desktop.ui.tasks import TaskKeeper

SLOT = ("grace-desktop", "spot_keypair")


@pytest.fixture
async def box(qtbot, tmp_path, ring):
    store = open_storage(tmp_path)
    store.accounts.ensure("paper", "paper")
    tasks = TaskKeeper()
    panel = SettingsPanel(tasks)
    qtbot.addWidget(panel)
    panel.bind(["paper"], store.settings.get, lambda a, s: asyncio.to_thread(store.settings.save, a, s))

    async def saver(settings):
        await save_venue_settings(store, settings)
        return "Saved."

    panel.venues.bind(lambda: load_venue_settings(store), saver)
    await asyncio.sleep(0.05)  # the keyring probes
    yield panel
    store.close()


def window_text(panel: SettingsPanel) -> str:
    """Everything the settings panel shows or holds in a field."""
    parts = [w.text() for w in panel.findChildren(QLabel)] + [w.text() for w in panel.findChildren(QLineEdit)]
    return "\n".join(parts)


def key_file(tmp_path, keypair: Keypair, mode: int = 0o600):
    path = tmp_path / "id.json"
    path.write_text(json.dumps(list(bytes(keypair))))
    os.chmod(path, mode)
    return path


async def test_a_pasted_base58_keypair_is_imported_and_only_its_public_key_shown(box, ring, caplog):
    caplog.set_level(logging.DEBUG)
    keypair = Keypair()
    secret = str(keypair)  # solders: the base58 secret
    row = box.venues.keypair
    assert row.state.text() == "No keypair imported."
    row.edit.setText(secret)
    task = row.import_pasted()
    assert row.edit.text() == ""  # cleared at once, before the keyring answers
    await task
    assert row.state.text() == f"Wallet {keypair.pubkey()} — imported into the system keyring."
    assert ring.items[SLOT] == secret
    assert secret not in window_text(box) and secret not in caplog.text
    # What start-up builds the venue from: the same wallet, from the keyring slot.
    options = await spot_options(VenueSettings())
    assert options["keypair"].pubkey == keypair.pubkey() and secret not in repr(options)


async def test_a_key_file_chosen_in_the_dialog_is_imported_as_base58(box, ring, tmp_path, qtbot):
    keypair = Keypair()
    path = key_file(tmp_path, keypair)
    row = box.venues.keypair
    row.choose_file()
    dialog = row.dialog
    assert dialog is not None and dialog.isVisible()  # opened with open(): no nested event loop
    dialog.setOption(QtWidgets.QFileDialog.Option.DontUseNativeDialog)
    dialog.selectFile(str(path))
    dialog.accept()  # emits fileSelected, as the user's "Open" does
    await _until(lambda: row.state.text().startswith(("Wallet", "Not")))
    assert row.state.text() == f"Wallet {keypair.pubkey()} — imported into the system keyring."
    assert ring.items[SLOT] == str(keypair)  # stored as base58, whatever form it came in
    assert row.dialog is None
    assert str(keypair) not in window_text(box)


async def test_a_key_file_others_can_read_is_refused_with_the_fix_and_nothing_stored(box, ring, tmp_path):
    path = key_file(tmp_path, Keypair(), mode=0o644)
    row = box.venues.keypair
    await row.import_file(str(path))
    assert row.state.text() == f"Not imported: {path}: the key file is readable by others; run: chmod 600 {path}"
    assert SLOT not in ring.items


@pytest.mark.parametrize("text", ["4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi", "[1, 2, 3]",
                                  "x" * 88])
async def test_a_bad_key_is_refused_without_echoing_it(box, ring, text):
    row = box.venues.keypair
    row.edit.setText(text)
    await row.import_pasted()
    assert row.state.text().startswith("Not imported:") and text not in row.state.text()
    assert SLOT not in ring.items and row.edit.text() == ""


async def test_the_stored_wallet_is_shown_by_public_key_and_can_be_forgotten(qtbot, tmp_path, ring, caplog):
    caplog.set_level(logging.DEBUG)  # the loop's thread executor logs call arguments and results at DEBUG
    keypair = Keypair()
    await secrets.set_secret("spot_keypair", str(keypair))
    panel = SettingsPanel(TaskKeeper())
    qtbot.addWidget(panel)
    store = open_storage(tmp_path)
    try:
        panel.venues.bind(lambda: load_venue_settings(store), lambda s: asyncio.sleep(0, "Saved."))
        row = panel.venues.keypair
        await _until(lambda: row.state.text() != "")
        assert row.state.text() == f"Wallet {keypair.pubkey()} (in the system keyring)"
        assert str(keypair) not in caplog.text  # read back from the keyring without passing through a log
        await row.forget()
        assert row.state.text() == "No keypair imported." and SLOT not in ring.items
        ring.items[SLOT] = "not a key at all"
        await row.refresh()
        assert row.state.text() == "the keyring holds something that is not a keypair; import it again"
    finally:
        store.close()


async def _until(predicate, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)
