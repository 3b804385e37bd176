"""Mango V3 account health with worked numbers (MANGO_V3_API.md §3), and the cross-margin risk check."""

from __future__ import annotations

import math

import pytest

from grace_desktop.domain import mango_health as mh
from grace_desktop.domain.enums import MarketKind
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import MarketSpec, OrderRequest, Portfolio, Position
from grace_desktop.domain.risk import RiskLimits, RiskPolicy


def perp(name: str, init: float = 0.05, maint: float = 0.025) -> MarketSpec:
    return MarketSpec(name, MarketKind.PERP, name.split("-")[0], "USDC", 0.01, 0.01, init_margin=init,
                      maint_margin=maint, max_leverage=1 / init, taker_fee=0.0004, maker_fee=-0.0003)


BTC, SOL, MNGO = perp("BTC-PERP"), perp("SOL-PERP"), perp("MNGO-PERP", 0.25, 0.125)
SPECS = {s.name: s for s in (BTC, SOL, MNGO)}


def account(balance: float, *positions: tuple[str, str, float, float], marks: dict[str, float] | None = None,
            mode: str = "mango_cross") -> Portfolio:
    held = tuple(Position("m", market, side, size, entry) for market, side, size, entry in positions)
    return Portfolio("m", balance, held, marks or {p.market: p.entry_price for p in held}, margin_mode=mode)


def test_weights_from_leverage():
    assert mh.weights(20) == pytest.approx((0.95, 1.05))
    assert mh.weights(40) == pytest.approx((0.975, 1.025))
    assert mh.weights(4) == pytest.approx((0.75, 1.25))


def test_doc_worked_example_long():
    # BTC-PERP, P0 = 20,000, S = 1, C = 2,000 USDC (L = 10): the doc's §3.4 example.
    acct = account(2000, ("BTC-PERP", "long", 1, 20_000))
    h = mh.account_health(acct, SPECS)
    assert h.init == pytest.approx(2000 + 20_000 * 0.95 - 20_000)  # 1000
    assert h.maint == pytest.approx(2000 + 20_000 * 0.975 - 20_000)  # 1500
    assert h.equity == pytest.approx(2000)
    assert h.free_collateral == h.init and not h.liquidatable
    assert mh.account_leverage(acct) == pytest.approx(10)
    assert mh.liquidation_price(acct, SPECS, "BTC-PERP") == pytest.approx(18_461.54, abs=0.01)
    # The service's marginAvailable for BTC-PERP: init health / (1 − 0.95) = 20,000 of extra notional.
    assert mh.margin_available(h.init, BTC.init_margin) == pytest.approx(20_000)
    assert mh.margin_available_agrees(acct, SPECS, "BTC-PERP", 20_000.0)
    assert not mh.margin_available_agrees(acct, SPECS, "BTC-PERP", 25_000.0)


def test_doc_worked_example_short():
    acct = account(2000, ("BTC-PERP", "short", 1, 20_000))
    h = mh.account_health(acct, SPECS)
    assert h.init == pytest.approx(2000 + 20_000 - 20_000 * 1.05)  # 1000
    assert h.maint == pytest.approx(1500)
    assert mh.liquidation_price(acct, SPECS, "BTC-PERP") == pytest.approx(21_463.41, abs=0.01)
    # Account leverage: liabs = 20,000 short notional; assets = 2,000 + 20,000 positive quote.
    assert mh.account_leverage(acct) == pytest.approx(20_000 / 2_000)


def test_maint_health_below_zero_is_liquidatable_at_the_liquidation_price():
    acct = account(2000, ("BTC-PERP", "long", 1, 20_000))
    liq = mh.liquidation_price(acct, SPECS, "BTC-PERP")
    at_liq = mh.account_health(account(2000, ("BTC-PERP", "long", 1, 20_000), marks={"BTC-PERP": liq}), SPECS)
    assert at_liq.maint == pytest.approx(0, abs=1e-6)
    below = mh.account_health(account(2000, ("BTC-PERP", "long", 1, 20_000), marks={"BTC-PERP": 18_000}), SPECS)
    assert below.maint == pytest.approx(2000 + 18_000 * 0.975 - 20_000)  # −450
    assert below.liquidatable and below.init < 0


