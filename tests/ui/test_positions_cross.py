"""Positions on a Mango (cross-margin) account: the liquidation price is the account's, from domain.mango_health."""

from __future__ import annotations

from dataclasses import replace

from grace_desktop.domain import mango_health, margin
from grace_desktop.domain.models import Portfolio, Position
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.positions_model import COL_DIST, COL_ENTRY, COL_LIQ, PositionsModel
from grace_desktop.ui.qt import Qt
from tests.ui.domain_backend import SPECS

BTC = Position("mango", "BTC-PERP", "long", 0.5, 60_000.0, leverage=3, collateral=10_000.0)
SOL = Position("mango", "SOL-PERP", "short", 20, 150.0, leverage=3, collateral=1_000.0)
MARKS = {"BTC-PERP": 61_000.0, "SOL-PERP": 140.0}


def cross(*positions: Position, marks=None) -> Portfolio:
    return Portfolio("mango", 4_000.0, positions, dict(marks or MARKS), margin_mode="mango_cross")


def text(model: PositionsModel, row: int, col: int) -> str:
    return model.data(model.index(row, col), Qt.ItemDataRole.DisplayRole)


def test_cross_account_shows_account_health_liquidation_not_isolated():
    model = PositionsModel()
    model.set_markets(SPECS)
    account = cross(BTC, SOL)
    model.set_portfolio(account)
    for row, pos in enumerate((BTC, SOL)):
        spec = SPECS[pos.market]
        ours = mango_health.liquidation_price(account, SPECS, pos.market)
        isolated = margin.position_liquidation_price(pos, spec.maint_margin)
        assert ours > 0 and abs(ours - isolated) > spec.tick_size  # the two models really differ here
        assert text(model, row, COL_LIQ) == fmt.liquidation(ours, spec.tick_size)
        assert text(model, row, COL_ENTRY) == fmt.price(pos.entry_price, spec.tick_size)  # the venue's entry
        assert model.row_at(row).distance == margin.distance_to_liquidation_pct(pos.side, MARKS[pos.market], ours)


def test_cross_liquidation_follows_the_other_markets_marks(qtbot):
    model = PositionsModel()
    model.set_markets(SPECS)
    model.set_portfolio(cross(BTC, SOL))
    before = model.row_at(0).liq
    # SOL rallies against the short: the account is poorer, so BTC's liquidation price rises.
    with qtbot.waitSignal(model.dataChanged):
        model.update_marks({"SOL-PERP": 170.0})
    after = model.row_at(0).liq
    expected = mango_health.liquidation_price(cross(BTC, SOL, marks={**MARKS, "SOL-PERP": 170.0}), SPECS, "BTC-PERP")
    assert after == expected and after > before
    assert text(model, 0, COL_LIQ) == fmt.liquidation(expected, SPECS["BTC-PERP"].tick_size)
    assert text(model, 0, COL_DIST) == fmt.percent(margin.distance_to_liquidation_pct(BTC.side, 61_000.0, expected))


def test_account_turning_isolated_drops_the_cross_figures():
    model = PositionsModel()
    model.set_markets(SPECS)
    model.set_portfolio(cross(BTC))
    isolated = replace(cross(BTC), margin_mode="isolated")
    model.set_portfolio(replace(isolated, positions=(replace(BTC, size=0.4),)))
    pos = model.row_at(0).position
    assert model.row_at(0).liq == margin.position_liquidation_price(pos, SPECS["BTC-PERP"].maint_margin)
