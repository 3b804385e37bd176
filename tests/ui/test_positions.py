"""Positions model: figures from domain.margin, minimal repaint signals, row actions."""

from __future__ import annotations

import pytest

from grace_desktop.domain import margin
from grace_desktop.domain.models import Portfolio, Position
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.positions_model import (
    COL_ACTIONS,
    COL_DIST,
    COL_LIQ,
    COL_MARK,
    COL_PNL,
    COL_PNL_PCT,
    DANGER_PCT,
    PositionsModel,
    distance_colour,
)
from grace_desktop.ui.positions_panel import PositionsPanel
from grace_desktop.ui.qt import GREEN, RED, QColor, Qt, QtCore

QPoint = QtCore.QPoint
from tests.ui.domain_backend import SPECS

BTC = Position("paper", "BTC-PERP", "long", 0.5, 60_000.0, leverage=10, collateral=3_000.0)
SOL = Position("paper", "SOL-PERP", "short", 20, 150.0, leverage=5)


def portfolio(*positions, marks=None, account="paper"):
    return Portfolio(account, 10_000.0, tuple(positions), marks or {"BTC-PERP": 61_000.0, "SOL-PERP": 140.0})


@pytest.fixture
def model():
    m = PositionsModel()
    m.set_markets(SPECS)
    return m


def cell(model, row, col, role=Qt.ItemDataRole.DisplayRole):
    return model.data(model.index(row, col), role)


def test_model_passes_qt_model_tester(qtmodeltester, model):
    model.set_portfolio(portfolio(BTC, SOL))
    qtmodeltester.check(model, force_py=True)


def test_figures_equal_domain(model):
    model.set_portfolio(portfolio(BTC, SOL))
    assert model.rowCount() == 2
    for row, (pos, mark) in enumerate(((BTC, 61_000.0), (SOL, 140.0))):
        spec = SPECS[pos.market]
        liq = margin.position_liquidation_price(pos, spec.maint_margin)
        assert cell(model, row, COL_MARK) == fmt.price(mark, spec.tick_size)
        assert cell(model, row, COL_PNL) == fmt.money(pos.unrealized_pnl(mark), signed=True)
        assert cell(model, row, COL_PNL_PCT) == fmt.percent(margin.pnl_percent(pos, mark), signed=True)
        assert cell(model, row, COL_LIQ) == fmt.liquidation(liq, spec.tick_size)
        assert cell(model, row, COL_DIST) == fmt.percent(margin.distance_to_liquidation_pct(pos.side, mark, liq))
    assert cell(model, 0, COL_PNL, Qt.ItemDataRole.ForegroundRole) == QColor(GREEN)  # long, up
    assert cell(model, 1, COL_PNL, Qt.ItemDataRole.ForegroundRole) == QColor(GREEN)  # short, down


def test_mark_update_repaints_only_changed_rows_live_columns(qtbot, model):
    model.set_portfolio(portfolio(BTC, SOL))
    seen = []
    model.dataChanged.connect(lambda a, b, roles=None: seen.append((a.row(), a.column(), b.row(), b.column())))
    model.update_marks({"SOL-PERP": 141.0, "ETH-PERP": 3000.0})
    assert seen == [(1, COL_MARK, 1, COL_DIST)]
    seen.clear()
    model.update_marks({"SOL-PERP": 141.0})  # unchanged: no repaint
    assert seen == []


def test_rows_follow_portfolio_and_other_accounts_stay(model):
    model.set_portfolio(portfolio(BTC, SOL))
    other = Position("swing", "BTC-PERP", "short", 0.1, 59_000.0, leverage=2)
    model.set_portfolio(portfolio(other, account="swing"))
    assert model.rowCount() == 3
    model.set_portfolio(portfolio(SOL))  # BTC closed on "paper"
    assert [model.key_at(r) for r in range(model.rowCount())] == [("paper", "SOL-PERP"), ("swing", "BTC-PERP")]
    reduced = Position("paper", "SOL-PERP", "short", 10, 150.0, leverage=5)
    model.set_portfolio(portfolio(reduced))
    assert model.row_at(model.row_of("paper", "SOL-PERP")).position.size == 10


def test_distance_colour_grades():
    assert distance_colour(DANGER_PCT - 0.1) == QColor(RED)
    assert distance_colour(50) == QColor(GREEN)
    mid = distance_colour(10)
    assert mid not in (QColor(RED), QColor(GREEN))


def test_row_buttons_and_selection_emit_close(qtbot):
    panel = PositionsPanel()
    panel.model.set_markets(SPECS)
    qtbot.addWidget(panel)
    panel.resize(1300, 300)
    panel.show()
    panel.model.set_portfolio(portfolio(BTC, SOL))
    assert not panel.empty.isVisible()
    table = panel.table
    assert table.objectName() == "positionsTable"
    rect = table.visualRect(panel.proxy.index(1, COL_ACTIONS))
    with qtbot.waitSignal(panel.close_requested, timeout=1000) as sig:
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center() - QPoint(rect.width() // 4, 0))
    assert sig.args == ["paper", "SOL-PERP", 1.0]
    with qtbot.waitSignal(panel.close_requested, timeout=1000) as sig:
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center() + QPoint(rect.width() // 4, 0))
    assert sig.args == ["paper", "SOL-PERP", 0.5]
    table.selectRow(0)
    with qtbot.waitSignal(panel.close_requested, timeout=1000) as sig:
        assert panel.close_selected(0.5)
    assert sig.args == ["paper", "BTC-PERP", 0.5]
    panel.model.set_portfolio(portfolio())
    assert panel.empty.isVisible()
