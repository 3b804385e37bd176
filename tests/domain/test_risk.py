"""The risk policy: approved orders, and every reason an order is refused or its leverage clamped."""

from __future__ import annotations

import pytest

from grace_desktop.domain import margin
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import MarketSpec, OrderRequest, Portfolio, Position
from grace_desktop.domain.risk import RiskLimits, RiskPolicy


def _request(side="buy", size=0.1, leverage=5.0, **kw) -> OrderRequest:
    return OrderRequest(account="acct", market="BTC-PERP", side=side, size=size, leverage=leverage, **kw)


def _codes(decision) -> list[str]:
    return [r.code for r in decision.reasons]


FLAT = Portfolio("acct", 1000.0)


def test_approved_order_reports_its_numbers(btc_perp: MarketSpec):
    decision = RiskPolicy().evaluate(_request(), btc_perp, FLAT, price=30_000)
    assert decision.approved and decision.reasons == ()
    assert decision.fee == pytest.approx(1.2)  # 3000 notional · 4 bp
    assert decision.required_margin == pytest.approx(3000 / 5 + 1.2)
    assert decision.free_collateral == pytest.approx(1000.0)
    assert decision.free_collateral_after == pytest.approx(1000 - 601.2)
    assert decision.account_leverage_after == pytest.approx(3000 / 998.8)
    assert decision.liquidation_price == pytest.approx(margin.liquidation_price("long", 30_000, 5, 0.025))
    assert decision.leverage == decision.requested_leverage == 5.0
    assert not decision.clamped
    assert decision.explain() == "approved"


def test_limit_price_is_used_over_the_mark(btc_perp: MarketSpec):
    request = _request(order_type="limit", price=20_000.0)
    decision = RiskPolicy().evaluate(request, btc_perp, FLAT, price=30_000)
    assert decision.required_margin == pytest.approx(2000 / 5 + 0.8)


def test_margin_short_is_refused(btc_perp: MarketSpec):
    policy = RiskPolicy(RiskLimits(max_account_leverage=50))
    decision = policy.evaluate(_request(leverage=2), btc_perp, FLAT, price=30_000)
    assert not decision.approved
    assert _codes(decision) == ["margin"]
    assert "1,501.20" in decision.explain() and "1,000.00" in decision.explain()
    assert decision.free_collateral_after < 0


def test_account_leverage_after_the_trade_is_refused(btc_perp: MarketSpec):
    # Before the trade the account is flat (0x); after it, 3000/998.8 ≈ 3.0x > 2x.
    policy = RiskPolicy(RiskLimits(max_account_leverage=2))
    decision = policy.evaluate(_request(leverage=10), btc_perp, FLAT, price=30_000)
    assert _codes(decision) == ["account_leverage"]
    assert "3.00x" in decision.explain() and "2x" in decision.explain()


def test_both_reasons_are_reported_together(btc_perp: MarketSpec):
    decision = RiskPolicy().evaluate(_request(size=1, leverage=10), btc_perp, FLAT, price=30_000)
    assert _codes(decision) == ["margin", "account_leverage"]
    assert decision.explain().count(";") == 1


def test_leverage_over_max_is_refused_when_not_clamping(btc_perp: MarketSpec):
    policy = RiskPolicy(RiskLimits(max_leverage=10, max_account_leverage=50))
    decision = policy.evaluate(_request(size=0.01, leverage=15), btc_perp, FLAT, price=30_000)
    assert not decision.approved
    assert _codes(decision) == ["leverage"]
    assert "15x refused" in decision.explain() and "10x" in decision.explain()


def test_leverage_over_max_is_clamped_and_reported(btc_perp: MarketSpec):
    policy = RiskPolicy(RiskLimits(max_leverage=10, max_account_leverage=50, clamp_leverage=True))
    decision = policy.evaluate(_request(size=0.01, leverage=15), btc_perp, FLAT, price=30_000)
    assert decision.approved
    assert decision.clamped and decision.leverage == 10 and decision.requested_leverage == 15
    assert decision.notes and "clamped from 15x to 10x" in decision.notes[0]
    assert decision.explain() == decision.notes[0]
    # Margin and liquidation follow the clamped leverage, not the requested one.
    assert decision.required_margin == pytest.approx(300 / 10 + 0.12)
    assert decision.liquidation_price == pytest.approx(margin.liquidation_price("long", 30_000, 10, 0.025))


