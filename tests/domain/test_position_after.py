"""The position an order leaves, with worked numbers (BTC-PERP, maintenance margin 2.5 %).

Long 1 BTC @ 60,000 at 5x: collateral 12,000, liquidation (60,000 − 12,000)/0.975 = 49,230.77.
"""

from __future__ import annotations

import pytest

from grace_desktop.domain import margin
from grace_desktop.domain.enums import OrderSide, OrderStatus, OrderType, Side
from grace_desktop.domain.models import Order, OrderRequest, Portfolio, Position
from grace_desktop.domain.order_checks import (
    check_entry_triggers,
    check_guard_buffer,
    check_stops,
    guard_trigger,
    loss_at_stop,
    reserved_margin,
    stop_levels,
)
from grace_desktop.domain.position_after import position_after
from grace_desktop.domain.risk import RiskLimits, RiskPolicy


@pytest.fixture
def long_5x() -> Position:
    return Position("a", "BTC-PERP", Side.LONG, 1.0, 60_000.0, leverage=5.0, collateral=12_000.0)


def test_open_fresh_is_the_leverage_formula(btc_perp):
    after = position_after(None, btc_perp, "buy", 1.0, 60_000.0, 10)
    assert after.kind == "open" and after.side is Side.LONG
    assert after.liquidation_price == pytest.approx(60_000 * 0.9 / 0.975)
    assert after.liquidation_price == pytest.approx(margin.liquidation_price("long", 60_000, 10, 0.025))


def test_add_at_another_leverage_blends_collateral(btc_perp, long_5x):
    # + 1 BTC @ 62,000 at 10x: collateral 12,000 + 6,200 = 18,200; size 2; average entry 61,000;
    # leverage 2 · 61,000 / 18,200 = 6.7033x; liquidation (61,000 − 9,100)/0.975 = 53,230.77.
    after = position_after(long_5x, btc_perp, "buy", 1.0, 62_000.0, 10)
    assert after.kind == "add"
    assert after.size == pytest.approx(2.0)
    assert after.position.entry_price == pytest.approx(61_000.0)
    assert after.position.collateral == pytest.approx(18_200.0)
    assert after.position.leverage == pytest.approx(122_000 / 18_200)
    assert after.liquidation_price == pytest.approx(51_900 / 0.975)
    # Not what a fresh 10x position at 62,000 would show (the bug of QA finding 7).
    assert after.liquidation_price != pytest.approx(margin.liquidation_price("long", 62_000, 10, 0.025))


def test_reduce_keeps_the_remainders_liquidation_price(btc_perp, long_5x):
    after = position_after(long_5x, btc_perp, "sell", 0.4, 62_000.0, 10)
    assert after.kind == "reduce"
    assert after.size == pytest.approx(0.6)
    assert after.position.collateral == pytest.approx(7_200.0)
    assert after.liquidation_price == pytest.approx(48_000 / 0.975)  # 49,230.77, unchanged
    assert after.closed_size == pytest.approx(0.4)
    assert after.realized_pnl == pytest.approx(800.0)  # 0.4 · (62,000 − 60,000)


def test_flip_opens_the_rest_fresh_at_the_orders_leverage(btc_perp, long_5x):
    # Sell 1.5 @ 62,000 at 4x: closes the 1 BTC long (+2,000), opens short 0.5 @ 62,000,
    # collateral 7,750, liquidation (62,000 + 15,500)/1.025 = 75,609.76.
    after = position_after(long_5x, btc_perp, "sell", 1.5, 62_000.0, 4)
    assert after.kind == "flip" and after.side is Side.SHORT
    assert after.size == pytest.approx(0.5)
    assert after.position.leverage == 4
    assert after.liquidation_price == pytest.approx(77_500 / 1.025)
    assert after.realized_pnl == pytest.approx(2_000.0)
    assert after.signed_size == pytest.approx(-0.5)


def test_close_leaves_nothing(btc_perp, long_5x):
    after = position_after(long_5x, btc_perp, OrderSide.SELL, 1.0, 59_000.0, 5)
    assert after.kind == "close" and after.position is None and after.liquidation_price is None
    assert after.realized_pnl == pytest.approx(-1_000.0)


def test_risk_decision_carries_the_after_liquidation_and_reserved_margin(btc_perp, long_5x):
    portfolio = Portfolio("a", 50_000.0, (long_5x,), {"BTC-PERP": 60_000.0})
    request = OrderRequest("a", "BTC-PERP", "buy", 1.0, OrderType.LIMIT, 62_000.0, 10)
    policy = RiskPolicy(RiskLimits(max_leverage=20, max_account_leverage=20))
    plain = policy.evaluate(request, btc_perp, portfolio, 62_000.0)
    held = policy.evaluate(request, btc_perp, portfolio, 62_000.0, reserved=1_000.0)
    assert plain.liquidation_price == pytest.approx(51_900 / 0.975)
    assert plain.after is not None and plain.after.kind == "add"
    assert held.free_collateral == pytest.approx(plain.free_collateral - 1_000.0)
    assert held.reserved_margin == 1_000.0


