"""Safe and maximum position size: the seed's rule, rounded down to the lot, never zero."""

from __future__ import annotations

import pytest

from grace_desktop.domain import margin, sizing
from grace_desktop.domain.errors import DomainError, SizingError


@pytest.mark.parametrize(
    "lev, expected",
    [
        (1, 8.0),  # 1000·1·1/100·0.8
        (2, 16.0),  # 1000·2·1/100·0.8
        (3, 24.0),  # 1000·3·1/100·0.8
        (10, 24.0),  # 1000·10·(3/10)/100·0.8: effective leverage is capped at 3
        (20, 24.0),
        (2.5, 20.0),
    ],
)
def test_safe_size_worked_numbers(lev, expected):
    assert sizing.safe_position_size(1000, 100, lev, 0.01) == pytest.approx(expected, abs=1e-12)


def test_safe_size_rounds_down_to_lot():
    # raw = 1000·3/7·0.8 = 342.857142...
    assert sizing.raw_safe_size(1000, 7, 3) == pytest.approx(342.857142857142857)
    assert sizing.safe_position_size(1000, 7, 3, 0.01) == pytest.approx(342.85)
    assert sizing.safe_position_size(1000, 7, 3, 1) == 342.0
    assert sizing.safe_position_size(1000, 7, 3, 5) == 340.0
    # BTC-like: 1000·3/30000·0.8 = 0.08 exactly at lot 0.001, no float shortfall to 0.079.
    assert sizing.safe_position_size(1000, 30_000, 10, 0.001) == pytest.approx(0.08)
    # Never rounds up: the result times price never exceeds the safe notional.
    size = sizing.safe_position_size(1234.56, 98.76, 7, 0.1)
    assert size <= sizing.raw_safe_size(1234.56, 98.76, 7)
    assert size == pytest.approx(30.0)  # 1234.56·3/98.76·0.8 = 30.0012...


def test_round_down_to_lot_is_tolerant_of_float_noise():
    assert sizing.round_down_to_lot(0.3, 0.1) == pytest.approx(0.3)  # 0.3/0.1 = 2.9999999999999996
    assert sizing.round_down_to_lot(0.29, 0.1) == pytest.approx(0.2)
    assert sizing.round_down_to_lot(1.0, 0.001) == 1.0


@pytest.mark.parametrize("fc, price, lev, lot", [(1, 30_000, 10, 0.001), (0, 100, 2, 0.01), (-50, 100, 2, 0.01)])
def test_size_rounding_to_zero_is_an_error(fc, price, lev, lot):
    with pytest.raises(SizingError) as err:
        sizing.safe_position_size(fc, price, lev, lot)
    assert err.value.field == "size"
    assert "rounds to zero" in str(err.value)
    assert isinstance(err.value, DomainError)


@pytest.mark.parametrize(
    "args, field",
    [
        ((1000, 0, 2, 0.01), "price"),
        ((1000, 100, 0.5, 0.01), "leverage"),
        ((1000, 100, 2, 0), "lot_size"),
        ((float("nan"), 100, 2, 0.01), "free_collateral"),
    ],
)
def test_safe_size_inputs_are_checked(args, field):
    with pytest.raises(DomainError) as err:
        sizing.safe_position_size(*args)
    assert err.value.field == field


def test_max_position_size_fits_margin_and_fee():
    assert sizing.max_position_size(1000, 100, 10, 0.01) == pytest.approx(100.0)
    # With a 4 bp taker fee each unit costs 10 + 0.04: 1000/10.04 = 99.6015...
    size = sizing.max_position_size(1000, 100, 10, 0.01, fee_rate=0.0004)
    assert size == pytest.approx(99.6)
    assert margin.required_margin(size, 100, 10, 0.0004) <= 1000
    assert margin.required_margin(size + 0.01, 100, 10, 0.0004) > 1000
    # A maker rebate is not counted as extra buying power.
    assert sizing.max_position_size(1000, 100, 10, 0.01, fee_rate=-0.0003) == pytest.approx(100.0)
    assert sizing.max_position_size(0, 100, 10, 0.01) == 0.0
    assert sizing.max_position_size(-5, 100, 10, 0.01) == 0.0


def test_safe_size_is_within_max_size():
    for lev in (1, 2, 3, 5, 10, 20, 50):
        safe = sizing.safe_position_size(1000, 100, lev, 0.01)
        assert safe <= sizing.max_position_size(1000, 100, lev, 0.01)


# ----- risk-based size ------------------------------------------------------------------------
def test_risk_size_worked_example():
    from grace_desktop.domain.sizing import risk_position_size

    # 10,000 equity, 1 % risk = 100; entry 100, stop 95 = 5 per unit -> 20 units.
    assert risk_position_size(10_000, 1, 100, 95, 0.001) == pytest.approx(20.0)
    assert risk_position_size(10_000, 1, 100, 105, 0.001) == pytest.approx(20.0)  # a short's stop above
    assert risk_position_size(10_000, 1, 100, 95, 3) == pytest.approx(18.0)  # rounded down to the lot
    assert risk_position_size(10_000, 0.5, 60_000, 58_500, 0.0001) == pytest.approx(0.0333)
    assert risk_position_size(0, 1, 100, 95, 0.01) == 0.0


def test_risk_size_refuses_what_cannot_size():
    from grace_desktop.domain.errors import DomainError
    from grace_desktop.domain.sizing import risk_position_size

    for args, field in (((10_000, 0, 100, 95, 0.01), "risk_percent"), ((10_000, 100, 100, 95, 0.01), "risk_percent"),
                        ((10_000, 1, 100, 100, 0.01), "stop_loss"), ((10_000, 1, 100, -1, 0.01), "stop")):
        with pytest.raises(DomainError) as info:
            risk_position_size(*args)
        assert info.value.field == field


def test_risk_size_capped_by_safe_size_and_margin():
    from grace_desktop.domain.sizing import capped_risk_size

    assert capped_risk_size(20.0, {"the safe size": 12.55, "the margin": 30.0}, 0.1) == (pytest.approx(12.5), "the safe size")
    assert capped_risk_size(20.0, {"the safe size": 25.0, "the margin": 19.0}, 0.1) == (pytest.approx(19.0), "the margin")
    assert capped_risk_size(20.0, {"the safe size": 25.0, "the margin": 30.0}, 0.1) == (pytest.approx(20.0), "")
