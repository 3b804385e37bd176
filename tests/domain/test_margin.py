"""Worked numbers for every formula in domain.margin, plus the liquidation-equity property."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grace_desktop.domain import margin
from grace_desktop.domain.enums import OrderSide, Side
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import Portfolio, Position


def test_fee_and_required_margin():
    assert margin.fee(2, 100, 0.0004) == pytest.approx(0.08)
    assert margin.fee(-2, 100, 0.0004) == pytest.approx(0.08)  # sign of size does not matter
    assert margin.required_margin(2, 100, 10) == pytest.approx(20.0)
    assert margin.required_margin(2, 100, 10, fee_rate=0.0004) == pytest.approx(20.08)
    # A maker rebate never lowers the margin needed to open.
    assert margin.required_margin(2, 100, 10, fee_rate=-0.0003) == pytest.approx(20.0)
    assert margin.required_margin(0.5, 30_000, 1) == pytest.approx(15_000.0)


@pytest.mark.parametrize(
    "side, lev, m, expected",
    [
        ("long", 10, 0.05, 94.73684210526316),  # 100·0.9/0.95
        ("short", 10, 0.05, 104.76190476190476),  # 100·1.1/1.05
        ("long", 10, 0.0, 90.0),  # the naive formula is the m = 0 case
        ("short", 10, 0.0, 110.0),
        ("long", 20, 0.025, 97.43589743589743),  # 100·0.95/0.975
        ("short", 20, 0.025, 102.4390243902439),  # 100·1.05/1.025
        ("long", 2, 0.0, 50.0),
        ("short", 2, 0.0, 150.0),
        ("long", 1, 0.05, 0.0),  # a 1x long is never liquidated by price
        ("short", 1, 0.0, 200.0),
    ],
)
def test_liquidation_price_worked_numbers(side, lev, m, expected):
    assert margin.liquidation_price(side, 100, lev, m) == pytest.approx(expected, rel=1e-12)
    assert margin.liquidation_price(Side(side), 100, lev, m) == pytest.approx(expected, rel=1e-12)


def test_maintenance_margin_makes_liquidation_come_sooner_than_naive():
    for lev in (2, 5, 10, 20, 50):
        naive_long = margin.liquidation_price("long", 100, lev, 0.0)
        naive_short = margin.liquidation_price("short", 100, lev, 0.0)
        assert naive_long == pytest.approx(100 * (1 - 1 / lev))
        assert naive_short == pytest.approx(100 * (1 + 1 / lev))
        assert margin.liquidation_price("long", 100, lev, 0.025) > naive_long
        assert margin.liquidation_price("short", 100, lev, 0.025) < naive_short


def test_liquidation_price_from_collateral_worked_numbers():
    # 1 unit at 100 with 10 collateral is the 10x position above.
    assert margin.liquidation_price_from_collateral("long", 100, 1, 10, 0.05) == pytest.approx(94.73684210526316)
    assert margin.liquidation_price_from_collateral("short", 100, 1, 10, 0.05) == pytest.approx(104.76190476190476)
    # Extra collateral pushes liquidation further away: 2 units at 100, 50 posted, m = 0.
    assert margin.liquidation_price_from_collateral("long", 100, 2, 50, 0.0) == pytest.approx(75.0)
    assert margin.liquidation_price_from_collateral("short", 100, 2, 50, 0.0) == pytest.approx(125.0)
    # Collateral covering the whole notional: the long is never liquidated.
    assert margin.liquidation_price_from_collateral("long", 100, 1, 150, 0.05) == 0.0


@pytest.mark.parametrize("side", ["long", "short"])
@pytest.mark.parametrize("lev, m", [(2, 0.0), (3, 0.01), (10, 0.05), (20, 0.025), (50, 0.005)])
def test_from_collateral_equals_leverage_form_when_collateral_is_entry_margin(side, lev, m):
    size, entry = 3.7, 1234.5
    collateral = size * entry / lev
    by_collateral = margin.liquidation_price_from_collateral(side, entry, size, collateral, m)
    assert by_collateral == pytest.approx(margin.liquidation_price(side, entry, lev, m), rel=1e-12)


def test_position_liquidation_price_uses_collateral_when_posted():
    with_collateral = Position("a", "BTC-PERP", Side.LONG, 2, 100, leverage=10, collateral=50)
    without = Position("a", "BTC-PERP", Side.LONG, 2, 100, leverage=10)
    assert margin.position_liquidation_price(with_collateral, 0.0) == pytest.approx(75.0)
    assert margin.position_liquidation_price(without, 0.0) == pytest.approx(90.0)


def test_unrealized_pnl_and_percent():
    assert margin.unrealized_pnl("long", 2, 100, 110) == pytest.approx(20.0)
    assert margin.unrealized_pnl("short", 2, 100, 110) == pytest.approx(-20.0)
    assert margin.unrealized_pnl(Side.SHORT, 2, 100, 90) == pytest.approx(20.0)
    pos = Position("a", "BTC-PERP", "long", 2, 100, leverage=5, collateral=40)
    assert pos.unrealized_pnl(110) == pytest.approx(20.0)
    assert margin.pnl_percent(pos, 110) == pytest.approx(50.0)  # 20 on 40 posted
    # Without posted collateral the margin is entry notional / leverage = 40 as well.
    assert margin.pnl_percent(Position("a", "BTC-PERP", "long", 2, 100, leverage=5), 90) == pytest.approx(-50.0)
    assert margin.position_equity(pos, 90) == pytest.approx(20.0)
    assert margin.maintenance_margin(2, 90, 0.05) == pytest.approx(9.0)


def _portfolio(balance, positions=(), marks=None):
    return Portfolio("acct", balance, tuple(positions), dict(marks or {}))


def test_free_collateral_and_account_leverage():
    btc = Position("acct", "BTC-PERP", "long", 10, 100, leverage=5)
    eth = Position("acct", "ETH-PERP", "short", 2, 50, leverage=2)
    pf = _portfolio(1000, [btc, eth], {"BTC-PERP": 110, "ETH-PERP": 40})
    # equity = 1000 + 10·10 + 2·10 = 1120; used = 1100/5 + 80/2 = 260
    assert margin.equity(pf) == pytest.approx(1120.0)
    assert margin.used_initial_margin(pf) == pytest.approx(260.0)
    assert margin.free_collateral(pf) == pytest.approx(860.0)
    assert margin.total_notional(pf) == pytest.approx(1180.0)
    assert margin.account_leverage(pf) == pytest.approx(1180.0 / 1120.0)
    empty = _portfolio(1000)
    assert margin.free_collateral(empty) == 1000.0
    assert margin.account_leverage(empty) == 0.0
    # Equity wiped out while exposure remains: leverage is unbounded, not negative.
    wiped = _portfolio(100, [btc], {"BTC-PERP": 80})
    assert margin.account_leverage(wiped) == math.inf
    # A position without a mark is valued at its entry price.
    assert margin.equity(_portfolio(1000, [btc])) == pytest.approx(1000.0)


class TestAccountLeverageAfter:
    btc = Position("acct", "BTC-PERP", "long", 10, 100, leverage=5)
    pf = _portfolio(1000, [btc], {"BTC-PERP": 110})  # equity 1100, notional 1100

    def test_opening_from_flat(self):
        flat = _portfolio(1000)
        assert margin.account_leverage_after(flat, "BTC-PERP", "buy", 1, 100) == pytest.approx(0.1)
        assert margin.account_leverage_after(flat, "BTC-PERP", OrderSide.SELL, 20, 100) == pytest.approx(2.0)

    def test_adding(self):
        assert margin.account_leverage_after(self.pf, "BTC-PERP", "buy", 5, 110) == pytest.approx(1650 / 1100)

    def test_reducing(self):
        assert margin.account_leverage_after(self.pf, "BTC-PERP", "sell", 4, 110) == pytest.approx(660 / 1100)
        assert margin.account_leverage_after(self.pf, "BTC-PERP", "sell", 10, 110) == 0.0

    def test_flipping(self):
        # Long 10, sell 25 → short 15.
        assert margin.account_leverage_after(self.pf, "BTC-PERP", "sell", 25, 110) == pytest.approx(1650 / 1100)

    def test_with_fee(self):
        assert margin.account_leverage_after(self.pf, "BTC-PERP", "buy", 5, 110, fee_paid=11) == pytest.approx(1650 / 1089)

    def test_trade_price_revalues_the_position(self):
        # Buying at 120 while the mark is 110: equity 1000 + 10·20 = 1200, notional 15·120.
        assert margin.account_leverage_after(self.pf, "BTC-PERP", "buy", 5, 120) == pytest.approx(1800 / 1200)

    def test_other_markets_count_at_their_marks(self):
        eth = Position("acct", "ETH-PERP", "short", 2, 50, leverage=2)
        pf = _portfolio(1000, [self.btc, eth], {"BTC-PERP": 110, "ETH-PERP": 40})
        # equity 1120; notional after = 15·110 + 2·40 = 1730
        assert margin.account_leverage_after(pf, "BTC-PERP", "buy", 5, 110) == pytest.approx(1730 / 1120)

    def test_before_is_not_after(self):
        before = margin.account_leverage(self.pf)
        after = margin.account_leverage_after(self.pf, "BTC-PERP", "buy", 30, 110)
        assert before == pytest.approx(1.0)
        assert after == pytest.approx(4.0)


def test_distance_to_liquidation_pct():
    liq_long = margin.liquidation_price("long", 100, 10, 0.05)
    liq_short = margin.liquidation_price("short", 100, 10, 0.05)
    assert margin.distance_to_liquidation_pct("long", 100, liq_long) == pytest.approx(5.263157894736842)
    assert margin.distance_to_liquidation_pct("short", 100, liq_short) == pytest.approx(4.761904761904762)
    assert margin.distance_to_liquidation_pct("long", 95, 90) == pytest.approx(100 * 5 / 95)
    # Past liquidation the distance is negative, not clipped.
    assert margin.distance_to_liquidation_pct("long", 85, 90) < 0
    assert margin.distance_to_liquidation_pct("long", 100, 0.0) == 100.0
    assert margin.distance_to_liquidation_pct("short", 100, math.inf) == math.inf


def test_is_liquidatable_at_and_around_the_price():
    pos = Position("a", "BTC-PERP", "short", 1, 100, leverage=10)
    liq = margin.position_liquidation_price(pos, 0.05)
    assert margin.is_liquidatable(pos, liq, 0.05)
    assert not margin.is_liquidatable(pos, liq - 0.01, 0.05)
    assert margin.leverage_for_margin(2, 100, 40) == pytest.approx(5.0)
    with pytest.raises(DomainError) as err:
        margin.leverage_for_margin(2, 100, 0)
    assert err.value.field == "collateral"


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda: margin.liquidation_price("long", 0, 10, 0.05), "entry_price"),
        (lambda: margin.liquidation_price("long", 100, 0.5, 0.05), "leverage"),
        (lambda: margin.liquidation_price("long", 100, 10, 1.0), "maint_margin"),
        (lambda: margin.liquidation_price("up", 100, 10, 0.05), "side"),
        (lambda: margin.required_margin(1, 100, 10, math.nan), "fee_rate"),
        (lambda: margin.distance_to_liquidation_pct("long", -1, 90), "mark"),
    ],
)
def test_margin_inputs_are_checked(call, field):
    with pytest.raises(DomainError) as err:
        call()
    assert err.value.field == field


@settings(max_examples=300, deadline=None)
@given(
    side=st.sampled_from([Side.LONG, Side.SHORT]),
    entry=st.floats(min_value=1e-4, max_value=1e6),
    size=st.floats(min_value=1e-4, max_value=1e5),
    lev=st.floats(min_value=1.0, max_value=125.0),
    m=st.floats(min_value=0.0, max_value=0.5),
)
def test_equity_at_liquidation_equals_maintenance_margin(side, entry, size, lev, m):
    position = Position("a", "X-PERP", side, size, entry, leverage=lev, collateral=size * entry / lev)
    p_liq = margin.liquidation_price(side, entry, lev, m)
    assert p_liq == pytest.approx(margin.position_liquidation_price(position, m), rel=1e-9, abs=1e-12 * entry)
    equity = position.collateral + position.unrealized_pnl(p_liq)
    maint = m * size * p_liq
    # Equity is a difference of notional-sized terms, so float noise scales with the notional;
    # the absolute floor only matters where the maintenance margin itself is ~0 (m = 0, L ≈ 1).
    assert math.isclose(equity, maint, rel_tol=1e-9, abs_tol=1e-12 * size * entry)
    # The engine's own figure (from posted collateral) is where liquidation starts.
    engine_liq = margin.position_liquidation_price(position, m)
    assert margin.is_liquidatable(position, engine_liq, m)