def test_market_maximum_binds_below_the_account_maximum(btc_perp: MarketSpec):
    policy = RiskPolicy(RiskLimits(max_leverage=50, max_account_leverage=50))
    assert policy.allowed_leverage(btc_perp) == (20.0, None)
    decision = policy.evaluate(_request(size=0.01, leverage=25), btc_perp, FLAT, price=30_000)
    assert _codes(decision) == ["leverage"] and "20x" in decision.explain()


def test_volatility_cap_refuses_and_names_the_cap(btc_perp: MarketSpec):
    policy = RiskPolicy(RiskLimits(max_account_leverage=50))
    decision = policy.evaluate(_request(size=0.01, leverage=8), btc_perp, FLAT, price=30_000, daily_vol=0.10)
    assert _codes(decision) == ["volatility"]
    assert decision.volatility_cap is not None and decision.volatility_cap.max_leverage == 5.0
    assert "volatility cap" in decision.explain() and "10.00%" in decision.explain()
    # Within the cap the same volatility does not block, though the cap in force is still shown.
    ok = policy.evaluate(_request(size=0.01, leverage=5), btc_perp, FLAT, price=30_000, daily_vol=0.10)
    assert ok.approved and ok.volatility_cap == decision.volatility_cap
    calm = policy.evaluate(_request(size=0.01, leverage=8), btc_perp, FLAT, price=30_000, daily_vol=0.01)
    assert calm.approved and calm.volatility_cap is None


def test_volatility_cap_clamps_when_clamping(btc_perp: MarketSpec):
    policy = RiskPolicy(RiskLimits(max_account_leverage=50, clamp_leverage=True))
    decision = policy.evaluate(_request(size=0.01, leverage=8), btc_perp, FLAT, price=30_000, daily_vol=0.20)
    assert decision.approved and decision.leverage == 2.0 and decision.clamped
    assert "volatility cap" in decision.notes[0]


def test_allowed_leverage_never_below_one(btc_perp: MarketSpec):
    from grace_desktop.domain.volatility import VolatilityTier

    policy = RiskPolicy(RiskLimits(volatility_tiers=(VolatilityTier(0.01, 1.0),)))
    allowed, cap = policy.allowed_leverage(btc_perp, daily_vol=0.5)
    assert allowed == 1.0 and cap is not None


def _long_btc(size=0.1) -> Portfolio:
    pos = Position("acct", "BTC-PERP", "long", size, 30_000, leverage=5)
    # Equity has fallen so far that there is no free collateral for anything new.
    return Portfolio("acct", 600.0, (pos,), {"BTC-PERP": 30_000})


def test_reduce_only_needs_no_margin(btc_perp: MarketSpec):
    portfolio = _long_btc()
    assert margin.free_collateral(portfolio) == pytest.approx(0.0)
    request = _request(side="sell", size=0.1, reduce_only=True)
    decision = RiskPolicy().evaluate(request, btc_perp, portfolio, price=30_000)
    assert decision.approved
    assert decision.required_margin == pytest.approx(decision.fee)  # only the closing fee
    assert decision.account_leverage_after == 0.0


def test_reducing_without_the_flag_also_needs_no_margin(btc_perp: MarketSpec):
    decision = RiskPolicy().evaluate(_request(side="sell", size=0.05), btc_perp, _long_btc(), price=30_000)
    assert decision.approved
    assert decision.required_margin == pytest.approx(decision.fee)


