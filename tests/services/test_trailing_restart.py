"""A restart must not loosen a trailing stop: its best price is kept in the database."""

from __future__ import annotations

import pytest

from grace_desktop.services.container import build_services
from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.storage import open_storage
from tests.services.conftest import configure, position, settle

M = "SOL-PERP"


async def start(store):
    services = await build_services(store, "paper", feed=None, sweep_interval=3600, retry_delays=(0.01,))
    await configure(services, auto_trading_enabled=True)
    return services


async def test_trailing_stop_resumes_from_its_high_after_a_restart(tmp_path):
    store = open_storage(tmp_path)
    services = await start(store)
    await services.paper.push_tick(M, 100.0)
    opened = await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=2.0,
                                                  conditions=TradeConditions(trailing_percent=5.0))
    assert opened.success
    for price in (110.0, 130.0, 126.0):
        await services.paper.push_tick(M, price)
        await settle(services)
    await services.stop()  # flushes the trailing stop's best price

    services = await start(store)
    watch = services.monitor.watched(services.account, M)
    assert watch.trailing.extreme == 130.0 and watch.trailing.stop_price == pytest.approx(123.5)
    await services.paper.push_tick(M, 124.0)  # above 123.5: a loosened stop (from 124) would still hold too
    await settle(services)
    assert await position(services, M) is not None
    await services.paper.push_tick(M, 123.4)
    await settle(services)
    assert await position(services, M) is None
    assert services.store.decisions.recent()[0].rule == "trailing_stop"
    assert store.trailing.get(services.account, M) is None  # cleared with the position
    await services.stop()
    store.close()


async def test_a_new_position_does_not_inherit_an_old_trailing_high(tmp_path):
    store = open_storage(tmp_path)
    services = await start(store)
    await services.paper.push_tick(M, 100.0)
    first = await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=2.0,
                                                 conditions=TradeConditions(trailing_percent=5.0))
    assert first.success
    await services.paper.push_tick(M, 130.0)
    await settle(services)
    await services.monitor.flush_trailing()
    closed = await services.trading.close_position(services.account, M)
    assert closed.success
    await settle(services)
    again = await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=2.0,
                                                 conditions=TradeConditions(trailing_percent=5.0))
    assert again.success
    await settle(services)
    watch = services.monitor.watched(services.account, M)
    assert watch.trailing.extreme < 131.0 and watch.trailing.stop_price < 125.0
    await services.stop()
    store.close()
