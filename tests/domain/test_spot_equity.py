"""A spot wallet's figures: its balance is the cash left after buying, so the holdings count at their
mark (worked numbers), and a buy is limited by that cash, not by cash less what was already bought."""

from __future__ import annotations

import pytest

from grace_desktop.domain import margin
from grace_desktop.domain.enums import MarketKind
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import MarketSpec, OrderRequest, Portfolio, Position
from grace_desktop.domain.risk import RiskLimits, RiskPolicy


def wallet(cash: float = 9_800.0, mark: float = 110.0) -> Portfolio:
    # 10,000 USDC, then 2 SOL bought at 100: 9,800 USDC left in the wallet.
    sol = Position("acct", "SOL/USDC", "long", 2.0, 100.0, 1.0, 200.0)
    return Portfolio("acct", cash, (sol,), {"SOL/USDC": mark}, margin_mode="spot")


def test_equity_is_cash_plus_holdings_at_mark():
    assert margin.held_cost(wallet()) == pytest.approx(200.0)
    assert margin.equity(wallet()) == pytest.approx(9_800.0 + 2 * 110.0)  # 10,020
    assert margin.equity(wallet(mark=100.0)) == pytest.approx(10_000.0)  # bought at the mark: nothing lost


def test_free_collateral_is_the_cash_left():
    assert margin.free_collateral(wallet()) == pytest.approx(9_800.0)
    assert margin.free_collateral(wallet(mark=90.0)) == pytest.approx(9_800.0)


def test_account_leverage_stays_below_one():
    assert margin.account_leverage(wallet()) == pytest.approx(220.0 / 10_020.0)
    # Buy 1 more SOL at 110, fee 0.11: 330 of tokens over 10,020 - 0.11 of equity.
    after = margin.account_leverage_after(wallet(), "SOL/USDC", "buy", 1.0, 110.0, fee_paid=0.11)
    assert after == pytest.approx(330.0 / 10_019.89)


def test_a_margin_account_is_unchanged():
    paper = Portfolio("acct", 10_000.0, wallet().positions, {"SOL/USDC": 110.0})
    assert margin.held_cost(paper) == 0.0
    assert margin.equity(paper) == pytest.approx(10_020.0)
    assert margin.free_collateral(paper) == pytest.approx(10_020.0 - 220.0)


def test_risk_lets_a_buy_spend_all_the_cash_and_no_more():
    spec = MarketSpec("SOL/USDC", MarketKind.SPOT, "SOL", "USDC", tick_size=0.01, lot_size=0.001,
                      taker_fee=0.001, maker_fee=0.001)
    policy = RiskPolicy(RiskLimits(max_leverage=10.0, max_account_leverage=5.0))
    # 89 SOL at 110 = 9,790 plus a 9.79 fee: 9,799.79 of the 9,800 left.
    ok = policy.evaluate(OrderRequest("acct", "SOL/USDC", "buy", 89.0), spec, wallet(), 110.0)
    assert ok.approved, ok.reasons
    assert ok.free_collateral == pytest.approx(9_800.0)
    too_much = policy.evaluate(OrderRequest("acct", "SOL/USDC", "buy", 90.0), spec, wallet(), 110.0)
    assert not too_much.approved
    assert "exceeds free collateral 9,800.00" in too_much.reasons[0].message


def test_unknown_margin_mode_is_refused():
    with pytest.raises(DomainError, match="margin_mode"):
        Portfolio("acct", 1.0, (), {}, margin_mode="cash")