def test_cross_liquidation_price_holds_the_other_positions():
    # 3,000 USDC, long 1 BTC @ 20,000 and short 10 SOL @ 100, both at entry.
    acct = account(3000, ("BTC-PERP", "long", 1, 20_000), ("SOL-PERP", "short", 10, 100))
    # H_other = 3,000 + SOL's maint leg (−10·100·1.025 + 1,000 = −25) = 2,975; BTC quote = −20,000.
    expected_btc = (20_000 - 2_975) / 0.975
    assert mh.liquidation_price(acct, SPECS, "BTC-PERP") == pytest.approx(expected_btc)
    # For SOL: H_other = 3,000 + BTC's maint leg (20,000·0.975 − 20,000 = −500) = 2,500; quote +1,000.
    expected_sol = (2_500 + 1_000) / (10 * 1.025)
    assert mh.liquidation_price(acct, SPECS, "SOL-PERP") == pytest.approx(expected_sol)
    # The same BTC long alone with its share of collateral would sit elsewhere: cross really is account-wide.
    assert expected_btc != pytest.approx(mh.liquidation_price(account(3000, ("BTC-PERP", "long", 1, 20_000)),
                                                              SPECS, "BTC-PERP"))
    assert math.isnan(mh.liquidation_price(acct, SPECS, "MNGO-PERP"))


def test_a_covered_long_is_never_liquidated():
    acct = account(50_000, ("BTC-PERP", "long", 1, 20_000))
    assert mh.liquidation_price(acct, SPECS, "BTC-PERP") == 0.0


def test_unknown_market_weighs_as_unlevered():
    acct = account(1000, ("XYZ-PERP", "long", 10, 10))
    h = mh.account_health(acct, {})
    assert h.init == pytest.approx(1000 + 100 * 0 - 100)  # its long counts for nothing


def test_after_trade_nets_reduces_and_flips():
    acct = account(2000, ("BTC-PERP", "long", 1, 20_000))
    reduced = mh.after_trade(acct, "BTC-PERP", "sell", 0.4, 21_000, fee_paid=3.36)
    pos = reduced.position("BTC-PERP")
    assert pos is not None and pos.size == pytest.approx(0.6) and pos.entry_price == 20_000
    assert reduced.balance == pytest.approx(2000 + 0.4 * 1000 - 3.36)
    flipped = mh.after_trade(acct, "BTC-PERP", "sell", 1.5, 21_000)
    pos = flipped.position("BTC-PERP")
    assert pos is not None and pos.side.value == "short" and pos.size == pytest.approx(0.5)
    assert pos.entry_price == 21_000 and flipped.balance == pytest.approx(3000)
    added = mh.after_trade(acct, "BTC-PERP", "buy", 1, 22_000)
    pos = added.position("BTC-PERP")
    assert pos is not None and pos.size == 2 and pos.entry_price == pytest.approx(21_000)
    closed = mh.after_trade(acct, "BTC-PERP", "sell", 1, 19_000)
    assert closed.position("BTC-PERP") is None and closed.balance == pytest.approx(1000)


def test_leverage_after_a_trade():
    flat = account(2000)
    # Buy 0.5 BTC at 20,000 paying 4 bp (4 USDC): 10,000 liabs over 1,996 of value.
    assert mh.leverage_after(flat, "BTC-PERP", "buy", 0.5, 20_000, fee_paid=4.0) == pytest.approx(10_000 / 1_996)
    assert mh.account_leverage(flat) == 0.0


