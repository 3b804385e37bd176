"""Settings refuse bad values with the domain's message and save good ones; alerts list newest first."""

from __future__ import annotations

import asyncio
import time
from dataclasses import fields

import keyring
import pytest
from keyring.backend import KeyringBackend

from grace_desktop.domain.settings import AccountSettings
from grace_desktop.storage import AlertRecord, open_storage
from grace_desktop.ui.alerts_panel import LEVEL_COLOURS, AlertsPanel
from grace_desktop.ui.qt import QCheckBox, QLineEdit, QSettings
from grace_desktop.ui.settings_panel import SettingsPanel
from grace_desktop.ui.tasks import TaskKeeper
from grace_desktop.ui.venue_config import VenueConfig


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

    qs = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    widget.bind(["paper", "swing"], store.settings.get, saver, qs)
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


class MemoryKeyring(KeyringBackend):
    """An in-process keyring so the test never writes into the developer's real one."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.items = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username), None)


async def test_venue_config_validated_and_secret_never_displayed(panel, tmp_path):
    panel.venue_editors["mango_url"].setText("ftp://nope")
    assert panel.save_venue_config() is None
    assert "mango_url" in panel.venue_status.text()
    panel.venue_editors["mango_url"].setText("http://127.0.0.1:3000")
    panel.venue_editors["spot_key_file"].setText(str(tmp_path / "missing.json"))
    assert panel.save_venue_config() is None and "no such file" in panel.venue_status.text()
    key = tmp_path / "id.json"
    key.write_text("[1,2,3]")
    panel.venue_editors["spot_key_file"].setText(str(key))
    panel.venue_editors["spot_slippage_bps"].setText("75")
    config = panel.save_venue_config()
    assert config == VenueConfig(mango_url="http://127.0.0.1:3000", spot_key_file=str(key), spot_slippage_bps=75)
    reloaded = VenueConfig.load(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    assert reloaded == config
    # The ini holds paths and URLs only, never the key file's contents.
    assert "[1,2,3]" not in (tmp_path / "ui.ini").read_text()

    ring = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(ring)
    try:
        panel.router_key_edit.setText("s3cret-router-key")
        task = panel.store_router_key()
        assert panel.router_key_edit.text() == ""  # cleared at once, never shown again
        await task
        assert ring.items == {("grace-desktop", "spot_router_api_key"): "s3cret-router-key"}
        assert panel.router_key_state.text() == "A key is stored in the system keyring."
        assert "s3cret" not in (tmp_path / "ui.ini").read_text()
        await panel._forget_key()
        assert ring.items == {} and panel.router_key_state.text() == "No key stored."
    finally:
        keyring.set_keyring(previous)


async def test_router_key_refused_by_keyring_says_so_without_the_key(panel):
    # This machine's default backend may be keyring's "fail" backend; force it to be sure.
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        panel.router_key_edit.setText("s3cret-router-key")
        await panel.store_router_key()
        assert panel.router_key_state.text().startswith("Not stored")
        assert "s3cret" not in panel.router_key_state.text()
    finally:
        keyring.set_keyring(previous)


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
