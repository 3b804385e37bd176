"""Dragging exit lines on the real window's chart with synthetic mouse events (press, moves and
release carrying the button state, sent to the plot's viewport; QTest.mouseMove carries none)."""

from __future__ import annotations

import asyncio

import pytest

from grace_desktop.app import create_main_window
from grace_desktop.domain import margin
from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.ui.qt import QApplication, QtCore, QtGui
from tests.ui.conftest import wait_until

BTC = "BTC-PERP"
Qt = QtCore.Qt


@pytest.fixture
async def window(tmp_path):
    win = await create_main_window(tmp_path, "paper", use_tray=False, feed=None, sweep_interval=0.5)
    win.resize(1400, 900)
    win.show()
    for i, price in enumerate((60_000.0, 60_050.0, 59_980.0, 60_000.0)):
        await win.services.paper.push_tick(BTC, price, ts=1_796_000_000 + i * 20)
    await wait_until(lambda: win.services.trading.mark(BTC) == 60_000.0, what="first BTC mark")
    result = await win.services.trading.execute_trade(
        "buy", 0.01, BTC, "paper", leverage=5, conditions=TradeConditions(take_profit=61_200, stop_loss=59_000))
    assert result.success, result.message
    win.chart.select_market(BTC)
    await wait_until(lambda: win.chart.levels().take_profit == 61_200 and win.chart.levels().stop_loss == 59_000,
                     what="TP and SL lines")
    yield win
    if not win.is_closed:
        win.close()
        await asyncio.wait_for(win.wait_closed(), 10)


def stored(win, kind: str) -> list[float]:
    armed = win.services.store.conditions.armed(account="paper", market=BTC)
    return [c.params["price"] for c in armed if c.kind == kind]


def to_viewport(chart, price: float) -> QtCore.QPointF:
    """A point on the horizontal line at `price`, right of the labels, in viewport pixels."""
    vb = chart.view.vb
    (x0, x1), _ = vb.viewRange()
    scene = vb.mapViewToScene(QtCore.QPointF(x0 + (x1 - x0) * 0.8, price))
    return QtCore.QPointF(chart.plot.mapFromScene(scene))


def price_at(chart, point: QtCore.QPointF) -> float:
    return chart.view.vb.mapSceneToView(chart.plot.mapToScene(point.toPoint())).y()


def send(viewport, kind, pos: QtCore.QPointF, buttons) -> None:
    button = Qt.MouseButton.LeftButton if kind != QtCore.QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    event = QtGui.QMouseEvent(kind, pos, QtCore.QPointF(viewport.mapToGlobal(pos.toPoint())), button, buttons,
                              Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, event)


async def drag(chart, start: float, end_point: QtCore.QPointF) -> None:
    viewport = chart.plot.viewport()
    a = to_viewport(chart, start)
    left = Qt.MouseButton.LeftButton
    send(viewport, QtCore.QEvent.Type.MouseMove, a, Qt.MouseButton.NoButton)  # hover first, as a real mouse does
    send(viewport, QtCore.QEvent.Type.MouseButtonPress, a, left)
    # Over 0.6 s, as a hand does: pyqtgraph takes a short, quick move for a click, not a drag.
    for i in range(1, 11):
        p = a + (end_point - a) * (i / 10)
        send(viewport, QtCore.QEvent.Type.MouseMove, p, left)
        await asyncio.sleep(0.06)
    send(viewport, QtCore.QEvent.Type.MouseButtonRelease, end_point, Qt.MouseButton.NoButton)
    await asyncio.sleep(0)


async def test_dragging_take_profit_changes_the_condition_only_after_confirmation(window):
    chart = window.chart
    a = to_viewport(chart, 61_200)
    target = QtCore.QPointF(a.x(), a.y() - 20)  # 20 px higher: a higher take-profit
    new_price = price_at(chart, target)
    assert new_price > 61_200
    await drag(chart, 61_200, target)
    await wait_until(lambda: chart.confirm.isVisible(), what="confirm bar")
    assert chart.confirm.apply_button.isVisible()
    text = chart.confirm.label.text()
    assert text.startswith("Move the take-profit to") and "gain of" in text
    moved = chart.confirm.price
    assert moved == pytest.approx(new_price, rel=2e-4)
    assert chart.lines["take_profit"].value() == pytest.approx(moved)  # the line stays where dropped
    await asyncio.sleep(0.3)
    assert stored(window, "take_profit") == [61_200]  # nothing applied before confirmation

    chart.confirm.apply_button.click()
    await wait_until(lambda: stored(window, "take_profit") == [pytest.approx(moved)], what="stored TP moved")
    assert stored(window, "stop_loss") == [59_000]  # the other exit is untouched
    await wait_until(lambda: chart.levels().take_profit == pytest.approx(moved), what="TP line from the monitor")
    watch = window.services.monitor.watched("paper", BTC)
    assert watch is not None and watch.levels["take_profit"][0] == pytest.approx(moved)
    # The line also follows the portfolio refresh (10 Hz), which can redraw it before the apply
    # task has returned from the monitor's re-plan and said so in the bar.
    await wait_until(lambda: chart.confirm.label.text().startswith("Applied:"), what="applied message")


