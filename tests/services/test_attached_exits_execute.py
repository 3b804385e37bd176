"""Exits the user attached are orders the user gave: they execute whatever the auto-trading switch.

The switch governs only the account-wide TP %/SL % rules; the liquidation guard has its own
switch; an exit or entry marked alert-only only alerts (issue finding 8).
"""

from __future__ import annotations

from grace_desktop.domain.conditions import ExitSource, exit_executes
from grace_desktop.domain.enums import OrderStatus
from grace_desktop.services.trade_types import TradeConditions
from tests.services.conftest import close_orders, configure, position, settle, wait_until

M = "SOL-PERP"


async def _open(services, conditions=None, leverage=2.0):
    result = await services.trading.execute_trade("buy", 10.0, M, services.account, leverage=leverage,
                                                  conditions=conditions)
    assert result.success and result.order.status is OrderStatus.FILLED, result.message
    return await position(services, M)


def test_which_switch_governs_which_exit():
    for auto in (False, True):
        assert exit_executes(ExitSource.ATTACHED, alert_only=False, auto_trading=auto, guard_enabled=False)
        assert not exit_executes(ExitSource.ATTACHED, alert_only=True, auto_trading=auto, guard_enabled=True)
        assert exit_executes(ExitSource.SETTINGS, alert_only=False, auto_trading=auto, guard_enabled=False) is auto
        assert exit_executes(ExitSource.GUARD, alert_only=False, auto_trading=auto, guard_enabled=True)
        assert not exit_executes(ExitSource.GUARD, alert_only=False, auto_trading=auto, guard_enabled=False)


async def test_attached_stop_loss_closes_with_auto_trading_off(services):
    assert not services.trading.settings(services.account).auto_trading_enabled  # the fresh-install default
    pos = await _open(services, TradeConditions(stop_loss=95.0))
    assert pos is not None
    await services.paper.push_tick(M, 94.9)
    await settle(services)
    await wait_until(lambda: len(close_orders(services, M)) == 1)
    assert await position(services, M) is None
    decision = services.store.decisions.recent()[0]
    assert decision.rule == "stop_loss" and decision.action == "close"


async def test_alert_only_exit_alerts_and_keeps_the_position(services):
    await configure(services, auto_trading_enabled=True)  # alert-only wins even with auto-trading on
    await _open(services, TradeConditions(take_profit=105.0, alert_only=True))
    armed = services.store.conditions.armed(account=services.account)
    assert [c.alert_only for c in armed] == [True]
    await services.paper.push_tick(M, 106.0)
    await settle(services)
    assert await position(services, M) is not None
    assert close_orders(services, M) == []
    reached = [a for a in services.store.alerts.recent() if a.title == "Take profit reached"]
    assert len(reached) == 1 and "alert-only" in reached[0].text


async def test_settings_rule_still_only_alerts_with_auto_trading_off(services):
    await configure(services, auto_trading_enabled=False, stop_loss_enabled=True, stop_loss_percentage=3.0)
    await _open(services)
    await services.paper.push_tick(M, 96.0)
    await settle(services)
    assert await position(services, M) is not None
    reached = [a for a in services.store.alerts.recent() if a.title == "Stop loss reached"]
    assert reached and "auto-trading is off" in reached[0].text


async def test_liquidation_guard_acts_on_its_own_switch(services):
    await configure(services, auto_trading_enabled=False, liquidation_guard_enabled=True,
                    liquidation_guard_buffer_pct=2.0, liquidation_guard_reduce_fraction=1.0)
    pos = await _open(services, leverage=10.0)
    watch = services.monitor.watched(services.account, M)
    level = watch.levels["liquidation_guard"][0]
    assert level < pos.entry_price
    await services.paper.push_tick(M, round(level - 0.05, 2))
    await settle(services)
    await wait_until(lambda: len(close_orders(services, M)) == 1)
    assert await position(services, M) is None
    assert services.store.decisions.recent()[0].rule == "liquidation_guard"


async def test_entry_condition_places_its_order_with_auto_trading_off(services):
    result = await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=2.0,
                                                  conditions=TradeConditions(entry_below=97.0))
    assert result.success and "armed" in result.message
    await services.paper.push_tick(M, 96.5)
    await settle(services)
    await wait_until(lambda: services.trading.orders is not None and len(
        services.store.orders.page(account=services.account, market=M, limit=10)) == 1)
    assert await position(services, M) is not None


async def test_alert_only_entry_only_alerts(services):
    result = await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=2.0,
                                                  conditions=TradeConditions(entry_below=97.0, alert_only=True))
    assert result.success
    await services.paper.push_tick(M, 96.5)
    await settle(services)
    assert await position(services, M) is None
    assert any(a.title == "Entry condition reached" for a in services.store.alerts.recent())
