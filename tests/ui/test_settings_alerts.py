"""Settings refuse bad values with the domain's message and save good ones; alerts list newest first."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import fields

import pytest

from grace_desktop.domain.settings import AccountSettings
from grace_desktop.domain.venue_settings import VenueSettings
from grace_desktop.services.venue_settings import load_venue_settings, save_venue_settings
from grace_desktop.storage import AlertRecord, open_storage
from grace_desktop.ui.alerts_panel import LEVEL_COLOURS, AlertsPanel
from grace_desktop.ui.qt import QCheckBox, QLineEdit, QSettings
from grace_desktop.ui.settings_panel import SettingsPanel
from grace_desktop.ui.tasks import TaskKeeper
from grace_desktop.ui.venue_config import migrate_legacy
from grace_desktop.ui.venue_settings_box import QMessageBox


@pytest.fixture
def store(tmp_path):
    s = open_storage(tmp_path)
    s.accounts.ensure("paper", "paper")
    s.accounts.ensure("swing", "paper")
    yield s
    s.close()


@pytest.fixture
async def panel(qtbot, store, tmp_path):
    tasks = TaskKeeper()
    widget = SettingsPanel(tasks)
    qtbot.addWidget(widget)

    async def saver(account, settings):
        await asyncio.to_thread(store.settings.save, account, settings)

    widget.bind(["paper", "swing"], store.settings.get, saver)
    yield widget


async def test_every_account_setting_has_an_editor(panel):
    assert panel.objectName() == "settingsPanel"
    names = {f.name for f in fields(AccountSettings)}
    assert set(panel.editors) == names
    for f in fields(AccountSettings):
        kind = QCheckBox if f.type in ("bool", bool) else QLineEdit
        assert isinstance(panel.findChild(kind, f"setting_{f.name}"), kind)


async def test_valid_settings_are_saved_per_account(panel, store):
    panel.editors["take_profit_percentage"].setText("7.5")
    panel.editors["auto_trading_enabled"].setChecked(True)
    await panel.save()
    saved = store.settings.get("paper")
    assert saved.take_profit_percentage == 7.5 and saved.auto_trading_enabled
    assert store.settings.get("swing") == AccountSettings()
    assert "Saved" in panel.status.text()


@pytest.mark.parametrize(("locale", "typed", "read"), [("de_DE", "7,5", 7.5), ("en_US", "7.5", 7.5),
                                                     ("de_DE", "1.234,5", 1234.5)])
async def test_settings_read_numbers_in_the_users_locale(panel, store, locale, typed, read):
    from grace_desktop.ui.qt import QtCore

    panel.setLocale(QtCore.QLocale(locale))
    panel.reload()  # the stored values written the way this locale writes them
    panel.editors["take_profit_percentage"].setText(typed)
    if read >= 100:  # a valid number in that locale, refused by the rule, not by the reading
        assert panel.save() is None and "must be less than 100 %" in panel.status.text()
        return
    await panel.save()
    assert store.settings.get("paper").take_profit_percentage == read
    panel.reload()
    assert panel.editors["take_profit_percentage"].text() == typed  # written back the way it was typed


async def test_a_comma_that_is_ambiguous_in_the_locale_is_refused_naming_the_field(panel, store):
    from grace_desktop.ui.qt import QtCore

    panel.setLocale(QtCore.QLocale("en_US"))
    panel.reload()
    before = store.settings.get("paper")
    panel.editors["stop_loss_percentage"].setText("2,5")  # a 2.5 % stop in de_DE, 25 if guessed in en_US
    assert panel.save() is None
    assert "ambiguous" in panel.status.text() and "stop_loss_percentage" in panel.status.text()
    assert panel.editors["stop_loss_percentage"].property("invalid") is True
    assert store.settings.get("paper") == before


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("take_profit_percentage", "abc", "must be a number"),
        ("stop_loss_percentage", "150", "must be less than 100 %"),
        ("take_profit_percentage", "0", "must be more than 0 %"),
        ("max_leverage", "0.5", "must be >= 1"),
        ("default_leverage", "50", "above max_leverage"),
        ("vol_threshold_2", "0.01", "must increase"),
        ("liquidation_guard_reduce_fraction", "", "must be a number"),
    ],
)
async def test_invalid_settings_are_refused_and_not_saved(panel, store, field, text, message):
    before = store.settings.get("paper")
    panel.editors[field].setText(text)
    assert panel.save() is None
    assert message in panel.status.text() and field in panel.status.text()
    assert panel.status.text().startswith("Not saved")
    assert panel.editors[field].property("invalid") is True
    await asyncio.sleep(0)
    assert store.settings.get("paper") == before
    # Revert brings the stored values back and clears the mark.
    panel.reload()
    assert panel.editors[field].property("invalid") is False


async def test_switching_account_loads_its_settings(panel, store):
    store.settings.save("swing", AccountSettings(stop_loss_percentage=9))
    panel.account_combo.setCurrentText("swing")
    assert panel.editors["stop_loss_percentage"].text() == "9"


@pytest.fixture
async def venues(panel, store):
    """The panel's venue box bound to the real database through the service functions."""

    async def saver(settings):
        await save_venue_settings(store, settings)
        return "Saved."

    panel.venues.bind(lambda: load_venue_settings(store), saver)
    await asyncio.sleep(0.05)  # the keyring probes
    return panel.venues