async def test_dragging_a_stop_past_liquidation_is_refused(window):
    chart = window.chart
    chart.fit_levels.setChecked(True)  # liquidation in view
    position = window.services.trading.portfolio("paper").position(BTC)
    liq = margin.position_liquidation_price(position, window.services.trading.spec(BTC).maint_margin)
    _, (y0, _y1) = chart.view.vb.viewRange()
    assert y0 < liq
    target_price = liq - (liq - y0) * 0.3
    a = to_viewport(chart, 59_000)
    target = QtCore.QPointF(a.x(), to_viewport(chart, target_price).y())
    await drag(chart, 59_000, target)
    await wait_until(lambda: chart.confirm.isVisible(), what="refusal")
    assert "past the liquidation price" in chart.confirm.label.text()
    assert not chart.confirm.apply_button.isVisible()
    assert chart.lines["stop_loss"].value() == 59_000  # back where it was
    await asyncio.sleep(0.3)
    assert stored(window, "stop_loss") == [59_000]


async def test_service_refuses_a_level_past_liquidation_too(window):
    from grace_desktop.services.exit_levels import set_exit_level

    change = await set_exit_level(window.services.monitor, "paper", BTC, "stop_loss", 40_000.0)
    assert not change.allowed and "liquidation" in change.reason
    change = await set_exit_level(window.services.monitor, "paper", BTC, "take_profit", 59_000.0)
    assert not change.allowed and "at once" in change.reason
    assert stored(window, "stop_loss") == [59_000] and stored(window, "take_profit") == [61_200]


async def test_dragging_a_resting_order_re_places_it_after_confirmation(window):
    chart, trading = window.chart, window.services.trading
    venue = window.services.selector.venues["paper"]
    placed = await trading.execute_trade("buy", 0.01, BTC, "paper", leverage=5, order_type="limit", price=59_500)
    assert placed.success and placed.order is not None
    key = f"order:{placed.order.client_id}"
    window.controller.chart_data.refresh_overlays()
    await wait_until(lambda: key in chart.view.levels.markers, what="order line")
    line = chart.view.levels.markers[key]
    assert line.movable and line.value() == 59_500
    a = to_viewport(chart, 59_500)
    await drag(chart, 59_500, QtCore.QPointF(a.x(), a.y() + 30))  # lower: a cheaper buy
    await wait_until(lambda: chart.confirm.isVisible(), what="confirm bar")
    assert chart.confirm.label.text().startswith("Move the buy limit of 0.01 BTC-PERP from 59,500.0 to")
    new_price = chart.confirm.price
    tick = chart.tick_size
    assert new_price < 59_500 and new_price == pytest.approx(round(new_price / tick) * tick)  # on the tick grid
    resting = await venue.open_orders("paper")
    assert [o.request.price for o in resting] == [59_500]  # nothing changed before confirmation

    chart.confirm.apply_button.click()
    await wait_until(lambda: chart.confirm.label.text().startswith("Order moved"), what="move result")
    resting = await venue.open_orders("paper")
    assert [o.request.price for o in resting] == [new_price] and resting[0].request.size == 0.01
    old = await venue.order_by_client_id("paper", placed.order.client_id)
    assert old.status.value == "cancelled"
    await wait_until(lambda: key not in chart.view.levels.markers, what="old order line gone")


async def test_order_book_click_sets_a_limit_price_in_the_ticket(window):
    chart, ticket = window.chart, window.ticket
    await wait_until(lambda: chart.order_book.isVisible() and chart.order_book._prices[chart.order_book.depth],
                     what="paper venue's book beside the chart")
    best_bid = chart.order_book._prices[chart.order_book.depth]
    assert best_bid < window.services.trading.mark(BTC)
    chart.order_book.table.cellClicked.emit(chart.order_book.depth, 0)
    assert ticket.limit_type.isChecked() and float(ticket.price_edit.text()) == pytest.approx(best_bid)


async def test_price_history_is_saved_at_shutdown_and_shown_after_a_restart(window, tmp_path):
    series = window.chart.series(BTC, "1m")
    assert len(series) >= 1
    bars = series.view.copy()
    window.close()
    await asyncio.wait_for(window.wait_closed(), 10)
    again = await create_main_window(tmp_path, "paper", use_tray=False, feed=None)
    try:
        again.chart.select_market(BTC)
        await wait_until(lambda: len(again.chart.series(BTC, "1m")) >= len(bars), what="stored candles loaded")
        assert again.chart.series(BTC, "1m").view[: len(bars), :5].tolist() == bars[:, :5].tolist()
    finally:
        again.close()
        await asyncio.wait_for(again.wait_closed(), 10)
