"""Chart, journal (paging, filters, totals, CSV), status bar and tray against real storage."""

from __future__ import annotations

import csv

import pytest

from grace_desktop.domain import margin
from grace_desktop.domain.models import Portfolio, Position
from grace_desktop.storage import TradeRecord, open_storage
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.chart_panel import ChartPanel
from grace_desktop.ui.journal_panel import PAGE_SIZE, JournalPanel
from grace_desktop.ui.status_bar import TradingStatusBar
from grace_desktop.ui.tasks import TaskKeeper
from grace_desktop.ui.tray import TrayController, should_notify


@pytest.fixture
def store(tmp_path):
    s = open_storage(tmp_path)
    yield s
    s.close()


def test_equity_curve_from_storage(qtbot, store):
    store.accounts.ensure("paper", "paper")
    for i in range(5):
        store.equity.record("paper", 1_700_000_000 + i * 60, 10_000 + 10 * i, 9_000)
    chart = ChartPanel()
    qtbot.addWidget(chart)
    chart.set_equity_curve(store.equity.curve("paper"))
    assert list(chart.equity_curve.yData) == [10_000, 10_010, 10_020, 10_030, 10_040]
    assert "+40.00" in chart.equity_label.text()


def trade(i, market="BTC-PERP", account="paper", pnl=10.0):
    closed = 1_700_000_000 + i * 3600
    return TradeRecord(account, market, "long", 0.1, 60_000, 60_100, pnl, 1.0, closed - 60, closed, close_reason="take_profit")


async def test_journal_pages_filters_totals_and_exports(qtbot, store, tmp_path, monkeypatch):
    store.trades.record_many([trade(i, pnl=10.0 if i % 3 else -5.0) for i in range(PAGE_SIZE + 20)])
    store.trades.record(trade(500, market="SOL-PERP", account="swing", pnl=3.0))
    tasks = TaskKeeper()
    panel = JournalPanel(tasks)
    qtbot.addWidget(panel)
    await panel.bind(store, ["paper", "swing"], ["BTC-PERP", "SOL-PERP"])
    assert panel.trade_view.objectName() == "journalTable"
    assert panel.trades.rowCount() == PAGE_SIZE
    assert panel.trades.records()[0].market == "SOL-PERP"  # newest first
    totals = store.trades.totals()
    assert f"{totals.count} trades" in panel.totals_label.text()
    assert fmt.money(totals.realized_pnl, signed=True) in panel.totals_label.text()

    await panel.page(+1)
    assert panel.trades.rowCount() == PAGE_SIZE + 21 - PAGE_SIZE
    assert panel.newer_button.isEnabled()
    await panel.page(-1)
    assert panel.trades.rowCount() == PAGE_SIZE

    panel.market_filter.setCurrentIndex(panel.market_filter.findData("SOL-PERP"))
    await panel.refresh()
    assert [t.market for t in panel.trades.records()] == ["SOL-PERP"]
    assert "1 trade ·" in panel.totals_label.text()

    panel.market_filter.setCurrentIndex(0)
    panel.account_filter.setCurrentIndex(panel.account_filter.findData("paper"))
    panel.since_check.setChecked(True)
    from datetime import date
    panel.since_edit.setDate(date.fromtimestamp(1_700_000_000 + 100 * 3600))
    await panel.refresh()
    f = panel.filters()
    assert f["account"] == "paper" and f["since"] is not None
    assert panel.trades.rowCount() == store.trades.totals(**f).count < PAGE_SIZE

    target = tmp_path / "out.csv"
    monkeypatch.setattr(JournalPanel, "choose_export_path", classmethod(lambda cls, parent, done: done(str(target))))
    panel.export()
    assert await panel.last_export == panel.trades.rowCount()
    with target.open() as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == panel.trades.rowCount() + 1  # header
    assert "Exported" in panel.status_label.text()
    await tasks.close()


def test_status_bar_shows_domain_figures(qtbot):
    bar = TradingStatusBar()
    qtbot.addWidget(bar)
    p = Portfolio("paper", 10_000.0, (Position("paper", "BTC-PERP", "long", 0.5, 60_000, 5),), {"BTC-PERP": 61_000.0})
    bar.set_portfolio(p, max_account_leverage=5)
    assert fmt.money(margin.equity(p)) in bar.equity_label.text()
    assert fmt.money(margin.free_collateral(p)) in bar.free_label.text()
    assert fmt.leverage(margin.account_leverage(p)) in bar.leverage_label.text()
    bar.set_venue("paper", True, "simulated")
    bar.set_venue("mango_v3", False, "connection refused")
    assert "connected" in bar.venue_labels["paper"].text()
    assert "disconnected" in bar.venue_labels["mango_v3"].text()
    assert bar.venue_labels["mango_v3"].toolTip() == "connection refused"


def test_tray_menu_and_notifications(qtbot):
    tray = TrayController()
    toggles = []
    tray.auto_trading_toggled.connect(toggles.append)
    tray.auto_action.trigger()
    assert toggles == [True]
    tray.set_auto_trading(False)  # reflecting state does not emit
    assert toggles == [True] and not tray.auto_action.isChecked()
    with qtbot.waitSignal(tray.quit_requested, timeout=500):
        tray.quit_action.trigger()
    assert should_notify("info", "Take profit fired") and should_notify("error", "Order failed")
    assert not should_notify("info", "Recovered orders")
    tray.notify("info", "Stop loss fired", "BTC-PERP closed at 58,000")
    tray.notify("info", "Settings saved", "")
    assert tray.notifications == [("Stop loss fired", "BTC-PERP closed at 58,000")]
    tray.hide()