def test_flipping_needs_margin_only_for_the_new_exposure(btc_perp: MarketSpec):
    portfolio = Portfolio("acct", 2000.0, (Position("acct", "BTC-PERP", "long", 0.1, 30_000, leverage=5),))
    request = _request(side="sell", size=0.3, leverage=5)
    decision = RiskPolicy().evaluate(request, btc_perp, portfolio, price=30_000)
    fee = 0.3 * 30_000 * 0.0004
    assert decision.required_margin == pytest.approx(0.2 * 30_000 / 5 + fee)
    assert decision.approved
    assert decision.account_leverage_after == pytest.approx(6000 / (2000 - fee))
    # The liquidation price shown is for the new short side.
    assert decision.liquidation_price == pytest.approx(margin.liquidation_price("short", 30_000, 5, 0.025))


def test_spot_market_has_no_liquidation_price(sol_spot: MarketSpec):
    request = OrderRequest(account="acct", market="SOL/USDC", side="buy", size=2, leverage=1)
    decision = RiskPolicy().evaluate(request, sol_spot, FLAT, price=150)
    assert decision.approved and decision.liquidation_price == 0.0
    assert decision.required_margin == pytest.approx(300 + 0.3)


def test_price_and_limits_are_checked(btc_perp: MarketSpec):
    with pytest.raises(DomainError) as err:
        RiskPolicy().evaluate(_request(), btc_perp, FLAT, price=0)
    assert err.value.field == "price"
    with pytest.raises(DomainError) as err:
        RiskLimits(max_account_leverage=0.5)
    assert err.value.field == "max_account_leverage"


def test_reduce_only_keeps_its_leverage_when_limits_tightened(btc_perp: MarketSpec):
    # A 10x position opened before volatility rose: closing it must not be refused or clamped.
    portfolio = Portfolio("acct", 1000.0, (Position("acct", "BTC-PERP", "long", 0.1, 30_000, leverage=10),))
    request = _request(side="sell", size=0.1, leverage=10, reduce_only=True)
    decision = RiskPolicy().evaluate(request, btc_perp, portfolio, price=30_000, daily_vol=0.5)
    assert decision.approved and not decision.clamped and decision.leverage == 10
    # The same leverage on an opening order is refused under that cap.
    opening = RiskPolicy().evaluate(_request(leverage=10), btc_perp, portfolio, price=30_000, daily_vol=0.5)
    assert "volatility" in _codes(opening)


def test_unbounded_account_leverage_is_said_in_words_not_inf():
    from grace_desktop.domain.models import MarketSpec, OrderRequest, Portfolio
    from grace_desktop.domain.risk import RiskPolicy

    spec = MarketSpec("BTC-PERP", "perp", "BTC", "USDC", tick_size=0.1, lot_size=0.0001, init_margin=0.05,
                      maint_margin=0.025, max_leverage=20, taker_fee=0.0004)
    request = OrderRequest("a", "BTC-PERP", "buy", 1e9, leverage=2.0)
    decision = RiskPolicy().evaluate(request, spec, Portfolio("a", 10_000.0), 60_000.0)
    text = decision.explain()
    assert "infx" not in text and "unbounded" in text


def test_a_spot_sell_beyond_the_holding_says_what_is_held_not_a_margin(sol_spot: MarketSpec):
    held = Position("acct", "SOL/USDC", "long", 1.0, 100.0, 1.0, 100.0)
    portfolio = Portfolio("acct", 9900.0, (held,))
    sell = OrderRequest(account="acct", market="SOL/USDC", side="sell", size=500.0, leverage=1.0)
    decision = RiskPolicy().evaluate(sell, sol_spot, portfolio, price=100.0)
    assert _codes(decision) == ["size"]
    assert decision.explain() == "SOL/USDC is spot: cannot sell 500 SOL, only 1 held"
    flat = RiskPolicy().evaluate(OrderRequest(account="acct", market="SOL/USDC", side="sell", size=0.5, leverage=1.0),
                                 sol_spot, FLAT, price=100.0)
    assert flat.explain() == "SOL/USDC is spot: cannot sell 0.5 SOL, only 0 held"
    within = RiskPolicy().evaluate(OrderRequest(account="acct", market="SOL/USDC", side="sell", size=1.0,
                                                leverage=1.0), sol_spot, portfolio, price=100.0)
    assert within.approved
