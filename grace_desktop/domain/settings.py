"""Per-account trading settings and their validation (the UI and storage both use this)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from grace_desktop.domain import validation as v
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.risk import RiskLimits
from grace_desktop.domain.volatility import VolatilityTier

# No venue this application speaks offers more; each venue's own maximum bounds it further
# (check_venue_limits).
HARD_MAX_LEVERAGE = 100.0
LEVERAGE_FIELDS = ("default_leverage", "max_leverage", "max_account_leverage", "vol_cap_1", "vol_cap_2", "vol_cap_3")


@dataclass(frozen=True, slots=True)
class AccountSettings:
    auto_trading_enabled: bool = False
    take_profit_enabled: bool = False
    take_profit_percentage: float = 5.0
    stop_loss_enabled: bool = False
    stop_loss_percentage: float = 3.0
    trailing_stop_enabled: bool = False
    trailing_stop_percentage: float = 2.0
    default_leverage: float = 1.0
    max_leverage: float = 10.0
    max_account_leverage: float = 5.0
    clamp_leverage: bool = False
    # Daily volatility thresholds (fractions) and the leverage each caps at.
    vol_threshold_1: float = 0.05
    vol_cap_1: float = 10.0
    vol_threshold_2: float = 0.08
    vol_cap_2: float = 5.0
    vol_threshold_3: float = 0.15
    vol_cap_3: float = 2.0
    # Act when the mark is within this many percent of the price of the liquidation price.
    liquidation_guard_enabled: bool = True
    liquidation_guard_buffer_pct: float = 2.0
    liquidation_guard_reduce_fraction: float = 0.5
    allow_paper_fallback: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type in ("bool", bool):
                if not isinstance(value, bool):
                    raise DomainError(f.name, f"must be true or false, got {value!r}")
            else:
                object.__setattr__(self, f.name, v.finite(f.name, value))
        for name in ("take_profit_percentage", "stop_loss_percentage", "trailing_stop_percentage"):
            pct = getattr(self, name)
            if pct <= 0:
                # 0 % would put the level at the entry price: the rule would fire on the first tick.
                raise DomainError(name, f"must be more than 0 % (a level at the entry price fires at once), got {pct:g}")
            if pct >= 100:
                raise DomainError(name, f"must be less than 100 %, got {pct:g}")
        for name in LEVERAGE_FIELDS:
            v.leverage(name, getattr(self, name))
            if getattr(self, name) > HARD_MAX_LEVERAGE:
                raise DomainError(name, f"must be at most {HARD_MAX_LEVERAGE:g}x, got {getattr(self, name):g}x")
        if self.default_leverage > self.max_leverage:
            raise DomainError(
                "default_leverage", f"{self.default_leverage:g}x is above max_leverage {self.max_leverage:g}x"
            )
        thresholds = [self.vol_threshold_1, self.vol_threshold_2, self.vol_threshold_3]
        for i, t in enumerate(thresholds, 1):
            if not 0 < t < 5:
                raise DomainError(f"vol_threshold_{i}", f"must be a daily fraction in (0, 5), got {t:g}")
        if not thresholds[0] < thresholds[1] < thresholds[2]:
            raise DomainError("vol_threshold_2", "volatility thresholds must increase (1 < 2 < 3)")
        buffer = self.liquidation_guard_buffer_pct
        if not 0 < buffer < 50:
            raise DomainError("liquidation_guard_buffer_pct",
                              f"must be more than 0 % and less than 50 % of the price, got {buffer:g}")
        fraction = self.liquidation_guard_reduce_fraction
        if not 0 < fraction <= 1:
            raise DomainError("liquidation_guard_reduce_fraction",
                              f"must be more than 0 and at most 1 (1 = close it all), got {fraction:g}")

    def risk_limits(self) -> RiskLimits:
        return RiskLimits(
            max_leverage=self.max_leverage,
            max_account_leverage=self.max_account_leverage,
            clamp_leverage=self.clamp_leverage,
            volatility_tiers=(
                VolatilityTier(self.vol_threshold_1, self.vol_cap_1),
                VolatilityTier(self.vol_threshold_2, self.vol_cap_2),
                VolatilityTier(self.vol_threshold_3, self.vol_cap_3),
            ),
        )

    def check_venue_limits(self, venue_max_leverage: float, before: AccountSettings | None = None) -> None:
        """Refuse a leverage limit above what the venue's markets allow (their highest maximum).
        With `before`, only limits the user changed are checked: a spot-only venue (1x) must not
        make every other setting unsavable because of a default leverage limit it never uses."""
        top = v.leverage("venue_max_leverage", venue_max_leverage)
        for name in LEVERAGE_FIELDS:
            value = getattr(self, name)
            if before is not None and value == getattr(before, name):
                continue
            if value > top:
                raise DomainError(name, f"must be at most {top:g}x, the venue's highest market leverage; got {value:g}x")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccountSettings:
        """Build from stored or user-entered values; unknown keys are refused, missing ones default."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise DomainError(sorted(unknown)[0], "is not a setting")
        return cls(**data)

    def updated(self, **changes: Any) -> AccountSettings:
        return replace(self, **changes)
