"""The candle chart: candles per timeframe from ticks, levels and their labels, the visible-range
item with 100,000 candles, the order book's click-to-price, price history across a restart."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from grace_desktop.domain.candles import TIMEFRAMES, aggregate
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.candles_series import CandleBook, CandleSeries
from grace_desktop.ui.chart_panel import ChartLevels, ChartPanel
from grace_desktop.ui.order_book import OrderBookView
from grace_desktop.ui.qt import QApplication, QtCore

T0 = datetime(2026, 12, 1, 3, 58, tzinfo=UTC).timestamp()  # two minutes before a 4h boundary


@pytest.fixture
def chart(qtbot):
    panel = ChartPanel()
    panel.resize(1200, 600)
    panel.show()
    panel.set_markets(["BTC-PERP", "SOL-PERP"], {"BTC-PERP": 0.5, "SOL-PERP": 0.001})
    yield panel
    # Deleted here, in this synchronous test, rather than by qtbot's deleteLater(): that runs the
    # plot's C++ teardown inside whichever later test spins the (qasync) event loop first.
    panel.close()
    panel.deleteLater()
    QApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)


def test_candles_from_ticks_in_every_timeframe_across_boundaries(chart):
    rng = np.random.default_rng(1)
    ts = np.sort(T0 + rng.uniform(0, 5 * 3600, 2000))  # crosses 04:00 and 08:00 UTC
    px = 60_000 + np.cumsum(rng.normal(0, 5, len(ts)))
    ticks = [("BTC-PERP", float(t), float(p)) for t, p in zip(ts, px, strict=True)]
    # In uneven batches, as the bridge delivers them.
    for i in range(0, len(ticks), 137):
        chart.add_ticks(ticks[i:i + 137])
    for name, seconds in TIMEFRAMES.items():
        expected = [b.as_tuple() for b in aggregate(zip(ts.tolist(), px.tolist(), strict=True), seconds)]
        got = [tuple(r) for r in chart.book.series("BTC-PERP", seconds).view.tolist()]
        assert got == expected, name
    chart.set_timeframe("4h")
    assert chart.timeframe_combo.currentText() == "4h" and chart.timeframe_combo.objectName() == "timeframeCombo"
    s = chart.series()
    assert [datetime.fromtimestamp(t, UTC).hour for t in s.column(0)] == [0, 4, 8]
    chart.refresh()
    chart.plot.grab()  # paints
    assert chart.view.candles.last_drawn == 3
    assert chart.last_label.text() == f"BTC-PERP  {fmt.price(px[-1], 0.5)}"


def test_levels_are_labelled_apart_and_liquidation_shown_on_request(chart):
    chart.add_ticks([("BTC-PERP", T0 + i * 60, 60_000 + i) for i in range(50)])
    chart.refresh()
    chart.set_levels(ChartLevels(entry=60_000, take_profit=60_300, stop_loss=59_800, liquidation=50_000))
    lines = chart.lines
    assert lines["entry"].isVisible() and lines["liquidation"].isVisible()
    assert not lines["trailing_stop"].isVisible()
    assert lines["take_profit"].label.format == f"TP {fmt.price(60_300, 0.5)}"
    lo, hi = chart.plot.getViewBox().viewRange()[1]
    assert 50_000 < lo < 59_800 and hi > 60_300
    assert chart.liq_label.text().startswith(f"Liq. {fmt.price(50_000, 0.5)}")
    chart.fit_levels.setChecked(True)
    lo, _hi = chart.plot.getViewBox().viewRange()[1]
    assert lo < 50_000
    # QA 18: zoomed out, entry, TP and SL are pixels apart; their labels must not cover each other.
    chart.plot.grab()  # paints the labels
    painted = chart.view.levels.labels.rects
    boxes = [painted[lines[n].label.format] for n in ("entry", "take_profit", "stop_loss", "liquidation")]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.intersects(b)
    assert lines["take_profit"].movable and lines["stop_loss"].movable and not lines["entry"].movable
    chart.select_market("SOL-PERP")
    assert not lines["entry"].isVisible()  # levels belong to the previous market


def test_hundred_thousand_candles_paint_only_what_the_view_can_show(chart):
    n = 100_000
    rows = np.empty((n, 6))
    rows[:, 0] = T0 + np.arange(n) * 60.0
    close = 60_000 + np.cumsum(np.random.default_rng(2).normal(0, 10, n))
    rows[:, 1] = np.r_[close[0], close[:-1]]
    rows[:, 4] = close
    rows[:, 2] = np.maximum(rows[:, 1], close) + 5
    rows[:, 3] = np.minimum(rows[:, 1], close) - 5
    rows[:, 5] = 1.0
    chart.book.load("BTC-PERP", 60, rows)
    chart.history_loaded("BTC-PERP", "1m")
    item = chart.view.candles
    chart.view.show_all()
    chart.plot.grab()  # paints
    width = chart.view.vb.width()
    assert 0 < item.last_drawn <= width / 2
    ts, _w, o, h, lo, c, v = item.visible(*chart.view.vb.viewRange()[0], width)
    assert h.max() == rows[:, 2].max() and lo.min() == rows[:, 3].min()  # merged candles keep the extremes
    assert v.sum() == pytest.approx(n)  # and every bar's volume
    assert chart.view.follow
    chart.view.show_latest(60)
    chart.plot.grab()
    assert 56 <= item.last_drawn <= 58  # 60 bars wide, the newest 4 bars from the right edge
    # New bars at the live edge scroll the view along; after a pan into the past they do not.
    chart.add_ticks([("BTC-PERP", rows[-1, 0] + 60 * k, 60_000.0) for k in range(1, 4)])
    chart.refresh()
    assert chart.view.vb.viewRange()[0][1] >= rows[-1, 0] + 180
    chart.view.vb.setXRange(T0, T0 + 3600, padding=0)
    chart.view._on_user_range()
    assert not chart.view.follow
    chart.add_ticks([("BTC-PERP", rows[-1, 0] + 600, 60_000.0)])
    chart.refresh()
    assert chart.view.vb.viewRange()[0][0] == pytest.approx(T0)


def test_crosshair_reads_out_the_candle_under_the_mouse(chart):
    chart.add_ticks([("BTC-PERP", T0 + 1, 100.0), ("BTC-PERP", T0 + 20, 104.0), ("BTC-PERP", T0 + 40, 99.0),
                     ("BTC-PERP", T0 + 50, 101.0)])
    text = chart.view.readout(T0 + 30, 100.0)
    assert "O 100.0" in text and "H 104.0" in text and "L 99.0" in text and "C 101.0" in text
    assert "03:58 UTC" in text


def test_series_grows_and_replaces_its_last_bar():
    s = CandleSeries(60, capacity=2)
    book = CandleBook()
    book.add_ticks([("X", 0.0, 1.0), ("X", 61.0, 2.0), ("X", 125.0, 3.0), ("X", 130.0, 4.0)])
    s = book.series("X", 60)
    assert s.view[:, 4].tolist() == [1.0, 2.0, 4.0]
    assert [bar[0] for _m, sec, bar in book.take_closed() if sec == 60] == [0.0, 60.0, 120.0]


def test_order_book_click_gives_the_price(qtbot):
    view = OrderBookView(depth=3)
    qtbot.addWidget(view)
    view.set_book("BTC-PERP", [(99.0, 1.0), (98.0, 2.0)], [(101.0, 1.0), (102.0, 3.0), (103.0, 1.0)], 0.5)
    assert view.table.objectName() == "orderBookView"
    assert [view.table.item(r, 0).text() for r in range(6)] == ["103.0", "102.0", "101.0", "99.0", "98.0", ""]
    got = []
    view.price_clicked.connect(got.append)
    view.table.cellClicked.emit(2, 0)
    view.table.cellClicked.emit(5, 0)  # an empty row gives nothing
    assert got == [101.0]
    assert "spread 2.0" in view.title.text()


def test_a_live_tick_repaints_only_the_last_candle_and_the_picture_is_the_same(chart):
    # Three price updates a bar, two in the last: one more keeps the volume scale.
    chart.add_ticks([("BTC-PERP", T0 + i * 60 + k, 60_000 + 40 * ((i * 7) % 5) + k)
                     for i in range(40) for k in (0, 20, 40) if i < 39 or k < 40])
    chart.refresh()
    chart.plot.grab()
    last_ts = T0 + 39 * 60
    updates = []
    item = chart.view.candles
    original = item.update
    item.update = lambda *args: (updates.append(args), original(*args))[1]
    chart.add_ticks([("BTC-PERP", last_ts + 50, 60_090.0)])  # inside the last bar and the y-range
    chart.refresh()
    assert len(updates) == 1 and len(updates[0]) == 1  # a rectangle, not the whole item
    partial = chart.plot.grab().toImage()
    item.update = original
    item.update()
    full = chart.plot.grab().toImage()
    assert partial == full
