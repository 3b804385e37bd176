"""Account profiles and per-account settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.settings import AccountSettings
from grace_desktop.storage import Storage, open_storage


def test_ensure_is_idempotent_and_lists(store: Storage) -> None:
    first = store.accounts.ensure("main", "mango_v3")
    again = store.accounts.ensure("main", "paper")  # an existing account keeps its venue
    assert again == first and first.venue == "mango_v3" and first.created_at > 0
    store.accounts.ensure("paper", "paper")
    assert [a.name for a in store.accounts.list()] == ["main", "paper"]
    assert store.accounts.get("nobody") is None
    with pytest.raises(DomainError, match="venue"):
        store.accounts.ensure("x", " ")


def test_accounts_table_has_no_secret_columns(store: Storage) -> None:
    columns = {c.name for c in store.db.table("accounts").columns}
    assert columns == {"name", "venue", "created_at", "internal"}


def test_venue_learned_later_fills_in(store: Storage) -> None:
    store.settings.save("later", AccountSettings())  # creates the account without a venue
    assert store.accounts.get("later").venue == ""
    assert store.accounts.ensure("later", "paper").venue == "paper"


def test_settings_default_then_round_trip(data_dir: Path) -> None:
    with open_storage(data_dir) as store:
        assert store.settings.get("main") == AccountSettings()
        changed = AccountSettings(
            auto_trading_enabled=True, take_profit_enabled=True, take_profit_percentage=7.5, stop_loss_enabled=True,
            stop_loss_percentage=2.0, trailing_stop_enabled=True, trailing_stop_percentage=1.5, default_leverage=3.0,
            max_leverage=15.0, max_account_leverage=4.0, vol_threshold_1=0.04, vol_cap_1=8.0,
            liquidation_guard_buffer_pct=5.0,
        )  # fmt: skip
        store.settings.save("main", changed)
        store.settings.save("other", {"max_leverage": 3.0, "default_leverage": 2.0})
    with open_storage(data_dir) as store:
        assert store.settings.get("main") == changed
        assert store.settings.get("other") == AccountSettings(max_leverage=3.0, default_leverage=2.0)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"take_profit_percentage": 150.0}, "take_profit_percentage"),
        ({"default_leverage": 20.0, "max_leverage": 10.0}, "default_leverage"),
        ({"vol_threshold_1": 0.2}, "vol_threshold_2"),
        ({"auto_trading_enabled": "yes"}, "auto_trading_enabled"),
        ({"leverage_of_doom": 1}, "leverage_of_doom"),
    ],
)
def test_invalid_settings_are_refused_and_nothing_saved(store: Storage, data: dict, field: str) -> None:
    good = AccountSettings(max_leverage=12.0)
    store.settings.save("main", good)
    with pytest.raises(DomainError) as info:
        store.settings.save("main", data)
    assert info.value.field == field
    assert store.settings.get("main") == good
    with pytest.raises(DomainError):
        store.settings.save("fresh", data)
    assert store.accounts.get("fresh") is None  # not even the account row was written


def test_instance_bypassing_validation_is_refused(store: Storage) -> None:
    sneaky = AccountSettings()
    object.__setattr__(sneaky, "stop_loss_percentage", -5.0)
    with pytest.raises(DomainError, match="stop_loss_percentage"):
        store.settings.save("main", sneaky)
    assert store.settings.get("main") == AccountSettings()


def test_stored_setting_unknown_to_this_version_is_ignored(store: Storage) -> None:
    store.settings.save("main", AccountSettings(max_leverage=9.0))
    data = json.loads(store.query_one("SELECT data FROM settings WHERE account = 'main'")["data"])
    data["setting_from_the_future"] = True
    with store.transaction():
        store.conn.execute("UPDATE settings SET data = ? WHERE account = 'main'", (json.dumps(data),))
    assert store.settings.get("main") == AccountSettings(max_leverage=9.0)
