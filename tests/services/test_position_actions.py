"""Flatten all, reverse, cancel/replace resting orders, edit exits and conditions: real paper venue, real SQLite."""

from __future__ import annotations

import asyncio

import pytest

from grace_desktop.domain.enums import OrderStatus, Side
from grace_desktop.services.flatten import PositionActions
from grace_desktop.services.settings_impact import closes_at_once
from grace_desktop.services.trade_types import TradeConditions
from tests.services.conftest import position, settle

SOL, BTC = "SOL-PERP", "BTC-PERP"


@pytest.fixture
def actions(services):
    return PositionActions(services.trading, services.monitor)


async def _buy(services, market=SOL, size=10.0, **kw):
    result = await services.trading.execute_trade("buy", size, market, services.account, leverage=2.0, **kw)
    assert result.success, result.message
    return result


async def test_flatten_all_cancels_orders_and_conditions_then_closes_every_position(services, actions):
    await _buy(services, SOL, conditions=TradeConditions(stop_loss=90.0))
    await _buy(services, BTC, size=0.01)
    rest = await _buy(services, SOL, size=1.0, order_type="limit", price=80.0)
    assert rest.order.status is OrderStatus.OPEN
    await _buy(services, SOL, size=1.0, conditions=TradeConditions(entry_below=85.0))
    await settle(services)
    assert len(services.store.conditions.armed()) == 2 and len(await actions.resting_orders()) == 1

    report = await actions.flatten_all([services.account])
    await settle(services)
    assert report.ok, report.summary
    assert (report.positions_closed, report.orders_cancelled, report.conditions_cancelled) == (2, 1, 2)
    assert await services.paper.positions(services.account) == []
    assert await services.paper.open_orders(services.account) == [] or all(
        o.status.is_final for o in await services.paper.open_orders(services.account))
    assert services.store.conditions.armed() == []
    assert await actions.resting_orders() == []
    # The entry is disarmed too: a dip later opens nothing.
    await services.paper.push_tick(SOL, 84.0)
    await settle(services)
    assert await position(services, SOL) is None
    rules = [d.rule for d in services.store.decisions.recent()]
    assert "flatten" in rules


async def test_reverse_turns_a_long_into_a_short_of_the_same_size(services, actions):
    await _buy(services, SOL, size=3.0)
    result = await actions.reverse(None, services.account, SOL)
    assert result.success, result.message
    pos = await position(services, SOL)
    assert pos.side is Side.SHORT and pos.size == pytest.approx(3.0) and pos.leverage == 2.0
    await settle(services)
    assert services.store.decisions.recent()[0].action == "reversed"


async def test_cancel_and_replace_a_resting_limit(services, actions):
    rest = await _buy(services, SOL, size=1.0, order_type="limit", price=80.0)
    replaced = await actions.replace_order("paper", services.account, rest.order.client_id, 82.0, 2.0)
    assert replaced.success, replaced.message
    rows = await actions.resting_orders(services.account)
    assert [(r.order.request.price, r.order.request.size) for r in rows] == [(82.0, 2.0)]
    assert services.store.orders.get(rest.order.client_id).order.status is OrderStatus.CANCELLED
    assert await actions.cancel_order("paper", services.account, rows[0].order.client_id)
    assert await actions.resting_orders(services.account) == []


async def test_edit_exits_in_place_and_the_trailing_level_is_listed(services, actions):
    await _buy(services, SOL)
    await actions.edit_exits(None, services.account, SOL, take_profit=110.0, stop_loss=95.0, trailing_percent=None)
    watch = services.monitor.watched(services.account, SOL)
    assert watch.levels["take_profit"][0] == 110.0 and watch.levels["stop_loss"][0] == 95.0
    await actions.edit_exits(None, services.account, SOL, take_profit=None, stop_loss=96.0, trailing_percent=2.0)
    await services.paper.push_tick(SOL, 104.0)
    await settle(services)
    watch = services.monitor.watched(services.account, SOL)
    assert "take_profit" not in watch.levels and watch.levels["stop_loss"][0] == 96.0
    rows = {r.condition.kind: r for r in actions.armed(services.account)}
    assert set(rows) == {"stop_loss", "trailing_stop"}
    assert rows["trailing_stop"].level == pytest.approx(104.0 * 0.98)
    edited = await actions.edit_condition(rows["stop_loss"].condition.id, 97.0)
    assert edited.success
    assert services.monitor.watched(services.account, SOL).levels["stop_loss"][0] == 97.0


async def test_settings_that_would_close_a_position_at_once_are_named(services):
    await _buy(services, SOL)
    await services.paper.push_tick(SOL, 96.0)
    await settle(services)
    current = services.trading.settings(services.account)
    sl_on = current.updated(stop_loss_enabled=True, stop_loss_percentage=3.0)
    assert closes_at_once(services.monitor, services.account, sl_on) == []  # auto-trading off: it would only alert
    both = sl_on.updated(auto_trading_enabled=True)
    hits = closes_at_once(services.monitor, services.account, both)
    assert [(h.position.market, h.rule.value) for h in hits] == [(SOL, "stop_loss")]
    assert "SOL-PERP long 10" in hits[0].text
    assert closes_at_once(services.monitor, services.account, both.updated(stop_loss_percentage=5.0)) == []


async def test_opens_are_logged_and_headless_lists_what_it_protects(services, caplog):
    """QA 24: the log said only closes; --headless said only "monitoring account paper"."""
    from grace_desktop.services.protection import protection_lines

    with caplog.at_level("INFO", logger="grace_desktop.services.trading"):
        await _buy(services, SOL, conditions=TradeConditions(stop_loss=90.0))
    assert any("filled: buy 10 SOL-PERP at 2x on paper" in r.getMessage() for r in caplog.records)
    await _buy(services, BTC, size=0.01, conditions=TradeConditions(entry_below=50_000.0, alert_only=True))
    await settle(services)
    lines = protection_lines(services.monitor)
    assert any(line.startswith("paper SOL-PERP long 10 on paper: ") and "stop loss 90" in line for line in lines)
    assert any("entry buy 0.01 when ≤ 50000 (alert only)" in line for line in lines)


async def test_a_cancel_the_venue_does_not_answer_is_journaled_as_unknown(services, actions, monkeypatch):
    rest = await _buy(services, SOL, size=1.0, order_type="limit", price=80.0)
    never = asyncio.Event()

    async def silent(account, client_id):
        await never.wait()

    monkeypatch.setattr(services.paper, "cancel_order", silent)
    monkeypatch.setattr(services.trading.orders, "deadline", 0.05)
    assert not await actions.cancel_order("paper", services.account, rest.order.client_id)
    await settle(services)
    assert services.store.decisions.recent()[0].action == "cancel order: no answer"


async def test_a_cancel_order_call_stopped_as_the_venue_answers_stays_stopped(services, actions, monkeypatch):
    """The venue answers in the very step its caller is cancelled (Python 3.11's wait_for returned the
    answer and lost the cancellation: the caller ran on)."""
    rest = await _buy(services, SOL, size=1.0, order_type="limit", price=80.0)
    caller: list[asyncio.Task] = []

    async def answers_as_cancelled(account, client_id):
        caller[0].cancel()
        return True

    monkeypatch.setattr(services.paper, "cancel_order", answers_as_cancelled)
    caller.append(asyncio.get_running_loop().create_task(
        actions.cancel_order("paper", services.account, rest.order.client_id)))
    await asyncio.gather(caller[0], return_exceptions=True)
    assert caller[0].cancelled()