def test_free_collateral_and_liquidation_dispatch_on_margin_mode():
    isolated = account(2000, ("BTC-PERP", "long", 1, 20_000), mode="isolated")
    cross = account(2000, ("BTC-PERP", "long", 1, 20_000))
    pos = cross.positions[0]
    assert mh.free_collateral(isolated, SPECS) == pytest.approx(2000 - 20_000 / 1)  # leverage 1 on the Position
    assert mh.free_collateral(cross, SPECS) == pytest.approx(1000)
    assert mh.position_liquidation_price(cross, pos, SPECS) == pytest.approx(18_461.54, abs=0.01)
    assert mh.position_liquidation_price(isolated, pos, SPECS) == 0.0  # a 1x isolated long


def test_portfolio_refuses_an_unknown_margin_mode():
    with pytest.raises(DomainError, match="margin_mode"):
        Portfolio("m", 1.0, margin_mode="cross")


# --- the risk check on a Mango account ---------------------------------------------------------

POLICY = RiskPolicy(RiskLimits(max_leverage=20, max_account_leverage=20))


def _buy(size: float, leverage: float) -> OrderRequest:
    return OrderRequest("m", "BTC-PERP", "buy", size, leverage=leverage)


def test_cross_order_within_the_ticket_leverage_is_approved_with_mango_numbers():
    decision = POLICY.evaluate(_buy(0.4, 5), BTC, account(2000), 20_000, specs=SPECS)
    assert decision.approved, decision.explain()
    assert decision.fee == pytest.approx(3.2)
    # After: 1,996.8 USDC, long 0.4 @ 20,000 → init = 1,996.8 + 8,000·0.95 − 8,000 = 1,596.8.
    assert decision.free_collateral == pytest.approx(2000)
    assert decision.free_collateral_after == pytest.approx(1596.8)
    assert decision.required_margin == pytest.approx(8000 * 0.05 + 3.2)
    assert decision.account_leverage_after == pytest.approx(8000 / 1996.8)
    assert decision.liquidation_price == pytest.approx((8000 - 1996.8) / (0.4 * 0.975))


def test_cross_ticket_leverage_is_the_account_leverage_after_the_trade():
    decision = POLICY.evaluate(_buy(0.5, 5), BTC, account(2000), 20_000, specs=SPECS)
    assert not decision.approved  # 10,000 / 1,996 = 5.01x > 5x
    assert [r.code for r in decision.reasons] == ["leverage"]
    assert "5.01x exceeds the 5x set on the ticket" in decision.explain()


def test_cross_init_health_gates_new_orders():
    # 2.1 BTC at 20x: init after = 1,983.2 + 42,000·0.95 − 42,000 = −116.8 < 0.
    decision = POLICY.evaluate(_buy(2.1, 20), BTC, account(2000), 20_000, specs=SPECS)
    assert "margin" in [r.code for r in decision.reasons]
    assert decision.free_collateral_after == pytest.approx(2000 - 16.8 - 2100)
    # A reduce-only close is never gated, even on an account below init health.
    underwater = account(2000, ("BTC-PERP", "long", 1, 20_000), marks={"BTC-PERP": 18_000})
    close = OrderRequest("m", "BTC-PERP", "sell", 1, leverage=10, reduce_only=True)
    assert POLICY.evaluate(close, BTC, underwater, 18_000, specs=SPECS).approved


def test_cross_uses_the_other_markets_weights():
    # A MNGO long (4x init) eats more init health than the same notional of BTC.
    mngo = account(2000, ("MNGO-PERP", "long", 10_000, 0.1))
    btc = account(2000, ("BTC-PERP", "long", 0.05, 20_000))
    assert mh.account_health(mngo, SPECS).init < mh.account_health(btc, SPECS).init
    with_mngo = POLICY.evaluate(_buy(0.01, 20), BTC, mngo, 20_000, specs=SPECS)
    with_btc = POLICY.evaluate(_buy(0.01, 20), BTC, btc, 20_000, specs=SPECS)
    assert with_mngo.free_collateral_after < with_btc.free_collateral_after