async def _until(predicate, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def test_venue_settings_validated_and_saved_to_the_database(venues, store, tmp_path):
    venues.editors["mango_url"].setText("ftp://nope")
    assert venues.save() is None
    assert "mango_url" in venues.status.text() and venues.editors["mango_url"].property("invalid") is True
    venues.editors["mango_url"].setText("http://127.0.0.1:3000/api")
    venues.editors["mango_enabled"].setChecked(True)
    shared = tmp_path / "id.json"
    shared.write_text("[1,2,3]")
    os.chmod(shared, 0o644)
    venues.editors["spot_keypair_file"].setText(str(shared))
    venues.editors["spot_slippage_bps"].setText("75")
    venues.editors["spot_tokens"].setText("SOL, BONK")
    venues.editors["spot_router"].setCurrentText("gmgn")
    venues.editors["spot_router_url"].setText("https://gmgn.ai")
    venues.editors["feed"].setCurrentText("live")
    await venues.save()
    assert f"chmod 600 {shared}" in venues.status.text()  # refused with the command that fixes it
    assert venues.editors["spot_keypair_file"].property("invalid") is True
    assert store.app_settings.venue_settings() is None
    os.chmod(shared, 0o600)
    await venues.save()
    assert venues.status.text() == "Saved."
    assert store.app_settings.venue_settings() == VenueSettings(
        mango_enabled=True, mango_url="http://127.0.0.1:3000/api", spot_keypair_file=str(shared),
        spot_slippage_bps=75, spot_tokens=("SOL", "BONK"), spot_router="gmgn", spot_router_url="https://gmgn.ai",
        feed="live")
    assert "[1,2,3]" not in venues.status.text()


async def test_plain_http_to_another_machine_needs_the_users_yes(venues, store):
    venues.editors["mango_enabled"].setChecked(True)
    venues.editors["mango_url"].setText("http://10.1.2.3:3000/api")
    assert venues.save() is None  # asks first
    box = venues.confirm_box
    assert box is not None and box.isVisible() and "no authentication" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    await _until(lambda: venues.status.text().startswith("Not saved"))
    assert store.app_settings.venue_settings() is None and venues.confirm_box is None
    venues.save()
    venues.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    await _until(lambda: store.app_settings.venue_settings() is not None)
    saved = store.app_settings.venue_settings()
    assert saved.mango_insecure_confirmed and saved.mango_url == "http://10.1.2.3:3000/api"
    # Saving the same URL again does not ask again; another URL does.
    venues.show_settings(saved)
    assert venues.save() is not None
    venues.editors["mango_url"].setText("http://10.9.9.9:3000/api")
    assert venues.save() is None and venues.confirm_box is not None
    venues.confirm_box.button(QMessageBox.StandardButton.No).click()


async def test_each_key_goes_to_its_own_keyring_slot_and_is_never_shown(venues, ring):
    for slot, secret in (("jupiter_api_key", "jup-s3cret"), ("gmgn_api_key", "gmgn-s3cret")):
        venues.secret_edits[slot].setText(secret)
        task = venues.store_secret(slot)
        assert venues.secret_edits[slot].text() == ""  # cleared at once, never shown again
        await task
        assert venues.secret_states[slot].text() == "Stored in the system keyring."
    assert ring.items == {("grace-desktop", "jupiter_api_key"): "jup-s3cret",
                          ("grace-desktop", "gmgn_api_key"): "gmgn-s3cret"}
    await venues.forget_secret("gmgn_api_key")
    assert ring.items == {("grace-desktop", "jupiter_api_key"): "jup-s3cret"}
    assert venues.secret_states["gmgn_api_key"].text() == "Nothing stored."


async def test_key_refused_by_keyring_says_so_without_the_key(refusing_keyring, venues):
    await _until(lambda: venues.secret_states["jupiter_api_key"].text().startswith("Keyring unavailable"))
    assert "could not read" in venues.secret_states["jupiter_api_key"].text()  # not "Nothing stored."
    venues.secret_edits["jupiter_api_key"].setText("s3cret-router-key")
    await venues.store_secret("jupiter_api_key")
    assert venues.secret_states["jupiter_api_key"].text().startswith("Not stored")
    assert "s3cret" not in venues.secret_states["jupiter_api_key"].text()


async def test_old_qsettings_values_move_to_the_database_once(store, tmp_path, ring):
    ini = tmp_path / "old.ini"
    old = QSettings(str(ini), QSettings.Format.IniFormat)
    for name, value in (("mango_url", "http://localhost:3000"), ("spot_router_url", "https://api.jup.ag/swap/v1"),
                        ("spot_rpc_url", "https://rpc.example"), ("spot_slippage_bps", 80)):
        old.setValue(f"venues/{name}", value)
    old.sync()
    ring.items[("grace-desktop", "spot_router_api_key")] = "old-key"
    assert await migrate_legacy(store, old)
    assert store.app_settings.venue_settings() == VenueSettings(
        mango_url="http://localhost:3000/api", spot_router_url="https://api.jup.ag", spot_rpc_url="https://rpc.example",
        spot_slippage_bps=80)  # the Mango account comes over switched off
    assert ring.items == {("grace-desktop", "jupiter_api_key"): "old-key"}
    assert "venues" not in QSettings(str(ini), QSettings.Format.IniFormat).childGroups()
    old.setValue("venues/mango_url", "http://other:1/api")  # a stale copy written back later is ignored
    assert not await migrate_legacy(store, old)
    assert store.app_settings.venue_settings().mango_url == "http://localhost:3000/api"


def alert(ts, level, title, text="", market=""):
    return AlertRecord(ts=ts, level=level, title=title, text=text, account="paper", market=market)


def test_alerts_newest_first_with_level_colours(qtbot, store):
    panel = AlertsPanel()
    qtbot.addWidget(panel)
    now = time.time()
    for i, level in enumerate(("info", "warning", "error")):
        store.alerts.record(alert(now + i, level, f"alert {i}", "detail", "BTC-PERP"))
    panel.load_recent(store.alerts.recent())
    assert panel.list.objectName() == "alertsList"
    assert panel.titles() == ["alert 2", "alert 1", "alert 0"]
    panel.add_alert(alert(now + 10, "critical", "Liquidation guard fired"))
    assert panel.titles()[0] == "Liquidation guard fired"
    colours = [panel.list.item(i).foreground().color().name() for i in range(4)]
    assert colours == [LEVEL_COLOURS[x].lower() for x in ("critical", "error", "warning", "info")]
    panel.level_filter.setCurrentIndex(2)  # errors only
    hidden = [panel.list.item(i).isHidden() for i in range(4)]
    assert hidden == [False, False, True, True]
