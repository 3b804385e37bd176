"""AccountSettings: defaults, validation of every rule, round trip, and the risk limits they imply."""

from __future__ import annotations

import pytest

from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.settings import AccountSettings
from grace_desktop.domain.volatility import VolatilityTier


def test_defaults_are_valid_and_round_trip():
    settings = AccountSettings()
    assert not settings.auto_trading_enabled and settings.max_leverage == 10.0
    data = settings.to_dict()
    assert AccountSettings.from_dict(data) == settings
    assert AccountSettings.from_dict({}) == settings  # missing keys default


def test_numbers_are_coerced_and_updated_revalidates():
    settings = AccountSettings.from_dict({"take_profit_percentage": "7.5", "max_leverage": 20})
    assert settings.take_profit_percentage == 7.5 and isinstance(settings.max_leverage, float)
    assert settings.updated(default_leverage=3).default_leverage == 3.0
    with pytest.raises(DomainError) as err:
        settings.updated(default_leverage=30)
    assert err.value.field == "default_leverage"


def test_risk_limits_follow_the_settings():
    settings = AccountSettings(max_leverage=20, max_account_leverage=3, clamp_leverage=True,
                               vol_threshold_1=0.04, vol_cap_1=8, vol_threshold_2=0.1, vol_cap_2=4,
                               vol_threshold_3=0.2, vol_cap_3=1.5)
    limits = settings.risk_limits()
    assert (limits.max_leverage, limits.max_account_leverage, limits.clamp_leverage) == (20, 3, True)
    assert limits.volatility_tiers == (VolatilityTier(0.04, 8), VolatilityTier(0.1, 4), VolatilityTier(0.2, 1.5))


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"take_profit_percentage": 0}, "take_profit_percentage"),
        ({"stop_loss_percentage": 100}, "stop_loss_percentage"),
        ({"trailing_stop_percentage": -1}, "trailing_stop_percentage"),
        ({"take_profit_percentage": float("nan")}, "take_profit_percentage"),
        ({"trailing_stop_enabled": 1}, "trailing_stop_enabled"),
        ({"clamp_leverage": "false"}, "clamp_leverage"),
        ({"max_leverage": True}, "max_leverage"),
        ({"default_leverage": 0.5}, "default_leverage"),
        ({"max_account_leverage": 0}, "max_account_leverage"),
        ({"max_leverage": 150}, "max_leverage"),
        ({"default_leverage": 11}, "default_leverage"),
        ({"vol_cap_2": 0.9}, "vol_cap_2"),
        ({"vol_threshold_1": 0}, "vol_threshold_1"),
        ({"vol_threshold_3": 5}, "vol_threshold_3"),
        ({"vol_threshold_2": 0.2}, "vol_threshold_2"),  # thresholds must increase
        ({"liquidation_guard_buffer_pct": 0}, "liquidation_guard_buffer_pct"),
        ({"liquidation_guard_buffer_pct": 50}, "liquidation_guard_buffer_pct"),
        ({"liquidation_guard_reduce_fraction": 0}, "liquidation_guard_reduce_fraction"),
        ({"liquidation_guard_reduce_fraction": 1.5}, "liquidation_guard_reduce_fraction"),
        ({"max_leverage": "ten"}, "max_leverage"),
        ({"not_a_setting": 1}, "not_a_setting"),
    ],
)
def test_invalid_settings_name_the_field(changes, field):
    with pytest.raises(DomainError) as err:
        AccountSettings.from_dict(changes)
    assert err.value.field == field
    assert field in str(err.value)


def test_boundaries_that_are_allowed():
    AccountSettings(liquidation_guard_reduce_fraction=1.0, max_leverage=100, default_leverage=100)
    AccountSettings(max_leverage=1, default_leverage=1, max_account_leverage=1)