# ----- order checks --------------------------------------------------------------------------
def test_stop_past_liquidation_is_refused_and_close_to_it_warned():
    liq = 60_000 * 0.9 / 0.975  # 55,384.6: long 10x from 60,000
    past = check_stops(Side.LONG, liq, [("stop_loss", 55_000.0)], tick=0.5)
    assert past.reasons == ("stop_loss: liquidated at 55,384.6 before the stop at 55,000.0; "
                            "use less leverage or a closer stop",)
    near = check_stops(Side.LONG, liq, [("stop_loss", 55_700.0)])
    assert not near.reasons and "within 0.57 %" in near.warnings[0]
    assert check_stops(Side.LONG, liq, [("stop_loss", 58_000.0)]).reasons == ()
    short_liq = 60_000 * 1.1 / 1.025
    assert check_stops(Side.SHORT, short_liq, [("stop_loss", 65_000.0)]).reasons
    assert not check_stops(Side.SHORT, short_liq, [("stop_loss", 63_000.0)]).reasons
    assert check_stops(Side.LONG, 0.0, [("stop_loss", 1.0)]).reasons == ()  # a 1x long has no liquidation


def test_stop_levels_from_percentages():
    levels = dict(stop_levels(Side.LONG, 100.0, None, 5.0, 10.0))
    assert levels == {"stop_loss_percent": pytest.approx(95.0), "trailing_percent": pytest.approx(90.0)}
    assert dict(stop_levels(Side.SHORT, 100.0, 104.0, None, None)) == {"stop_loss": 104.0}


def test_entry_triggers_already_crossed():
    assert check_entry_triggers(67_033.0, 70_566.8, None).reasons[0].startswith(
        "entry_below: the mark 67,033 is already at or below 70,566.8")
    assert check_entry_triggers(67_033.0, 60_000.0, None).reasons == ()
    assert check_entry_triggers(67_033.0, None, 66_000.0).reasons[0].startswith("entry_above:")
    assert check_entry_triggers(67_033.0, None, 68_000.0).reasons == ()
    assert check_entry_triggers(None, 1.0, 2.0).reasons == ()


def test_guard_buffer_refuses_what_the_guard_would_act_on_at_once():
    position = Position("a", "BTC-PERP", Side.LONG, 0.1, 60_000.0, leverage=10)
    liq = margin.position_liquidation_price(position, 0.025)  # 55,384.6, 7.69 % below 60,000
    assert guard_trigger(Side.LONG, liq, 9.0) == pytest.approx(liq * 1.09)
    refused = check_guard_buffer(position, liq, 60_000.0, 9.0)
    assert "7.69 % from its liquidation price" in refused.reasons[0]
    assert "inside the liquidation guard's 9 % buffer" in refused.reasons[0]
    assert check_guard_buffer(position, liq, 60_000.0, 2.0).reasons == ()
    short = Position("a", "BTC-PERP", Side.SHORT, 0.1, 60_000.0, leverage=10)
    short_liq = margin.position_liquidation_price(short, 0.025)
    assert check_guard_buffer(short, short_liq, 60_000.0, 9.0).reasons
    assert check_guard_buffer(short, short_liq, 60_000.0, 2.0).reasons == ()


def test_loss_at_stop():
    position = Position("a", "BTC-PERP", Side.LONG, 20.0, 100.0, leverage=2)
    assert loss_at_stop(position, 95.0) == pytest.approx(100.0)  # 1 % of 10,000
    short = Position("a", "BTC-PERP", Side.SHORT, 20.0, 100.0, leverage=2)
    assert loss_at_stop(short, 105.0) == pytest.approx(100.0)
    assert loss_at_stop(None, 95.0) is None


def test_reserved_margin_of_resting_orders(btc_perp):
    def resting(side: str, size: float, price: float, lev: float, reduce_only: bool = False,
                status: OrderStatus = OrderStatus.OPEN) -> Order:
        request = OrderRequest("a", "BTC-PERP", side, size, OrderType.LIMIT, price, lev, reduce_only, "c")
        return Order(request, status)

    specs = {"BTC-PERP": btc_perp}
    assert reserved_margin([resting("buy", 0.1, 54_000, 3)], {}, specs) == pytest.approx(1_800.0)
    short = Position("a", "BTC-PERP", Side.SHORT, 0.04, 60_000.0, leverage=3)
    # Against a 0.04 short, a 0.1 buy only opens 0.06 of new exposure.
    assert reserved_margin([resting("buy", 0.1, 54_000, 3)], {"BTC-PERP": short}, specs) == pytest.approx(1_080.0)
    assert reserved_margin([resting("buy", 0.1, 54_000, 3, reduce_only=True)], {}, specs) == 0.0
    assert reserved_margin([resting("buy", 0.1, 54_000, 3, status=OrderStatus.CANCELLED)], {}, specs) == 0.0


def test_a_size_beyond_any_book_is_refused_for_margin_not_raised(btc_perp):
    portfolio = Portfolio("a", 10_000.0, (), {"BTC-PERP": 60_000.0})
    request = OrderRequest("a", "BTC-PERP", "buy", 1e306, OrderType.MARKET, None, 10)
    decision = RiskPolicy().evaluate(request, btc_perp, portfolio, 60_000.0)
    assert not decision.approved and decision.after is None
    assert "margin" in {r.code for r in decision.reasons}


def test_a_1x_long_has_no_liquidation_price_whatever_the_float_dust(btc_perp):
    for lots in (1, 193, 2999):
        after = position_after(None, btc_perp, "buy", lots * 0.0001, 60_000.0 * 1.005, 1.0)
        assert after.liquidation_price == 0.0
